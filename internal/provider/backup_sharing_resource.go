package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

var (
	_ resource.ResourceWithConfigure   = (*backupSharingResource)(nil)
	_ resource.ResourceWithImportState = (*backupSharingResource)(nil)
)

// Default timeouts: sharing is a metadata change, quick unless the API is
// throttling.
const (
	defaultCreateTimeout = 5 * time.Minute
	defaultReadTimeout   = 2 * time.Minute
	defaultDeleteTimeout = 5 * time.Minute
)

// NewBackupSharingResource returns the vbs_backup_sharing resource.
func NewBackupSharingResource() resource.Resource {
	return &backupSharingResource{}
}

type backupSharingResource struct {
	client *client.Client
}

type backupSharingResourceModel struct {
	ID       types.String   `tfsdk:"id"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
	backupSharingAttributes
}

func (r *backupSharingResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_backup_sharing"
}

func (r *backupSharingResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attrs := backupSharingResourceAttributes()
	attrs["id"] = schema.StringAttribute{
		Computed:            true,
		MarkdownDescription: "ID of the backup sharing. Hand it to the receiving project, which reads it with the `vbs_backup_sharing` data source.",
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
	attrs["backup_id"] = schema.StringAttribute{
		Required:            true,
		MarkdownDescription: "ID of the backup to share. Changing it replaces the sharing.",
		Validators:          []validator.String{uuidValidator("a backup ID")},
		PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
	}
	attrs["to_project_id"] = schema.StringAttribute{
		Required: true,
		MarkdownDescription: "ID of the project to share the backup with. One resource is one sharing: share with " +
			"several projects with `for_each`. Changing it replaces the sharing.",
		Validators:    []validator.String{stringvalidator.LengthAtLeast(1), stringvalidator.NoneOf(" ")},
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
	}
	attrs["timeouts"] = timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Delete: true})
	resp.Schema = schema.Schema{
		MarkdownDescription: "Shares a volume backup of this provider's project with another project. The receiving project " +
			"can then restore from the backup. Destroying the resource cancels the sharing; the backup itself is untouched.",
		Attributes: attrs,
	}
}

func (r *backupSharingResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

// start bounds an operation by the timeout the user set for it (or its
// default) and connects. The connection is nil when that failed; cancel is
// always set.
func (r *backupSharingResource) start(ctx context.Context, timeout func(context.Context, time.Duration) (time.Duration, diag.Diagnostics),
	fallback time.Duration, diags *diagnostics,
) (context.Context, context.CancelFunc, *client.Connection) {
	d, timeoutDiags := timeout(ctx, fallback)
	diags.Append(timeoutDiags...)
	ctx, cancel := context.WithTimeout(ctx, d)
	if diags.HasError() {
		return ctx, cancel, nil
	}
	return ctx, cancel, connect(ctx, r.client, diags)
}

func (r *backupSharingResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan backupSharingResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, conn := r.start(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer cancel()
	if conn == nil {
		return
	}

	backupID, toProjectID := plan.BackupID.ValueString(), plan.ToProjectID.ValueString()
	created, err := sharing.Create(ctx, conn.VBS, sharing.CreateOpts{BackupID: backupID, ToProjectIDs: []string{toProjectID}}).Extract()
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to share backup %s with project %s", backupID, toProjectID),
			fmt.Sprintf("Project %s.\n\n%v", conn.ProjectID, err))
		return
	}
	var id string
	for _, s := range created {
		if s.ToProjectID == toProjectID {
			id = s.ID
		}
	}
	if id == "" {
		resp.Diagnostics.AddError(fmt.Sprintf("Unable to share backup %s with project %s", backupID, toProjectID),
			fmt.Sprintf("The API accepted the request but its answer lists no sharing to project %s (it listed %d). "+
				"Look for the sharing with the vbs_backup_sharings data source before retrying.", toProjectID, len(created)))
		return
	}

	// Save the ID before reading back, so a failed read leaves a tainted
	// resource that Terraform can destroy, not an orphaned sharing.
	plan.ID = types.StringValue(id)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), plan.ID)...)
	r.client.Forget("sharing:" + id)
	share, err := sharing.Get(ctx, conn.VBS, id).Extract()
	if err != nil {
		addSharingError(&resp.Diagnostics, path.Root("id"), "read the new", id, conn, err)
		return
	}
	plan.backupSharingAttributes = flattenBackupSharing(share)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *backupSharingResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state backupSharingResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, conn := r.start(ctx, state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer cancel()
	if conn == nil {
		return
	}

	id := state.ID.ValueString()
	share, err := sharing.Get(ctx, conn.VBS, id).Extract()
	if vbs.IsNotFound(err) {
		// Cancelled outside Terraform: forget it, so the plan shows it
		// being shared again.
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addSharingError(&resp.Diagnostics, path.Root("id"), "read", id, conn, err)
		return
	}
	state.backupSharingAttributes = flattenBackupSharing(share)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update only changes timeouts: every other change replaces the sharing.
func (r *backupSharingResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state backupSharingResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state.Timeouts = plan.Timeouts
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *backupSharingResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state backupSharingResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, conn := r.start(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer cancel()
	if conn == nil {
		return
	}

	id := state.ID.ValueString()
	err := sharing.Delete(ctx, conn.VBS, id, sharing.DeleteOpts{}).ExtractErr()
	r.client.Forget("sharing:" + id)
	if err != nil && !vbs.IsNotFound(err) {
		addSharingError(&resp.Diagnostics, path.Root("id"), "cancel", id, conn, err)
	}
}

// ImportState takes a sharing ID; Read fills in the rest.
func (r *backupSharingResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !uuidPattern.MatchString(req.ID) {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%q is not a backup sharing ID. Import with the sharing's ID, a UUID such as ac0fb374-a288-4399-ac63-cc080a13a2ee "+
				"(list them with the vbs_backup_sharings data source).", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}
