# Without required_providers Terraform would look for hashicorp/vbs.
terraform {
  required_providers {
    vbs = {
      source  = "vbs-tf/vbs"
      version = "~> 0.1"
    }
  }
}

# Every setting can come from the OS_* environment variables that OpenStack
# and Open Telekom Cloud tools already use; an empty block is enough then.
provider "vbs" {}

# The same, written out. Secrets belong in the environment (OS_PASSWORD) or
# in a variable marked sensitive, never in the configuration.
provider "vbs" {
  alias       = "explicit"
  auth_url    = "https://iam.eu-de.otc.t-systems.com/v3"
  region      = "eu-de"
  domain_name = "OTC-EU-DE-00000000001000000001"
  project_id  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"
  user_name   = "backup-operator"
  password    = var.otc_password
}

# A private deployment whose catalog lists no VBS service.
provider "vbs" {
  alias = "override"
  endpoints = {
    vbs = "https://vbs.eu-de.otc.t-systems.com/v2/{project_id}"
  }
}

variable "otc_password" {
  type      = string
  sensitive = true
}
