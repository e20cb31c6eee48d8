package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
	"github.com/vbs-tf/terraform-provider-vbs/internal/transport"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// The API takes no idempotency key, so a create whose answer was lost can
// only be told apart from one that never happened by looking. The rules,
// which the resource's documentation repeats for users:
//
//   - A create that failed in a way that may have carried it out (the
//     connection broke after the request went out, the answer was cut off,
//     a 5xx, the timeout ran out) is reconciled before it is sent again or
//     reported: the sharings of the backup to the project are listed. One:
//     it is this create's result and goes into the state. None: the POST is
//     sent again, unless the cloud answered 2xx (cut off, empty, not JSON):
//     then it was carried out, and after a few more looks the create fails
//     saying the sharing may exist. Several: an error names them all.
//   - A create the API refused (4xx) is looked up once: when the backup is
//     already shared with the project, the error names that sharing and
//     shows the import block that adopts it. It is never adopted silently,
//     unless an earlier send of this same create may have made it.
//   - A create that cannot have reached the cloud (no connection, 429) was
//     already retried by the transport and is reported.
//
// A delete whose answer was lost is sent again (DELETE is idempotent), and
// a sharing that is gone counts as deleted.

// createSends is how often one create may send its POST: the first time,
// and again after each reconciliation that found nothing, as often as
// max_retries lets any request be sent again.
func createSends(s client.Settings) int {
	switch {
	case s.MaxRetries < 0:
		return 1 + transport.DefaultRetryOptions().MaxRetries
	default:
		return 1 + s.MaxRetries
	}
}

// reconcileGrace is how long looking for a sharing may take after the
// create's own timeout ran out while its request was out: without the look,
// a sharing made in the last moment would exist outside the state.
const reconcileGrace = time.Minute

// createSharing shares backupID with toProjectID once, whatever the network
// does, and returns the sharing's ID; "" with the reason in the operation's
// diagnostics when there is none to put into the state.
func createSharing(op *operation, what subject, backupID, toProjectID string) string {
	opts := sharing.CreateOpts{BackupID: backupID, ToProjectIDs: []string{toProjectID}}
	// lost is the first failure after which the create may have been
	// carried out, nil while every send is known to have done nothing.
	var lost error
	for send := 1; ; send++ {
		created, err := sharing.Create(op.ctx, op.conn.VBS, opts).Extract()
		// accepted is set when the cloud answered 2xx: it carried the
		// create out, whatever became of the answer's body.
		accepted := err == nil
		if err == nil {
			for _, s := range created {
				if s.ToProjectID == toProjectID && s.ID != "" {
					return s.ID
				}
			}
			// Accepted, but the answer does not name the sharing: it was
			// made, and only a look can find it.
			err = fmt.Errorf("the API accepted the request but its answer lists no sharing to project %s (it listed %d)", toProjectID, len(created))
		}
		class := failure.Classify(err).Class
		outcome := class.WriteOutcome()
		switch class {
		case failure.CutBody, failure.EmptyBody, failure.NotJSON:
			accepted = true
		}
		if outcome == failure.NotActed && lost == nil {
			// Sent again by the transport as long as that was allowed.
			op.fail(what, err)
			return ""
		}
		if class == failure.Cancelled {
			op.diags.AddError(capitalize(what.doing)+" was interrupted",
				"Terraform stopped the provider before the create's answer arrived, so the backup may have been shared. "+
					lostSharingAdvice(backupID, toProjectID))
			return ""
		}

		if outcome == failure.Refused && lost == nil && class != failure.Rejected {
			// Refused for who is asking or where: no sharing to look for.
			op.fail(what, err)
			return ""
		}

		found, lookupErr := lookUpMade(op, backupID, toProjectID, accepted)
		switch {
		case outcome == failure.Refused && lost == nil:
			// Refused as it stands: when the backup is already shared with
			// the project, that is why, and the user needs its ID.
			if lookupErr == nil && len(found) > 0 {
				alreadyShared(op, backupID, toProjectID, found, err)
				return ""
			}
			op.fail(what, err)
			return ""
		case lookupErr != nil:
			cause := err
			if lost != nil {
				cause = lost
			}
			op.diags.AddError(capitalize(what.doing)+" may have succeeded",
				fmt.Sprintf("The answer to the create was lost (%v), and looking for the sharing it may have made failed "+
					"too: %v\n\n%s", cause, lookupErr, lostSharingAdvice(backupID, toProjectID)))
			return ""
		case len(found) == 1:
			if lost == nil {
				lost = err
			}
			op.diags.AddWarning("Took a sharing whose create answer was lost into the state",
				fmt.Sprintf("The answer to sharing backup %s with project %s was lost (%v). Looking for it found sharing %s, "+
					"which this create made; it is now in the state.", backupID, toProjectID, lost, found[0].ID))
			return found[0].ID
		case len(found) > 1:
			several(op, backupID, toProjectID, found, err)
			return ""
		case outcome == failure.Refused:
			// An earlier send may have been carried out, yet nothing is
			// there and this one was refused: report the refusal.
			op.fail(what, err)
			return ""
		}
		if lost == nil {
			lost = err
		}
		if accepted {
			// Carried out, yet not listed: sending it again could share the
			// backup twice.
			op.diags.AddError(capitalize(what.doing)+" may have succeeded",
				fmt.Sprintf("The cloud accepted the create, but its answer did not say which sharing it made (%v), and "+
					"looking for it found none so far.\n\n%s", err, lostSharingAdvice(backupID, toProjectID)))
			return ""
		}
		if send >= createSends(op.settings) || op.ctx.Err() != nil {
			op.fail(what, err)
			return ""
		}
		// Nothing was made: sending again cannot share the backup twice.
	}
}

// lookupContext is the operation's context, or when the operation's
// timeout ran out, a short extension of it, so that a create cut off by its
// timeout still looks for what it may have made. An interrupt is never
// extended: once Terraform cancels the operation, before or during the
// extension, the lookup stops at once.
func lookupContext(op *operation) (context.Context, context.CancelFunc) {
	if op.ctx.Err() == nil || errors.Is(op.parent.Err(), context.Canceled) {
		return context.WithCancel(op.ctx)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(op.parent), reconcileGrace)
	stop := context.AfterFunc(op.parent, func() {
		if errors.Is(op.parent.Err(), context.Canceled) {
			cancel()
		}
	})
	return ctx, func() {
		stop()
		cancel()
	}
}

// lookUpTries is how often a create looks for what it may have made: a
// lookup that fails in a way a retry may cure, or that finds nothing after
// a create the cloud accepted (its listing may lag behind), is made again
// after lookUpPause, then twice that, within the create's timeout.
const (
	lookUpTries = 3
	lookUpPause = 500 * time.Millisecond
)

// lookUpMade lists the sharings of backupID to toProjectID after a create
// whose outcome is in doubt, fresh from the cloud each time, never from
// the command's shared reads.
func lookUpMade(op *operation, backupID, toProjectID string, accepted bool) ([]sharing.Share, error) {
	ctx, cancel := lookupContext(op)
	defer cancel()
	pause := lookUpPause
	for try := 1; ; try++ {
		found, err := sharingsOf(ctx, op, backupID, toProjectID)
		again := (err != nil && failure.Policies[failure.Classify(err).Class].RetrySafe && ctx.Err() == nil) ||
			(err == nil && len(found) == 0 && accepted)
		if !again || try >= lookUpTries {
			return found, err
		}
		select {
		case <-ctx.Done():
			return found, err
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// sharingsOf lists the sharings of backupID to toProjectID that this
// project made, fresh from the cloud; the listing applies the filters again
// to what the server returns, so a server that ignores one cannot make an
// unrelated sharing look like the one the create made.
func sharingsOf(ctx context.Context, op *operation, backupID, toProjectID string) ([]sharing.Share, error) {
	opts := sharing.ListOpts{BackupID: backupID, ToProjectID: toProjectID}
	listing, err := sharing.ListAll(ctx, op.conn.VBS, opts, sharing.ListAllOpts{ProjectID: op.conn.ProjectID})
	if err != nil {
		return nil, err
	}
	return listing.Shares, nil
}

// alreadyShared reports a create refused because the backup is already
// shared with the project, with the import block that adopts the sharing.
func alreadyShared(op *operation, backupID, toProjectID string, found []sharing.Share, err error) {
	if len(found) > 1 {
		several(op, backupID, toProjectID, found, err)
		return
	}
	op.diags.AddAttributeError(path.Root("to_project_id"), fmt.Sprintf("Backup %s is already shared with project %s", backupID, toProjectID),
		fmt.Sprintf("The VBS API refused to share it again. The existing sharing is %s. To manage it with this resource, "+
			"import it (replace the address with this resource's):\n\n"+
			"import {\n  to = vbs_backup_sharing.example\n  id = %q\n}\n\n"+
			"or remove this resource if the sharing is managed elsewhere.\n\n%s", found[0].ID, found[0].ID, apiText(err)))
}

// several reports more sharings of one backup to one project than one.
func several(op *operation, backupID, toProjectID string, found []sharing.Share, err error) {
	ids := make([]string, len(found))
	for i, s := range found {
		ids[i] = s.ID
	}
	op.diags.AddAttributeError(path.Root("to_project_id"),
		fmt.Sprintf("Backup %s is shared with project %s %d times", backupID, toProjectID, len(found)),
		fmt.Sprintf("Looking for the sharing this create made found %d sharings of backup %s to project %s:\n  %s\n\n"+
			"None of them was taken into the state, since it cannot be told which one this create made. Keep one: import "+
			"it with an import block (id = one of the IDs above) and cancel the others, then apply again.\n\nThe create "+
			"failed with: %s", len(found), backupID, toProjectID, strings.Join(ids, "\n  "), apiText(err)))
}

// lostSharingAdvice tells how to find a sharing that may exist outside the
// state.
func lostSharingAdvice(backupID, toProjectID string) string {
	return fmt.Sprintf("Before applying again, look for it: the vbs_backup_sharings data source with backup_id = %q and "+
		"to_project_id = %q, or terraform query with a list \"vbs_backup_sharing\" block. If it exists, import it into "+
		"this resource; if it does not, apply again.", backupID, toProjectID)
}

// apiText is an error as the user should read it: the API's answer when
// there is one.
func apiText(err error) string {
	var api *vbs.APIError
	if errors.As(err, &api) {
		return api.Error()
	}
	return err.Error()
}

// deleteSharing cancels a sharing. DELETE is idempotent: the transport
// sends it again when its answer is lost, and a sharing that is gone, on
// the first answer or a later one, counts as cancelled. When the retries
// run out on a failure that may have gone through, a read settles it.
func deleteSharing(op *operation, what subject, id string) {
	err := sharing.Delete(op.ctx, op.conn.VBS, id, sharing.DeleteOpts{}).ExtractErr()
	if err == nil || vbs.IsNotFound(err) {
		return
	}
	if failure.Classify(err).Class.WriteOutcome() == failure.MaybeActed {
		ctx, cancel := lookupContext(op)
		_, getErr := sharing.Get(ctx, op.conn.VBS, id).Extract()
		cancel()
		if vbs.IsNotFound(getErr) {
			return
		}
	}
	op.fail(what, err)
}
