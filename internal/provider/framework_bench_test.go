package provider

import (
	"context"
	"net/http"
	"strings"
	"testing"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
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

// The ReadDataSource RPC through providerserver.NewProtocol6, with the
// provider's real schemas and a Read the benchmark chooses, over sharings
// already in memory: no network, no client, only the framework's server
// and the way Read reads its configuration and writes its state. Each
// Read is compared with the server's floor, a Read that hands back a state
// built before the loop, which is what the server costs whatever a
// provider's Read does.
//
//	go test -run '^$' -bench 'BenchmarkReadDataSource|BenchmarkListResult' -benchmem -benchtime 3x ./internal/provider

// benchProvider serves one data source through the framework's server.
type benchProvider struct{ dataSource *benchDataSource }

func (p *benchProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "vbs"
}
func (p *benchProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}
func (p *benchProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}
func (p *benchProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{func() datasource.DataSource { return p.dataSource }}
}
func (p *benchProvider) Resources(context.Context) []func() resource.Resource { return nil }

// benchDataSource is a data source of a real schema with the benchmark's
// Read.
type benchDataSource struct {
	typeName string
	schema   dsschema.Schema
	read     func(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse)
}

func (d *benchDataSource) Metadata(_ context.Context, _ datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = d.typeName
}
func (d *benchDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = d.schema
}
func (d *benchDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	d.read(ctx, req, resp)
}

// benchReadDataSource measures the ReadDataSource RPC of a data source of
// schema whose configuration sets the attributes in set, and checks once
// that the state it answers is not null.
func benchReadDataSource(b *testing.B, typeName string, schema dsschema.Schema, set map[string]string,
	read func(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse)) {
	b.Helper()
	ctx := context.Background()
	server := providerserver.NewProtocol6(&benchProvider{&benchDataSource{typeName, schema, read}})()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) != 0 {
		b.Fatal(err, schemas.Diagnostics)
	}
	dsSchema := schemas.DataSourceSchemas[typeName]
	config := dynamicValue(b, dsSchema, set)
	var resp *tfprotov6.ReadDataSourceResponse
	b.ReportAllocs()
	for b.Loop() {
		resp, err = server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: typeName, Config: config})
		if err != nil || len(resp.Diagnostics) != 0 {
			b.Fatal(err, resp.Diagnostics)
		}
	}
	if state, err := resp.State.Unmarshal(dsSchema.ValueType()); err != nil || state.IsNull() {
		b.Fatalf("state %v, %v", state, err)
	}
}

// prebuiltState is schema's state as the builder writes it for model,
// built once, for the floor's Read to hand back.
func prebuiltState(b *testing.B, schema dsschema.Schema, set func(context.Context, stateTarget) diag.Diagnostics) tfsdk.State {
	b.Helper()
	state := emptyState(schema, tfsdk.State{Schema: schema})
	if diags := set(context.Background(), &state); diags.HasError() {
		b.Fatal(diags)
	}
	return state
}

// vbs_backup_sharings listing the 10,000 sharings of the benchmark's cloud
// (benchrun -list-sharings 10000), under
// both shapes of `sharings`: the list nested attribute it is and a list of
// objects, measured for the framework's maintainers.
func BenchmarkReadDataSourceListing(b *testing.B) {
	shares := make([]sharing.Share, 10000)
	for i := range shares {
		shares[i] = syntheticShare(i)
	}
	for _, shape := range []struct {
		name   string
		schema dsschema.Schema
	}{{"ListNested", dataSourceSchema(b, NewBackupSharingsDataSource())}, {"ListAttribute", listOfObjectsSharingsSchema(b)}} {
		b.Run(shape.name+"/StateSetModel", func(b *testing.B) {
			benchReadDataSource(b, "vbs_backup_sharings", shape.schema, nil, func(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
				var model backupSharingsDataSourceModel
				resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
				model.IDs, model.Sharings = flattenSharings(shares)
				resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
			})
		})
		b.Run(shape.name+"/Builder", func(b *testing.B) {
			benchReadDataSource(b, "vbs_backup_sharings", shape.schema, nil, func(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
				var model backupSharingsDataSourceModel
				resp.Diagnostics.Append(model.get(ctx, req.Config)...)
				resp.Diagnostics.Append(model.set(ctx, &resp.State, listedOf(b, shares, sharing.DefaultPageSize))...)
			})
		})
		b.Run(shape.name+"/ServerFloor", func(b *testing.B) {
			model := backupSharingsDataSourceModel{Timeouts: dataSourceTimeoutsValue(b, nil)}
			listed := listedOf(b, shares, sharing.DefaultPageSize)
			state := prebuiltState(b, shape.schema, func(ctx context.Context, target stateTarget) diag.Diagnostics {
				return model.set(ctx, target, listed)
			})
			benchReadDataSource(b, "vbs_backup_sharings", shape.schema, nil, func(_ context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
				resp.State = state
			})
		})
	}
}

// vbs_backup_sharing reading one sharing by ID: a typical one, with the
// nulls the API sends.
func BenchmarkReadDataSourceSharing(b *testing.B) {
	share := syntheticShare(1)
	schema := dataSourceSchema(b, NewBackupSharingDataSource())
	config := map[string]string{"id": share.ID}
	b.Run("StateSetModel", func(b *testing.B) {
		benchReadDataSource(b, "vbs_backup_sharing", schema, config, func(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
			var model backupSharingDataSourceModel
			resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
			model.ID, model.backupSharingAttributes = types.StringValue(share.ID), flattenBackupSharing(&share)
			resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
		})
	})
	b.Run("Builder", func(b *testing.B) {
		benchReadDataSource(b, "vbs_backup_sharing", schema, config, func(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
			var model backupSharingDataSourceModel
			resp.Diagnostics.Append(model.get(ctx, req.Config)...)
			model.ID, model.backupSharingAttributes = types.StringValue(share.ID), flattenBackupSharing(&share)
			resp.Diagnostics.Append(model.set(ctx, &resp.State)...)
		})
	})
	b.Run("ServerFloor", func(b *testing.B) {
		model := backupSharingDataSourceModel{ID: types.StringValue(share.ID), ShareToMe: types.BoolNull(),
			Timeouts: dataSourceTimeoutsValue(b, nil), backupSharingAttributes: flattenBackupSharing(&share)}
		state := prebuiltState(b, schema, model.set)
		benchReadDataSource(b, "vbs_backup_sharing", schema, config, func(_ context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
			resp.State = state
		})
	})
}

// Reading the configuration each way, on top of the floor: Config.Get of
// the whole model, or GetAttribute of what Read uses.
func BenchmarkReadDataSourceConfig(b *testing.B) {
	share := syntheticShare(1)
	one := dataSourceSchema(b, NewBackupSharingDataSource())
	oneModel := backupSharingDataSourceModel{ID: types.StringValue(share.ID), ShareToMe: types.BoolNull(),
		Timeouts: dataSourceTimeoutsValue(b, nil), backupSharingAttributes: flattenBackupSharing(&share)}
	oneState := prebuiltState(b, one, oneModel.set)
	listing := dataSourceSchema(b, NewBackupSharingsDataSource())
	listingModel := backupSharingsDataSourceModel{Timeouts: dataSourceTimeoutsValue(b, nil)}
	listingState := prebuiltState(b, listing, func(ctx context.Context, target stateTarget) diag.Diagnostics {
		return listingModel.set(ctx, target, listedOf(b, nil, sharing.DefaultPageSize))
	})
	for _, c := range []struct {
		typeName string
		schema   dsschema.Schema
		config   map[string]string
		state    tfsdk.State
		reads    [2]func(context.Context, tfsdk.Config) diag.Diagnostics
	}{
		{"vbs_backup_sharing", one, map[string]string{"id": share.ID}, oneState, configReads[backupSharingDataSourceModel]()},
		{"vbs_backup_sharings", listing, map[string]string{"status": "available", "to_project_id": testProjectID}, listingState,
			configReads[backupSharingsDataSourceModel]()},
	} {
		for _, way := range []struct {
			name string
			read func(context.Context, tfsdk.Config) diag.Diagnostics
		}{{"Get", c.reads[0]}, {"GetAttribute", c.reads[1]}} {
			b.Run(strings.TrimPrefix(c.typeName, "vbs_")+"/"+way.name, func(b *testing.B) {
				benchReadDataSource(b, c.typeName, c.schema, c.config, func(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
					resp.Diagnostics.Append(way.read(ctx, req.Config)...)
					resp.State = c.state
				})
			})
		}
	}
}

// configReads read a configuration into a new M with Config.Get, and with
// M's get (GetAttribute of what Read uses).
func configReads[M any, P interface {
	*M
	get(context.Context, tfsdk.Config) diag.Diagnostics
}]() [2]func(context.Context, tfsdk.Config) diag.Diagnostics {
	return [2]func(context.Context, tfsdk.Config) diag.Diagnostics{
		func(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
			var model M
			return config.Get(ctx, &model)
		},
		func(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
			var model M
			return P(&model).get(ctx, config)
		},
	}
}

// One result of the list resource, with include_resource: the identity
// and the resource's state, written from their models by State.Set or by
// the builders (listResult).
func BenchmarkListResult(b *testing.B) {
	ctx := context.Background()
	req := benchListRequest(b)
	share := syntheticShare(1)
	b.Run("StateSetModel", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			result := req.NewListResult(ctx)
			id := types.StringValue(share.ID)
			result.Diagnostics.Append(result.Identity.Set(ctx, backupSharingIdentity{ID: id})...)
			result.Diagnostics.Append(result.Resource.Set(ctx, backupSharingResourceModel{
				ID:                      id,
				Timeouts:                timeouts.Value{Object: types.ObjectNull(resourceTimeoutTypes(ctx))},
				backupSharingAttributes: flattenBackupSharing(&share),
			})...)
			if result.Diagnostics.HasError() {
				b.Fatal(result.Diagnostics)
			}
		}
	})
	b.Run("Builder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if result := listResult(ctx, req, &share); result.Diagnostics.HasError() {
				b.Fatal(result.Diagnostics)
			}
		}
	})
	identity := backupSharingIdentity{ID: types.StringValue(share.ID)}
	b.Run("Identity/SetModel", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			result := req.NewListResult(ctx)
			if diags := result.Identity.Set(ctx, identity); diags.HasError() {
				b.Fatal(diags)
			}
		}
	})
	b.Run("Identity/Builder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			result := req.NewListResult(ctx)
			if diags := identity.set(ctx, result.Identity); diags.HasError() {
				b.Fatal(diags)
			}
		}
	})
}
