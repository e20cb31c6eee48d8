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

Or take each page as it arrives, holding no more than the pages in flight;
returning false stops the listing:

	_, err = sharing.ListEach(ctx, client, sharing.ListOpts{ShareToMe: &shareToMe},
		sharing.ListAllOpts{Concurrency: 8, ProjectID: projectID}, func(page []sharing.Share) bool {
			for _, s := range page {
				fmt.Println(s.ID, s.FromProjectID)
			}
			return true
		})

A listing applies its filters again to what the API returns (ListOpts.Match),
so a server that ignores one cannot widen the result.

Share a backup with two projects, then cancel every sharing of it:

	shares, err := sharing.Create(ctx, client, sharing.CreateOpts{
		BackupID:     backupID,
		ToProjectIDs: []string{projectA, projectB},
	}).Extract()

	err = sharing.Delete(ctx, client, backupID, sharing.DeleteOpts{IsBackupID: true}).ExtractErr()
*/
package sharing
