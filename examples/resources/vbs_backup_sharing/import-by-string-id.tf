# Terraform 1.5 and later can import with a block instead of a command. This
# is a fragment: it goes into the configuration of the example usage above,
# next to the for_each resource it imports into.
import {
  to = vbs_backup_sharing.nightly["aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"]
  id = "ac0fb374-a288-4399-ac63-cc080a13a2ee"
}
