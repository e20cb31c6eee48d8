package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
)

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
