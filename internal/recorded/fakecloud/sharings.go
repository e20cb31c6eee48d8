package fakecloud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Sharings is a stateful stand-in for the VBS sharing API (spec §4), so that
// scenarios which create, list and delete sharings can be recorded. It keeps
// sharings in creation order and answers as the reference describes: create
// returns an array without backups, get and list embed the backup.
type Sharings struct {
	mu        sync.Mutex
	projectID string
	backups   map[string]map[string]any
	items     []map[string]any
	next      int
}

// NewSharings returns a store for the project that owns the token. Backups
// are the backup objects (spec §5.2) that sharings may point at, by ID.
func NewSharings(projectID string, backups ...map[string]any) *Sharings {
	s := &Sharings{projectID: projectID, backups: map[string]map[string]any{}}
	for _, b := range backups {
		s.backups[fmt.Sprint(b["id"])] = b
	}
	return s
}

// Add stores a sharing as the cloud would hold it; a missing ID is made up.
func (s *Sharings) Add(sharing map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(sharing)
}

func (s *Sharings) add(sharing map[string]any) string {
	if _, ok := sharing["id"]; !ok {
		s.next++
		sharing["id"] = fmt.Sprintf("5c3b1d9e-0000-4000-8000-%012d", s.next)
	}
	s.items = append(s.items, sharing)
	return fmt.Sprint(sharing["id"])
}

// withBackup is a sharing as get and list show it.
func (s *Sharings) withBackup(item map[string]any) map[string]any {
	out := make(map[string]any, len(item)+1)
	for k, v := range item {
		out[k] = v
	}
	if b, ok := s.backups[fmt.Sprint(item["backup_id"])]; ok {
		out["backup"] = b
	}
	return out
}

// serve answers one request under /v2/{project}/os-vendor-backup-sharing;
// it reports false for any other path.
func (s *Sharings) serve(w http.ResponseWriter, r *http.Request) bool {
	prefix := "/v2/" + s.projectID + "/os-vendor-backup-sharing"
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case rest == "" && r.Method == http.MethodPost:
		s.create(w, r)
	case rest == "/detail" && r.Method == http.MethodGet:
		matches := s.filter(r)
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		if err != nil || limit <= 0 {
			limit = len(matches)
		}
		page := []any{}
		for i := offset; i < len(matches) && i < offset+limit; i++ {
			page = append(page, s.withBackup(matches[i]))
		}
		writeJSON(w, http.StatusOK, nil, map[string]any{"shared": page})
	case rest == "/count" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, nil, map[string]any{"count": len(s.filter(r))})
	case strings.HasPrefix(rest, "/") && !strings.Contains(rest[1:], "/"):
		s.one(w, r, rest[1:])
	default:
		return false
	}
	return true
}

func (s *Sharings) create(w http.ResponseWriter, r *http.Request) {
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
	if _, ok := s.backups[req.Shared.BackupID]; !ok {
		writeJSON(w, http.StatusNotFound, nil, map[string]any{"error": map[string]any{"code": "VolumeBackup.0111", "message": "Backup " + req.Shared.BackupID + " does not exist."}})
		return
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

func (s *Sharings) one(w http.ResponseWriter, r *http.Request, id string) {
	i := slices.IndexFunc(s.items, func(item map[string]any) bool { return item["id"] == id })
	if i < 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"X-Request-Id": "req-fake-404"}, map[string]any{
			"itemNotFound": map[string]any{"code": 404, "message": "Backup sharing " + id + " could not be found."},
		})
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, nil, map[string]any{"shared": s.withBackup(s.items[i])})
	case http.MethodDelete:
		s.items = slices.Delete(s.items, i, i+1)
		w.WriteHeader(http.StatusOK)
	default:
		writeJSON(w, http.StatusMethodNotAllowed, nil, map[string]any{"error": map[string]any{"code": "405", "message": "Method not allowed."}})
	}
}

// filter applies the documented list filters. share_to_me=true lists what
// was shared with the caller's project; otherwise what it shared.
func (s *Sharings) filter(r *http.Request) []map[string]any {
	q := r.URL.Query()
	var out []map[string]any
	for _, item := range s.items {
		if q.Get("share_to_me") == "true" {
			if item["to_project_id"] != s.projectID {
				continue
			}
		} else if item["from_project_id"] != s.projectID {
			continue
		}
		b := s.backups[fmt.Sprint(item["backup_id"])]
		field := func(key string) string {
			if v, ok := item[key]; ok {
				return fmt.Sprint(v)
			}
			return fmt.Sprint(b[key])
		}
		keep := true
		for _, f := range [][2]string{
			{"backup_id", "backup_id"}, {"to_project_id", "to_project_id"}, {"from_project_id", "from_project_id"},
			{"volume_id", "volume_id"}, {"status", "status"}, {"availability_zone", "availability_zone"},
		} {
			if want := q.Get(f[0]); want != "" && field(f[1]) != want {
				keep = false
			}
		}
		if name := q.Get("name"); name != "" && !strings.Contains(fmt.Sprint(b["name"]), name) {
			keep = false
		}
		if keep {
			out = append(out, item)
		}
	}
	return out
}
