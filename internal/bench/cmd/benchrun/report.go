package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
)

// skip notes that build b cannot run scenario, for want of what.
func (r *runner) skip(scenario string, b *build, what string) {
	msg := fmt.Sprintf("not available: provider has no %s", what)
	if len(r.builds) > 1 {
		msg = fmt.Sprintf("not available for build %s: provider has no %s", b.label, what)
	}
	logf("%s: %s", scenario, msg)
	fmt.Fprintf(r.cfg.out, "\n### %s\n\n%s\n", scenario, msg)
	r.results = append(r.results, Result{Build: b.label, Scenario: scenario, Note: msg})
}

// buildHead, buildSep and buildCol add a first column naming the build to
// a table's header, separator and row when more than one build is measured.
func (r *runner) buildHead() string {
	if len(r.builds) > 1 {
		return "| build "
	}
	return ""
}

func (r *runner) buildSep() string {
	if len(r.builds) > 1 {
		return "|---"
	}
	return ""
}

func (r *runner) buildCol(b *build) string {
	if len(r.builds) > 1 {
		return "| " + b.label + " "
	}
	return ""
}

// sideBySide writes, when more than one build ran, a table with one row
// per configuration and the builds as columns beside the floors: each
// build's wall, its excess over the Terraform floor plus the network floor,
// its wall over the first build's, its provider CPU and peak RSS, and
// whether every build's requests were as expected. groups holds one result
// per build of bs for each configuration; cols are the configuration's
// columns, head their names.
func (r *runner) sideBySide(title string, bs []*build, groups [][]Result, head []string, cols func(Result) []string) {
	if len(r.builds) < 2 || len(groups) == 0 {
		return
	}
	hasFloor := false
	for _, g := range groups {
		hasFloor = hasFloor || g[0].FloorMedianMS > 0
	}
	h := append([]string(nil), head...)
	if hasFloor {
		h = append(h, "TF floor")
	}
	h = append(h, "net floor")
	for _, b := range bs {
		h = append(h, "wall "+b.label)
	}
	if hasFloor {
		for _, b := range bs {
			h = append(h, "excess "+b.label)
		}
	}
	for _, b := range bs[1:] {
		h = append(h, b.label+" ÷ "+bs[0].label)
	}
	for _, b := range bs {
		h = append(h, "provider CPU "+b.label)
	}
	for _, b := range bs {
		h = append(h, "peak RSS "+b.label)
	}
	h = append(h, "requests")
	fmt.Fprintf(r.cfg.out, "\n#### Side by side: %s\n\n*excess* is wall ÷ (TF floor + net floor) − 1, medians of %d rounds in which the builds "+
		"and the floors alternated.\n\n| %s |\n|%s\n", title, r.cfg.runs, strings.Join(h, " | "), strings.Repeat("---|", len(h)))
	for _, g := range groups {
		row := cols(g[0])
		if hasFloor {
			row = append(row, fmtFloor(g[0].FloorMedianMS))
		}
		row = append(row, fmtMS(g[0].NetworkFloorMS))
		for _, res := range g {
			row = append(row, fmtMS(res.WallMedianMS))
		}
		if hasFloor {
			for _, res := range g {
				row = append(row, excessOverFloor(res))
			}
		}
		for _, res := range g[1:] {
			row = append(row, ratio(res.WallMedianMS, g[0].WallMedianMS))
		}
		for _, res := range g {
			row = append(row, fmtMS(res.ProviderCPUMedianMS))
		}
		for _, res := range g {
			row = append(row, fmtRSS(res.PeakRSSKiB))
		}
		var bad []string
		for _, res := range g {
			if res.OK != nil && !*res.OK {
				bad = append(bad, res.Build+" ✗ ("+compact(res.Counts)+"; want "+res.Expected+")")
			}
		}
		if len(bad) == 0 {
			row = append(row, "as expected")
		} else {
			row = append(row, strings.Join(bad, "; "))
		}
		fmt.Fprintf(r.cfg.out, "| %s |\n", strings.Join(row, " | "))
	}
}

// fmtFloor is fmtMS for a floor, "-" for one not run.
func fmtFloor(v float64) string {
	if v <= 0 {
		return "-"
	}
	return fmtMS(v)
}

// excessOver is wall's excess over floor + net, "-" when floor was not run.
func excessOver(wall, floor, net float64) string {
	if floor <= 0 {
		return "-"
	}
	return excess(wall, floor+net)
}

// excessOverFloor is res's excess over its Terraform floor plus its
// network floor, "-" without a Terraform floor.
func excessOverFloor(res Result) string {
	return excessOver(res.WallMedianMS, res.FloorMedianMS, res.NetworkFloorMS)
}

func ratio(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func machine(tf, pkg string, envs []string, builds []*build) string {
	var b strings.Builder
	b.WriteString("## Machine\n\n")
	fmt.Fprintf(&b, "- CPUs: %d (%s)\n", runtime.NumCPU(), cpuModel())
	if mem := memTotal(); mem != "" {
		fmt.Fprintf(&b, "- memory: %s\n", mem)
	}
	fmt.Fprintf(&b, "- %s/%s, benchrun built with %s\n", runtime.GOOS, runtime.GOARCH, runtime.Version())
	if out, err := exec.Command(tf, "version").Output(); err == nil {
		fmt.Fprintf(&b, "- %s\n", strings.SplitN(string(out), "\n", 2)[0])
	}
	fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format(time.RFC3339))
	if pkg != "." {
		fmt.Fprintf(&b, "- provider built from `%s`\n", pkg)
	}
	if len(builds) > 1 {
		var labels []string
		for _, bd := range builds {
			l := bd.label
			if bd.rev == bench.WorkingTree {
				l += " (the working tree)"
			} else if !strings.HasPrefix(bd.label, bd.rev) {
				l += " (" + bd.rev + ")"
			}
			labels = append(labels, l)
		}
		fmt.Fprintf(&b, "- builds, alternating in every round: %s\n", strings.Join(labels, ", "))
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
