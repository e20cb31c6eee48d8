// Command benchrun is `make bench`: it builds the provider, starts the
// synthetic cloud, and times the real Terraform CLI planning N
// vbs_backup_sharing data sources, listing 10,000 sharings, and applying and
// destroying N vbs_backup_sharing resources, each beside its floors:
// Terraform's own cost for the same number of nodes (built-in terraform_data
// in place of the provider's objects) and the network floor. It reports
// medians of -runs runs as a markdown table and, with -json, as JSON.
//
// The binary doubles as the provider wrapper that records each provider
// process's peak RSS and CPU (see bench.MaybeRunWrapper), so it needs no
// helper programs besides terraform and go.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

func main() {
	bench.MaybeRunWrapper()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

type config struct {
	ns           []int
	latencies    []time.Duration
	parallelisms []int
	runs         int
	listSharings int
	applyMaxN    int
	scenarios    map[string]bool
	profile      string
	out          io.Writer
}

func run() error {
	var (
		nFlag     = flag.String("n", "1,100,1000,5000", "comma-separated `counts` of data sources and resources")
		latFlag   = flag.String("latency", "0,50ms", "comma-separated per-request `latencies` of the synthetic cloud")
		parFlag   = flag.String("parallelism", "10,50", "comma-separated terraform -parallelism `values`")
		runs      = flag.Int("runs", 3, "runs per measurement; the tables show medians")
		listN     = flag.Int("list-sharings", 10000, "sharings in the cloud for the list scenario")
		applyMaxN = flag.Int("apply-max-n", 1000, "largest `N` the apply scenario runs; Terraform alone needs about half a minute "+
			"to apply 1000 terraform_data here, and minutes per command beyond")
		scenarios = flag.String("scenarios", "schema,plan,dedup,list,apply", "comma-separated `scenarios` to run")
		tfFlag    = flag.String("terraform", "", "terraform `binary` (default: TF_ACC_TERRAFORM_PATH, then PATH)")
		jsonOut   = flag.String("json", "", "also write the results as JSON to this `file`")
		mdOut     = flag.String("md", "", "also write the markdown tables to this `file`")
		keep      = flag.Bool("keep", false, "keep the work directory (configurations, terraform logs)")
		profile   = flag.String("profile", "", "after the runs, profile one plan (perf if present, and Go's pprof) into this `directory`, "+
			"at the largest -n, largest -latency and smallest -parallelism")
		timeout = flag.Duration("timeout", 3*time.Hour, "give up after this `duration`")
		envs    envFlag
		pkg     = flag.String("provider-pkg", ".", "main `package` to build as the provider, relative to the module root; "+
			"./internal/bench/cmd/profprovider is the provider with profiling and experiments")
	)
	flag.Var(&envs, "env", "set `NAME=VALUE` for terraform and the provider, for A/B runs such as -env TF_LOG_SDK=off (repeatable)")
	flag.Parse()
	cfg := config{runs: *runs, listSharings: *listN, applyMaxN: *applyMaxN, scenarios: map[string]bool{}, profile: *profile}
	var err error
	if cfg.ns, err = parseInts(*nFlag); err != nil {
		return fmt.Errorf("-n: %w", err)
	}
	if cfg.parallelisms, err = parseInts(*parFlag); err != nil {
		return fmt.Errorf("-parallelism: %w", err)
	}
	for _, s := range splitList(*latFlag) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("-latency: %w", err)
		}
		cfg.latencies = append(cfg.latencies, d)
	}
	for _, s := range splitList(*scenarios) {
		switch s {
		case "schema", "plan", "dedup", "list", "apply":
			cfg.scenarios[s] = true
		default:
			return fmt.Errorf("-scenarios: unknown scenario %q", s)
		}
	}
	if cfg.runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	tf := *tfFlag
	if tf == "" {
		if tf, err = bench.FindTerraform(); err != nil {
			return err
		}
	}
	root, err := bench.ModuleRoot(".")
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "vbs-bench-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Fprintln(os.Stderr, "work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	provider := filepath.Join(work, "provider", "terraform-provider-vbs")
	logf("building the provider")
	if err := bench.BuildProvider(ctx, root, *pkg, provider); err != nil {
		return err
	}
	ws, err := bench.NewWorkspace(tf, work, provider, self)
	if err != nil {
		return err
	}
	for _, kv := range envs {
		name, value, _ := strings.Cut(kv, "=")
		ws.SetEnv(name, value)
	}

	var md strings.Builder
	cfg.out = io.MultiWriter(os.Stdout, &md)
	fmt.Fprint(cfg.out, machine(tf, *pkg, envs))

	floorSrv, err := bench.Start(bench.Options{Sharings: 1})
	if err != nil {
		return err
	}
	defer floorSrv.Close()
	r := &runner{cfg: cfg, ws: ws, ctx: ctx, floorSrv: floorSrv, provider: provider}
	if err := r.all(); err != nil {
		return err
	}
	if cfg.profile != "" {
		if err := r.profile(root); err != nil {
			return err
		}
	}
	if *mdOut != "" {
		if err := os.WriteFile(*mdOut, []byte(md.String()), 0o644); err != nil {
			return err
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(r.results, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

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

// schemaScenario always runs once, because the other scenarios need to
// know which object types the provider has; with "schema" selected it is
// timed -runs times.
func (r *runner) schemaScenario() error {
	srv, err := bench.Start(bench.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	dir, err := r.ws.Config("schema", bench.ProviderBlock(srv))
	if err != nil {
		return err
	}
	runs := 1
	if r.cfg.scenarios["schema"] {
		runs = r.cfg.runs
	}
	res := Result{Scenario: "schema", Runs: runs}
	var walls []time.Duration
	for i := 0; i < runs; i++ {
		s, run, err := r.ws.ProviderSchema(r.ctx, dir)
		if err != nil {
			return err
		}
		r.schema = &s
		walls = append(walls, run.Wall)
		res.ProviderProcesses = len(run.Providers)
		res.PeakRSSKiB = max(res.PeakRSSKiB, run.PeakRSSKiB())
	}
	res.WallMS, res.WallMedianMS = msList(walls), ms(bench.Median(walls))
	if r.cfg.scenarios["schema"] {
		r.results = append(r.results, res)
		fmt.Fprintf(r.cfg.out, "\n### `terraform providers schema -json`\n\n| runs | wall (median) | provider processes | provider peak RSS |\n|---|---|---|---|\n| %d | %s | %d | %s |\n",
			runs, fmtMS(res.WallMedianMS), res.ProviderProcesses, fmtRSS(res.PeakRSSKiB))
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

const floorLegend = "Floors, measured in the same run: *TF* is the same plan with N `terraform_data` resources in place of the " +
	"data sources (the issue's definition; Terraform then starts the provider once, for its schema); *plugin* adds one " +
	"`vbs_backup_sharing` read from a zero-latency server, so Terraform also starts and configures the provider for the " +
	"validate and plan walks as in the measured run; *net* is ceil(N/P) × latency. *excess* is wall ÷ (floor + net) − 1.\n\n"

func planArgs(p int) []string {
	return []string{"plan", "-refresh=true", "-input=false", "-lock=false", "-no-color", "-parallelism=" + strconv.Itoa(p)}
}

func (r *runner) planScenario() error {
	if !r.schema.DataSources["vbs_backup_sharing"] {
		r.skip("plan", "vbs_backup_sharing data source")
		return nil
	}
	fmt.Fprint(r.cfg.out, "\n### `terraform plan` of N `vbs_backup_sharing` data sources\n\n"+
		floorLegend+
		"| N | latency | P | wall | TF floor | plugin floor | net floor | excess over TF+net | excess over plugin+net | token | sharing GET | other | connections | max in flight | provider procs | provider peak RSS | provider CPU | terraform CPU | TF floor CPU |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, n := range r.cfg.ns {
		srv, err := bench.Start(bench.Options{Sharings: n})
		if err != nil {
			return err
		}
		dir, err := r.ws.Config(fmt.Sprintf("plan-%d", n), bench.DataSourceConfig(srv, srv.SharingIDs()))
		if err == nil {
			var floors floorDirs
			if floors, err = r.floorConfigs(fmt.Sprintf("plan-%d", n), n); err == nil {
				err = r.planN(srv, n, dir, floors)
			}
		}
		srv.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) planN(srv *fakecloud.Cloud, n int, dir string, floors floorDirs) error {
	for _, lat := range r.cfg.latencies {
		srv.SetLatency(lat)
		for _, p := range r.cfg.parallelisms {
			logf("plan: N=%d latency=%s P=%d", n, lat, p)
			m, err := r.repeat(srv, dir, floors, planArgs(p))
			if err != nil {
				return err
			}
			res := Result{Scenario: "plan", N: n, Sharings: n, LatencyMS: ms(lat), Parallelism: p}
			summarise(&res, m)
			res.NetworkFloorMS = ms(time.Duration(ceilDiv(n, p)) * lat)
			res.Expected = fmt.Sprintf("token=1 sharing_get=%d", n)
			ok := res.Counts[fakecloud.KindToken] == 1 && res.Counts[fakecloud.KindSharingGet] == int64(n) && !res.CountsVary
			res.OK = &ok
			r.results = append(r.results, res)
			c := res.Counts
			fmt.Fprintf(r.cfg.out, "| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %s | %s | %s | %s |\n",
				n, fmtLat(lat), p, fmtMS(res.WallMedianMS), fmtMS(res.FloorMedianMS), fmtMS(res.PluginFloorMedianMS), fmtMS(res.NetworkFloorMS),
				excess(res.WallMedianMS, res.FloorMedianMS+res.NetworkFloorMS),
				excess(res.WallMedianMS, res.PluginFloorMedianMS+res.NetworkFloorMS),
				mark(c[fakecloud.KindToken], 1, res.CountsVary), mark(c[fakecloud.KindSharingGet], int64(n), res.CountsVary),
				c[fakecloud.CountRequests]-c[fakecloud.KindToken]-c[fakecloud.KindSharingGet],
				c[fakecloud.CountConnections], c[fakecloud.CountMaxInFlight], res.ProviderProcesses, fmtRSS(res.PeakRSSKiB),
				fmtMS(res.ProviderCPUMedianMS), fmtMS(res.TerraformCPUMedianMS), fmtMS(res.FloorCPUMedianMS))
		}
	}
	return nil
}

// dedupScenario checks, once per N and without timing, that repeated reads
// cost one request each: N data sources over ceil(N/4) distinct sharings.
func (r *runner) dedupScenario() error {
	if !r.schema.DataSources["vbs_backup_sharing"] {
		r.skip("dedup", "vbs_backup_sharing data source")
		return nil
	}
	fmt.Fprint(r.cfg.out, "\n### Identical reads in one plan (N data sources over ceil(N/4) distinct sharings, latency 0, P=10, one run)\n\n"+
		"| N | distinct | token | sharing GET | expected GET | ok |\n|---|---|---|---|---|---|\n")
	for _, n := range r.cfg.ns {
		distinct := ceilDiv(n, 4)
		srv, err := bench.Start(bench.Options{Sharings: distinct})
		if err != nil {
			return err
		}
		all := srv.SharingIDs()
		ids := make([]string, n)
		for i := range ids {
			ids[i] = all[i%distinct]
		}
		dir, err := r.ws.Config(fmt.Sprintf("dedup-%d", n), bench.DataSourceConfig(srv, ids))
		if err != nil {
			srv.Close()
			return err
		}
		logf("dedup: N=%d distinct=%d", n, distinct)
		_, err = r.ws.Terraform(r.ctx, dir, planArgs(10)...)
		c := srv.Counts()
		srv.Close()
		if err != nil {
			return err
		}
		ok := c[fakecloud.KindToken] == 1 && c[fakecloud.KindSharingGet] == int64(distinct)
		r.results = append(r.results, Result{Scenario: "dedup", N: n, Sharings: distinct, Parallelism: 10, Runs: 1,
			Counts: c, Expected: fmt.Sprintf("token=1 sharing_get=%d", distinct), OK: &ok})
		fmt.Fprintf(r.cfg.out, "| %d | %d | %d | %d | %d | %s |\n", n, distinct, c[fakecloud.KindToken], c[fakecloud.KindSharingGet], distinct, yes(ok))
	}
	return nil
}

// listScenario reads -list-sharings sharings through one vbs_backup_sharings
// data source (every page), a tenth of them through a filter, and the same
// filtered listing three times over, which must cost one listing.
func (r *runner) listScenario() error {
	if !r.schema.DataSources["vbs_backup_sharings"] {
		r.skip("list", "vbs_backup_sharings data source")
		return nil
	}
	total := r.cfg.listSharings
	srv, err := bench.Start(bench.Options{Sharings: total})
	if err != nil {
		return err
	}
	defer srv.Close()
	filtered := map[string]string{"to_project_id": strconv.Quote(fakecloud.TargetProject(3))}
	tenth := 0
	for i := 0; i < total; i++ {
		if i%10 == 3 {
			tenth++
		}
	}
	// The provider lists with sharing.ListAllConcurrently: one page of 100;
	// if it is full, one count and then the other pages, 8 at a time. So k
	// sharings cost ceil(k/100) pages (at least one) and one count when
	// k >= 100, and the round trips one after another are the token, the
	// first page, the count and ceil((pages-1)/8) rounds of pages.
	const pageSize, pageConcurrency = 100, 8
	pages := func(k int) int { return max(1, (k+pageSize-1)/pageSize) }
	counts := func(k int) int {
		if k >= pageSize {
			return 1
		}
		return 0
	}
	roundTrips := func(k int) int {
		if k < pageSize {
			return 2
		}
		return 3 + (pages(k)-1+pageConcurrency-1)/pageConcurrency
	}
	variants := []struct {
		name    string
		copies  int
		filters map[string]string
		matches int
	}{
		{"all", 1, nil, total},
		{"to_project_id", 1, filtered, tenth},
		{"to_project_id ×3 (identical)", 3, filtered, tenth},
	}
	floors, err := r.floorConfigs("list", 1)
	if err != nil {
		return err
	}
	p := r.cfg.parallelisms[0]
	fmt.Fprintf(r.cfg.out, "\n### `vbs_backup_sharings` over %d sharings (P=%d)\n\n"+
		"Floors: *TF* is a plan of one `terraform_data`, *plugin* adds one zero-latency `vbs_backup_sharing`; "+
		"*net* is the round trips one after another × latency: the token, the first page, the count, "+
		"then the other pages 8 at a time.\n\n"+
		"| listing | latency | sharings listed | wall | TF floor | plugin floor | net floor | excess over plugin+net | token | list pages | count | expected pages + count | provider peak RSS | provider CPU | terraform CPU |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", total, p)
	for vi, v := range variants {
		dir, err := r.ws.Config(fmt.Sprintf("list-%d", vi), bench.ListConfig(srv, v.copies, v.filters))
		if err != nil {
			return err
		}
		for _, lat := range r.cfg.latencies {
			srv.SetLatency(lat)
			logf("list %s: latency=%s", v.name, lat)
			m, err := r.repeat(srv, dir, floors, planArgs(p))
			if err != nil {
				return err
			}
			res := Result{Scenario: "list", Variant: v.name, N: v.copies, Sharings: total, LatencyMS: ms(lat), Parallelism: p}
			summarise(&res, m)
			want, wantCount := pages(v.matches), counts(v.matches)
			res.NetworkFloorMS = ms(time.Duration(roundTrips(v.matches)) * lat)
			res.Expected = fmt.Sprintf("token=1 list_page=%d count=%d", want, wantCount)
			ok := res.Counts[fakecloud.KindToken] == 1 && res.Counts[fakecloud.KindListPage] == int64(want) &&
				res.Counts[fakecloud.KindCount] == int64(wantCount) && !res.CountsVary
			res.OK = &ok
			r.results = append(r.results, res)
			fmt.Fprintf(r.cfg.out, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d + %d | %s | %s | %s |\n",
				v.name, fmtLat(lat), v.matches, fmtMS(res.WallMedianMS), fmtMS(res.FloorMedianMS), fmtMS(res.PluginFloorMedianMS),
				fmtMS(res.NetworkFloorMS), excess(res.WallMedianMS, res.PluginFloorMedianMS+res.NetworkFloorMS),
				mark(res.Counts[fakecloud.KindToken], 1, res.CountsVary), mark(res.Counts[fakecloud.KindListPage], int64(want), res.CountsVary),
				mark(res.Counts[fakecloud.KindCount], int64(wantCount), res.CountsVary),
				want, wantCount, fmtRSS(res.PeakRSSKiB), fmtMS(res.ProviderCPUMedianMS), fmtMS(res.TerraformCPUMedianMS))
		}
	}
	return nil
}

// applyScenario creates N sharings with `terraform apply` and cancels them
// with `terraform destroy`, each run leaving the cloud as it found it.
func (r *runner) applyScenario() error {
	if !r.schema.Resources["vbs_backup_sharing"] {
		r.skip("apply", "vbs_backup_sharing resource")
		return nil
	}
	fmt.Fprint(r.cfg.out, "\n### `terraform apply` then `terraform destroy` of N `vbs_backup_sharing` resources\n\n"+
		"Floors: *TF* is the same command on N `terraform_data` resources, *plugin* adds one zero-latency `vbs_backup_sharing` "+
		"data source; *net* is ceil(N/P) × latency × the sequential round trips each resource needs "+
		"(create: POST + GET; destroy: GET in the refresh, then DELETE).\n\n"+
		"| N | latency | P | command | wall | TF floor | plugin floor | net floor | excess over plugin+net | token | create | sharing GET | delete | other | provider procs | provider peak RSS | provider CPU |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var skipped []string
	for _, n := range r.cfg.ns {
		if n > r.cfg.applyMaxN {
			skipped = append(skipped, strconv.Itoa(n))
			continue
		}
		srv, err := bench.Start(bench.Options{Sharings: n})
		if err != nil {
			return err
		}
		err = r.applyN(srv, n)
		srv.Close()
		if err != nil {
			return err
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(r.cfg.out, "\nN=%s not run: above -apply-max-n %d.\n", strings.Join(skipped, ", "), r.cfg.applyMaxN)
	}
	return nil
}

func (r *runner) applyN(srv *fakecloud.Cloud, n int) error {
	dir, err := r.ws.Config(fmt.Sprintf("apply-%d", n), bench.ResourceConfig(srv, n))
	if err != nil {
		return err
	}
	floors, err := r.floorConfigs(fmt.Sprintf("apply-%d", n), n)
	if err != nil {
		return err
	}
	for _, lat := range r.cfg.latencies {
		srv.SetLatency(lat)
		for _, p := range r.cfg.parallelisms {
			logf("apply/destroy: N=%d latency=%s P=%d", n, lat, p)
			par := "-parallelism=" + strconv.Itoa(p)
			common := []string{"-auto-approve", "-input=false", "-lock=false", "-no-color", par}
			var apply, destroy measured
			for i := 0; i < r.cfg.runs; i++ {
				if err := r.measure(&apply, srv, dir, floors, append([]string{"apply"}, common...)); err != nil {
					return err
				}
				if err := r.measure(&destroy, srv, dir, floors, append([]string{"destroy"}, common...)); err != nil {
					return err
				}
			}
			for _, step := range []struct {
				m   measured
				cmd string
			}{{apply, "apply"}, {destroy, "destroy"}} {
				res := Result{Scenario: step.cmd, N: n, Sharings: n, LatencyMS: ms(lat), Parallelism: p}
				summarise(&res, step.m)
				c := res.Counts
				perNode := 2
				res.NetworkFloorMS = ms(time.Duration(ceilDiv(n, p)*perNode) * lat)
				var ok bool
				if step.cmd == "apply" {
					res.Expected = fmt.Sprintf("token=1 create=%d sharing_get=%d", n, n)
					ok = c[fakecloud.KindToken] == 1 && c[fakecloud.KindCreate] == int64(n) && c[fakecloud.KindSharingGet] == int64(n)
				} else {
					res.Expected = fmt.Sprintf("token=1 sharing_get=%d delete=%d", n, n)
					ok = c[fakecloud.KindToken] <= 1 && c[fakecloud.KindDelete] == int64(n) && c[fakecloud.KindSharingGet] == int64(n)
				}
				ok = ok && !res.CountsVary
				res.OK = &ok
				r.results = append(r.results, res)
				other := c[fakecloud.CountRequests] - c[fakecloud.KindToken] - c[fakecloud.KindCreate] - c[fakecloud.KindSharingGet] - c[fakecloud.KindDelete]
				fmt.Fprintf(r.cfg.out, "| %d | %s | %d | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %s | %s |\n",
					n, fmtLat(lat), p, step.cmd, fmtMS(res.WallMedianMS), fmtMS(res.FloorMedianMS), fmtMS(res.PluginFloorMedianMS),
					fmtMS(res.NetworkFloorMS), excess(res.WallMedianMS, res.PluginFloorMedianMS+res.NetworkFloorMS),
					c[fakecloud.KindToken], c[fakecloud.KindCreate], c[fakecloud.KindSharingGet], c[fakecloud.KindDelete], other,
					res.ProviderProcesses, fmtRSS(res.PeakRSSKiB), fmtMS(res.ProviderCPUMedianMS))
			}
		}
	}
	return nil
}

// profile runs one more plan at the largest -n, largest -latency and
// smallest -parallelism, twice: under perf, which follows the provider
// processes terraform starts and so splits the CPU between terraform and
// the provider; and with the provider built from cmd/profprovider, whose Go
// profiles name the provider's functions and its live heap.
func (r *runner) profile(root string) error {
	n := slices.Max(r.cfg.ns)
	lat := slices.Max(r.cfg.latencies)
	p := slices.Min(r.cfg.parallelisms)
	dir, err := filepath.Abs(r.cfg.profile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	srv, err := bench.Start(bench.Options{Sharings: n, Latency: lat})
	if err != nil {
		return err
	}
	defer srv.Close()
	wd, err := r.ws.Config("profile", bench.DataSourceConfig(srv, srv.SharingIDs()))
	if err != nil {
		return err
	}
	fmt.Fprintf(r.cfg.out, "\n### Profiles (N=%d, latency %s, P=%d), in %s\n\n", n, fmtLat(lat), p, dir)

	if _, err := exec.LookPath("perf"); err != nil {
		logf("profile: no perf on PATH, so no split between terraform and provider")
	} else {
		logf("profile (perf): N=%d latency=%s P=%d", n, lat, p)
		data := filepath.Join(dir, "perf.data")
		tf := r.ws.CLI
		r.ws.CLI = "perf"
		run, err := r.ws.Terraform(r.ctx, wd, append([]string{"record", "-q", "-g", "-F", "499", "-o", data, "--", tf}, planArgs(p)...)...)
		r.ws.CLI = tf
		if err != nil {
			return err
		}
		for _, rep := range []struct{ file, sort string }{{"perf-by-process.txt", "comm,dso"}, {"perf-provider.txt", "sym"}} {
			args := []string{"report", "-i", data, "--stdio", "--sort", rep.sort, "-g", "none", "--percent-limit", "1"}
			if rep.sort == "sym" {
				// The kernel truncates comm to 15 bytes.
				args = append(args, "--children", "--comms", "terraform-provi")
			} else {
				args = append(args, "--no-children")
			}
			out, err := exec.CommandContext(r.ctx, "perf", args...).Output()
			if err != nil {
				return fmt.Errorf("perf report: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dir, rep.file), out, 0o644); err != nil {
				return err
			}
		}
		fmt.Fprintf(r.cfg.out, "- perf: wall %s; terraform CPU %s, provider CPU %s (perf-by-process.txt, perf-provider.txt)\n",
			run.Wall.Round(time.Millisecond), (run.TerraformCPU - run.ProviderCPU()).Round(time.Millisecond),
			run.ProviderCPU().Round(time.Millisecond))
	}

	logf("profile (pprof): N=%d latency=%s P=%d", n, lat, p)
	prof := filepath.Join(r.ws.Dir, "profprovider", "terraform-provider-vbs")
	if err := bench.BuildProvider(r.ctx, root, "./internal/bench/cmd/profprovider", prof); err != nil {
		return err
	}
	r.ws.SetEnv(bench.EnvRealProvider, prof)
	r.ws.SetEnv("VBS_BENCH_PPROF_DIR", dir)
	run, err := r.ws.Terraform(r.ctx, wd, planArgs(p)...)
	r.ws.UnsetEnv("VBS_BENCH_PPROF_DIR")
	r.ws.SetEnv(bench.EnvRealProvider, r.provider)
	if err != nil {
		return err
	}
	// The process that read the data sources is the one that used the
	// most CPU; the others only validated or served the schema.
	var busiest bench.ProcessUsage
	for _, u := range run.Providers {
		if u.UserMS+u.SysMS > busiest.UserMS+busiest.SysMS {
			busiest = u
		}
	}
	// The wrapper reports its child's PID, which is the profiled process.
	for _, rep := range []struct {
		file, profile string
		args          []string
	}{
		{"pprof-cpu.txt", "cpu", []string{"-top", "-cum", "-nodecount=60"}},
		{"pprof-heap.txt", "heap", []string{"-top", "-sample_index=inuse_space", "-nodecount=40"}},
	} {
		in := filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", rep.profile, busiest.PID))
		args := append(append([]string{"tool", "pprof"}, rep.args...), prof, in)
		out, err := exec.CommandContext(r.ctx, "go", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("go tool pprof %s: %v\n%s", in, err, out)
		}
		if err := os.WriteFile(filepath.Join(dir, rep.file), out, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(r.cfg.out, "- pprof: wall %s; provider process %d: CPU %s, peak RSS %s (pprof-cpu.txt, pprof-heap.txt)\n",
		run.Wall.Round(time.Millisecond), busiest.PID, time.Duration((busiest.UserMS+busiest.SysMS)*float64(time.Millisecond)).Round(time.Millisecond),
		fmtRSS(busiest.MaxRSSKiB))
	return nil
}

func (r *runner) skip(scenario, what string) {
	msg := fmt.Sprintf("not available: provider has no %s", what)
	logf("%s: %s", scenario, msg)
	fmt.Fprintf(r.cfg.out, "\n### %s\n\n%s\n", scenario, msg)
	r.results = append(r.results, Result{Scenario: scenario, Note: msg})
}

func machine(tf, pkg string, envs []string) string {
	var b strings.Builder
	b.WriteString("## Machine\n\n")
	fmt.Fprintf(&b, "- CPUs: %d (%s)\n", runtime.NumCPU(), cpuModel())
	if mem := memTotal(); mem != "" {
		fmt.Fprintf(&b, "- memory: %s\n", mem)
	}
	fmt.Fprintf(&b, "- %s/%s, benchrun built with %s\n", runtime.GOOS, runtime.GOARCH, runtime.Version())
	if out, err := exec.Command(tf, "version").Output(); err == nil {
		fmt.Fprintf(&b, "- %s (%s)\n", strings.SplitN(string(out), "\n", 2)[0], tf)
	}
	fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format(time.RFC3339))
	if pkg != "." {
		fmt.Fprintf(&b, "- provider built from `%s`\n", pkg)
	}
	if len(envs) > 0 {
		fmt.Fprintf(&b, "- extra environment: `%s`\n", strings.Join(envs, " "))
	}
	return b.String()
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown model"
}

func memTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kib, _ := strconv.ParseFloat(f[1], 64)
			return fmt.Sprintf("%.1f GiB", kib/(1<<20))
		}
	}
	return ""
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func compact(c map[string]int64) string {
	keys := make([]string, 0, len(c))
	for k, v := range c {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, c[k])
	}
	return strings.Join(parts, " ")
}

type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, " ") }

func (e *envFlag) Set(kv string) error {
	if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
		return fmt.Errorf("%q is not NAME=VALUE", kv)
	}
	*e = append(*e, kv)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return out, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func msList(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = math.Round(ms(d)*10) / 10
	}
	return out
}

func fmtMS(v float64) string {
	if v >= 10000 {
		return fmt.Sprintf("%.2f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func fmtLat(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func fmtRSS(kib int64) string {
	if kib == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

func excess(wall, floor float64) string {
	if floor <= 0 {
		return "-"
	}
	return fmt.Sprintf("%+.1f%%", (wall/floor-1)*100)
}

// mark flags a count that differs from what the issue requires, so a
// regression stands out in the table.
func mark(got, want int64, vary bool) string {
	s := strconv.FormatInt(got, 10)
	if got != want {
		s += fmt.Sprintf(" ✗ (want %d)", want)
	}
	if vary {
		s += " (varies)"
	}
	return s
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
