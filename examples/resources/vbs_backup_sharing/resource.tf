terraform {
  required_providers {
    vbs = {
      source  = "vbs-tf/vbs"
      version = "~> 0.1"
    }
  }
}

# Project A shares its nightly database backup with each project that may
# restore from it. One resource is one sharing, so adding or removing a
# project shares or cancels just that one.
variable "restore_projects" {
  description = "IDs of the projects that may restore the nightly backup."
  type        = set(string)
  default = [
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0002",
  ]
}

resource "vbs_backup_sharing" "nightly" {
  for_each = var.restore_projects

  backup_id     = "1f0e6a52-0000-4000-8000-00000000b001"
  to_project_id = each.value

  timeouts = {
    create = "2m"
    delete = "2m"
  }
}

# Hand each receiving project the ID of its sharing.
output "sharing_ids" {
  value = { for project, sharing in vbs_backup_sharing.nightly : project => sharing.id }
}
