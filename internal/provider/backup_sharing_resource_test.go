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
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

const (
	testSharingResource = "vbs_backup_sharing.test"
	// testCreatedSharingID is the ID the fake cloud gives the first sharing
	// a scenario creates.
	testCreatedSharingID = "5c3b1d9e-0000-4000-8000-000000000001"
)

// withBackupToShare gives the scenario's cloud the reference's example
// backup, ready to be shared.
func withBackupToShare(cfg *fakecloud.Config) {
	cfg.Sharings = fakecloud.NewSharings(testProjectID, backupObject(testBackupID, "nightly-db"))
}

func testAccSharingResourceConfig(server *recorded.Server, providerSettings ...string) string {
	return testAccProviderBlock(server, providerSettings...) + fmt.Sprintf(`
resource "vbs_backup_sharing" "test" {
  backup_id     = %q
  to_project_id = %q
}
`, testBackupID, testToProjectID)
}

// checkSharingGone is a CheckDestroy: the API must answer 404 for every
// sharing left in the state.
func checkSharingGone(t *testing.T, server *recorded.Server) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		conn := testAccConnection(t, server)
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "vbs_backup_sharing" {
				continue
			}
			if status := sharingStatus(context.Background(), conn, rs.Primary.ID); status != http.StatusNotFound {
				return fmt.Errorf("sharing %s still answers HTTP %d after destroy", rs.Primary.ID, status)
			}
		}
		return nil
	}
}

// Create, read, import by command and by import block, destroy.
func TestAccBackupSharingResource_lifecycle(t *testing.T) {
	server := startScenario(t, "resource_lifecycle", withBackupToShare)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkSharingGone(t, server),
		Steps: []resource.TestStep{
			{
				Config: testAccSharingResourceConfig(server),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testSharingResource, plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue(testSharingResource, tfjsonpath.New("id")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testSharingResource, tfjsonpath.New("id"), knownvalue.StringExact(testCreatedSharingID)),
					statecheck.ExpectKnownValue(testSharingResource, tfjsonpath.New("from_project_id"), knownvalue.StringExact(testProjectID)),
					statecheck.ExpectKnownValue(testSharingResource, tfjsonpath.New("to_project_id"), knownvalue.StringExact(testToProjectID)),
					statecheck.ExpectKnownValue(testSharingResource, tfjsonpath.New("backup_name"), knownvalue.StringExact("nightly-db")),
					statecheck.ExpectKnownValue(testSharingResource, tfjsonpath.New("backup_size"), knownvalue.Int64Exact(40)),
					statecheck.ExpectKnownValue(testSharingResource, tfjsonpath.New("updated_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(testSharingResource, tfjsonpath.New("object_count"), knownvalue.Null()),
				},
			},
			{
				ResourceName:      testSharingResource,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				ResourceName:    testSharingResource,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
		},
	})
}

// A sharing cancelled outside Terraform drops out of the state, and the next
// plan shares the backup again.
func TestAccBackupSharingResource_drift(t *testing.T) {
	server := startScenario(t, "resource_drift", withBackupToShare)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkSharingGone(t, server),
		Steps: []resource.TestStep{
			{Config: testAccSharingResourceConfig(server)},
			{
				PreConfig: func() {
					conn := testAccConnection(t, server)
					if err := sharing.Delete(context.Background(), conn.VBS, testCreatedSharingID, sharing.DeleteOpts{}).ExtractErr(); err != nil {
						t.Fatalf("cancelling the sharing out of band: %v", err)
					}
				},
				Config: testAccSharingResourceConfig(server),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testSharingResource, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testSharingResource, tfjsonpath.New("id"), knownvalue.StringExact("5c3b1d9e-0000-4000-8000-000000000002")),
				},
			},
		},
	})
}

// A delete that keeps failing is retried max_retries times, then reaches the
// user with status, code, message and request ID; the sharing stays in the
// state, and the next destroy succeeds.
func TestAccBackupSharingResource_deleteError(t *testing.T) {
	server := startScenario(t, "resource_delete_error", func(cfg *fakecloud.Config) {
		withBackupToShare(cfg)
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodDelete, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/" + testCreatedSharingID,
			Status: http.StatusInternalServerError, Times: 2,
			Header: map[string]string{"X-Request-Id": "req-delete-500"},
			Body:   `{"error": {"code": "VolumeBackup.0014", "message": "Failed to submit the task."}}`,
		}}
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkSharingGone(t, server),
		Steps: []resource.TestStep{
			{Config: testAccSharingResourceConfig(server, "max_retries = 1")},
			{
				Config:  testAccSharingResourceConfig(server, "max_retries = 1"),
				Destroy: true,
				ExpectError: regexp.MustCompile(`(?s)Cancelling\s+backup\s+sharing\s+` + testCreatedSharingID + `\s+failed` +
					`.*HTTP\s+500.*VolumeBackup\.0014.*Failed\s+to\s+submit\s+the\s+task.*request\s+ID\s+req-delete-500`),
			},
		},
	})
}

// Import of an ID that is not a UUID fails before any request.
func TestAccBackupSharingResource_importBadID(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccUnreachableProviderBlock + fmt.Sprintf(`
resource "vbs_backup_sharing" "test" {
  backup_id     = %q
  to_project_id = %q
}
`, testBackupID, testToProjectID),
			ResourceName:  testSharingResource,
			ImportState:   true,
			ImportStateId: "nightly-db",
			ExpectError:   regexp.MustCompile(`(?s)Invalid\s+import\s+ID.*The\s+import\s+ID,\s+"nightly-db",\s+is\s+not\s+a\s+backup\s+sharing\s+ID`),
		}},
	})
}
