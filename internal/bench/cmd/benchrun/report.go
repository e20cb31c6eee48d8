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
)

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
