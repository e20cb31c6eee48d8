# Every sharing this project made, with the attributes needed to write it
# down as configuration.
list "vbs_backup_sharing" "existing" {
  provider         = vbs
  include_resource = true

  config {}
}
