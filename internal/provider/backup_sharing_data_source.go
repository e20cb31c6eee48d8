package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

var (
	_ datasource.DataSourceWithConfigure      = (*backupSharingDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*backupSharingDataSource)(nil)
)

// NewBackupSharingDataSource returns the vbs_backup_sharing data source.
func NewBackupSharingDataSource() datasource.DataSource {
	return &backupSharingDataSource{}
}

type backupSharingDataSource struct {
	client *client.Client
}

type backupSharingDataSourceModel struct {
	ID        types.String   `tfsdk:"id"`
	ShareToMe types.Bool     `tfsdk:"share_to_me"`
	Timeouts  timeouts.Value `tfsdk:"timeouts"`
	backupSharingAttributes
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func uuidValidator(what string) validator.String {
	return stringvalidator.RegexMatches(uuidPattern, "must be "+what+": a UUID such as ac0fb374-a288-4399-ac63-cc080a13a2ee")
}

func (d *backupSharingDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_backup_sharing"
}

func (d *backupSharingDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := backupSharingDataSourceAttributes()
	attrs["id"] = schema.StringAttribute{
		Optional: true,
		Computed: true,
		MarkdownDescription: "ID of the backup sharing (not of the backup), a UUID such as " +
			"`ac0fb374-a288-4399-ac63-cc080a13a2ee`. The project that shared the backup gets it when it creates the sharing. " +
			"Set either `id` or `backup_id`.",
		Validators: []validator.String{uuidValidator("a backup sharing ID")},
	}
	attrs["backup_id"] = schema.StringAttribute{
		Optional: true,
		Computed: true,
		MarkdownDescription: "ID of the shared backup. Set it instead of `id` to look the sharing up by backup; " +
			"exactly one sharing must match, narrowed by `to_project_id`, `from_project_id` and `share_to_me`. " +
			"Restore from this backup in the receiving project.",
		Validators: []validator.String{uuidValidator("a backup ID")},
	}
	attrs["to_project_id"] = schema.StringAttribute{
		Optional:            true,
		Computed:            true,
		MarkdownDescription: "ID of the project the backup is shared with. With `backup_id`, narrows the lookup to this project.",
	}
	attrs["from_project_id"] = schema.StringAttribute{
		Optional:            true,
		Computed:            true,
		MarkdownDescription: "ID of the project that shared the backup. With `backup_id`, narrows the lookup to sharings from this project.",
	}
	attrs["share_to_me"] = schema.BoolAttribute{
		Optional: true,
		MarkdownDescription: "With `backup_id`: `true` looks among the sharings made to this provider's project (the usual case " +
			"for the receiving project); `false` or unset looks among the sharings this project made.",
	}
	attrs["timeouts"] = dataSourceTimeouts(ctx)
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one backup sharing: a volume backup that one project shared with another. " +
			"The receiving project uses it to learn the backup's ID and details before restoring from it. " +
			"Find the sharing by its `id`, or by `backup_id` when exactly one sharing of that backup matches. " +
			"The sharing and its backup are flattened into plain attributes; whatever the API leaves out or sends as null is null.",
		Attributes: attrs,
	}
}

// ValidateConfig makes the two ways of finding a sharing exclusive at
// validate time: an ID, or a backup with optional narrowing filters. One
// method says it in the user's terms, where the generic validators would
// need four declarations and list attribute paths.
func (d *backupSharingDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var id, backupID, toProjectID, fromProjectID types.String
	var shareToMe types.Bool
	resp.Diagnostics.Append(getAttributes(ctx, req.Config,
		attributeTarget{"id", &id}, attributeTarget{"backup_id", &backupID}, attributeTarget{"to_project_id", &toProjectID},
		attributeTarget{"from_project_id", &fromProjectID}, attributeTarget{"share_to_me", &shareToMe})...)
	if resp.Diagnostics.HasError() || id.IsUnknown() || backupID.IsUnknown() {
		return
	}
	switch {
	case !id.IsNull() && !backupID.IsNull():
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Both id and backup_id are set",
			"Set id to read a sharing by its ID, or backup_id (with optional to_project_id, from_project_id and "+
				"share_to_me) to look it up by backup; not both.")
	case id.IsNull() && backupID.IsNull():
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Neither id nor backup_id is set",
			"Set id to the sharing's ID, or backup_id to look the sharing up by its backup.")
	case !id.IsNull():
		for _, filter := range []struct {
			name string
			set  bool
		}{{"to_project_id", !toProjectID.IsNull()}, {"from_project_id", !fromProjectID.IsNull()}, {"share_to_me", !shareToMe.IsNull()}} {
			if filter.set {
				resp.Diagnostics.AddAttributeError(path.Root(filter.name), filter.name+" is set together with id",
					fmt.Sprintf("%s only narrows a lookup by backup_id; a read by id takes no filters. Remove %s, or look "+
						"the sharing up by backup_id instead of id.", filter.name, filter.name))
			}
		}
	}
}

func (d *backupSharingDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *backupSharingDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model backupSharingDataSourceModel
	resp.Diagnostics.Append(model.get(ctx, req.Config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var what subject
	if !model.ID.IsNull() {
		what = sharingSubject("reading", model.ID.ValueString())
	} else {
		what = subject{doing: "looking up the sharing of backup " + model.BackupID.ValueString()}
	}
	op := begin(ctx, d.client, model.Timeouts.Read, "timeouts.read", what, &resp.Diagnostics)
	if op == nil {
		return
	}
	defer op.end()

	var share *sharing.Share
	if !model.ID.IsNull() {
		share = readSharing(op, d.client, model.ID.ValueString(), what)
	} else {
		share = lookupSharing(op, d.client, model)
	}
	if share == nil {
		return
	}
	model.ID = types.StringValue(share.ID)
	model.backupSharingAttributes = flattenBackupSharing(share)
	resp.Diagnostics.Append(model.set(ctx, &resp.State)...)
}

// get reads the configuration that Read uses into the model, leaving the
// computed attributes zero: what Config.Get(ctx, m) reads of them.
func (m *backupSharingDataSourceModel) get(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	return getAttributes(ctx, config,
		attributeTarget{"id", &m.ID}, attributeTarget{"backup_id", &m.BackupID},
		attributeTarget{"to_project_id", &m.ToProjectID}, attributeTarget{"from_project_id", &m.FromProjectID},
		attributeTarget{"share_to_me", &m.ShareToMe}, attributeTarget{"timeouts", &m.Timeouts})
}

// backupSharingDataSourceTypes are the attribute types of the data source's
// state, from its schema.
var backupSharingDataSourceTypes = dataSourceTypes(&backupSharingDataSource{})

// set writes the model as the data source's state: what State.Set(ctx, &m)
// writes, without reflection. The timeouts are the configuration's, as read.
func (m *backupSharingDataSourceModel) set(ctx context.Context, target stateTarget) diag.Diagnostics {
	return setObject(ctx, target, backupSharingDataSourceTypes(), m.objectValues(
		namedValue{"id", m.ID}, namedValue{"share_to_me", m.ShareToMe}, namedValue{"timeouts", m.Timeouts}))
}

// sharingSubject is a sharing named by ID, for the diagnostics of doing
// something to it.
func sharingSubject(doing, id string) subject {
	return subject{
		doing: doing + " backup sharing " + id,
		attr:  path.Root("id"),
		notFound: func(projectID string) string {
			return fmt.Sprintf("No backup sharing with ID %s is visible to project %s. Check that the ID is the sharing's ID "+
				"(not the backup's) and that the backup was shared with this project.", id, projectID)
		},
	}
}

// readSharing gets one sharing by ID, shared with every other read of the
// same ID in this Terraform command.
func readSharing(op *operation, c *client.Client, id string, what subject) *sharing.Share {
	share, err := client.Shared(op.ctx, c, "sharing:"+id, func(ctx context.Context) (*sharing.Share, error) {
		return sharing.Get(ctx, op.conn.VBS, id).Extract()
	})
	if err != nil {
		op.fail(what, err)
		return nil
	}
	return share
}

// lookupSharing finds the one sharing of a backup that the filters leave.
// The listing applies the filters again to what the API returns, so a
// server that ignores one cannot make a wrong sharing look like the only
// match.
func lookupSharing(op *operation, c *client.Client, model backupSharingDataSourceModel) *sharing.Share {
	opts := sharing.ListOpts{
		BackupID:      model.BackupID.ValueString(),
		ToProjectID:   model.ToProjectID.ValueString(),
		FromProjectID: model.FromProjectID.ValueString(),
		ShareToMe:     model.ShareToMe.ValueBoolPointer(),
	}
	matches, err := listSharings(op, c, opts)
	if err != nil {
		op.fail(listSubject(opts), err)
		return nil
	}
	diags := op.diags
	switch len(matches) {
	case 1:
		return &matches[0]
	case 0:
		diags.AddAttributeError(path.Root("backup_id"), "Backup sharing not found",
			fmt.Sprintf("No sharing of backup %s %s is visible to project %s. %s",
				opts.BackupID, describeFilters(opts), op.conn.ProjectID, shareToMeHint(opts)))
	default:
		ids := make([]string, len(matches))
		for i, m := range matches {
			ids[i] = fmt.Sprintf("%s (to project %s, from project %s)", m.ID, m.ToProjectID, m.FromProjectID)
		}
		diags.AddAttributeError(path.Root("backup_id"), "Several backup sharings match",
			fmt.Sprintf("%d sharings of backup %s %s match in project %s:\n  %s\n\nNarrow the lookup with to_project_id "+
				"(the receiving project) or from_project_id, or set id to one of the sharing IDs above.",
				len(matches), opts.BackupID, describeFilters(opts), op.conn.ProjectID, strings.Join(ids, "\n  ")))
	}
	return nil
}

func shareToMeHint(opts sharing.ListOpts) string {
	if opts.ShareToMe == nil || !*opts.ShareToMe {
		return "Without share_to_me = true the lookup searches the sharings this project made; a receiving project sets share_to_me = true."
	}
	return "Check that the backup was shared with this project."
}
