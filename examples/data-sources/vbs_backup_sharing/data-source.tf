terraform {
  required_providers {
    vbs = {
      source  = "vbs-tf/vbs"
      version = "~> 0.1"
    }
  }
}

# Project A shared its nightly database backup with project B and handed over
# the sharing's ID. Project B, configured here, reads the sharing to learn
# which backup it may restore from.
data "vbs_backup_sharing" "nightly" {
  id = "ac0fb374-a288-4399-ac63-cc080a13a2ee"
}

# Refuse to go on unless the backup is ready and really comes from project A.
check "shared_backup_is_usable" {
  assert {
    condition     = data.vbs_backup_sharing.nightly.backup_status == "available"
    error_message = "The shared backup is not available for restore yet."
  }
  assert {
    condition     = data.vbs_backup_sharing.nightly.from_project_id == "ffffffffffffffffffffffffffff0000"
    error_message = "The sharing does not come from the expected project."
  }
}

# The backup ID feeds whatever restores the backup in project B, for example
# a disk created from it.
output "backup_to_restore" {
  value = data.vbs_backup_sharing.nightly.backup_id
}

output "backup_size_gb" {
  value = data.vbs_backup_sharing.nightly.backup_size
}

# Without the sharing's ID: look the sharing up by the backup's ID. Exactly
# one sharing must match; share_to_me searches the sharings made to us.
data "vbs_backup_sharing" "by_backup" {
  backup_id   = "1f0e6a52-0000-4000-8000-00000000b001"
  share_to_me = true
}
