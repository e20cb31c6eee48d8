package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// Environment of the provider wrapper. Terraform passes its environment on
// to the plugins it starts, so setting these on the terraform process
// reaches the wrapper.
const (
	// EnvRealProvider is the provider binary the wrapper runs.
	EnvRealProvider = "VBS_BENCH_REAL_PROVIDER"
	// EnvUsageFile is where the wrapper appends one JSON ProcessUsage line
	// per provider process.
	EnvUsageFile = "VBS_BENCH_USAGE_FILE"
	// EnvPerfDir, when set, makes the wrapper run the provider under
	// `perf record -g`, one perf-<pid>.data file per provider process.
	EnvPerfDir = "VBS_BENCH_PERF_DIR"
	// EnvStderrDir, when set, makes the wrapper also copy each provider
	// process's stderr (its JSON log lines, and the runtime's output such as
	// GODEBUG=gctrace=1) to stderr-<pid>.log there.
	EnvStderrDir = "VBS_BENCH_STDERR_DIR"
)

// ProcessUsage is one provider process as the kernel accounted it.
type ProcessUsage struct {
	PID       int     `json:"pid"`
	MaxRSSKiB int64   `json:"max_rss_kib"`
	UserMS    float64 `json:"user_ms"`
	SysMS     float64 `json:"sys_ms"`
	WallMS    float64 `json:"wall_ms"`
	ExitCode  int     `json:"exit_code"`
}

// MaybeRunWrapper turns the current process into the provider wrapper when it
// was started by Terraform as terraform-provider-vbs with EnvRealProvider
// set, and never returns in that case. The wrapper runs the real provider
// as its child with the same arguments, environment and standard streams
// (go-plugin's handshake passes straight through), and when the child exits
// appends its rusage to EnvUsageFile. Measuring from outside keeps the
// provider's code untouched and sees what the kernel charged to it, which
// an in-process runtime.MemStats would not.
func MaybeRunWrapper() {
	provider := os.Getenv(EnvRealProvider)
	if provider == "" || filepath.Base(os.Args[0]) != "terraform-provider-vbs" {
		return
	}
	os.Exit(runWrapper(provider))
}

func runWrapper(provider string) int {
	name, args := provider, os.Args[1:]
	if dir := os.Getenv(EnvPerfDir); dir != "" {
		out := filepath.Join(dir, fmt.Sprintf("perf-%d.data", os.Getpid()))
		name, args = "perf", append([]string{"record", "-q", "-g", "-F", "499", "-o", out, "--", provider}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if dir := os.Getenv(EnvStderrDir); dir != "" {
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("stderr-%d.log", os.Getpid()))); err == nil {
			defer f.Close()
			cmd.Stderr = io.MultiWriter(os.Stderr, f)
		}
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "bench wrapper:", err)
		return 1
	}
	// Terraform stops plugins over gRPC, but an interrupted run signals the
	// whole group; pass signals on so the child stops as it would alone.
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for sig := range signals {
			_ = cmd.Process.Signal(sig)
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	code := 0
	if err != nil {
		code = 1
	}
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			appendUsage(ProcessUsage{
				PID:       cmd.ProcessState.Pid(),
				MaxRSSKiB: ru.Maxrss, // kilobytes on Linux
				UserMS:    float64(time.Duration(ru.Utime.Nano())) / 1e6,
				SysMS:     float64(time.Duration(ru.Stime.Nano())) / 1e6,
				WallMS:    float64(wall) / 1e6,
				ExitCode:  code,
			})
		}
	}
	if code < 0 {
		code = 1
	}
	return code
}

func appendUsage(u ProcessUsage) {
	path := os.Getenv(EnvUsageFile)
	if path == "" {
		return
	}
	line, _ := json.Marshal(u)
	// O_APPEND writes of one short line are atomic, so concurrent provider
	// processes cannot interleave their records.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench wrapper:", err)
		return
	}
	_, _ = f.Write(append(line, '\n'))
	_ = f.Close()
}
