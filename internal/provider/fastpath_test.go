package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/boolvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// TestFastPathCoversTheDataSources: both data sources qualify for the fast
// path. If a schema change disqualified one, the framework would serve it
// correctly but slowly, and this test says so.
func TestFastPathCoversTheDataSources(t *testing.T) {
	s, _ := NewServer("test")().(*fastDataSourceServer)
	if s == nil {
		t.Fatal("NewServer does not serve through fastDataSourceServer")
	}
	for _, name := range []string{"vbs_backup_sharing", "vbs_backup_sharings"} {
		if s.lookup(context.Background(), name) == nil {
			t.Errorf("%s does not qualify for the fast path any more; see fastSchema", name)
		}
	}
	if s.lookup(context.Background(), "vbs_nope") != nil {
		t.Error("an unknown type name found a fast path")
	}
}

// TestFastSchemaRefusesWhatItCannotServe: every schema feature the
// framework's walks act on sends the data source back to the framework.
func TestFastSchemaRefusesWhatItCannotServe(t *testing.T) {
	sch := schemaOf(NewBackupSharingDataSource())
	if _, ok := fastSchema(sch); !ok {
		t.Fatal("vbs_backup_sharing's own schema refused")
	}
	for name, change := range map[string]func(){
		"deprecated attribute": func() {
			sch.Attributes["backup_name"] = schema.StringAttribute{Computed: true, DeprecationMessage: "gone"}
		},
		"validator on a bool": func() {
			sch.Attributes["share_to_me"] = schema.BoolAttribute{Optional: true, Validators: []validator.Bool{boolvalidator.Equals(true)}}
		},
		"custom type":           func() { sch.Attributes["id"] = schema.StringAttribute{Optional: true, CustomType: customStringType{}} },
		"block":                 func() { sch.Blocks = map[string]schema.Block{"b": schema.ListNestedBlock{}} },
		"deprecated datasource": func() { sch.DeprecationMessage = "gone" },
	} {
		sch = schemaOf(NewBackupSharingDataSource())
		change()
		if _, ok := fastSchema(sch); ok {
			t.Errorf("%s: fastSchema accepted it", name)
		}
	}
}

type customStringType struct{ basetypes.StringType }

// frameworkAndFast returns the framework's own server for the provider and
// the one Terraform gets, both configured against the synthetic cloud.
func frameworkAndFast(t *testing.T) (framework, fast tfprotov6.ProviderServer, cloud *fakecloud.Cloud) {
	t.Helper()
	cloud, err := bench.Start(bench.Options{Sharings: 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Close)
	framework = providerserver.NewProtocol6(New("test")())()
	fast = NewServer("test")()
	for _, s := range []tfprotov6.ProviderServer{framework, fast} {
		schemaResp, err := s.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
		if err != nil {
			t.Fatal(err)
		}
		typ, _ := schemaResp.Provider.ValueType().(tftypes.Object)
		attrs := map[string]tftypes.Value{}
		for name, at := range typ.AttributeTypes {
			attrs[name] = tftypes.NewValue(at, nil)
		}
		for name, value := range map[string]string{
			"auth_url": cloud.AuthURL(), "region": bench.Region, "domain_name": bench.DomainName,
			"project_id": bench.ProjectID, "user_name": bench.UserName, "password": bench.Password,
		} {
			attrs[name] = tftypes.NewValue(tftypes.String, value)
		}
		config, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, attrs))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{Config: &config, TerraformVersion: "1.11.4"})
		if err != nil || len(resp.Diagnostics) > 0 {
			t.Fatalf("configure: %v %v", err, resp.Diagnostics)
		}
	}
	return framework, fast, cloud
}

// dataSourceConfig is a configuration of a data source with the given
// attributes set, the rest null. Values are strings, bools or nil (unknown).
func dataSourceConfig(t *testing.T, s tfprotov6.ProviderServer, typeName string, set map[string]any) *tfprotov6.DynamicValue {
	t.Helper()
	schemaResp, err := s.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	typ, _ := schemaResp.DataSourceSchemas[typeName].ValueType().(tftypes.Object)
	attrs := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(at, nil)
	}
	for name, value := range set {
		if value == nil {
			value = tftypes.UnknownValue
		}
		attrs[name] = tftypes.NewValue(typ.AttributeTypes[name], value)
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, attrs))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

var requestIDPattern = regexp.MustCompile(`req-[0-9a-f-]+|[0-9a-f]{32}`)

// describeDiagnostics renders diagnostics in a stable order, request IDs
// blanked, for comparing two servers' answers.
func describeDiagnostics(diags []*tfprotov6.Diagnostic) []string {
	out := make([]string, 0, len(diags))
	for _, d := range diags {
		out = append(out, requestIDPattern.ReplaceAllString(fmt.Sprintf("%s|%s|%s|%v", d.Severity, d.Summary, d.Detail, d.Attribute), "ID"))
	}
	slices.Sort(out)
	return out
}

var fastPathCases = []struct {
	name     string
	typeName string
	set      map[string]any
}{
	{"by id", "vbs_backup_sharing", map[string]any{"id": fakecloud.SharingID(3)}},
	{"by id, not found", "vbs_backup_sharing", map[string]any{"id": "ac0fb374-a288-4399-ac63-cc080a13a2ee"}},
	{"by backup", "vbs_backup_sharing", map[string]any{"backup_id": fakecloud.BackupID(4)}},
	{"by backup, narrowed", "vbs_backup_sharing", map[string]any{"backup_id": fakecloud.BackupID(5), "to_project_id": fakecloud.TargetProject(5), "share_to_me": false}},
	{"by backup, none", "vbs_backup_sharing", map[string]any{"backup_id": "ac0fb374-a288-4399-ac63-cc080a13a2ee"}},
	{"id and backup", "vbs_backup_sharing", map[string]any{"id": fakecloud.SharingID(3), "backup_id": fakecloud.BackupID(3)}},
	{"neither", "vbs_backup_sharing", map[string]any{}},
	{"id and filters", "vbs_backup_sharing", map[string]any{"id": fakecloud.SharingID(3), "to_project_id": "x", "share_to_me": true}},
	{"bad uuid", "vbs_backup_sharing", map[string]any{"id": "not-a-uuid"}},
	{"bad uuids", "vbs_backup_sharing", map[string]any{"id": "x", "backup_id": "y"}},
	{"unknown id", "vbs_backup_sharing", map[string]any{"id": nil}},
	{"list all", "vbs_backup_sharings", map[string]any{}},
	{"list filtered", "vbs_backup_sharings", map[string]any{"to_project_id": fakecloud.TargetProject(2), "sort_key": "id", "sort_dir": "desc"}},
	{"list none", "vbs_backup_sharings", map[string]any{"backup_id": "ac0fb374-a288-4399-ac63-cc080a13a2ee"}},
	{"list bad filters", "vbs_backup_sharings", map[string]any{"backup_id": "x", "sort_key": "container_format", "sort_dir": "up"}},
	// Read-only attributes set in the configuration: the framework's
	// attribute walk rejects them, so the fast path must too.
	{"read-only set", "vbs_backup_sharing", map[string]any{"id": fakecloud.SharingID(3), "backup_name": "x"}},
	{"read-only unknown", "vbs_backup_sharing", map[string]any{"id": fakecloud.SharingID(3), "backup_size": nil}},
	{"list ids set", "vbs_backup_sharings", map[string]any{"ids": []tftypes.Value{tftypes.NewValue(tftypes.String, "a")}}},
	{"list sharings unknown", "vbs_backup_sharings", map[string]any{"sharings": nil}},
}

// TestFastPathAnswersAsTheFrameworkDoes sends the same validate and read
// requests to the framework's server and to the fast path and requires the
// same diagnostics and the same state.
func TestFastPathAnswersAsTheFrameworkDoes(t *testing.T) {
	framework, fast, _ := frameworkAndFast(t)
	ctx := context.Background()
	for _, tc := range fastPathCases {
		t.Run(tc.name, func(t *testing.T) {
			config := dataSourceConfig(t, fast, tc.typeName, tc.set)
			vwant, err := framework.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: tc.typeName, Config: config})
			if err != nil {
				t.Fatal(err)
			}
			vgot, err := fast.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: tc.typeName, Config: config})
			if err != nil {
				t.Fatal(err)
			}
			if want, got := describeDiagnostics(vwant.Diagnostics), describeDiagnostics(vgot.Diagnostics); !slices.Equal(got, want) {
				t.Errorf("validate:\nfast path: %q\nframework: %q", got, want)
			}
			if len(vwant.Diagnostics) > 0 || tc.set["id"] == nil && tc.set["backup_id"] == nil && tc.typeName == "vbs_backup_sharing" {
				return // Terraform reads only what validated, and only what is known
			}

			rwant, err := framework.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: tc.typeName, Config: config})
			if err != nil {
				t.Fatal(err)
			}
			rgot, err := fast.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: tc.typeName, Config: config})
			if err != nil {
				t.Fatal(err)
			}
			if want, got := describeDiagnostics(rwant.Diagnostics), describeDiagnostics(rgot.Diagnostics); !slices.Equal(got, want) {
				t.Errorf("read diagnostics:\nfast path: %q\nframework: %q", got, want)
			}
			if (rwant.State == nil) != (rgot.State == nil) {
				t.Fatalf("read state: fast path %v, framework %v", rgot.State, rwant.State)
			}
			if rwant.State == nil {
				return
			}
			schemaResp, _ := fast.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
			typ := schemaResp.DataSourceSchemas[tc.typeName].ValueType()
			want, err := rwant.State.Unmarshal(typ)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rgot.State.Unmarshal(typ)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(want) {
				t.Errorf("read state:\nfast path: %s\nframework: %s", got, want)
			}
			if len(rwant.Diagnostics) == 0 && !strings.Contains(got.String(), "tftypes.String<\"") {
				t.Errorf("read state has no strings at all: %s", got)
			}
		})
	}
}

// TestFastPathBeforeConfigure: reading before the provider is configured is
// the provider's diagnostic, as through the framework, not a panic.
func TestFastPathBeforeConfigure(t *testing.T) {
	ctx := context.Background()
	framework, fast := providerserver.NewProtocol6(New("test")())(), NewServer("test")()
	config := dataSourceConfig(t, fast, "vbs_backup_sharing", map[string]any{"id": fakecloud.SharingID(1)})
	want, err := framework.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "vbs_backup_sharing", Config: config})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fast.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "vbs_backup_sharing", Config: config})
	if err != nil {
		t.Fatal(err)
	}
	if w, g := describeDiagnostics(want.Diagnostics), describeDiagnostics(got.Diagnostics); !slices.Equal(g, w) || len(g) == 0 {
		t.Errorf("fast path: %q\nframework: %q", g, w)
	}
}

// TestFastPathStopProviderCancelsReads: Ctrl-C in Terraform sends
// StopProvider, which must end a read waiting on a slow cloud at once, as the
// framework does for its own RPCs.
func TestFastPathStopProviderCancelsReads(t *testing.T) {
	_, fast, cloud := frameworkAndFast(t)
	cloud.SetLatency(30 * time.Second)
	config := dataSourceConfig(t, fast, "vbs_backup_sharing", map[string]any{"id": fakecloud.SharingID(2)})
	done := make(chan *tfprotov6.ReadDataSourceResponse, 1)
	go func() {
		resp, err := fast.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "vbs_backup_sharing", Config: config})
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if _, err := fast.StopProvider(context.Background(), &tfprotov6.StopProviderRequest{}); err != nil {
		t.Fatal(err)
	}
	select {
	case resp := <-done:
		if resp == nil || len(resp.Diagnostics) == 0 || resp.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError {
			t.Fatalf("a stopped read returned %+v, want an error", resp)
		}
		t.Logf("stopped after %s: %s: %s", time.Since(start), resp.Diagnostics[0].Summary, resp.Diagnostics[0].Detail)
	case <-time.After(10 * time.Second):
		t.Fatal("StopProvider did not end the read")
	}

	// The next RPC is not born cancelled.
	cloud.SetLatency(0)
	resp, err := fast.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "vbs_backup_sharing", Config: config})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("read after StopProvider: %v %v", err, resp.Diagnostics)
	}
}
