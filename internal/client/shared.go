package client

import (
	"context"
	"errors"
	"sync"
)

// sharedCall is one read that every caller with the same key waits for.
type sharedCall struct {
	done  chan struct{}
	value any
	err   error
}

// sharedReads keeps the reads of one provider process, which serves one
// Terraform command: the same sharing named by several data sources, or the
// same list filters, cost one request.
type sharedReads struct {
	mu    sync.Mutex
	calls map[string]*sharedCall
}

// Shared returns the result of fetch for key, calling fetch at most once per
// provider process however many callers ask, concurrently or later. A read
// that ended because its caller was cancelled is not kept, so the next
// caller tries again. Only reads that cannot see their own writes belong
// here: resources read fresh, and call Forget after a change.
func Shared[T any](c *Client, key string, fetch func() (T, error)) (T, error) {
	c.shared.mu.Lock()
	if c.shared.calls == nil {
		c.shared.calls = map[string]*sharedCall{}
	}
	call, ok := c.shared.calls[key]
	if !ok {
		call = &sharedCall{done: make(chan struct{})}
		c.shared.calls[key] = call
	}
	c.shared.mu.Unlock()

	if !ok {
		call.value, call.err = fetch()
		if errors.Is(call.err, context.Canceled) || errors.Is(call.err, context.DeadlineExceeded) {
			c.Forget(key)
		}
		close(call.done)
	} else {
		<-call.done
	}
	value, _ := call.value.(T)
	return value, call.err
}

// Forget drops a kept read, after a change that makes it stale.
func (c *Client) Forget(key string) {
	c.shared.mu.Lock()
	delete(c.shared.calls, key)
	c.shared.mu.Unlock()
}
