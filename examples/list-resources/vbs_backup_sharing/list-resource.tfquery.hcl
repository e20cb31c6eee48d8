# Every sharing this project made: the ones the vbs_backup_sharing resource
# can manage. include_resource brings each one's attributes, which
# `terraform query -generate-config-out=generated.tf` needs to write them
# down as configuration.
list "vbs_backup_sharing" "made" {
  provider         = vbs
  include_resource = true

  config {}
}

# The sharings of one backup, to one project.
list "vbs_backup_sharing" "nightly_to_staging" {
  provider = vbs

  config {
    backup_id     = "1f0e6a52-0000-4000-8000-00000000b001"
    to_project_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"
  }
}

# The sharings other projects made to this one, up to 500 of them.
list "vbs_backup_sharing" "received" {
  provider = vbs
  limit    = 500

  config {
    share_to_me = true
  }
}
