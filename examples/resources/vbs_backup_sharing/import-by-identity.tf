# Terraform 1.12 and later (and OpenTofu 1.12) can import by the sharing's
# identity as well. This is a fragment of the example usage above, like the
# block before it.
import {
  to = vbs_backup_sharing.nightly["aaaaaaaaaaaaaaaaaaaaaaaaaaaa0002"]
  identity = {
    id = "5c3b1d9e-0000-4000-8000-000000000002"
  }
}
