package fakecloud

import (
	"fmt"
	"time"
)

// SharingID, BackupID and VolumeID are the deterministic IDs of synthetic
// sharing i and its backup and disk; the variant nibble keeps the kinds
// apart at a glance.
func SharingID(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }

// BackupID is the backup shared by synthetic sharing i.
func BackupID(i int) string { return fmt.Sprintf("%08x-0000-4000-9000-%012x", i, i) }

// VolumeID is the disk of synthetic backup i; 100 backups share a disk, so
// the volume_id filter selects groups.
func VolumeID(i int) string { return fmt.Sprintf("%08x-0000-4000-a000-%012x", i/100, i/100) }

// TargetProject is the project synthetic sharing i is shared with; there are
// ten, so the to_project_id filter selects a tenth of the sharings.
func TargetProject(i int) string { return fmt.Sprintf("aaaaaaaaaaaaaaaaaaaaaaaaaaaa%04x", i%10) }

var syntheticStatuses = []string{"available", "available", "available", "available", "available", "available", "available", "available", "available", "error"}

// Synthetic returns a store holding n sharings that projectID made, numbered
// 0 to n-1, each of its own backup: every tenth backup is in error, the
// zone cycles through three, sizes through 10 to 99 GB, every fourth backup
// has a description, and sharing i was made one second after sharing i-1.
func Synthetic(projectID string, n int) *Sharings {
	s := NewSharings(projectID)
	s.byID = make(map[string]*record, n)
	s.pairs = make(map[string]int, n)
	s.backups = make(map[string]*backup, n)
	s.order = make([]*record, 0, n)
	for i := range n {
		created := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
		b := map[string]any{
			"id": BackupID(i), "name": fmt.Sprintf("backup-%05d", i), "status": syntheticStatuses[i%len(syntheticStatuses)],
			"availability_zone": fmt.Sprintf("eu-de-0%d", i%3+1), "volume_id": VolumeID(i), "size": 10 + i%90,
			"object_count": nil, "container": nil, "description": nil,
			"fail_reason": nil, "snapshot_id": nil, "service_metadata": nil,
			"created_at":            timestamp(created),
			"updated_at":            timestamp(created.Add(7*time.Minute + 41554120*time.Microsecond)),
			"data_timestamp":        timestamp(created),
			"has_dependent_backups": nil,
			"is_incremental":        i%2 == 1,
		}
		if i%4 == 0 {
			b["description"] = "nightly backup of " + VolumeID(i)
		}
		s.addBackup(b)
		s.add(map[string]any{
			"id": SharingID(i), "backup_id": BackupID(i), "from_project_id": projectID, "to_project_id": TargetProject(i),
			"created_at": timestamp(created.Add(time.Hour)), "updated_at": nil,
		})
	}
	return s
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }
