package provider

import (
	"context"
	"iter"

	listtimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/list/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

var _ list.ListResourceWithConfigure = (*backupSharingListResource)(nil)

// NewBackupSharingListResource returns the list resource of
// vbs_backup_sharing, which `terraform query` uses to find sharings to
// import.
func NewBackupSharingListResource() list.ListResource {
	return &backupSharingListResource{}
}

type backupSharingListResource struct {
	client *client.Client
}

// backupSharingListModel is the `config` block of a `list` block. The
// filters mean what they mean in vbs_backup_sharings.
type backupSharingListModel struct {
	ShareToMe     types.Bool         `tfsdk:"share_to_me"`
	BackupID      types.String       `tfsdk:"backup_id"`
	FromProjectID types.String       `tfsdk:"from_project_id"`
	ToProjectID   types.String       `tfsdk:"to_project_id"`
	Timeouts      listtimeouts.Value `tfsdk:"timeouts"`
}

func (l *backupSharingListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_backup_sharing"
}

func (l *backupSharingListResource) ListResourceConfigSchema(ctx context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	filter := func(description string, validators ...validator.String) listschema.StringAttribute {
		return listschema.StringAttribute{Optional: true, MarkdownDescription: description, Validators: validators}
	}
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Finds existing backup sharings, for `terraform query`: by default those this provider's project " +
			"made, with `share_to_me = true` those made to it. Each result carries the sharing's identity (`id`) and, with " +
			"`include_resource = true`, every attribute of the `vbs_backup_sharing` resource, so " +
			"`terraform query -generate-config-out` can write the import blocks and resources that bring the sharings " +
			"under Terraform. Every page of the API's listing is read, up to the list block's `limit`.",
		Attributes: map[string]listschema.Attribute{
			"share_to_me": listschema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "`true` lists the sharings made **to** this provider's project; `false` or unset lists " +
					"the sharings this project made (the ones the `vbs_backup_sharing` resource manages).",
			},
			"backup_id":       filter("Only sharings of this backup.", uuidValidator("a backup ID")),
			"from_project_id": filter("Only sharings made by this project."),
			"to_project_id":   filter("Only sharings made to this project."),
			"timeouts": listtimeouts.AttributesWithOpts(ctx, listtimeouts.Opts{
				ListDescription: timeoutDescription("listing"),
			}),
		},
	}
}

func (l *backupSharingListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

// List streams one result per sharing, in the API's order, each page's as
// soon as it arrives, and reads no page beyond the one that reaches the
// request's limit. It holds about one page, not the listing: it does not go
// through the command's kept reads, which would keep every result. Failures
// arrive as a result that carries only diagnostics, after the results
// already streamed.
func (l *backupSharingListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var config backupSharingListModel
	if diags := req.Config.Get(ctx, &config); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	opts := sharing.ListOpts{
		ShareToMe:     config.ShareToMe.ValueBoolPointer(),
		BackupID:      config.BackupID.ValueString(),
		FromProjectID: config.FromProjectID.ValueString(),
		ToProjectID:   config.ToProjectID.ValueString(),
	}
	// The pager logs what makes a listing read to its end doubtful.
	stream.Results = l.results(ctx, config, opts, func(op *operation, push func(list.ListResult) bool) error {
		_, err := sharing.ListEach(op.ctx, op.conn.VBS, opts, listAllOpts(op, int(req.Limit)), func(page []sharing.Share) bool {
			for i := range page {
				if !push(listResult(ctx, req, &page[i])) {
					return false
				}
			}
			return true
		})
		return err
	})
}

// results runs read under the list block's timeout once Terraform asks for
// the results, with the heap paced for streaming, and pushes its failure,
// or a failure to begin, as one result that carries only diagnostics.
func (l *backupSharingListResource) results(ctx context.Context, config backupSharingListModel, opts sharing.ListOpts,
	read func(op *operation, push func(list.ListResult) bool) error,
) iter.Seq[list.ListResult] {
	return func(push func(list.ListResult) bool) {
		var diags diagnostics
		what := listSubject(opts)
		op := begin(ctx, l.client, config.Timeouts.List, "timeouts.list", what, &diags)
		if op == nil {
			push(list.ListResult{Diagnostics: diags})
			return
		}
		defer op.end()
		defer streaming()()
		if err := read(op, push); err != nil {
			op.fail(what, err)
			push(list.ListResult{Diagnostics: diags})
		}
	}
}

// listResult is one sharing as a query shows it: its identity, a name for
// people, and with include_resource the resource's state, flattened as
// everywhere else.
func listResult(ctx context.Context, req list.ListRequest, share *sharing.Share) list.ListResult {
	result := req.NewListResult(ctx)
	id := types.StringValue(share.ID)
	result.DisplayName = sharingDisplayName(share)
	result.Diagnostics.Append(backupSharingIdentity{ID: id}.set(ctx, result.Identity)...)
	if req.IncludeResource {
		state := backupSharingResourceModel{
			ID:                      id,
			Timeouts:                timeouts.Value{Object: types.ObjectNull(resourceTimeoutTypes(ctx))},
			backupSharingAttributes: flattenBackupSharing(share),
		}
		result.Diagnostics.Append(state.set(ctx, result.Resource)...)
	}
	return result
}

// resourceTimeoutTypes are the attributes of the resource's timeouts, as
// its schema declares them.
func resourceTimeoutTypes(ctx context.Context) map[string]attr.Type {
	if t, ok := resourceTimeouts(ctx).GetType().(timeouts.Type); ok {
		return t.AttrTypes
	}
	return nil
}

// sharingDisplayName reads "<backup name or ID> → <to_project_id>".
func sharingDisplayName(share *sharing.Share) string {
	backup := share.BackupID
	if share.Backup != nil && share.Backup.Name != nil && *share.Backup.Name != "" {
		backup = *share.Backup.Name
	}
	return backup + " → " + share.ToProjectID
}
