package provider

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

const (
	writeTestBackup  = "1f0e6a52-0000-4000-8000-00000000b001"
	writeTestProject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"
)

// writeCloud is a fake cloud, as adjust leaves it, with one backup to
// share and, for each of existing, a sharing of it to that project made
// before the test.
func writeCloud(t *testing.T, adjust func(*fakecloud.Config), existing ...string) *fakecloud.Cloud {
	t.Helper()
	store := fakecloud.NewSharings(testProjectID, backupObject(writeTestBackup, "nightly-db"))
	for _, to := range existing {
		store.Add(map[string]any{"backup_id": writeTestBackup, "from_project_id": testProjectID, "to_project_id": to,
			"created_at": "2024-03-01T10:15:30.123456", "updated_at": nil})
	}
	return startPlainCloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = store
		adjust(cfg)
	})
}

// writeOperation is an operation on cloud, as Create and Delete begin one.
func writeOperation(t *testing.T, cloud *fakecloud.Cloud) (*operation, *diag.Diagnostics) {
	t.Helper()
	return writeOperationIn(t, context.Background(), cloud)
}

// writeOperationIn is writeOperation under parent, the context of
// Terraform's call.
func writeOperationIn(t *testing.T, parent context.Context, cloud *fakecloud.Cloud) (*operation, *diag.Diagnostics) {
	t.Helper()
	c, err := client.New(client.Settings{AuthURL: cloud.AuthURL(), UserName: "u", Password: "p", DomainName: "d",
		ProjectID: testProjectID, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	var diags diag.Diagnostics
	op := begin(parent, c, func(context.Context, time.Duration) (time.Duration, diag.Diagnostics) {
		return time.Hour, nil
	}, "timeouts.create", subject{doing: "sharing"}, &diags)
	if op == nil {
		t.Fatalf("connecting: %v", diags)
	}
	t.Cleanup(op.end)
	return op, &diags
}

// loseEveryAnswer makes the cloud carry out every create and delete and
// then lose its answer.
func loseEveryAnswer(cfg *fakecloud.Config) {
	cfg.Faults = &fakecloud.Faults{Rules: []fakecloud.FaultRule{{Kinds: []fakecloud.FaultKind{fakecloud.FaultLostAnswer}, Rate: 1}}}
}

func createSubject() subject {
	return subject{doing: "sharing backup " + writeTestBackup + " with project " + writeTestProject}
}

// A create carried out whose answer was lost is found by looking and taken
// into the state, with a warning; the POST is not sent again.
func TestCreateWithLostAnswerAdoptsWhatItMade(t *testing.T) {
	cloud := writeCloud(t, loseEveryAnswer)
	op, diags := writeOperation(t, cloud)
	id := createSharing(op, createSubject(), writeTestBackup, writeTestProject)
	ids := cloud.SharingIDs()
	if id == "" || len(ids) != 1 || ids[0] != id {
		t.Fatalf("create returned %q; the cloud holds %v; diagnostics %v", id, ids, *diags)
	}
	if n := cloud.Counts()[fakecloud.KindCreate]; n != 1 {
		t.Errorf("%d POSTs, want 1", n)
	}
	if diags.HasError() || diags.WarningsCount() != 1 || !strings.Contains((*diags)[0].Detail(), id) {
		t.Errorf("want one warning naming %s: %v", id, *diags)
	}
}

// A create that failed before doing anything (a 503 the gateway answered)
// is looked for, not found, and sent again: one sharing, two POSTs.
func TestCreateWithNothingMadeIsSentAgain(t *testing.T) {
	cloud := writeCloud(t, func(cfg *fakecloud.Config) {
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodPost, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing", Times: 1,
			Status: http.StatusServiceUnavailable, Body: `{"error_code": "APIGW.0503", "error_msg": "Service unavailable."}`,
		}}
	})
	op, diags := writeOperation(t, cloud)
	id := createSharing(op, createSubject(), writeTestBackup, writeTestProject)
	if ids := cloud.SharingIDs(); id == "" || len(ids) != 1 || ids[0] != id || len(*diags) != 0 {
		t.Fatalf("create returned %q; the cloud holds %v; diagnostics %v", id, ids, *diags)
	}
	if n := cloud.Counts()[fakecloud.KindCreate]; n != 2 {
		t.Errorf("%d POSTs, want 2", n)
	}
}

// A create the cloud accepted with an empty answer was carried out: when
// no sharing is listed yet, it is looked for again and then reported as
// one that may exist, never sent a second time.
func TestCreateAcceptedWithAnEmptyAnswerIsNotSentAgain(t *testing.T) {
	cloud := writeCloud(t, func(cfg *fakecloud.Config) {
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodPost, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing",
			Status: http.StatusOK, Body: "",
		}}
	})
	op, diags := writeOperation(t, cloud)
	if id := createSharing(op, createSubject(), writeTestBackup, writeTestProject); id != "" {
		t.Fatalf("create returned %q for a sharing nobody listed", id)
	}
	if len(*diags) != 1 || !strings.Contains((*diags)[0].Summary(), "may have succeeded") ||
		!strings.Contains((*diags)[0].Detail(), "vbs_backup_sharings") {
		t.Errorf("diagnostics %v, want one saying the sharing may exist and how to find it", *diags)
	}
	counts := cloud.Counts()
	if counts[fakecloud.KindCreate] != 1 || counts[fakecloud.KindListPage] != lookUpTries {
		t.Errorf("%d POSTs and %d lookups, want 1 POST and %d lookups", counts[fakecloud.KindCreate], counts[fakecloud.KindListPage], lookUpTries)
	}
}

// A cloud that refuses to share a backup twice: the refusal names the
// existing sharing and shows the import block; nothing is adopted.
func TestCreateRefusedAsDuplicateNamesTheExistingSharing(t *testing.T) {
	cloud := writeCloud(t, func(*fakecloud.Config) {}, writeTestProject)
	existing := cloud.SharingIDs()[0]
	op, diags := writeOperation(t, cloud)
	if id := createSharing(op, createSubject(), writeTestBackup, writeTestProject); id != "" {
		t.Fatalf("a refused create returned %q", id)
	}
	if len(*diags) != 1 || !diags.HasError() {
		t.Fatalf("want one error: %v", *diags)
	}
	d := (*diags)[0]
	detail := strings.Join(strings.Fields(d.Detail()), " ")
	if !regexp.MustCompile(`already shared with project `+writeTestProject).MatchString(d.Summary()) ||
		!strings.Contains(detail, `import { to = vbs_backup_sharing.example id = "`+existing+`" }`) ||
		!strings.Contains(detail, "HTTP 400") {
		t.Errorf("diagnostic %q: %q", d.Summary(), detail)
	}
	if ids := cloud.SharingIDs(); len(ids) != 1 {
		t.Errorf("the cloud holds %v after a refused create", ids)
	}
}

// On a cloud that allows duplicates, a lost answer with an older sharing
// of the same pair leaves two: neither is taken, and both are named.
func TestCreateWithLostAnswerAndSeveralMatchesNamesThem(t *testing.T) {
	cloud := writeCloud(t, func(cfg *fakecloud.Config) {
		loseEveryAnswer(cfg)
		cfg.AllowDuplicateSharings = true
	}, writeTestProject)
	op, diags := writeOperation(t, cloud)
	if id := createSharing(op, createSubject(), writeTestBackup, writeTestProject); id != "" {
		t.Fatalf("create returned %q although two sharings match", id)
	}
	ids := cloud.SharingIDs()
	if len(ids) != 2 || len(*diags) != 1 {
		t.Fatalf("the cloud holds %v; diagnostics %v", ids, *diags)
	}
	for _, id := range ids {
		if !strings.Contains((*diags)[0].Detail(), id) {
			t.Errorf("the error does not name %s: %s", id, (*diags)[0].Detail())
		}
	}
}

// When looking fails too, the create fails and says how to find what it
// may have made; the state gets nothing.
func TestCreateWithLostAnswerAndFailedLookupSaysHowToFindIt(t *testing.T) {
	cloud := writeCloud(t, func(cfg *fakecloud.Config) {
		loseEveryAnswer(cfg)
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodGet, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/detail",
			Status: http.StatusForbidden, Body: `{"error_code": "APIGW.0302", "error_msg": "The IAM or ACL policy does not allow the request."}`,
		}}
	})
	op, diags := writeOperation(t, cloud)
	if id := createSharing(op, createSubject(), writeTestBackup, writeTestProject); id != "" {
		t.Fatalf("create returned %q", id)
	}
	if len(*diags) != 1 || !strings.Contains((*diags)[0].Summary(), "may have succeeded") ||
		!strings.Contains((*diags)[0].Detail(), "vbs_backup_sharings") || !strings.Contains((*diags)[0].Detail(), "APIGW.0302") {
		t.Errorf("diagnostics %v", *diags)
	}
}

// A refusal for who is asking is reported without looking.
func TestCreateForbiddenDoesNotLook(t *testing.T) {
	cloud := writeCloud(t, func(cfg *fakecloud.Config) {
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodPost, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing",
			Status: http.StatusForbidden, Body: `{"error_code": "APIGW.0302", "error_msg": "The IAM or ACL policy does not allow the request."}`,
		}}
	})
	op, diags := writeOperation(t, cloud)
	if id := createSharing(op, createSubject(), writeTestBackup, writeTestProject); id != "" || !diags.HasError() {
		t.Fatalf("create returned %q, %v", id, *diags)
	}
	if n := cloud.Counts()[fakecloud.KindListPage]; n != 0 {
		t.Errorf("%d listings after a 403", n)
	}
}

// A delete carried out whose answer was lost is sent again, meets a 404,
// and counts as done.
func TestDeleteWithLostAnswerIsDone(t *testing.T) {
	cloud := writeCloud(t, loseEveryAnswer, writeTestProject)
	id := cloud.SharingIDs()[0]
	op, diags := writeOperation(t, cloud)
	deleteSharing(op, sharingSubject("cancelling", id), id)
	if len(*diags) != 0 || len(cloud.SharingIDs()) != 0 {
		t.Fatalf("diagnostics %v; the cloud holds %v", *diags, cloud.SharingIDs())
	}
	if n := cloud.Counts()[fakecloud.KindDelete]; n != 2 {
		t.Errorf("%d DELETEs, want 2 (the lost one and the one that found it gone)", n)
	}
}

// Terraform interrupted while a DELETE was out: the delete may have been
// carried out, but an interrupt is not extended to find out. The provider
// reports the interruption at once, without sending anything more.
func TestDeleteInterruptedDoesNotLook(t *testing.T) {
	parent, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	hold := make(chan struct{})
	defer close(hold)
	var id string
	cloud := writeCloud(t, func(cfg *fakecloud.Config) {
		id = cfg.Sharings.IDs()[0]
		// The DELETE is held inside the cloud, and Terraform interrupts
		// once it is there.
		cfg.Routes = []fakecloud.Route{{Method: http.MethodDelete, Label: "vbs",
			Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/" + id, Hold: hold, Status: http.StatusOK}}
		cfg.Observe = func(r *http.Request) {
			if r.Method == http.MethodDelete {
				interrupt()
			}
		}
	}, writeTestProject)
	op, diags := writeOperationIn(t, parent, cloud)
	deleteSharing(op, sharingSubject("cancelling", id), id)
	if !diags.HasError() || !strings.Contains(strings.ToLower((*diags)[0].Summary()), "interrupted") {
		t.Errorf("want an error saying the delete was interrupted: %v", *diags)
	}
	if n := cloud.Counts()[fakecloud.KindSharingGet]; n != 0 {
		t.Errorf("%d GETs after the interrupt, want none", n)
	}
}
