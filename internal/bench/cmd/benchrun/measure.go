package main

import (
	"context"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// Result is one table row, with the raw per-run numbers so that a reader
// of the JSON can judge the spread the medians hide.
type Result struct {
	Scenario    string  `json:"scenario"`
	Variant     string  `json:"variant,omitempty"`
	N           int     `json:"n"`
	Sharings    int     `json:"sharings"`
	LatencyMS   float64 `json:"latency_ms"`
	Parallelism int     `json:"parallelism,omitempty"`
	Runs        int     `json:"runs"`

	WallMS         []float64 `json:"wall_ms"`
	WallMedianMS   float64   `json:"wall_median_ms"`
	FloorMS        []float64 `json:"terraform_floor_ms,omitempty"`
	FloorMedianMS  float64   `json:"terraform_floor_median_ms,omitempty"`
	NetworkFloorMS float64   `json:"network_floor_ms"`
	// PluginFloor is the Terraform floor plus the provider's process
	// starts and one zero-latency read (bench.PluginFloorConfig).
	PluginFloorMS       []float64 `json:"plugin_floor_ms,omitempty"`
	PluginFloorMedianMS float64   `json:"plugin_floor_median_ms,omitempty"`

	// Counts are the server's counts of the median run; CountsVary says
	// whether any run differed in a request kind.
	Counts     map[string]int64 `json:"counts,omitempty"`
	CountsVary bool             `json:"counts_vary,omitempty"`

	ProviderProcesses   int     `json:"provider_processes"`
	PeakRSSKiB          int64   `json:"provider_peak_rss_kib"`
	ProviderCPUMedianMS float64 `json:"provider_cpu_median_ms"`
	// TerraformCPUMedianMS excludes the providers' CPU.
	TerraformCPUMedianMS float64 `json:"terraform_cpu_median_ms"`
	// FloorCPUMedianMS is the CPU of the Terraform floor's run, terraform
	// and provider together.
	FloorCPUMedianMS float64 `json:"terraform_floor_cpu_median_ms,omitempty"`

	Expected string `json:"expected,omitempty"`
	OK       *bool  `json:"ok,omitempty"`
	Note     string `json:"note,omitempty"`
}

type runner struct {
	cfg config
	ws  *bench.Workspace
	ctx context.Context
	// floorSrv serves the plugin floor's one read without latency.
	floorSrv *fakecloud.Cloud
	provider string
	schema   *bench.Schema
	results  []Result
}

func (r *runner) all() error {
	if err := r.schemaScenario(); err != nil {
		return err
	}
	if r.cfg.scenarios["plan"] {
		if err := r.planScenario(); err != nil {
			return err
		}
	}
	if r.cfg.scenarios["dedup"] {
		if err := r.dedupScenario(); err != nil {
			return err
		}
	}
	if r.cfg.scenarios["list"] {
		if err := r.listScenario(); err != nil {
			return err
		}
	}
	if r.cfg.scenarios["apply"] {
		if err := r.applyScenario(); err != nil {
			return err
		}
	}
	return nil
}

// measured is the provider's runs of one command and the floors' runs.
type measured struct {
	runs, floors, pluginFloors []bench.Run
	counts                     []map[string]int64
}

// floorDirs are the working directories of the two floors of a measurement.
type floorDirs struct{ terraform, plugin string }

func (r *runner) floorConfigs(name string, n int) (floorDirs, error) {
	var f floorDirs
	var err error
	if f.terraform, err = r.ws.Config(name+"-floor", bench.FloorConfig(r.floorSrv, n)); err != nil {
		return f, err
	}
	f.plugin, err = r.ws.Config(name+"-plugin-floor", bench.PluginFloorConfig(r.floorSrv, n))
	return f, err
}

// measure runs args in dir, then in the two floor directories, and adds
// the runs to m. Alternating the three in every round makes drift in the
// machine's load hit them alike.
func (r *runner) measure(m *measured, srv *fakecloud.Cloud, dir string, floors floorDirs, args []string) error {
	srv.ResetCounts()
	run, err := r.ws.Terraform(r.ctx, dir, args...)
	if err != nil {
		return err
	}
	counts := srv.Counts()
	floor, err := r.ws.Terraform(r.ctx, floors.terraform, args...)
	if err != nil {
		return err
	}
	plugin, err := r.ws.Terraform(r.ctx, floors.plugin, args...)
	if err != nil {
		return err
	}
	m.runs, m.floors, m.pluginFloors = append(m.runs, run), append(m.floors, floor), append(m.pluginFloors, plugin)
	m.counts = append(m.counts, counts)
	logf("  run %d/%d %s: %s; floors: terraform %s, plugin %s; requests %v", len(m.runs), r.cfg.runs, args[0],
		run.Wall.Round(time.Millisecond), floor.Wall.Round(time.Millisecond), plugin.Wall.Round(time.Millisecond), compact(counts))
	return nil
}

func (r *runner) repeat(srv *fakecloud.Cloud, dir string, floors floorDirs, args []string) (measured, error) {
	var m measured
	for i := 0; i < r.cfg.runs; i++ {
		if err := r.measure(&m, srv, dir, floors, args); err != nil {
			return m, err
		}
	}
	return m, nil
}

// summarise fills the timing and count fields of res from m.
func summarise(res *Result, m measured) {
	var walls, floors, plugins, pcpu, tcpu []time.Duration
	for _, run := range m.runs {
		walls = append(walls, run.Wall)
		pcpu = append(pcpu, run.ProviderCPU())
		tcpu = append(tcpu, run.TerraformCPU-run.ProviderCPU())
		res.PeakRSSKiB = max(res.PeakRSSKiB, run.PeakRSSKiB())
		res.ProviderProcesses = max(res.ProviderProcesses, len(run.Providers))
	}
	var floorCPU []time.Duration
	for _, run := range m.floors {
		floors = append(floors, run.Wall)
		floorCPU = append(floorCPU, run.TerraformCPU)
	}
	res.FloorCPUMedianMS = ms(bench.Median(floorCPU))
	for _, run := range m.pluginFloors {
		plugins = append(plugins, run.Wall)
	}
	res.Runs = len(m.runs)
	res.WallMS, res.WallMedianMS = msList(walls), ms(bench.Median(walls))
	if len(floors) > 0 {
		res.FloorMS, res.FloorMedianMS = msList(floors), ms(bench.Median(floors))
	}
	if len(plugins) > 0 {
		res.PluginFloorMS, res.PluginFloorMedianMS = msList(plugins), ms(bench.Median(plugins))
	}
	res.ProviderCPUMedianMS = ms(bench.Median(pcpu))
	res.TerraformCPUMedianMS = ms(bench.Median(tcpu))
	res.Counts = medianCounts(m.counts)
	// Connections and concurrency depend on timing; request counts must not.
	for _, c := range m.counts {
		for k, v := range c {
			if k != fakecloud.CountConnections && k != fakecloud.CountMaxInFlight && v != res.Counts[k] {
				res.CountsVary = true
			}
		}
	}
}

func medianCounts(cs []map[string]int64) map[string]int64 {
	out := map[string]int64{}
	if len(cs) == 0 {
		return out
	}
	for k := range cs[0] {
		var xs []int64
		for _, c := range cs {
			xs = append(xs, c[k])
		}
		out[k] = bench.MedianInt(xs)
	}
	return out
}
