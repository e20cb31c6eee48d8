package provider

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// detachingServer works around a leak in terraform-plugin-framework v1.19's
// proto6server, found by the benchmark (BENCHMARKS.md): registerContext
// derives a cancelable context from every RPC's context and keeps its
// CancelFunc until StopProvider, which Terraform does not send on a normal
// run. Each kept CancelFunc holds the RPC's whole context chain, which
// terraform-plugin-go has filled with per-RPC hclog loggers (some 15 KiB),
// so the provider's live heap grows with every validate and read.
//
// Without it the provider's peak RSS grows by about 70 KiB per data source
// read (381 MiB at 5000); with it the heap stays flat.
//
// The wrapper hands the framework a context that forwards to the RPC's own
// until the RPC returns and to an already-cancelled one after, so what the
// framework keeps is a few dozen bytes. Only the RPCs Terraform calls once
// per object are wrapped; the rest pass through.
type detachingServer struct {
	tfprotov6.ProviderServer
}

func detached[Req, Resp any](ctx context.Context, req Req, rpc func(context.Context, Req) (Resp, error)) (Resp, error) {
	d := &detachableContext{ctx: ctx}
	defer d.detach()
	return rpc(d, req)
}

func (s detachingServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return detached(ctx, req, s.ProviderServer.ValidateDataResourceConfig)
}

func (s detachingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return detached(ctx, req, s.ProviderServer.ReadDataSource)
}

func (s detachingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return detached(ctx, req, s.ProviderServer.ValidateResourceConfig)
}

func (s detachingServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return detached(ctx, req, s.ProviderServer.UpgradeResourceState)
}

func (s detachingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return detached(ctx, req, s.ProviderServer.ReadResource)
}

func (s detachingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return detached(ctx, req, s.ProviderServer.PlanResourceChange)
}

func (s detachingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return detached(ctx, req, s.ProviderServer.ApplyResourceChange)
}

func (s detachingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return detached(ctx, req, s.ProviderServer.ImportResourceState)
}

// detachableContext is ctx until detach, then a cancelled context that
// references nothing.
type detachableContext struct {
	mu  sync.RWMutex
	ctx context.Context
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

func (d *detachableContext) detach() {
	d.mu.Lock()
	d.ctx = cancelled
	d.mu.Unlock()
}

func (d *detachableContext) Deadline() (time.Time, bool) { return d.current().Deadline() }
func (d *detachableContext) Done() <-chan struct{}       { return d.current().Done() }
func (d *detachableContext) Err() error                  { return d.current().Err() }
func (d *detachableContext) Value(key any) any           { return d.current().Value(key) }
