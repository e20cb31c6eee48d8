package bench

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// ProviderBlock configures the provider for s with placeholder credentials;
// the server accepts any password.
func ProviderBlock(s *fakecloud.Cloud) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    vbs = {
      source = "vbs-tf/vbs"
    }
  }
}

provider "vbs" {
  auth_url    = %q
  region      = %q
  domain_name = %q
  project_id  = %q
  user_name   = %q
  password    = %q
}
`, s.AuthURL(), Region, DomainName, ProjectID, UserName, Password)
}

// DataSourceConfig has one vbs_backup_sharing data source per entry of ids;
// repeating an ID repeats a read that the provider may serve once.
func DataSourceConfig(s *fakecloud.Cloud, ids []string) string {
	var b strings.Builder
	b.WriteString(ProviderBlock(s))
	for i, id := range ids {
		fmt.Fprintf(&b, "\ndata \"vbs_backup_sharing\" \"s%d\" {\n  id = %q\n}\n", i, id)
	}
	return b.String()
}

// FloorConfig is Terraform's own cost for n nodes: n built-in
// terraform_data resources, with the same provider block, so the provider's
// start-up and configuration are part of the floor and only its reads and
// writes are not.
func FloorConfig(s *fakecloud.Cloud, n int) string {
	var b strings.Builder
	b.WriteString(ProviderBlock(s))
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\nresource \"terraform_data\" \"s%d\" {\n  input = %q\n}\n", i, fakecloud.SharingID(i))
	}
	return b.String()
}

// ListConfig has copies identical vbs_backup_sharings data sources with the
// given filters; copies > 1 checks that identical listings cost one.
func ListConfig(s *fakecloud.Cloud, copies int, filters map[string]string) string {
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(ProviderBlock(s))
	for i := 0; i < copies; i++ {
		fmt.Fprintf(&b, "\ndata \"vbs_backup_sharings\" \"l%d\" {\n", i)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s = %s\n", k, filters[k])
		}
		b.WriteString("}\n")
		// An output keeps the listing in the plan even if a future
		// Terraform were to prune unreferenced data sources.
		fmt.Fprintf(&b, "\noutput \"l%d\" {\n  value = length(data.vbs_backup_sharings.l%d.ids)\n}\n", i, i)
	}
	return b.String()
}

// ResourceTarget is the project that resource i of ResourceConfig shares
// with: outside the synthetic sharings' targets, so creating never collides
// with a sharing that already exists.
func ResourceTarget(i int) string { return fmt.Sprintf("bbbbbbbbbbbbbbbbbbbbbbbbbbbb%04x", i%0x10000) }

// ResourceConfig has n vbs_backup_sharing resources; resource i shares
// synthetic backup i.
func ResourceConfig(s *fakecloud.Cloud, n int) string {
	var b strings.Builder
	b.WriteString(ProviderBlock(s))
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\nresource \"vbs_backup_sharing\" \"s%d\" {\n  backup_id     = %q\n  to_project_id = %q\n}\n",
			i, fakecloud.BackupID(i), ResourceTarget(i))
	}
	return b.String()
}

// ImportConfig has n vbs_backup_sharing resources, each with an import
// block by ID of synthetic sharing i and the attributes that sharing has,
// as `terraform query -generate-config-out` writes them.
func ImportConfig(s *fakecloud.Cloud, n int) string {
	var b strings.Builder
	b.WriteString(ProviderBlock(s))
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\nresource \"vbs_backup_sharing\" \"s%d\" {\n  backup_id     = %q\n  to_project_id = %q\n}\n\nimport {\n  to = vbs_backup_sharing.s%d\n  id = %q\n}\n",
			i, fakecloud.BackupID(i), fakecloud.TargetProject(i), i, fakecloud.SharingID(i))
	}
	return b.String()
}

// PluginFloorConfig is FloorConfig plus one vbs_backup_sharing data source
// reading synthetic sharing 0 of s, which should have no latency. Terraform
// starts a plugin only for a graph that uses it, so the plain floor skips
// the provider processes the validate and plan walks start (about 100 ms
// each); this floor pays them, and so isolates what N reads cost.
func PluginFloorConfig(s *fakecloud.Cloud, n int) string {
	return FloorConfig(s, n) + fmt.Sprintf("\ndata \"vbs_backup_sharing\" \"floor\" {\n  id = %q\n}\n", fakecloud.SharingID(0))
}

// CheckedReadsConfig, after a provider block, plans n vbs_backup_sharing
// data sources reading synthetic sharings 0 to n-1 and a
// vbs_backup_sharings listing of every sharing, with an output whose
// preconditions check, while Terraform plans, that every read brought its
// own sharing and that the listing holds every sharing once, each with its
// own backup: a read that brought the wrong answer fails the plan as a read
// that failed does. The chaos acceptance test and make chaos plan it.
func CheckedReadsConfig(n int) string {
	return fmt.Sprintf(`
data "vbs_backup_sharing" "s" {
  count = %d
  id    = format("%%08x-0000-4000-8000-%%012x", count.index, count.index)
}

data "vbs_backup_sharings" "all" {}

output "checked" {
  value = true

  precondition {
    condition = alltrue([for i, s in data.vbs_backup_sharing.s :
    s.backup_id == format("%%08x-0000-4000-9000-%%012x", i, i) && s.backup_name == format("backup-%%05d", i)])
    error_message = "A sharing was read as another's backup."
  }
  precondition {
    condition     = length(toset(data.vbs_backup_sharings.all.ids)) == %d && length(data.vbs_backup_sharings.all.sharings) == %d
    error_message = "The listing held ${length(data.vbs_backup_sharings.all.sharings)} sharings, ${length(toset(data.vbs_backup_sharings.all.ids))} of them distinct."
  }
  precondition {
    condition     = alltrue([for s in data.vbs_backup_sharings.all.sharings : s.backup_id == replace(s.id, "-4000-8000-", "-4000-9000-")])
    error_message = "The listing holds a sharing with another's backup."
  }
}
`, n, n, n)
}

// QueryFileName is the query file the query scenario writes beside main.tf.
const QueryFileName = "sharings.tfquery.hcl"

// QueryFile is a query file with one list block that finds, with every
// attribute of the resource, each sharing the project made, up to limit:
// what `terraform query -generate-config-out` needs to write the resources
// and import blocks that adopt them (docs/guides/adopting-existing-sharings.md).
func QueryFile(limit int) string {
	return fmt.Sprintf(`list "vbs_backup_sharing" "existing" {
  provider         = vbs
  include_resource = true
  limit            = %d

  config {}
}
`, limit)
}

// ImportFloorConfig is Terraform's own cost of importing n resources: n
// terraform_data resources, each with an import block by ID, in the shape
// -generate-config-out writes, and the same provider block.
func ImportFloorConfig(s *fakecloud.Cloud, n int) string {
	var b strings.Builder
	b.WriteString(ProviderBlock(s))
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\nresource \"terraform_data\" \"s%d\" {\n}\n\nimport {\n  to = terraform_data.s%d\n  id = %q\n}\n", i, i, fakecloud.SharingID(i))
	}
	return b.String()
}
