package fakecloud

import (
	"encoding/json"
	"net/http"
	"strings"
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

const (
	tokenPath   = "/v3/auth/tokens"
	catalogPath = "/v3/auth/catalog"
)

func (c *Cloud) serve(w http.ResponseWriter, r *http.Request) {
	// Without a Date header two recordings of one scenario are identical.
	w.Header()["Date"] = nil
	if c.cfg.ControlPath != "" && strings.HasPrefix(r.URL.Path, c.cfg.ControlPath) {
		c.serveControl(w, r)
		return
	}
	c.stats.raise(CountMaxInFlight, c.stats.inFlight.Add(1))
	defer func() {
		c.stats.inFlight.Add(-1)
		c.stats.add(CountFinished)
	}()
	label := c.label(r)
	kind := requestKind(r, label)
	// Deciding before the latency lets a request be counted even when its
	// client gives up waiting. A fault that hits a request before it is
	// served spares it the token check, as the gateway under load turns
	// it away first.
	fault := c.faults.decide(r, kind)
	var refusal func(http.ResponseWriter)
	if fault == "" || fault.servedFirst() {
		refusal = c.refusal(r, label)
	}
	counted := kind
	if refusal != nil {
		counted = KindUnauthorized
	}
	c.mu.Lock()
	c.requests = append(c.requests, r.Method+" "+label+" "+r.URL.Path)
	c.mu.Unlock()
	// Counted after Requests is appended to, so that a test woken by the
	// count finds the request listed.
	c.stats.add(CountRequests)
	c.stats.add(counted)
	if c.cfg.Observe != nil {
		c.cfg.Observe(r)
	}

	answered := wait(r, time.Duration(c.latency.Load()))
	switch {
	case !answered:
	case fault != "" && !fault.servedFirst():
		c.deal(w, fault, kind)
	case fault != "":
		answered = c.serveFaulty(w, r, label, kind, fault, refusal)
	default:
		answered = c.answer(w, r, label, refusal)
	}
	if !answered {
		dropConnection(w, false)
	}
}

// answer serves a request the gateway let through, or refuses it. It
// reports false when the client gave up before it was answered, and then
// writes nothing.
func (c *Cloud) answer(w http.ResponseWriter, r *http.Request, label string, refusal func(http.ResponseWriter)) bool {
	if refusal != nil {
		refusal(w)
		return true
	}
	if route := c.takeRoute(r.Method, label, r.URL.Path); route != nil {
		if route.Hold != nil {
			c.stats.add(CountHeld)
			select {
			case <-route.Hold:
			case <-r.Context().Done():
				return false
			}
		}
		if !wait(r, route.Delay) {
			return false
		}
		writeRaw(w, route.Status, route.Header, route.Body)
		return true
	}
	if label == "vbs" && c.cfg.Intercept != nil && c.cfg.Intercept(w, r) {
		// An interception that held the answer until the client gave up
		// wrote nothing.
		return r.Context().Err() == nil
	}
	switch {
	case label == "iam" && r.Method == http.MethodPost && r.URL.Path == tokenPath:
		c.login(w, r)
	case label == "iam" && r.Method == http.MethodGet && r.URL.Path == catalogPath:
		c.serveCatalog(w)
	case label == "vbs" && c.cfg.Sharings != nil && c.cfg.Sharings.serve(w, r, c.quirks):
	default:
		writeJSON(w, http.StatusNotFound, nil, map[string]any{
			"itemNotFound": map[string]any{"code": 404, "message": "The resource could not be found."},
		})
	}
	return true
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
