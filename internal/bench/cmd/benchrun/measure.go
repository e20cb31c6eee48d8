package main

import (
	"context"
	"fmt"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// Result is one table row, with the raw per-run numbers so that a reader
// of the JSON can judge the spread the medians hide.
type Result struct {
	// Build is the provider build's commit (bench.ResolveRevision).
	Build       string  `json:"build,omitempty"`
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

	ProviderProcesses int   `json:"provider_processes"`
	PeakRSSKiB        int64 `json:"provider_peak_rss_kib"`
	// PeakRSSMedianKiB is the median over the runs of each run's largest
	// provider peak RSS; PeakRSSKiB is the largest of all runs.
	PeakRSSMedianKiB    int64   `json:"provider_peak_rss_median_kib"`
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

// build is one provider build under measurement, with its own workspace
// (plugin directory, wrapper and usage file), so that each build's provider
// processes are recorded apart.
type build struct {
	// rev is the revision as given, label the one the tables show: the
	// abbreviated commit, "+dirty" for a changed working tree.
	rev, label string
	provider   string
	ws         *bench.Workspace
	schema     *bench.Schema
}

type runner struct {
	cfg config
	// builds are the builds in the order of -compare; floorWS, the last
	// build's workspace, runs the floors.
	builds  []*build
	floorWS *bench.Workspace
	ctx     context.Context
	// floorSrv serves the plugin floor's one read without latency.
	floorSrv *fakecloud.Cloud
	results  []Result
}

// working is the build of the working tree, or the last one.
func (r *runner) working() *build {
	for _, b := range r.builds {
		if b.rev == bench.WorkingTree {
			return b
		}
	}
	return r.builds[len(r.builds)-1]
}

// having returns the builds whose schema has what the scenario needs,
// and notes the others in the report.
func (r *runner) having(scenario, what string, has func(*bench.Schema) bool) []*build {
	var out []*build
	for _, b := range r.builds {
		if has(b.schema) {
			out = append(out, b)
		} else {
			r.skip(scenario, b, what)
		}
	}
	return out
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
	if r.cfg.scenarios["query"] {
		if err := r.queryScenario(); err != nil {
			return err
		}
	}
	if r.cfg.scenarios["stream"] {
		if err := r.streamScenario(); err != nil {
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

// sample is one build's runs of one command, with the server's counts of
// each run.
type sample struct {
	runs   []bench.Run
	counts []map[string]int64
}

// measured is every build's runs of one command, aligned with the
// scenario's builds, and the floors' runs.
type measured struct {
	builds               []sample
	floors, pluginFloors []bench.Run
}

// floorDirs are the working directories of the two floors of a measurement,
// in the floor workspace; an empty one is not run.
type floorDirs struct{ terraform, plugin string }

func (r *runner) floorConfigs(name string, n int) (floorDirs, error) {
	var f floorDirs
	var err error
	if f.terraform, err = r.floorWS.Config(name+"-floor", bench.FloorConfig(r.floorSrv, n)); err != nil {
		return f, err
	}
	if r.cfg.pluginFloor {
		f.plugin, err = r.floorWS.Config(name+"-plugin-floor", bench.PluginFloorConfig(r.floorSrv, n))
	}
	return f, err
}

// configs writes mainTF into a fresh directory name in the workspace of
// each of bs, in the same order.
func configs(bs []*build, name, mainTF string) ([]string, error) {
	dirs := make([]string, len(bs))
	for i, b := range bs {
		var err error
		if dirs[i], err = b.ws.Config(name, mainTF); err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

// round is one round of a measurement: the commands cmds, one after the
// other, for every build of bs in dirs (the builds' order rotated by the
// round's number, so that none always runs first or right after the
// floors), then the same commands for the Terraform floor and for the
// plugin floor. ms has one measured per command. Running everything of a
// round together makes drift in the machine's load hit the builds and
// the floors alike.
func (r *runner) round(ms []*measured, bs []*build, srv *fakecloud.Cloud, dirs []string, floors floorDirs, cmds [][]string, round int) error {
	for _, m := range ms {
		if m.builds == nil {
			m.builds = make([]sample, len(bs))
		}
	}
	for j := range bs {
		k := (round + j) % len(bs)
		for c, args := range cmds {
			srv.ResetCounts()
			run, err := bs[k].ws.Terraform(r.ctx, dirs[k], args...)
			if err != nil {
				return fmt.Errorf("build %s: %w", bs[k].label, err)
			}
			counts := srv.Counts()
			s := &ms[c].builds[k]
			s.runs, s.counts = append(s.runs, run), append(s.counts, counts)
			logf("  round %d/%d, %s %s: %s, provider CPU %s, peak RSS %s; requests %v", round+1, r.cfg.runs, bs[k].label, args[0],
				run.Wall.Round(time.Millisecond), run.ProviderCPU().Round(time.Millisecond), fmtRSS(run.PeakRSSKiB()), compact(counts))
		}
	}
	for _, f := range []struct {
		dir   string
		runs  func(*measured) *[]bench.Run
		label string
	}{
		{floors.terraform, func(m *measured) *[]bench.Run { return &m.floors }, "TF floor"},
		{floors.plugin, func(m *measured) *[]bench.Run { return &m.pluginFloors }, "plugin floor"},
	} {
		if f.dir == "" {
			continue
		}
		for c, args := range cmds {
			run, err := r.floorWS.Terraform(r.ctx, f.dir, args...)
			if err != nil {
				return err
			}
			runs := f.runs(ms[c])
			*runs = append(*runs, run)
			logf("  round %d/%d, %s %s: %s", round+1, r.cfg.runs, f.label, args[0], run.Wall.Round(time.Millisecond))
		}
	}
	return nil
}

// repeat runs -runs rounds of one command.
func (r *runner) repeat(bs []*build, srv *fakecloud.Cloud, dirs []string, floors floorDirs, args []string) (measured, error) {
	var m measured
	for i := 0; i < r.cfg.runs; i++ {
		if err := r.round([]*measured{&m}, bs, srv, dirs, floors, [][]string{args}, i); err != nil {
			return m, err
		}
	}
	return m, nil
}

// summarise returns one result per build of bs, each a copy of res with
// the build's runs and the floors of m.
func summarise(res Result, bs []*build, m measured) []Result {
	out := make([]Result, len(bs))
	for i, b := range bs {
		out[i] = res
		out[i].Build = b.label
		summariseBuild(&out[i], m.builds[i], m)
	}
	return out
}

// summariseBuild fills the timing and count fields of res from one
// build's runs s and the floors of m.
func summariseBuild(res *Result, s sample, m measured) {
	var walls, floors, plugins, pcpu, tcpu []time.Duration
	var rss []int64
	for _, run := range s.runs {
		rss = append(rss, run.PeakRSSKiB())
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
	res.Runs = len(s.runs)
	res.WallMS, res.WallMedianMS = msList(walls), ms(bench.Median(walls))
	if len(floors) > 0 {
		res.FloorMS, res.FloorMedianMS = msList(floors), ms(bench.Median(floors))
	}
	if len(plugins) > 0 {
		res.PluginFloorMS, res.PluginFloorMedianMS = msList(plugins), ms(bench.Median(plugins))
	}
	res.PeakRSSMedianKiB = bench.MedianInt(rss)
	res.ProviderCPUMedianMS = ms(bench.Median(pcpu))
	res.TerraformCPUMedianMS = ms(bench.Median(tcpu))
	res.Counts = medianCounts(s.counts)
	// Connections and concurrency depend on timing; request counts must not.
	for _, c := range s.counts {
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
