package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
)

// FailureClass sorts failed calls by what the user has to do about them.
type FailureClass int

const (
	// FailureOther is anything not sorted below.
	FailureOther FailureClass = iota
	// FailureUnreachable: nothing answered. The connection was refused, the
	// host name does not resolve, or connecting timed out.
	FailureUnreachable
	// FailureTLS: the server's certificate was not trusted.
	FailureTLS
	// FailureHTTP: the server answered with an error status (Failure.API).
	FailureHTTP
	// FailureCancelled: the caller's context was cancelled.
	FailureCancelled
	// FailureDeadline: the caller's context ran out of time.
	FailureDeadline
)

// Failure is what Classify makes of an error.
type Failure struct {
	Class FailureClass
	// Addr is the host:port that could not be reached or verified.
	Addr string
	// Cause says in a few words what the network layer reported, such as
	// "connection refused" or "no such host".
	Cause string
	// API is the error answer, for FailureHTTP.
	API *vbs.APIError
}

// Classify sorts an error from a login or an API call. Context errors win
// over what they interrupted: a request cut short by a deadline often ends
// in a network error too.
func Classify(err error) Failure {
	var apiErr *vbs.APIError
	switch {
	case err == nil:
		return Failure{Class: FailureOther}
	case errors.Is(err, context.DeadlineExceeded):
		return Failure{Class: FailureDeadline}
	case errors.Is(err, context.Canceled):
		return Failure{Class: FailureCancelled}
	case errors.As(err, &apiErr):
		return Failure{Class: FailureHTTP, API: apiErr}
	}

	addr := ""
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		if u, perr := url.Parse(urlErr.URL); perr == nil {
			addr = hostPort(u)
		}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Addr != nil && addr == "" {
		addr = opErr.Addr.String()
	}

	var (
		dnsErr      *net.DNSError
		verifyErr   *tls.CertificateVerificationError
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostnameErr), errors.As(err, &invalidErr):
		return Failure{Class: FailureTLS, Addr: addr, Cause: tlsCause(err)}
	case errors.As(err, &alertErr):
		return Failure{Class: FailureTLS, Addr: addr, Cause: "the server ended the TLS handshake: " + alertErr.Error()}
	case opErr != nil && opErr.Op == "remote error":
		// crypto/tls reports an alert the server sent this way, such as
		// "tls: certificate required".
		return Failure{Class: FailureTLS, Addr: addr, Cause: "the server ended the TLS handshake: " + opErr.Err.Error()}
	case errors.As(err, &recordErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// net/http turns the TLS record error into that untyped message.
		return Failure{Class: FailureTLS, Addr: addr, Cause: "the server does not speak TLS (is the URL http:// rather than https://?)"}
	case errors.As(err, &dnsErr):
		if addr == "" {
			addr = dnsErr.Name
		}
		return Failure{Class: FailureUnreachable, Addr: addr, Cause: "no such host"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Failure{Class: FailureUnreachable, Addr: addr, Cause: "connection refused"}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return Failure{Class: FailureUnreachable, Addr: addr, Cause: "no route to host"}
	case opErr != nil && opErr.Op == "dial":
		cause := "could not connect"
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			cause = "connecting timed out"
		}
		return Failure{Class: FailureUnreachable, Addr: addr, Cause: cause}
	}
	return Failure{Class: FailureOther, Addr: addr}
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
