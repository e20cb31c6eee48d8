package sharing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/gophercloud/gophercloud/v2"
)

// Share is one backup sharing: a backup of FromProjectID made visible to
// ToProjectID.
//
// Apart from the IDs every field is a pointer, nil when the API sent null or
// left the key out, so callers can tell "unknown" from "" or 0. Timestamps
// are the API's own strings (no zone, microseconds); vbs.ParseTimestamp
// reads them when a time.Time is needed.
type Share struct {
	// ID is the sharing ID, not the backup ID.
	ID            string `json:"id"`
	BackupID      string `json:"backup_id"`
	FromProjectID string `json:"from_project_id"`
	ToProjectID   string `json:"to_project_id"`

	CreatedAt *string `json:"created_at"`
	UpdatedAt *string `json:"updated_at"`

	// Deleted is documented as a string but only ever seen as null; a JSON
	// boolean is kept as "true" or "false".
	Deleted   *string `json:"deleted"`
	DeletedAt *string `json:"deleted_at"`

	// Backup is only sent by Get and the list; Create's response has none.
	Backup *Backup `json:"backup"`
}

// Backup is the shared backup as embedded in a sharing.
type Backup struct {
	ID               *string `json:"id"`
	Name             *string `json:"name"`
	Status           *string `json:"status"`
	Description      *string `json:"description"`
	AvailabilityZone *string `json:"availability_zone"`
	VolumeID         *string `json:"volume_id"`
	FailReason       *string `json:"fail_reason"`
	SnapshotID       *string `json:"snapshot_id"`

	// ServiceMetadata is an opaque string. If the server sends a JSON
	// object instead, its compact JSON text is kept.
	ServiceMetadata *string `json:"service_metadata"`
	Container       *string `json:"container"`

	// Size is in GB.
	Size        *int64 `json:"size"`
	ObjectCount *int64 `json:"object_count"`

	CreatedAt     *string `json:"created_at"`
	UpdatedAt     *string `json:"updated_at"`
	DataTimestamp *string `json:"data_timestamp"`

	// HasDependentBackups is read from "has_dependent_backups" (examples,
	// SDK) or "has_dependent_backup" (the reference's table); the plural
	// wins when both are set.
	HasDependentBackups *bool `json:"has_dependent_backups"`
	IsIncremental       *bool `json:"is_incremental"`
}

// UnmarshalJSON reads a sharing leniently (see the field comments), so that
// one oddly typed value does not fail a whole listing.
func (s *Share) UnmarshalJSON(b []byte) error {
	var w shareWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = w.share()
	return nil
}

// UnmarshalJSON reads a backup leniently; see Backup's field comments.
func (bk *Backup) UnmarshalJSON(b []byte) error {
	var w backupWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*bk = w.backup()
	return nil
}

// GetResult is the outcome of Get.
type GetResult struct {
	gophercloud.Result
}

// Extract returns the sharing, or the request's error.
func (r GetResult) Extract() (*Share, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	var w *shareWire
	switch body := r.Body.(type) {
	case *getBody:
		w = body.Shared
	default:
		// A Result built by hand, e.g. from a recorded response.
		var generic getBody
		if err := r.ExtractInto(&generic); err != nil {
			return nil, err
		}
		w = generic.Shared
	}
	if w == nil {
		return nil, errors.New("backup sharing response has no \"shared\" object")
	}
	s := w.share()
	return &s, nil
}

// CreateResult is the outcome of Create.
type CreateResult struct {
	gophercloud.Result
}

// Extract returns one sharing per target project, or the request's error.
// The API documents "shared" as an object but sends an array; both are
// accepted.
func (r CreateResult) Extract() ([]Share, error) {
	if r.Err != nil {
		return nil, r.Err
	}
	var raw json.RawMessage
	switch body := r.Body.(type) {
	case *createBody:
		raw = body.Shared
	default:
		var generic createBody
		if err := r.ExtractInto(&generic); err != nil {
			return nil, err
		}
		raw = generic.Shared
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, errors.New("backup sharing create response has no \"shared\" list")
	}
	if raw[0] == '{' {
		var w shareWire
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("decoding backup sharing create response: %w", err)
		}
		return []Share{w.share()}, nil
	}
	var ws []shareWire
	if err := json.Unmarshal(raw, &ws); err != nil {
		return nil, fmt.Errorf("decoding backup sharing create response: %w", err)
	}
	return appendShares(make([]Share, 0, len(ws)), ws), nil
}

// DeleteResult is the outcome of Delete.
type DeleteResult struct {
	gophercloud.ErrResult
}

// Response envelopes. They hold the wire types so a response is decoded
// once, from the stream, with no second pass through a generic map.
type (
	getBody struct {
		Shared *shareWire `json:"shared"`
	}
	listBody struct {
		Shared *[]shareWire `json:"shared"`
	}
	countBody struct {
		Count looseInt64 `json:"count"`
	}
	// createBody keeps "shared" raw: it may be an array or an object, and
	// the response is small.
	createBody struct {
		Shared json.RawMessage `json:"shared"`
	}
)

// shareWire and backupWire mirror Share and Backup with lenient field types.
// They have no UnmarshalJSON of their own, so nesting costs no extra pass
// over the bytes; only the leaf values run custom code.
type shareWire struct {
	ID            string      `json:"id"`
	BackupID      string      `json:"backup_id"`
	FromProjectID string      `json:"from_project_id"`
	ToProjectID   string      `json:"to_project_id"`
	CreatedAt     looseString `json:"created_at"`
	UpdatedAt     looseString `json:"updated_at"`
	Deleted       looseString `json:"deleted"`
	DeletedAt     looseString `json:"deleted_at"`
	Backup        *backupWire `json:"backup"`
}

type backupWire struct {
	ID                  looseString `json:"id"`
	Name                looseString `json:"name"`
	Status              looseString `json:"status"`
	Description         looseString `json:"description"`
	AvailabilityZone    looseString `json:"availability_zone"`
	VolumeID            looseString `json:"volume_id"`
	FailReason          looseString `json:"fail_reason"`
	SnapshotID          looseString `json:"snapshot_id"`
	ServiceMetadata     looseString `json:"service_metadata"`
	Container           looseString `json:"container"`
	Size                looseInt64  `json:"size"`
	ObjectCount         looseInt64  `json:"object_count"`
	CreatedAt           looseString `json:"created_at"`
	UpdatedAt           looseString `json:"updated_at"`
	DataTimestamp       looseString `json:"data_timestamp"`
	HasDependentBackups looseBool   `json:"has_dependent_backups"`
	HasDependentBackup  looseBool   `json:"has_dependent_backup"`
	IsIncremental       looseBool   `json:"is_incremental"`
}

func (w *shareWire) share() Share {
	s := Share{
		ID:            w.ID,
		BackupID:      w.BackupID,
		FromProjectID: w.FromProjectID,
		ToProjectID:   w.ToProjectID,
		CreatedAt:     w.CreatedAt.v,
		UpdatedAt:     w.UpdatedAt.v,
		Deleted:       w.Deleted.v,
		DeletedAt:     w.DeletedAt.v,
	}
	if w.Backup != nil {
		b := w.Backup.backup()
		s.Backup = &b
	}
	return s
}

func (w *backupWire) backup() Backup {
	hasDependent := w.HasDependentBackups.v
	if hasDependent == nil {
		hasDependent = w.HasDependentBackup.v
	}
	return Backup{
		ID:                  w.ID.v,
		Name:                w.Name.v,
		Status:              w.Status.v,
		Description:         w.Description.v,
		AvailabilityZone:    w.AvailabilityZone.v,
		VolumeID:            w.VolumeID.v,
		FailReason:          w.FailReason.v,
		SnapshotID:          w.SnapshotID.v,
		ServiceMetadata:     w.ServiceMetadata.v,
		Container:           w.Container.v,
		Size:                w.Size.v,
		ObjectCount:         w.ObjectCount.v,
		CreatedAt:           w.CreatedAt.v,
		UpdatedAt:           w.UpdatedAt.v,
		DataTimestamp:       w.DataTimestamp.v,
		HasDependentBackups: hasDependent,
		IsIncremental:       w.IsIncremental.v,
	}
}

func appendShares(dst []Share, ws []shareWire) []Share {
	for i := range ws {
		dst = append(dst, ws[i].share())
	}
	return dst
}

// looseString is a string that may arrive as null (nil), a string, a boolean
// or number (kept as its JSON text), or an object or array (kept as compact
// JSON text).
type looseString struct{ v *string }

func (l *looseString) UnmarshalJSON(b []byte) error {
	l.v = nil
	switch {
	case len(b) == 0 || isNull(b):
		return nil
	case b[0] == '"':
		// Most values have no escapes; slicing skips a second decoder run.
		// Invalid UTF-8 takes the slow path, where encoding/json replaces
		// it with U+FFFD as it does in every other string field: kept raw,
		// it would change on the next encode and could not go into state.
		if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			s := string(inner)
			l.v = &s
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		l.v = &s
	case b[0] == '{' || b[0] == '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return err
		}
		s := buf.String()
		l.v = &s
	default:
		s := string(b)
		l.v = &s
	}
	return nil
}

// looseInt64 is an integer that may arrive as null (nil), a JSON number, or
// a numeric string such as "40". An empty string counts as null.
type looseInt64 struct{ v *int64 }

func (l *looseInt64) UnmarshalJSON(b []byte) error {
	l.v = nil
	if len(b) == 0 || isNull(b) {
		return nil
	}
	text := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		if text == "" {
			return nil
		}
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		l.v = &n
		return nil
	}
	// Some serializers write 40.0 for an integer column.
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return fmt.Errorf("want an integer, got %s", b)
	}
	n := int64(f)
	l.v = &n
	return nil
}

// looseBool is a boolean that may arrive as null (nil), a JSON boolean, or a
// string strconv.ParseBool understands ("true", "False", "1"). An empty
// string counts as null.
type looseBool struct{ v *bool }

func (l *looseBool) UnmarshalJSON(b []byte) error {
	l.v = nil
	if len(b) == 0 || isNull(b) {
		return nil
	}
	text := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		if text == "" {
			return nil
		}
	}
	v, err := strconv.ParseBool(text)
	if err != nil {
		return fmt.Errorf("want a boolean, got %s", b)
	}
	l.v = &v
	return nil
}

func isNull(b []byte) bool {
	return len(b) == 4 && string(b) == "null"
}
