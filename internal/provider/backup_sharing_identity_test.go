package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// The sharing's identity is { id }: set on create and read, and every kind
// of import (terraform import, an import block's id, an import block's
// identity) brings back the same state. Resource identity arrived in
// Terraform 1.12 (and OpenTofu 1.12).
func TestAccBackupSharingResource_identity(t *testing.T) {
	server := startScenario(t, "resource_identity", withBackupToShare)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkSharingGone(t, server),
		Steps: []resource.TestStep{
			{
				Config: testAccSharingResourceConfig(server),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(testSharingResource, map[string]knownvalue.Check{
						"id": knownvalue.StringExact(testCreatedSharingID),
					}),
					statecheck.ExpectIdentityValueMatchesState(testSharingResource, tfjsonpath.New("id")),
				},
			},
			{
				ResourceName:      testSharingResource,
				ImportState:       true,
				ImportStateKind:   resource.ImportCommandWithID,
				ImportStateVerify: true,
			},
			{
				ResourceName:    testSharingResource,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
			{
				ResourceName:    testSharingResource,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}
