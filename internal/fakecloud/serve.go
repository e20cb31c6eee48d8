package fakecloud

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Request kinds, as Counts reports them.
const (
	KindToken        = "token" // a login, whatever its outcome
	KindCatalog      = "catalog"
	KindSharingGet   = "sharing_get"
	KindListPage     = "list_page"
	KindCount        = "count"
	KindCreate       = "create"
	KindDelete       = "delete"
	KindUnauthorized = "unauthorized" // refused for its token or signature, whatever it asked for
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

const (
	tokenPath   = "/v3/auth/tokens"
	catalogPath = "/v3/auth/catalog"
)

type stats struct {
	kinds       map[string]*atomic.Int64 // written only by init
	requests    atomic.Int64
	connections atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

func (s *stats) init() {
	s.kinds = make(map[string]*atomic.Int64, len(kinds))
	for _, k := range kinds {
		s.kinds[k] = new(atomic.Int64)
	}
}

// Counts returns the requests counted by kind since the last ResetCounts,
// plus the gauges CountRequests, CountConnections and CountMaxInFlight.
func (c *Cloud) Counts() map[string]int64 {
	m := make(map[string]int64, len(kinds)+3)
	for _, k := range kinds {
		m[k] = c.stats.kinds[k].Load()
	}
	m[CountRequests] = c.stats.requests.Load()
	m[CountConnections] = c.stats.connections.Load()
	m[CountMaxInFlight] = c.stats.maxInFlight.Load()
	return m
}

// ResetCounts zeroes the counters and gauges and empties Requests.
// Connections already open stay open and are not counted again: reset
// between Terraform runs, when the previous run's provider has exited and
// closed them.
func (c *Cloud) ResetCounts() {
	for _, n := range c.stats.kinds {
		n.Store(0)
	}
	c.stats.requests.Store(0)
	c.stats.connections.Store(0)
	c.stats.maxInFlight.Store(c.stats.inFlight.Load())
	c.mu.Lock()
	c.requests = nil
	c.mu.Unlock()
}

func (c *Cloud) serve(w http.ResponseWriter, r *http.Request) {
	// Without a Date header two recordings of one scenario are identical.
	w.Header()["Date"] = nil
	if c.cfg.ControlPath != "" && strings.HasPrefix(r.URL.Path, c.cfg.ControlPath) {
		c.serveControl(w, r)
		return
	}
	n := c.stats.inFlight.Add(1)
	defer c.stats.inFlight.Add(-1)
	for {
		m := c.stats.maxInFlight.Load()
		if n <= m || c.stats.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	label := c.label(r)
	// Deciding before the latency lets a request be counted even when its
	// client gives up waiting.
	refusal := c.refusal(r, label)
	kind := KindUnauthorized
	if refusal == nil {
		kind = requestKind(r, label)
	}
	c.stats.requests.Add(1)
	c.stats.kinds[kind].Add(1)
	c.mu.Lock()
	c.requests = append(c.requests, r.Method+" "+label+" "+r.URL.Path)
	c.mu.Unlock()

	if !wait(r, time.Duration(c.latency.Load())) {
		return
	}
	if refusal != nil {
		refusal(w)
		return
	}
	if route := c.takeRoute(r.Method, label, r.URL.Path); route != nil {
		if wait(r, route.Delay) {
			writeRaw(w, route.Status, route.Header, route.Body)
		}
		return
	}
	switch {
	case label == "iam" && r.Method == http.MethodPost && r.URL.Path == tokenPath:
		c.login(w, r)
	case label == "iam" && r.Method == http.MethodGet && r.URL.Path == catalogPath:
		c.serveCatalog(w)
	case label == "vbs" && c.cfg.Sharings != nil && c.cfg.Sharings.serve(w, r, listQuirks{maxPageSize: c.cfg.MaxPageSize, ignoredFilters: c.cfg.IgnoredFilters}):
	default:
		writeJSON(w, http.StatusNotFound, nil, map[string]any{
			"itemNotFound": map[string]any{"code": 404, "message": "The resource could not be found."},
		})
	}
}

// requestKind classifies a request for Counts.
func requestKind(r *http.Request, label string) string {
	switch {
	case label == "iam" && r.Method == http.MethodPost && r.URL.Path == tokenPath:
		return KindToken
	case label == "iam" && r.Method == http.MethodGet && r.URL.Path == catalogPath:
		return KindCatalog
	case label == "vbs":
		if _, op, _, ok := sharingOp(r.Method, r.URL.Path); ok {
			return op
		}
	}
	return KindOther
}

// takeRoute finds the route that answers a request and counts down its
// Times; a route whose Times ran out answers nothing again.
func (c *Cloud) takeRoute(method, label, path string) *Route {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n := range c.routes {
		route := &c.routes[n]
		if route.Method == method && route.Label == label && route.Path == path && route.Times >= 0 {
			if route.Times > 0 {
				route.Times--
				if route.Times == 0 {
					route.Times = -1
				}
			}
			answer := *route
			return &answer
		}
	}
	return nil
}

func (c *Cloud) serveControl(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, c.cfg.ControlPath) {
	case "counts":
		writeJSON(w, http.StatusOK, nil, c.Counts())
	case "reset":
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		c.ResetCounts()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

// writeGatewayError answers in the API gateway's own error shape, which is
// what a client sees when the gateway refuses a request before any service
// does.
func writeGatewayError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, nil, map[string]any{
		"error_msg":  msg,
		"error_code": code,
		"request_id": "7f0e1d2c3b4a59687766554433221100",
	})
}

func writeJSON(w http.ResponseWriter, status int, header map[string]string, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, header, string(data))
}

func writeRaw(w http.ResponseWriter, status int, header map[string]string, body string) {
	writeBytes(w, status, header, []byte(body))
}

func writeBytes(w http.ResponseWriter, status int, header map[string]string, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	for k, v := range header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// wait waits d, or until the client gives up on r, and reports whether the
// answer is still wanted.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
