package transport

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
)

// sleepRecorder stands in for RetryOptions.Sleep: it returns at once and
// remembers what it was asked to wait.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func (s *sleepRecorder) Total() time.Duration {
	var sum time.Duration
	for _, w := range s.Waits() {
		sum += w
	}
	return sum
}

func half() float64 { return 0.5 }

// scripted serves the given statuses in order (the last one repeats), with
// "attempt N" as the body, and counts the requests it saw.
type scripted struct {
	t        *testing.T
	statuses []int
	headers  func(n int, h http.Header)
	wantBody string
	count    atomic.Int32
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.count.Add(1))
	body, _ := io.ReadAll(r.Body)
	if string(body) != s.wantBody {
		s.t.Errorf("attempt %d: server got body %q, want %q", n, body, s.wantBody)
	}
	status := s.statuses[min(n, len(s.statuses))-1]
	if s.headers != nil {
		s.headers(n, w.Header())
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "attempt %d", n)
}

func do(t *testing.T, rt http.RoundTripper, method, url, body string) (*http.Response, string, error) {
	t.Helper()
	return doCtx(t, context.Background(), rt, method, url, body)
}

func doCtx(t *testing.T, ctx context.Context, rt http.RoundTripper, method, url, body string) (*http.Response, string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func TestRetryAfterSeconds(t *testing.T) {
	s := &scripted{t: t, statuses: []int{429, 200}, headers: func(n int, h http.Header) {
		if n == 1 {
			h.Set("Retry-After", "7")
		}
	}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	sl := &sleepRecorder{}
	rt := NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep, Rand: half})

	resp, body, err := do(t, rt, http.MethodGet, srv.URL+"/x", "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body != "attempt 2" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if w := sl.Waits(); len(w) != 1 || w[0] != 7*time.Second {
		t.Errorf("waits = %v, want [7s] (Retry-After beats backoff, even past MaxDelay)", w)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	serverNow := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		withDate bool
		want     time.Duration
	}{
		// Measured against the response's Date: our clock is an hour off
		// and must not matter.
		{"against Date header", true, 12 * time.Second},
		// Without a Date header, our own clock (RetryOptions.Now) is used.
		{"against local clock", false, 12 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{t: t, statuses: []int{503, 200}, headers: func(n int, h http.Header) {
				if n == 1 {
					h.Set("Retry-After", serverNow.Add(12*time.Second).Format(http.TimeFormat))
					if tc.withDate {
						h.Set("Date", serverNow.Format(http.TimeFormat))
					} else {
						h["Date"] = nil // net/http adds one otherwise
					}
				}
			}}
			srv := httptest.NewServer(s)
			defer srv.Close()
			sl := &sleepRecorder{}
			local := serverNow
			if tc.withDate {
				local = serverNow.Add(time.Hour)
			}
			rt := NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep, Rand: half, Now: func() time.Time { return local }})
			resp, _, err := do(t, rt, http.MethodGet, srv.URL, "")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("resp %v err %v", resp, err)
			}
			if w := sl.Waits(); len(w) != 1 || w[0] != tc.want {
				t.Errorf("waits = %v, want [%s]", w, tc.want)
			}
		})
	}
}

func TestRetryAfterInThePastMeansNow(t *testing.T) {
	s := &scripted{t: t, statuses: []int{503, 200}, headers: func(n int, h http.Header) {
		h.Set("Retry-After", "Mon, 02 Jan 2006 15:04:05 GMT")
	}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	sl := &sleepRecorder{}
	if _, _, err := do(t, NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep}), http.MethodGet, srv.URL, ""); err != nil {
		t.Fatal(err)
	}
	if w := sl.Waits(); len(w) != 1 || w[0] != 0 {
		t.Errorf("waits = %v, want [0]", w)
	}
}

func TestRetry503TwiceThen200(t *testing.T) {
	s := &scripted{t: t, statuses: []int{503, 503, 200}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	sl := &sleepRecorder{}
	rt := NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep, Rand: half, BaseDelay: 100 * time.Millisecond})
	resp, body, err := do(t, rt, http.MethodGet, srv.URL, "")
	if err != nil || resp.StatusCode != 200 || body != "attempt 3" {
		t.Fatalf("got %v %q %v", resp, body, err)
	}
	// Full jitter with Rand = 0.5: half of 100ms, then half of 200ms.
	want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}
	if w := sl.Waits(); fmt.Sprint(w) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", w, want)
	}
}

func TestBackoffGrowsAndIsCappedByMaxDelay(t *testing.T) {
	s := &scripted{t: t, statuses: []int{502}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	sl := &sleepRecorder{}
	rt := NewRetry(srv.Client().Transport, RetryOptions{
		MaxRetries: 6, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxTotalWait: time.Hour,
		Sleep: sl.Sleep, Rand: func() float64 { return 1 },
	})
	if _, _, err := do(t, rt, http.MethodGet, srv.URL, ""); err != nil {
		t.Fatal(err)
	}
	want := "[100ms 200ms 400ms 800ms 1s 1s]"
	if got := fmt.Sprint(sl.Waits()); got != want {
		t.Errorf("waits = %s, want %s", got, want)
	}
}

// A 500 on a read is retried (gateways answer 500 for passing faults), but
// not on a POST, which the server may have acted on; 501 never is.
func TestServerErrorRetriedOnlyForReads(t *testing.T) {
	for _, tc := range []struct {
		method   string
		status   int
		attempts int32
	}{
		{http.MethodGet, 500, 2},
		{http.MethodPost, 500, 1},
		{http.MethodGet, 501, 1},
	} {
		s := &scripted{t: t, statuses: []int{tc.status, 200}}
		srv := httptest.NewServer(s)
		sl := &sleepRecorder{}
		resp, _, err := do(t, NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep}), tc.method, srv.URL, "")
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if n := s.count.Load(); n != tc.attempts {
			t.Errorf("%s answered %d: %d attempts, want %d (final status %d)", tc.method, tc.status, n, tc.attempts, resp.StatusCode)
		}
	}
}

func TestPermanent503StopsAfterMaxRetries(t *testing.T) {
	s := &scripted{t: t, statuses: []int{503}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	sl := &sleepRecorder{}
	rt := NewRetry(srv.Client().Transport, RetryOptions{MaxRetries: 3, Sleep: sl.Sleep, Rand: half})
	resp, body, err := do(t, rt, http.MethodGet, srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || body != "attempt 4" {
		t.Errorf("got %d %q, want the last response (503, attempt 4)", resp.StatusCode, body)
	}
	if n := s.count.Load(); n != 4 || len(sl.Waits()) != 3 {
		t.Errorf("%d attempts and %d waits, want 4 and 3", n, len(sl.Waits()))
	}
}

func TestRetriesDisabled(t *testing.T) {
	s := &scripted{t: t, statuses: []int{503}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, _, err := do(t, NewRetry(srv.Client().Transport, RetryOptions{MaxRetries: -1}), http.MethodGet, srv.URL, "")
	if err != nil || resp.StatusCode != 503 || s.count.Load() != 1 {
		t.Fatalf("got %v %v after %d attempts", resp, err, s.count.Load())
	}
}

func TestNonIdempotentMethods(t *testing.T) {
	const payload = `{"shared":{"backup_id":"b"}}`
	for _, tc := range []struct {
		method       string
		status       int
		wantAttempts int32
	}{
		{http.MethodPost, 429, 2},
		{http.MethodPost, 503, 1},
		{http.MethodPost, 502, 1},
		{http.MethodPost, 504, 1},
		{http.MethodPut, 502, 1},
		{http.MethodPatch, 429, 2},
		{http.MethodDelete, 502, 2},
		{http.MethodDelete, 504, 2},
		{http.MethodHead, 504, 2},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.method, tc.status), func(t *testing.T) {
			body := payload
			if tc.method == http.MethodDelete || tc.method == http.MethodHead {
				body = ""
			}
			s := &scripted{t: t, statuses: []int{tc.status, 200}, wantBody: body}
			srv := httptest.NewServer(s)
			defer srv.Close()
			sl := &sleepRecorder{}
			if _, _, err := do(t, NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep}), tc.method, srv.URL, body); err != nil {
				t.Fatal(err)
			}
			if n := s.count.Load(); n != tc.wantAttempts {
				t.Errorf("%d attempts, want %d", n, tc.wantAttempts)
			}
		})
	}
}

// closingServer drops the connection of the first `drops` requests without
// answering, by hijacking it; with reset it sends a TCP RST instead of FIN.
func closingServer(t *testing.T, drops int32, reset bool) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= drops {
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("response writer cannot hijack")
				return
			}
			conn, _, err := hj.Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			if tcp, ok := conn.(*net.TCPConn); ok && reset {
				_ = tcp.SetLinger(0)
			}
			conn.Close()
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	return srv, &n
}

func TestConnectionDroppedRetriedOnGET(t *testing.T) {
	for _, reset := range []bool{false, true} {
		t.Run(fmt.Sprintf("reset=%v", reset), func(t *testing.T) {
			srv, n := closingServer(t, 2, reset)
			defer srv.Close()
			sl := &sleepRecorder{}
			resp, body, err := do(t, NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep}), http.MethodGet, srv.URL, "")
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || body != "ok" || n.Load() != 3 {
				t.Errorf("got %d %q after %d attempts", resp.StatusCode, body, n.Load())
			}
			if len(sl.Waits()) != 2 {
				t.Errorf("retry transport waited %d times, want 2 (net/http must not be the one retrying)", len(sl.Waits()))
			}
		})
	}
}

// The server may have acted on a POST whose connection died before the
// answer, so it must not be sent twice.
func TestConnectionDroppedNotRetriedOnPOST(t *testing.T) {
	srv, n := closingServer(t, 1, true)
	defer srv.Close()
	_, _, err := do(t, NewRetry(srv.Client().Transport, RetryOptions{Sleep: (&sleepRecorder{}).Sleep}), http.MethodPost, srv.URL, "{}")
	if err == nil {
		t.Fatal("want an error")
	}
	if n.Load() != 1 {
		t.Errorf("%d attempts, want 1", n.Load())
	}
}

// refusedAddr is a loopback address where nothing listens.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A refused connection never reached the server, so even a POST is resent.
func TestConnectionRefusedRetriedForPOST(t *testing.T) {
	sl := &sleepRecorder{}
	rt := NewRetry(http.DefaultTransport, RetryOptions{MaxRetries: 2, Sleep: sl.Sleep})
	_, _, err := do(t, rt, http.MethodPost, "http://"+refusedAddr(t)+"/", "{}")
	if err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want ECONNREFUSED", err)
	}
	if n := len(sl.Waits()); n != 2 {
		t.Errorf("%d waits, want 2", n)
	}
	if !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Errorf("err = %v, want it to say how many attempts were made", err)
	}
}

// Where nothing listens the retries stop within RefusedTotalWait (3 s by
// default), however many retries are allowed; a 503 keeps the whole budget.
func TestConnectionRefusedGivesUpWithinItsOwnBudget(t *testing.T) {
	longest := func() float64 { return 1 }
	sl := &sleepRecorder{}
	rt := NewRetry(http.DefaultTransport, RetryOptions{MaxRetries: 20, Sleep: sl.Sleep, Rand: longest})
	_, _, err := do(t, rt, http.MethodGet, "http://"+refusedAddr(t)+"/", "")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want ECONNREFUSED", err)
	}
	if total := sl.Total(); total > 3*time.Second || len(sl.Waits()) < 2 {
		t.Errorf("refused: waited %v in %d waits, want a few waits of at most 3s in all", total, len(sl.Waits()))
	}

	srv := httptest.NewServer(&scripted{t: t, statuses: []int{503}})
	defer srv.Close()
	sl = &sleepRecorder{}
	rt = NewRetry(srv.Client().Transport, RetryOptions{MaxRetries: 20, Sleep: sl.Sleep, Rand: longest})
	if _, _, err := do(t, rt, http.MethodGet, srv.URL, ""); err != nil {
		t.Fatal(err)
	}
	if total := sl.Total(); total <= 3*time.Second {
		t.Errorf("503: waited %v in all; the refused-connection budget must not apply", total)
	}
}

// Cancelling during a wait ends the wait: the real sleep runs, told to wait
// 30 s, and the test cancels once it has started. A transport that ignored
// the cancellation would make this test take 30 s and fail on the error.
func TestCancelDuringWaitReturnsPromptly(t *testing.T) {
	s := &scripted{t: t, statuses: []int{429}, headers: func(_ int, h http.Header) { h.Set("Retry-After", "30") }}
	srv := httptest.NewServer(s)
	defer srv.Close()
	waiting := make(chan struct{})
	rt := NewRetry(srv.Client().Transport, RetryOptions{Sleep: func(ctx context.Context, d time.Duration) error {
		close(waiting)
		return sleepContext(ctx, d)
	}})

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-waiting
		cancel()
	}()
	_, _, err := doCtx(t, ctx, rt, http.MethodGet, srv.URL, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "waiting 30s to try again after attempt 1 (HTTP 429)") {
		t.Errorf("err = %v, want it to say what it was waiting for", err)
	}
}

func TestTotalWaitIsBounded(t *testing.T) {
	s := &scripted{t: t, statuses: []int{503}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	sl := &sleepRecorder{}
	rt := NewRetry(srv.Client().Transport, RetryOptions{
		MaxRetries: 50, BaseDelay: time.Second, MaxDelay: 10 * time.Second, MaxTotalWait: 15 * time.Second,
		Sleep: sl.Sleep, Rand: func() float64 { return 0.999 },
	})
	resp, _, err := do(t, rt, http.MethodGet, srv.URL, "")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("got %v %v", resp, err)
	}
	if total := sl.Total(); total > 15*time.Second {
		t.Errorf("waited %s in all, more than MaxTotalWait", total)
	}
	if n := s.count.Load(); n >= 51 {
		t.Errorf("%d attempts: the budget did not stop the retries", n)
	}
}

// A wait that would outlast the caller's deadline is not started: the 429
// is more useful to the caller than a bare "deadline exceeded".
func TestWaitPastDeadlineIsNotStarted(t *testing.T) {
	s := &scripted{t: t, statuses: []int{429}, headers: func(_ int, h http.Header) { h.Set("Retry-After", "30") }}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sl := &sleepRecorder{}
	resp, _, err := doCtx(t, ctx, NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep}), http.MethodGet, srv.URL, "")
	if err != nil || resp.StatusCode != 429 {
		t.Fatalf("got %v %v, want the 429", resp, err)
	}
	if len(sl.Waits()) != 0 {
		t.Errorf("waited %v", sl.Waits())
	}
}

// When the server asks for more than is left of the budget, waiting less
// would only earn another refusal: give the caller the response now.
func TestRetryAfterBeyondBudgetStops(t *testing.T) {
	s := &scripted{t: t, statuses: []int{429}, headers: func(_ int, h http.Header) { h.Set("Retry-After", "300") }}
	srv := httptest.NewServer(s)
	defer srv.Close()
	sl := &sleepRecorder{}
	resp, body, err := do(t, NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep}), http.MethodGet, srv.URL, "")
	if err != nil || resp.StatusCode != 429 || body != "attempt 1" {
		t.Fatalf("got %v %q %v", resp, body, err)
	}
	if len(sl.Waits()) != 0 {
		t.Errorf("waited %v", sl.Waits())
	}
}

func TestConcurrentRequestsHaveTheirOwnBudget(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path]++
		n := seen[r.URL.Path]
		mu.Unlock()
		if n <= 2 {
			w.WriteHeader(503)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()

	// Both requests wait at the same moment, so a shared counter would be
	// at 4 failures by the time either retries.
	var barrier sync.WaitGroup
	barrier.Add(2)
	var once [2]sync.Once
	rt := NewRetry(srv.Client().Transport, RetryOptions{MaxRetries: 2, Rand: half, BaseDelay: time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error {
			who, _ := ctx.Value(whoKey{}).(int)
			once[who].Do(func() { barrier.Done(); barrier.Wait() })
			return nil
		}})

	var wg sync.WaitGroup
	results := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.WithValue(context.Background(), whoKey{}, i)
			resp, body, err := doCtx(t, ctx, rt, http.MethodGet, fmt.Sprintf("%s/r%d", srv.URL, i), "")
			if err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = fmt.Sprintf("%d %s", resp.StatusCode, body)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r != "200 ok" {
			t.Errorf("request %d: %s, want 200 ok after its own two retries", i, r)
		}
	}
}

type whoKey struct{}

func TestAttemptNumberInContext(t *testing.T) {
	var got []int
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, Attempt(r.Context()))
		status := 503
		if len(got) == 3 {
			status = 200
		}
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	})
	req, _ := http.NewRequest(http.MethodGet, "https://h/", nil)
	if _, err := NewRetry(base, RetryOptions{Sleep: (&sleepRecorder{}).Sleep}).RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("attempts seen by base = %v", got)
	}
	if Attempt(context.Background()) != 0 {
		t.Error("Attempt outside a retry transport should be 0")
	}
}

type trackedBody struct {
	io.Reader
	closed, drained bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF {
		b.drained = true
	}
	return n, err
}
func (b *trackedBody) Close() error { b.closed = true; return nil }

func TestRetriedResponsesAreDrainedAndClosed(t *testing.T) {
	var bodies []*trackedBody
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b := &trackedBody{Reader: strings.NewReader(`{"error":{"code":"x"}}`)}
		bodies = append(bodies, b)
		status := 503
		if len(bodies) == 3 {
			status = 200
		}
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: b, Request: r}, nil
	})
	req, _ := http.NewRequest(http.MethodGet, "https://h/", nil)
	resp, err := NewRetry(base, RetryOptions{Sleep: (&sleepRecorder{}).Sleep}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bodies[:2] {
		if !b.closed || !b.drained {
			t.Errorf("retried response %d: closed=%v drained=%v", i+1, b.closed, b.drained)
		}
	}
	// The final answer is read here too, to find a cut body before the
	// caller does; the caller reads it whole from memory.
	got, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != `{"error":{"code":"x"}}` || !bodies[2].closed || !bodies[2].drained {
		t.Errorf("final answer: %q, %v; closed=%v drained=%v", got, err, bodies[2].closed, bodies[2].drained)
	}
}

type onceReader struct{ io.Reader }

func (onceReader) Close() error { return nil }

func TestBodyWithoutGetBodyIsAnError(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "https://h/?token=hidden", nil)
	req.Body = onceReader{strings.NewReader("{}")}
	called := false
	_, err := NewRetry(roundTripFunc(func(*http.Request) (*http.Response, error) {
		called = true
		return nil, errors.New("unreachable")
	}), RetryOptions{}).RoundTrip(req)
	if err == nil || called {
		t.Fatalf("err = %v, base called = %v", err, called)
	}
	if strings.Contains(err.Error(), "hidden") {
		t.Errorf("error %q leaks a query secret", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Transport errors are retried as the failure model says: a failure to
// connect for any request, a lost connection only for requests that are
// safe to send twice, and nothing that would fail the same way again.
func TestErrorClassification(t *testing.T) {
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	read := func(err error) error { return &net.OpError{Op: "read", Net: "tcp", Err: err} }
	for _, tc := range []struct {
		name      string
		err       error
		get, post bool
	}{
		{name: "EOF", err: io.EOF, get: true},
		{name: "unexpected EOF", err: fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF), get: true},
		{name: "reset on read", err: read(syscall.ECONNRESET), get: true},
		{name: "cut body", err: &failure.BodyError{Status: 200, Read: 10, Length: 20, Err: io.ErrUnexpectedEOF}, get: true},
		{name: "refused on dial", err: dial(syscall.ECONNREFUSED), get: true, post: true},
		{name: "no route on dial", err: dial(syscall.EHOSTUNREACH), get: true, post: true},
		{name: "route lost on read", err: read(syscall.EHOSTUNREACH), get: true},
		{name: "dial timeout", err: dial(timeoutErr{}), get: true, post: true},
		{name: "dns temporary", err: dial(&net.DNSError{Err: "server misbehaving", Name: "h", IsTemporary: true}), get: true, post: true},
		{name: "dns not found", err: dial(&net.DNSError{Err: "no such host", Name: "h", IsNotFound: true})},
		{name: "context canceled", err: context.Canceled},
		{name: "deadline", err: fmt.Errorf("x: %w", context.DeadlineExceeded)},
		{name: "unknown CA", err: x509.UnknownAuthorityError{}},
		{name: "hostname", err: x509.HostnameError{Host: "h", Certificate: &x509.Certificate{}}},
		{name: "TLS alert from the server", err: &net.OpError{Op: "remote error", Net: "tcp", Err: errors.New("tls: certificate required")}},
		{name: "other", err: errors.New("something else")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			class, failed := failure.ClassifyAttempt(nil, tc.err)
			if !failed {
				t.Fatal("not a failure")
			}
			if got := Retries(class, true); got != tc.get {
				t.Errorf("GET (%s): retry = %v, want %v", class, got, tc.get)
			}
			if got := Retries(class, false); got != tc.post {
				t.Errorf("POST (%s): retry = %v, want %v", class, got, tc.post)
			}
		})
	}
}

// A dial that times out spends the dialer's whole timeout; the short
// budget of a server that cannot be reached counts that time, so such a
// server is reported after one slow attempt, not after max_retries of them.
// The clock is a fake one that each attempt moves on by the dial timeout.
func TestDialTimeoutsSpendTheShortBudget(t *testing.T) {
	var (
		now      = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
		attempts int
	)
	slowDial := roundTripFunc(func(*http.Request) (*http.Response, error) {
		attempts++
		now = now.Add(30 * time.Second)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}
	})
	sl := &sleepRecorder{}
	rt := NewRetry(slowDial, RetryOptions{MaxRetries: 5, Sleep: sl.Sleep, Now: func() time.Time { return now }})
	_, _, err := do(t, rt, http.MethodPost, "http://10.255.255.1/v2/p/os-vendor-backup-sharing", "{}")
	if err == nil {
		t.Fatal("want an error")
	}
	if attempts != 1 || len(sl.Waits()) != 0 {
		t.Errorf("%d attempts and %d waits, want 1 attempt and no wait: one dial timeout uses up the 3s budget", attempts, len(sl.Waits()))
	}
	if !strings.Contains(err.Error(), "trying to reach the server has taken 30s") {
		t.Errorf("err = %v, want it to say how long reaching the server took", err)
	}
}

// timeoutErr is what a dialer's timeout looks like.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// Safety to resend is the request's, not its method's: GETs and DELETEs
// are safe, a POST only when marked (the Keystone login); a sharing's
// create and other methods are not.
func TestSafeToResend(t *testing.T) {
	marked := MarkSafeToResend(context.Background())
	for _, tc := range []struct {
		ctx         context.Context
		method, url string
		want        bool
	}{
		{context.Background(), http.MethodGet, "https://vbs.example/v2/p/os-vendor-backup-sharing/x", true},
		{context.Background(), http.MethodDelete, "https://vbs.example/v2/p/os-vendor-backup-sharing/x", true},
		{marked, http.MethodPost, "https://iam.example/v3/auth/tokens", true},
		{context.Background(), http.MethodPost, "https://iam.example/v3/auth/tokens", false},
		{context.Background(), http.MethodPost, "https://vbs.example/v2/p/os-vendor-backup-sharing", false},
		{context.Background(), http.MethodPut, "https://vbs.example/v2/p/x", false},
		{context.Background(), http.MethodPatch, "https://vbs.example/v2/p/x", false},
	} {
		req, err := http.NewRequestWithContext(tc.ctx, tc.method, tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := SafeToResend(req); got != tc.want {
			t.Errorf("%s %s (marked %v): safe = %v, want %v", tc.method, tc.url, tc.ctx == marked, got, tc.want)
		}
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }
	for v, want := range map[string]string{
		"":                               "none",
		"0":                              "0s",
		" 5 ":                            "5s",
		"-1":                             "none",
		"soon":                           "none",
		"99999999999999999":              "24h0m0s",
		"Mon, 01 Jan 2024 00:01:00 GMT":  "1m0s",
		"Sunday, 31-Dec-23 00:00:00 GMT": "0s",
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		got := "none"
		if d, ok := retryAfter(h, now); ok {
			got = d.String()
		}
		if got != want {
			t.Errorf("Retry-After %q: %s, want %s", v, got, want)
		}
	}
}

// cuttingServer answers the first `cuts` requests with a 200 whose body
// stops half way (the announced length is never reached) and then "ok".
func cuttingServer(t *testing.T, cuts int32) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > cuts {
			_, _ = io.WriteString(w, "ok")
			return
		}
		w.Header().Set("Content-Length", "20")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"shared":`)
		rc := http.NewResponseController(w)
		if err := rc.Flush(); err != nil {
			t.Error(err)
			return
		}
		conn, _, err := rc.Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	}))
	return srv, &n
}

// An answer cut off half way is as transient as a reset: a read is sent
// again and its caller never sees the cut; a create is not sent again (it
// was carried out) and fails as a cut body, for its caller to reconcile.
func TestCutBodyRetriedForReadsOnly(t *testing.T) {
	srv, n := cuttingServer(t, 2)
	defer srv.Close()
	rt := NewRetry(srv.Client().Transport, RetryOptions{Sleep: (&sleepRecorder{}).Sleep})
	resp, body, err := do(t, rt, http.MethodGet, srv.URL, "")
	if err != nil || resp.StatusCode != 200 || body != "ok" || n.Load() != 3 {
		t.Fatalf("GET: %v %q after %d attempts", err, body, n.Load())
	}

	srv2, n2 := cuttingServer(t, 1)
	defer srv2.Close()
	_, _, err = do(t, NewRetry(srv2.Client().Transport, RetryOptions{Sleep: (&sleepRecorder{}).Sleep}), http.MethodPost, srv2.URL+"/v2/p/os-vendor-backup-sharing", "{}")
	if got := failure.Classify(err).Class; got != failure.CutBody || n2.Load() != 1 {
		t.Fatalf("POST: %v (%s) after %d attempts; want one attempt failing as a cut body", err, got, n2.Load())
	}
}

// The Keystone login, marked safe to resend, is sent again like a read
// when its connection was reset; the same POST unmarked is not.
func TestKeystoneLoginRetriedAfterReset(t *testing.T) {
	srv, n := closingServer(t, 1, true)
	defer srv.Close()
	rt := NewRetry(srv.Client().Transport, RetryOptions{Sleep: (&sleepRecorder{}).Sleep})
	resp, body, err := doCtx(t, MarkSafeToResend(context.Background()), rt, http.MethodPost, srv.URL+"/v3/auth/tokens", `{"auth":{}}`)
	if err != nil || resp.StatusCode != 200 || body != "ok" || n.Load() != 2 {
		t.Fatalf("login: %v %q after %d attempts", err, body, n.Load())
	}
	unmarked, m := closingServer(t, 1, true)
	defer unmarked.Close()
	rt = NewRetry(unmarked.Client().Transport, RetryOptions{Sleep: (&sleepRecorder{}).Sleep})
	if _, _, err := do(t, rt, http.MethodPost, unmarked.URL+"/v3/auth/tokens", `{"auth":{}}`); err == nil || m.Load() != 1 {
		t.Fatalf("unmarked POST: %v after %d attempts, want one attempt and its error", err, m.Load())
	}
}

// endingContext is a context a test ends with the error it chooses.
type endingContext struct {
	context.Context
	done chan struct{}
	err  atomic.Value
}

func (c *endingContext) Done() <-chan struct{} { return c.done }
func (c *endingContext) Err() error {
	if err, ok := c.err.Load().(error); ok {
		return err
	}
	return nil
}
func (c *endingContext) end(err error) { c.err.Store(err); close(c.done) }

// A deadline that ends a request during an attempt says what the attempt
// before met: "timed out" alone would hide the 503s that used the time up.
func TestDeadlineNamesTheAttemptBefore(t *testing.T) {
	ctx := &endingContext{Context: context.Background(), done: make(chan struct{})}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("X-Request-Id", "req-503")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		ctx.end(context.DeadlineExceeded)
		<-r.Context().Done()
	}))
	defer srv.Close()
	_, _, err := doCtx(t, ctx, NewRetry(srv.Client().Transport, RetryOptions{Sleep: (&sleepRecorder{}).Sleep}), http.MethodGet, srv.URL, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if !strings.Contains(err.Error(), "attempt 1 before it: HTTP 503 (request ID req-503)") {
		t.Errorf("err = %v, want it to name the 503 of attempt 1", err)
	}
}

// A request that expects JSON meets a 200 with no body, then a proxy's
// HTML page, then JSON: the first two are failed attempts, sent again for
// a GET and handed on as the not-JSON failure for a create; a request
// that expects nothing in particular takes the first answer as it is.
func TestEmptyAndNonJSONAnswersAreRetriedForSafeRequests(t *testing.T) {
	answers := []string{"", "<html><body>Portal</body></html>", `{"shared": {}}`}
	serve := func() (*httptest.Server, *atomic.Int32) {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, answers[min(int(n.Add(1)), len(answers))-1])
		}))
		t.Cleanup(srv.Close)
		return srv, &n
	}
	sl := &sleepRecorder{}
	srv, n := serve()
	resp, body, err := doCtx(t, ExpectJSON(context.Background()), NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep}), http.MethodGet, srv.URL, "")
	if err != nil || resp.StatusCode != 200 || body != answers[2] || n.Load() != 3 {
		t.Errorf("GET expecting JSON: %v %q after %d attempts, want the JSON after 3", err, body, n.Load())
	}

	srv, n = serve()
	_, _, err = doCtx(t, ExpectJSON(context.Background()), NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep}), http.MethodPost, srv.URL, "{}")
	if f := failure.Classify(err); f.Class != failure.EmptyBody || n.Load() != 1 {
		t.Errorf("POST expecting JSON: %v (%s) after %d attempts, want the empty-body failure after 1", err, f.Class, n.Load())
	}

	srv, n = serve()
	resp, body, err = do(t, NewRetry(srv.Client().Transport, RetryOptions{Sleep: sl.Sleep}), http.MethodGet, srv.URL, "")
	if err != nil || resp.StatusCode != 200 || body != "" || n.Load() != 1 {
		t.Errorf("GET expecting nothing: %v %q after %d attempts, want the empty answer after 1", err, body, n.Load())
	}
}
