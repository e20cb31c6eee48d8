package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
)

// profile runs one more plan of the working tree's build at the largest
// -n (or, with -profile-scenario list, the -list-sharings listing; with
// apply, an apply of at most -apply-max-n resources), largest
// -latency and smallest -parallelism, twice: under perf, which follows the provider
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
	defer func() { srv.Close() }()
	ws, provider := r.working().ws, r.working().provider
	mainTF, what := bench.DataSourceConfig(srv, srv.SharingIDs()), fmt.Sprintf("plan of N=%d", n)
	if r.cfg.profileScenario == "list" {
		srv.Close()
		if srv, err = bench.Start(bench.Options{Sharings: r.cfg.listSharings, Latency: lat}); err != nil {
			return err
		}
		mainTF, what = bench.ListConfig(srv, 1, nil), fmt.Sprintf("listing of %d sharings", r.cfg.listSharings)
	}
	var wd string
	args, undo := planArgs(p), func() error { return nil }
	if r.cfg.profileScenario == "apply" {
		// An apply of at most -apply-max-n resources, destroyed after each
		// profiled run so that the next one creates them again.
		n = min(n, r.cfg.applyMaxN)
		srv.Close()
		if srv, err = bench.Start(bench.Options{Sharings: n, Latency: lat}); err != nil {
			return err
		}
		common := []string{"-auto-approve", "-input=false", "-lock=false", "-no-color", "-parallelism=" + strconv.Itoa(p)}
		mainTF, what, args = bench.ResourceConfig(srv, n), fmt.Sprintf("apply of N=%d", n), append([]string{"apply"}, common...)
		undo = func() error {
			_, err := ws.Terraform(r.ctx, wd, append([]string{"destroy"}, common...)...)
			return err
		}
	}
	if r.cfg.profileScenario == "import" {
		// The apply that imports n sharings, as an adoption's second step;
		// the state is removed after each profiled run so that the next
		// imports them again.
		srv.Close()
		if srv, err = bench.Start(bench.Options{Sharings: n, Latency: lat}); err != nil {
			return err
		}
		mainTF, what = bench.ImportConfig(srv, n), fmt.Sprintf("apply importing N=%d", n)
		args = []string{"apply", "-auto-approve", "-input=false", "-lock=false", "-no-color", "-parallelism=" + strconv.Itoa(p)}
		undo = func() error { return fresh(wd) }
	}
	if wd, err = ws.Config("profile", mainTF); err != nil {
		return err
	}
	fmt.Fprintf(r.cfg.out, "\n### Profiles of %s (%s, latency %s, P=%d)\n\n", r.working().label, what, fmtLat(lat), p)

	if _, err := exec.LookPath("perf"); err != nil {
		logf("profile: no perf on PATH, so no split between terraform and provider")
	} else {
		logf("profile (perf): %s latency=%s P=%d", what, lat, p)
		data := filepath.Join(dir, "perf.data")
		tf := ws.CLI
		ws.CLI = "perf"
		run, err := ws.Terraform(r.ctx, wd, append([]string{"record", "-q", "-g", "-F", "499", "-o", data, "--", tf}, args...)...)
		ws.CLI = tf
		if err != nil {
			return err
		}
		if err := undo(); err != nil {
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

	logf("profile (pprof): %s latency=%s P=%d", what, lat, p)
	prof := filepath.Join(ws.Dir, "profprovider", "terraform-provider-vbs")
	if err := bench.BuildProvider(r.ctx, root, "./internal/bench/cmd/profprovider", prof); err != nil {
		return err
	}
	ws.SetEnv(bench.EnvRealProvider, prof)
	ws.SetEnv("VBS_BENCH_PPROF_DIR", dir)
	run, err := ws.Terraform(r.ctx, wd, args...)
	ws.UnsetEnv("VBS_BENCH_PPROF_DIR")
	ws.SetEnv(bench.EnvRealProvider, provider)
	if err != nil {
		return err
	}
	if err := undo(); err != nil {
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
	// Whose code the samples are in: the CPU of every provider process of
	// the run, the busiest one's allocations and its live heap at the
	// largest collection.
	var cpus []string
	for _, u := range run.Providers {
		cpus = append(cpus, filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", u.PID)))
	}
	var split strings.Builder
	for _, part := range []struct {
		title, index string
		files        []string
	}{
		{"CPU, every provider process", "", cpus},
		{fmt.Sprintf("allocated bytes, process %d", busiest.PID), "alloc_space", []string{filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", busiest.PID))}},
		{fmt.Sprintf("live bytes at the largest collection, process %d", busiest.PID), "inuse_space", []string{filepath.Join(dir, fmt.Sprintf("heap-peak-%d.pprof", busiest.PID))}},
	} {
		table, err := splitProfiles(r.ctx, part.files, part.index)
		if err != nil {
			return err
		}
		fmt.Fprintf(&split, "%s\n%s\n", part.title, table)
	}
	if err := os.WriteFile(filepath.Join(dir, "pprof-split.txt"), []byte(split.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(r.cfg.out, "- pprof: wall %s; provider process %d: CPU %s, peak RSS %s (pprof-cpu.txt, pprof-heap.txt; whose code: pprof-split.txt)\n",
		run.Wall.Round(time.Millisecond), busiest.PID, time.Duration((busiest.UserMS+busiest.SysMS)*float64(time.Millisecond)).Round(time.Millisecond),
		fmtRSS(busiest.MaxRSSKiB))
	return nil
}
