package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

const (
	testOtherProjectID = "bbbbbbbbbbbbbbbbbbbbbbbbbbbb0002"
	testListDataSource = "data.vbs_backup_sharings.test"
	// testReceivedSharings spans three pages of the default page size (100).
	testReceivedSharings = 205
)

// sharingsToMe fills the cloud with sharings another project made to ours,
// each of its own sparse backup.
func sharingsToMe(n int) func(cfg *fakecloud.Config) {
	return func(cfg *fakecloud.Config) {
		var backups []map[string]any
		for i := range n {
			backups = append(backups, map[string]any{"id": fmt.Sprintf("1f0e6a52-0000-4000-8000-%012d", i), "name": fmt.Sprintf("app-%03d", i), "status": "available"})
		}
		cfg.Sharings = fakecloud.NewSharings(testProjectID, backups...)
		for i := range n {
			cfg.Sharings.Add(map[string]any{
				"id": fmt.Sprintf("7a000000-0000-4000-8000-%012d", i), "backup_id": backups[i]["id"],
				"from_project_id": testOtherProjectID, "to_project_id": testProjectID,
				"created_at": "2024-03-01T10:15:30.123456", "updated_at": nil,
			})
		}
	}
}

// Every page is read, in order, and each page once per Terraform command.
func TestAccBackupSharingsDataSource_pages(t *testing.T) {
	server := startScenario(t, "sharings_list_pages", sharingsToMe(testReceivedSharings))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccProviderBlock(server) + `
data "vbs_backup_sharings" "test" {
  share_to_me = true
}

data "vbs_backup_sharings" "same_filters" {
  share_to_me = true
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("ids"), knownvalue.ListSizeExact(testReceivedSharings)),
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("sharings"), knownvalue.ListSizeExact(testReceivedSharings)),
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("ids").AtSliceIndex(204), knownvalue.StringExact("7a000000-0000-4000-8000-000000000204")),
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("sharings").AtSliceIndex(100).AtMapKey("backup_name"), knownvalue.StringExact("app-100")),
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("sharings").AtSliceIndex(0).AtMapKey("from_project_id"), knownvalue.StringExact(testOtherProjectID)),
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("sharings").AtSliceIndex(0).AtMapKey("backup_size"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.vbs_backup_sharings.same_filters", tfjsonpath.New("ids"), knownvalue.ListSizeExact(testReceivedSharings)),
			},
		}},
	})
	tokens := countRequests(server, "POST", "/v3/auth/tokens")
	list := "GET /v2/" + testProjectID + "/os-vendor-backup-sharing/detail?"
	pages := map[string]int{
		list + "limit=100&share_to_me=true":            0,
		list + "limit=100&offset=100&share_to_me=true": 0,
		list + "limit=100&offset=200&share_to_me=true": 0,
		// The count is asked beside the first page, as by every listing;
		// it says how many pages follow, and they are fetched at once.
		"GET /v2/" + testProjectID + "/os-vendor-backup-sharing/count?share_to_me=true": 0,
	}
	for _, r := range server.Requests() {
		if _, ok := pages[r]; ok {
			pages[r]++
		}
	}
	for page, n := range pages {
		if tokens == 0 || n != tokens {
			t.Errorf("%s: %d requests in %d Terraform commands; want one per command for both data sources", page, n, tokens)
		}
	}
}

func TestAccBackupSharingsDataSource_empty(t *testing.T) {
	server := startScenario(t, "sharings_list_empty", withBackupToShare)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccProviderBlock(server) + fmt.Sprintf(`
data "vbs_backup_sharings" "test" {
  backup_id = %q
  status    = "available"
}
`, testBackupID),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("ids"), knownvalue.ListExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("sharings"), knownvalue.ListExact([]knownvalue.Check{})),
			},
		}},
	})
}

func TestAccBackupSharingsDataSource_badSortKey(t *testing.T) {
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccUnreachableProviderBlock + `
data "vbs_backup_sharings" "test" {
  sort_key = "disk_format"
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)sort_key\s+value\s+must\s+be\s+one\s+of`),
		}},
	})
}

// Lookup by backup: backup B1 is shared with two projects, backup B2 with one.
const (
	testLookupBackup1 = "1f0e6a52-0000-4000-8000-0000000000b1"
	testLookupBackup2 = "1f0e6a52-0000-4000-8000-0000000000b2"
	testLookupMissing = "1f0e6a52-0000-4000-8000-0000000000b3"
)

func lookupScenario(cfg *fakecloud.Config) {
	cfg.Sharings = fakecloud.NewSharings(testProjectID, backupObject(testLookupBackup1, "db"), backupObject(testLookupBackup2, "logs"))
	for _, s := range []struct{ id, backup, to string }{
		{"7b000000-0000-4000-8000-000000000001", testLookupBackup1, testToProjectID},
		{"7b000000-0000-4000-8000-000000000002", testLookupBackup1, testOtherProjectID},
		{"7b000000-0000-4000-8000-000000000003", testLookupBackup2, testToProjectID},
	} {
		cfg.Sharings.Add(map[string]any{"id": s.id, "backup_id": s.backup, "from_project_id": testProjectID, "to_project_id": s.to, "created_at": "2024-03-01T10:15:30.123456"})
	}
}

func TestAccBackupSharingDataSource_lookup(t *testing.T) {
	server := startScenario(t, "sharing_lookup", lookupScenario)
	lookup := func(args string) string {
		return testAccProviderBlock(server) + "\ndata \"vbs_backup_sharing\" \"test\" {\n" + args + "\n}\n"
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: lookup(fmt.Sprintf("backup_id = %q", testLookupBackup2)),
				ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{
					"id":            knownvalue.StringExact("7b000000-0000-4000-8000-000000000003"),
					"to_project_id": knownvalue.StringExact(testToProjectID),
					"backup_name":   knownvalue.StringExact("logs"),
				}),
			},
			{
				Config: lookup(fmt.Sprintf("backup_id = %q\nto_project_id = %q", testLookupBackup1, testOtherProjectID)),
				ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{
					"id":          knownvalue.StringExact("7b000000-0000-4000-8000-000000000002"),
					"backup_name": knownvalue.StringExact("db"),
				}),
			},
			{
				Config: lookup(fmt.Sprintf("backup_id = %q", testLookupBackup1)),
				ExpectError: regexp.MustCompile(`(?s)Several\s+backup\s+sharings\s+match.*2\s+sharings\s+of\s+backup\s+` + testLookupBackup1 +
					`.*7b000000-0000-4000-8000-000000000001.*7b000000-0000-4000-8000-000000000002.*to_project_id`),
			},
			{
				Config: lookup(fmt.Sprintf("backup_id = %q\nshare_to_me = true", testLookupMissing)),
				ExpectError: regexp.MustCompile(`(?s)Backup\s+sharing\s+not\s+found.*No\s+sharing\s+of\s+backup\s+` + testLookupMissing +
					`\s+\(share_to_me=true,\s+backup_id=` + testLookupMissing + `\)\s+is\s+visible\s+to\s+project\s+` + testProjectID),
			},
		},
	})
}

// id and the lookup arguments exclude each other, at plan time.
func TestAccBackupSharingDataSource_lookupConflicts(t *testing.T) {
	for name, tc := range map[string]struct{ args, want string }{
		"id and backup_id":     {fmt.Sprintf("id = %q\nbackup_id = %q", testSharingID, testBackupID), `(?s)Both\s+id\s+and\s+backup_id\s+are\s+set.*not\s+both`},
		"id and to_project_id": {fmt.Sprintf("id = %q\nto_project_id = %q", testSharingID, testToProjectID), `(?s)to_project_id\s+is\s+set\s+together\s+with\s+id.*only\s+narrows\s+a\s+lookup\s+by\s+backup_id`},
		"neither":              {fmt.Sprintf("to_project_id = %q", testToProjectID), `(?s)Neither\s+id\s+nor\s+backup_id\s+is\s+set`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      testAccUnreachableProviderBlock + "\ndata \"vbs_backup_sharing\" \"test\" {\n" + tc.args + "\n}\n",
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}
