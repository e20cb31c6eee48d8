// Package provider implements the Terraform objects of the VBS provider: the
// provider settings, the data sources and the resources. It maps API structs
// to Terraform models; URLs and JSON belong to internal/vbs.
package provider

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/providervalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
)

var (
	_ provider.Provider                     = (*vbsProvider)(nil)
	_ provider.ProviderWithConfigValidators = (*vbsProvider)(nil)
	_ provider.ProviderWithListResources    = (*vbsProvider)(nil)
)

// New returns a function that builds the provider, as providerserver wants.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &vbsProvider{version: version}
	}
}

type vbsProvider struct {
	version string
}

// providerModel is the provider block as Terraform sends it.
type providerModel struct {
	AuthURL     types.String `tfsdk:"auth_url"`
	Region      types.String `tfsdk:"region"`
	ProjectID   types.String `tfsdk:"project_id"`
	ProjectName types.String `tfsdk:"project_name"`
	DomainID    types.String `tfsdk:"domain_id"`
	DomainName  types.String `tfsdk:"domain_name"`
	UserID      types.String `tfsdk:"user_id"`
	UserName    types.String `tfsdk:"user_name"`
	Password    types.String `tfsdk:"password"`
	Token       types.String `tfsdk:"token"`
	Insecure    types.Bool   `tfsdk:"insecure"`
	CACertFile  types.String `tfsdk:"cacert_file"`
	Endpoints   types.Map    `tfsdk:"endpoints"`

	AccessKey     types.String `tfsdk:"access_key"`
	SecretKey     types.String `tfsdk:"secret_key"`
	SecurityToken types.String `tfsdk:"security_token"`
	Cloud         types.String `tfsdk:"cloud"`
	Cert          types.String `tfsdk:"cert"`
	Key           types.String `tfsdk:"key"`
	MaxRetries    types.Int64  `tfsdk:"max_retries"`
}

func (p *vbsProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "vbs"
	resp.Version = p.version
}

var httpURL = regexp.MustCompile(`^https?://[^/\s]+`)

func (p *vbsProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The VBS provider reads and manages backup sharings of the Volume Backup Service " +
			"(VBS) on Open Telekom Cloud and other Huawei-style clouds. It authenticates with Keystone v3 " +
			"and reads every setting from the usual `OS_*` environment variables when the provider block leaves it out.",
		Attributes: map[string]schema.Attribute{
			"auth_url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Keystone v3 URL, for example `https://iam.eu-de.otc.t-systems.com/v3`: its path ends in " +
					"`/v3` (`https://<host>/<prefix>/v3` works too), or it is a bare `https://<host>`, to which `/v3` is added. " +
					"Any other path is an error. Environment: `OS_AUTH_URL`.",
				Validators: []validator.String{identityURLValidator{}},
			},
			"region": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Region whose catalog endpoints are used, for example `eu-de`. Without it the first " +
					"public endpoint of any region is used. Environment: `OS_REGION_NAME`.",
			},
			"project_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "ID of the project the token is scoped to: the project whose backup sharings are read. " +
					"Takes precedence over `project_name`. Environment: `OS_PROJECT_ID`, then `OS_TENANT_ID`.",
			},
			"project_name": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Name of the project to scope to, for example `eu-de_myproject`; needs `domain_id` or " +
					"`domain_name`. Environment: `OS_PROJECT_NAME`, then `OS_TENANT_NAME`.",
			},
			"domain_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "ID of the domain (the OTC tenant) of the user and the project. Conflicts with " +
					"`domain_name`. Environment: `OS_DOMAIN_ID`, then `OS_USER_DOMAIN_ID`.",
			},
			"domain_name": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Name of the domain (the OTC tenant, for example `OTC-EU-DE-00000000001000000001`) of the " +
					"user and the project. Conflicts with `domain_id`. Environment: `OS_DOMAIN_NAME`, then `OS_USER_DOMAIN_NAME`.",
			},
			"user_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "ID of the user to log in as. Conflicts with `user_name`. Environment: `OS_USER_ID`.",
			},
			"user_name": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Name of the user to log in as; needs `domain_id` or `domain_name`. Conflicts with `user_id`. Environment: `OS_USERNAME`.",
			},
			"password": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Password of the user. Conflicts with `token`. Environment: `OS_PASSWORD`.",
			},
			"token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "An existing Keystone token, used instead of a password; the provider re-scopes it to the " +
					"project. A token cannot be renewed, so long runs should use a password. Conflicts with `password`. " +
					"Environment: `OS_TOKEN`, then `OS_AUTH_TOKEN`.",
			},
			"insecure": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Skip verification of the servers' TLS certificates. Only for test clouds. " +
					"Environment: `OS_INSECURE` (`true` or `false`).",
			},
			"cacert_file": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Path of a PEM file with the CA certificates to trust instead of the system's. Environment: `OS_CACERT`.",
			},
			"access_key": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Access key (AK) for API gateway request signing (SDK-HMAC-SHA256), used instead of a " +
					"Keystone login; needs `secret_key` and `project_id`. Environment: `OS_ACCESS_KEY`.",
			},
			"secret_key": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Secret key (SK) that goes with `access_key`. Environment: `OS_SECRET_KEY`.",
			},
			"security_token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Security token of temporary AK/SK credentials (for example from an agency); sent as " +
					"`X-Security-Token`. Environment: `OS_SECURITY_TOKEN`.",
			},
			"cloud": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Name of an entry in `clouds.yaml` (with `secure.yaml` merged in) to take settings from. " +
					"Settings in the provider block and the environment win over the file. Environment: `OS_CLOUD`.",
			},
			"cert": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Path of a PEM client certificate for TLS client authentication; needs `key`. Environment: `OS_CERT`.",
			},
			"key": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Path of the PEM private key of `cert`. Environment: `OS_KEY`.",
			},
			"max_retries": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "How many times one request is sent again after throttling (429), a gateway or server " +
					"error (500, 502, 503, 504, whatever its body), a dropped connection or an answer cut off half way, with " +
					"exponential backoff and jitter, honouring `Retry-After`, and never past the operation's timeout. A create " +
					"(POST) is only sent again after 429 or a failure to connect, which mean it was not carried out; a create " +
					"whose answer was lost is reconciled with the cloud instead (see the `vbs_backup_sharing` resource). " +
					"Each request has its own budget; the waits of one request add up to at most two minutes, and a refused " +
					"connection is retried for a few seconds only. Default 5; 0 turns retries off. Environment: `OS_MAX_RETRIES`.",
				Validators: []validator.Int64{int64validator.Between(0, maxRetriesLimit)},
			},
			"endpoints": schema.MapAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "Endpoint overrides by service. The key `vbs` sets the VBS endpoint, for example " +
					"`https://vbs.eu-de.otc.t-systems.com/v2/{project_id}`; `{project_id}` is replaced by the scoped project's ID. " +
					"Without an override the endpoint comes from the service catalog: type `vbsv2`, else `vbs`, else " +
					"`volumev2` with the host label `evs` replaced by `vbs`.",
				Validators: []validator.Map{
					mapvalidator.KeysAre(stringvalidator.OneOf("vbs")),
					mapvalidator.ValueStringsAre(stringvalidator.RegexMatches(httpURL, "must be an http:// or https:// URL such as https://vbs.eu-de.otc.t-systems.com/v2/{project_id}")),
				},
			},
		},
	}
}

// ConfigValidators catch contradictions written in the provider block at
// validate time; contradictions that come from the environment are caught
// in Configure, where the environment is read.
func (p *vbsProvider) ConfigValidators(_ context.Context) []provider.ConfigValidator {
	return []provider.ConfigValidator{
		providervalidator.Conflicting(path.MatchRoot("password"), path.MatchRoot("token")),
		providervalidator.Conflicting(path.MatchRoot("user_id"), path.MatchRoot("user_name")),
		providervalidator.Conflicting(path.MatchRoot("domain_id"), path.MatchRoot("domain_name")),
		providervalidator.Conflicting(path.MatchRoot("access_key"), path.MatchRoot("password")),
		providervalidator.Conflicting(path.MatchRoot("access_key"), path.MatchRoot("token")),
		providervalidator.RequiredTogether(path.MatchRoot("access_key"), path.MatchRoot("secret_key")),
		providervalidator.RequiredTogether(path.MatchRoot("cert"), path.MatchRoot("key")),
	}
}

func (p *vbsProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	settings := resolveSettings(ctx, config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	settings.UserAgent = "terraform-provider-vbs/" + p.version + " terraform/" + req.TerraformVersion

	c, err := client.New(settings)
	if err != nil {
		resp.Diagnostics.AddError("Invalid provider TLS settings", err.Error())
		return
	}
	resp.DataSourceData = c
	resp.ResourceData = c
	resp.ListResourceData = c
}

func (p *vbsProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewBackupSharingResource,
	}
}

func (p *vbsProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewBackupSharingListResource,
	}
}

func (p *vbsProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewBackupSharingDataSource,
		NewBackupSharingsDataSource,
	}
}

// identityURLValidator checks a literal auth_url at validate time with the
// same rules the client applies (client.IdentityURL); values from the
// environment are checked in Configure.
type identityURLValidator struct{}

func (identityURLValidator) Description(context.Context) string {
	return "must be a Keystone v3 URL: https://<host>/v3, https://<host>/<prefix>/v3 or https://<host>"
}

func (v identityURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (identityURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := client.IdentityURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Keystone URL", "auth_url: "+err.Error()+".")
	}
}
