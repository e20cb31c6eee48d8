package testing

import (
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

func TestMatch(t *testing.T) {
	share := func(from, to string, b *sharing.Backup) *sharing.Share {
		return &sharing.Share{ID: "s", BackupID: backupID, FromProjectID: from, ToProjectID: to, Backup: b}
	}
	full := &sharing.Backup{Name: ptr("Nightly-DB"), Status: ptr("available"), AvailabilityZone: ptr("eu-de-01"), VolumeID: ptr("v1")}
	mine, toMe := share(projectID, toProject1, full), share(toProject1, projectID, full)
	for _, tc := range []struct {
		name      string
		opts      sharing.ListOpts
		share     *sharing.Share
		projectID string
		want      bool
	}{
		{"no filters", sharing.ListOpts{}, mine, projectID, true},
		{"backup_id", sharing.ListOpts{BackupID: backupID}, mine, projectID, true},
		{"other backup_id", sharing.ListOpts{BackupID: "other"}, mine, projectID, false},
		{"backup_id, none sent", sharing.ListOpts{BackupID: backupID}, &sharing.Share{FromProjectID: projectID}, projectID, false},
		{"from_project_id", sharing.ListOpts{FromProjectID: toProject1, ShareToMe: ptr(true)}, toMe, projectID, true},
		{"other from_project_id", sharing.ListOpts{FromProjectID: toProject2}, mine, projectID, false},
		{"to_project_id", sharing.ListOpts{ToProjectID: toProject1}, mine, projectID, true},
		{"other to_project_id", sharing.ListOpts{ToProjectID: toProject2}, mine, projectID, false},
		{"share_to_me unset wants mine", sharing.ListOpts{}, toMe, projectID, false},
		{"share_to_me false wants mine", sharing.ListOpts{ShareToMe: ptr(false)}, mine, projectID, true},
		{"share_to_me true wants made to me", sharing.ListOpts{ShareToMe: ptr(true)}, toMe, projectID, true},
		{"share_to_me true, mine", sharing.ListOpts{ShareToMe: ptr(true)}, mine, projectID, false},
		{"share_to_me without a project", sharing.ListOpts{ShareToMe: ptr(true)}, mine, "", true},
		{"volume_id", sharing.ListOpts{VolumeID: "v1"}, mine, projectID, true},
		{"other volume_id", sharing.ListOpts{VolumeID: "v2"}, mine, projectID, false},
		{"status", sharing.ListOpts{Status: "available"}, mine, projectID, true},
		{"other status", sharing.ListOpts{Status: "error"}, mine, projectID, false},
		{"availability_zone", sharing.ListOpts{AvailabilityZone: "eu-de-01"}, mine, projectID, true},
		{"other availability_zone", sharing.ListOpts{AvailabilityZone: "eu-de-02"}, mine, projectID, false},
		{"name, part of it in another case", sharing.ListOpts{Name: "LY-d"}, mine, projectID, true},
		{"other name", sharing.ListOpts{Name: "weekly"}, mine, projectID, false},
		// What the sharing does not say cannot contradict the server.
		{"no backup", sharing.ListOpts{VolumeID: "v2", Status: "error", AvailabilityZone: "x", Name: "y"}, share(projectID, toProject1, nil), projectID, true},
		{"null backup fields", sharing.ListOpts{VolumeID: "v2", Status: "error", AvailabilityZone: "x", Name: "y"}, share(projectID, toProject1, &sharing.Backup{}), projectID, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.opts.Match(tc.share, tc.projectID); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}
