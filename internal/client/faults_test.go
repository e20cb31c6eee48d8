package client

import (
	"context"
	"strings"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// readEverything logs in and reads what a plan reads: a sharing, the
// complete listing (three pages) and the count. Each must succeed.
func readEverything(t *testing.T, cloud *fakecloud.Cloud) {
	t.Helper()
	s := passwordSettings(cloud.AuthURL())
	s.MaxRetries = -1 // the default, 5
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	share, err := sharing.Get(ctx, conn.VBS, fakecloud.SharingID(7)).Extract()
	if err != nil || share.ID != fakecloud.SharingID(7) {
		t.Fatalf("get: %v", err)
	}
	listing, err := sharing.ListAll(ctx, conn.VBS, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 8, ProjectID: testProjectID})
	if err != nil || len(listing.Shares) != 250 {
		t.Fatalf("listing: %v", err)
	}
	n, err := sharing.Count(ctx, conn.VBS, sharing.CountOpts{})
	if err != nil || n != 250 {
		t.Fatalf("count: %d, %v", n, err)
	}
}

// Every read survives every kind of fault: each request is faulted as
// often as the cap allows (twice in a row) and then answered, and the
// login, the sharing's GET, the listing's pages and the count all come
// through; a seeded mix of every kind at half the requests too.
func TestReadsSurviveEveryFaultKind(t *testing.T) {
	cases := map[string]*fakecloud.Faults{
		"mix": {Seed: 3, Rules: []fakecloud.FaultRule{{Rate: 0.5}}},
	}
	for _, kind := range fakecloud.FaultKinds {
		cases[string(kind)] = &fakecloud.Faults{Rules: []fakecloud.FaultRule{{Rate: 1, Kinds: []fakecloud.FaultKind{kind}}}}
	}
	for name, faults := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cloud := startCloud(t, func(cfg *fakecloud.Config) {
				cfg.Sharings = fakecloud.Synthetic(testProjectID, 250)
				cfg.Faults = faults
			})
			readEverything(t, cloud)
			counts := cloud.Counts()
			for _, kind := range faults.Rules[0].Kinds {
				if counts[kind.Count()] == 0 {
					t.Errorf("no %s fault was dealt: %v", kind, counts)
				}
			}
			if name == "mix" {
				dealt := int64(0)
				for _, kind := range fakecloud.FaultKinds {
					dealt += counts[kind.Count()]
				}
				if dealt < 3 {
					t.Errorf("%d faults dealt in the mix: %v", dealt, counts)
				}
			}
		})
	}
}

// When every attempt meets a 503, the retries run out and the error names
// the attempts made beside the API's answer: its status, code and message.
func TestExhaustedRetriesNameTheAttemptsAndTheLastAnswer(t *testing.T) {
	cloud := startCloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = fakecloud.Synthetic(testProjectID, 3)
		cfg.Faults = &fakecloud.Faults{MaxConsecutive: -1, Rules: []fakecloud.FaultRule{{
			Requests: []string{fakecloud.KindSharingGet}, Kinds: []fakecloud.FaultKind{fakecloud.FaultUnavailable}, Rate: 1,
		}}}
	})
	s := passwordSettings(cloud.AuthURL())
	s.MaxRetries = 2
	_, conn := connected(t, s)
	_, err := sharing.Get(context.Background(), conn.VBS, fakecloud.SharingID(0)).Extract()
	if err == nil {
		t.Fatal("the read succeeded")
	}
	for _, want := range []string{"HTTP 503", "VolumeBackup.0900", "Service unavailable.", "3 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if got := cloud.Counts()[fakecloud.KindSharingGet]; got != 3 {
		t.Errorf("%d GETs, want 3", got)
	}
}
