package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// fastDataSourceServer serves the two RPCs Terraform sends once or twice per
// data source in every plan, ValidateDataResourceConfig and ReadDataSource,
// by calling the data source's own ValidateConfig, validators, Configure and
// Read directly. Everything else, and any data source whose schema needs
// more than this does, goes to the framework as before.
//
// Why: around each of those calls the framework walks the whole schema
// several times per RPC (attribute validation, semantic equality, nulling
// and reifying collection blocks), and each step of each walk rebuilds a map
// of every attribute. For vbs_backup_sharing, with 23 attributes, that was
// most of the provider's CPU in a plan of 1000 data sources, and kept the plan
// 10 to 20 % above Terraform's own cost plus the network's (BENCHMARKS.md).
// The walks do nothing for a schema without blocks, custom types or
// deprecations, which fastSchema checks, except for the attribute walk's
// rules on read-only and required attributes: a configuration that breaks
// them goes to the framework, which words the errors. Skipping the walks
// therefore changes no result: fastpath_test.go holds both paths to the same
// responses. StopProvider cancels the fast path's RPCs in flight as it does
// the framework's.
type fastDataSourceServer struct {
	tfprotov6.ProviderServer
	provider *vbsProvider

	once        sync.Once
	dataSources map[string]*fastDataSource

	// stop is cancelled by StopProvider, which cancels every fast path
	// RPC in flight as the framework cancels its own.
	stopMu     sync.Mutex
	stop       context.Context
	cancelStop context.CancelFunc
}

// fastDataSource is what the fast path needs to know about one data source
// type, worked out once per provider process.
type fastDataSource struct {
	factory    func() datasource.DataSource
	schema     schema.Schema
	typ        tftypes.Object
	validators []attributeValidators
	// readOnly and required are the top-level attributes the framework
	// checks for a value and for none. A configuration that breaks either
	// rule is an error path, left to the framework to word.
	readOnly, required []string
}

type attributeValidators struct {
	name       string
	validators []validator.String
}

func (s *fastDataSourceServer) lookup(ctx context.Context, typeName string) *fastDataSource {
	s.once.Do(func() {
		s.dataSources = map[string]*fastDataSource{}
		// The fast path hands Read no provider_meta; a provider that has
		// a meta schema leaves everything to the framework.
		if _, hasMeta := any(s.provider).(provider.ProviderWithMetaSchema); hasMeta {
			return
		}
		var providerMeta provider.MetadataResponse
		s.provider.Metadata(ctx, provider.MetadataRequest{}, &providerMeta)
		for _, factory := range s.provider.DataSources(ctx) {
			var meta datasource.MetadataResponse
			factory().Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: providerMeta.TypeName}, &meta)
			var sch datasource.SchemaResponse
			factory().Schema(ctx, datasource.SchemaRequest{}, &sch)
			if sch.Diagnostics.HasError() {
				continue
			}
			if fast, ok := newFastDataSource(ctx, factory, sch.Schema); ok {
				s.dataSources[meta.TypeName] = fast
			}
		}
	})
	return s.dataSources[typeName]
}

func newFastDataSource(ctx context.Context, factory func() datasource.DataSource, sch schema.Schema) (*fastDataSource, bool) {
	validators, ok := fastSchema(sch)
	if !ok {
		return nil, false
	}
	typ, ok := sch.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		return nil, false
	}
	fast := &fastDataSource{factory: factory, schema: sch, typ: typ, validators: validators}
	for name, a := range sch.Attributes {
		if a.IsComputed() && !a.IsOptional() && !a.IsRequired() {
			fast.readOnly = append(fast.readOnly, name)
		}
		if a.IsRequired() {
			fast.required = append(fast.required, name)
		}
	}
	return fast, true
}

// fastSchema says whether the framework's per-RPC schema walks are no-ops
// for sch, and collects the validators the fast path must run itself. It
// accepts plain string, number and bool attributes, lists of them and lists
// of nested objects made of them: no blocks, no custom types, no
// deprecations, and validators on top-level strings only.
func fastSchema(sch schema.Schema) ([]attributeValidators, bool) {
	if len(sch.Blocks) > 0 || sch.DeprecationMessage != "" {
		return nil, false
	}
	var validators []attributeValidators
	for name, a := range sch.Attributes {
		if !a.IsRequired() && !a.IsOptional() && !a.IsComputed() {
			return nil, false // the framework reports the definition
		}
		if s, ok := a.(schema.StringAttribute); ok && s.CustomType == nil && s.DeprecationMessage == "" {
			if len(s.Validators) > 0 {
				validators = append(validators, attributeValidators{name: name, validators: s.Validators})
			}
			continue
		}
		if !plainAttribute(a) {
			return nil, false
		}
	}
	return validators, true
}

// plainAttribute is an attribute without validators, custom types or
// deprecation, whose values the framework passes through untouched.
func plainAttribute(a schema.Attribute) bool {
	switch a := a.(type) {
	case schema.StringAttribute:
		return a.CustomType == nil && len(a.Validators) == 0 && a.DeprecationMessage == ""
	case schema.Int64Attribute:
		return a.CustomType == nil && len(a.Validators) == 0 && a.DeprecationMessage == ""
	case schema.BoolAttribute:
		return a.CustomType == nil && len(a.Validators) == 0 && a.DeprecationMessage == ""
	case schema.ListAttribute:
		return a.CustomType == nil && len(a.Validators) == 0 && a.DeprecationMessage == "" && plainType(a.ElementType)
	case schema.ListNestedAttribute:
		if a.CustomType != nil || len(a.Validators) > 0 || a.DeprecationMessage != "" ||
			a.NestedObject.CustomType != nil || len(a.NestedObject.Validators) > 0 {
			return false
		}
		for _, nested := range a.NestedObject.Attributes {
			if !plainAttribute(nested) || !nested.IsRequired() && !nested.IsOptional() && !nested.IsComputed() {
				return false
			}
		}
		return true
	}
	return false
}

func plainType(t attr.Type) bool {
	switch t.(type) {
	case basetypes.StringType, basetypes.Int64Type, basetypes.BoolType:
		return true
	}
	return false
}

func (s *fastDataSourceServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	fast := s.lookup(ctx, req.TypeName)
	if fast == nil || req.Config == nil {
		return s.ProviderServer.ValidateDataResourceConfig(ctx, req)
	}
	config, diags := fast.config(req.Config)
	if diags.HasError() {
		return &tfprotov6.ValidateDataResourceConfigResponse{Diagnostics: protoDiagnostics(diags)}, nil
	}
	// The configuration is a known object (Terraform validates nothing
	// else), read once for the rules below and the validators.
	var attrs map[string]tftypes.Value
	if err := config.Raw.As(&attrs); err != nil || fast.breaksAttributeRules(attrs) {
		return s.ProviderServer.ValidateDataResourceConfig(ctx, req)
	}
	ctx, done := s.stoppable(ctx)
	defer done()
	ds := fast.configure(ctx, s.provider.dataSourceData(), &diags)
	if !diags.HasError() {
		diags.Append(fast.validate(ctx, ds, config, attrs)...)
	}
	return &tfprotov6.ValidateDataResourceConfigResponse{Diagnostics: protoDiagnostics(diags)}, nil
}

func (s *fastDataSourceServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	fast := s.lookup(ctx, req.TypeName)
	if fast == nil || req.Config == nil {
		return s.ProviderServer.ReadDataSource(ctx, req)
	}
	config, diags := fast.config(req.Config)
	if diags.HasError() {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: protoDiagnostics(diags)}, nil
	}
	ctx, done := s.stoppable(ctx)
	defer done()
	ds := fast.configure(ctx, s.provider.dataSourceData(), &diags)
	if diags.HasError() {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: protoDiagnostics(diags)}, nil
	}
	readReq := datasource.ReadRequest{Config: config}
	if req.ClientCapabilities != nil {
		readReq.ClientCapabilities.DeferralAllowed = req.ClientCapabilities.DeferralAllowed
	}
	readResp := datasource.ReadResponse{State: tfsdk.State{Schema: fast.schema, Raw: config.Raw.Copy()}}
	ds.Read(ctx, readReq, &readResp)
	diags.Append(readResp.Diagnostics...)

	resp := &tfprotov6.ReadDataSourceResponse{}
	if readResp.Deferred != nil {
		resp.Deferred = &tfprotov6.Deferred{Reason: tfprotov6.DeferredReason(readResp.Deferred.Reason)}
	}
	state, err := tfprotov6.NewDynamicValue(fast.typ, readResp.State.Raw)
	if err != nil {
		diags.AddError("Provider bug: cannot encode the state", fmt.Sprintf("%s. Please report this.", err))
	} else {
		resp.State = &state
	}
	resp.Diagnostics = protoDiagnostics(diags)
	return resp, nil
}

// StopProvider cancels the fast path's RPCs in flight, then the
// framework's.
func (s *fastDataSourceServer) StopProvider(ctx context.Context, req *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	s.stopMu.Lock()
	if s.cancelStop != nil {
		s.cancelStop()
	}
	s.stop, s.cancelStop = nil, nil // the next RPC starts a new generation
	s.stopMu.Unlock()
	return s.ProviderServer.StopProvider(ctx, req)
}

// stoppable derives an RPC's context that StopProvider cancels. done must
// be called when the RPC returns; nothing is kept after it.
func (s *fastDataSourceServer) stoppable(ctx context.Context) (context.Context, func()) {
	s.stopMu.Lock()
	if s.stop == nil {
		s.stop, s.cancelStop = context.WithCancel(context.Background())
	}
	stop := s.stop
	s.stopMu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	unregister := context.AfterFunc(stop, cancel)
	return ctx, func() {
		unregister()
		cancel()
	}
}

// breaksAttributeRules says whether the configuration sets a read-only
// attribute or leaves a required one null.
func (f *fastDataSource) breaksAttributeRules(attrs map[string]tftypes.Value) bool {
	for _, name := range f.readOnly {
		if !attrs[name].IsNull() {
			return true
		}
	}
	for _, name := range f.required {
		if attrs[name].IsNull() {
			return true
		}
	}
	return false
}

func (f *fastDataSource) config(dv *tfprotov6.DynamicValue) (tfsdk.Config, diag.Diagnostics) {
	var diags diag.Diagnostics
	config := tfsdk.Config{Schema: f.schema, Raw: tftypes.NewValue(f.typ, nil)}
	if dv == nil {
		return config, diags
	}
	raw, err := dv.Unmarshal(f.typ)
	if err != nil {
		diags.AddError("Unable to Convert Configuration",
			"An unexpected error was encountered when converting the configuration from the protocol type. "+
				"This is always an issue in the provider; please report it.\n\n"+err.Error())
		return config, diags
	}
	config.Raw = raw
	return config, diags
}

// configure makes a data source and hands it the provider's data, as the
// framework does before every validate and read.
func (f *fastDataSource) configure(ctx context.Context, providerData any, diags *diag.Diagnostics) datasource.DataSource {
	ds := f.factory()
	if withConfigure, ok := ds.(datasource.DataSourceWithConfigure); ok {
		var resp datasource.ConfigureResponse
		withConfigure.Configure(ctx, datasource.ConfigureRequest{ProviderData: providerData}, &resp)
		diags.Append(resp.Diagnostics...)
	}
	return ds
}

// validate runs what the framework runs at validate time, in its order:
// config validators, ValidateConfig, then the attribute validators.
func (f *fastDataSource) validate(ctx context.Context, ds datasource.DataSource, config tfsdk.Config, attrs map[string]tftypes.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	req := datasource.ValidateConfigRequest{Config: config}
	if withValidators, ok := ds.(datasource.DataSourceWithConfigValidators); ok {
		for _, v := range withValidators.ConfigValidators(ctx) {
			var resp datasource.ValidateConfigResponse
			v.ValidateDataSource(ctx, req, &resp)
			diags.Append(resp.Diagnostics...)
		}
	}
	if withValidate, ok := ds.(datasource.DataSourceWithValidateConfig); ok {
		var resp datasource.ValidateConfigResponse
		withValidate.ValidateConfig(ctx, req, &resp)
		diags.Append(resp.Diagnostics...)
	}
	for _, av := range f.validators {
		raw, ok := attrs[av.name]
		if !ok {
			diags.AddAttributeError(path.Root(av.name), "Unable to Convert Configuration", "The configuration has no "+av.name+".")
			continue
		}
		value, err := types.StringType.ValueFromTerraform(ctx, raw)
		if err != nil {
			diags.AddAttributeError(path.Root(av.name), "Unable to Convert Configuration", err.Error())
			continue
		}
		str, _ := value.(types.String)
		for _, v := range av.validators {
			vreq := validator.StringRequest{
				Path: path.Root(av.name), PathExpression: path.MatchRoot(av.name), Config: config, ConfigValue: str,
			}
			var vresp validator.StringResponse
			v.ValidateString(ctx, vreq, &vresp)
			diags.Append(vresp.Diagnostics...)
		}
	}
	return diags
}

// protoDiagnostics converts diagnostics as the framework's toproto6 does.
func protoDiagnostics(diags diag.Diagnostics) []*tfprotov6.Diagnostic {
	if len(diags) == 0 {
		return nil
	}
	out := make([]*tfprotov6.Diagnostic, 0, len(diags))
	for _, d := range diags {
		pd := &tfprotov6.Diagnostic{Summary: d.Summary(), Detail: d.Detail(), Severity: tfprotov6.DiagnosticSeverityInvalid}
		switch d.Severity() {
		case diag.SeverityError:
			pd.Severity = tfprotov6.DiagnosticSeverityError
		case diag.SeverityWarning:
			pd.Severity = tfprotov6.DiagnosticSeverityWarning
		}
		if withPath, ok := d.(diag.DiagnosticWithPath); ok {
			pd.Attribute = terraformPath(withPath.Path())
		}
		out = append(out, pd)
	}
	return out
}

// terraformPath converts a path of attribute names and list indexes, the
// only steps the fast path's schemas have.
func terraformPath(p path.Path) *tftypes.AttributePath {
	out := tftypes.NewAttributePath()
	for _, step := range p.Steps() {
		switch step := step.(type) {
		case path.PathStepAttributeName:
			out = out.WithAttributeName(string(step))
		case path.PathStepElementKeyInt:
			out = out.WithElementKeyInt(int(step))
		case path.PathStepElementKeyString:
			out = out.WithElementKeyString(string(step))
		default:
			return out
		}
	}
	return out
}
