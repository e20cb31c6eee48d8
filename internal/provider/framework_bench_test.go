package provider

import (
	"context"
	"net/http"
	"testing"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// The framework's own cost per data source read, for BENCHMARKS.md: reading
// the configuration and writing the state of vbs_backup_sharing, each way
// the framework offers.

func benchSchemaAndConfig(b *testing.B) (tfsdk.Config, tfsdk.State) {
	b.Helper()
	ctx := context.Background()
	var resp datasource.SchemaResponse
	NewBackupSharingDataSource().Schema(ctx, datasource.SchemaRequest{}, &resp)
	objectType, ok := resp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		b.Fatal("schema type")
	}
	values := map[string]tftypes.Value{}
	for name, typ := range objectType.AttributeTypes {
		values[name] = tftypes.NewValue(typ, nil)
	}
	values["id"] = tftypes.NewValue(tftypes.String, testSharingID)
	raw := tftypes.NewValue(objectType, values)
	return tfsdk.Config{Schema: resp.Schema, Raw: raw}, tfsdk.State{Schema: resp.Schema, Raw: raw}
}

func BenchmarkFrameworkConfigGet(b *testing.B) {
	config, _ := benchSchemaAndConfig(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var model backupSharingDataSourceModel
		if diags := config.Get(ctx, &model); diags.HasError() {
			b.Fatal(diags)
		}
	}
}

func BenchmarkFrameworkConfigGetAttribute(b *testing.B) {
	config, _ := benchSchemaAndConfig(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var id types.String
		if diags := config.GetAttribute(ctx, path.Root("id"), &id); diags.HasError() {
			b.Fatal(diags)
		}
	}
}

func BenchmarkFrameworkStateSet(b *testing.B) {
	_, state := benchSchemaAndConfig(b)
	ctx := context.Background()
	share := &sharing.Share{ID: testSharingID, BackupID: testBackupID, FromProjectID: testProjectID, ToProjectID: testToProjectID}
	model := backupSharingDataSourceModel{ID: types.StringValue(share.ID), backupSharingAttributes: flattenBackupSharing(share)}
	model.Timeouts = dstimeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"read": types.StringType})}
	b.ReportAllocs()
	for b.Loop() {
		if diags := state.Set(ctx, &model); diags.HasError() {
			b.Fatal(diags)
		}
	}
}

// One vbs_backup_sharings state of 1000 sharings, as Read writes it.
func BenchmarkFrameworkListStateSet(b *testing.B) {
	ctx := context.Background()
	var resp datasource.SchemaResponse
	NewBackupSharingsDataSource().Schema(ctx, datasource.SchemaRequest{}, &resp)
	state := tfsdk.State{Schema: resp.Schema, Raw: tftypes.NewValue(resp.Schema.Type().TerraformType(ctx), nil)}
	shares := make([]sharing.Share, 1000)
	for i := range shares {
		shares[i] = sharing.Share{ID: testSharingID, BackupID: testBackupID, FromProjectID: testProjectID, ToProjectID: testToProjectID}
	}
	model := backupSharingsDataSourceModel{Timeouts: dstimeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"read": types.StringType})}}
	model.IDs, model.Sharings = flattenSharings(shares)
	b.ReportAllocs()
	for b.Loop() {
		if diags := state.Set(ctx, &model); diags.HasError() {
			b.Fatal(diags)
		}
	}
}

// The two RPCs of a vbs_backup_sharing data source in a plan, through
// NewServer as Terraform calls them. The sharing is read from the fake cloud
// once and then from the provider's shared reads, so what is measured is
// the framework's work and ours around the request, not the network.
func BenchmarkDataSourceRPCs(b *testing.B) {
	server, schemas, _ := configuredServer(b, []fakecloud.Route{{Method: http.MethodGet, Label: "vbs", Status: http.StatusOK,
		Body: fakecloud.SharingFullBody, Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/" + testSharingID}})
	ctx := context.Background()
	config := dynamicValue(b, schemas.DataSourceSchemas["vbs_backup_sharing"], map[string]string{"id": testSharingID})

	b.Run("ValidateDataResourceConfig", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := server.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: "vbs_backup_sharing", Config: config})
			if err != nil || len(resp.Diagnostics) != 0 {
				b.Fatal(err, resp.Diagnostics)
			}
		}
	})
	b.Run("ReadDataSource", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "vbs_backup_sharing", Config: config})
			if err != nil || len(resp.Diagnostics) != 0 {
				b.Fatal(err, resp.Diagnostics)
			}
		}
	})
}
