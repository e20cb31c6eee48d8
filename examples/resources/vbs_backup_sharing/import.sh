# A sharing is imported by its sharing ID (not the backup's ID).
terraform import vbs_backup_sharing.nightly ac0fb374-a288-4399-ac63-cc080a13a2ee
