package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

const (
	testSharingID         = "ac0fb374-a288-4399-ac63-cc080a13a2ee"
	testMissingSharingID  = "0b7f4d1e-6a8e-4a34-9c53-2f1d2f3c4b5a"
	testBackupID          = "1f0e6a52-0000-4000-8000-00000000b001"
	testToProjectID       = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"
	testSparseSharingID   = "d5e8c3a1-7b2f-4c6d-9e0a-1b2c3d4e5f60"
	testSharingDataSource = "data.vbs_backup_sharing.test"
)

// countRequests counts the requests the server received as "METHOD path".
func countRequests(server *recorded.Server, method, path string) int {
	n := 0
	for _, r := range server.Requests() {
		if r == method+" "+path {
			n++
		}
	}
	return n
}

func testAccSharingConfig(server *recorded.Server, id string, providerSettings ...string) string {
	return testAccProviderBlock(server, providerSettings...) + fmt.Sprintf(`
data "vbs_backup_sharing" "test" {
  id = %q
}
`, id)
}

// expectAttributes checks every listed attribute of the data source.
func expectAttributes(values map[string]knownvalue.Check) []statecheck.StateCheck {
	checks := make([]statecheck.StateCheck, 0, len(values))
	for name, check := range values {
		checks = append(checks, statecheck.ExpectKnownValue(testSharingDataSource, tfjsonpath.New(name), check))
	}
	return checks
}

// The reference's full GET example: every attribute, nulls included.
func TestAccBackupSharingDataSource_full(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_full")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID),
			ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{
				"id":                    knownvalue.StringExact(testSharingID),
				"backup_id":             knownvalue.StringExact(testBackupID),
				"from_project_id":       knownvalue.StringExact(testProjectID),
				"to_project_id":         knownvalue.StringExact(testToProjectID),
				"created_at":            knownvalue.StringExact("2024-03-01T10:15:30.123456"),
				"updated_at":            knownvalue.Null(),
				"backup_name":           knownvalue.StringExact("nightly-db"),
				"backup_status":         knownvalue.StringExact("available"),
				"backup_description":    knownvalue.Null(),
				"backup_size":           knownvalue.Int64Exact(40),
				"backup_created_at":     knownvalue.StringExact("2024-02-28T22:00:05.000000"),
				"backup_updated_at":     knownvalue.StringExact("2024-02-28T22:07:41.554120"),
				"availability_zone":     knownvalue.StringExact("eu-de-01"),
				"volume_id":             knownvalue.StringExact("9d2c0000-0000-4000-8000-000000000001"),
				"snapshot_id":           knownvalue.Null(),
				"container":             knownvalue.Null(),
				"object_count":          knownvalue.Null(),
				"fail_reason":           knownvalue.Null(),
				"data_timestamp":        knownvalue.StringExact("2024-02-28T22:00:05.000000"),
				"service_metadata":      knownvalue.Null(),
				"has_dependent_backups": knownvalue.Null(),
				"is_incremental":        knownvalue.Null(),
			}),
		}},
	})
}

// A response that leaves most keys out: absent is null, never "", 0 or false.
func TestAccBackupSharingDataSource_sparse(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_sparse")
	nulls := map[string]knownvalue.Check{
		"id":            knownvalue.StringExact(testSparseSharingID),
		"backup_id":     knownvalue.StringExact("1f0e6a52-0000-4000-8000-00000000b002"),
		"backup_name":   knownvalue.StringExact("weekly-logs"),
		"backup_status": knownvalue.StringExact("available"),
	}
	for _, name := range []string{
		"created_at", "updated_at", "backup_description", "backup_size", "backup_created_at", "backup_updated_at",
		"availability_zone", "volume_id", "snapshot_id", "container", "object_count", "fail_reason",
		"data_timestamp", "service_metadata", "has_dependent_backups", "is_incremental",
	} {
		nulls[name] = knownvalue.Null()
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:            testAccSharingConfig(server, testSparseSharingID),
			ConfigStateChecks: expectAttributes(nulls),
		}},
	})
}

// A catalog with only volumev2 (EVS): the provider turns the evs host label
// into vbs. The recorded server only matches the GET when it arrives at the
// vbs host, so this passes only if the rewrite happened.
func TestAccBackupSharingDataSource_volumev2Catalog(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_volumev2_catalog")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID),
			ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{
				"backup_id":     knownvalue.StringExact(testBackupID),
				"to_project_id": knownvalue.StringExact(testToProjectID),
			}),
		}},
	})
}

// Two data sources read the same sharing: both get it, through one login
// and one GET in each Terraform command.
func TestAccBackupSharingDataSource_sameIDOneRequest(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_full")
	config := testAccProviderBlock(server) + fmt.Sprintf(`
data "vbs_backup_sharing" "test" {
  id = %[1]q
}

data "vbs_backup_sharing" "again" {
  id = %[1]q
}
`, testSharingID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.vbs_backup_sharing.again", tfjsonpath.New("backup_id"), knownvalue.StringExact(testBackupID)),
				statecheck.ExpectKnownValue(testSharingDataSource, tfjsonpath.New("backup_id"), knownvalue.StringExact(testBackupID)),
			},
		}},
	})
	// Each Terraform command configures the provider anew, so it logs in
	// once and reads the sharing once, whichever data source asks first.
	tokens := countRequests(server, "POST", "/v3/auth/tokens")
	reads := countRequests(server, "GET", "/v2/"+testProjectID+"/os-vendor-backup-sharing/"+testSharingID)
	if tokens == 0 || reads != tokens {
		t.Fatalf("%d token requests and %d reads: want one login and one read per Terraform command", tokens, reads)
	}
}

func TestAccBackupSharingDataSource_notFound(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_not_found")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testMissingSharingID),
			ExpectError: regexp.MustCompile(`(?s)Backup\s+sharing\s+not\s+found.*` + testMissingSharingID +
				`.*project\s+` + testProjectID + `.*HTTP\s+404.*could\s+not\s+be\s+found.*req-`),
		}},
	})
}

// A read that keeps failing with 500 is sent 1 + max_retries times, then
// fails with the API's status, code, message and request ID.
func TestAccBackupSharingDataSource_apiError(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_api_error")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID, "max_retries = 2"),
			ExpectError: regexp.MustCompile(`(?s)Reading\s+backup\s+sharing\s+` + testSharingID + `\s+failed.*project\s+` + testProjectID +
				`.*HTTP\s+500.*VolumeBackup\.0103.*Failed\s+to\s+query\s+backup\s+details.*request\s+ID\s+req-`),
		}},
	})
	tokens := countRequests(server, "POST", "/v3/auth/tokens")
	reads := countRequests(server, "GET", "/v2/"+testProjectID+"/os-vendor-backup-sharing/"+testSharingID)
	if tokens != 1 || reads != 3 {
		t.Fatalf("%d logins and %d reads; want 1 login and 3 reads (1 + max_retries)", tokens, reads)
	}
}

func TestAccBackupSharingDataSource_forbidden(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_forbidden")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID),
			ExpectError: regexp.MustCompile(`(?s)Reading\s+backup\s+sharing\s+` + testSharingID + `\s+was\s+forbidden.*lacks\s+VBS\s+permissions.*` +
				`project_id.*HTTP\s+403.*APIGW\.0302`),
		}},
	})
}

// Bad IDs stop at plan time, before any request: the provider points at a
// closed port, so a request would fail with a different error.
func TestAccBackupSharingDataSource_invalidID(t *testing.T) {
	for _, id := range []string{"", "not-a-uuid", testBackupID + "0"} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: testAccUnreachableProviderBlock + fmt.Sprintf(`
data "vbs_backup_sharing" "test" {
  id = %q
}
`, id),
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(`(?s)Attribute\s+id\s+must\s+be\s+a\s+backup\s+sharing\s+ID:\s+a\s+UUID`),
				}},
			})
		})
	}
}
