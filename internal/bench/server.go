// Package bench measures the provider's request economy and speed through the
// real Terraform CLI: a synthetic cloud (Keystone v3 and the VBS sharing API)
// holding any number of sharings with a configurable latency, configuration
// generators, and a runner that times Terraform and records the provider
// process's CPU and peak memory. cmd/benchrun drives it; smoke_test.go runs a
// small case inside `go test` and asserts request counts, never times.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The identity every synthetic token carries. The server accepts any
// password, so these only need to look like a real account's.
const (
	ProjectID   = "ffffffffffffffffffffffffffff0000"
	ProjectName = "eu-de_bench"
	DomainID    = "5e6f7a8b9c0d4e2f8a4b5c6d7e8f9a0b"
	DomainName  = "OTC00000000001000000042"
	UserName    = "tf-bench"
	Password    = "bench-password"
	Region      = "eu-de"
	token       = "bench-token"
)

// Request kinds, as counted by the server.
const (
	KindToken        = "token"
	KindCatalog      = "catalog"
	KindSharingGet   = "sharing_get"
	KindListPage     = "list_page"
	KindCount        = "count"
	KindCreate       = "create"
	KindDelete       = "delete"
	KindUnauthorized = "unauthorized"
	KindOther        = "other"
)

// Gauges reported by Counts beside the request kinds.
const (
	// CountRequests is every counted request.
	CountRequests = "requests"
	// CountConnections is TCP connections accepted: with connection reuse it
	// stays near the client's concurrency, not the number of requests.
	CountConnections = "connections"
	// CountMaxInFlight is the most requests being served at one moment; a
	// client lock that serialises requests keeps it at 1.
	CountMaxInFlight = "max_in_flight"
)

var kinds = []string{KindToken, KindCatalog, KindSharingGet, KindListPage, KindCount, KindCreate, KindDelete, KindUnauthorized, KindOther}

// SharingID, BackupID and VolumeID are the deterministic IDs of synthetic
// object i; the variant nibble keeps the three kinds apart at a glance.
func SharingID(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }

// BackupID is the backup shared by synthetic sharing i.
func BackupID(i int) string { return fmt.Sprintf("%08x-0000-4000-9000-%012x", i, i) }

// VolumeID is the disk of synthetic backup i; 100 backups share a disk, so
// the volume_id filter selects groups.
func VolumeID(i int) string { return fmt.Sprintf("%08x-0000-4000-a000-%012x", i/100, i/100) }

// TargetProject is the project synthetic sharing i is shared with; there are
// ten, so the to_project_id filter selects a tenth of the sharings.
func TargetProject(i int) string { return fmt.Sprintf("aaaaaaaaaaaaaaaaaaaaaaaaaaaa%04x", i%10) }

// createdID names the n-th sharing created through the API, in its own ID
// range so it never collides with a synthetic one.
func createdID(n int) string { return fmt.Sprintf("%08x-0000-4000-c000-%012x", n, n) }

// Options configure Start.
type Options struct {
	// Sharings is how many synthetic sharings exist at start.
	Sharings int
	// Latency is added before every response, the token's included.
	Latency time.Duration
	// Addr is the listen address; empty means 127.0.0.1 on a free port.
	Addr string
}

// Server is the synthetic cloud. It is safe for concurrent use.
type Server struct {
	listener net.Listener
	http     *http.Server
	url      string
	latency  atomic.Int64

	mu      sync.RWMutex
	order   []*record // creation order, deleted ones included and skipped
	byID    map[string]*record
	backups map[string][]byte  // backup ID → rendered backup object
	pairs   map[string]*record // backup ID + target project → live sharing
	created int

	counts      map[string]*atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	connections atomic.Int64
	requests    atomic.Int64
}

// record is one sharing with its responses rendered once, so that serving a
// read is a map lookup and a write, and the server is never the bottleneck.
type record struct {
	id, backupID, fromProject, toProject string
	volumeID, name, status, zone         string
	size                                 int
	createdAt                            string
	deleted                              bool
	item                                 []byte // the list item, with the backup
	get                                  []byte // {"shared": item}
}

// Start listens and serves until Close.
func Start(opts Options) (*Server, error) {
	if opts.Sharings < 0 {
		return nil, fmt.Errorf("bench: %d sharings", opts.Sharings)
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		listener: ln,
		url:      "http://" + ln.Addr().String(),
		byID:     make(map[string]*record, opts.Sharings),
		backups:  make(map[string][]byte, opts.Sharings),
		pairs:    make(map[string]*record, opts.Sharings),
		counts:   make(map[string]*atomic.Int64, len(kinds)),
	}
	for _, k := range kinds {
		s.counts[k] = new(atomic.Int64)
	}
	s.latency.Store(int64(opts.Latency))
	for i := 0; i < opts.Sharings; i++ {
		s.addSynthetic(i)
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				s.connections.Add(1)
			}
		},
	}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// URL is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.url }

// AuthURL is the Keystone v3 URL to give the provider.
func (s *Server) AuthURL() string { return s.url + "/v3" }

// SetLatency changes the latency for later requests.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Close stops the server and drops open connections.
func (s *Server) Close() error { return s.http.Close() }

// SharingIDs lists the IDs of the sharings that exist now, oldest first.
func (s *Server) SharingIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.byID))
	for _, r := range s.order {
		if !r.deleted {
			ids = append(ids, r.id)
		}
	}
	return ids
}

// Counts returns the requests counted by kind since the last ResetCounts,
// plus the gauges CountRequests, CountConnections and CountMaxInFlight.
func (s *Server) Counts() map[string]int64 {
	m := make(map[string]int64, len(kinds)+3)
	for _, k := range kinds {
		m[k] = s.counts[k].Load()
	}
	m[CountRequests] = s.requests.Load()
	m[CountConnections] = s.connections.Load()
	m[CountMaxInFlight] = s.maxInFlight.Load()
	return m
}

// ResetCounts zeroes the counters and gauges. Connections already open stay
// open and are not counted again: reset between Terraform runs, when the
// previous run's provider has exited and closed them.
func (s *Server) ResetCounts() {
	for _, c := range s.counts {
		c.Store(0)
	}
	s.requests.Store(0)
	s.connections.Store(0)
	s.maxInFlight.Store(s.inFlight.Load())
}

var statuses = []string{"available", "available", "available", "available", "available", "available", "available", "available", "available", "error"}

func (s *Server) addSynthetic(i int) {
	created := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	r := &record{
		id:          SharingID(i),
		backupID:    BackupID(i),
		fromProject: ProjectID,
		toProject:   TargetProject(i),
		volumeID:    VolumeID(i),
		name:        fmt.Sprintf("bench-backup-%05d", i),
		status:      statuses[i%len(statuses)],
		zone:        fmt.Sprintf("eu-de-0%d", i%3+1),
		size:        10 + i%90,
		createdAt:   timestamp(created.Add(time.Hour)),
	}
	backup := map[string]any{
		"id": r.backupID, "name": r.name, "status": r.status,
		"availability_zone": r.zone, "volume_id": r.volumeID, "size": r.size,
		"object_count": nil, "container": nil, "description": nil,
		"fail_reason": nil, "snapshot_id": nil, "service_metadata": nil,
		"created_at":            timestamp(created),
		"updated_at":            timestamp(created.Add(7*time.Minute + 41554120*time.Microsecond)),
		"data_timestamp":        timestamp(created),
		"has_dependent_backups": nil,
		"is_incremental":        i%2 == 1,
	}
	if i%4 == 0 {
		backup["description"] = "nightly backup of " + r.volumeID
	}
	s.backups[r.backupID] = mustJSON(backup)
	s.insert(r, nil)
}

// insert renders a record's responses and stores it. updatedAt nil is sent
// as null, as in the reference's GET example.
func (s *Server) insert(r *record, updatedAt *string) {
	backup := s.backups[r.backupID]
	if backup == nil {
		backup = mustJSON(map[string]any{
			"id": r.backupID, "name": r.name, "status": r.status, "availability_zone": r.zone,
			"volume_id": r.volumeID, "size": r.size, "created_at": r.createdAt,
		})
	}
	r.item = mustJSON(struct {
		ID            string          `json:"id"`
		BackupID      string          `json:"backup_id"`
		FromProjectID string          `json:"from_project_id"`
		ToProjectID   string          `json:"to_project_id"`
		CreatedAt     string          `json:"created_at"`
		UpdatedAt     *string         `json:"updated_at"`
		Backup        json.RawMessage `json:"backup"`
	}{r.id, r.backupID, r.fromProject, r.toProject, r.createdAt, updatedAt, backup})
	r.get = append(append([]byte(`{"shared":`), r.item...), '}')
	s.order = append(s.order, r)
	s.byID[r.id] = r
	s.pairs[r.backupID+" "+r.toProject] = r
}

// remove must be called with s.mu held.
func (s *Server) remove(r *record) {
	r.deleted = true
	delete(s.byID, r.id)
	delete(s.pairs, r.backupID+" "+r.toProject)
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

const sharingPrefix = "os-vendor-backup-sharing"

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The control endpoints are neither counted nor delayed, so polling them
	// does not disturb a measurement.
	if strings.HasPrefix(r.URL.Path, "/_bench/") {
		s.serveControl(w, r)
		return
	}
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	kind, handle := s.route(r)
	s.requests.Add(1)
	s.counts[kind].Add(1)
	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	handle(w, r)
}

// route classifies a request and picks its handler; classifying before the
// latency lets a request be counted even when the client gives up on it.
func (s *Server) route(r *http.Request) (string, http.HandlerFunc) {
	p := r.URL.Path
	switch {
	case p == "/v3/auth/tokens" && r.Method == http.MethodPost:
		return KindToken, s.issueToken
	case p == "/v3/auth/catalog" && r.Method == http.MethodGet:
		return KindCatalog, s.serveCatalog
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return KindOther, notFound
	}
	project, rest, _ := strings.Cut(rest, "/")
	rest, ok = strings.CutPrefix(rest, sharingPrefix)
	if !ok || project == "" {
		return KindOther, notFound
	}
	if r.Header.Get("X-Auth-Token") != token {
		return KindUnauthorized, func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusUnauthorized, "error", "401", "The request you have made requires authentication.")
		}
	}
	switch {
	case rest == "" && r.Method == http.MethodPost:
		return KindCreate, s.create
	case rest == "/detail" && r.Method == http.MethodGet:
		return KindListPage, s.list
	case rest == "/count" && r.Method == http.MethodGet:
		return KindCount, s.count
	case strings.HasPrefix(rest, "/") && !strings.Contains(rest[1:], "/"):
		id, err := url.PathUnescape(rest[1:])
		if err != nil {
			break
		}
		switch r.Method {
		case http.MethodGet:
			return KindSharingGet, func(w http.ResponseWriter, _ *http.Request) { s.get(w, id) }
		case http.MethodDelete:
			return KindDelete, func(w http.ResponseWriter, r *http.Request) { s.delete(w, r, id) }
		}
	}
	return KindOther, notFound
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_bench/counts":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(mustJSON(s.Counts()))
	case "/_bench/reset":
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		s.ResetCounts()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

type authRequest struct {
	Auth struct {
		Scope struct {
			Project struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

// issueToken accepts any credentials: the benchmark measures the provider,
// not Keystone. The scope decides the project in the token and the catalog.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "error", "400", "Malformed request body.")
		return
	}
	projectID, projectName := req.Auth.Scope.Project.ID, req.Auth.Scope.Project.Name
	if projectID == "" {
		projectID = ProjectID
	}
	if projectName == "" {
		projectName = ProjectName
	}
	domain := map[string]any{"id": DomainID, "name": DomainName}
	w.Header().Set("X-Subject-Token", token)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(mustJSON(map[string]any{"token": map[string]any{
		"methods":    []string{"password"},
		"expires_at": "2099-12-31T23:59:59.000000Z",
		"issued_at":  "2024-03-01T10:00:00.000000Z",
		"user":       map[string]any{"id": "8c1d2e3f4a5b4c7d8e9f0a1b2c3d4e5f", "name": UserName, "domain": domain},
		"project":    map[string]any{"id": projectID, "name": projectName, "domain": domain},
		"roles":      []any{map[string]any{"id": "0b3c4d5e6f7a4b8c9d0e1f2a3b4c5d6e", "name": "te_admin"}},
		"catalog":    s.catalog(projectID),
	}}))
}

func (s *Server) serveCatalog(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write(mustJSON(map[string]any{"catalog": s.catalog(ProjectID)}))
}

func (s *Server) catalog(projectID string) []any {
	entry := func(n int, typ, name, u string) map[string]any {
		return map[string]any{
			"id": fmt.Sprintf("c47a1000000040008000%012x", n), "type": typ, "name": name,
			"endpoints": []any{map[string]any{
				"id":        fmt.Sprintf("e9d21000000040008000%012x", n),
				"interface": "public", "region": Region, "region_id": Region, "url": u,
			}},
		}
	}
	return []any{
		entry(0, "identity", "iam", s.AuthURL()),
		entry(1, "vbsv2", "vbsv2", s.url+"/v2/"+projectID),
	}
}

func (s *Server) get(w http.ResponseWriter, id string) {
	s.mu.RLock()
	r := s.byID[id]
	s.mu.RUnlock()
	if r == nil {
		writeError(w, http.StatusNotFound, "itemNotFound", "404", "Backup sharing "+id+" could not be found.")
		return
	}
	_, _ = w.Write(r.get)
}

// listFilter holds the list and count filters. Semantics are the simplest
// reading of the reference: exact matches, a case-insensitive substring for
// name, and share_to_me choosing the receiving (true) or sharing (false)
// side of the caller's project.
type listFilter struct {
	shareToMe                        *bool
	volumeID, name, status, backupID string
	fromProjectID, toProjectID, zone string
	sortKey, sortDir                 string
	limit, offset                    int
	hasLimit                         bool
}

func parseFilter(q url.Values) (listFilter, error) {
	f := listFilter{
		volumeID: q.Get("volume_id"), name: strings.ToLower(q.Get("name")), status: q.Get("status"),
		backupID: q.Get("backup_id"), fromProjectID: q.Get("from_project_id"), toProjectID: q.Get("to_project_id"),
		zone: q.Get("availability_zone"), sortKey: q.Get("sort_key"), sortDir: q.Get("sort_dir"),
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
		f.shareToMe = &b
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
	switch f.sortDir {
	case "", "asc", "desc":
	default:
		return f, fmt.Errorf("sort_dir %q is neither asc nor desc", f.sortDir)
	}
	return f, nil
}

func (f *listFilter) match(r *record) bool {
	switch {
	case r.deleted,
		f.shareToMe != nil && *f.shareToMe && r.toProject != ProjectID,
		f.shareToMe != nil && !*f.shareToMe && r.fromProject != ProjectID,
		f.volumeID != "" && r.volumeID != f.volumeID,
		f.name != "" && !strings.Contains(strings.ToLower(r.name), f.name),
		f.status != "" && r.status != f.status,
		f.backupID != "" && r.backupID != f.backupID,
		f.fromProjectID != "" && r.fromProject != f.fromProjectID,
		f.toProjectID != "" && r.toProject != f.toProjectID,
		f.zone != "" && r.zone != f.zone:
		return false
	}
	return true
}

// selectRecords returns the matching records in the requested order. The
// server's default is created_at descending (newest first), as in Cinder.
func (s *Server) selectRecords(f listFilter) []*record {
	s.mu.RLock()
	var out []*record
	for _, r := range s.order {
		if f.match(r) {
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
		key = func(r *record) string { return fmt.Sprintf("%012d", r.size) }
	}
	desc := f.sortDir != "asc"
	sort.SliceStable(out, func(i, j int) bool {
		// Ties fall back to the ID so that offset paging is stable.
		ki, kj := key(out[i]), key(out[j])
		if ki == kj {
			ki, kj = out[i].id, out[j].id
		}
		return (ki < kj) != desc
	})
	return out
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "badRequest", "400", err.Error())
		return
	}
	all := s.selectRecords(f)
	if f.offset >= len(all) {
		all = nil
	} else {
		all = all[f.offset:]
	}
	if f.hasLimit && f.limit < len(all) {
		all = all[:f.limit]
	}
	var buf bytes.Buffer
	buf.WriteString(`{"shared":[`)
	for i, rec := range all {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(rec.item)
	}
	buf.WriteString("]}")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) count(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "badRequest", "400", err.Error())
		return
	}
	n := 0
	s.mu.RLock()
	for _, rec := range s.order {
		if f.match(rec) {
			n++
		}
	}
	s.mu.RUnlock()
	_, _ = fmt.Fprintf(w, `{"count":%d}`, n)
}

type createRequest struct {
	Shared *struct {
		BackupID     string   `json:"backup_id"`
		ToProjectIDs []string `json:"to_project_ids"`
	} `json:"shared"`
}

// create answers as §4.2 of the reference shows: an array with one item per
// project, without the backup and with null timestamps, so a client that
// wants the details must read the sharing again, as it would for real.
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Shared == nil ||
		req.Shared.BackupID == "" || len(req.Shared.ToProjectIDs) == 0 {
		writeError(w, http.StatusBadRequest, "badRequest", "400", "The request body needs shared.backup_id and shared.to_project_ids.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, to := range req.Shared.ToProjectIDs {
		if s.pairs[req.Shared.BackupID+" "+to] != nil {
			writeError(w, http.StatusBadRequest, "badRequest", "400",
				fmt.Sprintf("Backup %s is already shared with project %s.", req.Shared.BackupID, to))
			return
		}
	}
	type item struct {
		ID            string  `json:"id"`
		BackupID      string  `json:"backup_id"`
		FromProjectID string  `json:"from_project_id"`
		ToProjectID   string  `json:"to_project_id"`
		CreatedAt     *string `json:"created_at"`
		UpdatedAt     *string `json:"updated_at"`
		Deleted       *string `json:"deleted"`
		DeletedAt     *string `json:"deleted_at"`
	}
	items := make([]item, 0, len(req.Shared.ToProjectIDs))
	for _, to := range req.Shared.ToProjectIDs {
		s.created++
		rec := &record{
			id: createdID(s.created), backupID: req.Shared.BackupID, fromProject: ProjectID, toProject: to,
			volumeID: VolumeID(0), name: "bench-backup-shared", status: "available", zone: "eu-de-01", size: 10,
			createdAt: timestamp(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.created) * time.Second)),
		}
		s.insert(rec, nil)
		items = append(items, item{ID: rec.id, BackupID: rec.backupID, FromProjectID: rec.fromProject, ToProjectID: to})
	}
	_, _ = w.Write(mustJSON(map[string]any{"shared": items}))
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, id string) {
	byBackup, _ := strconv.ParseBool(r.URL.Query().Get("is_backup_id"))
	s.mu.Lock()
	defer s.mu.Unlock()
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
	if n == 0 {
		writeError(w, http.StatusNotFound, "itemNotFound", "404", "Backup sharing "+id+" could not be found.")
		return
	}
	w.WriteHeader(http.StatusOK)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "itemNotFound", "404", "No route for "+r.Method+" "+r.URL.Path+".")
}

// writeError uses the Cinder-style body ({"itemNotFound": {...}}) the VBS
// v2 APIs send, or Keystone's {"error": {...}}.
func writeError(w http.ResponseWriter, status int, key, code, message string) {
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(map[string]any{key: map[string]any{"code": code, "message": message}}))
}

// Shutdown stops accepting connections and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }
