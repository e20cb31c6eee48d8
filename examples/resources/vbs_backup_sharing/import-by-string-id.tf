# Terraform 1.5 and later can import with a block instead of a command.
import {
  to = vbs_backup_sharing.nightly["aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"]
  id = "ac0fb374-a288-4399-ac63-cc080a13a2ee"
}
