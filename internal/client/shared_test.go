package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
)

// joins tells a test how many callers wait on each key's fetch.
type joins struct {
	mu      sync.Mutex
	waiters map[string]int
	// total counts every caller that joined a key, including those gone.
	total   map[string]int
	changed chan struct{}
}

// sharedClient returns a client whose shared reads report each caller that
// starts waiting.
func sharedClient(t *testing.T) (*Client, *joins) {
	t.Helper()
	c, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	j := &joins{waiters: map[string]int{}, total: map[string]int{}, changed: make(chan struct{}, 1)}
	c.shared.joined = func(key string, waiters int) {
		j.mu.Lock()
		j.waiters[key] = waiters
		j.total[key]++
		j.mu.Unlock()
		select {
		case j.changed <- struct{}{}:
		default:
		}
	}
	return c, j
}

// waitBound bounds every wait of the client's tests: far beyond what any
// takes, far below the test binary's timeout.
const waitBound = 30 * time.Second

// receive waits for a value on ch, within waitBound.
func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitBound):
		t.Fatalf("waited %v for a result", waitBound)
		panic("unreachable")
	}
}

// awaitWaiters blocks until key has n callers waiting on one fetch.
func awaitWaiters(t *testing.T, j *joins, key string, n int) {
	t.Helper()
	j.await(t, fmt.Sprintf("%d callers waiting on %s", n, key), func() bool { return j.waiters[key] >= n })
}

// awaitJoins blocks until n callers have joined key, gone ones included.
func awaitJoins(t *testing.T, j *joins, key string, n int) {
	t.Helper()
	j.await(t, fmt.Sprintf("%d callers joining %s", n, key), func() bool { return j.total[key] >= n })
}

// await blocks until done, which reads the counts under j.mu, holds, or
// fails the test after waitBound.
func (j *joins) await(t *testing.T, what string, done func() bool) {
	t.Helper()
	timeout := time.After(waitBound)
	for {
		j.mu.Lock()
		ok := done()
		j.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-j.changed:
		case <-timeout:
			t.Fatalf("waited %v for %s", waitBound, what)
		}
	}
}

func TestSharedFetchesOncePerKey(t *testing.T) {
	c, joins := sharedClient(t)
	var fetches atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("get:%d", i%4)
			got, err := Shared(context.Background(), c, key, func(context.Context) (string, error) {
				fetches.Add(1)
				<-release
				return key, nil
			})
			if err != nil || got != key {
				t.Errorf("Shared(%q) = %q, %v", key, got, err)
			}
		}()
	}
	for i := range 4 {
		awaitWaiters(t, joins, fmt.Sprintf("get:%d", i), 10)
	}
	close(release)
	wg.Wait()
	if n := fetches.Load(); n != 4 {
		t.Fatalf("40 reads of 4 keys fetched %d times, want 4", n)
	}
	// Finished reads are kept for later callers; Forget drops one.
	if v, _ := Shared(context.Background(), c, "get:1", func(context.Context) (string, error) { return "again", nil }); v != "get:1" {
		t.Errorf("a later read of a kept key fetched again: %q", v)
	}
	c.Forget("get:0")
	if v, _ := Shared(context.Background(), c, "get:0", func(context.Context) (string, error) { return "fresh", nil }); v != "fresh" {
		t.Errorf("Forget kept the old value %q", v)
	}
}

// A caller that gives up returns its own context's error at once, and the
// fetch goes on for the callers still waiting.
func TestSharedCallerCancellationFailsOnlyThatCaller(t *testing.T) {
	c, joins := sharedClient(t)
	release := make(chan struct{})
	fetchErr := make(chan error, 1)
	fetch := func(ctx context.Context) (string, error) {
		<-release
		fetchErr <- ctx.Err()
		return "value", ctx.Err()
	}
	patient := make(chan error, 1)
	go func() {
		v, err := Shared(context.Background(), c, "k", fetch)
		if err == nil && v != "value" {
			err = fmt.Errorf("got %q", v)
		}
		patient <- err
	}()
	awaitWaiters(t, joins, "k", 1)

	ctx, cancel := context.WithCancel(context.Background())
	impatient := make(chan error, 1)
	go func() {
		_, err := Shared(ctx, c, "k", fetch)
		impatient <- err
	}()
	awaitWaiters(t, joins, "k", 2)
	cancel()
	if err := receive(t, impatient); !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled caller got %v, want its own context.Canceled", err)
	}

	close(release)
	if err := receive(t, patient); err != nil {
		t.Errorf("the caller still waiting: %v", err)
	}
	if err := receive(t, fetchErr); err != nil {
		t.Errorf("the fetch saw its context end (%v) although a caller still waited", err)
	}
}

// A caller's deadline is its own too.
func TestSharedCallerDeadline(t *testing.T) {
	c, _ := sharedClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	_, err := Shared(ctx, c, "k", func(ctx context.Context) (int, error) {
		<-ctx.Done() // ends at the deadline of its only waiter
		return 0, ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the caller's context.DeadlineExceeded", err)
	}
}

// When every caller has given up the fetch is cancelled and not kept; the
// next caller fetches anew.
func TestSharedLastCallerGivingUpCancelsTheFetch(t *testing.T) {
	c, joins := sharedClient(t)
	fetchEnded := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Shared(ctx, c, "k", func(ctx context.Context) (int, error) {
			<-ctx.Done()
			fetchEnded <- ctx.Err()
			return 0, fmt.Errorf("request: %w", ctx.Err())
		})
		done <- err
	}()
	awaitWaiters(t, joins, "k", 1)
	cancel()
	if err := receive(t, done); !errors.Is(err, context.Canceled) {
		t.Errorf("caller: %v", err)
	}
	if err := receive(t, fetchEnded); !errors.Is(err, context.Canceled) {
		t.Errorf("fetch context: %v, want cancelled once no caller waits", err)
	}
	v, err := Shared(context.Background(), c, "k", func(context.Context) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Errorf("after an abandoned fetch got %d, %v; want a fresh fetch", v, err)
	}
}

// A panic in the fetch reaches every caller waiting for it and leaves the
// key usable.
func TestSharedFetchPanicReachesCallersAndBlocksNoOne(t *testing.T) {
	c, joins := sharedClient(t)
	release := make(chan struct{})
	recovered := make(chan any, 2)
	for range 2 {
		go func() {
			defer func() { recovered <- recover() }()
			_, _ = Shared(context.Background(), c, "k", func(context.Context) (int, error) {
				<-release
				panic("boom")
			})
		}()
	}
	awaitWaiters(t, joins, "k", 2)
	close(release)
	for range 2 {
		p := receive(t, recovered)
		err, ok := p.(error)
		if !ok || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "shared_test.go") {
			t.Errorf("caller recovered %v; want the fetch's panic with its stack", p)
		}
	}
	v, err := Shared(context.Background(), c, "k", func(context.Context) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Errorf("after a panic got %d, %v; want a fresh fetch", v, err)
	}
}

// Only definite answers are kept for the rest of the command: a 404, a
// 403, a refused login and an error nothing foresaw fail the same way for
// the next caller and cost one fetch; a 503, a 429 or a lost connection
// that used up its retries is fetched again by the next caller.
func TestSharedKeepsFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		kept bool
	}{
		"404":             {&vbs.APIError{StatusCode: http.StatusNotFound}, true},
		"403":             {&vbs.APIError{StatusCode: http.StatusForbidden}, true},
		"refused login":   {&AuthError{AuthURL: "https://iam/v3/", Err: &vbs.APIError{StatusCode: http.StatusUnauthorized}}, true},
		"unforeseen":      {errors.New("keystone returned a token that is not scoped to a project"), true},
		"503":             {&vbs.APIError{StatusCode: http.StatusServiceUnavailable}, false},
		"429":             {&vbs.APIError{StatusCode: http.StatusTooManyRequests}, false},
		"connection lost": {&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, false},
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := sharedClient(t)
			var fetches atomic.Int64
			for range 3 {
				_, err := Shared(context.Background(), c, "k", func(context.Context) (int, error) {
					fetches.Add(1)
					return 0, tc.err
				})
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
			}
			want := int64(3)
			if tc.kept {
				want = 1
			}
			if n := fetches.Load(); n != want {
				t.Errorf("fetched %d times for 3 callers, want %d", n, want)
			}
		})
	}
}

// The fetch runs under the latest deadline of the callers still waiting: a
// caller with more time is not cut short by one with less, a caller with no
// deadline lifts it, and a caller that leaves takes its time with it.
func TestSharedFetchRunsUnderTheLatestDeadline(t *testing.T) {
	c, joins := sharedClient(t)
	now := time.Now()
	early, late := now.Add(time.Hour), now.Add(2*time.Hour)
	fetchCtx := make(chan context.Context, 1)
	release := make(chan struct{})
	call := func(ctx context.Context, results chan<- error) {
		_, err := Shared(ctx, c, "k", func(ctx context.Context) (int, error) {
			fetchCtx <- ctx
			<-release
			return 1, nil
		})
		results <- err
	}
	wantDeadline := func(ctx context.Context, want time.Time, step string) {
		t.Helper()
		got, ok := ctx.Deadline()
		if want.IsZero() {
			if ok {
				t.Errorf("%s: deadline %v, want none", step, got)
			}
			return
		}
		if !ok || !got.Equal(want) {
			t.Errorf("%s: deadline %v (%v), want %v", step, got, ok, want)
		}
	}

	results := make(chan error, 3)
	earlyCtx, cancelEarly := context.WithDeadline(context.Background(), early)
	defer cancelEarly()
	go call(earlyCtx, results)
	ctx := receive(t, fetchCtx)
	wantDeadline(ctx, early, "one caller")

	lateCtx, cancelLate := context.WithDeadline(context.Background(), late)
	go call(lateCtx, results)
	awaitJoins(t, joins, "k", 2)
	wantDeadline(ctx, late, "a later deadline joined")

	cancelLate()
	if err := receive(t, results); !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that gave up got %v", err)
	}
	wantDeadline(ctx, early, "the later caller left")

	go call(context.Background(), results)
	awaitJoins(t, joins, "k", 3)
	wantDeadline(ctx, time.Time{}, "a caller without a deadline joined")
	if ctx.Err() != nil {
		t.Fatalf("the fetch's context ended while callers wait: %v", ctx.Err())
	}

	close(release)
	for range 2 {
		if err := receive(t, results); err != nil {
			t.Error(err)
		}
	}
}

// The fetch's context ends when the latest deadline passes, with
// context.DeadlineExceeded, and not at a deadline that has moved on.
func TestFlightContextEndsAtItsDeadline(t *testing.T) {
	ctx := newFlightContext(context.Background())
	ctx.setDeadline(time.Now().Add(time.Hour))
	ctx.setDeadline(time.Now().Add(-time.Second))
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("err %v, want context.DeadlineExceeded", ctx.Err())
	}

	moved := newFlightContext(context.Background())
	moved.setDeadline(time.Now().Add(-time.Second))
	<-moved.Done()
	moved.setDeadline(time.Now().Add(time.Hour))
	if !errors.Is(moved.Err(), context.DeadlineExceeded) {
		t.Fatalf("an ended context came back to life: %v", moved.Err())
	}

	lifted := newFlightContext(context.Background())
	lifted.setDeadline(time.Now().Add(time.Hour))
	lifted.setDeadline(time.Time{})
	if _, ok := lifted.Deadline(); ok || lifted.Err() != nil {
		t.Fatal("a lifted deadline still counts")
	}
	lifted.cancel()
	if !errors.Is(lifted.Err(), context.Canceled) {
		t.Fatalf("err %v after cancel", lifted.Err())
	}
}

// ForgetPrefix drops every kept read under the prefix and no other.
func TestForgetPrefixDropsKeptReads(t *testing.T) {
	c, _ := sharedClient(t)
	keys := []string{"list:0:", "list:5:?share_to_me=true", "sharing:s1"}
	for _, key := range keys {
		if _, err := Shared(context.Background(), c, key, func(context.Context) (string, error) { return "old", nil }); err != nil {
			t.Fatal(err)
		}
	}
	c.ForgetPrefix("list:")
	for _, key := range keys {
		got, err := Shared(context.Background(), c, key, func(context.Context) (string, error) { return "new", nil })
		want := "new"
		if strings.HasPrefix(key, "sharing:") {
			want = "old"
		}
		if err != nil || got != want {
			t.Errorf("%s after ForgetPrefix: %q, %v; want %q", key, got, err, want)
		}
	}
}

// A fetch in flight when its key is forgotten may have read before the
// change: its caller gets it, but a caller that comes after the change
// starts a fetch of its own, and the old result is not kept over the new
// one.
func TestForgetPrefixRetiresAFetchInFlight(t *testing.T) {
	c, _ := sharedClient(t)
	// How many callers wait on the flight each new caller joins.
	joined := make(chan int, 2)
	c.shared.joined = func(_ string, waiters int) { joined <- waiters }
	release := make(chan struct{})
	before := make(chan string, 1)
	go func() {
		v, _ := Shared(context.Background(), c, "list:0:", func(context.Context) (string, error) {
			<-release
			return "before the change", nil
		})
		before <- v
	}()
	receive(t, joined)
	c.ForgetPrefix("list:")

	after := make(chan string, 1)
	go func() {
		v, _ := Shared(context.Background(), c, "list:0:", func(context.Context) (string, error) { return "after the change", nil })
		after <- v
	}()
	if waiters := receive(t, joined); waiters != 1 {
		t.Errorf("a read after the change joined the fetch from before it (%d waiters)", waiters)
	}
	if v := receive(t, after); v != "after the change" {
		t.Errorf("the caller after the change got %q", v)
	}
	// The fetch from before the change ends last, as it would if it were
	// slow, and must not replace what was read after.
	close(release)
	if v := receive(t, before); v != "before the change" {
		t.Errorf("the caller from before the change got %q", v)
	}
	kept, _ := Shared(context.Background(), c, "list:0:", func(context.Context) (string, error) { return "fetched again", nil })
	if kept != "after the change" {
		t.Errorf("kept %q; want the read made after the change", kept)
	}
}
