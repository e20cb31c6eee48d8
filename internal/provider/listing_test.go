package provider

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// A listing whose count and pages disagree (sharings created or deleted
// while it ran) is logged at WARN with both numbers; one that agrees is not.
func TestListSharingsWarnsWhenCountAndPagesDisagree(t *testing.T) {
	for _, tc := range []struct {
		listed, counted int
		warn            bool
	}{{3, 5, true}, {3, 3, false}} {
		t.Run(fmt.Sprintf("%d listed, %d counted", tc.listed, tc.counted), func(t *testing.T) {
			// The count route answers whatever the sharings are, as a
			// count taken while others create or delete would.
			store := fakecloud.NewSharings(testProjectID)
			for i := range tc.listed {
				store.Add(map[string]any{"id": fmt.Sprintf("s%d", i), "backup_id": "b", "from_project_id": testProjectID, "to_project_id": "t"})
			}
			cloud := startPlainCloud(t, func(cfg *fakecloud.Config) {
				cfg.Sharings = store
				cfg.Routes = []fakecloud.Route{{Method: http.MethodGet, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/count",
					Status: http.StatusOK, Body: fmt.Sprintf(`{"count": %d}`, tc.counted)}}
			})
			c, err := client.New(client.Settings{AuthURL: cloud.AuthURL(), UserName: testUserName, DomainName: testDomainName, Password: "x", ProjectID: testProjectID})
			if err != nil {
				t.Fatal(err)
			}
			conn, err := c.Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			ctx := tflogtest.RootLogger(context.Background(), &logs)
			var diags diag.Diagnostics
			op := &operation{parent: ctx, ctx: ctx, cancel: func() {}, diags: &diags, conn: conn}
			shares, err := listSharings(op, c, sharing.ListOpts{Limit: 10})
			if err != nil || len(shares) != tc.listed {
				t.Fatalf("listed %d, %v", len(shares), err)
			}
			entries, err := tflogtest.MultilineJSONDecode(&logs)
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, e := range entries {
				if e["@level"] == "warn" {
					warned = true
					if e["listed"] != float64(tc.listed) || e["counted"] != float64(tc.counted) {
						t.Errorf("warning %v does not carry both numbers", e)
					}
				}
			}
			if warned != tc.warn {
				t.Errorf("warned %v, want %v; log: %v", warned, tc.warn, entries)
			}
		})
	}
}

// A listing that fails reaches terraform query as a result carrying the
// diagnostic, not as a broken stream.
func TestListResourceStreamsAFailure(t *testing.T) {
	clearOSEnv(t)
	server, schemas, _ := configuredServer(t, []fakecloud.Route{{Method: http.MethodGet, Label: "vbs", Status: http.StatusForbidden,
		Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/detail",
		Body: `{"error_code": "APIGW.0302", "error_msg": "The IAM or ACL policy does not allow the request.", "request_id": "gw-403"}`}})
	listServer, ok := server.(tfprotov6.ListResourceServer)
	if !ok {
		t.Fatal("NewServer's server does not serve list resources")
	}
	stream, err := listServer.ListResource(context.Background(), &tfprotov6.ListResourceRequest{
		TypeName: "vbs_backup_sharing", Limit: 100,
		Config: dynamicValue(t, schemas.ListResourceSchemas["vbs_backup_sharing"], nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	var results []tfprotov6.ListResourceResult
	for r := range stream.Results {
		results = append(results, r)
	}
	if len(results) != 1 || len(results[0].Diagnostics) != 1 {
		t.Fatalf("%d results (%v); want one that carries the failure", len(results), results)
	}
	d := results[0].Diagnostics[0]
	if !regexp.MustCompile(`^Listing backup sharings \(no filters\) was forbidden$`).MatchString(d.Summary) ||
		!strings.Contains(d.Detail, "APIGW.0302") || !strings.Contains(d.Detail, "gw-403") {
		t.Errorf("diagnostic %q: %q", d.Summary, d.Detail)
	}
}
