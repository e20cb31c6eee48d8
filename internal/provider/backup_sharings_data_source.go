package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

var _ datasource.DataSourceWithConfigure = (*backupSharingsDataSource)(nil)

// NewBackupSharingsDataSource returns the vbs_backup_sharings data source.
func NewBackupSharingsDataSource() datasource.DataSource {
	return &backupSharingsDataSource{}
}

type backupSharingsDataSource struct {
	client *client.Client
}

type backupSharingsDataSourceModel struct {
	ShareToMe        types.Bool         `tfsdk:"share_to_me"`
	BackupID         types.String       `tfsdk:"backup_id"`
	VolumeID         types.String       `tfsdk:"volume_id"`
	Name             types.String       `tfsdk:"name"`
	Status           types.String       `tfsdk:"status"`
	FromProjectID    types.String       `tfsdk:"from_project_id"`
	ToProjectID      types.String       `tfsdk:"to_project_id"`
	AvailabilityZone types.String       `tfsdk:"availability_zone"`
	SortKey          types.String       `tfsdk:"sort_key"`
	SortDir          types.String       `tfsdk:"sort_dir"`
	IDs              []string           `tfsdk:"ids"`
	Sharings         []sharingItemModel `tfsdk:"sharings"`
	Timeouts         timeouts.Value     `tfsdk:"timeouts"`
}

// sharingItemModel is one element of `sharings`.
type sharingItemModel struct {
	ID types.String `tfsdk:"id"`
	backupSharingAttributes
}

// sortKeys are the documented sort keys that make sense for sharings; the
// reference also lists container_format and disk_format, copied from images.
var sortKeys = []string{"name", "status", "size", "id", "created_at", "updated_at"}

func (d *backupSharingsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_backup_sharings"
}

func (d *backupSharingsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	filter := func(description string, validators ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, MarkdownDescription: description, Validators: validators}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists backup sharings: by default those this provider's project made, with `share_to_me = true` " +
			"those made to it. Every page of results is read (the API pages with limit and offset); no match is an empty list.",
		Attributes: map[string]schema.Attribute{
			"share_to_me": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "`true` lists the sharings made **to** this provider's project (what the receiving project " +
					"may restore); `false` or unset lists the sharings this project made.",
			},
			"backup_id":         filter("Only sharings of this backup.", uuidValidator("a backup ID")),
			"volume_id":         filter("Only sharings of backups of this EVS disk."),
			"name":              filter("Only sharings of backups whose name contains this text. The API matches fuzzily; the provider keeps only the sharings whose backup name contains it, in any case."),
			"status":            filter("Only sharings of backups in this status, for example `available`."),
			"from_project_id":   filter("Only sharings made by this project."),
			"to_project_id":     filter("Only sharings made to this project."),
			"availability_zone": filter("Only sharings of backups in this availability zone, for example `eu-de-01`."),
			"sort_key": filter("Sort by this key: one of `name`, `status`, `size`, `id`, `created_at` (the API's default), `updated_at`.",
				stringvalidator.OneOf(sortKeys...)),
			"sort_dir": filter("Sort direction: `asc` or `desc`.", stringvalidator.OneOf("asc", "desc")),
			"ids": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "IDs of the matching sharings, in the API's order.",
			},
			"sharings": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The matching sharings, in the API's order, with the same attributes as the `vbs_backup_sharing` data source.",
				NestedObject:        schema.NestedAttributeObject{Attributes: sharingItemAttributes()},
			},
			"timeouts": dataSourceTimeouts(ctx),
		},
	}
}

func (d *backupSharingsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *backupSharingsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model backupSharingsDataSourceModel
	resp.Diagnostics.Append(model.get(ctx, req.Config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	opts := sharing.ListOpts{
		ShareToMe:        model.ShareToMe.ValueBoolPointer(),
		BackupID:         model.BackupID.ValueString(),
		VolumeID:         model.VolumeID.ValueString(),
		Name:             model.Name.ValueString(),
		Status:           model.Status.ValueString(),
		FromProjectID:    model.FromProjectID.ValueString(),
		ToProjectID:      model.ToProjectID.ValueString(),
		AvailabilityZone: model.AvailabilityZone.ValueString(),
		SortKey:          model.SortKey.ValueString(),
		SortDir:          model.SortDir.ValueString(),
	}
	what := listSubject(opts)
	op := begin(ctx, d.client, model.Timeouts.Read, "timeouts.read", what, &resp.Diagnostics)
	if op == nil {
		return
	}
	defer op.end()
	listed, err := listSharingValues(op, d.client, opts)
	if err != nil {
		op.fail(what, err)
		return
	}
	if resp.Diagnostics.Append(listed.diags...); resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(model.set(ctx, &resp.State, listed)...)
}

// sharingItemAttributes are the attributes of an element of `sharings`:
// the sharing's ID and the attributes of the vbs_backup_sharing data source.
func sharingItemAttributes() map[string]schema.Attribute {
	item := backupSharingDataSourceAttributes()
	item["id"] = schema.StringAttribute{Computed: true, MarkdownDescription: "ID of the backup sharing."}
	return item
}

// get reads the configuration that Read uses into the model: every filter
// and the timeouts, not the computed lists.
func (m *backupSharingsDataSourceModel) get(ctx context.Context, config tfsdk.Config) diag.Diagnostics {
	return getAttributes(ctx, config,
		attributeTarget{"share_to_me", &m.ShareToMe}, attributeTarget{"backup_id", &m.BackupID},
		attributeTarget{"volume_id", &m.VolumeID}, attributeTarget{"name", &m.Name},
		attributeTarget{"status", &m.Status}, attributeTarget{"from_project_id", &m.FromProjectID},
		attributeTarget{"to_project_id", &m.ToProjectID}, attributeTarget{"availability_zone", &m.AvailabilityZone},
		attributeTarget{"sort_key", &m.SortKey}, attributeTarget{"sort_dir", &m.SortDir},
		attributeTarget{"timeouts", &m.Timeouts})
}

// backupSharingsDataSourceTypes are the attribute types of the data
// source's state, from its schema.
var backupSharingsDataSourceTypes = dataSourceTypes(&backupSharingsDataSource{})

// set writes the configuration in the model and the listing as the data
// source's state: what State.Set(ctx, &m) writes with m.IDs and m.Sharings
// filled from the same sharings, without reflection.
func (m *backupSharingsDataSourceModel) set(ctx context.Context, target stateTarget, listed listedSharings) diag.Diagnostics {
	attrTypes := backupSharingsDataSourceTypes()
	values := make(map[string]attr.Value, len(attrTypes))
	values["share_to_me"] = m.ShareToMe
	values["backup_id"] = m.BackupID
	values["volume_id"] = m.VolumeID
	values["name"] = m.Name
	values["status"] = m.Status
	values["from_project_id"] = m.FromProjectID
	values["to_project_id"] = m.ToProjectID
	values["availability_zone"] = m.AvailabilityZone
	values["sort_key"] = m.SortKey
	values["sort_dir"] = m.SortDir
	values["timeouts"] = m.Timeouts
	values["ids"], values["sharings"] = listed.ids, listed.sharings
	return setObject(ctx, target, attrTypes, values)
}

// listedSharings is a listing as `ids` and `sharings` hold it. The values
// are immutable, so one listing serves every data source with the same
// filters in a command.
type listedSharings struct {
	ids, sharings types.List
	// diags are those of building the values: a builder that disagrees
	// with the schema.
	diags diag.Diagnostics
}

// unlisted is what a listing not read writes: null lists, as State.Set
// writes nil slices.
func unlisted() listedSharings {
	return listedSharings{ids: types.ListNull(types.StringType), sharings: types.ListNull(sharingItemType)}
}

// sharingValues collects a listing's pages into `ids` and `sharings` as
// they arrive: a page's sharings are garbage once their objects are built,
// so a listing's peak memory holds its values, not its values and its
// sharings. An empty listing is empty lists.
type sharingValues struct {
	ids, sharings []attr.Value
	diags         diag.Diagnostics
}

// add builds the elements of one page and says whether to go on: a
// sharing that does not fit the schema ends the listing.
func (v *sharingValues) add(page []sharing.Share) bool {
	for i := range page {
		obj, diags := sharingItemObject(&page[i])
		if v.diags.Append(diags...); diags.HasError() {
			return false
		}
		v.ids = append(v.ids, types.StringValue(page[i].ID))
		v.sharings = append(v.sharings, obj)
	}
	return true
}

func (v *sharingValues) listed() listedSharings {
	l := listedSharings{diags: v.diags}
	if v.diags.HasError() {
		return l
	}
	var diags diag.Diagnostics
	l.ids, diags = types.ListValue(types.StringType, nonNil(v.ids))
	l.diags.Append(diags...)
	l.sharings, diags = types.ListValue(sharingItemType, nonNil(v.sharings))
	l.diags.Append(diags...)
	return l
}

func nonNil(values []attr.Value) []attr.Value {
	if values == nil {
		return []attr.Value{}
	}
	return values
}

// sharingItemObject is one element of `sharings`.
func sharingItemObject(s *sharing.Share) (types.Object, diag.Diagnostics) {
	attrs := flattenBackupSharing(s)
	return types.ObjectValue(sharingItemType.AttrTypes, attrs.objectValues(namedValue{"id", types.StringValue(s.ID)}))
}

func listSubject(opts sharing.ListOpts) subject {
	return subject{doing: "listing backup sharings " + describeFilters(opts)}
}

// listPageConcurrency is how many pages of one listing are fetched at once
// once the first page shows there are more.
const listPageConcurrency = 8

// listingKeyPrefix starts the key of every listing kept for the rest of
// the command, so that a change can forget them all.
const listingKeyPrefix = "list:"

// listSharings reads the whole listing, once per distinct set of filters in
// this Terraform command.
func listSharings(op *operation, c *client.Client, opts sharing.ListOpts) ([]sharing.Share, error) {
	return keptListing(op, c, opts, "", func(ctx context.Context) ([]sharing.Share, error) {
		listing, err := sharing.ListAll(ctx, op.conn.VBS, opts, listAllOpts(op, 0))
		if err != nil {
			return nil, err
		}
		return listing.Shares, nil
	})
}

// listSharingValues reads the whole listing as the data source writes it,
// once per distinct set of filters in this Terraform command.
func listSharingValues(op *operation, c *client.Client, opts sharing.ListOpts) (listedSharings, error) {
	return keptListing(op, c, opts, "values", func(ctx context.Context) (listedSharings, error) {
		var values sharingValues
		if _, err := sharing.ListEach(ctx, op.conn.VBS, opts, listAllOpts(op, 0), values.add); err != nil {
			return listedSharings{}, err
		}
		return values.listed(), nil
	})
}

// keptListing runs read once per kind of result and distinct set of
// filters in this Terraform command, under a key that listingKeyPrefix
// starts.
func keptListing[T any](op *operation, c *client.Client, opts sharing.ListOpts, kind string, read func(context.Context) (T, error)) (T, error) {
	query, err := opts.ToShareListQuery()
	if err != nil {
		var zero T
		return zero, err
	}
	return client.Shared(op.ctx, c, listingKeyPrefix+kind+query, read)
}

func listAllOpts(op *operation, max int) sharing.ListAllOpts {
	return sharing.ListAllOpts{Concurrency: listPageConcurrency, Max: max, ProjectID: op.conn.ProjectID}
}
