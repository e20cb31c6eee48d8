package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// The acceptance tests of this file drive each failure class through the
// Terraform CLI against the recorded server; TestOperationFailByClass words
// every class, including those no cassette can hold.

// A GET that takes two seconds (sharing_slow) with timeouts.read = "1s":
// the read ends after a second with an error naming the timeout. (The
// recorded server's own tests replay the slow answer to the end.)
func TestAccFailure_readTimeout(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_slow")
	start := time.Now()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccProviderBlock(server) + fmt.Sprintf(`
data "vbs_backup_sharing" "test" {
  id       = %q
  timeouts = { read = "1s" }
}
`, testSharingID),
			ExpectError: regexp.MustCompile(`(?s)Reading\s+backup\s+sharing\s+` + testSharingID + `\s+timed\s+out\s+after\s+1s\s+\(timeouts\.read\).*` +
				`within\s+1s,\s+the\s+limit\s+set\s+by\s+timeouts\.read.*timeouts\s+=\s+\{\s+read\s+=\s+"1m"\s+\}`),
		}},
	})
	t.Logf("a 1s read timeout against a 2s answer failed after %s, Terraform included", time.Since(start).Round(time.Millisecond))
}

// auth_url with a path where no Keystone is (keystone_not_found): the URL
// tried and the form auth_url should have.
func TestAccFailure_keystoneNotFound(t *testing.T) {
	server := recorded.StartForTest(t, "keystone_not_found")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID),
			ExpectError: regexp.MustCompile(`(?s)Keystone\s+not\s+found\s+at\s+auth_url.*POST\s+` + regexp.QuoteMeta(server.URL()) +
				`/identity/v3/auth/tokens\s+answered\s+HTTP\s+404.*should\s+be\s+the\s+Keystone\s+v3\s+URL,\s+ending\s+in\s+/v3`),
		}},
	})
}

// A server whose certificate the provider has no CA for: the failure names
// the host and the settings that fix it, and is not retried as if the
// network had failed.
func TestAccFailure_tlsVerification(t *testing.T) {
	serverTLS, _, _, _, err := recorded.NewTestTLS(false)
	if err != nil {
		t.Fatal(err)
	}
	server := recorded.StartForTestWithOptions(t, "sharing_full", func(o *recorded.Options) { o.TLS = serverTLS })
	clearOSEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID),
			ExpectError: regexp.MustCompile(`(?s)TLS\s+verification\s+failed\s+for\s+Keystone\s+at\s+127\.0\.0\.1:\d+.*unknown\s+authority.*` +
				`cacert_file\s+\(OS_CACERT\).*insecure\s+=\s+true`),
		}},
	})
	if n := countRequests(server, "POST", "/v3/auth/tokens"); n != 0 {
		t.Errorf("%d logins reached the server through a failed handshake", n)
	}
}

// cappedListing is a cloud that answers at most two sharings a page whatever
// limit asks, and ignores the backup_id filter: five sharings made by this
// project, of which the first and the last share backup B1.
func cappedListing(cfg *fakecloud.Config) {
	cfg.MaxPageSize = 2
	cfg.IgnoredFilters = []string{"backup_id"}
	cfg.Sharings = fakecloud.NewSharings(testProjectID,
		backupObject(testLookupBackup1, "db"), backupObject(testLookupBackup2, "logs"), backupObject(testLookupMissing, "etc"))
	for i, backup := range []string{testLookupBackup1, testLookupBackup2, testLookupBackup2, testLookupMissing, testLookupBackup1} {
		cfg.Sharings.Add(map[string]any{
			"id": cappedSharingID(i), "backup_id": backup, "from_project_id": testProjectID,
			"to_project_id": fmt.Sprintf("aaaaaaaaaaaaaaaaaaaaaaaaaaaa%04d", i+1), "created_at": "2024-03-01T10:15:30.123456",
		})
	}
}

func cappedSharingID(i int) string { return fmt.Sprintf("7c000000-0000-4000-8000-%012d", i) }

// A server that caps its pages below the limit asked for: the listing
// reads all three pages of two, and the lookup by backup finds the second
// sharing of B1 on the third page.
func TestAccFailure_cappedPageListing(t *testing.T) {
	server := startScenario(t, "sharings_list_capped", cappedListing)
	ids := make([]knownvalue.Check, 5)
	for i := range ids {
		ids[i] = knownvalue.StringExact(cappedSharingID(i))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: testAccProviderBlock(server) + `
data "vbs_backup_sharings" "test" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("ids"), knownvalue.ListExact(ids)),
					statecheck.ExpectKnownValue(testListDataSource, tfjsonpath.New("sharings").AtSliceIndex(4).AtMapKey("backup_name"), knownvalue.StringExact("db")),
				},
			},
			{
				Config: testAccProviderBlock(server) + fmt.Sprintf(`
data "vbs_backup_sharing" "test" {
  backup_id = %q
}
`, testLookupBackup1),
				ExpectError: regexp.MustCompile(`(?s)Several\s+backup\s+sharings\s+match.*2\s+sharings\s+of\s+backup\s+` + testLookupBackup1 +
					`.*` + cappedSharingID(0) + `.*` + cappedSharingID(4)),
			},
		},
	})
	list := "GET /v2/" + testProjectID + "/os-vendor-backup-sharing/detail?"
	for _, page := range []string{"limit=100", "limit=2&offset=2", "limit=2&offset=4"} {
		if n := countRequests(server, "GET", list[4:]+page); n == 0 {
			t.Errorf("the listing never asked for %s", page)
		}
	}
}

// Terraform's StopProvider (Ctrl-C) ends every read in flight with one
// short "interrupted" diagnostic each, not the cancellation's error text.
// The reads wait on a GET the cloud never answers; the test stops the
// provider once both have reached the cloud.
func TestStopProviderInterruptsReads(t *testing.T) {
	ids := []string{testSharingID, testMissingSharingID}
	var routes []fakecloud.Route
	for _, id := range ids {
		routes = append(routes, fakecloud.Route{Method: http.MethodGet, Label: "vbs", Status: http.StatusOK, Delay: time.Hour,
			Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/" + id, Body: fakecloud.SharingFullBody})
	}
	clearOSEnv(t)
	server, schemas, cloud := configuredServer(t, routes)
	ctx := context.Background()

	results := make(chan []*tfprotov6.Diagnostic, len(ids))
	for _, id := range ids {
		config := dynamicValue(t, schemas.DataSourceSchemas["vbs_backup_sharing"], map[string]string{"id": id})
		go func() {
			resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "vbs_backup_sharing", Config: config})
			if err != nil {
				t.Error(err)
				results <- nil
				return
			}
			results <- resp.Diagnostics
		}()
	}
	waitCtx, cancelWait := context.WithTimeout(ctx, time.Minute)
	defer cancelWait()
	if err := cloud.Await(waitCtx, fakecloud.KindSharingGet, int64(len(ids))); err != nil {
		t.Fatal(err)
	}
	if _, err := server.StopProvider(ctx, &tfprotov6.StopProviderRequest{}); err != nil {
		t.Fatal(err)
	}
	for range ids {
		diags := <-results
		if len(diags) != 1 {
			t.Errorf("%d diagnostics for an interrupted read, want one: %v", len(diags), diags)
			continue
		}
		d := diags[0]
		if !regexp.MustCompile(`^Reading backup sharing \S+ was interrupted$`).MatchString(d.Summary) ||
			strings.Contains(d.Summary+d.Detail, "context canceled") {
			t.Errorf("interrupted read reported as %q: %q", d.Summary, d.Detail)
		}
	}
}
