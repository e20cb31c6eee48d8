package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// Each state builder must write exactly what State.Set of its model writes:
// the models are the documented shape of each object, the builders only a
// faster way to the same state. The fixtures cover what can go wrong when
// a builder and a schema drift apart: nulls wherever the API may leave a
// value out, text beyond ASCII, sizes beyond int32, timestamps with and
// without a zone, an empty listing, and timeouts both set and null.

func ptr[T any](v T) *T { return &v }

// fullShare is a sharing with every field the API can send: unicode text,
// sizes of 2^33 and more (beyond int32), zoned and unzoned timestamps, and
// an empty fail_reason, which is a value, not null.
func fullShare(i int) sharing.Share {
	return sharing.Share{
		ID:            fmt.Sprintf("7a000000-0000-4000-8000-%012d", i),
		BackupID:      fmt.Sprintf("1f0e6a52-0000-4000-8000-%012d", i),
		FromProjectID: testProjectID,
		ToProjectID:   testToProjectID,
		CreatedAt:     ptr("2024-03-01T10:15:30.123456"),
		UpdatedAt:     ptr("2024-03-02T08:00:00.000000+08:00"),
		Backup: &sharing.Backup{
			ID:                  ptr(fmt.Sprintf("1f0e6a52-0000-4000-8000-%012d", i)),
			Name:                ptr(fmt.Sprintf("Sicherung-%d für Jürgen · 日本語 🚀", i)),
			Status:              ptr("available"),
			Description:         ptr("línea 1\nligne 2\t\"quoted\" \\ ✓"),
			AvailabilityZone:    ptr("eu-de-01"),
			VolumeID:            ptr("5f0e6a52-0000-4000-8000-000000000001"),
			FailReason:          ptr(""),
			SnapshotID:          ptr("6f0e6a52-0000-4000-8000-000000000001"),
			ServiceMetadata:     ptr(`{"backup_type":"incremental","ünïcode":"✓"}`),
			Container:           ptr("volumebackups"),
			Size:                ptr(int64(1) << 33),
			ObjectCount:         ptr(int64(1)<<33 + 1),
			CreatedAt:           ptr("2024-03-01T10:15:30.123456Z"),
			UpdatedAt:           ptr("2024-03-01T10:20:00"),
			DataTimestamp:       ptr("2024-03-01T10:15:30.123456-05:00"),
			HasDependentBackups: ptr(true),
			IsIncremental:       ptr(false),
		},
	}
}

// syntheticShare is sharing i of the benchmark's cloud
// (fakecloud.Synthetic), as the API's JSON decodes: a typical sharing, with
// the nulls the API sends (updated_at, object_count, container, fail_reason,
// snapshot_id, service_metadata, has_dependent_backups, and description
// three times in four). Nulls matter to the benchmarks: the framework's
// server does its most expensive work per null value.
func syntheticShare(i int) sharing.Share {
	created := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	stamp := func(t time.Time) *string { return ptr(t.Format("2006-01-02T15:04:05.000000")) }
	status := "available"
	if i%10 == 9 {
		status = "error"
	}
	b := &sharing.Backup{
		ID: ptr(fakecloud.BackupID(i)), Name: ptr(fmt.Sprintf("backup-%05d", i)), Status: ptr(status),
		AvailabilityZone: ptr(fmt.Sprintf("eu-de-0%d", i%3+1)), VolumeID: ptr(fakecloud.VolumeID(i)), Size: ptr(int64(10 + i%90)),
		CreatedAt: stamp(created), UpdatedAt: stamp(created.Add(7*time.Minute + 41554120*time.Microsecond)), DataTimestamp: stamp(created),
		IsIncremental: ptr(i%2 == 1),
	}
	if i%4 == 0 {
		b.Description = ptr("nightly backup of " + fakecloud.VolumeID(i))
	}
	return sharing.Share{
		ID: fakecloud.SharingID(i), BackupID: fakecloud.BackupID(i), FromProjectID: testProjectID, ToProjectID: fakecloud.TargetProject(i),
		CreatedAt: stamp(created.Add(time.Hour)), Backup: b,
	}
}

// sparseShares are sharings with as much null as the API can send: no
// backup at all, a backup of nulls only, and IDs left out.
func sparseShares() []sharing.Share {
	return []sharing.Share{
		{ID: testSharingID, BackupID: testBackupID, FromProjectID: testProjectID, ToProjectID: testToProjectID},
		{ID: testSharingID, Backup: &sharing.Backup{}},
		{ID: testSharingID, Backup: &sharing.Backup{ID: ptr(testBackupID), Size: ptr(int64(0)), HasDependentBackups: ptr(false)}},
	}
}

func builderFixtures() map[string]sharing.Share {
	fixtures := map[string]sharing.Share{"full": fullShare(7), "synthetic": syntheticShare(4), "synthetic-error": syntheticShare(9)}
	for i, s := range sparseShares() {
		fixtures[fmt.Sprintf("sparse%d", i)] = s
	}
	return fixtures
}

// sameState fails the test unless writing built and Set of model under the
// same schema give equal raw values.
func sameState(t *testing.T, schema tfsdk.State, model any, build func(context.Context, stateTarget) diag.Diagnostics) {
	t.Helper()
	ctx := context.Background()
	want, got := schema, schema
	if diags := want.Set(ctx, model); diags.HasError() {
		t.Fatalf("State.Set(model): %v", diags)
	}
	if diags := build(ctx, &got); diags.HasError() {
		t.Fatalf("builder: %v", diags)
	}
	if !got.Raw.Equal(want.Raw) {
		t.Errorf("the builder wrote\n%s\nState.Set(&model) wrote\n%s", got.Raw, want.Raw)
	}
	if got.Raw.IsNull() {
		t.Error("the builder wrote nothing")
	}
}

func dataSourceSchema(t testing.TB, ds datasource.DataSource) dsschema.Schema {
	t.Helper()
	var resp datasource.SchemaResponse
	ds.Schema(context.Background(), datasource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	return resp.Schema
}

func emptyState(schema interface {
	Type() attr.Type
}, s tfsdk.State) tfsdk.State {
	s.Raw = tftypes.NewValue(schema.Type().TerraformType(context.Background()), nil)
	return s
}

// dataSourceTimeoutsValue is a data source's timeouts as a configuration
// gives them: set, or null.
func dataSourceTimeoutsValue(t testing.TB, read *string) dstimeouts.Value {
	t.Helper()
	attrTypes := map[string]attr.Type{"read": types.StringType}
	if read == nil {
		return dstimeouts.Value{Object: types.ObjectNull(attrTypes)}
	}
	obj, diags := types.ObjectValue(attrTypes, map[string]attr.Value{"read": types.StringValue(*read)})
	if diags.HasError() {
		t.Fatal(diags)
	}
	return dstimeouts.Value{Object: obj}
}

func resourceTimeoutsValue(t testing.TB, set bool) timeouts.Value {
	t.Helper()
	attrTypes := resourceTimeoutTypes(context.Background())
	if !set {
		return timeouts.Value{Object: types.ObjectNull(attrTypes)}
	}
	obj, diags := types.ObjectValue(attrTypes, map[string]attr.Value{
		"create": types.StringValue("90s"), "read": types.StringNull(), "delete": types.StringValue("1h"),
	})
	if diags.HasError() {
		t.Fatal(diags)
	}
	return timeouts.Value{Object: obj}
}

func TestBackupSharingDataSourceBuilderWritesWhatStateSetWrites(t *testing.T) {
	schema := dataSourceSchema(t, NewBackupSharingDataSource())
	base := emptyState(schema, tfsdk.State{Schema: schema})
	fixtures := builderFixtures()
	for _, name := range slices.Sorted(maps.Keys(fixtures)) {
		share := fixtures[name]
		for _, read := range []*string{nil, ptr("2m")} {
			for _, shareToMe := range []types.Bool{types.BoolNull(), types.BoolValue(true)} {
				t.Run(fmt.Sprintf("%s/timeouts=%v/share_to_me=%s", name, read != nil, shareToMe), func(t *testing.T) {
					model := backupSharingDataSourceModel{
						ID:                      nonEmptyString(share.ID),
						ShareToMe:               shareToMe,
						Timeouts:                dataSourceTimeoutsValue(t, read),
						backupSharingAttributes: flattenBackupSharing(&share),
					}
					sameState(t, base, &model, model.set)
				})
			}
		}
	}
}

func TestBackupSharingsDataSourceBuilderWritesWhatStateSetWrites(t *testing.T) {
	schema := dataSourceSchema(t, NewBackupSharingsDataSource())
	base := emptyState(schema, tfsdk.State{Schema: schema})
	full := make([]sharing.Share, 3)
	for i := range full {
		full[i] = fullShare(i)
	}
	listings := map[string][]sharing.Share{
		"empty":  {},
		"full":   full,
		"sparse": sparseShares(),
		"mixed":  append(sparseShares(), full...),
	}
	for _, name := range slices.Sorted(maps.Keys(listings)) {
		shares := listings[name]
		for _, read := range []*string{nil, ptr("10m")} {
			t.Run(fmt.Sprintf("%s/timeouts=%v", name, read != nil), func(t *testing.T) {
				model := backupSharingsDataSourceModel{
					ShareToMe:        types.BoolValue(true),
					BackupID:         types.StringNull(),
					VolumeID:         types.StringValue("5f0e6a52-0000-4000-8000-000000000001"),
					Name:             types.StringValue("Jürgen 🚀"),
					Status:           types.StringNull(),
					FromProjectID:    types.StringNull(),
					ToProjectID:      types.StringValue(testProjectID),
					AvailabilityZone: types.StringNull(),
					SortKey:          types.StringValue("size"),
					SortDir:          types.StringNull(),
					Timeouts:         dataSourceTimeoutsValue(t, read),
				}
				// The builder takes the listing in pages of two, as
				// ListEach hands it over.
				listed := listedOf(t, shares, 2)
				model.IDs, model.Sharings = flattenSharings(shares)
				sameState(t, base, &model, func(ctx context.Context, target stateTarget) diag.Diagnostics {
					return model.set(ctx, target, listed)
				})
			})
		}
	}
	// A model not yet filled (nil slices) is null lists either way.
	t.Run("unread", func(t *testing.T) {
		model := backupSharingsDataSourceModel{Timeouts: dataSourceTimeoutsValue(t, nil)}
		sameState(t, base, &model, func(ctx context.Context, target stateTarget) diag.Diagnostics {
			return model.set(ctx, target, unlisted())
		})
	})
}

// listedOf is what listSharingValues makes of shares handed over in pages
// of pageSize.
func listedOf(t testing.TB, shares []sharing.Share, pageSize int) listedSharings {
	t.Helper()
	var values sharingValues
	for page := range slices.Chunk(slices.Clone(shares), pageSize) {
		if !values.add(page) {
			t.Fatalf("add: %v", values.diags)
		}
	}
	listed := values.listed()
	if listed.diags.HasError() {
		t.Fatalf("listed: %v", listed.diags)
	}
	return listed
}

// flattenSharings is a listing as the model holds it, for State.Set.
func flattenSharings(shares []sharing.Share) ([]string, []sharingItemModel) {
	ids := make([]string, len(shares))
	items := make([]sharingItemModel, len(shares))
	for i := range shares {
		ids[i] = shares[i].ID
		items[i] = sharingItemModel{ID: types.StringValue(shares[i].ID), backupSharingAttributes: flattenBackupSharing(&shares[i])}
	}
	return ids, items
}

func TestBackupSharingResourceBuilderWritesWhatStateSetWrites(t *testing.T) {
	var resp resource.SchemaResponse
	NewBackupSharingResource().Schema(context.Background(), resource.SchemaRequest{}, &resp)
	base := emptyState(resp.Schema, tfsdk.State{Schema: resp.Schema})
	fixtures := builderFixtures()
	for _, name := range slices.Sorted(maps.Keys(fixtures)) {
		share := fixtures[name]
		for _, set := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/timeouts=%v", name, set), func(t *testing.T) {
				model := backupSharingResourceModel{
					ID:                      nonEmptyString(share.ID),
					Timeouts:                resourceTimeoutsValue(t, set),
					backupSharingAttributes: flattenBackupSharing(&share),
				}
				sameState(t, base, &model, model.set)
			})
		}
	}
}

func TestBackupSharingIdentityBuilderWritesWhatSetWrites(t *testing.T) {
	ctx := context.Background()
	var resp resource.IdentitySchemaResponse
	(&backupSharingResource{}).IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &resp)
	for _, id := range []types.String{types.StringValue(testSharingID), types.StringNull()} {
		want := tfsdk.ResourceIdentity{Schema: resp.IdentitySchema, Raw: tftypes.NewValue(resp.IdentitySchema.Type().TerraformType(ctx), nil)}
		got := want
		identity := backupSharingIdentity{ID: id}
		if diags := want.Set(ctx, identity); diags.HasError() {
			t.Fatal(diags)
		}
		if diags := identity.set(ctx, &got); diags.HasError() {
			t.Fatal(diags)
		}
		if !got.Raw.Equal(want.Raw) || got.Raw.IsNull() {
			t.Errorf("id %s: the builder wrote %s, Identity.Set %s", id, got.Raw, want.Raw)
		}
	}
}

// listResult writes what the model-based Set calls wrote into a result:
// the identity, and with include_resource the resource with null timeouts.
func TestListResultWritesWhatStateSetWrites(t *testing.T) {
	ctx := context.Background()
	req := benchListRequest(t)
	fixtures := builderFixtures()
	for _, name := range slices.Sorted(maps.Keys(fixtures)) {
		share := fixtures[name]
		t.Run(name, func(t *testing.T) {
			got := listResult(ctx, req, &share)
			if got.Diagnostics.HasError() {
				t.Fatal(got.Diagnostics)
			}
			want := req.NewListResult(ctx)
			want.Diagnostics.Append(want.Identity.Set(ctx, backupSharingIdentity{ID: types.StringValue(share.ID)})...)
			want.Diagnostics.Append(want.Resource.Set(ctx, backupSharingResourceModel{
				ID:                      types.StringValue(share.ID),
				Timeouts:                timeouts.Value{Object: types.ObjectNull(resourceTimeoutTypes(ctx))},
				backupSharingAttributes: flattenBackupSharing(&share),
			})...)
			if want.Diagnostics.HasError() {
				t.Fatal(want.Diagnostics)
			}
			if !got.Identity.Raw.Equal(want.Identity.Raw) {
				t.Errorf("identity: got %s, want %s", got.Identity.Raw, want.Identity.Raw)
			}
			if !got.Resource.Raw.Equal(want.Resource.Raw) || got.Resource.Raw.IsNull() {
				t.Errorf("resource: got %s, want %s", got.Resource.Raw, want.Resource.Raw)
			}
		})
	}
	req.IncludeResource = false
	if got := listResult(ctx, req, ptr(fullShare(1))); !got.Resource.Raw.IsNull() || got.Identity.Raw.IsNull() {
		t.Errorf("without include_resource: resource %s, identity %s; want a null resource and an identity", got.Resource.Raw, got.Identity.Raw)
	}
}

// benchListRequest is a list request with the resource's schemas, as the
// framework hands it to List, asking for the resources.
func benchListRequest(t testing.TB) list.ListRequest {
	t.Helper()
	ctx := context.Background()
	r := &backupSharingResource{}
	var schemaResp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &schemaResp)
	var identityResp resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &identityResp)
	return list.ListRequest{ResourceSchema: schemaResp.Schema, ResourceIdentitySchema: identityResp.IdentitySchema, IncludeResource: true}
}

// listOfObjectsSharingsSchema is vbs_backup_sharings with `sharings` as a
// list attribute of objects instead of a list nested attribute: the same
// value type, which the framework's server walks at less cost. Measured
// only (BenchmarkReadDataSourceListing); the schema stays nested.
func listOfObjectsSharingsSchema(t testing.TB) dsschema.Schema {
	t.Helper()
	schema := dataSourceSchema(t, NewBackupSharingsDataSource())
	attrs := make(map[string]dsschema.Attribute, len(schema.Attributes))
	for name, a := range schema.Attributes {
		attrs[name] = a
	}
	attrs["sharings"] = dsschema.ListAttribute{Computed: true, ElementType: sharingItemType}
	schema.Attributes = attrs
	return schema
}

// Both shapes of `sharings` have one value type, so a state the builder
// writes under one is a state of the other.
func TestSharingsShapesShareOneValueType(t *testing.T) {
	ctx := context.Background()
	nested, objects := dataSourceSchema(t, NewBackupSharingsDataSource()), listOfObjectsSharingsSchema(t)
	if _, ok := nested.Attributes["sharings"].(dsschema.ListNestedAttribute); !ok {
		t.Fatalf("sharings is a %T, want a list nested attribute", nested.Attributes["sharings"])
	}
	if a, b := nested.Type().TerraformType(ctx), objects.Type().TerraformType(ctx); !a.Equal(b) {
		t.Fatalf("the value types differ:\nnested %s\nobjects %s", a, b)
	}
}

// configOf is a configuration of schema with the given attributes set and
// every other attribute null.
func configOf(t *testing.T, schema dsschema.Schema, set map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	objectType, ok := schema.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		t.Fatal("schema type")
	}
	values := map[string]tftypes.Value{}
	for name, typ := range objectType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
	}
	for name, v := range set {
		values[name] = v
	}
	return tfsdk.Config{Schema: schema, Raw: tftypes.NewValue(objectType, values)}
}

func timeoutsConfig(read string) tftypes.Value {
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"read": tftypes.String}}
	return tftypes.NewValue(typ, map[string]tftypes.Value{"read": tftypes.NewValue(tftypes.String, read)})
}

// The data sources read their configuration attribute by attribute: what
// they read must be what Config.Get of the whole model reads, which the
// states the builder writes from either model show.
func TestDataSourcesReadTheConfigurationAsConfigGet(t *testing.T) {
	ctx := context.Background()
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	one := dataSourceSchema(t, NewBackupSharingDataSource())
	for _, c := range []struct {
		name string
		set  map[string]tftypes.Value
	}{
		{"id", map[string]tftypes.Value{"id": str(testSharingID)}},
		{"backup", map[string]tftypes.Value{"backup_id": str(testBackupID), "to_project_id": str(testToProjectID),
			"from_project_id": str(testProjectID), "share_to_me": tftypes.NewValue(tftypes.Bool, true), "timeouts": timeoutsConfig("90s")}},
	} {
		name, set := c.name, c.set
		config := configOf(t, one, set)
		var got, want backupSharingDataSourceModel
		if diags := append(got.get(ctx, config), config.Get(ctx, &want)...); diags.HasError() {
			t.Fatal(diags)
		}
		sameState(t, emptyState(one, tfsdk.State{Schema: one}), &want, got.set)
		if got.BackupID.IsNull() != (name == "id") || got.Timeouts.IsNull() != (name == "id") {
			t.Errorf("%s: read %+v", name, got)
		}
	}
	listing := dataSourceSchema(t, NewBackupSharingsDataSource())
	for _, set := range []map[string]tftypes.Value{
		{},
		{"share_to_me": tftypes.NewValue(tftypes.Bool, false), "backup_id": str(testBackupID), "volume_id": str("v"), "name": str("Jürgen"),
			"status": str("error"), "from_project_id": str(testProjectID), "to_project_id": str(testToProjectID),
			"availability_zone": str("eu-de-02"), "sort_key": str("size"), "sort_dir": str("asc"), "timeouts": timeoutsConfig("1h")},
	} {
		config := configOf(t, listing, set)
		var got, want backupSharingsDataSourceModel
		if diags := append(got.get(ctx, config), config.Get(ctx, &want)...); diags.HasError() {
			t.Fatal(diags)
		}
		sameState(t, emptyState(listing, tfsdk.State{Schema: listing}), &want, func(ctx context.Context, target stateTarget) diag.Diagnostics {
			return got.set(ctx, target, unlisted())
		})
	}
}
