package provider

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
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
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/count") {
					fmt.Fprintf(w, `{"count": %d}`, tc.counted)
					return
				}
				if r.URL.Query().Get("offset") != "" {
					fmt.Fprint(w, `{"shared": []}`)
					return
				}
				items := make([]string, tc.listed)
				for i := range items {
					items[i] = fmt.Sprintf(`{"id": "s%d", "backup_id": "b", "from_project_id": "f", "to_project_id": "t"}`, i)
				}
				fmt.Fprintf(w, `{"shared": [%s]}`, strings.Join(items, ","))
			}))
			defer server.Close()
			c, err := client.New(client.Settings{})
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			ctx := tflogtest.RootLogger(context.Background(), &logs)
			var diags diag.Diagnostics
			op := &operation{parent: ctx, ctx: ctx, cancel: func() {}, diags: &diags, conn: &client.Connection{
				ProjectID: testProjectID,
				VBS:       &gophercloud.ServiceClient{ProviderClient: &gophercloud.ProviderClient{HTTPClient: *server.Client()}, Endpoint: server.URL + "/v2/p/", ResourceBase: server.URL + "/v2/p/"},
			}}
			shares, err := listSharings(op, c, sharing.ListOpts{Limit: 10}, 0)
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
