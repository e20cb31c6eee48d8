package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
)

// config is what the flags ask for.
type config struct {
	ns           []int
	latencies    []time.Duration
	parallelisms []int
	runs         int
	listSharings int
	applyMaxN    int
	// applyLatencies and applyParallelisms are the apply scenario's grid,
	// by default -latency and -parallelism.
	applyLatencies    []time.Duration
	applyParallelisms []int
	querySharings     []int
	queryLatency      time.Duration
	queryParallelism  int
	scenarios         map[string]bool
	// pluginFloor runs the plugin floor beside the Terraform floor.
	pluginFloor     bool
	profile         string
	profileScenario string
	out             io.Writer
	// revisions are the builds measured side by side, in the order of the
	// tables' columns; bench.WorkingTree is the working tree.
	revisions []string

	// What run needs besides the scenarios.
	terraform string // empty: TF_ACC_TERRAFORM_PATH, then PATH
	// queryTerraform runs the query scenario; empty: terraform.
	queryTerraform string
	jsonOut        string
	mdOut          string
	keep           bool
	timeout        time.Duration
	envs           envFlag
	providerPkg    string
}

// parseFlags reads the command line; a malformed flag ends the program with
// the usage, as flag.Parse does.
func parseFlags() (config, error) {
	var (
		nFlag     = flag.String("n", "1,100,1000,5000", "comma-separated `counts` of data sources and resources")
		latFlag   = flag.String("latency", "0,50ms", "comma-separated per-request `latencies` of the synthetic cloud")
		parFlag   = flag.String("parallelism", "10,50", "comma-separated terraform -parallelism `values`")
		runs      = flag.Int("runs", 3, "runs per measurement; the tables show medians")
		listN     = flag.Int("list-sharings", 10000, "sharings in the cloud for the list scenario")
		applyMaxN = flag.Int("apply-max-n", 1000, "largest `N` the apply scenario runs; Terraform alone needs about half a minute "+
			"to apply 1000 terraform_data here, and minutes per command beyond")
		applyLat = flag.String("apply-latency", "", "comma-separated `latencies` of the apply scenario (default: -latency)")
		applyPar = flag.String("apply-parallelism", "", "comma-separated -parallelism `values` of the apply scenario (default: -parallelism)")
		queryN   = flag.String("query-sharings", "5000", "comma-separated `counts` of sharings in the cloud of the query and stream scenarios, "+
			"all of them found (and, by query, imported and refreshed), one cloud each")
		queryLat  = flag.Duration("query-latency", 20*time.Millisecond, "per-request `latency` of the query scenario's cloud")
		queryPar  = flag.Int("query-parallelism", 10, "terraform -parallelism of the query scenario's apply")
		scenarios = flag.String("scenarios", "schema,plan,dedup,list,apply,query", "comma-separated `scenarios` to run (stream, not in the default: terraform query by limit)")
		plugin    = flag.Bool("plugin-floor", true, "also run the plugin floor in every round (false saves a run per round)")
		compare   = flag.String("compare", "", "comma-separated git `revisions` to build and measure side by side, alternating in "+
			"every round, the first one the baseline of the tables' ratios; HEAD is the working tree (default: HEAD alone)")
		old     = flag.String("old", "", "`revision` to measure beside the working tree: short for -compare REV,HEAD")
		tfFlag  = flag.String("terraform", "", "terraform `binary` (default: TF_ACC_TERRAFORM_PATH, then PATH)")
		queryTF = flag.String("query-terraform", "", "terraform `binary` of the query scenario, 1.14 or later (default: -terraform)")
		jsonOut = flag.String("json", "", "also write the results as JSON to this `file`")
		mdOut   = flag.String("md", "", "also write the markdown tables to this `file`")
		keep    = flag.Bool("keep", false, "keep the work directory (configurations, terraform logs)")
		profile = flag.String("profile", "", "after the runs, profile one command (perf if present, and Go's pprof) of the working tree's "+
			"build into this `directory`, at the largest -n, largest -latency and smallest -parallelism (see -profile-scenario)")
		profileOf = flag.String("profile-scenario", "plan", "what -profile profiles: `plan` (of -n data sources), list "+
			"(the -list-sharings listing), apply (of -n resources, at most -apply-max-n) or import (the apply importing -n sharings)")
		timeout = flag.Duration("timeout", 3*time.Hour, "give up after this `duration`")
		envs    envFlag
		pkg     = flag.String("provider-pkg", ".", "main `package` to build as the provider, relative to the module root; "+
			"./internal/bench/cmd/profprovider is the provider with profiling and experiments")
	)
	flag.Var(&envs, "env", "set `NAME=VALUE` for terraform and the provider, for A/B runs such as -env TF_LOG_SDK=off (repeatable)")
	flag.Parse()
	cfg := config{
		runs: *runs, listSharings: *listN, applyMaxN: *applyMaxN, scenarios: map[string]bool{}, profile: *profile,
		terraform: *tfFlag, jsonOut: *jsonOut, mdOut: *mdOut, keep: *keep, timeout: *timeout, envs: envs, providerPkg: *pkg,
		queryLatency: *queryLat, queryParallelism: *queryPar, queryTerraform: *queryTF,
		pluginFloor: *plugin, profileScenario: *profileOf,
	}
	var err error
	switch {
	case *compare != "" && *old != "":
		return cfg, fmt.Errorf("-old is short for -compare REV,HEAD: give one of them")
	case *old != "":
		cfg.revisions = []string{*old, bench.WorkingTree}
	case *compare != "":
		if cfg.revisions = splitList(*compare); len(cfg.revisions) == 0 {
			return cfg, fmt.Errorf("-compare: no revision")
		}
	default:
		cfg.revisions = []string{bench.WorkingTree}
	}
	for i, rev := range cfg.revisions {
		if slices.Contains(cfg.revisions[:i], rev) {
			return cfg, fmt.Errorf("-compare: %s twice", rev)
		}
	}
	if !slices.Contains([]string{"plan", "list", "apply", "import"}, cfg.profileScenario) {
		return cfg, fmt.Errorf("-profile-scenario: %q is not plan, list, apply or import", cfg.profileScenario)
	}
	if cfg.querySharings, err = parseInts(*queryN); err != nil {
		return cfg, fmt.Errorf("-query-sharings: %w", err)
	}
	if cfg.queryParallelism < 1 {
		return cfg, fmt.Errorf("-query-parallelism must be at least 1")
	}
	if cfg.ns, err = parseInts(*nFlag); err != nil {
		return cfg, fmt.Errorf("-n: %w", err)
	}
	if cfg.parallelisms, err = parseInts(*parFlag); err != nil {
		return cfg, fmt.Errorf("-parallelism: %w", err)
	}
	if cfg.latencies, err = parseDurations(*latFlag); err != nil {
		return cfg, fmt.Errorf("-latency: %w", err)
	}
	cfg.applyLatencies, cfg.applyParallelisms = cfg.latencies, cfg.parallelisms
	if *applyLat != "" {
		if cfg.applyLatencies, err = parseDurations(*applyLat); err != nil {
			return cfg, fmt.Errorf("-apply-latency: %w", err)
		}
	}
	if *applyPar != "" {
		if cfg.applyParallelisms, err = parseInts(*applyPar); err != nil {
			return cfg, fmt.Errorf("-apply-parallelism: %w", err)
		}
	}
	for _, s := range splitList(*scenarios) {
		switch s {
		case "schema", "plan", "dedup", "list", "apply", "query", "stream":
			cfg.scenarios[s] = true
		default:
			return cfg, fmt.Errorf("-scenarios: unknown scenario %q", s)
		}
	}
	if cfg.runs < 1 {
		return cfg, fmt.Errorf("-runs must be at least 1")
	}
	return cfg, nil
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

func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range splitList(s) {
		d, err := time.ParseDuration(f)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
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
