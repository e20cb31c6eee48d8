// Command chaos is `make chaos`: the chaos acceptance tests
// (internal/provider/chaos_test.go) at a larger size, through the real
// Terraform CLI and the provider built as users build it, against the fake
// cloud misbehaving as a gateway under load does. Each scenario runs twice
// on the same cloud, once well-behaved and once dealing faults:
//
//   - reads: a plan of -n vbs_backup_sharing data sources and a
//     vbs_backup_sharings listing of the same sharings, whose output
//     preconditions check that every read brought its own sharing;
//   - writes: an apply of -m vbs_backup_sharing resources on a cloud that
//     shares a backup twice if asked, with -lost of the creates and
//     deletes carried out and their answers lost, after which the cloud
//     and the state must hold the same sharings; then a second plan, which
//     must be empty, and a destroy, after which the cloud must hold none.
//
// Tokens expire every -token-lifetime in both runs. It prints a markdown
// table of the figures (and with -json writes them as JSON) and exits
// non-zero when a check fails, keeping the work directory with each
// command's output, the cloud's counts and its requests as evidence.
//
// The binary doubles as the provider wrapper that records each provider
// process's CPU and peak RSS (bench.MaybeRunWrapper).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

func main() {
	bench.MaybeRunWrapper()
	ok, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	terraform     string
	seed          uint64
	rate          float64
	lostRate      float64
	retryAfter    int
	tokenLifetime time.Duration
	reads         int
	writes        int
	parallelism   int
	scenarios     map[string]bool
	jsonOut       string
	mdOut         string
	keep          bool
	timeout       time.Duration
}

func parseFlags() (config, error) {
	var cfg config
	var scenarios string
	flag.StringVar(&cfg.terraform, "terraform", "", "terraform `binary` (default: TF_ACC_TERRAFORM_PATH, then PATH)")
	flag.Uint64Var(&cfg.seed, "seed", 1, "`seed` of the faults: what befalls a request follows from the seed, the request and how often it was seen")
	flag.Float64Var(&cfg.rate, "rate", 0.10, "share of the logins and VBS calls that meet a fault, of a kind drawn from every kind")
	flag.Float64Var(&cfg.lostRate, "lost", 0.20, "share of the creates and deletes no fault hit that are carried out and lose their answer")
	flag.IntVar(&cfg.retryAfter, "retry-after", 1, "Retry-After of a throttled request, in `seconds`")
	flag.DurationVar(&cfg.tokenLifetime, "token-lifetime", 3*time.Second, "a token expires this long after its login, in both runs")
	flag.IntVar(&cfg.reads, "n", 3000, "`count` of data sources planned, and of sharings listed")
	flag.IntVar(&cfg.writes, "m", 100, "`count` of sharings applied and destroyed")
	flag.IntVar(&cfg.parallelism, "parallelism", 10, "terraform -parallelism")
	flag.StringVar(&scenarios, "scenarios", "reads,writes", "comma-separated `scenarios` to run")
	flag.StringVar(&cfg.jsonOut, "json", "", "also write the results as JSON to this `file`")
	flag.StringVar(&cfg.mdOut, "md", "", "also write the markdown report to this `file`")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory (configurations, terraform output, requests) even when every check passes")
	flag.DurationVar(&cfg.timeout, "timeout", time.Hour, "give up after this `duration`")
	flag.Parse()
	cfg.scenarios = map[string]bool{}
	for _, s := range strings.Split(scenarios, ",") {
		switch s = strings.TrimSpace(s); s {
		case "reads", "writes":
			cfg.scenarios[s] = true
		case "":
		default:
			return cfg, fmt.Errorf("-scenarios: unknown scenario %q", s)
		}
	}
	switch {
	case len(cfg.scenarios) == 0:
		return cfg, fmt.Errorf("-scenarios: none")
	case !(cfg.rate >= 0 && cfg.rate <= 1) || !(cfg.lostRate >= 0 && cfg.lostRate <= 1):
		return cfg, fmt.Errorf("-rate and -lost must be from 0 to 1")
	case cfg.reads < 1 || cfg.writes < 1 || cfg.parallelism < 1:
		return cfg, fmt.Errorf("-n, -m and -parallelism must be at least 1")
	case cfg.tokenLifetime < 0:
		return cfg, fmt.Errorf("-token-lifetime must not be negative")
	}
	return cfg, nil
}

// faults is the misbehaviour of the run with faults; lost is its share of
// lost answers.
func (cfg config) faults(lost float64) *fakecloud.Faults {
	f := fakecloud.Misbehaving(cfg.seed, cfg.rate, lost)
	f.RetryAfter = cfg.retryAfter
	return f
}

func run() (bool, error) {
	cfg, err := parseFlags()
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	tf := cfg.terraform
	if tf == "" {
		if tf, err = bench.FindTerraform(); err != nil {
			return false, err
		}
	}
	root, err := bench.ModuleRoot(".")
	if err != nil {
		return false, err
	}
	self, err := os.Executable()
	if err != nil {
		return false, err
	}
	work, err := os.MkdirTemp("", "vbs-chaos-")
	if err != nil {
		return false, err
	}
	provider := filepath.Join(work, "provider", "terraform-provider-vbs")
	logf("building the provider")
	if err := bench.BuildProvider(ctx, root, ".", provider); err != nil {
		return false, err
	}
	ws, err := bench.NewWorkspace(tf, work, provider, self)
	if err != nil {
		return false, err
	}
	r := &runner{cfg: cfg, ws: ws, ctx: ctx}
	if cfg.scenarios["reads"] {
		if err := r.reads(); err != nil {
			return false, err
		}
	}
	if cfg.scenarios["writes"] {
		if err := r.writes(); err != nil {
			return false, err
		}
	}

	var md strings.Builder
	out := io.MultiWriter(os.Stdout, &md)
	fmt.Fprint(out, header(cfg, tf))
	report(out, r.steps)
	ok := true
	for _, s := range r.steps {
		ok = ok && s.OK()
	}
	if ok {
		fmt.Fprint(out, "\nEvery check passed.\n")
	} else {
		fmt.Fprint(out, "\n**Checks failed** (above).\n")
	}
	if cfg.mdOut != "" {
		if err := os.WriteFile(cfg.mdOut, []byte(md.String()), 0o644); err != nil {
			return false, err
		}
	}
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(struct {
			Seed          uint64  `json:"seed"`
			Rate          float64 `json:"rate"`
			LostRate      float64 `json:"lost_answer_rate"`
			RetryAfter    int     `json:"retry_after_s"`
			TokenLifetime string  `json:"token_lifetime"`
			Reads         int     `json:"n"`
			Writes        int     `json:"m"`
			Parallelism   int     `json:"parallelism"`
			OK            bool    `json:"ok"`
			Steps         []*Step `json:"steps"`
		}{cfg.seed, cfg.rate, cfg.lostRate, cfg.retryAfter, cfg.tokenLifetime.String(), cfg.reads, cfg.writes, cfg.parallelism, ok, r.steps}, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			return false, err
		}
	}
	if ok && !cfg.keep {
		_ = os.RemoveAll(work)
	} else {
		fmt.Fprintln(os.Stderr, "work directory (each command's output, the cloud's counts and requests):", work)
	}
	return ok, nil
}

// header says what ran, where.
func header(cfg config, tf string) string {
	var b strings.Builder
	b.WriteString("## Chaos run\n\n")
	fmt.Fprintf(&b, "- faults: %.0f %% of the logins and VBS calls, every kind (%s), Retry-After %d s, seed %d\n",
		cfg.rate*100, kindNames(", "), cfg.retryAfter, cfg.seed)
	fmt.Fprintf(&b, "- lost answers: %.0f %% of the creates and deletes no fault hit; the cloud shares a backup twice if asked\n", cfg.lostRate*100)
	fmt.Fprintf(&b, "- tokens expire %s after their login, in both runs\n", cfg.tokenLifetime)
	fmt.Fprintf(&b, "- reads: a plan of %d data sources and a listing of the same %d sharings; writes: %d sharings; -parallelism=%d\n",
		cfg.reads, cfg.reads, cfg.writes, cfg.parallelism)
	fmt.Fprintf(&b, "- %d CPUs, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if out, err := exec.Command(tf, "version").Output(); err == nil {
		fmt.Fprintf(&b, ", %s", strings.SplitN(string(out), "\n", 2)[0])
	}
	fmt.Fprintf(&b, "\n- date: %s\n", time.Now().UTC().Format(time.RFC3339))
	return b.String()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
