package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// config is what the flags ask for.
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

	// What run needs besides the scenarios.
	terraform   string // empty: TF_ACC_TERRAFORM_PATH, then PATH
	jsonOut     string
	mdOut       string
	keep        bool
	timeout     time.Duration
	envs        envFlag
	providerPkg string
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
	cfg := config{
		runs: *runs, listSharings: *listN, applyMaxN: *applyMaxN, scenarios: map[string]bool{}, profile: *profile,
		terraform: *tfFlag, jsonOut: *jsonOut, mdOut: *mdOut, keep: *keep, timeout: *timeout, envs: envs, providerPkg: *pkg,
	}
	var err error
	if cfg.ns, err = parseInts(*nFlag); err != nil {
		return cfg, fmt.Errorf("-n: %w", err)
	}
	if cfg.parallelisms, err = parseInts(*parFlag); err != nil {
		return cfg, fmt.Errorf("-parallelism: %w", err)
	}
	for _, s := range splitList(*latFlag) {
		d, err := time.ParseDuration(s)
		if err != nil {
			return cfg, fmt.Errorf("-latency: %w", err)
		}
		cfg.latencies = append(cfg.latencies, d)
	}
	for _, s := range splitList(*scenarios) {
		switch s {
		case "schema", "plan", "dedup", "list", "apply":
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
