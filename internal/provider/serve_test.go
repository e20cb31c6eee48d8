package provider

import (
	"math"
	"os"
	"runtime"
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
