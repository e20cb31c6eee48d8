package provider

import (
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
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

// backupSharingAttributeDocs describes each flattened attribute once; the
// schemas of the data sources and the resource are built from it.
var backupSharingAttributeDocs = []struct {
	name        string
	kind        attributeKind
	description string
}{
	{"backup_id", kindString, "ID of the shared backup. Restore from this backup in the receiving project."},
	{"from_project_id", kindString, "ID of the project that shared the backup."},
	{"to_project_id", kindString, "ID of the project the backup is shared with."},
	{"created_at", kindString, "When the sharing was created, as the API writes it (`2024-03-01T10:15:30.123456`, UTC, no zone). Null when the API gives none."},
	{"updated_at", kindString, "When the sharing was last updated, as the API writes it. Null when the API gives none, which is usual for a sharing never changed."},
	{"backup_name", kindString, "Name of the shared backup."},
	{"backup_status", kindString, "Status of the shared backup, for example `available`. Only an `available` backup can be restored."},
	{"backup_description", kindString, "Description of the shared backup. Null when it has none."},
	{"backup_size", kindInt64, "Size of the shared backup in GB."},
	{"backup_created_at", kindString, "When the backup was created, as the API writes it."},
	{"backup_updated_at", kindString, "When the backup was last updated, as the API writes it."},
	{"availability_zone", kindString, "Availability zone of the backup, for example `eu-de-01`."},
	{"volume_id", kindString, "ID of the EVS disk the backup was taken from."},
	{"snapshot_id", kindString, "ID of the snapshot the backup was made from. Null when the API gives none."},
	{"container", kindString, "Object storage container holding the backup data. Null when the API gives none."},
	{"object_count", kindInt64, "Number of objects the backup is stored in. Null when the API gives none."},
	{"fail_reason", kindString, "Why the backup failed, if it did. The API may fill it even for an `available` backup."},
	{"data_timestamp", kindString, "Point in time of the data in the backup, as the API writes it."},
	{"service_metadata", kindString, "The backup's service metadata: an opaque string from the API. Null when the API gives none."},
	{"has_dependent_backups", kindBool, "Whether incremental backups depend on this backup. Null when the API leaves it out, which it often does."},
	{"is_incremental", kindBool, "Whether the backup is incremental. Null when the API leaves it out, which it often does."},
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
