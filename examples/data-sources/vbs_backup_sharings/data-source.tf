terraform {
  required_providers {
    vbs = {
      source  = "vbs-tf/vbs"
      version = "~> 0.1"
    }
  }
}

# In the receiving project: everything other projects shared with us.
data "vbs_backup_sharings" "received" {
  share_to_me = true
  status      = "available"
}

# Only what the database team's project shared, newest first.
data "vbs_backup_sharings" "from_db_team" {
  share_to_me     = true
  from_project_id = "ffffffffffffffffffffffffffff0000"
  sort_key        = "created_at"
  sort_dir        = "desc"
}

# Feed the backup IDs onward, for example to whatever restores them.
output "restorable_backups" {
  value = {
    for s in data.vbs_backup_sharings.received.sharings : s.backup_name => s.backup_id
  }
}

output "newest_db_backup" {
  value = try(data.vbs_backup_sharings.from_db_team.sharings[0].backup_id, null)
}
