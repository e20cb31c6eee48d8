package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// The sharings that exist before Terraform manages any: this project shared
// nightly-db with three projects in the console, and another project
// shared weekly-logs with this one.
const testReceivedBackupID = "1f0e6a52-0000-4000-8000-0000000000c1"

func existingSharingID(i int) string { return fmt.Sprintf("7d000000-0000-4000-8000-%012d", i) }

func existingTarget(i int) string { return fmt.Sprintf("cccccccccccccccccccccccccccc%04d", i) }

func existingSharings(cfg *fakecloud.Config) {
	received := map[string]any{"id": testReceivedBackupID, "name": "weekly-logs", "status": "available"}
	cfg.Sharings = fakecloud.NewSharings(testProjectID, backupObject(testBackupID, "nightly-db"), received)
	for i := 1; i <= 3; i++ {
		cfg.Sharings.Add(map[string]any{
			"id": existingSharingID(i), "backup_id": testBackupID, "from_project_id": testProjectID,
			"to_project_id": existingTarget(i), "created_at": "2024-03-01T10:15:30.123456", "updated_at": nil,
		})
	}
	cfg.Sharings.Add(map[string]any{
		"id": existingSharingID(9), "backup_id": testReceivedBackupID, "from_project_id": testOtherProjectID,
		"to_project_id": testProjectID, "created_at": "2024-03-02T08:00:00.000000", "updated_at": nil,
	})
}

// terraform query finds the sharings with their identities, display names
// and, with include_resource, the resource's attributes; a list block's
// limit is honoured; and a sharing found this way imports with generated
// configuration. List resources arrived in Terraform 1.14.
func TestAccBackupSharingListResource_query(t *testing.T) {
	server := startScenario(t, "sharing_query", existingSharings)
	byID := func(id string) queryfilter.QueryFilter {
		return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": knownvalue.StringExact(id)})
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkSharingGone(t, server),
		Steps: []resource.TestStep{
			{
				// One sharing Terraform made, beside the three made in the
				// console.
				Config: testAccSharingResourceConfig(server),
			},
			{
				Query: true,
				Config: `
list "vbs_backup_sharing" "made" {
  provider         = vbs
  include_resource = true
  config {}
}

list "vbs_backup_sharing" "received" {
  provider = vbs
  config {
    share_to_me = true
  }
}

list "vbs_backup_sharing" "first_two" {
  provider = vbs
  limit    = 2
  config {}
}

list "vbs_backup_sharing" "to_one_project" {
  provider = vbs
  config {
    backup_id     = "` + testBackupID + `"
    to_project_id = "` + existingTarget(2) + `"
  }
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("vbs_backup_sharing.made", 4),
					querycheck.ExpectIdentity("vbs_backup_sharing.made", map[string]knownvalue.Check{"id": knownvalue.StringExact(testCreatedSharingID)}),
					querycheck.ExpectIdentity("vbs_backup_sharing.made", map[string]knownvalue.Check{"id": knownvalue.StringExact(existingSharingID(1))}),
					querycheck.ExpectIdentity("vbs_backup_sharing.made", map[string]knownvalue.Check{"id": knownvalue.StringExact(existingSharingID(3))}),
					querycheck.ExpectResourceDisplayName("vbs_backup_sharing.made", byID(existingSharingID(1)),
						knownvalue.StringExact("nightly-db → "+existingTarget(1))),
					querycheck.ExpectResourceKnownValues("vbs_backup_sharing.made", byID(existingSharingID(2)), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("id"), KnownValue: knownvalue.StringExact(existingSharingID(2))},
						{Path: tfjsonpath.New("backup_id"), KnownValue: knownvalue.StringExact(testBackupID)},
						{Path: tfjsonpath.New("to_project_id"), KnownValue: knownvalue.StringExact(existingTarget(2))},
						{Path: tfjsonpath.New("backup_name"), KnownValue: knownvalue.StringExact("nightly-db")},
						{Path: tfjsonpath.New("backup_size"), KnownValue: knownvalue.Int64Exact(40)},
						{Path: tfjsonpath.New("updated_at"), KnownValue: knownvalue.Null()},
						{Path: tfjsonpath.New("object_count"), KnownValue: knownvalue.Null()},
						{Path: tfjsonpath.New("timeouts"), KnownValue: knownvalue.Null()},
					}),
					querycheck.ExpectLength("vbs_backup_sharing.received", 1),
					querycheck.ExpectResourceDisplayName("vbs_backup_sharing.received", byID(existingSharingID(9)),
						knownvalue.StringExact("weekly-logs → "+testProjectID)),
					querycheck.ExpectLength("vbs_backup_sharing.first_two", 2),
					querycheck.ExpectLength("vbs_backup_sharing.to_one_project", 1),
					querycheck.ExpectIdentity("vbs_backup_sharing.to_one_project", map[string]knownvalue.Check{"id": knownvalue.StringExact(existingSharingID(2))}),
				},
			},
			{
				// Import the sharing by identity with generated configuration,
				// as `terraform plan -generate-config-out` does.
				ResourceName:    testSharingResource,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				GenerateConfig:  true,
			},
		},
	})
	queryGenerateAndPlan(t, server)
}

// queryGenerateAndPlan adopts the sharings as a user would, with the CLI
// that ran the test: `terraform query -generate-config-out` writes import
// blocks and resources for the three sharings made in the console, and the
// plan that follows imports them and changes nothing. The provider is this
// tree's build, through dev_overrides.
func queryGenerateAndPlan(t *testing.T, server *recorded.Server) {
	t.Helper()
	tf, err := bench.FindTerraform()
	if err != nil {
		t.Fatal(err)
	}
	root, err := bench.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	binary := filepath.Join(dir, "bin", "terraform-provider-vbs")
	if err := bench.BuildProvider(ctx, root, ".", binary); err != nil {
		t.Fatal(err)
	}
	ws, err := bench.NewWorkspace(tf, dir, binary, "")
	if err != nil {
		t.Fatal(err)
	}
	wd, err := ws.Config("adopt", `terraform {
  required_providers {
    vbs = { source = "vbs-tf/vbs" }
  }
}
`+testAccProviderBlock(server))
	if err != nil {
		t.Fatal(err)
	}
	query := `list "vbs_backup_sharing" "existing" {
  provider         = vbs
  include_resource = true
  config {}
}
`
	if err := os.WriteFile(filepath.Join(wd, "adopt.tfquery.hcl"), []byte(query), 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := ws.Terraform(ctx, wd, "query", "-generate-config-out=generated.tf", "-no-color")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("terraform query:\n%s", run.Output)
	generated, err := os.ReadFile(filepath.Join(wd, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated.tf:\n%s", generated)
	for i := 1; i <= 3; i++ {
		if !strings.Contains(string(generated), existingSharingID(i)) || !strings.Contains(string(generated), existingTarget(i)) {
			t.Errorf("generated.tf does not import sharing %s to %s", existingSharingID(i), existingTarget(i))
		}
	}
	run, err = ws.Terraform(ctx, wd, "plan", "-no-color", "-input=false")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("terraform plan:\n%s", run.Output)
	if !strings.Contains(run.Output, "Plan: 3 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Errorf("the plan of the generated configuration is not 3 imports and nothing else:\n%s", run.Output)
	}
}
