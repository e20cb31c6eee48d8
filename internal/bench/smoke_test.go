package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// TestSmokeRequestEconomy is `make bench` in miniature, run by `go test`:
// the provider, built as users build it, planned by the real Terraform CLI
// against the synthetic cloud with N=20. It asserts request counts only, so
// it is stable on a loaded CI machine and still fails when a change costs
// an extra token or an extra read.
func TestSmokeRequestEconomy(t *testing.T) {
	tf, err := FindTerraform()
	if err != nil {
		t.Fatalf("the request-economy smoke test drives the real Terraform CLI: %v", err)
	}
	root, err := ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	provider := filepath.Join(dir, "bin", "terraform-provider-vbs")
	if err := BuildProvider(ctx, root, ".", provider); err != nil {
		t.Fatal(err)
	}
	ws, err := NewWorkspace(tf, dir, provider, "")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(Options{Sharings: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ids := srv.SharingIDs()

	// The schema says which object types the provider has; a missing one
	// fails its subtest.
	schemaDir, err := ws.Config("schema", ProviderBlock(srv))
	if err != nil {
		t.Fatal(err)
	}
	schema, _, err := ws.ProviderSchema(ctx, schemaDir)
	if err != nil {
		t.Fatal(err)
	}

	// terraform runs a command in a fresh directory holding mainTF and
	// returns the requests it caused. Every command here configures the
	// provider in one process, except destroy, whose refresh and apply run
	// in two.
	terraform := func(t *testing.T, wd string, args ...string) map[string]int64 {
		t.Helper()
		srv.ResetCounts()
		if _, err := ws.Terraform(ctx, wd, append(args, "-input=false", "-lock=false", "-no-color")...); err != nil {
			t.Fatal(err)
		}
		c := srv.Counts()
		t.Logf("terraform %s: requests %v", args[0], c)
		tokens := int64(1)
		if args[0] == "destroy" {
			tokens = 2
		}
		if c[fakecloud.KindToken] != tokens {
			t.Errorf("%d token requests in terraform %s, want %d: the provider must authenticate once per process and share the token",
				c[fakecloud.KindToken], args[0], tokens)
		}
		for _, k := range []string{fakecloud.KindCatalog, fakecloud.KindUnauthorized, fakecloud.KindOther} {
			if c[k] != 0 {
				t.Errorf("%d %s requests in terraform %s, want 0", c[k], k, args[0])
			}
		}
		return c
	}
	config := func(t *testing.T, name, mainTF string) string {
		t.Helper()
		wd, err := ws.Config(name, mainTF)
		if err != nil {
			t.Fatal(err)
		}
		return wd
	}
	plan := func(t *testing.T, name string, ids []string) map[string]int64 {
		t.Helper()
		c := terraform(t, config(t, name, DataSourceConfig(srv, ids)), "plan")
		for _, k := range []string{fakecloud.KindListPage, fakecloud.KindCount, fakecloud.KindCreate, fakecloud.KindDelete} {
			if c[k] != 0 {
				t.Errorf("%d %s requests in a plan of vbs_backup_sharing data sources, want 0", c[k], k)
			}
		}
		return c
	}

	t.Run("distinct ids", func(t *testing.T) {
		if c := plan(t, "distinct", ids); c[fakecloud.KindSharingGet] != int64(len(ids)) {
			t.Errorf("%d sharing reads for %d distinct data sources, want exactly one each", c[fakecloud.KindSharingGet], len(ids))
		}
	})

	t.Run("identical reads", func(t *testing.T) {
		repeated := make([]string, 20)
		for i := range repeated {
			repeated[i] = ids[i%5]
		}
		if c := plan(t, "repeated", repeated); c[fakecloud.KindSharingGet] != 5 {
			t.Errorf("%d sharing reads for 20 data sources over 5 distinct ids, want 5: identical reads in one run must share one request", c[fakecloud.KindSharingGet])
		}
	})

	// main.go switches all provider-side logging off when no log variable
	// is set; asking for logs must still get them.
	t.Run("logs when asked", func(t *testing.T) {
		wd := config(t, "logs", DataSourceConfig(srv, ids[:1]))
		for _, variable := range []string{"TF_LOG", "TF_LOG_PROVIDER"} {
			ws.SetEnv(variable, "DEBUG")
			run, err := ws.Terraform(ctx, wd, "plan", "-input=false", "-lock=false", "-no-color")
			ws.UnsetEnv(variable)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(run.Output, "HTTP request") || !strings.Contains(run.Output, "/os-vendor-backup-sharing/"+ids[0]) {
				t.Errorf("%s=DEBUG: the provider's HTTP log line for the read is missing from Terraform's log", variable)
			}
			if strings.Contains(run.Output, Password) {
				t.Errorf("%s=DEBUG: the password is in the log", variable)
			}
		}
	})

	t.Run("identical listings", func(t *testing.T) {
		if !schema.DataSources["vbs_backup_sharings"] {
			t.Fatal("the provider has no vbs_backup_sharings data source")
		}
		// Three data sources with the same filters; the two sharings to
		// project 3 fit one short page, and the count asked with it says so.
		filters := map[string]string{"to_project_id": fmt.Sprintf("%q", fakecloud.TargetProject(3))}
		c := terraform(t, config(t, "list", ListConfig(srv, 3, filters)), "plan")
		if c[fakecloud.KindListPage] != 1 || c[fakecloud.KindCount] != 1 || c[fakecloud.KindSharingGet] != 0 {
			t.Errorf("%d list pages, %d counts and %d sharing reads for 3 identical one-page listings, want 1, 1 and 0",
				c[fakecloud.KindListPage], c[fakecloud.KindCount], c[fakecloud.KindSharingGet])
		}
	})

	// What benchrun's query scenario measures: the sharings found with
	// terraform query, written down with -generate-config-out, imported by
	// the apply. CLIs before Terraform 1.14 have no terraform query.
	t.Run("query and import", func(t *testing.T) {
		if !schema.ListResources["vbs_backup_sharing"] {
			t.Skip("the CLI lists no vbs_backup_sharing list resource: terraform query needs Terraform 1.14")
		}
		wd := config(t, "query", ProviderBlock(srv))
		if err := os.WriteFile(filepath.Join(wd, QueryFileName), []byte(QueryFile(len(ids))), 0o644); err != nil {
			t.Fatal(err)
		}
		srv.ResetCounts()
		if _, err := ws.Terraform(ctx, wd, "query", "-generate-config-out=generated.tf", "-no-color"); err != nil {
			t.Fatal(err)
		}
		if c := srv.Counts(); c[fakecloud.KindToken] != 1 || c[fakecloud.KindListPage] != 1 || c[fakecloud.KindSharingGet] != 0 {
			t.Errorf("query of %d sharings: %d tokens, %d list pages, %d sharing reads; want 1, 1, 0", len(ids),
				c[fakecloud.KindToken], c[fakecloud.KindListPage], c[fakecloud.KindSharingGet])
		}
		c := terraform(t, wd, "apply", "-auto-approve")
		if c[fakecloud.KindSharingGet] != int64(len(ids)) || c[fakecloud.KindCreate] != 0 || c[fakecloud.KindListPage] != 0 {
			t.Errorf("apply importing %d sharings: %d reads, %d creates, %d list pages; want %d, 0, 0", len(ids),
				c[fakecloud.KindSharingGet], c[fakecloud.KindCreate], c[fakecloud.KindListPage], len(ids))
		}
	})

	t.Run("resources", func(t *testing.T) {
		if !schema.Resources["vbs_backup_sharing"] {
			t.Fatal("the provider has no vbs_backup_sharing resource")
		}
		const n = 5
		wd := config(t, "resources", ResourceConfig(srv, n))
		c := terraform(t, wd, "apply", "-auto-approve")
		if c[fakecloud.KindCreate] != n || c[fakecloud.KindSharingGet] != n || c[fakecloud.KindDelete] != 0 {
			t.Errorf("apply of %d sharings: %d creates, %d reads, %d deletes; want %d, %d (the read-back of each new sharing), 0",
				n, c[fakecloud.KindCreate], c[fakecloud.KindSharingGet], c[fakecloud.KindDelete], n, n)
		}
		c = terraform(t, wd, "destroy", "-auto-approve")
		if c[fakecloud.KindDelete] != n || c[fakecloud.KindSharingGet] != n || c[fakecloud.KindCreate] != 0 {
			t.Errorf("destroy of %d sharings: %d deletes, %d reads, %d creates; want %d, %d (the refresh), 0",
				n, c[fakecloud.KindDelete], c[fakecloud.KindSharingGet], c[fakecloud.KindCreate], n, n)
		}
	})
}
