package provider

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// NewServer returns the protocol 6 server that Terraform talks to: the
// framework's server for this provider, behind detachingServer. main.go,
// the benchmark's profiling build and the acceptance tests serve the same
// thing.
func NewServer(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		// The framework's server implements every optional RPC group.
		server, _ := providerserver.NewProtocol6(New(version)())().(listingProviderServer)
		return detachingServer{server}
	}
}

// logVariables are the variables that ask Terraform, terraform-plugin-go,
// the framework or the provider for logs. Terraform passes its environment
// on to the provider, so TF_LOG=TRACE on the command line arrives here.
// quietVariables are the ones the provider's side reads: terraform-plugin-go
// takes the provider's own level from TF_LOG_PROVIDER_VBS (the name part of
// the provider's address), not from Terraform's TF_LOG_PROVIDER.
var (
	logVariables   = []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PROVIDER_VBS", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}
	quietVariables = logVariables[2:]
)

// QuietLogs turns all provider-side logging off when no log variable is set,
// and does nothing when one is. It must run before the server starts.
//
// Terraform shows a provider's logs only with TF_LOG or TF_LOG_PROVIDER set.
// Without a variable, though, terraform-plugin-go's loggers default to TRACE:
// terraform-plugin-go logs every RPC, the framework traces every step of
// every RPC, and the provider's own HTTP logging writes every exchange, all
// as JSON lines that Terraform parses only to drop. In a plan of 1000 data
// sources that was a fifth of the provider's CPU and a share of Terraform's
// (BENCHMARKS.md). Setting any of logVariables, TF_LOG=DEBUG on the command
// line for instance, keeps every log as before.
func QuietLogs() {
	for _, name := range logVariables {
		if os.Getenv(name) != "" {
			return
		}
	}
	for _, name := range quietVariables {
		_ = os.Setenv(name, "off")
	}
}

// TuneGC sets how the provider's heap grows between collections, and does
// nothing when GOGC or GOMEMLIMIT is set: the runtime then does as told.
//
// The heap grows to three times its live size (GOGC 200), not Go's default
// of twice: every RPC makes garbage (the framework's schema walks allocate
// about 100 KiB per data source read), and for a plan of 1000 or 5000 reads,
// whose live heap is tens of MiB, the default costs a fifth more provider
// CPU. 400 would save another 18 % of an adoption's imports, but a
// streaming `terraform query` of 10,000 sharings would then peak 21 MiB
// above one of a single page instead of 10. A large listing's live heap is
// the framework's (about 90 MiB while it serves 10,000 sharings), and three
// times that was most of its peak RSS. So a soft memory limit caps the
// growth at memoryLimitFloor, and after every collection the limit is
// raised to twice the live heap when that is more: the limit never asks for
// more collections than Go's default would, so a listing far larger than
// the floor does not make the collector run back to back. BENCHMARKS.md has
// the measurements. While a list resource streams, the heap grows as by
// Go's default (streaming).
func TuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(gcPercent)
	streamGC.tuned = true
	debug.SetMemoryLimit(memoryLimitFloor)
	afterEachGC(func() bool {
		debug.SetMemoryLimit(memoryLimit(liveHeap()))
		return true
	})
}

const (
	gcPercent        = 200
	streamGCPercent  = 100
	memoryLimitFloor = 200 << 20
	// limitOverhead is room for what the limit counts besides the heap's
	// objects: stacks, the runtime's own structures, free spans.
	limitOverhead = 16 << 20
)

// streamGC counts the list streams under way, `terraform query`'s.
var streamGC struct {
	sync.Mutex
	tuned   bool // TuneGC set the heap's growth
	streams int
}

// streaming lets the heap grow only to twice its live size, Go's default,
// while a list resource streams, and returns what ends that: when the last
// stream under way ends, gcPercent is back. A stream holds about a page, a
// few MiB live, and makes only short-lived garbage, so the room GOGC 200
// gives the heap is all its peak RSS grows by: in a streaming query of
// 10,000 sharings that was 10 to 12 MiB above one of a single page, at
// GOGC 100 about 7 (BENCHMARKS.md), for about a tenth more CPU of the
// query. It does nothing when TuneGC left the heap to GOGC or GOMEMLIMIT.
func streaming() (end func()) {
	streamGC.Lock()
	defer streamGC.Unlock()
	if !streamGC.tuned {
		return func() {}
	}
	if streamGC.streams++; streamGC.streams == 1 {
		debug.SetGCPercent(streamGCPercent)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			streamGC.Lock()
			defer streamGC.Unlock()
			if streamGC.streams--; streamGC.streams == 0 {
				debug.SetGCPercent(gcPercent)
			}
		})
	}
}

// memoryLimit is the soft limit for a live heap of live bytes: the floor,
// or room for the heap to double, whichever is more.
func memoryLimit(live uint64) int64 {
	return max(memoryLimitFloor, int64(min(live, 1<<50))*2+limitOverhead)
}

// liveHeap is the heap the last collection found live.
func liveHeap() uint64 {
	live, _ := runtimeMetric("/gc/heap/live:bytes")
	return live
}

// runtimeMetric reads one of the runtime's unsigned metrics, and says
// whether the runtime has it.
func runtimeMetric(name string) (uint64, bool) {
	sample := []metrics.Sample{{Name: name}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0, false
	}
	return sample[0].Value.Uint64(), true
}

// gcSentinel holds a pointer so that it is never placed in a block shared
// with other small objects, which could keep it reachable.
type gcSentinel struct{ _ *int }

// afterEachGC calls f once after every collection, from the runtime's
// cleanup goroutine, until f returns false: an object only it can reach is
// collected with each cycle, and its cleanup arms the next before it calls
// f, so a collection that f's effects lead to (a test's runtime.GC, say)
// finds the next one armed.
func afterEachGC(f func() bool) {
	var arm func() runtime.Cleanup
	arm = func() runtime.Cleanup {
		return runtime.AddCleanup(new(gcSentinel), func(struct{}) {
			next := arm()
			if !f() {
				next.Stop()
			}
		}, struct{}{})
	}
	arm()
}
