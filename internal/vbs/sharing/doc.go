/*
Package sharing reads and manages VBS backup sharings: grants that make one
project's volume backup visible to another project
(/v2/{project_id}/os-vendor-backup-sharing).

The functions take a gophercloud service client whose endpoint already ends
in /v2/{project_id}/. Errors from HTTP responses are *vbs.APIError, carrying
the status, the service's error code and message, and the request ID;
vbs.IsNotFound tells a missing sharing apart.

Read one sharing by its sharing ID:

	share, err := sharing.Get(ctx, client, "5c3b1d9e-...").Extract()
	if vbs.IsNotFound(err) {
		// the sharing was cancelled, or never existed
	}
	if err != nil {
		return err
	}
	fmt.Println(share.ToProjectID, share.BackupID)

List every sharing other projects made to this one, paging through the
whole result, eight pages at a time once the count is known:

	shareToMe := true
	listing, err := sharing.ListAll(ctx, client, sharing.ListOpts{ShareToMe: &shareToMe},
		sharing.ListAllOpts{Concurrency: 8})
	if err != nil {
		return err
	}
	for _, s := range listing.Shares {
		fmt.Println(s.ID, s.FromProjectID)
	}

Share a backup with two projects, then cancel every sharing of it:

	shares, err := sharing.Create(ctx, client, sharing.CreateOpts{
		BackupID:     backupID,
		ToProjectIDs: []string{projectA, projectB},
	}).Extract()

	err = sharing.Delete(ctx, client, backupID, sharing.DeleteOpts{IsBackupID: true}).ExtractErr()
*/
package sharing
