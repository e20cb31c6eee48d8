package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// writes applies, plans again and destroys the sharings on a well-behaved
// cloud, then on one that deals faults and loses answers. Both share a
// backup twice if asked, so a create sent again after its answer was lost
// would make a second sharing, not a refusal.
func (r *runner) writes() error {
	// Resource i shares synthetic backup i, so the cloud holds m.
	opts := bench.Options{Sharings: r.cfg.writes, AllowDuplicateSharings: true}
	return r.onEachCloud(opts, r.cfg.lostRate, r.writesOn)
}

func (r *runner) writesOn(srv *fakecloud.Cloud, faulty bool) error {
	m := r.cfg.writes
	synthetic := srv.SharingIDs()
	dir, err := r.ws.Config(name("writes", faulty), bench.ResourceConfig(srv, m))
	if err != nil {
		return err
	}
	common := []string{"-json", "-input=false", "-lock=false", "-parallelism=" + strconv.Itoa(r.cfg.parallelism)}

	apply, err := r.terraform(srv, dir, "writes", "apply", faulty, append([]string{"apply", "-auto-approve"}, common...)...)
	if err != nil {
		return err
	}
	apply.check("apply succeeded", apply.ExitCode == 0 && len(apply.Errors) == 0,
		"exit %d, %d errors: %s", apply.ExitCode, len(apply.Errors), few(apply.Errors, "; "))
	if err := r.compare(apply, srv, dir, "apply", synthetic, m); err != nil {
		return err
	}

	plan, err := r.terraform(srv, dir, "writes", "plan-again", faulty, append([]string{"plan", "-detailed-exitcode"}, common...)...)
	if err != nil {
		return err
	}
	plan.check("second plan empty", plan.ExitCode == 0 && len(plan.Errors) == 0,
		"exit %d (2: changes, 1: failed), %d errors: %s; planned: %s", plan.ExitCode, len(plan.Errors),
		few(plan.Errors, "; "), few(plannedChanges(plan.output), ", "))

	destroy, err := r.terraform(srv, dir, "writes", "destroy", faulty, append([]string{"destroy", "-auto-approve"}, common...)...)
	if err != nil {
		return err
	}
	destroy.check("destroy succeeded", destroy.ExitCode == 0 && len(destroy.Errors) == 0,
		"exit %d, %d errors: %s", destroy.ExitCode, len(destroy.Errors), few(destroy.Errors, "; "))
	if err := r.compare(destroy, srv, dir, "destroy", synthetic, 0); err != nil {
		return err
	}

	if faulty {
		// The scenario as a whole should meet every kind and lose answers
		// of both writes; one step alone need not.
		sum := &Step{Counts: map[string]int64{}}
		for _, s := range []*Step{apply, plan, destroy} {
			for k, v := range s.Counts {
				sum.Counts[k] += v
			}
		}
		r.notExercised(sum)
		if r.cfg.lostRate > 0 && sum.Counts[fakecloud.CountLostAnswerCreate] == 0 {
			sum.Notes = append(sum.Notes, "no create lost its answer")
		}
		if r.cfg.lostRate > 0 && sum.Counts[fakecloud.CountLostAnswerDelete] == 0 {
			sum.Notes = append(sum.Notes, "no delete lost its answer")
		}
		destroy.Notes = append(destroy.Notes, sum.Notes...)
	}
	return nil
}

// compare checks after step that the state and the cloud hold the same
// sharings, want of them, and keeps both in dir.
func (r *runner) compare(step *Step, srv *fakecloud.Cloud, dir, name string, synthetic []string, want int) error {
	run, err := r.ws.Terraform(r.ctx, dir, "show", "-json")
	if err != nil {
		return err
	}
	state, err := parseState(run.Output)
	if err != nil {
		return err
	}
	cloud := srv.SharingIDs()
	for file, content := range map[string]string{
		name + ".state.json": run.Output,
		name + ".cloud.txt":  strings.Join(cloud, "\n") + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			return err
		}
	}
	problem := disagreement(state, cloud, synthetic, want)
	step.check("cloud and state agree", problem == "", "%s", problem)
	return nil
}

// stateSharing is a vbs_backup_sharing in the state.
type stateSharing struct {
	Address     string
	ID          string
	BackupID    string
	ToProjectID string
}

// parseState reads the sharings from the output of `terraform show -json`,
// whose document is the line that starts with '{'.
func parseState(output string) ([]stateSharing, error) {
	for _, line := range jsonLines(output) {
		// The sharing's attributes are strings but for timeouts, an object
		// or null: decode each attribute on its own so that one of another
		// type does not fail the rest.
		var raw struct {
			Values *struct {
				RootModule struct {
					Resources []struct {
						Address string                     `json:"address"`
						Type    string                     `json:"type"`
						Values  map[string]json.RawMessage `json:"values"`
					} `json:"resources"`
				} `json:"root_module"`
			} `json:"values"`
		}
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			return nil, fmt.Errorf("terraform show -json: %w", err)
		}
		var out []stateSharing
		if raw.Values == nil {
			return out, nil
		}
		for _, res := range raw.Values.RootModule.Resources {
			if res.Type != "vbs_backup_sharing" {
				continue
			}
			str := func(k string) string {
				var s string
				_ = json.Unmarshal(res.Values[k], &s)
				return s
			}
			out = append(out, stateSharing{Address: res.Address, ID: str("id"), BackupID: str("backup_id"), ToProjectID: str("to_project_id")})
		}
		return out, nil
	}
	return nil, fmt.Errorf("terraform show -json printed no JSON document:\n%s", output)
}

// disagreement says how the state and the cloud differ, "" when they do
// not: the state holds want sharings, resource s<i> one of synthetic
// backup i with bench.ResourceTarget(i), each once and in the cloud once;
// the cloud holds every synthetic sharing and no sharing besides them and
// the state's: none orphaned, none made twice.
func disagreement(state []stateSharing, cloud, synthetic []string, want int) string {
	var problems []string
	if len(state) != want {
		problems = append(problems, fmt.Sprintf("the state holds %d sharings, want %d", len(state), want))
	}
	inCloud := map[string]int{}
	for _, id := range cloud {
		inCloud[id]++
	}
	isSynthetic := map[string]bool{}
	for _, id := range synthetic {
		isSynthetic[id] = true
		if inCloud[id] != 1 {
			problems = append(problems, fmt.Sprintf("the cloud holds the synthetic sharing %s %d times", id, inCloud[id]))
		}
	}
	inState := map[string]bool{}
	for _, s := range state {
		i, err := strconv.Atoi(strings.TrimPrefix(s.Address, "vbs_backup_sharing.s"))
		if err != nil || s.BackupID != fakecloud.BackupID(i) || s.ToProjectID != bench.ResourceTarget(i) {
			problems = append(problems, fmt.Sprintf("%s shares backup %s with %s", s.Address, s.BackupID, s.ToProjectID))
		}
		switch {
		case inState[s.ID]:
			problems = append(problems, fmt.Sprintf("%s: sharing %s is in the state twice", s.Address, s.ID))
		case inCloud[s.ID] != 1:
			problems = append(problems, fmt.Sprintf("%s: the cloud holds sharing %s %d times", s.Address, s.ID, inCloud[s.ID]))
		case isSynthetic[s.ID]:
			problems = append(problems, fmt.Sprintf("%s: sharing %s is one the cloud started with", s.Address, s.ID))
		}
		inState[s.ID] = true
	}
	for _, id := range cloud {
		if !isSynthetic[id] && !inState[id] {
			problems = append(problems, fmt.Sprintf("the cloud holds sharing %s, which the state does not", id))
		}
	}
	const shown = 20
	if len(problems) > shown {
		problems = append(problems[:shown], fmt.Sprintf("and %d more", len(problems)-shown))
	}
	return strings.Join(problems, "; ")
}
