package sharing

import "strings"

// Match reports whether s is a sharing that opts selects, for a caller in
// project projectID ("" when it is not known). The listings apply it to
// what the API returns, so that a server which ignores a filter (the
// reference misspells one, and the service is no longer maintained) cannot
// widen a result.
//
// BackupID, FromProjectID and ToProjectID must equal the sharing's own
// values. ShareToMe true wants the sharing made to projectID, false or nil
// the sharing made by it; without projectID that rule is left to the
// server. VolumeID, Status and AvailabilityZone must equal the embedded
// backup's values, and Name must be a substring of the backup's name in any
// case (the API says it matches fuzzily).
//
// A sharing that carries no value for one of the backup's fields (no
// embedded backup, or null) is kept as far as that field goes: nothing it
// says contradicts the server's filter, and dropping it would hide a
// sharing that really matches from a server that leaves the field out. The
// sharing's own IDs are always sent, so their filters are always checked.
func (opts ListOpts) Match(s *Share, projectID string) bool {
	if (opts.BackupID != "" && s.BackupID != opts.BackupID) ||
		(opts.FromProjectID != "" && s.FromProjectID != opts.FromProjectID) ||
		(opts.ToProjectID != "" && s.ToProjectID != opts.ToProjectID) {
		return false
	}
	if projectID != "" {
		if opts.ShareToMe != nil && *opts.ShareToMe {
			if s.ToProjectID != projectID {
				return false
			}
		} else if s.FromProjectID != projectID {
			return false
		}
	}
	var b Backup
	if s.Backup != nil {
		b = *s.Backup
	}
	return unsetOrEqual(b.VolumeID, opts.VolumeID) && unsetOrEqual(b.Status, opts.Status) &&
		unsetOrEqual(b.AvailabilityZone, opts.AvailabilityZone) &&
		(opts.Name == "" || b.Name == nil || strings.Contains(strings.ToLower(*b.Name), strings.ToLower(opts.Name)))
}

// unsetOrEqual is true when no filter is set, the sharing has no value, or
// the value is the filter's.
func unsetOrEqual(value *string, filter string) bool {
	return filter == "" || value == nil || *value == filter
}
