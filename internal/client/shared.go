package client

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"golang.org/x/sync/singleflight"
)

// sharedReads keeps the reads of one provider process, which serves one
// Terraform command: the same sharing named by several data sources, or the
// same list filters, cost one request. Concurrent callers share one fetch
// through singleflight; a finished fetch is kept for later callers.
type sharedReads struct {
	group singleflight.Group

	mu sync.Mutex
	// kept holds finished reads worth reusing.
	kept map[string]sharedResult
	// flights holds the fetch in progress per key with its waiters. It and
	// group's keys change together, under mu, so a caller never joins a
	// fetch that no waiter wants any more.
	flights map[string]*flight
	// joined, when set, is told of each caller that starts waiting. Tests
	// use it to know every caller is in before they let a fetch finish.
	joined func(key string, waiters int)
}

type sharedResult struct {
	value any
	err   error
}

// flight is one fetch in progress. Its context is cancelled when its last
// waiter gives up, never by one waiter alone.
type flight struct {
	ctx     context.Context
	cancel  context.CancelFunc
	waiters int
}

// Shared returns the result of fetch for key, calling fetch at most once per
// provider process however many callers ask, concurrently or later.
//
// Each caller waits on its own context and returns its own ctx.Err() when
// that ends first. The fetch runs on a context that keeps the first
// caller's values but not its cancellation or deadline, and is cancelled
// only when no caller waits any more; the next caller then fetches anew. A
// fetch that ended in a cancellation or a panic is not kept. A panic in
// fetch is raised again in every caller waiting for it, with the fetch's
// stack, so it surfaces like any other provider bug and blocks no one.
//
// Only reads that cannot see their own writes belong here: resources read
// fresh, and call Forget after a change.
func Shared[T any](ctx context.Context, c *Client, key string, fetch func(context.Context) (T, error)) (T, error) {
	s := &c.shared
	s.mu.Lock()
	if r, ok := s.kept[key]; ok {
		s.mu.Unlock()
		return result[T](r)
	}
	f := s.flights[key]
	if f == nil {
		if s.flights == nil {
			s.flights = map[string]*flight{}
		}
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{ctx: fctx, cancel: cancel}
		s.flights[key] = f
	}
	f.waiters++
	ch := s.group.DoChan(key, func() (any, error) {
		return s.run(key, f, func(ctx context.Context) (any, error) { return fetch(ctx) })
	})
	if s.joined != nil {
		s.joined(key, f.waiters)
	}
	s.mu.Unlock()

	select {
	case r := <-ch:
		s.leave(key, f, false)
		if p, ok := r.Err.(*fetchPanic); ok {
			panic(p)
		}
		return result[T](sharedResult{value: r.Val, err: r.Err})
	case <-ctx.Done():
		s.leave(key, f, true)
		var zero T
		return zero, ctx.Err()
	}
}

// run calls fetch for the flight, turns a panic into a value singleflight
// can deliver, and records the outcome.
func (s *sharedReads) run(key string, f *flight, fetch func(context.Context) (any, error)) (value any, err error) {
	defer func() {
		if p := recover(); p != nil {
			value, err = nil, &fetchPanic{value: p, stack: debug.Stack()}
		}
		s.finish(key, f, sharedResult{value: value, err: err})
	}()
	return fetch(f.ctx)
}

// finish keeps a result worth reusing and retires the flight, so that no
// later caller joins it.
func (s *sharedReads) finish(key string, f *flight, r sharedResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p *fetchPanic
	if !errors.As(r.err, &p) && !errors.Is(r.err, context.Canceled) && !errors.Is(r.err, context.DeadlineExceeded) {
		if s.kept == nil {
			s.kept = map[string]sharedResult{}
		}
		s.kept[key] = r
	}
	s.retire(key, f)
}

// leave takes a caller off the flight; the last one to give up cancels it.
func (s *sharedReads) leave(key string, f *flight, gaveUp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.waiters--
	if gaveUp && f.waiters == 0 {
		f.cancel()
		s.retire(key, f)
	}
}

// retire must be called with s.mu held.
func (s *sharedReads) retire(key string, f *flight) {
	if s.flights[key] == f {
		delete(s.flights, key)
		s.group.Forget(key)
	}
}

func result[T any](r sharedResult) (T, error) {
	value, _ := r.value.(T)
	return value, r.err
}

// fetchPanic carries a panic out of a shared fetch to its callers.
type fetchPanic struct {
	value any
	stack []byte
}

func (p *fetchPanic) Error() string {
	return fmt.Sprintf("panic in a shared read: %v\n\n%s", p.value, p.stack)
}

// Forget drops a kept read, after a change that makes it stale.
func (c *Client) Forget(key string) {
	c.shared.mu.Lock()
	delete(c.shared.kept, key)
	c.shared.mu.Unlock()
}
