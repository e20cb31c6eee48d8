package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// joins tells a test how many callers wait on each key's fetch.
type joins struct {
	mu      sync.Mutex
	waiters map[string]int
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
	j := &joins{waiters: map[string]int{}, changed: make(chan struct{}, 1)}
	c.shared.joined = func(key string, waiters int) {
		j.mu.Lock()
		j.waiters[key] = waiters
		j.mu.Unlock()
		select {
		case j.changed <- struct{}{}:
		default:
		}
	}
	return c, j
}

// awaitWaiters blocks until key has n callers waiting on one fetch.
func awaitWaiters(t *testing.T, j *joins, key string, n int) {
	t.Helper()
	for {
		j.mu.Lock()
		got := j.waiters[key]
		j.mu.Unlock()
		if got >= n {
			return
		}
		<-j.changed
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
	if err := <-impatient; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled caller got %v, want its own context.Canceled", err)
	}

	close(release)
	if err := <-patient; err != nil {
		t.Errorf("the caller still waiting: %v", err)
	}
	if err := <-fetchErr; err != nil {
		t.Errorf("the fetch saw its context end (%v) although a caller still waited", err)
	}
}

// A caller's deadline is its own too.
func TestSharedCallerDeadline(t *testing.T) {
	c, _ := sharedClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	_, err := Shared(ctx, c, "k", func(ctx context.Context) (int, error) {
		<-ctx.Done() // ends only when its last waiter, the caller, gives up
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
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("caller: %v", err)
	}
	if err := <-fetchEnded; !errors.Is(err, context.Canceled) {
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
		p := <-recovered
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

// Failures other than cancellation are kept, so a missing sharing read by
// many data sources costs one request.
func TestSharedKeepsFailures(t *testing.T) {
	c, _ := sharedClient(t)
	var fetches atomic.Int64
	notFound := errors.New("404")
	for range 3 {
		_, err := Shared(context.Background(), c, "k", func(context.Context) (int, error) {
			fetches.Add(1)
			return 0, notFound
		})
		if !errors.Is(err, notFound) {
			t.Fatal(err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
}
