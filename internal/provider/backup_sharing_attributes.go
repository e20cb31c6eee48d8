package provider

import (
	"context"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	rsschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// backupSharingAttributes are the computed attributes of a sharing and its
// backup, flattened. Every Terraform object that shows a sharing embeds it,
// so a sharing is flattened in exactly one place.
type backupSharingAttributes struct {
	BackupID            types.String `tfsdk:"backup_id"`
	FromProjectID       types.String `tfsdk:"from_project_id"`
	ToProjectID         types.String `tfsdk:"to_project_id"`
	CreatedAt           types.String `tfsdk:"created_at"`
	UpdatedAt           types.String `tfsdk:"updated_at"`
	BackupName          types.String `tfsdk:"backup_name"`
	BackupStatus        types.String `tfsdk:"backup_status"`
	BackupDescription   types.String `tfsdk:"backup_description"`
	BackupSize          types.Int64  `tfsdk:"backup_size"`
	BackupCreatedAt     types.String `tfsdk:"backup_created_at"`
	BackupUpdatedAt     types.String `tfsdk:"backup_updated_at"`
	AvailabilityZone    types.String `tfsdk:"availability_zone"`
	VolumeID            types.String `tfsdk:"volume_id"`
	SnapshotID          types.String `tfsdk:"snapshot_id"`
	Container           types.String `tfsdk:"container"`
	ObjectCount         types.Int64  `tfsdk:"object_count"`
	FailReason          types.String `tfsdk:"fail_reason"`
	DataTimestamp       types.String `tfsdk:"data_timestamp"`
	ServiceMetadata     types.String `tfsdk:"service_metadata"`
	HasDependentBackups types.Bool   `tfsdk:"has_dependent_backups"`
	IsIncremental       types.Bool   `tfsdk:"is_incremental"`
}

// flattenBackupSharing maps an API sharing to attributes. A field the API
// sent as null or left out is null here: never "", 0 or false.
func flattenBackupSharing(s *sharing.Share) backupSharingAttributes {
	a := backupSharingAttributes{
		BackupID:      nonEmptyString(s.BackupID),
		FromProjectID: nonEmptyString(s.FromProjectID),
		ToProjectID:   nonEmptyString(s.ToProjectID),
		CreatedAt:     types.StringPointerValue(s.CreatedAt),
		UpdatedAt:     types.StringPointerValue(s.UpdatedAt),
	}
	b := s.Backup
	if b == nil {
		b = &sharing.Backup{}
	}
	a.BackupName = types.StringPointerValue(b.Name)
	a.BackupStatus = types.StringPointerValue(b.Status)
	a.BackupDescription = types.StringPointerValue(b.Description)
	a.BackupSize = types.Int64PointerValue(b.Size)
	a.BackupCreatedAt = types.StringPointerValue(b.CreatedAt)
	a.BackupUpdatedAt = types.StringPointerValue(b.UpdatedAt)
	a.AvailabilityZone = types.StringPointerValue(b.AvailabilityZone)
	a.VolumeID = types.StringPointerValue(b.VolumeID)
	a.SnapshotID = types.StringPointerValue(b.SnapshotID)
	a.Container = types.StringPointerValue(b.Container)
	a.ObjectCount = types.Int64PointerValue(b.ObjectCount)
	a.FailReason = types.StringPointerValue(b.FailReason)
	a.DataTimestamp = types.StringPointerValue(b.DataTimestamp)
	a.ServiceMetadata = types.StringPointerValue(b.ServiceMetadata)
	a.HasDependentBackups = types.BoolPointerValue(b.HasDependentBackups)
	a.IsIncremental = types.BoolPointerValue(b.IsIncremental)
	// The sharing's backup_id is the authority; the nested backup repeats it.
	if a.BackupID.IsNull() && b.ID != nil {
		a.BackupID = types.StringValue(*b.ID)
	}
	return a
}

// nonEmptyString keeps the IDs the API always sends as plain strings from
// turning into "" when a response leaves one out.
func nonEmptyString(v string) types.String {
	if v == "" {
		return types.StringNull()
	}
	return types.StringValue(v)
}

type attributeKind int

const (
	kindString attributeKind = iota
	kindInt64
	kindBool
)

// backupSharingAttributeDocs describes each flattened attribute once: its
// name, kind and description build the schemas, its value reads the model's
// field for the state builders, so a schema and the objects written under it
// list the same attributes.
var backupSharingAttributeDocs = []struct {
	name        string
	kind        attributeKind
	value       func(a *backupSharingAttributes) attr.Value
	description string
}{
	{"backup_id", kindString, func(a *backupSharingAttributes) attr.Value { return a.BackupID },
		"ID of the shared backup. Restore from this backup in the receiving project."},
	{"from_project_id", kindString, func(a *backupSharingAttributes) attr.Value { return a.FromProjectID },
		"ID of the project that shared the backup."},
	{"to_project_id", kindString, func(a *backupSharingAttributes) attr.Value { return a.ToProjectID },
		"ID of the project the backup is shared with."},
	{"created_at", kindString, func(a *backupSharingAttributes) attr.Value { return a.CreatedAt },
		"When the sharing was created, as the API writes it (`2024-03-01T10:15:30.123456`, UTC, no zone). Null when the API gives none."},
	{"updated_at", kindString, func(a *backupSharingAttributes) attr.Value { return a.UpdatedAt },
		"When the sharing was last updated, as the API writes it. Null when the API gives none, which is usual for a sharing never changed."},
	{"backup_name", kindString, func(a *backupSharingAttributes) attr.Value { return a.BackupName },
		"Name of the shared backup."},
	{"backup_status", kindString, func(a *backupSharingAttributes) attr.Value { return a.BackupStatus },
		"Status of the shared backup, for example `available`. Only an `available` backup can be restored."},
	{"backup_description", kindString, func(a *backupSharingAttributes) attr.Value { return a.BackupDescription },
		"Description of the shared backup. Null when it has none."},
	{"backup_size", kindInt64, func(a *backupSharingAttributes) attr.Value { return a.BackupSize },
		"Size of the shared backup in GB."},
	{"backup_created_at", kindString, func(a *backupSharingAttributes) attr.Value { return a.BackupCreatedAt },
		"When the backup was created, as the API writes it."},
	{"backup_updated_at", kindString, func(a *backupSharingAttributes) attr.Value { return a.BackupUpdatedAt },
		"When the backup was last updated, as the API writes it."},
	{"availability_zone", kindString, func(a *backupSharingAttributes) attr.Value { return a.AvailabilityZone },
		"Availability zone of the backup, for example `eu-de-01`."},
	{"volume_id", kindString, func(a *backupSharingAttributes) attr.Value { return a.VolumeID },
		"ID of the EVS disk the backup was taken from."},
	{"snapshot_id", kindString, func(a *backupSharingAttributes) attr.Value { return a.SnapshotID },
		"ID of the snapshot the backup was made from. Null when the API gives none."},
	{"container", kindString, func(a *backupSharingAttributes) attr.Value { return a.Container },
		"Object storage container holding the backup data. Null when the API gives none."},
	{"object_count", kindInt64, func(a *backupSharingAttributes) attr.Value { return a.ObjectCount },
		"Number of objects the backup is stored in. Null when the API gives none."},
	{"fail_reason", kindString, func(a *backupSharingAttributes) attr.Value { return a.FailReason },
		"Why the backup failed, if it did. The API may fill it even for an `available` backup."},
	{"data_timestamp", kindString, func(a *backupSharingAttributes) attr.Value { return a.DataTimestamp },
		"Point in time of the data in the backup, as the API writes it."},
	{"service_metadata", kindString, func(a *backupSharingAttributes) attr.Value { return a.ServiceMetadata },
		"The backup's service metadata: an opaque string from the API. Null when the API gives none."},
	{"has_dependent_backups", kindBool, func(a *backupSharingAttributes) attr.Value { return a.HasDependentBackups },
		"Whether incremental backups depend on this backup. Null when the API leaves it out, which it often does."},
	{"is_incremental", kindBool, func(a *backupSharingAttributes) attr.Value { return a.IsIncremental },
		"Whether the backup is incremental. Null when the API leaves it out, which it often does."},
}

// sharingAttributes builds the flattened attributes in one schema flavour,
// from one constructor per kind, so every schema shows the same names and
// descriptions.
func sharingAttributes[A any](str, i64, boolean func(description string) A) map[string]A {
	attrs := make(map[string]A, len(backupSharingAttributeDocs)+1)
	for _, doc := range backupSharingAttributeDocs {
		switch doc.kind {
		case kindString:
			attrs[doc.name] = str(doc.description)
		case kindInt64:
			attrs[doc.name] = i64(doc.description)
		case kindBool:
			attrs[doc.name] = boolean(doc.description)
		}
	}
	return attrs
}

// backupSharingDataSourceAttributes returns the flattened attributes as
// computed data source attributes.
func backupSharingDataSourceAttributes() map[string]dsschema.Attribute {
	return sharingAttributes(
		func(d string) dsschema.Attribute {
			return dsschema.StringAttribute{Computed: true, MarkdownDescription: d}
		},
		func(d string) dsschema.Attribute {
			return dsschema.Int64Attribute{Computed: true, MarkdownDescription: d}
		},
		func(d string) dsschema.Attribute {
			return dsschema.BoolAttribute{Computed: true, MarkdownDescription: d}
		},
	)
}

// backupSharingResourceAttributes returns the flattened attributes as
// computed resource attributes. Every change to a sharing replaces it, so a
// computed value is unknown only when the sharing is created.
func backupSharingResourceAttributes() map[string]rsschema.Attribute {
	return sharingAttributes(
		func(d string) rsschema.Attribute {
			return rsschema.StringAttribute{Computed: true, MarkdownDescription: d}
		},
		func(d string) rsschema.Attribute {
			return rsschema.Int64Attribute{Computed: true, MarkdownDescription: d}
		},
		func(d string) rsschema.Attribute {
			return rsschema.BoolAttribute{Computed: true, MarkdownDescription: d}
		},
	)
}

// The state builders below write each object as one types.Object built with
// the framework's value types. State.Set of a model walks the model's struct
// by reflection on every call (issue #725 of terraform-plugin-framework:
// a regular expression compiled per field), which for a listing of 10,000
// sharings costs more than everything else in the read; an object of
// attr.Values is checked against its types and converted, nothing more.
// Each builder's test proves it writes exactly what State.Set of its model
// writes, so the models stay the documented shape of each object.

// String names the kind as the docs write a type.
func (k attributeKind) String() string {
	switch k {
	case kindInt64:
		return "Number"
	case kindBool:
		return "Boolean"
	default:
		return "String"
	}
}

// attrType is the value type of an attribute of this kind.
func (k attributeKind) attrType() attr.Type {
	switch k {
	case kindInt64:
		return types.Int64Type
	case kindBool:
		return types.BoolType
	default:
		return types.StringType
	}
}

// sharingItemType is one element of vbs_backup_sharings' `sharings`: the
// sharing's ID and its flattened attributes, typed from the table that
// documents them.
var sharingItemType = func() types.ObjectType {
	attrTypes := make(map[string]attr.Type, len(backupSharingAttributeDocs)+1)
	for _, doc := range backupSharingAttributeDocs {
		attrTypes[doc.name] = doc.kind.attrType()
	}
	attrTypes["id"] = types.StringType
	return types.ObjectType{AttrTypes: attrTypes}
}()

// namedValue is an attribute of an object beside the flattened ones.
type namedValue struct {
	name  string
	value attr.Value
}

// objectValues are the values of an object that shows a sharing: the
// flattened attributes and the object's own.
func (a *backupSharingAttributes) objectValues(own ...namedValue) map[string]attr.Value {
	values := make(map[string]attr.Value, len(backupSharingAttributeDocs)+len(own))
	for _, doc := range backupSharingAttributeDocs {
		values[doc.name] = doc.value(a)
	}
	for _, v := range own {
		values[v.name] = v.value
	}
	return values
}

// stateTarget is what tfsdk.State, tfsdk.Resource and tfsdk.ResourceIdentity
// share: a whole value written under their schema.
type stateTarget interface {
	Set(ctx context.Context, val any) diag.Diagnostics
}

// setObject writes values as the object of target's schema, whose attribute
// types are attrTypes. A missing, extra or mistyped attribute is an error
// diagnostic from types.ObjectValue, and nothing is written.
func setObject(ctx context.Context, target stateTarget, attrTypes map[string]attr.Type, values map[string]attr.Value) diag.Diagnostics {
	obj, diags := types.ObjectValue(attrTypes, values)
	if diags.HasError() {
		return diags
	}
	return append(diags, target.Set(ctx, obj)...)
}

// objectTypes returns the attribute types of the object a schema describes,
// computed from the schema once: a builder takes its types from the schema
// it writes under rather than from a copy that could drift from it.
func objectTypes[S interface{ Type() attr.Type }](schema func() S) func() map[string]attr.Type {
	return sync.OnceValue(func() map[string]attr.Type {
		if t, ok := schema().Type().(types.ObjectType); ok {
			return t.AttrTypes
		}
		// Not reached: every schema is an object. An empty map makes
		// types.ObjectValue report each attribute, not write a wrong state.
		return map[string]attr.Type{}
	})
}

// dataSourceTypes are the attribute types of a data source's state.
func dataSourceTypes(ds datasource.DataSource) func() map[string]attr.Type {
	return objectTypes(func() dsschema.Schema {
		var resp datasource.SchemaResponse
		ds.Schema(context.Background(), datasource.SchemaRequest{}, &resp)
		return resp.Schema
	})
}

// attributeTarget is a root attribute of a configuration and where Read
// wants its value.
type attributeTarget struct {
	name   string
	target any
}

// attributeSource is a configuration, plan or state to read attributes of.
type attributeSource interface {
	GetAttribute(ctx context.Context, p path.Path, target any) diag.Diagnostics
}

// getAttributes reads the attributes of a configuration or state that an
// operation uses, one GetAttribute each. Get of a whole model walks every
// field of the model by reflection, the computed ones too, which costs more
// than reading the few an operation needs (BENCHMARKS.md).
func getAttributes(ctx context.Context, config attributeSource, targets ...attributeTarget) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, t := range targets {
		diags.Append(config.GetAttribute(ctx, path.Root(t.name), t.target)...)
	}
	return diags
}
