package provider

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

var _ datasource.DataSourceWithConfigure = (*backupSharingDataSource)(nil)

// NewBackupSharingDataSource returns the vbs_backup_sharing data source.
func NewBackupSharingDataSource() datasource.DataSource {
	return &backupSharingDataSource{}
}

type backupSharingDataSource struct {
	client *client.Client
}

type backupSharingDataSourceModel struct {
	ID types.String `tfsdk:"id"`
	backupSharingAttributes
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (d *backupSharingDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_backup_sharing"
}

func (d *backupSharingDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := backupSharingDataSourceAttributes()
	attrs["id"] = schema.StringAttribute{
		Required: true,
		MarkdownDescription: "ID of the backup sharing (not of the backup), a UUID such as " +
			"`ac0fb374-a288-4399-ac63-cc080a13a2ee`. The project that shared the backup gets it when it creates the sharing.",
		Validators: []validator.String{
			stringvalidator.RegexMatches(uuidPattern, "must be a backup sharing ID: a UUID such as ac0fb374-a288-4399-ac63-cc080a13a2ee"),
		},
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one backup sharing: a volume backup that one project shared with another. " +
			"The receiving project uses it to learn the backup's ID and details before restoring from it. " +
			"The sharing and its backup are flattened into plain attributes; whatever the API leaves out or sends as null is null.",
		Attributes: attrs,
	}
}

func (d *backupSharingDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *backupSharingDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model backupSharingDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.client == nil {
		resp.Diagnostics.AddError("Provider not configured", "The vbs provider was not configured before vbs_backup_sharing was read. This is a bug in the provider or Terraform; please report it.")
		return
	}
	id := model.ID.ValueString()

	conn, err := d.client.Connect(ctx)
	if err != nil {
		addConnectError(&resp.Diagnostics, err)
		return
	}
	share, err := sharing.Get(ctx, conn.VBS, id).Extract()
	if err != nil {
		addSharingError(&resp.Diagnostics, path.Root("id"), "read", id, conn, err)
		return
	}

	model.backupSharingAttributes = flattenBackupSharing(share)
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
