package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
)

// Classify is fed the errors real requests produce, through the provider's
// own transport where a live one is needed.
func TestClassify(t *testing.T) {
	transport, err := newTransport(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	get := func(u string) error {
		resp, err := (&http.Client{Transport: transport}).Get(u)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	tlsServer := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsServer.Close()
	tlsServer.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	plainServer := httptest.NewServer(http.NotFoundHandler())
	defer plainServer.Close()
	// Taken last, so neither server can land on the port it frees.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	api := &vbs.APIError{StatusCode: 404}
	for name, tc := range map[string]struct {
		err   error
		class FailureClass
		addr  string
		cause string
	}{
		"refused": {get("http://" + closed + "/v3"), FailureUnreachable, closed, "connection refused"},
		"refused after retries": {fmt.Errorf("GET x: giving up after 3 attempts: %w", get("http://"+closed+"/")),
			FailureUnreachable, closed, "connection refused"},
		"no such host": {&url.Error{Op: "Post", URL: "https://iam.nowhere.invalid/v3/auth/tokens",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "iam.nowhere.invalid", IsNotFound: true}}},
			FailureUnreachable, "iam.nowhere.invalid:443", "no such host"},
		"unknown authority": {get(tlsServer.URL), FailureTLS, tlsServer.Listener.Addr().String(), "unknown authority"},
		"plain http behind https": {get("https://" + plainServer.Listener.Addr().String()), FailureTLS,
			plainServer.Listener.Addr().String(), "does not speak TLS"},
		"http error":  {fmt.Errorf("reading: %w", api), FailureHTTP, "", ""},
		"deadline":    {fmt.Errorf("waiting: %w", context.DeadlineExceeded), FailureDeadline, "", ""},
		"cancelled":   {&url.Error{Op: "Get", URL: "http://x", Err: context.Canceled}, FailureCancelled, "", ""},
		"other error": {errors.New("keystone returned a token that is not scoped to a project"), FailureOther, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			f := Classify(tc.err)
			if f.Class != tc.class || f.Addr != tc.addr {
				t.Errorf("Classify(%v) = class %d at %q; want class %d at %q", tc.err, f.Class, f.Addr, tc.class, tc.addr)
			}
			if tc.cause != "" && !strings.Contains(f.Cause, tc.cause) {
				t.Errorf("cause %q, want it to say %q", f.Cause, tc.cause)
			}
			if tc.class == FailureHTTP && f.API != api {
				t.Errorf("API error not kept")
			}
		})
	}
}
