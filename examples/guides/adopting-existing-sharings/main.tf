terraform {
  required_providers {
    vbs = {
      source  = "vbs-tf/vbs"
      version = "~> 0.1"
    }
  }
}

# Configured from the OS_* environment variables of the project that made
# the sharings.
provider "vbs" {}
