package provider

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// detachingServer works around a leak in terraform-plugin-framework's
// protocol 6 server, found by the benchmark (BENCHMARKS.md): every RPC
// handler calls registerContext (internal/proto6server/serve.go), which
// derives a cancelable context from the RPC's context and appends its
// CancelFunc to a slice that only StopProvider empties. Terraform sends
// StopProvider on Ctrl-C, not on a normal run, so each kept CancelFunc holds
// the RPC's whole context chain, which terraform-plugin-go has filled with
// per-RPC loggers (some 15 KiB), and the provider's live heap grows with
// every validate and read: 381 MiB of peak RSS at 5000 data source reads
// without the wrapper, flat with it.
//
// Versions: the framework has kept the contexts since v1.3.2, which made
// Ctrl-C cancel requests in flight (its issue 782), through v1.19.0, the
// version in go.mod. The wrapper can go once a release drops each
// CancelFunc when its RPC returns: upgrade, take the wrapper out of
// NewServer and run TestDetachingServerKeepsNoRPCContext, which fails while
// the framework still keeps them.
//
// The wrapper hands the framework a context that is the RPC's own until the
// RPC returns and an already-cancelled one after, so what the framework
// keeps is a few dozen bytes. Only RPCs that return when their work is done
// are wrapped; ListResource streams its results after it returns, so it
// and the RPCs Terraform calls once per command pass through.
//
// It serves the list resource RPCs as well, since terraform-plugin-go finds
// the optional RPC groups by type assertion; the framework's server
// implements them all.
type detachingServer struct {
	listingProviderServer
}

// listingProviderServer is a provider server with the list resource RPCs.
type listingProviderServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
}

func detached[Req, Resp any](ctx context.Context, req Req, rpc func(context.Context, Req) (Resp, error)) (Resp, error) {
	d, detach := detachContext(ctx)
	defer detach()
	return rpc(d, req)
}

func (s detachingServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return detached(ctx, req, s.listingProviderServer.ValidateDataResourceConfig)
}

func (s detachingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return detached(ctx, req, s.listingProviderServer.ReadDataSource)
}

func (s detachingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return detached(ctx, req, s.listingProviderServer.ValidateResourceConfig)
}

func (s detachingServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return detached(ctx, req, s.listingProviderServer.UpgradeResourceState)
}

func (s detachingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return detached(ctx, req, s.listingProviderServer.ReadResource)
}

func (s detachingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return detached(ctx, req, s.listingProviderServer.PlanResourceChange)
}

func (s detachingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return detached(ctx, req, s.listingProviderServer.ApplyResourceChange)
}

func (s detachingServer) ValidateListResourceConfig(ctx context.Context, req *tfprotov6.ValidateListResourceConfigRequest) (*tfprotov6.ValidateListResourceConfigResponse, error) {
	return detached(ctx, req, s.listingProviderServer.ValidateListResourceConfig)
}

func (s detachingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return detached(ctx, req, s.listingProviderServer.ImportResourceState)
}

// detachableContext is a child of the RPC's context until detach, then a
// cancelled context that references nothing. Its Done channel is the same
// one for its whole life, as the context contract asks: the child's, which
// detach closes, and which holds no reference to the RPC's context.
type detachableContext struct {
	mu   sync.RWMutex
	ctx  context.Context
	done <-chan struct{}
}

// detachContext returns the context to hand the framework and the function
// that detaches it when the RPC returns.
func detachContext(parent context.Context) (*detachableContext, func()) {
	child, cancel := context.WithCancel(parent)
	d := &detachableContext{ctx: child, done: child.Done()}
	return d, func() {
		cancel()
		d.mu.Lock()
		d.ctx = cancelled
		d.mu.Unlock()
	}
}

var cancelled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

func (d *detachableContext) current() context.Context {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.ctx
}

func (d *detachableContext) Deadline() (time.Time, bool) { return d.current().Deadline() }
func (d *detachableContext) Done() <-chan struct{}       { return d.done }
func (d *detachableContext) Err() error                  { return d.current().Err() }
func (d *detachableContext) Value(key any) any           { return d.current().Value(key) }
