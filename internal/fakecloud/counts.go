package fakecloud

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// Gauges reported by Counts beside the request kinds.
const (
	// CountRequests is every counted request.
	CountRequests = "requests"
	// CountConnections is TCP connections accepted: with connection reuse it
	// stays near the client's concurrency, not the number of requests.
	CountConnections = "connections"
	// CountMaxInFlight is the most requests being served at one moment; a
	// client lock that serialises requests keeps it at 1.
	CountMaxInFlight = "max_in_flight"
	// CountFinished is counted requests whose handling has ended, answered
	// or not. Counted from a reset made with nothing in flight, once it
	// equals CountRequests nothing is in flight, which a test can wait for
	// (Reached) instead of polling.
	CountFinished = "finished"
	// CountHeld is requests that reached a route's Hold: a test that holds
	// a request waits for it before acting while the request is inside.
	CountHeld = "held"
	// CountTokenExpired is tokens that expired on their own (TokenUses,
	// TokenLifetime), counted on the request that found them so; Expire
	// is not counted. Requests refused for an expired token are
	// KindUnauthorized, several per expiry when requests are in flight
	// together.
	CountTokenExpired = "token_expired"
)

var kinds = []string{KindToken, KindCatalog, KindSharingGet, KindListPage, KindCount, KindCreate, KindDelete, KindUnauthorized, KindOther}

// countNames are every name Counts reports.
var countNames = append(append([]string(nil), kinds...), CountRequests, CountConnections, CountMaxInFlight, CountFinished, CountHeld, CountTokenExpired,
	CountFaultThrottle, CountFaultUnavailable, CountFaultBadGateway, CountFaultReset, CountFaultCutBody, CountFaultLostAnswer,
	CountLostAnswerCreate, CountLostAnswerDelete)

type stats struct {
	counts   map[string]*atomic.Int64 // one per countNames; written only by init
	inFlight atomic.Int64

	// waiting is len(waiters), read without the lock so that counting
	// costs one atomic load while nobody waits, as in a benchmark.
	waiting atomic.Int64
	mu      sync.Mutex
	waiters []waiter
}

// waiter is one Reached or AwaitIdle call whose condition does not hold
// yet.
type waiter struct {
	done func() bool
	ch   chan struct{}
}

func (s *stats) init() {
	s.counts = make(map[string]*atomic.Int64, len(countNames))
	for _, k := range countNames {
		s.counts[k] = new(atomic.Int64)
	}
}

// add counts one more under name and wakes whoever waits for it.
func (s *stats) add(name string) {
	s.counts[name].Add(1)
	s.wake()
}

// raise lifts the count name to n if it is lower.
func (s *stats) raise(name string, n int64) {
	c := s.counts[name]
	for {
		m := c.Load()
		if n <= m {
			return
		}
		if c.CompareAndSwap(m, n) {
			s.wake()
			return
		}
	}
}

// wake closes the channels of the waiters whose count is reached. A count
// is always changed before wake loads waiting, and Reached stores waiting
// before it loads the count, so one of the two sees the other.
func (s *stats) wake() {
	if s.waiting.Load() == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if w.done() {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	clear(s.waiters[len(kept):])
	s.waiters = kept
	s.waiting.Store(int64(len(kept)))
}

// Counts returns the requests counted by kind since the last ResetCounts,
// plus the gauges CountRequests, CountConnections, CountMaxInFlight,
// CountFinished and CountHeld, the tokens expired (CountTokenExpired) and
// the faults dealt (CountFaultThrottle and the like).
func (c *Cloud) Counts() map[string]int64 {
	m := make(map[string]int64, len(countNames))
	for _, k := range countNames {
		m[k] = c.stats.counts[k].Load()
	}
	return m
}

// Reached returns a channel that is closed once Counts()[name] is at least
// n: a test waits on it, alongside its own deadline or cancellation,
// instead of polling Counts. Counts are per name, as Counts reports them;
// after a ResetCounts a waiter still waits for n counted from zero. A name
// Counts does not report panics, as a mistyped name would otherwise wait
// for ever.
func (c *Cloud) Reached(name string, n int64) <-chan struct{} {
	count, ok := c.stats.counts[name]
	if !ok {
		panic(fmt.Sprintf("fakecloud: Reached(%q): Counts reports no such count", name))
	}
	return c.stats.when(func() bool { return count.Load() >= n })
}

// when returns a channel closed once done holds, checked now and after
// every change of a count.
func (s *stats) when(done func() bool) <-chan struct{} {
	ch := make(chan struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiters = append(s.waiters, waiter{done: done, ch: ch})
	s.waiting.Store(int64(len(s.waiters)))
	if done() {
		close(ch)
		s.waiters = s.waiters[:len(s.waiters)-1]
		s.waiting.Store(int64(len(s.waiters)))
	}
	return ch
}

// Await waits until Counts()[name] is at least n, or fails with what had
// arrived once ctx ends: the bounded form of Reached that tests use.
func (c *Cloud) Await(ctx context.Context, name string, n int64) error {
	select {
	case <-c.Reached(name, n):
		return nil
	case <-ctx.Done():
		return fmt.Errorf("fakecloud: waiting for %d %s, %d arrived: %w", n, name, c.stats.counts[name].Load(), context.Cause(ctx))
	}
}

// AwaitIdle waits until no request is in flight: every request the cloud
// has begun to serve has been answered or dropped. It fails with the
// number still in flight once ctx ends.
func (c *Cloud) AwaitIdle(ctx context.Context) error {
	s := &c.stats
	select {
	case <-s.when(func() bool { return s.inFlight.Load() == 0 }):
		return nil
	case <-ctx.Done():
		return fmt.Errorf("fakecloud: waiting for no request in flight, %d still are: %w", s.inFlight.Load(), context.Cause(ctx))
	}
}

// ResetCounts zeroes the counters and gauges and empties Requests.
// Connections already open stay open and are not counted again: reset
// between Terraform runs, when the previous run's provider has exited and
// closed them.
func (c *Cloud) ResetCounts() {
	for _, k := range countNames {
		c.stats.counts[k].Store(0)
	}
	c.stats.counts[CountMaxInFlight].Store(c.stats.inFlight.Load())
	c.mu.Lock()
	c.requests = nil
	c.mu.Unlock()
}
