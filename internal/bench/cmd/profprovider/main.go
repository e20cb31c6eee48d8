// Command profprovider is the provider exactly as main.go serves it, plus
// Go's own profilers, so that `benchrun -pprof DIR` can say where the
// provider's CPU and memory go without the provider's code carrying a
// profiling switch. With VBS_BENCH_PPROF_DIR set it writes, per process,
// cpu-<pid>.pprof for its whole life and heap-<pid>.pprof (after a GC, so
// live objects only) and goroutine-<pid>.pprof when Terraform stops it, and
// heap-peak-<pid>.pprof: the live heap of the collection that found the
// most live bytes, which is what the peak RSS is a multiple of.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/vbs-tf/terraform-provider-vbs/internal/provider"
)

func main() {
	dir := os.Getenv("VBS_BENCH_PPROF_DIR")
	var cpu *os.File
	if dir != "" {
		// The default samples one allocation per 512 KiB, too coarse to
		// attribute a live heap of a few tens of MiB.
		runtime.MemProfileRate = 128 << 10
		var err error
		if cpu, err = os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", os.Getpid()))); err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			log.Fatal(err)
		}
		go keepPeakHeap(filepath.Join(dir, fmt.Sprintf("heap-peak-%d.pprof", os.Getpid())))
	}
	provider.QuietLogs()
	provider.TuneGC()
	err := tf6server.Serve("registry.terraform.io/vbs-tf/vbs", provider.NewServer("bench"))
	if dir != "" {
		pprof.StopCPUProfile()
		_ = cpu.Close()
		runtime.GC()
		for _, name := range []string{"heap", "goroutine"} {
			if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", name, os.Getpid()))); err == nil {
				_ = pprof.Lookup(name).WriteTo(f, 0)
				_ = f.Close()
			}
		}
	}
	if err != nil {
		log.Fatal(err.Error())
	}
}

// keepPeakHeap writes the heap profile to path whenever a collection has
// found a tenth more live bytes than any before. The profile's in-use
// figures are those of the last collection, so the file ends up holding
// what was live at the largest one: the state, request and answer that
// were held together at the process's peak.
func keepPeakHeap(path string) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var most uint64
	for range time.Tick(20 * time.Millisecond) {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if live := sample[0].Value.Uint64(); live > most+most/10 {
			most = live
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				_ = f.Close()
			}
		}
	}
}
