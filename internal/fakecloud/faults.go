package fakecloud

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// FaultKind is one way a gateway under load fails a request.
type FaultKind string

// The fault kinds. All but FaultCutBody and FaultLostAnswer hit a request
// before it is served, so the cloud does nothing for it.
const (
	// FaultThrottle answers 429 with Retry-After (Faults.RetryAfter) and
	// the OTC gateway's throttling body, APIGW.0308.
	FaultThrottle FaultKind = "throttle"
	// FaultUnavailable answers 503 with a JSON error body.
	FaultUnavailable FaultKind = "unavailable"
	// FaultBadGateway answers 502 with the HTML page a proxy such as nginx
	// sends, Content-Type text/html.
	FaultBadGateway FaultKind = "bad_gateway"
	// FaultReset resets the connection (TCP RST) without any answer.
	FaultReset FaultKind = "reset"
	// FaultCutBody serves the request and sends the real answer's status
	// and headers with its full Content-Length, but only half its body
	// before the connection closes: the client reads an unexpected EOF. It
	// hits only reads (GET) and logins whose real answer is a 2xx with a
	// body; a write can lose its answer instead (FaultLostAnswer).
	FaultCutBody FaultKind = "cut_body"
)

// FaultLostAnswer carries a sharing create or delete out and then resets
// the connection before the answer: the change is in the store, the client
// never hears of it. It fits creates and deletes only, and only a rule that
// names it deals it. A create or delete that is refused (not a 2xx) is
// answered as usual, as nothing was done whose outcome could be in doubt.
const FaultLostAnswer FaultKind = "lost_answer"

// FaultKinds are the kinds that fit any request, the ones a rule with no
// Kinds draws from. FaultCutBody among them fits only reads and logins.
var FaultKinds = []FaultKind{FaultThrottle, FaultUnavailable, FaultBadGateway, FaultReset, FaultCutBody}

// Fault and lost-answer counts, as Counts reports them beside the request
// kinds: each is counted when the fault is dealt, so a request whose
// client gave up first is not. The request itself is also counted under
// its kind.
const (
	CountFaultThrottle    = "fault_" + string(FaultThrottle)
	CountFaultUnavailable = "fault_" + string(FaultUnavailable)
	CountFaultBadGateway  = "fault_" + string(FaultBadGateway)
	CountFaultReset       = "fault_" + string(FaultReset)
	CountFaultCutBody     = "fault_" + string(FaultCutBody)
	CountFaultLostAnswer  = "fault_" + string(FaultLostAnswer)
	// CountLostAnswerCreate and CountLostAnswerDelete split
	// CountFaultLostAnswer into creates and deletes.
	CountLostAnswerCreate = "lost_answer_create"
	CountLostAnswerDelete = "lost_answer_delete"
)

// Count is the name Counts reports the kind under.
func (k FaultKind) Count() string { return "fault_" + string(k) }

// fits tells whether the kind can befall a request of the request kind
// (KindToken, KindSharingGet and so on) sent with method.
func (k FaultKind) fits(kind, method string) bool {
	switch k {
	case FaultCutBody:
		return method == http.MethodGet || kind == KindToken
	case FaultLostAnswer:
		return kind == KindCreate || kind == KindDelete
	}
	return true
}

// servedFirst tells whether the request is served before the fault is
// dealt: a cut or a lost answer needs the real answer.
func (k FaultKind) servedFirst() bool { return k == FaultCutBody || k == FaultLostAnswer }

// FaultableKinds are the request kinds a rule may name: the Keystone login
// and the sharing API's calls. Nothing else is ever faulted: not the
// catalog, not paths no service owns, not the control path.
var FaultableKinds = []string{KindToken, KindSharingGet, KindListPage, KindCount, KindCreate, KindDelete}

// FaultRule deals faults to a share of some requests.
type FaultRule struct {
	// Requests are the request kinds the rule applies to, from
	// FaultableKinds; empty means all of them.
	Requests []string
	// Kinds are the fault kinds drawn from; empty means FaultKinds. A
	// request gets only a kind that fits it; a rule none of whose kinds
	// fits a request leaves it alone.
	Kinds []FaultKind
	// Rate is the share (0 to 1) of the requests that get a fault.
	Rate float64
}

// DefaultMaxConsecutive is how many faults in a row one request identity
// gets at most when Faults.MaxConsecutive is 0.
const DefaultMaxConsecutive = 2

// Faults make the cloud misbehave as a gateway under load does,
// deterministically: what befalls a request is a pure function of Seed,
// the request's identity and how many times the cloud has seen that
// identity before, never of the order in which goroutines send. A GET's
// identity is its method, path and query; a create's is the backup and
// projects of its body, as every create has the same URL; any other
// request's is its method and path. After MaxConsecutive faults in a row
// an identity gets through, so a client that retries a few times always
// succeeds and a test that expects no failure cannot fail by bad luck.
//
// Go's transport resends an idempotent request by itself when a reused
// connection is reset before any answer, so a GET can meet a reset
// without its caller seeing it; the resend is a request of its own, which
// the cloud counts and may fault again. A test that asserts a reset as a
// plain client sees it disables keep-alive.
type Faults struct {
	// Seed chooses the decisions.
	Seed uint64
	// Rules are tried in order; the first whose draw hits a request deals
	// its fault.
	Rules []FaultRule
	// RetryAfter is the Retry-After of FaultThrottle, in seconds, sent as
	// it is: the zero value sends "0", which lets a test's client retry at
	// once, and a run that wants clients to back off sets it (the
	// gateway's text says to wait up to a minute). Negative leaves the
	// header out, as a gateway that sends none.
	RetryAfter int
	// MaxConsecutive caps the faults in a row one identity gets; 0 means
	// DefaultMaxConsecutive, negative means no cap.
	MaxConsecutive int
}

// Misbehaving is the mix the chaos tests and make chaos use: rate of the
// requests FaultableKinds names meet a fault of FaultKinds, and
// lostAnswerRate of the creates and deletes no fault hit are carried out
// and lose their answer.
func Misbehaving(seed uint64, rate, lostAnswerRate float64) *Faults {
	return &Faults{Seed: seed, Rules: []FaultRule{
		{Rate: rate},
		{Requests: []string{KindCreate, KindDelete}, Kinds: []FaultKind{FaultLostAnswer}, Rate: lostAnswerRate},
	}}
}

// faults is the state behind Config.Faults.
type faults struct {
	cfg Faults
	max int // MaxConsecutive resolved; negative for no cap

	mu   sync.Mutex
	seen map[string]*history
}

// history is what the cloud remembers of one request identity.
type history struct {
	n   uint64 // requests seen
	run int    // faults dealt in a row, up to the last request
}

func newFaults(cfg *Faults) (*faults, error) {
	if cfg == nil {
		return nil, nil
	}
	f := &faults{cfg: *cfg, max: cfg.MaxConsecutive, seen: map[string]*history{}}
	if f.max == 0 {
		f.max = DefaultMaxConsecutive
	}
	f.cfg.Rules = slices.Clone(cfg.Rules)
	for i := range f.cfg.Rules {
		rule := &f.cfg.Rules[i]
		if !(rule.Rate >= 0 && rule.Rate <= 1) {
			return nil, fmt.Errorf("fakecloud: fault rule %d: rate %v, want 0 to 1", i, rule.Rate)
		}
		for _, k := range rule.Requests {
			if !slices.Contains(FaultableKinds, k) {
				return nil, fmt.Errorf("fakecloud: fault rule %d: request kind %q, want one of %v", i, k, FaultableKinds)
			}
		}
		if len(rule.Kinds) == 0 {
			rule.Kinds = FaultKinds
		}
		rule.Kinds = slices.Clone(rule.Kinds)
		for _, k := range rule.Kinds {
			if k != FaultLostAnswer && !slices.Contains(FaultKinds, k) {
				return nil, fmt.Errorf("fakecloud: fault rule %d: unknown fault kind %q", i, k)
			}
		}
	}
	return f, nil
}

// decide says what befalls one request of the given kind: a fault or
// none. It reads (and puts back) a create's body for its identity.
func (f *faults) decide(r *http.Request, kind string) FaultKind {
	if f == nil || !slices.Contains(FaultableKinds, kind) {
		return ""
	}
	id := requestIdentity(r, kind)
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.seen[id]
	if h == nil {
		h = &history{}
		f.seen[id] = h
	}
	n := h.n
	h.n++
	if f.max >= 0 && h.run >= f.max {
		h.run = 0
		return ""
	}
	fault := f.draw(id, n, kind, r.Method)
	if fault == "" {
		h.run = 0
	} else {
		h.run++
	}
	return fault
}

// draw is the pure part of decide: the fault the rules deal to the n-th
// request of identity id.
func (f *faults) draw(id string, n uint64, kind, method string) FaultKind {
	for i, rule := range f.cfg.Rules {
		if len(rule.Requests) > 0 && !slices.Contains(rule.Requests, kind) {
			continue
		}
		if unit(f.hash(i, id, n, 0)) >= rule.Rate {
			continue
		}
		var fitting []FaultKind
		for _, k := range rule.Kinds {
			if k.fits(kind, method) {
				fitting = append(fitting, k)
			}
		}
		if len(fitting) > 0 {
			return fitting[f.hash(i, id, n, 1)%uint64(len(fitting))]
		}
	}
	return ""
}

// hash mixes the seed, a rule, an identity, its count and a salt into 64
// bits: FNV-1a over the identity, then splitmix64's finaliser.
func (f *faults) hash(rule int, id string, n uint64, salt uint64) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	for _, v := range []uint64{f.cfg.Seed, uint64(rule), n, salt} {
		h ^= v + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h = mix64(h)
	}
	return h
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unit maps 64 bits to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// requestIdentity names what a request asks for, the same on every resend.
func requestIdentity(r *http.Request, kind string) string {
	switch {
	case kind == KindCreate:
		return "create " + createIdentity(r)
	case r.Method == http.MethodGet:
		return r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery
	}
	return r.Method + " " + r.URL.Path
}

// createIdentity is the backup and projects of a create's body, which it
// reads and puts back for the sharing API; a body that is not a create is
// its own identity.
func createIdentity(r *http.Request) string {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return "unreadable"
	}
	var body struct {
		Shared struct {
			BackupID     string   `json:"backup_id"`
			ToProjectIDs []string `json:"to_project_ids"`
		} `json:"shared"`
	}
	if json.Unmarshal(data, &body) != nil || body.Shared.BackupID == "" {
		return string(data)
	}
	projects := slices.Sorted(slices.Values(body.Shared.ToProjectIDs))
	return body.Shared.BackupID + " " + strings.Join(projects, ",")
}

// deal answers a request with a fault that hits it before it is served.
func (c *Cloud) deal(w http.ResponseWriter, fault FaultKind, kind string) {
	c.stats.add(fault.Count())
	switch fault {
	case FaultThrottle:
		header := map[string]string{}
		if c.faults.cfg.RetryAfter >= 0 {
			header["Retry-After"] = strconv.Itoa(c.faults.cfg.RetryAfter)
		}
		writeJSON(w, http.StatusTooManyRequests, header, map[string]any{
			"error_msg":  "Too many requests have been sent in a given amount of time. Pause requests, wait up to one minute, and try again.",
			"error_code": "APIGW.0308",
			"request_id": "7f0e1d2c3b4a59687766554433221100",
		})
	case FaultUnavailable:
		// The gateway's own code for a 503 is not documented; these are
		// the bodies the services behind it document.
		if kind == KindToken {
			writeJSON(w, http.StatusServiceUnavailable, nil, map[string]any{
				"error": map[string]any{"code": 503, "message": "The service is temporarily unavailable.", "title": "Service Unavailable"},
			})
			return
		}
		writeJSON(w, http.StatusServiceUnavailable, nil, map[string]any{
			"error": map[string]any{"code": "VolumeBackup.0900", "message": "Service unavailable."},
		})
	case FaultBadGateway:
		writeRaw(w, http.StatusBadGateway, map[string]string{"Content-Type": "text/html"}, badGatewayPage)
	case FaultReset:
		dropConnection(w, true)
	}
}

// badGatewayPage is nginx's stock 502 page.
const badGatewayPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
	"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// recorder holds an answer back so that a fault can be dealt with it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	return rec.body.Write(b)
}

func (rec *recorder) succeeded() bool { return rec.status >= 200 && rec.status < 300 }

// send writes the held answer whole, or only its first n bytes of body
// under the full Content-Length when n is less.
func (rec *recorder) send(w http.ResponseWriter, n int) {
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rec.body.Len() > 0 {
		w.Header().Set("Content-Length", strconv.Itoa(rec.body.Len()))
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes()[:min(n, rec.body.Len())])
}

// serveFaulty serves a request a cut or a lost answer may befall: the
// answer is made and held, then cut or dropped when it is a 2xx (with a
// body, for a cut), or else sent whole. It reports false when the client
// gave up before there was an answer.
func (c *Cloud) serveFaulty(w http.ResponseWriter, r *http.Request, label, kind string, fault FaultKind, refusal func(http.ResponseWriter)) bool {
	rec := newRecorder()
	if !c.answer(rec, r, label, refusal) {
		return false
	}
	switch {
	case fault == FaultCutBody && rec.succeeded() && rec.body.Len() > 0:
		c.stats.add(CountFaultCutBody)
		rec.send(w, rec.body.Len()/2)
		// Without the flush the half body would still be in the server's
		// buffer when the connection goes.
		_ = http.NewResponseController(w).Flush()
		dropConnection(w, false)
	case fault == FaultLostAnswer && rec.succeeded():
		c.stats.add(CountFaultLostAnswer)
		if kind == KindCreate {
			c.stats.add(CountLostAnswerCreate)
		} else {
			c.stats.add(CountLostAnswerDelete)
		}
		dropConnection(w, true)
	default:
		rec.send(w, rec.body.Len())
	}
	return true
}
