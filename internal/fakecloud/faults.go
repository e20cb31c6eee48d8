package fakecloud

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// FaultKind is one way a gateway under load fails a request.
type FaultKind string

// The fault kinds. All but FaultCutBody hit a request before it is served,
// so the cloud does nothing for it.
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
	// body; writes are left to Faults.LostAnswerRate.
	FaultCutBody FaultKind = "cut_body"
)

// FaultKinds are every kind, the ones an empty Faults.Kinds draws from.
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
	// CountLostAnswerCreate and CountLostAnswerDelete are sharing creates
	// and deletes carried out whose answers were lost.
	CountLostAnswerCreate = "lost_answer_create"
	CountLostAnswerDelete = "lost_answer_delete"
)

// Count is the name Counts reports the kind under.
func (k FaultKind) Count() string { return "fault_" + string(k) }

// Faults make the cloud misbehave as a gateway under load does. Which
// requests are hit is drawn from a generator seeded with Seed: the same
// requests in the same order meet the same faults. Keystone logins and
// requests for a service other than identity may be hit, answered by a
// route or by the cloud itself; Keystone's other paths (the catalog among
// them), paths no service owns and the control path never are.
//
// Go's transport resends an idempotent request by itself when a reused
// connection is reset before any answer, so a GET can meet a reset
// without its caller seeing it; the resend is a request of its own, which
// the cloud counts and may fault again.
type Faults struct {
	// Seed chooses the sequence of decisions.
	Seed uint64
	// Rate is the share (0 to 1) of the requests that may be hit which
	// get a fault instead of their answer.
	Rate float64
	// Kinds are the kinds dealt; empty means FaultKinds. They are dealt in
	// turn, not drawn, so every kind has occurred once there have been
	// len(Kinds) faults, provided one of them fell on a read or login
	// for FaultCutBody: a write whose turn it is gets the next kind in
	// line, and FaultCutBody waits for a request it fits. A cut whose
	// real answer turns out not to be a 2xx with a body is not dealt: the
	// answer goes out whole and the cut stays first in line.
	Kinds []FaultKind
	// RetryAfter is the Retry-After of FaultThrottle, in seconds, sent as
	// it is: the zero value sends "0", which lets a test's client retry at
	// once, and a run that wants clients to back off sets it (the
	// gateway's text says to wait up to a minute). Negative leaves the
	// header out, as a gateway that sends none.
	RetryAfter int
	// LostAnswerRate is the share (0 to 1) of sharing creates and deletes
	// that no fault hit which are carried out and then lose their answer:
	// the connection is reset once the change is made. A create or delete
	// that is refused (not a 2xx) is answered as usual, as nothing was
	// done whose outcome could be in doubt.
	LostAnswerRate float64
}

// pcgStream is PCG's second word, fixed so that Seed alone names a
// sequence.
const pcgStream = 0x9e3779b97f4a7c15

// faults is the state behind Config.Faults.
type faults struct {
	cfg  Faults
	mu   sync.Mutex
	rng  *rand.Rand
	used []int // faults dealt per cfg.Kinds entry; the least used goes next
}

func newFaults(cfg *Faults) (*faults, error) {
	if cfg == nil {
		return nil, nil
	}
	f := &faults{cfg: *cfg, rng: rand.New(rand.NewPCG(cfg.Seed, pcgStream))}
	if !(f.cfg.Rate >= 0 && f.cfg.Rate <= 1) || !(f.cfg.LostAnswerRate >= 0 && f.cfg.LostAnswerRate <= 1) {
		return nil, fmt.Errorf("fakecloud: fault rates %v and %v, want each from 0 to 1", f.cfg.Rate, f.cfg.LostAnswerRate)
	}
	if len(f.cfg.Kinds) == 0 {
		f.cfg.Kinds = FaultKinds
	}
	f.cfg.Kinds = append([]FaultKind(nil), f.cfg.Kinds...)
	for _, k := range f.cfg.Kinds {
		if !slices.Contains(FaultKinds, k) {
			return nil, fmt.Errorf("fakecloud: unknown fault kind %q", k)
		}
	}
	f.used = make([]int, len(f.cfg.Kinds))
	return f, nil
}

// decision is what befalls one request.
type decision struct {
	fault FaultKind // "" for none
	lost  bool      // carried out, answer lost
}

// decide draws for one request: whether a fault hits it and, for a
// create or delete that none does, whether its answer is lost.
func (f *faults) decide(r *http.Request, label, kind string) decision {
	if f == nil || (kind != KindToken && (label == "" || label == "iam")) {
		return decision{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rng.Float64() < f.cfg.Rate {
		canCut := r.Method == http.MethodGet || kind == KindToken
		best := -1
		for i, k := range f.cfg.Kinds {
			if (k != FaultCutBody || canCut) && (best < 0 || f.used[i] < f.used[best]) {
				best = i
			}
		}
		if best >= 0 {
			f.used[best]++
			return decision{fault: f.cfg.Kinds[best]}
		}
	}
	if (kind == KindCreate || kind == KindDelete) && f.rng.Float64() < f.cfg.LostAnswerRate {
		return decision{lost: true}
	}
	return decision{}
}

// undo gives a kind dealt but not carried out its turn back.
func (f *faults) undo(kind FaultKind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, k := range f.cfg.Kinds {
		if k == kind {
			f.used[i]--
			return
		}
	}
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
// answer is made and held, then sent whole, cut, or dropped. It reports
// false when the client gave up before there was an answer.
func (c *Cloud) serveFaulty(w http.ResponseWriter, r *http.Request, label, kind string, d decision, refusal func(http.ResponseWriter)) bool {
	rec := newRecorder()
	if !c.answer(rec, r, label, refusal) {
		if d.fault != "" {
			c.faults.undo(d.fault)
		}
		return false
	}
	switch {
	case d.fault == FaultCutBody && rec.succeeded() && rec.body.Len() > 0:
		c.stats.add(CountFaultCutBody)
		rec.send(w, rec.body.Len()/2)
		// Without the flush the half body would still be in the server's
		// buffer when the connection goes.
		_ = http.NewResponseController(w).Flush()
		dropConnection(w, false)
	case d.lost && rec.succeeded():
		if kind == KindCreate {
			c.stats.add(CountLostAnswerCreate)
		} else {
			c.stats.add(CountLostAnswerDelete)
		}
		dropConnection(w, true)
	default:
		if d.fault != "" {
			c.faults.undo(d.fault)
		}
		rec.send(w, rec.body.Len())
	}
	return true
}
