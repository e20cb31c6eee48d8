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
	provider := filepath.Join(work, "provider", "terraform-provider-vbs")
	logf("building the provider")
	if err := bench.BuildProvider(ctx, root, cfg.providerPkg, provider); err != nil {
		return err
	}
	ws, err := bench.NewWorkspace(tf, work, provider, self)
	if err != nil {
		return err
	}
	for _, kv := range cfg.envs {
		name, value, _ := strings.Cut(kv, "=")
		ws.SetEnv(name, value)
	}

	var md strings.Builder
	cfg.out = io.MultiWriter(os.Stdout, &md)
	fmt.Fprint(cfg.out, machine(tf, cfg.providerPkg, cfg.envs))

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
