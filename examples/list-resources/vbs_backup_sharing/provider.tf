# The configuration (.tf) beside the query file: the provider as usual,
# configured from the OS_* environment variables here.
terraform {
  required_providers {
    vbs = {
      source  = "vbs-tf/vbs"
      version = "~> 0.1"
    }
  }
}

provider "vbs" {}
