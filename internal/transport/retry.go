package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
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
	// RefusedTotalWait caps instead, for a server that cannot be reached
	// (refused, no route, a dial that timed out), the time its attempts
	// and the waits between them take together: nothing listens there,
	// which a restart fixes in a moment or a wrong URL never does, so it is
	// retried briefly and then reported.
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

// NewRetry sends a request again when its failure's class says so
// (failure.Policies): a class whose request never reached the service (no
// connection made, 429) for any request, and a class where the service may
// have acted (a lost connection, a cut answer, 500, 502, 503, 504, 408)
// only for requests that are safe to resend (SafeToResend). A create is
// never sent twice here when it may have been carried out: its caller
// reconciles it with the cloud instead.
//
// Every answer's body is read here, before the answer is handed on, so that
// an answer cut off half way is a failed attempt like a reset and not an
// error its reader meets later. Every request has its own budget of retries
// and waiting, and no wait is started that would outlive the request's
// context. Bodies are replayed through Request.GetBody, which
// http.NewRequest sets for the usual in-memory readers. base nil means
// http.DefaultTransport.
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
	safe := SafeToResend(req)

	// waited is the time spent waiting between attempts, unreachable the
	// time the attempts that could not reach the server took: a dial that
	// times out spends its whole timeout, and the short budget of such a
	// failure counts that too.
	var waited, unreachable time.Duration
	// before describes the failed attempt before this one, for an error
	// that ends the retries without saying what went wrong until then.
	before := ""
	for attempt := 1; ; attempt++ {
		r := req.Clone(context.WithValue(ctx, attemptKey{}, attempt))
		if attempt > 1 && hasBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("%s %s: replaying request body for attempt %d: %w", req.Method, RedactURL(req.URL), attempt, err)
			}
			r.Body = body
		}

		sent := t.opts.Now()
		resp, err := t.base.RoundTrip(r)
		if err == nil {
			if err = readBody(ctx, resp); err == nil && expectsJSON(req) {
				err = checkJSON(resp)
			}
			if err != nil {
				resp = nil
			}
		}
		class, failed := failure.ClassifyAttempt(resp, err)
		policy := failure.Policies[class]
		if failed && policy.ShortBudget {
			unreachable += t.opts.Now().Sub(sent)
		}
		if !failed {
			return resp, nil
		}
		noteAttempt(ctx, req, attempt, resp, err)
		if ctx.Err() != nil {
			if resp != nil {
				// A whole answer came before the caller's time ran out:
				// it says more than the deadline does.
				return resp, t.wrapFinal(req, resp, attempt, nil, "the operation was stopped or ran out of time")
			}
			return nil, t.interrupted(req, attempt, err, before)
		}
		if !Retries(class, safe) {
			return resp, t.wrapFinal(req, resp, attempt, err, "")
		}
		if attempt > t.opts.MaxRetries {
			stopped := ""
			if t.opts.MaxRetries > 0 {
				stopped = fmt.Sprintf("max_retries (%d) used up", t.opts.MaxRetries)
			}
			return resp, t.wrapFinal(req, resp, attempt, err, stopped)
		}
		budget, spent := t.opts.MaxTotalWait, waited
		if policy.ShortBudget {
			budget, spent = min(budget, t.opts.RefusedTotalWait), waited+unreachable
		}
		delay, stop := t.delay(attempt, resp, budget-spent)
		if stop != "" && policy.ShortBudget {
			stop = fmt.Sprintf("trying to reach the server has taken %s, past the %s allowed before reporting it",
				spent.Round(time.Millisecond), budget)
		}
		if stop == "" && !fitsDeadline(ctx, delay) {
			stop = fmt.Sprintf("waiting %s to try again would outlive the operation's deadline", delay)
			if d, ok := ctx.Deadline(); ok {
				stop += fmt.Sprintf(" (%s left)", time.Until(d).Round(time.Millisecond))
			}
		}
		if stop != "" {
			return resp, t.wrapFinal(req, resp, attempt, err, stop)
		}
		before = describeAttempt(resp, err)
		if resp != nil {
			drainAndClose(resp.Body)
		}
		if err := t.opts.Sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("%s %s: stopped while waiting %s to try again after attempt %d (%s): %w",
				req.Method, RedactURL(req.URL), delay, attempt, before, err)
		}
		waited += delay
	}
}

// Retries reports whether a request that failed in class is sent again,
// as the class's row in failure.Policies says for a request that is safe
// to resend (safe) or one that is not.
func Retries(class failure.Class, safe bool) bool {
	p := failure.Policies[class]
	if safe {
		return p.RetrySafe
	}
	return p.RetryUnsafe == failure.ResentIfNotSent
}

type safeKey struct{}

type recordKey struct{}

// attemptRecord holds the outcome of the latest failed attempt of the
// requests made under one context.
type attemptRecord struct {
	mu   sync.Mutex
	last string
}

// RecordAttempts returns a context under which the retry transport notes
// every failed attempt, and a function that reports the latest one ("" for
// none): what a caller who stops waiting for a shared read can say about
// why it took so long.
func RecordAttempts(ctx context.Context) (context.Context, func() string) {
	r := &attemptRecord{}
	return context.WithValue(ctx, recordKey{}, r), func() string {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.last
	}
}

// noteAttempt records a failed attempt where RecordAttempts asked for it.
func noteAttempt(ctx context.Context, req *http.Request, attempt int, resp *http.Response, err error) {
	r, ok := ctx.Value(recordKey{}).(*attemptRecord)
	if !ok {
		return
	}
	what := fmt.Sprintf("%s %s, attempt %d: %s", req.Method, RedactURL(req.URL), attempt, describeAttempt(resp, err))
	r.mu.Lock()
	r.last = what
	r.mu.Unlock()
}

type jsonKey struct{}

// ExpectJSON marks the requests made with the context as expecting a JSON
// body in a 2xx answer (other than 204): the retry transport treats one
// that is empty or not JSON as a failed attempt, sent again when the
// request is safe to resend, instead of handing it on to a decoder that
// would fail or, worse, take nothing for an answer.
func ExpectJSON(ctx context.Context) context.Context {
	return context.WithValue(ctx, jsonKey{}, true)
}

// expectsJSON reports whether req was made under ExpectJSON.
func expectsJSON(req *http.Request) bool {
	marked, _ := req.Context().Value(jsonKey{}).(bool)
	return marked
}

// checkJSON fails a 2xx answer read into memory whose body is empty or
// not JSON.
func checkJSON(resp *http.Response) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		return &failure.BadBodyError{Status: resp.StatusCode, Empty: true}
	}
	buf, ok := resp.Body.(bufferedBody)
	if !ok {
		// Not read into memory (too large to hold): its reader decodes it.
		return nil
	}
	data := buf.Bytes()
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return &failure.BadBodyError{Status: resp.StatusCode, Empty: true}
	case !json.Valid(data):
		return &failure.BadBodyError{Status: resp.StatusCode, Err: fmt.Errorf("%d bytes of %s", len(data), contentType(resp.Header.Get("Content-Type")))}
	}
	return nil
}

// bufferedBody is an answer's body that readBody read into memory.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (bufferedBody) Close() error { return nil }

// Bytes is the whole body, whatever has been read of it.
func (b bufferedBody) Bytes() []byte { return b.data }

// MarkSafeToResend marks the requests made with the context as safe to
// resend although they are not GETs: the Keystone login, a POST that sends
// the same credentials again and only issues a token.
func MarkSafeToResend(ctx context.Context) context.Context {
	return context.WithValue(ctx, safeKey{}, true)
}

// SafeToResend reports whether a request may be sent again although the
// first copy may have reached the server: a GET, HEAD or OPTIONS; a DELETE,
// which the provider sends only for one sharing, whose second copy finds
// it gone; and a request marked with MarkSafeToResend. A sharing create is
// not: sent twice, it may share the backup twice.
func SafeToResend(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodDelete, "":
		return true
	}
	marked, _ := req.Context().Value(safeKey{}).(bool)
	return marked
}

// readBody reads the answer's body into memory, so that a cut answer is
// found here, where it can be sent again, and the caller decodes from
// memory. Pages of sharings are small; an answer announcing more than
// maxBuffered bytes is passed on unread.
func readBody(ctx context.Context, resp *http.Response) error {
	if resp.Body == nil || resp.Body == http.NoBody || resp.ContentLength > maxBuffered {
		return nil
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("reading the HTTP %d answer: %w", resp.StatusCode, ctxErr)
		}
		return &failure.BodyError{Status: resp.StatusCode, Read: n, Length: resp.ContentLength, Err: err}
	}
	resp.Body = bufferedBody{Reader: bytes.NewReader(buf.Bytes()), data: buf.Bytes()}
	return nil
}

// maxBuffered bounds the answers readBody holds in memory.
const maxBuffered = 64 << 20

// fitsDeadline reports whether a wait of d still leaves the context alive.
// A wait that would outlive it ends in a bare deadline error, which tells the
// caller less than the response (or error) already in hand.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

// wrapFinal ends the retries. A transport error says how many attempts it
// took and why they stopped; an error answer goes back to its reader (which
// turns it into the API error) with the same facts in AttemptsHeader and
// StoppedHeader.
func (t *retryTransport) wrapFinal(req *http.Request, resp *http.Response, attempt int, err error, stopped string) error {
	if resp != nil {
		if attempt > 1 || stopped != "" {
			resp.Header = resp.Header.Clone()
			if resp.Header == nil {
				resp.Header = http.Header{}
			}
			resp.Header.Set(failure.AttemptsHeader, strconv.Itoa(attempt))
			if stopped != "" {
				resp.Header.Set(failure.StoppedHeader, stopped)
			}
		}
		return err
	}
	if err == nil || (attempt == 1 && stopped == "") {
		return err
	}
	why := ""
	if stopped != "" {
		why = " (" + stopped + ")"
	}
	return fmt.Errorf("%s %s: giving up after %s%s: %w", req.Method, RedactURL(req.URL), plural(attempt, "attempt"), why, err)
}

// interrupted ends the retries when the caller's context ended during an
// attempt, naming what the attempt before it met: a deadline alone does not
// say why the time ran out.
func (t *retryTransport) interrupted(req *http.Request, attempt int, err error, before string) error {
	if err == nil {
		err = req.Context().Err()
	}
	if attempt == 1 || before == "" {
		return err
	}
	return fmt.Errorf("%s %s: attempt %d of the request did not finish: %w; attempt %d before it: %s",
		req.Method, RedactURL(req.URL), attempt, err, attempt-1, before)
}

// describeAttempt says in a few words how an attempt failed.
func describeAttempt(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	if id := requestID(resp.Header); id != "" {
		return fmt.Sprintf("HTTP %d (request ID %s)", resp.StatusCode, id)
	}
	return fmt.Sprintf("HTTP %d", resp.StatusCode)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// delay picks the wait before the next attempt, or says why there is none.
func (t *retryTransport) delay(attempt int, resp *http.Response, remaining time.Duration) (time.Duration, string) {
	if remaining <= 0 {
		return 0, "the retry budget of waiting is used up"
	}
	if resp != nil {
		if d, ok := retryAfter(resp.Header, t.opts.Now); ok {
			// The server named its time; a shorter wait would only earn
			// another refusal, so past the budget there is no point.
			if d > remaining {
				return d, fmt.Sprintf("the server asked to wait %s (Retry-After), more than the retry budget allows", d)
			}
			return d, ""
		}
	}
	ceiling := t.opts.MaxDelay
	if shift := attempt - 1; shift < 62 {
		if d := t.opts.BaseDelay << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	d := time.Duration(t.opts.Rand() * float64(ceiling))
	return min(d, remaining), ""
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

// drainAndClose lets the connection be reused; the cap stops a large error
// page from being read only to be thrown away.
func drainAndClose(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
