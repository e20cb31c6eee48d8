package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
	"github.com/vbs-tf/terraform-provider-vbs/internal/transport"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// cutReader gives half an answer, then the error a broken connection gives.
type cutReader struct{ r io.Reader }

func (c *cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// Retry and reporting agree about every class: a call that fails the same
// way on every attempt is sent as often as the failure model's row says,
// for a read and for a create, and the diagnostic the user reads is that
// row's, saying how many attempts were made exactly when there were several.
// A class added to the model without a case here fails the test.
func TestRetryAndReportingAgreeAboutEveryClass(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 443}
	answer := func(status int, body string) func() (*http.Response, error) {
		return func() (*http.Response, error) {
			h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-model"}}
			if status == http.StatusTooManyRequests {
				h.Set("Retry-After", "0")
			}
			return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}, nil
		}
	}
	fail := func(err error) func() (*http.Response, error) {
		return func() (*http.Response, error) { return nil, err }
	}
	const apiBody = `{"error": {"code": "VolumeBackup.0001", "message": "the message"}}`
	cases := map[failure.Class]func() (*http.Response, error){
		failure.Unreachable:    fail(&net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: syscall.ECONNREFUSED}),
		failure.NoSuchHost:     fail(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "vbs.nowhere.invalid", IsNotFound: true}}),
		failure.TLS:            fail(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}),
		failure.ConnectionLost: fail(&net.OpError{Op: "read", Net: "tcp", Addr: addr, Err: syscall.ECONNRESET}),
		failure.CutBody: func() (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, ContentLength: 40,
				Body: io.NopCloser(&cutReader{strings.NewReader(`{"shared": {"id": "x"`)})}, nil
		},
		failure.Throttled:    answer(http.StatusTooManyRequests, apiBody),
		failure.ServerError:  answer(http.StatusInternalServerError, apiBody),
		failure.Unavailable:  answer(http.StatusBadGateway, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
		failure.Unauthorized: answer(http.StatusUnauthorized, apiBody),
		failure.Forbidden:    answer(http.StatusForbidden, apiBody),
		failure.NotFound:     answer(http.StatusNotFound, apiBody),
		failure.Rejected:     answer(http.StatusBadRequest, apiBody),
		failure.EmptyBody:    answer(http.StatusOK, ""),
		failure.NotJSON:      answer(http.StatusOK, "<html><body>Portal</body></html>"),
		// JSON, but not a sharing: nothing the model foresees.
		failure.Other: answer(http.StatusOK, `{"unexpected": true}`),
	}
	// The caller's deadline and Ctrl-C are not failures of an attempt.
	aboveTheTransport := []failure.Class{failure.Cancelled, failure.Deadline}
	for _, class := range failure.AllClasses() {
		if _, ok := cases[class]; !ok && !slices.Contains(aboveTheTransport, class) {
			t.Errorf("class %s has no case: add one", class)
		}
	}

	const maxRetries = 2
	for class, produce := range cases {
		for _, write := range []bool{false, true} {
			name := class.String() + map[bool]string{false: " read", true: " create"}[write]
			t.Run(name, func(t *testing.T) {
				attempts := 0
				rt := transport.NewRetry(roundTripFunc(func(*http.Request) (*http.Response, error) {
					attempts++
					return produce()
				}), transport.RetryOptions{MaxRetries: maxRetries, Sleep: func(context.Context, time.Duration) error { return nil }})
				vbsClient := &gophercloud.ServiceClient{
					ProviderClient: &gophercloud.ProviderClient{HTTPClient: http.Client{Transport: rt}},
					Endpoint:       "https://vbs.example/v2/p/", ResourceBase: "https://vbs.example/v2/p/",
				}
				var err error
				if write {
					_, err = sharing.Create(context.Background(), vbsClient, sharing.CreateOpts{BackupID: "b", ToProjectIDs: []string{"p2"}}).Extract()
				} else {
					_, err = sharing.Get(context.Background(), vbsClient, "x").Extract()
				}
				if err == nil {
					t.Fatal("the call succeeded")
				}
				if got := failure.Classify(err).Class; got != class {
					t.Fatalf("the call failed as %s (%v), want %s", got, err, class)
				}

				retried := transport.Retries(class, !write)
				want := 1
				if retried {
					want = 1 + maxRetries
				}
				if attempts != want {
					p := failure.Policies[class]
					t.Errorf("%d attempts; the model says retried when safe %v, otherwise %s, so want %d", attempts, p.RetrySafe, p.RetryUnsafe, want)
				}

				var diags diag.Diagnostics
				op := &operation{parent: context.Background(), ctx: context.Background(), cancel: func() {},
					conn: &client.Connection{ProjectID: testProjectID}, diags: &diags}
				op.fail(subject{doing: "reading backup sharing x"}, err)
				if len(diags) != 1 {
					t.Fatalf("%d diagnostics: %v", len(diags), diags)
				}
				summary, _, _ := failure.Policies[class].Render(failure.Vars{
					Doing: "Reading backup sharing x", Service: "the VBS API", Addr: failure.Classify(err).Addr,
				}, false)
				if diags[0].Summary() != summary {
					t.Errorf("summary %q, want the model's %q", diags[0].Summary(), summary)
				}
				says := strings.Contains(diags[0].Detail(), "attempts")
				if says != retried {
					t.Errorf("retried %v, but the detail mentions attempts: %v:\n%s", retried, says, diags[0].Detail())
				}
			})
		}
	}
}
