package provider

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestQuietLogsOnlyWithoutLogVariables(t *testing.T) {
	for _, name := range logVariables {
		t.Setenv(name, "")
	}
	QuietLogs()
	for _, name := range quietVariables {
		if got := os.Getenv(name); got != "off" {
			t.Errorf("without log variables: %s=%q, want off", name, got)
		}
	}
	for _, name := range []string{"TF_LOG", "TF_LOG_PROVIDER"} {
		if got := os.Getenv(name); got != "" {
			t.Errorf("%s=%q: QuietLogs must not set Terraform's own variables", name, got)
		}
	}

	for _, set := range logVariables {
		for _, name := range logVariables {
			t.Setenv(name, "")
		}
		t.Setenv(set, "DEBUG")
		QuietLogs()
		for _, name := range logVariables {
			if name != set && os.Getenv(name) != "" {
				t.Errorf("with %s set: %s=%q, want it left unset", set, name, os.Getenv(name))
			}
		}
	}
}

func TestMemoryLimitNeverBelowTwiceTheLiveHeap(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, memoryLimitFloor},
		{50 << 20, memoryLimitFloor},
		{(memoryLimitFloor - limitOverhead) / 2, memoryLimitFloor},
		{150 << 20, 300<<20 + limitOverhead},
		{4 << 30, 8<<30 + limitOverhead},
		{math.MaxUint64, 2<<50 + limitOverhead},
	} {
		if got := memoryLimit(c.live); got != c.want {
			t.Errorf("memoryLimit(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

func TestAfterEachGCRunsAgainAfterEveryCollection(t *testing.T) {
	ran := make(chan struct{}, 1)
	stop := make(chan struct{})
	defer close(stop)
	afterEachGC(func() bool {
		select {
		case ran <- struct{}{}:
			return true
		case <-stop:
			return false
		}
	})
	for i := range 3 {
		runtime.GC()
		select {
		case <-ran:
		case <-time.After(30 * time.Second):
			t.Fatalf("collection %d: the hook did not run within 30 s", i+1)
		}
	}
	if live := liveHeap(); live == 0 {
		t.Error("liveHeap() = 0 after a collection")
	}
}

// gcPercentNow is the GOGC the runtime works with.
func gcPercentNow(t *testing.T) int64 {
	t.Helper()
	percent, ok := runtimeMetric("/gc/gogc:percent")
	if !ok {
		t.Fatal("the runtime does not report /gc/gogc:percent")
	}
	return int64(percent)
}

// Streams that overlap pace the heap at Go's default until the last one
// ends, an end called twice counts once, and a heap TuneGC left to the
// environment is never touched.
func TestStreamingPacesTheHeapUntilTheLastStreamEnds(t *testing.T) {
	before := debug.SetGCPercent(gcPercent)
	t.Cleanup(func() {
		debug.SetGCPercent(before)
		streamGC.Lock()
		streamGC.tuned, streamGC.streams = false, 0
		streamGC.Unlock()
	})
	streamGC.Lock()
	streamGC.tuned = true
	streamGC.Unlock()

	endFirst := streaming()
	if got := gcPercentNow(t); got != streamGCPercent {
		t.Fatalf("one stream: GOGC %d, want %d", got, streamGCPercent)
	}
	endSecond := streaming()
	endFirst()
	endFirst()
	if got := gcPercentNow(t); got != streamGCPercent {
		t.Fatalf("the first stream ended (twice), the second still streams: GOGC %d, want %d", got, streamGCPercent)
	}
	endSecond()
	if got := gcPercentNow(t); got != gcPercent {
		t.Fatalf("every stream ended: GOGC %d, want %d", got, gcPercent)
	}

	streamGC.Lock()
	streamGC.tuned = false
	streamGC.Unlock()
	debug.SetGCPercent(150)
	end := streaming()
	if got := gcPercentNow(t); got != 150 {
		t.Fatalf("heap not tuned by TuneGC: a stream set GOGC %d, want it left at 150", got)
	}
	end()
	if got := gcPercentNow(t); got != 150 {
		t.Fatalf("heap not tuned by TuneGC: a stream's end set GOGC %d, want it left at 150", got)
	}
}
