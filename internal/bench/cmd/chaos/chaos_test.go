package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// The comparison of the state and the cloud finds every way they can
// differ.
func TestDisagreement(t *testing.T) {
	synthetic := []string{fakecloud.SharingID(0), fakecloud.SharingID(1)}
	sharing := func(i int, id string) stateSharing {
		return stateSharing{Address: "vbs_backup_sharing.s" + strconv.Itoa(i), ID: id,
			BackupID: fakecloud.BackupID(i), ToProjectID: bench.ResourceTarget(i)}
	}
	state := []stateSharing{sharing(0, "new-0"), sharing(1, "new-1")}
	cloud := append(append([]string(nil), synthetic...), "new-0", "new-1")
	for _, tc := range []struct {
		name  string
		state []stateSharing
		cloud []string
		want  int
		found string // "" for agreement
	}{
		{"the same", state, cloud, 2, ""},
		{"both empty after destroy", nil, synthetic, 0, ""},
		{"too few in the state", state[:1], cloud[:3], 2, "the state holds 1 sharings, want 2"},
		{"orphaned in the cloud", state[:1], cloud, 1, "the cloud holds sharing new-1, which the state does not"},
		{"made twice", state, append(cloud, "new-2"), 2, "the cloud holds sharing new-2"},
		{"gone from the cloud", state, cloud[:3], 2, "the cloud holds sharing new-1 0 times"},
		{"in the state twice", []stateSharing{sharing(0, "new-0"), sharing(1, "new-0")}, cloud[:3], 2, "is in the state twice"},
		{"another pair", []stateSharing{sharing(0, "new-0"), {Address: "vbs_backup_sharing.s1", ID: "new-1",
			BackupID: fakecloud.BackupID(0), ToProjectID: bench.ResourceTarget(1)}}, cloud, 2, "vbs_backup_sharing.s1 shares backup"},
		{"a synthetic one adopted", []stateSharing{sharing(0, "new-0"), sharing(1, synthetic[1])}, cloud[:3], 2, "one the cloud started with"},
		{"a synthetic one deleted", state, cloud[1:], 2, "synthetic sharing " + synthetic[0] + " 0 times"},
	} {
		got := disagreement(tc.state, tc.cloud, synthetic, tc.want)
		if tc.found == "" && got != "" || tc.found != "" && !strings.Contains(got, tc.found) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.found)
		}
	}
}

// Terraform's JSON output is read for its diagnostics, the planned output
// and changes, and the state.
func TestTerraformJSON(t *testing.T) {
	output := strings.Join([]string{
		`Warning: not JSON`,
		`{"type":"diagnostic","diagnostic":{"severity":"warning","summary":"Provider development overrides are in effect"}}`,
		`{"type":"diagnostic","diagnostic":{"severity":"warning","summary":"Took a sharing whose create answer was lost into the state","address":"vbs_backup_sharing.s3"}}`,
		`{"type":"diagnostic","diagnostic":{"severity":"error","summary":"Reading the sharing failed","address":"data.vbs_backup_sharing.s[7]"}}`,
		`{"type":"planned_change","change":{"resource":{"addr":"vbs_backup_sharing.s4"},"action":"create"}}`,
		`{"type":"outputs","outputs":{"checked":{"sensitive":false,"action":"create"}}}`,
	}, "\n")
	errors, warnings := diagnostics(output)
	if len(errors) != 1 || errors[0] != "data.vbs_backup_sharing.s[7]: Reading the sharing failed" {
		t.Errorf("errors %q", errors)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], reconciled) {
		t.Errorf("warnings %q", warnings)
	}
	if !hasOutput(output, "checked") || hasOutput(output, "other") {
		t.Error("the planned output is not found")
	}
	if got := plannedChanges(output); len(got) != 1 || got[0] != "create vbs_backup_sharing.s4" {
		t.Errorf("planned changes %q", got)
	}

	state, err := parseState("Warning: not JSON\n" + `{"values":{"root_module":{"resources":[` +
		`{"address":"terraform_data.x","type":"terraform_data","values":{"id":"x"}},` +
		`{"address":"vbs_backup_sharing.s0","type":"vbs_backup_sharing","values":{"id":"a","backup_id":"b","to_project_id":"p","timeouts":null}}]}}}`)
	if err != nil || len(state) != 1 || state[0] != (stateSharing{"vbs_backup_sharing.s0", "a", "b", "p"}) {
		t.Errorf("state %+v, %v", state, err)
	}
	if state, err := parseState(`{"format_version":"1.0"}`); err != nil || len(state) != 0 {
		t.Errorf("empty state: %+v, %v", state, err)
	}
}

// Only GETs of one sharing count as reads of it.
func TestDistinctReads(t *testing.T) {
	const base = "/v2/p/os-vendor-backup-sharing"
	requests := []string{
		"GET vbs " + base + "/a", "GET vbs " + base + "/a", "GET vbs " + base + "/b",
		"GET vbs " + base + "/detail", "GET vbs " + base + "/count", "DELETE vbs " + base + "/c",
		"POST iam /v3/auth/tokens",
	}
	if got := distinctReads(requests); got != 2 {
		t.Errorf("%d distinct reads, want 2", got)
	}
}
