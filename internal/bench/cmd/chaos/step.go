package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

type runner struct {
	cfg   config
	ws    *bench.Workspace
	ctx   context.Context
	steps []*Step
}

// Step is one terraform command of a scenario and what the cloud saw.
type Step struct {
	Scenario string `json:"scenario"`
	Step     string `json:"step"`
	Command  string `json:"command"`
	Faults   bool   `json:"faults"`

	WallMS   float64 `json:"wall_ms"`
	ExitCode int     `json:"exit_code"`
	// Errors and Warnings are the summaries of Terraform's diagnostics,
	// the dev_overrides warning left out.
	Errors   []string `json:"errors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`

	// Counts are the cloud's counts during the command.
	Counts map[string]int64 `json:"counts"`
	// TokensIssued is the logins that issued a token; the others met a
	// fault.
	TokensIssued int `json:"tokens_issued"`
	// DistinctReads is the distinct sharings read by GET.
	DistinctReads int `json:"distinct_sharings_read"`

	ProviderProcesses int     `json:"provider_processes"`
	ProviderCPUMS     float64 `json:"provider_cpu_ms"`
	PeakRSSKiB        int64   `json:"provider_peak_rss_kib"`

	Checks []Check `json:"checks"`
	// Notes say what the run did not exercise, without failing it.
	Notes []string `json:"notes,omitempty"`

	output string
}

// Check is one thing a step must get right.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

func (s *Step) check(name string, ok bool, format string, args ...any) {
	c := Check{Name: name, OK: ok}
	if !ok {
		c.Detail = fmt.Sprintf(format, args...)
	}
	s.Checks = append(s.Checks, c)
}

// OK says whether every check of the step passed.
func (s *Step) OK() bool {
	for _, c := range s.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// FaultsDealt is the faults of every kind.
func (s *Step) FaultsDealt() int64 {
	var n int64
	for _, k := range fakecloud.FaultKinds {
		n += s.Counts[k.Count()]
	}
	return n
}

// terraform runs one command in dir against srv and records it as a step.
// A command that fails is a step that fails, not an error: the scenario
// goes on so that the cloud and the state are compared all the same. Its
// output, the cloud's counts and its requests are kept in dir under name.
func (r *runner) terraform(srv *fakecloud.Cloud, dir, scenario, name string, faulty bool, args ...string) (*Step, error) {
	logf("%s (faults %v): terraform %s", scenario, faulty, strings.Join(args, " "))
	srv.ResetCounts()
	tokens := len(srv.Tokens())
	run, err := r.ws.Terraform(r.ctx, dir, args...)
	if err != nil && (run.ExitCode <= 0 || r.ctx.Err() != nil) {
		// Terraform did not run, or was stopped: nothing to report on.
		return nil, err
	}
	s := &Step{
		Scenario: scenario, Step: name, Command: "terraform " + strings.Join(args, " "), Faults: faulty,
		WallMS: float64(run.Wall) / float64(time.Millisecond), ExitCode: run.ExitCode,
		Counts: srv.Counts(), TokensIssued: len(srv.Tokens()) - tokens,
		ProviderProcesses: len(run.Providers), ProviderCPUMS: float64(run.ProviderCPU()) / float64(time.Millisecond),
		PeakRSSKiB: run.PeakRSSKiB(), output: run.Output,
	}
	s.Errors, s.Warnings = diagnostics(run.Output)
	// Each expiry should cost one login, and each provider process one to
	// begin with; a login that meets a fault is sent again. The bound is
	// the chaos acceptance tests'.
	logins, expired := s.Counts[fakecloud.KindToken], s.Counts[fakecloud.CountTokenExpired]
	s.check("about one login per expiry", logins <= 2*expired+10, "%d logins for %d token expiries, want at most %d", logins, expired, 2*expired+10)
	requests := srv.Requests()
	s.DistinctReads = distinctReads(requests)
	r.steps = append(r.steps, s)
	counts, _ := json.MarshalIndent(s.Counts, "", "  ")
	for file, content := range map[string]string{
		name + ".log":          run.Output,
		name + ".counts.json":  string(counts) + "\n",
		name + ".requests.txt": strings.Join(requests, "\n") + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// devOverrides is the summary of the warning every command prints when the
// provider comes from dev_overrides.
const devOverrides = "Provider development overrides are in effect"

// uiMessage is one line of Terraform's -json output, the fields read here.
type uiMessage struct {
	Type       string `json:"type"`
	Diagnostic struct {
		Severity string `json:"severity"`
		Summary  string `json:"summary"`
		Address  string `json:"address"`
	} `json:"diagnostic"`
	Outputs map[string]json.RawMessage `json:"outputs"`
	Change  struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
		Action string `json:"action"`
	} `json:"change"`
}

// jsonLines are the lines of output that hold a JSON document: the CLI
// prints some warnings (dev_overrides) as text on stderr, which shares the
// log.
func jsonLines(output string) []string {
	var out []string
	for _, line := range strings.Split(output, "\n") {
		if strings.HasPrefix(line, "{") {
			out = append(out, line)
		}
	}
	return out
}

// messages are the messages of a command run with -json.
func messages(output string) []uiMessage {
	var out []uiMessage
	for _, line := range jsonLines(output) {
		var msg uiMessage
		if json.Unmarshal([]byte(line), &msg) == nil {
			out = append(out, msg)
		}
	}
	return out
}

// diagnostics are the summaries of the error and warning diagnostics of a
// command run with -json, one per diagnostic: unlike the human-readable
// output, the JSON one does not fold similar warnings together.
func diagnostics(output string) (errors, warnings []string) {
	for _, msg := range messages(output) {
		d := msg.Diagnostic
		if msg.Type != "diagnostic" {
			continue
		}
		text := d.Summary
		if d.Address != "" {
			text = d.Address + ": " + text
		}
		switch {
		case d.Severity == "error":
			errors = append(errors, text)
		case d.Severity == "warning" && d.Summary != devOverrides:
			warnings = append(warnings, text)
		}
	}
	return errors, warnings
}

// distinctReads counts the distinct sharings read by GET among the cloud's
// requests ("METHOD label path").
func distinctReads(requests []string) int {
	seen := map[string]bool{}
	for _, r := range requests {
		method, rest, _ := strings.Cut(r, " ")
		label, path, _ := strings.Cut(rest, " ")
		if method != "GET" || label != "vbs" {
			continue
		}
		if _, id, ok := strings.Cut(path, "/os-vendor-backup-sharing/"); ok && id != "" && id != "detail" && id != "count" && !strings.Contains(id, "/") {
			seen[id] = true
		}
	}
	return len(seen)
}

// hasOutput says whether a plan run with -json planned the named output,
// which it can only once the output's preconditions held.
func hasOutput(output, name string) bool {
	for _, msg := range messages(output) {
		if _, ok := msg.Outputs[name]; ok && msg.Type == "outputs" {
			return true
		}
	}
	return false
}

// plannedChanges lists the changes a plan run with -json announced, as
// "action address".
func plannedChanges(output string) []string {
	var out []string
	for _, msg := range messages(output) {
		if msg.Type == "planned_change" {
			out = append(out, msg.Change.Action+" "+msg.Change.Resource.Addr)
		}
	}
	return out
}

// few joins the first five of list with sep, and says how many more there
// are: the command's whole output is in the work directory.
func few(list []string, sep string) string {
	const shown = 5
	if len(list) <= shown {
		return strings.Join(list, sep)
	}
	return strings.Join(list[:shown], sep) + fmt.Sprintf("%sand %d more", sep, len(list)-shown)
}
