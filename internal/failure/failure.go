// Package failure is the provider's one model of a call to the cloud that
// failed. Classify sorts an error, and ClassifyAttempt one HTTP attempt, into
// a Class; Policies says per class whether the call is sent again and what
// the user reads about it. The retry transport, the reconciliation of writes
// and the diagnostics all decide from here, so what is retried and what is
// reported can never drift apart.
package failure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// Class sorts failed calls by what happened on the wire, which decides both
// whether sending again can help and what the user has to do.
type Class int

// The classes. Policies has a row for each.
const (
	// Other is an error none of the classes below describes: a bug, or a
	// malformed answer. Not retried.
	Other Class = iota
	// Cancelled: Terraform stopped the provider (Ctrl-C).
	Cancelled
	// Deadline: the operation's timeout ran out.
	Deadline
	// NoSuchHost: the host name does not resolve. A typo stays a typo, so
	// it is not retried.
	NoSuchHost
	// Unreachable: no connection was made (refused, connecting timed out,
	// no route, a resolver that did not answer, a TLS handshake that never
	// finished). The server cannot have acted, so any request is sent
	// again, within a short budget: a restart fixes this in a moment, a
	// wrong URL never does.
	Unreachable
	// TLS: the server's certificate was not trusted, the server ended the
	// handshake with an alert, or it does not speak TLS. Not retried: the
	// next attempt meets the same certificate.
	TLS
	// ConnectionLost: the connection broke after the request may have been
	// sent and before an answer came (reset, EOF, broken pipe, no answer in
	// time). The server may have acted.
	ConnectionLost
	// CutBody: an answer began but its body stopped short. The server has
	// acted.
	CutBody
	// EmptyBody: a 2xx answer with no body where one was expected. The
	// server has acted, but its answer says nothing.
	EmptyBody
	// NotJSON: a 2xx answer whose body is not the JSON expected, such as a
	// proxy's HTML page. The server may have acted.
	NotJSON
	// Throttled: HTTP 429. The gateway refused the request before any
	// service saw it.
	Throttled
	// ServerError: HTTP 500. The service failed while it may have acted.
	ServerError
	// Unavailable: HTTP 502, 503, 504 or 408, whatever the body (gateways
	// answer HTML). The request may or may not have reached the service.
	Unavailable
	// Unauthorized: HTTP 401 after the login was renewed.
	Unauthorized
	// Forbidden: HTTP 403.
	Forbidden
	// NotFound: HTTP 404.
	NotFound
	// Rejected: any other HTTP 4xx: the request was refused as it stands.
	Rejected
)

// Resend says whether a request that is not safe to resend (a create,
// which sent twice may share a backup twice) is sent again after a failure
// of a class. A request that is safe to resend follows Policy.RetrySafe.
type Resend int

const (
	// NotResent: the request is reported as failed. Either it was refused
	// as it stands, or it would fail the same way again, or the user asked
	// to stop.
	NotResent Resend = iota
	// ResentIfNotSent: the request certainly never reached the service (no
	// connection was made, or the gateway throttled it first), so it is
	// sent again like a safe one.
	ResentIfNotSent
	// ReconcileFirst: the service may have acted on it. It is not sent
	// again until its caller has looked at the cloud (Class.WriteOutcome).
	ReconcileFirst
)

func (r Resend) String() string {
	switch r {
	case ResentIfNotSent:
		return "resent, as it never reached the service"
	case ReconcileFirst:
		return "reconciled before it is resent"
	}
	return "not resent"
}

// Outcome is what a failed write did to the cloud, as far as can be told.
type Outcome int

const (
	// NotActed: the server did not carry the write out; sending it again
	// is safe.
	NotActed Outcome = iota
	// MaybeActed: the write may have been carried out; look before sending
	// it again.
	MaybeActed
	// Refused: the server refused the write as it stands.
	Refused
)

// Failure is what Classify makes of an error.
type Failure struct {
	Class Class
	// Addr is the host:port that could not be reached or verified, when
	// known.
	Addr string
	// Cause says in a few words what the network layer reported, such as
	// "connection refused" or "no such host".
	Cause string
	// Status is the HTTP status of an error answer, 0 for none.
	Status int
}

// StatusCoder is an error that carries the HTTP status of an answer, as
// gophercloud's ErrUnexpectedResponseCode and vbs.APIError do.
type StatusCoder interface {
	GetStatusCode() int
}

// BodyError is an answer whose body could not be read to its end: the
// connection broke or closed in the middle of it.
type BodyError struct {
	Status int
	// Read is how many bytes arrived; Length is how many the answer
	// announced, -1 when it announced none.
	Read, Length int64
	Err          error
}

func (e *BodyError) Error() string {
	if e.Length >= 0 {
		return fmt.Sprintf("the HTTP %d answer was cut off after %d of %d bytes: %v", e.Status, e.Read, e.Length, e.Err)
	}
	return fmt.Sprintf("the HTTP %d answer was cut off after %d bytes: %v", e.Status, e.Read, e.Err)
}

func (e *BodyError) Unwrap() error { return e.Err }

// BadBodyError is a 2xx answer that arrived whole but is empty, or is not
// the JSON its caller expects.
type BadBodyError struct {
	Status int
	// Empty is set for an answer with no body at all.
	Empty bool
	// Err is the decoder's complaint, nil when Empty.
	Err error
}

func (e *BadBodyError) Error() string {
	if e.Empty {
		return fmt.Sprintf("the HTTP %d answer has no body", e.Status)
	}
	return fmt.Sprintf("the HTTP %d answer is not the JSON expected: %v", e.Status, e.Err)
}

func (e *BadBodyError) Unwrap() error { return e.Err }

// ClassOfStatus sorts an HTTP status; 0 for a success or a redirect, which
// are not failures.
func ClassOfStatus(status int) (Class, bool) {
	switch {
	case status < 400:
		return Other, false
	case status == http.StatusTooManyRequests:
		return Throttled, true
	case status == http.StatusInternalServerError:
		return ServerError, true
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable,
		status == http.StatusGatewayTimeout, status == http.StatusRequestTimeout:
		return Unavailable, true
	case status == http.StatusUnauthorized:
		return Unauthorized, true
	case status == http.StatusForbidden:
		return Forbidden, true
	case status == http.StatusNotFound:
		return NotFound, true
	case status >= 500:
		// 501 Not Implemented, 505 and the rest say the request will fail
		// the same way again.
		return Rejected, true
	}
	return Rejected, true
}

// ClassifyAttempt sorts one HTTP attempt: its transport error, or else its
// answer's status. ok is false for an attempt that succeeded.
func ClassifyAttempt(resp *http.Response, err error) (Class, bool) {
	if err != nil {
		return Classify(err).Class, true
	}
	if resp == nil {
		return Other, true
	}
	return ClassOfStatus(resp.StatusCode)
}

// Classify sorts an error from a login or an API call. The context's verdict
// wins over what it interrupted: a request cut short by a deadline often
// ends in a network error too, and the user needs to hear about the
// deadline. An error answer wins over the network: it is the last thing the
// server said.
func Classify(err error) Failure {
	if err == nil {
		return Failure{Class: Other}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Failure{Class: Cancelled}
	case errors.Is(err, context.DeadlineExceeded) && !dialTimeout(err):
		// A dial timeout also satisfies DeadlineExceeded (net's timeout
		// error says so), but it is a failure to connect, not the
		// operation running out of time.
		return Failure{Class: Deadline}
	}
	var coded StatusCoder
	if errors.As(err, &coded) {
		if class, ok := ClassOfStatus(coded.GetStatusCode()); ok {
			return Failure{Class: class, Status: coded.GetStatusCode()}
		}
	}

	addr := address(err)
	var (
		opErr       *net.OpError
		dnsErr      *net.DNSError
		bodyErr     *BodyError
		badBodyErr  *BadBodyError
		verifyErr   *tls.CertificateVerificationError
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
	)
	isOp := errors.As(err, &opErr)
	// Only an error from connecting proves that the request never left:
	// the same errno from a read or write on an open connection does not.
	connecting := !isOp || opErr.Op == "dial" || opErr.Op == "proxyconnect"
	switch {
	case errors.As(err, &bodyErr):
		return Failure{Class: CutBody, Addr: addr, Cause: "the answer was cut off"}
	case errors.As(err, &badBodyErr) && badBodyErr.Empty:
		return Failure{Class: EmptyBody, Addr: addr, Cause: "the answer was empty", Status: badBodyErr.Status}
	case errors.As(err, &badBodyErr):
		return Failure{Class: NotJSON, Addr: addr, Cause: "the answer was not JSON", Status: badBodyErr.Status}
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostnameErr), errors.As(err, &invalidErr):
		return Failure{Class: TLS, Addr: addr, Cause: tlsCause(err)}
	case errors.As(err, &alertErr):
		return Failure{Class: TLS, Addr: addr, Cause: "the server ended the TLS handshake: " + alertErr.Error()}
	case isOp && opErr.Op == "remote error":
		// crypto/tls reports an alert the server sent this way, such as
		// "tls: certificate required".
		return Failure{Class: TLS, Addr: addr, Cause: "the server ended the TLS handshake: " + opErr.Err.Error()}
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// net/http turns the TLS record error into that untyped message.
		return Failure{Class: TLS, Addr: addr, Cause: "the server does not speak TLS (is the URL http:// rather than https://?)"}
	case errors.As(err, &dnsErr):
		if addr == "" {
			addr = dnsErr.Name
		}
		if dnsErr.IsNotFound {
			return Failure{Class: NoSuchHost, Addr: addr, Cause: "no such host"}
		}
		return Failure{Class: Unreachable, Addr: addr, Cause: "the name server did not answer for the host"}
	case connecting && errors.Is(err, syscall.ECONNREFUSED):
		return Failure{Class: Unreachable, Addr: addr, Cause: "connection refused"}
	case connecting && (errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)):
		return Failure{Class: Unreachable, Addr: addr, Cause: "no route to host"}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		// The route went away under an open connection: the request may
		// have reached the server, which is not the same as never reaching
		// it.
		return Failure{Class: ConnectionLost, Addr: addr, Cause: "the route to the host was lost"}
	case dialTimeout(err):
		return Failure{Class: Unreachable, Addr: addr, Cause: "connecting timed out"}
	case isOp && opErr.Op == "dial":
		return Failure{Class: Unreachable, Addr: addr, Cause: "could not connect"}
	case strings.Contains(err.Error(), "TLS handshake timeout"):
		return Failure{Class: Unreachable, Addr: addr, Cause: "the TLS handshake timed out"}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED):
		return Failure{Class: ConnectionLost, Addr: addr, Cause: "the connection was reset"}
	case errors.Is(err, syscall.EPIPE):
		return Failure{Class: ConnectionLost, Addr: addr, Cause: "the connection broke while the request was sent"}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Failure{Class: ConnectionLost, Addr: addr, Cause: "the server closed the connection without an answer"}
	case isOp, timeout(err):
		return Failure{Class: ConnectionLost, Addr: addr, Cause: "no answer: " + lastWords(err)}
	}
	return Failure{Class: Other, Addr: addr}
}

// WriteOutcome says what a create that failed in class c did to the cloud,
// as its row's RetryUnsafe says: a request resent because it never reached
// the service did nothing, one to reconcile may have been carried out, and
// one not resent was refused.
func (c Class) WriteOutcome() Outcome {
	switch Policies[c].RetryUnsafe {
	case ResentIfNotSent:
		return NotActed
	case ReconcileFirst:
		return MaybeActed
	}
	return Refused
}

// dialTimeout reports a timeout while connecting, whatever the timeout's
// inner form: the dial's own error says so.
func dialTimeout(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout()
}

// timeout reports whether any error in err's chain is a net.Error that
// timed out. The first one is not enough: a *url.Error answers for the
// error it wraps directly, and says no when that is a wrapper.
func timeout(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if netErr, ok := err.(net.Error); ok && netErr.Timeout() {
			return true
		}
	}
	return false
}

// lastWords is the innermost message of a wrapped error, the part that says
// what the network layer saw.
func lastWords(err error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err.Error()
		}
		err = inner
	}
}

// address finds the host:port an error is about: the request's URL, else
// the network operation's remote address.
func address(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		if u, perr := url.Parse(urlErr.URL); perr == nil {
			if a := hostPort(u); a != "" {
				return a
			}
		}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Addr != nil {
		return opErr.Addr.String()
	}
	return ""
}

func tlsCause(err error) string {
	var (
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidErr  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknownCA):
		return "its certificate is signed by an unknown authority"
	case errors.As(err, &hostnameErr):
		return "its certificate is not valid for this host name"
	case errors.As(err, &invalidErr):
		return "its certificate is not valid (expired, or not yet valid)"
	}
	return "its certificate could not be verified"
}

// hostPort is the URL's host with the scheme's port filled in.
func hostPort(u *url.URL) string {
	if u.Port() != "" || u.Host == "" {
		return u.Host
	}
	port := "443"
	if u.Scheme == "http" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// Headers the retry transport sets on an error answer it hands on after
// retrying, so that the error made of the answer can say how many attempts
// were made and why they stopped. They never leave the process.
const (
	AttemptsHeader = "X-Vbs-Provider-Attempts"
	StoppedHeader  = "X-Vbs-Provider-Retries-Stopped"
)
