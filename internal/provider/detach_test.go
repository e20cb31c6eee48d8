package provider

import (
	"context"
	"errors"
	"testing"
)

type key struct{}

// The point of detachableContext is what it stops referencing once the RPC
// returns; until then it must behave exactly like the RPC's context.
func TestDetachableContext(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "logger"))
	defer cancel()
	d := &detachableContext{ctx: parent}
	if d.Value(key{}) != "logger" || d.Err() != nil || d.Done() != parent.Done() {
		t.Fatal("before detach: does not forward to the RPC's context")
	}
	// What the framework does with it: derive a child and keep its cancel.
	child, keep := context.WithCancel(d)
	defer keep()

	d.detach()
	if d.Value(key{}) != nil || !errors.Is(d.Err(), context.Canceled) {
		t.Error("after detach: still reaches the RPC's context")
	}
	select {
	case <-d.Done():
	default:
		t.Error("after detach: Done is not closed")
	}
	// The child was registered with the RPC's context, so ending the RPC
	// still cancels it.
	cancel()
	<-child.Done()
}
