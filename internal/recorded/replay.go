package recorded

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// replayer chooses the interaction for a live request. go-vcr v4's cassette
// already serves each interaction once, in cassette order (unless
// ReplayableInteractions is set), so "the same GET answers 200, later 404"
// replays with it too. What it lacks, and why replay does not go through
// its recorder, is what the Terraform CLI needs: once every match is used it
// fails instead of repeating the last answer, while Terraform versions read
// a resource a different number of times; and it would serve a read
// recorded after a change before that change happened (see choose).
type replayer struct {
	mu           sync.Mutex
	interactions []*cassette.Interaction
	requests     []recordedRequest
	used         []bool
	// barrier is the index of the last recorded change replayed.
	barrier int
	// authLabel is the label of the Keystone host; requests to the server's
	// bare address are taken as going there.
	authLabel string
	authPath  string
}

// recordedRequest is the part of a recorded request replay matches on,
// parsed once.
type recordedRequest struct {
	method string
	label  string
	path   string
	query  url.Values
	body   string
}

func newReplayer(interactions []*cassette.Interaction) *replayer {
	r := &replayer{
		interactions: interactions,
		requests:     make([]recordedRequest, len(interactions)),
		used:         make([]bool, len(interactions)),
		barrier:      -1,
		authPath:     "/v3",
	}
	authFound := false
	for n, i := range interactions {
		u, err := url.Parse(i.Request.URL)
		if err != nil {
			// An unparsable URL can match nothing; keep the slot so indexes
			// stay aligned with the cassette.
			r.requests[n] = recordedRequest{method: "\x00invalid"}
			continue
		}
		// Sanitised again so that a cassette written by an older, narrower
		// sanitiser still matches live requests sanitised by this one.
		rawQuery, _ := sanitizer{}.query(u.RawQuery)
		query, _ := url.ParseQuery(rawQuery)
		r.requests[n] = recordedRequest{
			method: i.Request.Method,
			label:  firstLabel(u.Host),
			path:   u.Path,
			query:  query,
			body:   sanitizer{}.body(i.Request.Body),
		}
		if n == 0 {
			r.authLabel = r.requests[n].label
		}
		if prefix, ok := authPrefix(u.Path); ok && !authFound {
			authFound = true
			r.authLabel = r.requests[n].label
			if prefix != "" {
				r.authPath = prefix
			}
		}
	}
	return r
}

// authPrefix finds Keystone's base path (such as /v3) in a token or, for
// AK/SK cassettes that never ask for a token, a catalog request.
func authPrefix(path string) (string, bool) {
	for _, suffix := range []string{"/auth/tokens", "/auth/catalog"} {
		if prefix, _, ok := strings.Cut(path, suffix); ok {
			return prefix, true
		}
	}
	return "", false
}

// choose returns the first matching interaction not yet used, in cassette
// order; once all are used, the last of them, so that a scripted sequence
// ends in its final state. Recorded changes (POST, PUT, PATCH, DELETE other
// than a Keystone login) split the cassette into eras: a read is served only
// from the era between the last change replayed and the next one not yet
// replayed. So "GET 200, DELETE, GET 404" replays as the cloud behaved even
// when a Terraform version reads more or less often than the one that
// recorded it. Logins (token requests, and AK/SK catalog reads) are served
// from anywhere, since every Terraform command logs in anew. It also counts near misses for the error message.
func (r *replayer) choose(live recordedRequest) (*cassette.Interaction, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	from, to := r.barrier+1, len(r.requests)
	switch {
	case isLogin(live):
		from = 0
	case !isChange(live):
		for n := from; n < len(r.requests); n++ {
			if isChange(r.requests[n]) && !r.used[n] {
				to = n
				break
			}
		}
	}
	last, nearMisses := -1, 0
	for n := from; n < to; n++ {
		rec := r.requests[n]
		if rec.method != live.method || rec.path != live.path {
			continue
		}
		if rec.label != live.label || !sameQuery(rec.query, live.query) || !sameBody(rec.body, live.body) {
			nearMisses++
			continue
		}
		if !r.used[n] {
			r.used[n] = true
			if isChange(rec) {
				r.barrier = n
			}
			return r.interactions[n], 0
		}
		last = n
	}
	if last < 0 {
		return nil, nearMisses
	}
	return r.interactions[last], 0
}

// isLogin reports how a client starts each Terraform command: a Keystone
// token request, or with AK/SK (no token, so no catalog in a token body) a
// catalog read.
func isLogin(req recordedRequest) bool {
	switch req.method {
	case http.MethodPost:
		return strings.HasSuffix(req.path, "/auth/tokens")
	case http.MethodGet:
		return strings.HasSuffix(req.path, "/auth/catalog")
	}
	return false
}

func isChange(req recordedRequest) bool {
	switch req.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return !isLogin(req)
	}
	return false
}

func (s *Server) serveReplay(w http.ResponseWriter, r *http.Request, body []byte) {
	label := s.replay.authLabel
	if !isBareHost(r.Host) {
		label = firstLabel(r.Host)
	}
	query, _ := url.ParseQuery(r.URL.RawQuery)
	if q, changed := (sanitizer{}).query(r.URL.RawQuery); changed {
		query, _ = url.ParseQuery(q)
	}
	live := recordedRequest{
		method: r.Method,
		label:  label,
		path:   r.URL.Path,
		query:  query,
		body:   sanitizer{}.body(string(body)),
	}
	interaction, nearMisses := s.replay.choose(live)
	if interaction == nil {
		desc := describe(r, label)
		s.addUnmatched(desc)
		msg := fmt.Sprintf("recorded server: no interaction in %s matches %s", s.cassetteName(), desc)
		if nearMisses > 0 {
			msg += fmt.Sprintf("; %d recorded with this method and path differ in host label, query or body", nearMisses)
		}
		writeError(w, http.StatusInternalServerError, "RECORDED.UNMATCHED", msg)
		return
	}
	if d := interaction.Response.Duration; d > 0 {
		// A recorded slow answer: as slow on replay, unless the client
		// gives up first.
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	resp, err := interaction.GetHTTPResponse()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "RECORDED.BAD_CASSETTE", "recorded server: "+err.Error())
		return
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	writeResponse(w, resp, string(data), s.rewritePlaceholders)
}

// rewritePlaceholders points cassette URLs at this server, keeping each
// service's label so clients can still tell services apart by host.
func (s *Server) rewritePlaceholders(text string) string {
	return placeholderURL.ReplaceAllStringFunc(text, func(m string) string {
		sub := placeholderURL.FindStringSubmatch(m)
		return s.localOrigin(strings.ToLower(sub[1]))
	})
}

// sameQuery ignores parameter order, and value order within a parameter.
func sameQuery(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || len(av) != len(bv) {
			return false
		}
		as, bs := slices.Clone(av), slices.Clone(bv)
		slices.Sort(as)
		slices.Sort(bs)
		if !slices.Equal(as, bs) {
			return false
		}
	}
	return true
}

// sameBody compares JSON by value, so key order and whitespace do not
// matter; anything else is compared as text.
func sameBody(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == b {
		return true
	}
	av, aok := decodeJSON(a)
	bv, bok := decodeJSON(b)
	return aok && bok && reflect.DeepEqual(av, bv)
}
