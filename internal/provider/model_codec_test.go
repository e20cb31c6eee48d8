package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// schemaOf is a data source's schema.
func schemaOf(ds datasource.DataSource) schema.Schema {
	var resp datasource.SchemaResponse
	ds.Schema(context.Background(), datasource.SchemaRequest{}, &resp)
	return resp.Schema
}

// dataSourceSchema is an empty state of a data source's schema.
func dataSourceSchema(t *testing.T, ds datasource.DataSource) tfsdk.State {
	t.Helper()
	return tfsdk.State{Schema: schemaOf(ds)}
}

// checkSetStateMatches sets model with the framework's State.Set and with
// setState and requires the same value.
func checkSetStateMatches(t *testing.T, ds func() datasource.DataSource, model any, label string) {
	t.Helper()
	ctx := context.Background()
	want, got := dataSourceSchema(t, ds()), dataSourceSchema(t, ds())
	if diags := want.Set(ctx, model); diags.HasError() {
		t.Fatal(diags)
	}
	if diags := setState(ctx, &got, model); diags.HasError() {
		t.Fatal(diags)
	}
	if !got.Raw.Equal(want.Raw) {
		t.Errorf("%s: setState wrote\n%s\nState.Set wrote\n%s", label, got.Raw, want.Raw)
	}
}

func ptr[T any](v T) *T { return &v }

// codecShares are the shapes a sharing comes in: everything set, nearly
// nothing set, and no backup at all.
func codecShares() []sharing.Share {
	return []sharing.Share{
		{
			ID: "ac0fb374-a288-4399-ac63-cc080a13a2ee", BackupID: "1f0e6a52-0000-4000-8000-00000000b001",
			FromProjectID: "a", ToProjectID: "b", CreatedAt: ptr("2024-03-01T10:15:30.123456"),
			Backup: &sharing.Backup{
				Name: ptr("nightly-db"), Size: ptr(int64(40)), ObjectCount: ptr(int64(0)),
				HasDependentBackups: ptr(false), IsIncremental: ptr(true), Description: ptr(""),
			},
		},
		{ID: "5a1d8c1e-0000-4000-8000-000000000002"},
		{ID: "5a1d8c1e-0000-4000-8000-000000000003", BackupID: "x", Backup: &sharing.Backup{}},
	}
}

// TestSetStateWritesWhatStateSetWrites holds the codec to the framework's
// own State.Set, value for value, null for null.
func TestSetStateWritesWhatStateSetWrites(t *testing.T) {
	for i, share := range codecShares() {
		model := backupSharingDataSourceModel{
			ID: types.StringValue(share.ID), ShareToMe: types.BoolNull(), backupSharingAttributes: flattenBackupSharing(&share),
		}
		checkSetStateMatches(t, NewBackupSharingDataSource, &model, fmt.Sprintf("share %d", i))
	}

	shares := codecShares()
	for _, n := range []int{-1, 0, len(shares)} {
		model := backupSharingsDataSourceModel{ShareToMe: types.BoolValue(true), Name: types.StringValue("db")}
		if n >= 0 {
			model.IDs, model.Sharings = flattenSharings(shares[:n])
		}
		checkSetStateMatches(t, NewBackupSharingsDataSource, &model, fmt.Sprintf("list of %d", n))
	}
}

// TestGetConfigReadsWhatConfigGetReads does the same for reading, with
// null, unknown and set values.
func TestGetConfigReadsWhatConfigGetReads(t *testing.T) {
	ctx := context.Background()
	sch := schemaOf(NewBackupSharingDataSource())
	objType, _ := sch.Type().TerraformType(ctx).(tftypes.Object)
	attrs := map[string]tftypes.Value{}
	for name, typ := range objType.AttributeTypes {
		attrs[name] = tftypes.NewValue(typ, nil)
	}
	attrs["id"] = tftypes.NewValue(tftypes.String, "ac0fb374-a288-4399-ac63-cc080a13a2ee")
	attrs["to_project_id"] = tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	attrs["share_to_me"] = tftypes.NewValue(tftypes.Bool, false)
	attrs["backup_size"] = tftypes.NewValue(tftypes.Number, 40)
	config := tfsdk.Config{Schema: sch, Raw: tftypes.NewValue(objType, attrs)}

	var want, got backupSharingDataSourceModel
	if diags := config.Get(ctx, &want); diags.HasError() {
		t.Fatal(diags)
	}
	if diags := getConfig(ctx, config, &got); diags.HasError() {
		t.Fatal(diags)
	}
	if got != want {
		t.Errorf("getConfig read\n%+v\nConfig.Get read\n%+v", got, want)
	}
	if !got.ToProjectID.IsUnknown() || got.ShareToMe.ValueBool() || got.ShareToMe.IsNull() || got.BackupSize.ValueInt64() != 40 {
		t.Errorf("unexpected values: %+v", got)
	}

	listSchema := schemaOf(NewBackupSharingsDataSource())
	listType, _ := listSchema.Type().TerraformType(ctx).(tftypes.Object)
	listAttrs := map[string]tftypes.Value{}
	for name, typ := range listType.AttributeTypes {
		listAttrs[name] = tftypes.NewValue(typ, nil)
	}
	listAttrs["status"] = tftypes.NewValue(tftypes.String, "available")
	listAttrs["ids"] = tftypes.NewValue(listType.AttributeTypes["ids"], []tftypes.Value{tftypes.NewValue(tftypes.String, "a")})
	listConfig := tfsdk.Config{Schema: listSchema, Raw: tftypes.NewValue(listType, listAttrs)}
	var wantList, gotList backupSharingsDataSourceModel
	if diags := listConfig.Get(ctx, &wantList); diags.HasError() {
		t.Fatal(diags)
	}
	if diags := getConfig(ctx, listConfig, &gotList); diags.HasError() {
		t.Fatal(diags)
	}
	if gotList.Status != wantList.Status || len(gotList.IDs) != 1 || gotList.IDs[0] != "a" || gotList.Sharings != nil || !gotList.Name.IsNull() {
		t.Errorf("getConfig read %+v, Config.Get read %+v", gotList, wantList)
	}
}

// TestModelCodecRejectsMismatchedModels: a model that does not fit the
// schema is a diagnostic naming the attribute, never a panic or a silent
// partial state.
func TestModelCodecRejectsMismatchedModels(t *testing.T) {
	ctx := context.Background()
	state := dataSourceSchema(t, NewBackupSharingDataSource())
	for name, tc := range map[string]struct {
		model any
		want  string
	}{
		"missing attributes": {&struct {
			ID types.String `tfsdk:"id"`
		}{}, "has 1 attributes, the schema 23"},
		"wrong type": {&struct {
			ID        types.Int64 `tfsdk:"id"`
			ShareToMe types.Bool  `tfsdk:"share_to_me"`
			backupSharingAttributes
		}{}, "id: basetypes.Int64Value gives tftypes.Number where the schema has tftypes.String"},
		"untagged field": {&struct {
			ID types.String
		}{}, "has no tfsdk tag"},
	} {
		diags := setState(ctx, &state, tc.model)
		if !diags.HasError() || !strings.Contains(diags[0].Detail(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, diags, tc.want)
		}
	}
	var nilModel *backupSharingDataSourceModel
	if diags := setState(ctx, &state, nilModel); !diags.HasError() {
		t.Error("setState of a nil model: no error")
	}
	if diags := setState(ctx, &state, []string{}); !diags.HasError() {
		t.Error("setState of a slice: no error")
	}
	var interfaceField struct {
		ID attr.Value `tfsdk:"id"`
	}
	nullConfig := tfsdk.Config{Schema: state.Schema, Raw: tftypes.NewValue(state.Schema.Type().TerraformType(ctx), nil)}
	if diags := getConfig(ctx, nullConfig, &interfaceField); !diags.HasError() || !strings.Contains(diags[0].Detail(), "is an interface") {
		t.Errorf("getConfig into an interface-typed field: %v", diags)
	}
	var notAStruct string
	if diags := getConfig(ctx, tfsdk.Config{Schema: state.Schema, Raw: tftypes.NewValue(tftypes.String, "x")}, &notAStruct); !diags.HasError() {
		t.Error("getConfig into a string: no error")
	}
}

func BenchmarkSetStateVersusStateSet(b *testing.B) {
	ctx := context.Background()
	share := codecShares()[0]
	model := backupSharingDataSourceModel{ID: types.StringValue(share.ID), backupSharingAttributes: flattenBackupSharing(&share)}
	var resp datasource.SchemaResponse
	NewBackupSharingDataSource().Schema(ctx, datasource.SchemaRequest{}, &resp)
	// As in Read, the state starts as the configuration and so has its type.
	typ := resp.Schema.Type().TerraformType(ctx)
	b.Run("setState", func(b *testing.B) {
		for b.Loop() {
			state := tfsdk.State{Schema: resp.Schema, Raw: tftypes.NewValue(typ, nil)}
			setState(ctx, &state, &model)
		}
	})
	b.Run("State.Set", func(b *testing.B) {
		for b.Loop() {
			state := tfsdk.State{Schema: resp.Schema, Raw: tftypes.NewValue(typ, nil)}
			state.Set(ctx, &model)
		}
	})
}
