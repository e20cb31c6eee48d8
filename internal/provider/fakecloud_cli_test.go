package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// Tests of faults run the real CLI against internal/fakecloud directly, not
// through a cassette: a recording cannot hold a reset or a half-sent body.

// startCLICloud starts a fake cloud over plain HTTP, set up further by
// adjust (nil for none), and returns it with a provider block that reaches
// it: any login to the test project is accepted.
func startCLICloud(t *testing.T, adjust func(*fakecloud.Config)) (*fakecloud.Cloud, string) {
	t.Helper()
	clearOSEnv(t)
	cloud := startPlainCloud(t, func(cfg *fakecloud.Config) {
		if adjust != nil {
			adjust(cfg)
		}
	})
	return cloud, fmt.Sprintf(`
provider "vbs" {
  auth_url    = %q
  domain_name = %q
  project_id  = %q
  user_name   = %q
  password    = "fake-cloud-password"
}
`, cloud.AuthURL(), testDomainName, testProjectID, testUserName)
}

// Two data sources read through a gateway that answers every sharing GET
// with 503 until the fault cap lets it through, with a token that expires
// after one use: both reads succeed, and the cloud counts the 503s, the
// expiry and the login that followed it.
func TestAccFakeCloud_readsThroughFaultsAndTokenExpiry(t *testing.T) {
	cloud, provider := startCLICloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = fakecloud.Synthetic(testProjectID, 2)
		cfg.TokenUses = 1
		cfg.Faults = &fakecloud.Faults{Seed: 1, Rules: []fakecloud.FaultRule{{
			Requests: []string{fakecloud.KindSharingGet}, Kinds: []fakecloud.FaultKind{fakecloud.FaultUnavailable}, Rate: 1,
		}}}
	})
	config := provider + fmt.Sprintf(`
data "vbs_backup_sharing" "a" {
  id = %q
}
data "vbs_backup_sharing" "b" {
  id = %q
}
`, fakecloud.SharingID(0), fakecloud.SharingID(1))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.vbs_backup_sharing.a", tfjsonpath.New("backup_id"), knownvalue.StringExact(fakecloud.BackupID(0))),
				statecheck.ExpectKnownValue("data.vbs_backup_sharing.b", tfjsonpath.New("backup_id"), knownvalue.StringExact(fakecloud.BackupID(1))),
			},
		}},
	})
	counts := cloud.Counts()
	// Each provider process meets each sharing's two 503s before the cap
	// lets it through; Terraform runs several.
	if counts[fakecloud.CountFaultUnavailable] < 4 || counts[fakecloud.CountTokenExpired] < 1 || counts[fakecloud.KindUnauthorized] < 1 ||
		counts[fakecloud.KindToken] < 2 {
		t.Errorf("counts %v: want at least four 503s, a token expired, a request refused for it and a second login", counts)
	}
	if err := cloud.AwaitIdle(context.Background()); err != nil {
		t.Error(err)
	}
}

// A server that ignores backup_id (and caps its pages at two) returns all
// five sharings to a listing by backup; the CLI gets only the two of that
// backup, as an honest server would have answered.
func TestAccFakeCloud_listingReappliesAnIgnoredFilter(t *testing.T) {
	cloud, provider := startCLICloud(t, cappedListing)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: provider + fmt.Sprintf(`
data "vbs_backup_sharings" "test" {
  backup_id = %q
}
`, testLookupBackup1),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("ids"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact(cappedSharingID(0)), knownvalue.StringExact(cappedSharingID(4)),
				})),
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("sharings").AtSliceIndex(1).AtMapKey("backup_id"),
					knownvalue.StringExact(testLookupBackup1)),
			},
		}},
	})
	if pages := cloud.Counts()[fakecloud.KindListPage]; pages < 3 {
		t.Errorf("%d listing pages, want every page of two read", pages)
	}
}

// A sharing that is always throttled with Retry-After: 60, read with
// timeouts.read = "5s": the wait cannot fit, so the read ends at once with
// the gateway's answer (HTTP 429, its code and message), not with a
// timeout five seconds later; the error says it was throttled, which it
// could not if the deadline had ended the read first.
func TestAccFakeCloud_retryAfterPastTheTimeoutFailsAtOnce(t *testing.T) {
	cloud, provider := startCLICloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = fakecloud.Synthetic(testProjectID, 1)
		cfg.Faults = &fakecloud.Faults{RetryAfter: 60, MaxConsecutive: -1, Rules: []fakecloud.FaultRule{{
			Requests: []string{fakecloud.KindSharingGet}, Kinds: []fakecloud.FaultKind{fakecloud.FaultThrottle}, Rate: 1,
		}}}
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: provider + fmt.Sprintf(`
data "vbs_backup_sharing" "test" {
  id       = %q
  timeouts = { read = "5s" }
}
`, fakecloud.SharingID(0)),
			ExpectError: regexp.MustCompile(`(?s)was\s+throttled.*HTTP\s+429.*APIGW\.0308.*Too\s+many\s+requests.*outlive\s+the\s+operation's\s+deadline`),
		}},
	})
	if n := cloud.Counts()[fakecloud.CountFaultThrottle]; n != 1 {
		t.Errorf("%d throttled GETs, want 1: a Retry-After past the deadline is not waited for", n)
	}
}

// On a cloud that refuses to share a backup twice, a sharing of the pair
// made outside Terraform: the apply fails naming it, with the import block
// that adopts it. The same configuration with that block added, its
// address filled in, applies as a pure import (no create is sent), and the
// plan after it is empty.
func TestAccFakeCloud_duplicateRefusedShowsTheImport(t *testing.T) {
	cloud, provider := startCLICloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = fakecloud.Synthetic(testProjectID, 1) // backup 0 shared with TargetProject(0)
	})
	existing := cloud.SharingIDs()[0]
	config := oneSharingConfig(provider, fakecloud.TargetProject(0))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ExpectError: regexp.MustCompile(`(?s)already\s+shared\s+with\s+project.*existing\s+sharing\s+is\s+` + existing +
					`.*import\s+\{\s+to\s+=\s+vbs_backup_sharing\.example\s+id\s+=\s+"` + existing + `"\s+\}`),
			},
			{
				Config: config + fmt.Sprintf(`
import {
  to = vbs_backup_sharing.s
  id = %q
}
`, existing),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("vbs_backup_sharing.s", plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("vbs_backup_sharing.s", tfjsonpath.New("id"), knownvalue.StringExact(existing)),
				},
			},
		},
	})
	if n := cloud.Counts()[fakecloud.KindCreate]; n != 1 {
		t.Errorf("%d creates sent, want only the refused one", n)
	}
}

// A create refused with 400 for another reason: one lookup finds no
// sharing of the pair, and the cloud's own error is shown as it came.
func TestAccFakeCloud_otherRefusalShowsTheCloudsError(t *testing.T) {
	cloud, provider := startCLICloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = fakecloud.Synthetic(testProjectID, 1)
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodPost, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing", Status: http.StatusBadRequest,
			Header: map[string]string{"X-Request-Id": "req-400-other"},
			Body:   `{"error": {"code": "VolumeBackup.0051", "message": "The backup is not in the available state."}}`,
		}}
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      oneSharingConfig(provider, "bbbbbbbbbbbbbbbbbbbbbbbbbbbb0001"),
			ExpectError: regexp.MustCompile(`(?s)was\s+rejected.*HTTP\s+400.*VolumeBackup\.0051:\s+The\s+backup\s+is\s+not\s+in\s+the\s+available\s+state\..*req-400-other`),
		}},
	})
	if counts := cloud.Counts(); counts[fakecloud.KindCreate] != 1 || counts[fakecloud.KindListPage] != 1 {
		t.Errorf("%d creates and %d lookups, want one of each", counts[fakecloud.KindCreate], counts[fakecloud.KindListPage])
	}
}
