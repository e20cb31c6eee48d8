package fakecloud

import "encoding/json"

// SharingFullBody is the reference's constructed GET example (spec §5) with
// valid UUIDs in place of its placeholder IDs.
const SharingFullBody = `{"shared": {
  "id": "ac0fb374-a288-4399-ac63-cc080a13a2ee",
  "backup_id": "1f0e6a52-0000-4000-8000-00000000b001",
  "from_project_id": "ffffffffffffffffffffffffffff0000",
  "to_project_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001",
  "created_at": "2024-03-01T10:15:30.123456",
  "updated_at": null,
  "backup": {
    "id": "1f0e6a52-0000-4000-8000-00000000b001", "name": "nightly-db", "status": "available",
    "availability_zone": "eu-de-01", "volume_id": "9d2c0000-0000-4000-8000-000000000001",
    "size": 40, "object_count": null, "container": null, "description": null,
    "fail_reason": null, "snapshot_id": null, "service_metadata": null,
    "created_at": "2024-02-28T22:00:05.000000", "updated_at": "2024-02-28T22:07:41.554120",
    "data_timestamp": "2024-02-28T22:00:05.000000",
    "has_dependent_backups": null, "is_incremental": null
  }
}}`

// SharingSparseBody leaves out every key the docs do not show as always set.
const SharingSparseBody = `{"shared": {
  "id": "d5e8c3a1-7b2f-4c6d-9e0a-1b2c3d4e5f60",
  "backup_id": "1f0e6a52-0000-4000-8000-00000000b002",
  "from_project_id": "ffffffffffffffffffffffffffff0000",
  "to_project_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001",
  "backup": {"id": "1f0e6a52-0000-4000-8000-00000000b002", "name": "weekly-logs", "status": "available"}
}}`

// ExampleBackup is the backup SharingFullBody embeds (spec §5.2), with
// another ID and name, as NewSharings takes backups.
func ExampleBackup(id, name string) map[string]any {
	var body struct {
		Shared struct {
			Backup map[string]any `json:"backup"`
		} `json:"shared"`
	}
	if err := json.Unmarshal([]byte(SharingFullBody), &body); err != nil {
		panic(err)
	}
	body.Shared.Backup["id"], body.Shared.Backup["name"] = id, name
	return body.Shared.Backup
}
