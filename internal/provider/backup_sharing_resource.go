package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
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
	_ resource.ResourceWithIdentity    = (*backupSharingResource)(nil)
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

// backupSharingResourceTypes are the attribute types of the resource's
// state, from its schema.
var backupSharingResourceTypes = objectTypes(func() schema.Schema {
	var resp resource.SchemaResponse
	(&backupSharingResource{}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	return resp.Schema
})

// set writes the model as the resource's state (or a list result's
// resource): what State.Set(ctx, &m) writes, without reflection.
func (m *backupSharingResourceModel) set(ctx context.Context, target stateTarget) diag.Diagnostics {
	return setObject(ctx, target, backupSharingResourceTypes(), m.objectValues(
		namedValue{"id", m.ID}, namedValue{"timeouts", m.Timeouts}))
}

// backupSharingIdentity is the identity of a sharing: its ID, everywhere
// (state, import, query results).
type backupSharingIdentity struct {
	ID types.String `tfsdk:"id"`
}

// backupSharingIdentityTypes are the attribute types of the identity, from
// its schema.
var backupSharingIdentityTypes = objectTypes(func() identityschema.Schema {
	var resp resource.IdentitySchemaResponse
	(&backupSharingResource{}).IdentitySchema(context.Background(), resource.IdentitySchemaRequest{}, &resp)
	return resp.IdentitySchema
})

// set writes the identity: what Identity.Set(ctx, i) writes, without
// reflection.
func (i backupSharingIdentity) set(ctx context.Context, target stateTarget) diag.Diagnostics {
	return setObject(ctx, target, backupSharingIdentityTypes(), map[string]attr.Value{"id": i.ID})
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
	attrs["timeouts"] = resourceTimeouts(ctx)
	resp.Schema = schema.Schema{
		MarkdownDescription: "Shares a volume backup of this provider's project with another project. The receiving project " +
			"can then restore from the backup. Destroying the resource cancels the sharing; the backup itself is untouched.",
		Attributes: attrs,
	}
}

func (r *backupSharingResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "ID of the backup sharing, a UUID such as `ac0fb374-a288-4399-ac63-cc080a13a2ee`.",
			},
		},
	}
}

func (r *backupSharingResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (r *backupSharingResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan backupSharingResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	backupID, toProjectID := plan.BackupID.ValueString(), plan.ToProjectID.ValueString()
	what := subject{doing: fmt.Sprintf("sharing backup %s with project %s", backupID, toProjectID)}
	op := begin(ctx, r.client, plan.Timeouts.Create, "timeouts.create", what, &resp.Diagnostics)
	if op == nil {
		return
	}
	defer op.end()

	// Whatever happens next, a listing kept from before may now be stale.
	defer r.client.ForgetPrefix(listingKeyPrefix)
	id := createSharing(op, what, backupID, toProjectID)
	if id == "" {
		return
	}

	// Save the ID before reading back, so a failed read leaves a tainted
	// resource that Terraform can destroy, not an orphaned sharing.
	plan.ID = types.StringValue(id)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), plan.ID)...)
	resp.Diagnostics.Append(resp.Identity.Set(ctx, backupSharingIdentity{ID: plan.ID})...)
	r.client.Forget("sharing:" + id)
	readCtx, cancel := lookupContext(op)
	defer cancel()
	share, err := sharing.Get(readCtx, op.conn.VBS, id).Extract()
	if err != nil {
		op.fail(sharingSubject("reading the new", id), err)
		return
	}
	plan.backupSharingAttributes = flattenBackupSharing(share)
	resp.Diagnostics.Append(plan.set(ctx, &resp.State)...)
}

func (r *backupSharingResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// The read replaces everything in the prior state but these.
	var state backupSharingResourceModel
	resp.Diagnostics.Append(state.getIDAndTimeouts(ctx, req.State)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	what := sharingSubject("reading", id)
	op := begin(ctx, r.client, state.Timeouts.Read, "timeouts.read", what, &resp.Diagnostics)
	if op == nil {
		return
	}
	defer op.end()
	// Set before the read: the framework wants an identity even in the
	// answer that removes the resource, and a state written by a CLI
	// without identity support has none yet.
	resp.Diagnostics.Append(resp.Identity.Set(ctx, backupSharingIdentity{ID: state.ID})...)

	share, err := sharing.Get(op.ctx, op.conn.VBS, id).Extract()
	if vbs.IsNotFound(err) {
		// Cancelled outside Terraform: forget it, so the plan shows it
		// being shared again.
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		op.fail(what, err)
		return
	}
	state.backupSharingAttributes = flattenBackupSharing(share)
	resp.Diagnostics.Append(state.set(ctx, &resp.State)...)
}

// Update only changes timeouts: every other change replaces the sharing.
// getIDAndTimeouts reads the ID and the timeouts of a prior state, all that
// a read or a delete takes from it.
func (m *backupSharingResourceModel) getIDAndTimeouts(ctx context.Context, state attributeSource) diag.Diagnostics {
	return getAttributes(ctx, state, attributeTarget{"id", &m.ID}, attributeTarget{"timeouts", &m.Timeouts})
}

func (r *backupSharingResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state backupSharingResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state.Timeouts = plan.Timeouts
	resp.Diagnostics.Append(state.set(ctx, &resp.State)...)
}

func (r *backupSharingResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state backupSharingResourceModel
	resp.Diagnostics.Append(state.getIDAndTimeouts(ctx, req.State)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	what := sharingSubject("cancelling", id)
	op := begin(ctx, r.client, state.Timeouts.Delete, "timeouts.delete", what, &resp.Diagnostics)
	if op == nil {
		return
	}
	defer op.end()

	deleteSharing(op, what, id)
	r.client.Forget("sharing:" + id)
	r.client.ForgetPrefix(listingKeyPrefix)
}

// ImportState takes a sharing ID, as a string (terraform import, an import
// block's id) or as the identity's id (an import block's identity); Read
// fills in the rest.
func (r *backupSharingResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, where := req.ID, "The import ID"
	if id == "" && req.Identity != nil {
		var identity backupSharingIdentity
		resp.Diagnostics.Append(req.Identity.GetAttribute(ctx, path.Root("id"), &identity.ID)...)
		if resp.Diagnostics.HasError() {
			return
		}
		id, where = identity.ID.ValueString(), "The identity's id"
	}
	if !uuidPattern.MatchString(id) {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("%s, %q, is not a backup sharing ID. Import with the sharing's ID, a UUID such as "+
				"ac0fb374-a288-4399-ac63-cc080a13a2ee (list them with the vbs_backup_sharings data source, or find them "+
				"with terraform query).", where, id))
		return
	}
	resource.ImportStatePassthroughWithIdentity(ctx, path.Root("id"), path.Root("id"), req, resp)
}
