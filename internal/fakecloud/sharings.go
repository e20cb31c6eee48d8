package fakecloud

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
)

// Sharings is a stateful stand-in for the VBS sharing API (spec §4), so that
// scenarios which create, list and delete sharings can be recorded, and so
// that a benchmark can read thousands. It answers as the reference
// describes: create returns an array without backups, get and list embed
// the backup. Every sharing's replies are rendered when it is stored, so
// that serving a read is a lookup and a write and the cloud is never what a
// benchmark measures.
type Sharings struct {
	projectID string

	mu      sync.RWMutex
	backups map[string]*backup
	order   []*record // creation order, deleted ones included and skipped
	byID    map[string]*record
	pairs   map[string]int // backup ID + " " + target project → live sharings
	live    int
	next    int // sharings stored without an ID so far
}

// backup is a backup object (spec §5.2) as sharings embed it.
type backup struct {
	fields map[string]any
	raw    json.RawMessage
}

// record is one sharing with what filters and sorting look at and its
// replies.
type record struct {
	id, backupID, from, to       string
	volumeID, status, zone, name string // the sharing's own value, else its backup's
	sizeKey, createdAt           string
	deleted                      bool
	item                         []byte // the list item, backup included
	get                          []byte // {"shared": item}
}

// NewSharings returns a store for the project that owns the token. Backups
// are the backup objects (spec §5.2) that sharings may point at, by ID.
func NewSharings(projectID string, backups ...map[string]any) *Sharings {
	s := &Sharings{
		projectID: projectID,
		backups:   make(map[string]*backup, len(backups)),
		byID:      map[string]*record{},
		pairs:     map[string]int{},
	}
	for _, b := range backups {
		s.addBackup(b)
	}
	return s
}

func (s *Sharings) addBackup(fields map[string]any) {
	s.backups[fmt.Sprint(fields["id"])] = &backup{fields: fields, raw: mustJSON(fields)}
}

// Add stores a sharing as the cloud would hold it; a missing ID is made up.
// It returns the ID.
func (s *Sharings) Add(sharing map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(sharing).id
}

// IDs lists the IDs of the sharings that exist now, oldest first.
func (s *Sharings) IDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, s.live)
	for _, r := range s.order {
		if !r.deleted {
			ids = append(ids, r.id)
		}
	}
	return ids
}

// add must be called with s.mu held or before the store is shared.
func (s *Sharings) add(sharing map[string]any) *record {
	if _, ok := sharing["id"]; !ok {
		s.next++
		sharing["id"] = fmt.Sprintf("5c3b1d9e-0000-4000-8000-%012d", s.next)
	}
	shown := make(map[string]any, len(sharing)+1)
	for k, v := range sharing {
		shown[k] = v
	}
	b := s.backups[text(sharing, "backup_id")]
	var backupFields map[string]any
	if b != nil {
		shown["backup"] = b.raw
		backupFields = b.fields
	}
	field := func(key string) string {
		if _, ok := sharing[key]; ok {
			return text(sharing, key)
		}
		return text(backupFields, key)
	}
	r := &record{
		id: text(sharing, "id"), backupID: field("backup_id"), from: field("from_project_id"), to: field("to_project_id"),
		volumeID: field("volume_id"), status: field("status"), zone: field("availability_zone"),
		name: text(backupFields, "name"), sizeKey: text(backupFields, "size"), createdAt: text(sharing, "created_at"),
		item: mustJSON(shown),
	}
	if n, err := strconv.Atoi(r.sizeKey); err == nil {
		// Sizes sort as numbers.
		r.sizeKey = fmt.Sprintf("%020d", n)
	}
	r.get = append(append([]byte(`{"shared":`), r.item...), '}')
	s.order = append(s.order, r)
	s.byID[r.id] = r
	s.pairs[r.backupID+" "+r.to]++
	s.live++
	return r
}

// remove must be called with s.mu held.
func (s *Sharings) remove(r *record) {
	r.deleted = true
	delete(s.byID, r.id)
	if s.pairs[r.backupID+" "+r.to]--; s.pairs[r.backupID+" "+r.to] == 0 {
		delete(s.pairs, r.backupID+" "+r.to)
	}
	s.live--
}

// text is m[key] as a filter compares it; "" when absent or null.
func text(m map[string]any, key string) string {
	v, ok := m[key]
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
