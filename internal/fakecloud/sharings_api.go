package fakecloud

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// sharingOp parses /v2/{project}/os-vendor-backup-sharing[/...]: the
// project, the operation as a request kind, and the sharing (or backup) ID
// the path names. ok is false for any other path. A method the API does not
// have on a sharing's path is KindOther.
func sharingOp(method, path string) (project, kind, id string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", "", "", false
	}
	project, rest, _ = strings.Cut(rest, "/")
	rest, ok = strings.CutPrefix(rest, "os-vendor-backup-sharing")
	if !ok || project == "" {
		return "", "", "", false
	}
	switch {
	case rest == "" && method == http.MethodPost:
		return project, KindCreate, "", true
	case rest == "/detail" && method == http.MethodGet:
		return project, KindListPage, "", true
	case rest == "/count" && method == http.MethodGet:
		return project, KindCount, "", true
	case strings.HasPrefix(rest, "/") && len(rest) > 1 && !strings.Contains(rest[1:], "/"):
		switch method {
		case http.MethodGet:
			return project, KindSharingGet, rest[1:], true
		case http.MethodDelete:
			return project, KindDelete, rest[1:], true
		}
		return project, KindOther, rest[1:], true
	}
	return "", "", "", false
}

// quirks are the ways a server departs from the reference or from what a
// client would assume.
type quirks struct {
	maxPageSize     int
	ignoredFilters  []string
	allowDuplicates bool
}

// serve answers one request of the sharing API for the store's project; it
// reports false for any other path.
func (s *Sharings) serve(w http.ResponseWriter, r *http.Request, quirks quirks) bool {
	project, kind, id, ok := sharingOp(r.Method, r.URL.Path)
	if !ok || project != s.projectID {
		return false
	}
	switch kind {
	case KindCreate:
		s.create(w, r, quirks.allowDuplicates)
	case KindListPage:
		s.list(w, r, quirks)
	case KindCount:
		s.count(w, r, quirks)
	case KindDelete:
		s.delete(w, r, id)
	default:
		s.get(w, r, id)
	}
	return true
}

func writeSharingNotFound(w http.ResponseWriter, id string) {
	writeJSON(w, http.StatusNotFound, map[string]string{"X-Request-Id": "req-fake-404"}, map[string]any{
		"itemNotFound": map[string]any{"code": 404, "message": "Backup sharing " + id + " could not be found."},
	})
}

func (s *Sharings) get(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.RLock()
	rec := s.byID[id]
	s.mu.RUnlock()
	switch {
	case rec == nil:
		writeSharingNotFound(w, id)
	case r.Method != http.MethodGet:
		writeJSON(w, http.StatusMethodNotAllowed, nil, map[string]any{"error": map[string]any{"code": "405", "message": "Method not allowed."}})
	default:
		writeBytes(w, http.StatusOK, nil, rec.get)
	}
}

// listFilter holds the list and count filters. Semantics are the simplest
// reading of the reference: exact matches, a case-insensitive substring for
// the backup's name, and share_to_me=true for the sharings the caller's
// project received, otherwise those it made.
type listFilter struct {
	shareToMe                        bool
	volumeID, name, status, backupID string
	fromProjectID, toProjectID, zone string
	sortKey                          string
	desc                             bool
	limit, offset                    int
	hasLimit                         bool
}

func parseFilter(q url.Values, quirks quirks) (listFilter, error) {
	for _, name := range quirks.ignoredFilters {
		q.Del(name)
	}
	f := listFilter{
		volumeID: q.Get("volume_id"), name: strings.ToLower(q.Get("name")), status: q.Get("status"),
		backupID: q.Get("backup_id"), fromProjectID: q.Get("from_project_id"), toProjectID: q.Get("to_project_id"),
		zone: q.Get("availability_zone"), sortKey: q.Get("sort_key"),
	}
	// The reference spells the zone filter "avalilability_zone".
	if f.zone == "" {
		f.zone = q.Get("avalilability_zone")
	}
	if v := q.Get("share_to_me"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, fmt.Errorf("share_to_me %q is not a boolean", v)
		}
		f.shareToMe = b
	}
	for _, p := range []struct {
		name string
		into *int
	}{{"limit", &f.limit}, {"offset", &f.offset}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, fmt.Errorf("%s %q is not a non-negative integer", p.name, v)
		}
		*p.into = n
		if p.name == "limit" {
			f.hasLimit = true
		}
	}
	// Cinder's default, which the reference's created_at default suggests:
	// newest first.
	switch q.Get("sort_dir") {
	case "", "desc":
		f.desc = true
	case "asc":
	default:
		return f, fmt.Errorf("sort_dir %q is neither asc nor desc", q.Get("sort_dir"))
	}
	return f, nil
}

func (f *listFilter) match(projectID string, r *record) bool {
	switch {
	case r.deleted,
		f.shareToMe && r.to != projectID,
		!f.shareToMe && r.from != projectID,
		f.volumeID != "" && r.volumeID != f.volumeID,
		f.name != "" && !strings.Contains(strings.ToLower(r.name), f.name),
		f.status != "" && r.status != f.status,
		f.backupID != "" && r.backupID != f.backupID,
		f.fromProjectID != "" && r.from != f.fromProjectID,
		f.toProjectID != "" && r.to != f.toProjectID,
		f.zone != "" && r.zone != f.zone:
		return false
	}
	return true
}

// selectRecords returns the matching records in the requested order. Ties
// keep the order the sharings were made in, so offset paging is stable.
func (s *Sharings) selectRecords(f listFilter) []*record {
	s.mu.RLock()
	var out []*record
	for _, r := range s.order {
		if f.match(s.projectID, r) {
			out = append(out, r)
		}
	}
	s.mu.RUnlock()
	key := func(r *record) string { return r.createdAt }
	switch f.sortKey {
	case "id":
		key = func(r *record) string { return r.id }
	case "name":
		key = func(r *record) string { return r.name }
	case "status":
		key = func(r *record) string { return r.status }
	case "size":
		key = func(r *record) string { return r.sizeKey }
	}
	sort.SliceStable(out, func(i, j int) bool {
		if f.desc {
			return key(out[i]) > key(out[j])
		}
		return key(out[i]) < key(out[j])
	})
	return out
}

func (s *Sharings) list(w http.ResponseWriter, r *http.Request, quirks quirks) {
	f, err := parseFilter(r.URL.Query(), quirks)
	if err != nil {
		writeBadRequest(w, err.Error())
		return
	}
	page := s.selectRecords(f)
	page = page[min(f.offset, len(page)):]
	if f.hasLimit && f.limit < len(page) {
		page = page[:f.limit]
	}
	if quirks.maxPageSize > 0 && quirks.maxPageSize < len(page) {
		page = page[:quirks.maxPageSize]
	}
	var buf bytes.Buffer
	buf.WriteString(`{"shared":[`)
	for i, rec := range page {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(rec.item)
	}
	buf.WriteString("]}")
	writeBytes(w, http.StatusOK, nil, buf.Bytes())
}

func (s *Sharings) count(w http.ResponseWriter, r *http.Request, quirks quirks) {
	f, err := parseFilter(r.URL.Query(), quirks)
	if err != nil {
		writeBadRequest(w, err.Error())
		return
	}
	n := 0
	s.mu.RLock()
	for _, rec := range s.order {
		if f.match(s.projectID, rec) {
			n++
		}
	}
	s.mu.RUnlock()
	writeRaw(w, http.StatusOK, nil, fmt.Sprintf(`{"count":%d}`, n))
}

// create answers as §4.2 of the reference shows: an array with one item per
// project, without the backup and with null timestamps, so a client that
// wants the details must read the sharing again, as it would for real.
func (s *Sharings) create(w http.ResponseWriter, r *http.Request, allowDuplicates bool) {
	var req struct {
		Shared struct {
			BackupID     string   `json:"backup_id"`
			ToProjectIDs []string `json:"to_project_ids"`
		} `json:"shared"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Shared.BackupID == "" || len(req.Shared.ToProjectIDs) == 0 {
		writeJSON(w, http.StatusBadRequest, nil, map[string]any{"error": map[string]any{"code": "VolumeBackup.0001", "message": "Invalid request body."}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.backups[req.Shared.BackupID] == nil {
		writeJSON(w, http.StatusNotFound, nil, map[string]any{"error": map[string]any{"code": "VolumeBackup.0111", "message": "Backup " + req.Shared.BackupID + " does not exist."}})
		return
	}
	for _, to := range req.Shared.ToProjectIDs {
		if !allowDuplicates && s.pairs[req.Shared.BackupID+" "+to] > 0 {
			// The reference documents no error for this; the code is a
			// guess in the vendor shape this API's other create errors
			// take, so a client must not rely on it.
			writeJSON(w, http.StatusBadRequest, nil, map[string]any{"error": map[string]any{
				"code":    "VolumeBackup.0002",
				"message": fmt.Sprintf("Backup %s is already shared with project %s.", req.Shared.BackupID, to),
			}})
			return
		}
	}
	created := []any{}
	for _, to := range req.Shared.ToProjectIDs {
		item := map[string]any{
			"backup_id": req.Shared.BackupID, "from_project_id": s.projectID, "to_project_id": to,
			"created_at": "2024-03-01T10:15:30.123456", "updated_at": nil,
		}
		s.add(item)
		// The create response carries the deleted fields and no backup.
		shown := map[string]any{"deleted": nil, "deleted_at": nil}
		for k, v := range item {
			shown[k] = v
		}
		shown["created_at"] = nil
		created = append(created, shown)
	}
	writeJSON(w, http.StatusOK, nil, map[string]any{"shared": created})
}

// delete cancels one sharing, or with is_backup_id=true every sharing of
// the backup the path names.
func (s *Sharings) delete(w http.ResponseWriter, r *http.Request, id string) {
	byBackup, _ := strconv.ParseBool(r.URL.Query().Get("is_backup_id"))
	s.mu.Lock()
	n := 0
	if byBackup {
		for _, rec := range s.order {
			if !rec.deleted && rec.backupID == id {
				s.remove(rec)
				n++
			}
		}
	} else if rec := s.byID[id]; rec != nil {
		s.remove(rec)
		n++
	}
	s.mu.Unlock()
	if n == 0 {
		writeSharingNotFound(w, id)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func writeBadRequest(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusBadRequest, nil, map[string]any{"badRequest": map[string]any{"code": 400, "message": message}})
}
