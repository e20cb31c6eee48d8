package provider

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// pagedSharings is a cloud holding five sharings this project made of
// backup "db", to projects ...0001 to ...0005 in that order, that answers
// at most two a page: the list resource reads them in three pages.
func pagedSharings(cfg *fakecloud.Config) {
	cfg.MaxPageSize = 2
	cfg.Sharings = fakecloud.NewSharings(testProjectID, backupObject(testLookupBackup1, "db"))
	for i := range 5 {
		cfg.Sharings.Add(map[string]any{
			"id": fmt.Sprintf("7d000000-0000-4000-8000-%012d", i), "backup_id": testLookupBackup1, "from_project_id": testProjectID,
			"to_project_id": pagedTarget(i), "created_at": "2024-03-01T10:15:30.123456",
		})
	}
}

func pagedTarget(i int) string { return fmt.Sprintf("aaaaaaaaaaaaaaaaaaaaaaaaaaaa%04d", i+1) }

// interceptPage lets answer handle the page of the listing at offset and
// the sharing API answer the rest.
func interceptPage(offset string, answer func(w http.ResponseWriter, r *http.Request) bool) func(*fakecloud.Config) {
	return func(cfg *fakecloud.Config) {
		cfg.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
			return strings.HasSuffix(r.URL.Path, "/detail") && r.URL.Query().Get("offset") == offset && answer(w, r)
		}
	}
}

// listOverProtocol runs the list resource with no filters as terraform
// query does, and returns each result's display name, or "error: " and its
// diagnostics' summaries and details; onResult sees each result as it
// arrives.
func listOverProtocol(ctx context.Context, t *testing.T, server tfprotov6.ProviderServer, schemas *tfprotov6.GetProviderSchemaResponse,
	onResult func(n int),
) []string {
	t.Helper()
	listServer, ok := server.(tfprotov6.ListResourceServer)
	if !ok {
		t.Fatal("NewServer's server does not serve list resources")
	}
	stream, err := listServer.ListResource(ctx, &tfprotov6.ListResourceRequest{
		TypeName: "vbs_backup_sharing", Limit: 100,
		Config: dynamicValue(t, schemas.ListResourceSchemas["vbs_backup_sharing"], nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for r := range stream.Results {
		if len(r.Diagnostics) > 0 {
			summaries := make([]string, len(r.Diagnostics))
			for i, d := range r.Diagnostics {
				summaries[i] = d.Summary + ": " + d.Detail
			}
			got = append(got, "error: "+strings.Join(summaries, "; "))
		} else {
			got = append(got, r.DisplayName)
		}
		onResult(len(got))
	}
	return got
}

// The first results reach terraform query while the listing is still
// running: the cloud holds the second page until the first result has
// arrived, which a list resource that pushed after the whole listing would
// never see. Released, the query ends with every sharing once, in order.
func TestListResourceStreamsEachPageAsItArrives(t *testing.T) {
	clearOSEnv(t)
	release := make(chan struct{})
	server, schemas, cloud := configuredServer(t, nil, pagedSharings, interceptPage("2", func(_ http.ResponseWriter, r *http.Request) bool {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return false
	}))
	// The deadline only turns a listing that waits for the held page for
	// ever into a failure; nothing passes by its timing.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := listOverProtocol(ctx, t, server, schemas, func(n int) {
		if n == 1 {
			close(release)
		}
	})
	var want []string
	for i := range 5 {
		want = append(want, "db → "+pagedTarget(i))
	}
	if !slices.Equal(got, want) || ctx.Err() != nil {
		t.Errorf("results %q (%v); want %q", got, ctx.Err(), want)
	}
	if pages := cloud.Counts()[fakecloud.KindListPage]; pages != 3 {
		t.Errorf("%d pages read, want 3 (two sharings a page)", pages)
	}
}

// A page that fails mid-listing reaches terraform query as a result that
// carries the diagnostic, after the results of the pages before it.
func TestListResourceStreamsAFailureAfterTheResultsBeforeIt(t *testing.T) {
	clearOSEnv(t)
	server, schemas, _ := configuredServer(t, nil, pagedSharings, interceptPage("4", func(w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error_code": "APIGW.0302", "error_msg": "The IAM or ACL policy does not allow the request.", "request_id": "gw-403"}`)
		return true
	}))
	got := listOverProtocol(context.Background(), t, server, schemas, func(int) {})
	want := []string{"db → " + pagedTarget(0), "db → " + pagedTarget(1), "db → " + pagedTarget(2), "db → " + pagedTarget(3)}
	if len(got) != len(want)+1 || !slices.Equal(got[:len(want)], want) {
		t.Fatalf("results %q; want %q and one error", got, want)
	}
	for _, part := range []string{"error: Listing backup sharings (no filters) was forbidden: ", "page 3 of the listing (offset 4, limit 2)",
		"403", "APIGW.0302", "gw-403"} {
		if !strings.Contains(got[len(want)], part) {
			t.Errorf("error result %q does not say %q", got[len(want)], part)
		}
	}
}
