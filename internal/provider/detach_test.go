package provider

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

type key struct{}

// The point of detachableContext is what it stops referencing once the RPC
// returns; until then it must behave exactly like the RPC's context.
func TestDetachableContext(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "logger"))
	defer cancel()
	d, detach := detachContext(parent)
	done := d.Done()
	if d.Value(key{}) != "logger" || d.Err() != nil {
		t.Fatal("before detach: does not forward to the RPC's context")
	}
	select {
	case <-done:
		t.Fatal("before detach: Done is closed")
	default:
	}
	// What the framework does with it: derive a child and keep its cancel.
	child, keep := context.WithCancel(d)
	defer keep()

	detach()
	if d.Value(key{}) != nil || !errors.Is(d.Err(), context.Canceled) {
		t.Error("after detach: still reaches the RPC's context")
	}
	if d.Done() != done {
		t.Error("Done returned another channel after detach; a context's Done must be one channel for its life")
	}
	select {
	case <-done:
	default:
		t.Error("after detach: Done is not closed")
	}
	// The framework's child ends with the RPC, as it would without us.
	<-child.Done()
}

// Cancelling the RPC (Terraform gave up on it) reaches the framework's
// context before the RPC returns, through the same Done channel.
func TestDetachableContextForwardsCancellation(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	d, detach := detachContext(parent)
	defer detach()
	done := d.Done()
	child, keep := context.WithCancel(d)
	defer keep()
	cancel()
	<-done
	<-child.Done()
	if !errors.Is(d.Err(), context.Canceled) || d.Done() != done {
		t.Errorf("after the RPC's cancellation: Err %v, same Done %v", d.Err(), d.Done() == done)
	}
}

// TestDetachingServerKeepsNoRPCContext proves the leak detachingServer
// exists for, through the server NewServer builds: after many validate and
// read RPCs whose contexts each carry a large value, the provider's live
// heap must not hold those values. With the wrapper taken out of NewServer
// it fails (the framework keeps every RPC's context until StopProvider), so
// it also tells when a framework release makes the wrapper unnecessary.
func TestDetachingServerKeepsNoRPCContext(t *testing.T) {
	server := NewServer("test")()
	ctx := context.Background()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	schema := schemas.DataSourceSchemas["vbs_backup_sharing"]
	if schema == nil {
		t.Fatal("no vbs_backup_sharing data source schema")
	}
	config := dynamicValue(t, schema, map[string]string{"id": "ac0fb374-a288-4399-ac63-cc080a13a2ee"})

	const rpcs, valueSize = 40, 1 << 20
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for range rpcs / 2 {
		rpcCtx := context.WithValue(ctx, key{}, make([]byte, valueSize))
		validated, err := server.ValidateDataResourceConfig(rpcCtx, &tfprotov6.ValidateDataResourceConfigRequest{
			TypeName: "vbs_backup_sharing", Config: config,
		})
		if err != nil || len(validated.Diagnostics) != 0 {
			t.Fatalf("validate: %v %v", err, validated.Diagnostics)
		}
		// Unconfigured, the read fails with a diagnostic; what matters is
		// that the framework handled an RPC with this context.
		rpcCtx = context.WithValue(ctx, key{}, make([]byte, valueSize))
		if _, err := server.ReadDataSource(rpcCtx, &tfprotov6.ReadDataSourceRequest{
			TypeName: "vbs_backup_sharing", Config: config,
		}); err != nil {
			t.Fatal(err)
		}
	}
	after := heap()
	// Kept contexts would hold rpcs × 1 MiB; allow a quarter of that for
	// everything else the runtime and the framework may keep.
	if grown := int64(after) - int64(before); grown > rpcs*valueSize/4 {
		t.Errorf("live heap grew by %d MiB over %d RPCs whose contexts carried 1 MiB each: the provider keeps RPC contexts",
			grown>>20, rpcs)
	}
	runtime.KeepAlive(server)
}
