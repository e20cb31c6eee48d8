# A sharing is imported by its sharing ID (not the backup's ID), here into the
# instance of the for_each example for one receiving project.
terraform import 'vbs_backup_sharing.nightly["aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"]' ac0fb374-a288-4399-ac63-cc080a13a2ee
