package failure_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
)

// Classify is fed the errors real requests produce where a live one is
// needed, and built errors where the network cannot be made to fail so.
func TestClassify(t *testing.T) {
	get := func(u string) error {
		resp, err := (&http.Client{Transport: &http.Transport{}}).Get(u)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	tlsServer := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsServer.Close()
	tlsServer.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	clientCertServer := httptest.NewUnstartedServer(http.NotFoundHandler())
	clientCertServer.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	clientCertServer.Config.ErrorLog = log.New(io.Discard, "", 0)
	clientCertServer.StartTLS()
	defer clientCertServer.Close()
	plainServer := httptest.NewServer(http.NotFoundHandler())
	defer plainServer.Close()
	// Taken last, so no server can land on the port it frees.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	// A dial that times out: net reports it as a timeout that also
	// satisfies context.DeadlineExceeded.
	dialer := &net.Dialer{Timeout: time.Nanosecond}
	_, dialTimeout := dialer.Dial("tcp", closed)
	pool := x509.NewCertPool()
	pool.AddCert(tlsServer.Certificate())
	trustingCA := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	_, certRequired := trustingCA.Get(clientCertServer.URL)

	api := &vbs.APIError{StatusCode: 404}
	produced := map[failure.Class]bool{}
	for name, tc := range map[string]struct {
		err   error
		class failure.Class
		addr  string
		cause string
	}{
		"refused": {get("http://" + closed + "/v3"), failure.Unreachable, closed, "connection refused"},
		"refused after retries": {fmt.Errorf("GET x: giving up after 3 attempts: %w", get("http://"+closed+"/")),
			failure.Unreachable, closed, "connection refused"},
		"dial timeout": {&url.Error{Op: "Get", URL: "http://" + closed + "/", Err: dialTimeout}, failure.Unreachable, closed, "connecting timed out"},
		"no such host": {&url.Error{Op: "Post", URL: "https://iam.nowhere.invalid/v3/auth/tokens",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "iam.nowhere.invalid", IsNotFound: true}}},
			failure.NoSuchHost, "iam.nowhere.invalid:443", "no such host"},
		"name server down": {&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "h", IsTemporary: true}},
			failure.Unreachable, "h", "name server"},
		"unknown authority":    {get(tlsServer.URL), failure.TLS, tlsServer.Listener.Addr().String(), "unknown authority"},
		"certificate required": {certRequired, failure.TLS, clientCertServer.Listener.Addr().String(), "ended the TLS handshake"},
		"plain http behind https": {get("https://" + plainServer.Listener.Addr().String()), failure.TLS,
			plainServer.Listener.Addr().String(), "does not speak TLS"},
		"reset": {&url.Error{Op: "Get", URL: "http://h:1/", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}},
			failure.ConnectionLost, "h:1", "reset"},
		"no route to host while connecting": {&url.Error{Op: "Post", URL: "http://h:1/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.EHOSTUNREACH}},
			failure.Unreachable, "h:1", "no route to host"},
		// The same errno on a read of an open connection: the request may
		// have reached the server, so a create must not be sent again.
		"route lost under an open connection": {&url.Error{Op: "Post", URL: "http://h:1/", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.EHOSTUNREACH}},
			failure.ConnectionLost, "h:1", "route to the host was lost"},
		"EOF": {&url.Error{Op: "Get", URL: "http://h:1/", Err: io.EOF}, failure.ConnectionLost, "h:1", "closed the connection"},
		"broken pipe": {&url.Error{Op: "Post", URL: "http://h:1/", Err: &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}},
			failure.ConnectionLost, "h:1", "broke while the request was sent"},
		"no answer in time": {&url.Error{Op: "Get", URL: "http://h:1/", Err: timeoutError("net/http: timeout awaiting response headers")},
			failure.ConnectionLost, "h:1", "timeout awaiting response headers"},
		"TLS handshake timeout": {&url.Error{Op: "Get", URL: "https://h:1/", Err: errors.New("net/http: TLS handshake timeout")},
			failure.Unreachable, "h:1", "handshake timed out"},
		"cut body":   {&failure.BodyError{Status: 200, Read: 5, Length: 10, Err: io.ErrUnexpectedEOF}, failure.CutBody, "", "cut off"},
		"empty body": {fmt.Errorf("reading x: %w", &failure.BadBodyError{Status: 200, Empty: true}), failure.EmptyBody, "", "empty"},
		"not JSON": {&failure.BadBodyError{Status: 200, Err: errors.New("invalid character '<' looking for beginning of value")},
			failure.NotJSON, "", "not JSON"},
		"408":      {&vbs.APIError{StatusCode: 408}, failure.Unavailable, "", ""},
		"503":      {&vbs.APIError{StatusCode: 503}, failure.Unavailable, "", ""},
		"404":      {fmt.Errorf("reading: %w", api), failure.NotFound, "", ""},
		"429":      {&vbs.APIError{StatusCode: 429}, failure.Throttled, "", ""},
		"500":      {&vbs.APIError{StatusCode: 500}, failure.ServerError, "", ""},
		"502":      {&vbs.APIError{StatusCode: 502}, failure.Unavailable, "", ""},
		"409":      {&vbs.APIError{StatusCode: 409}, failure.Rejected, "", ""},
		"401":      {&vbs.APIError{StatusCode: 401}, failure.Unauthorized, "", ""},
		"403":      {&vbs.APIError{StatusCode: 403}, failure.Forbidden, "", ""},
		"504":      {&vbs.APIError{StatusCode: 504}, failure.Unavailable, "", ""},
		"501":      {&vbs.APIError{StatusCode: 501}, failure.Rejected, "", ""},
		"deadline": {fmt.Errorf("waiting: %w", context.DeadlineExceeded), failure.Deadline, "", ""},
		"deadline after a 503": {fmt.Errorf("GET x: attempt 2 did not finish: %w; attempt 1 before it: HTTP 503", context.DeadlineExceeded),
			failure.Deadline, "", ""},
		"cancelled":   {&url.Error{Op: "Get", URL: "http://x", Err: context.Canceled}, failure.Cancelled, "", ""},
		"other error": {errors.New("keystone returned a token that is not scoped to a project"), failure.Other, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("the request did not fail")
			}
			f := failure.Classify(tc.err)
			produced[tc.class] = true
			if f.Class != tc.class || f.Addr != tc.addr {
				t.Errorf("Classify(%v) = %s at %q; want %s at %q", tc.err, f.Class, f.Addr, tc.class, tc.addr)
			}
			if tc.cause != "" && !strings.Contains(f.Cause, tc.cause) {
				t.Errorf("cause %q, want it to say %q", f.Cause, tc.cause)
			}
		})
	}
	for _, class := range failure.AllClasses() {
		if !produced[class] {
			t.Errorf("no case produces class %s", class)
		}
	}
}

// timeoutError is a net.Error that timed out, as net/http's own are.
type timeoutError string

func (e timeoutError) Error() string { return string(e) }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// Each class's row: whether a request safe to resend is sent again, what
// becomes of one that is not, and the summary the user reads. The cases
// of TestClassify produce every class.
func TestPolicyRows(t *testing.T) {
	for class, want := range map[failure.Class]struct {
		safe    bool
		unsafe  failure.Resend
		summary string
	}{
		failure.Other:          {false, failure.ReconcileFirst, "{doing} failed"},
		failure.Cancelled:      {false, failure.ReconcileFirst, "{doing} was interrupted"},
		failure.Deadline:       {false, failure.ReconcileFirst, "{doing} timed out"},
		failure.NoSuchHost:     {false, failure.NotResent, "Cannot reach {service} at {addr}"},
		failure.Unreachable:    {true, failure.ResentIfNotSent, "Cannot reach {service} at {addr}"},
		failure.TLS:            {false, failure.NotResent, "TLS verification failed for {service} at {addr}"},
		failure.ConnectionLost: {true, failure.ReconcileFirst, "{doing} failed: the connection to {service} was lost"},
		failure.CutBody:        {true, failure.ReconcileFirst, "{doing} failed: the answer from {service} was cut off"},
		failure.EmptyBody:      {true, failure.ReconcileFirst, "{doing} failed: the answer from {service} was empty"},
		failure.NotJSON:        {true, failure.ReconcileFirst, "{doing} failed: the answer from {service} was not JSON"},
		failure.Throttled:      {true, failure.ResentIfNotSent, "{doing} was throttled"},
		failure.ServerError:    {true, failure.ReconcileFirst, "{doing} failed"},
		failure.Unavailable:    {true, failure.ReconcileFirst, "{doing} failed: {service} is unavailable"},
		failure.Unauthorized:   {false, failure.NotResent, "The VBS API refused the credentials"},
		failure.Forbidden:      {false, failure.NotResent, "{doing} was forbidden"},
		failure.NotFound:       {false, failure.NotResent, "{doing} failed"},
		failure.Rejected:       {false, failure.NotResent, "{doing} was rejected"},
	} {
		p := failure.Policies[class]
		if p.RetrySafe != want.safe || p.RetryUnsafe != want.unsafe || p.Summary != want.summary {
			t.Errorf("%s: safe %v, unsafe %s, summary %q; want %v, %s, %q", class, p.RetrySafe, p.RetryUnsafe, p.Summary, want.safe, want.unsafe, want.summary)
		}
	}
	if !failure.Policies[failure.Unreachable].ShortBudget {
		t.Error("a server that cannot be reached is not retried within the short budget")
	}
}

// Every class has a row, and every row can be rendered without leaving a
// placeholder behind.
func TestEveryClassHasAPolicy(t *testing.T) {
	vars := failure.Vars{Doing: "Reading x", Service: "the VBS API", Addr: "h:443", Cause: "c", Endpoint: "e",
		Credentials: "cr", Project: " in project p", Status: 503, Call: "GET u"}
	for _, class := range failure.AllClasses() {
		p, ok := failure.Policies[class]
		if !ok {
			t.Errorf("%s has no policy", class)
			continue
		}
		for _, login := range []bool{false, true} {
			summary, detail, _ := p.Render(vars, login)
			if summary == "" || strings.Contains(summary+detail, "{") {
				t.Errorf("%s (login %v) renders as %q / %q", class, login, summary, detail)
			}
		}
	}
	if len(failure.Policies) != len(failure.AllClasses()) {
		t.Errorf("%d policies for %d classes", len(failure.Policies), len(failure.AllClasses()))
	}
}

// What a create that failed did to the cloud follows from its row: resent
// because it never reached the service, it did nothing; to be reconciled,
// it may have been carried out; not resent, it was refused.
func TestWriteOutcome(t *testing.T) {
	for class, want := range map[failure.Class]failure.Outcome{
		failure.Unreachable:    failure.NotActed,
		failure.Throttled:      failure.NotActed,
		failure.ConnectionLost: failure.MaybeActed,
		failure.CutBody:        failure.MaybeActed,
		failure.EmptyBody:      failure.MaybeActed,
		failure.NotJSON:        failure.MaybeActed,
		failure.ServerError:    failure.MaybeActed,
		failure.Unavailable:    failure.MaybeActed,
		failure.Deadline:       failure.MaybeActed,
		failure.Cancelled:      failure.MaybeActed,
		failure.TLS:            failure.Refused,
		failure.NoSuchHost:     failure.Refused,
		failure.Rejected:       failure.Refused,
		failure.Forbidden:      failure.Refused,
		failure.Other:          failure.MaybeActed,
		failure.Unauthorized:   failure.Refused,
		failure.NotFound:       failure.Refused,
	} {
		if got := class.WriteOutcome(); got != want {
			t.Errorf("%s: outcome %d, want %d", class, got, want)
		}
	}
}
