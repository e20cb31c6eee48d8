package provider

import (
	"context"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Creating or deleting a sharing forgets the listings kept for the rest of
// the command: a vbs_backup_sharings read after it sees the change.
func TestCreateAndDeleteForgetKeptListings(t *testing.T) {
	clearOSEnv(t)
	server, schemas, _ := configuredServer(t, nil, lookupScenario)
	ctx := context.Background()
	listed := func() []string {
		t.Helper()
		schema := schemas.DataSourceSchemas["vbs_backup_sharings"]
		resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "vbs_backup_sharings", Config: dynamicValue(t, schema, nil)})
		if err != nil || len(resp.Diagnostics) > 0 {
			t.Fatalf("read: %v %v", err, resp.Diagnostics)
		}
		ids := stateStrings(t, resp.State, schema, "ids")
		slices.Sort(ids)
		return ids
	}
	before := listed()

	schema := schemas.ResourceSchemas["vbs_backup_sharing"]
	none := nullValue(t, schema)
	planned := dynamicValue(t, schema, map[string]string{"backup_id": testLookupBackup2, "to_project_id": testOtherProjectID})
	created, err := server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: "vbs_backup_sharing", PriorState: none, PlannedState: planned, Config: planned,
	})
	if err != nil || len(created.Diagnostics) > 0 {
		t.Fatalf("create: %v %v", err, created.Diagnostics)
	}
	id := stringAttribute(t, created.NewState, schema, "id")
	if got, want := listed(), sortedWith(before, id); !slices.Equal(got, want) {
		t.Errorf("after create: %v; want %v", got, want)
	}

	deleted, err := server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: "vbs_backup_sharing", PriorState: created.NewState, PlannedState: none, Config: none,
	})
	if err != nil || len(deleted.Diagnostics) > 0 {
		t.Fatalf("delete: %v %v", err, deleted.Diagnostics)
	}
	if got := listed(); !slices.Equal(got, before) {
		t.Errorf("after delete: %v; want %v", got, before)
	}
}

func sortedWith(xs []string, x string) []string {
	out := append(slices.Clone(xs), x)
	slices.Sort(out)
	return out
}

func nullValue(t *testing.T, schema *tfprotov6.Schema) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(schema.ValueType(), tftypes.NewValue(schema.ValueType(), nil))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func attributes(t *testing.T, dv *tfprotov6.DynamicValue, schema *tfprotov6.Schema) map[string]tftypes.Value {
	t.Helper()
	v, err := dv.Unmarshal(schema.ValueType())
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		t.Fatal(err)
	}
	return attrs
}

func stringAttribute(t *testing.T, dv *tfprotov6.DynamicValue, schema *tfprotov6.Schema, name string) string {
	t.Helper()
	var s string
	if err := attributes(t, dv, schema)[name].As(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func stateStrings(t *testing.T, dv *tfprotov6.DynamicValue, schema *tfprotov6.Schema, name string) []string {
	t.Helper()
	var elems []tftypes.Value
	if err := attributes(t, dv, schema)[name].As(&elems); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		if err := e.As(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
