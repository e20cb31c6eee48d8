package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ProviderAddress is the provider's registry address, as dev_overrides and
// `terraform providers schema -json` name it.
const ProviderAddress = "registry.terraform.io/vbs-tf/vbs"

// FindTerraform returns the CLI the acceptance tests use: TF_ACC_TERRAFORM_PATH,
// else terraform on PATH.
func FindTerraform() (string, error) {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p, nil
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		return "", errors.New("no Terraform CLI: set TF_ACC_TERRAFORM_PATH or put terraform on PATH (`make terraform` finds or builds one)")
	}
	return p, nil
}

// ModuleRoot walks up from dir to the directory holding this module's go.mod.
func ModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/vbs-tf/terraform-provider-vbs\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the terraform-provider-vbs module")
		}
		dir = parent
	}
}

// BuildProvider builds the main package pkg of the module at root (".",
// the provider as users build it, or a variant such as
// ./internal/bench/cmd/profprovider) into out.
func BuildProvider(ctx context.Context, root, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build the provider: %v\n%s", err, b)
	}
	return nil
}

// Workspace runs the Terraform CLI against a provider build through
// dev_overrides, as scripts/demo.sh does, with an environment that nothing
// from the caller's OS_* or TF_* settings leaks into.
type Workspace struct {
	// CLI is the terraform binary.
	CLI string
	// Dir holds the CLI configuration, the plugin directory and the
	// configurations' working directories.
	Dir string
	// UsageFile collects the wrapper's ProcessUsage lines; empty when the
	// provider runs unwrapped.
	UsageFile string
	env       []string
}

// NewWorkspace prepares dir. provider is the built provider binary. When
// wrapper is not empty it is an executable that calls MaybeRunWrapper first
// thing; it is installed as the provider so each provider process's
// rusage is recorded. Otherwise provider itself must be named
// terraform-provider-vbs and is used directly.
func NewWorkspace(terraform, dir, provider, wrapper string) (*Workspace, error) {
	w := &Workspace{CLI: terraform, Dir: dir}
	pluginDir := filepath.Dir(provider)
	var extra []string
	if wrapper != "" {
		pluginDir = filepath.Join(dir, "plugins")
		if err := os.MkdirAll(pluginDir, 0o755); err != nil {
			return nil, err
		}
		if err := copyFile(wrapper, filepath.Join(pluginDir, "terraform-provider-vbs")); err != nil {
			return nil, err
		}
		w.UsageFile = filepath.Join(dir, "usage.jsonl")
		extra = append(extra, EnvRealProvider+"="+provider, EnvUsageFile+"="+w.UsageFile)
	} else if filepath.Base(provider) != "terraform-provider-vbs" {
		return nil, fmt.Errorf("%s: dev_overrides needs the binary named terraform-provider-vbs", provider)
	}
	rc := filepath.Join(dir, "terraformrc")
	cfg := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", ProviderAddress, pluginDir)
	if err := os.WriteFile(rc, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "OS_") || strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "VBS_BENCH_") ||
			name == "CHECKPOINT_DISABLE" {
			continue
		}
		w.env = append(w.env, kv)
	}
	w.env = append(w.env, "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	w.env = append(w.env, extra...)
	return w, nil
}

// SetEnv adds or replaces a variable of the terraform processes (and so of
// the provider processes they start).
func (w *Workspace) SetEnv(name, value string) {
	for i, kv := range w.env {
		if strings.HasPrefix(kv, name+"=") {
			w.env[i] = name + "=" + value
			return
		}
	}
	w.env = append(w.env, name+"="+value)
}

// UnsetEnv removes a variable set with SetEnv.
func (w *Workspace) UnsetEnv(name string) {
	out := w.env[:0]
	for _, kv := range w.env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	w.env = out
}

// Config writes a configuration into a fresh working directory under the
// workspace and returns the directory.
func (w *Workspace) Config(name, mainTF string) (string, error) {
	dir := filepath.Join(w.Dir, name)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "main.tf"), []byte(mainTF), 0o644)
}

// Run is one terraform command.
type Run struct {
	Wall time.Duration
	// TerraformCPU is the user+system time of terraform and every process
	// it waited for, the providers included.
	TerraformCPU time.Duration
	// Providers has one entry per provider process, when wrapped.
	Providers []ProcessUsage
	// Output is the combined stdout and stderr, kept for error reports.
	Output string
	// ExitCode is terraform's exit status: with -detailed-exitcode, 2
	// is a plan with changes, which Terraform returns as an error.
	ExitCode int
}

// ProviderCPU is the user+system time of all provider processes.
func (r Run) ProviderCPU() time.Duration {
	var ms float64
	for _, p := range r.Providers {
		ms += p.UserMS + p.SysMS
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// PeakRSSKiB is the largest peak RSS of any provider process.
func (r Run) PeakRSSKiB() int64 {
	var m int64
	for _, p := range r.Providers {
		m = max(m, p.MaxRSSKiB)
	}
	return m
}

// Terraform runs the CLI in dir and times it from fork to exit: that is the
// wall time a user waits.
func (w *Workspace) Terraform(ctx context.Context, dir string, args ...string) (Run, error) {
	if w.UsageFile != "" {
		if err := os.WriteFile(w.UsageFile, nil, 0o644); err != nil {
			return Run{}, err
		}
	}
	out, err := os.Create(filepath.Join(dir, "terraform.log"))
	if err != nil {
		return Run{}, err
	}
	defer out.Close()
	cmd := exec.CommandContext(ctx, w.CLI, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, w.env, out, out
	start := time.Now()
	runErr := cmd.Run()
	run := Run{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		run.TerraformCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		run.ExitCode = cmd.ProcessState.ExitCode()
	}
	if w.UsageFile != "" {
		run.Providers, err = readUsage(w.UsageFile)
		if err != nil && runErr == nil {
			runErr = err
		}
	}
	if b, err := os.ReadFile(out.Name()); err == nil {
		run.Output = string(b)
	}
	if runErr != nil {
		return run, fmt.Errorf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, runErr, tail(run.Output, 4000))
	}
	return run, nil
}

func readUsage(path string) ([]ProcessUsage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []ProcessUsage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var u ProcessUsage
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, u)
	}
	return out, sc.Err()
}

// Schema holds the object types `terraform providers schema -json` lists
// for the provider.
type Schema struct {
	DataSources map[string]bool
	Resources   map[string]bool
	// ListResources is empty with a CLI older than Terraform 1.14, which
	// does not ask for list resources.
	ListResources map[string]bool
}

// ProviderSchema runs `terraform providers schema -json` in dir, which must
// hold a configuration that uses the provider, and returns what it lists.
func (w *Workspace) ProviderSchema(ctx context.Context, dir string) (Schema, Run, error) {
	run, err := w.Terraform(ctx, dir, "providers", "schema", "-json")
	if err != nil {
		return Schema{}, run, err
	}
	var doc struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas     map[string]json.RawMessage `json:"resource_schemas"`
			DataSourceSchemas   map[string]json.RawMessage `json:"data_source_schemas"`
			ListResourceSchemas map[string]json.RawMessage `json:"list_resource_schemas"`
		} `json:"provider_schemas"`
	}
	// The CLI prints warnings (dev_overrides) on stderr, which shares the
	// log; the JSON document is the line that starts with '{'.
	for _, line := range strings.Split(run.Output, "\n") {
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &doc); err != nil {
				return Schema{}, run, fmt.Errorf("providers schema -json: %w", err)
			}
			break
		}
	}
	p, ok := doc.ProviderSchemas[ProviderAddress]
	if !ok {
		return Schema{}, run, fmt.Errorf("providers schema -json lists no %s:\n%s", ProviderAddress, tail(run.Output, 2000))
	}
	s := Schema{DataSources: map[string]bool{}, Resources: map[string]bool{}, ListResources: map[string]bool{}}
	for k := range p.DataSourceSchemas {
		s.DataSources[k] = true
	}
	for k := range p.ResourceSchemas {
		s.Resources[k] = true
	}
	for k := range p.ListResourceSchemas {
		s.ListResources[k] = true
	}
	return s, run, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Median returns the median of ds (the mean of the middle two for an even
// count), 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// MedianInt is Median for counts.
func MedianInt(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]int64(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
