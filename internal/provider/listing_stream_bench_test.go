package provider

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// collectingProvider is the provider with a list resource that reads the
// whole listing before it pushes its first result: what the list resource
// did before it streamed, kept as the benchmark's comparison.
type collectingProvider struct{ *vbsProvider }

func (collectingProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{func() list.ListResource { return &collectingListResource{} }}
}

type collectingListResource struct{ backupSharingListResource }

func (l *collectingListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var config backupSharingListModel
	if diags := req.Config.Get(ctx, &config); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	opts := sharing.ListOpts{ShareToMe: config.ShareToMe.ValueBoolPointer()}
	stream.Results = l.results(ctx, config, opts, func(op *operation, push func(list.ListResult) bool) error {
		listing, err := sharing.ListAll(op.ctx, op.conn.VBS, opts, listAllOpts(op, int(req.Limit)))
		if err != nil {
			return err
		}
		for i := range listing.Shares {
			if !push(listResult(ctx, req, &listing.Shares[i])) {
				break
			}
		}
		return nil
	})
}

// A `terraform query` of the benchmark's 10,000 sharings with
// include_resource and limit = 10000, over the protocol, from a cloud with
// no latency: the list resource as it is (streaming) and the one that
// collects first. Besides the time of a query it reports the time to its
// first result and how far the largest live heap any collection found
// during the queries exceeds the live heap before them (the cloud, in the
// same process, and the configured server).
func BenchmarkListResourceQuery(b *testing.B) {
	const n = 10000
	cloud := startPlainCloud(b, func(cfg *fakecloud.Config) { cfg.Sharings = fakecloud.Synthetic(testProjectID, n) })
	for _, c := range []struct {
		name   string
		server func() tfprotov6.ProviderServer
	}{
		{"Streaming", NewServer("bench")},
		{"Collecting", func() tfprotov6.ProviderServer {
			return providerserver.NewProtocol6(collectingProvider{&vbsProvider{version: "bench"}})()
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			server, schemas := configure(b, c.server(), cloud)
			listServer, ok := server.(tfprotov6.ListResourceServer)
			if !ok {
				b.Fatal("the server does not serve list resources")
			}
			config := dynamicValue(b, schemas.ListResourceSchemas["vbs_backup_sharing"], nil)
			// The live heap before the first query: the cloud's sharings
			// and the configured server.
			runtime.GC()
			base := liveHeap()
			var first time.Duration
			var peakLive atomic.Uint64
			done := make(chan struct{})
			defer close(done)
			afterEachGC(func() bool {
				for {
					live, seen := liveHeap(), peakLive.Load()
					if live <= seen || peakLive.CompareAndSwap(seen, live) {
						break
					}
				}
				select {
				case <-done:
					return false
				default:
					return true
				}
			})
			for b.Loop() {
				start := time.Now()
				stream, err := listServer.ListResource(context.Background(), &tfprotov6.ListResourceRequest{
					TypeName: "vbs_backup_sharing", Config: config, IncludeResource: true, Limit: n,
				})
				if err != nil {
					b.Fatal(err)
				}
				results := 0
				for r := range stream.Results {
					if len(r.Diagnostics) > 0 {
						b.Fatalf("result %d: %v", results, r.Diagnostics)
					}
					if results == 0 {
						first += time.Since(start)
					}
					results++
				}
				if results != n {
					b.Fatalf("%d results, want %d", results, n)
				}
			}
			b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms-to-first/op")
			b.ReportMetric(float64(int64(peakLive.Load())-int64(base))/(1<<20), "MiB-live-added")
		})
	}
}
