package provider

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// A server that ignores backup_id returns all three sharings: the one of
// the other backup is left out and logged at WARN with how many were, and
// the count, which counts it too, raises no warning of its own.
func TestListSharingsWarnsOfSharingsTheFiltersExclude(t *testing.T) {
	clearOSEnv(t)
	_, _, cloud := configuredServer(t, nil, lookupScenario, func(cfg *fakecloud.Config) { cfg.IgnoredFilters = []string{"backup_id"} })
	c, err := client.New(client.Settings{AuthURL: cloud.AuthURL(), ProjectID: testProjectID, DomainName: "d", UserName: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &logs)
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var diags diag.Diagnostics
	op := &operation{parent: ctx, ctx: ctx, cancel: func() {}, diags: &diags, conn: conn}
	shares, err := listSharings(op, c, sharing.ListOpts{BackupID: testLookupBackup1})
	if err != nil || len(shares) != 2 {
		t.Fatalf("listed %d, %v; want the 2 sharings of %s", len(shares), err, testLookupBackup1)
	}
	entries, err := tflogtest.MultilineJSONDecode(&logs)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []map[string]any
	for _, e := range entries {
		if e["@level"] == "warn" {
			warnings = append(warnings, e)
		}
	}
	if len(warnings) != 1 || warnings[0]["excluded"] != float64(1) || warnings[0]["listed"] != float64(2) ||
		warnings[0]["counted"] != float64(3) || !strings.Contains(fmt.Sprint(warnings[0]["@message"]), "ignores a filter") {
		t.Errorf("warnings %v; want one that says 1 excluded, 2 listed, 3 counted", warnings)
	}
}
