package client

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
	"github.com/vbs-tf/terraform-provider-vbs/internal/transport"
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

// flight is one fetch in progress. Its context ends when its last waiter
// gives up, never by one waiter alone, and its deadline is the latest of
// its waiters'.
type flight struct {
	ctx *flightContext
	// lastAttempt reports the fetch's latest failed attempt, for a caller
	// that stops waiting.
	lastAttempt func() string
	// deadlines holds one entry per waiter: its deadline, or the zero time
	// for a waiter without one.
	deadlines []time.Time
	// stale is set when a change made what the fetch reads out of date
	// while it ran: its callers still get it, but it is not kept.
	stale bool
}

func (f *flight) join(ctx context.Context) {
	d, _ := ctx.Deadline()
	f.deadlines = append(f.deadlines, d)
	f.ctx.setDeadline(latest(f.deadlines))
}

// leave takes one waiter with ctx's deadline off; the flight's deadline
// becomes the latest of those still waiting.
func (f *flight) leave(ctx context.Context) {
	d, _ := ctx.Deadline()
	for i, w := range f.deadlines {
		if w.Equal(d) {
			f.deadlines = append(f.deadlines[:i], f.deadlines[i+1:]...)
			break
		}
	}
	if len(f.deadlines) > 0 {
		f.ctx.setDeadline(latest(f.deadlines))
	}
}

// latest is the latest deadline, or the zero time when a waiter has none.
func latest(deadlines []time.Time) time.Time {
	var last time.Time
	for _, d := range deadlines {
		if d.IsZero() {
			return time.Time{}
		}
		if d.After(last) {
			last = d
		}
	}
	return last
}

// flightContext is the context a shared fetch runs on. It carries the first
// caller's values; its deadline is the latest of the callers still waiting
// and moves as they come and go, so that the retry transport, which will
// not start a wait that outlives the deadline, sees the time the longest
// waiting caller allows and no more. It ends at that deadline, or when
// cancel is called.
type flightContext struct {
	values context.Context
	done   chan struct{}

	mu       sync.Mutex
	deadline time.Time // zero: none
	timer    *time.Timer
	err      error
}

func newFlightContext(values context.Context) *flightContext {
	return &flightContext{values: context.WithoutCancel(values), done: make(chan struct{})}
}

func (c *flightContext) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadline, !c.deadline.IsZero()
}

func (c *flightContext) Done() <-chan struct{} { return c.done }

func (c *flightContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *flightContext) Value(key any) any { return c.values.Value(key) }

// setDeadline moves the deadline; the zero time removes it.
func (c *flightContext) setDeadline(d time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || c.deadline.Equal(d) {
		return
	}
	c.deadline = d
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if d.IsZero() {
		return
	}
	c.timer = time.AfterFunc(time.Until(d), func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		// A timer stopped too late to keep it from firing finds its
		// deadline moved on.
		if c.deadline.Equal(d) {
			c.endLocked(context.DeadlineExceeded)
		}
	})
}

func (c *flightContext) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLocked(context.Canceled)
}

func (c *flightContext) endLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if c.timer != nil {
		c.timer.Stop()
	}
	close(c.done)
}

// Shared returns the result of fetch for key, calling fetch at most once per
// provider process however many callers ask, concurrently or later.
//
// Each caller waits on its own context and returns its own ctx.Err() when
// that ends first. The fetch runs on a context that keeps the first
// caller's values but not its cancellation: its deadline is the latest of
// the callers still waiting (none while one of them has none), so a caller
// with little time left does not cut short one with more, and the fetch
// never waits past what any caller allows. It is cancelled only when no
// caller waits any more; the next caller then fetches anew. A fetch that
// ended in a cancellation, a deadline, a panic or a transient failure
// (failure.Policies retries its class) is not kept: the next caller tries
// with its own time. A panic in fetch is raised again in every caller
// waiting for it, with the fetch's stack, so it surfaces like any other
// provider bug and blocks no one.
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
		values, lastAttempt := transport.RecordAttempts(ctx)
		f = &flight{ctx: newFlightContext(values), lastAttempt: lastAttempt}
		s.flights[key] = f
	}
	f.join(ctx)
	ch := s.group.DoChan(key, func() (any, error) {
		return s.run(key, f, func(ctx context.Context) (any, error) { return fetch(ctx) })
	})
	if s.joined != nil {
		s.joined(key, len(f.deadlines))
	}
	s.mu.Unlock()

	select {
	case r := <-ch:
		s.leave(ctx, key, f, false)
		if p, ok := r.Err.(*fetchPanic); ok {
			panic(p)
		}
		return result[T](sharedResult{value: r.Val, err: r.Err})
	case <-ctx.Done():
		s.leave(ctx, key, f, true)
		var zero T
		if last := f.lastAttempt(); last != "" {
			// Whoever else still waits gets the fetch's own outcome; this
			// caller learns what held it up.
			return zero, fmt.Errorf("%w; the last attempt before it: %s", ctx.Err(), last)
		}
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
		// Done with the context: its deadline timer can go.
		f.ctx.cancel()
	}()
	return fetch(f.ctx)
}

// finish keeps a result worth reusing and retires the flight, so that no
// later caller joins it.
func (s *sharedReads) finish(key string, f *flight, r sharedResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !f.stale && worthKeeping(r.err) {
		if s.kept == nil {
			s.kept = map[string]sharedResult{}
		}
		s.kept[key] = r
	}
	s.retire(key, f)
}

// worthKeeping says whether a later caller should get the same answer: a
// success, or a failure that would come again (a refusal, a wrong address,
// nothing listening). A failure that waiting can cure, or that ended with a
// caller's time, is tried again by the next caller.
func worthKeeping(err error) bool {
	if err == nil {
		return true
	}
	var p *fetchPanic
	if errors.As(err, &p) {
		return false
	}
	switch class := failure.Classify(err).Class; class {
	case failure.Cancelled, failure.Deadline:
		return false
	case failure.Unreachable:
		// Retried briefly already: a plan of a thousand reads must not
		// spend that brief budget a thousand times.
		return true
	default:
		// A read is safe to resend: what its row never retries then
		// fails the same way for the next caller.
		return !failure.Policies[class].RetrySafe
	}
}

// leave takes a caller off the flight; the last one to give up cancels it.
func (s *sharedReads) leave(ctx context.Context, key string, f *flight, gaveUp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.leave(ctx)
	if gaveUp && len(f.deadlines) == 0 {
		f.ctx.cancel()
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

// Forget drops a kept read, after a change that makes it stale. A fetch of
// key still in flight is not kept either, and later callers fetch anew.
func (c *Client) Forget(key string) {
	c.shared.forget(func(k string) bool { return k == key })
}

// ForgetPrefix forgets, as Forget does, every read whose key starts with
// prefix: every listing, after a sharing was created or deleted.
func (c *Client) ForgetPrefix(prefix string) {
	c.shared.forget(func(k string) bool { return strings.HasPrefix(k, prefix) })
}

func (s *sharedReads) forget(match func(key string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.kept {
		if match(key) {
			delete(s.kept, key)
		}
	}
	// A fetch in flight may have read before the change: its waiters get
	// it, as they asked before the change, but no one else does.
	for key, f := range s.flights {
		if match(key) {
			f.stale = true
			s.retire(key, f)
		}
	}
}
