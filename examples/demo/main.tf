# Used by `make demo`: reads the sharing recorded from the API reference's
# example and shows every attribute. Settings come from OS_* variables.
terraform {
  required_providers {
    vbs = {
      source  = "vbs-tf/vbs"
      version = "~> 0.1"
    }
  }
}

provider "vbs" {}

data "vbs_backup_sharing" "nightly" {
  id = "ac0fb374-a288-4399-ac63-cc080a13a2ee"
}

output "sharing" {
  value = data.vbs_backup_sharing.nightly
}
