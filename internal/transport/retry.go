package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RetryOptions tunes NewRetry. Zero fields take the values of
// DefaultRetryOptions; set MaxRetries below zero to turn retries off.
type RetryOptions struct {
	// MaxRetries is how many times one request may be sent again.
	MaxRetries int
	// BaseDelay and MaxDelay bound the exponential backoff: before retry n
	// the wait is uniform in [0, min(MaxDelay, BaseDelay*2^(n-1))).
	BaseDelay, MaxDelay time.Duration
	// MaxTotalWait caps the sum of all waits for one request. A Retry-After
	// longer than what is left of it ends the retries.
	MaxTotalWait time.Duration
	// RefusedTotalWait caps the waits instead when the connection was
	// refused: nothing listens there, which a restart fixes in a moment or
	// a wrong URL never does, so it is retried briefly and then reported.
	RefusedTotalWait time.Duration
	// Sleep waits d or until ctx is done. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for the jitter. Tests replace it.
	Rand func() float64
	// Now is the clock for a Retry-After date when the response has no Date
	// header to measure it against.
	Now func() time.Time
}

// DefaultRetryOptions returns the options used for zero fields.
func DefaultRetryOptions() RetryOptions {
	return RetryOptions{
		MaxRetries:       5,
		BaseDelay:        500 * time.Millisecond,
		MaxDelay:         30 * time.Second,
		MaxTotalWait:     2 * time.Minute,
		RefusedTotalWait: 3 * time.Second,
		Sleep:            sleepContext,
		Rand:             rand.Float64,
		Now:              time.Now,
	}
}

func (o RetryOptions) withDefaults() RetryOptions {
	d := DefaultRetryOptions()
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = d.MaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = d.BaseDelay
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = d.MaxDelay
	}
	if o.MaxTotalWait <= 0 {
		o.MaxTotalWait = d.MaxTotalWait
	}
	if o.RefusedTotalWait <= 0 {
		o.RefusedTotalWait = d.RefusedTotalWait
	}
	if o.Sleep == nil {
		o.Sleep = d.Sleep
	}
	if o.Rand == nil {
		o.Rand = d.Rand
	}
	if o.Now == nil {
		o.Now = d.Now
	}
	return o
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type attemptKey struct{}

// Attempt returns which attempt (1 for the first send) the request carrying
// ctx is, or 0 outside a retry transport. Layers below the retry transport,
// such as the logging one, read it from the request's context.
func Attempt(ctx context.Context) int {
	n, _ := ctx.Value(attemptKey{}).(int)
	return n
}

// NewRetry retries requests that failed in a way that is safe and worth
// repeating: 429, 502, 503, 504 and connection failures before any answer
// for GET, HEAD and DELETE; only 429 and 503 (and failures to connect at all)
// for other methods, since those are the only answers that say the server
// did not act. base nil means http.DefaultTransport.
//
// Every request has its own budget of retries and waiting. Bodies are
// replayed through Request.GetBody, which http.NewRequest sets for the usual
// in-memory readers.
func NewRetry(base http.RoundTripper, opts RetryOptions) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &retryTransport{base: base, opts: opts.withDefaults()}
}

type retryTransport struct {
	base http.RoundTripper
	opts RetryOptions
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody && req.GetBody == nil && t.opts.MaxRetries > 0 {
		_ = req.Body.Close()
		return nil, fmt.Errorf("%s %s: request body cannot be replayed for a retry (no GetBody)", req.Method, RedactURL(req.URL))
	}

	var waited time.Duration
	for attempt := 1; ; attempt++ {
		r := req.Clone(context.WithValue(ctx, attemptKey{}, attempt))
		if attempt > 1 && hasBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("%s %s: replaying request body for attempt %d: %w", req.Method, RedactURL(req.URL), attempt, err)
			}
			r.Body = body
		}

		resp, err := t.base.RoundTrip(r)
		reason, retry := retryReason(ctx, req.Method, resp, err)
		if !retry || attempt > t.opts.MaxRetries {
			return resp, t.wrapFinal(req, attempt, err)
		}
		budget := t.opts.MaxTotalWait
		if errors.Is(err, syscall.ECONNREFUSED) {
			budget = min(budget, t.opts.RefusedTotalWait)
		}
		delay, ok := t.delay(attempt, resp, budget-waited)
		if !ok || !fitsDeadline(ctx, delay) {
			return resp, t.wrapFinal(req, attempt, err)
		}
		if resp != nil {
			drainAndClose(resp.Body)
		}
		if err := t.opts.Sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("%s %s: stopped while waiting %s to retry after %s (attempt %d): %w",
				req.Method, RedactURL(req.URL), delay, reason, attempt, err)
		}
		waited += delay
	}
}

// fitsDeadline reports whether a wait of d still leaves the context alive.
// A wait that would outlive it ends in a bare deadline error, which tells the
// caller less than the response (or error) already in hand.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

// wrapFinal says how many attempts a connection error survived; a plain
// first-attempt error is passed through unchanged.
func (t *retryTransport) wrapFinal(req *http.Request, attempt int, err error) error {
	if err == nil || attempt == 1 {
		return err
	}
	return fmt.Errorf("%s %s: giving up after %d attempts: %w", req.Method, RedactURL(req.URL), attempt, err)
}

// delay picks the wait before the next attempt, or reports that the budget
// does not allow one.
func (t *retryTransport) delay(attempt int, resp *http.Response, remaining time.Duration) (time.Duration, bool) {
	if remaining <= 0 {
		return 0, false
	}
	if resp != nil {
		if d, ok := retryAfter(resp.Header, t.opts.Now); ok {
			// The server named its time; a shorter wait would only earn
			// another refusal, so past the budget there is no point.
			return d, d <= remaining
		}
	}
	ceiling := t.opts.MaxDelay
	if shift := attempt - 1; shift < 62 {
		if d := t.opts.BaseDelay << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	d := time.Duration(t.opts.Rand() * float64(ceiling))
	return min(d, remaining), true
}

// retryAfter reads Retry-After as delay-seconds or an HTTP date. A date is
// measured against the response's own Date header when there is one, which
// makes it immune to skew between our clock and the server's.
func retryAfter(h http.Header, now func() time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // beyond any budget; avoids overflow
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	ref := now()
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		ref = date
	}
	return max(at.Sub(ref), 0), true
}

// idempotent methods may be resent even when the first copy may have
// reached the server. PUT is idempotent in HTTP terms but left out: our
// API's PUTs are not promised to be.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodDelete, "":
		return true
	}
	return false
}

func retryReason(ctx context.Context, method string, resp *http.Response, err error) (string, bool) {
	if ctx.Err() != nil {
		return "", false
	}
	if err != nil {
		if idempotent(method) && noAnswer(err) {
			return "connection error: " + err.Error(), true
		}
		if neverConnected(err) {
			return "connection failure: " + err.Error(), true
		}
		return "", false
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return fmt.Sprintf("HTTP %d", resp.StatusCode), true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		// Gateways answer 500 for passing faults too; only resend what is
		// safe to send twice.
		return fmt.Sprintf("HTTP %d", resp.StatusCode), idempotent(method)
	}
	return "", false
}

// noAnswer reports transport errors after which the server may or may not
// have seen the request but sent no response: worth resending only when
// resending is harmless.
func noAnswer(err error) bool {
	if permanent(err) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ETIMEDOUT) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// neverConnected reports a failure to open the connection, so the request
// cannot have reached the server whatever its method.
func neverConnected(err error) bool {
	if permanent(err) {
		return false
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// permanent errors would fail the same way on every attempt: cancellation,
// certificate and TLS protocol failures, and names that do not resolve.
func permanent(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var (
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		dnsErr      *net.DNSError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &recordErr), errors.As(err, &alertErr),
		errors.As(err, &unknownCA), errors.As(err, &hostnameErr), errors.As(err, &invalidErr):
		return true
	case errors.As(err, &dnsErr):
		return dnsErr.IsNotFound
	}
	return false
}

// drainAndClose lets the connection be reused; the cap stops a large error
// page from being read only to be thrown away.
func drainAndClose(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
