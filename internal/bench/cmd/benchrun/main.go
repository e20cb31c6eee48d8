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
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
)

func main() {
	bench.MaybeRunWrapper()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := parseFlags()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()

	tf := cfg.terraform
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
	if cfg.keep {
		fmt.Fprintln(os.Stderr, "work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	var builds []*build
	for i, rev := range cfg.revisions {
		label, err := bench.ResolveRevision(ctx, root, rev)
		if err != nil {
			return err
		}
		// Each build has its own directory: its plugin directory, wrapper
		// and usage file, and the configurations' state.
		dir := filepath.Join(work, fmt.Sprintf("build-%d", i))
		b := &build{rev: rev, label: label, provider: filepath.Join(dir, "provider", "terraform-provider-vbs")}
		logf("building the provider at %s (%s)", rev, label)
		if err := bench.BuildProviderAt(ctx, root, rev, cfg.providerPkg, b.provider, work); err != nil {
			return err
		}
		if b.ws, err = bench.NewWorkspace(tf, dir, b.provider, self); err != nil {
			return err
		}
		for _, kv := range cfg.envs {
			name, value, _ := strings.Cut(kv, "=")
			b.ws.SetEnv(name, value)
		}
		builds = append(builds, b)
	}
	if cfg.queryTerraform == "" {
		cfg.queryTerraform = tf
	}

	var md strings.Builder
	cfg.out = io.MultiWriter(os.Stdout, &md)
	fmt.Fprint(cfg.out, machine(tf, cfg.providerPkg, cfg.envs, builds))
	if cfg.scenarios["query"] && cfg.queryTerraform != tf {
		if out, err := exec.Command(cfg.queryTerraform, "version").Output(); err == nil {
			fmt.Fprintf(cfg.out, "- query scenario: %s\n", strings.SplitN(string(out), "\n", 2)[0])
		}
	}

	floorSrv, err := bench.Start(bench.Options{Sharings: 1})
	if err != nil {
		return err
	}
	defer floorSrv.Close()
	r := &runner{cfg: cfg, builds: builds, floorWS: builds[len(builds)-1].ws, ctx: ctx, floorSrv: floorSrv}
	if err := r.all(); err != nil {
		return err
	}
	if cfg.profile != "" {
		if err := r.profile(root); err != nil {
			return err
		}
	}
	if cfg.mdOut != "" {
		if err := os.WriteFile(cfg.mdOut, []byte(md.String()), 0o644); err != nil {
			return err
		}
	}
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(r.results, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
