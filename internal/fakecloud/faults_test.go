package fakecloud_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// outcome is one request as a plain Go client sees it: the answer, or how
// it failed.
type outcome struct {
	status int
	header http.Header
	body   string
	// err is the error of the round trip; readErr that of reading the body.
	err, readErr error
}

// String names the outcome for comparing sequences of them.
func (o outcome) String() string {
	switch {
	case o.err != nil:
		return "error"
	case o.readErr != nil:
		return fmt.Sprintf("%d cut", o.status)
	}
	return strconv.Itoa(o.status)
}

// attempt sends one request on a connection of its own: on a reused one,
// Go's transport would resend a GET that met a reset by itself.
func attempt(t *testing.T, c *fakecloud.Cloud, method, label, path, token, body string) outcome {
	t.Helper()
	req := newRequest(t.Context(), t, c, method, label, path, token, body)
	base, ok := c.Transport().(*http.Transport)
	if !ok {
		t.Fatalf("the cloud's transport is a %T", c.Transport())
	}
	transport := base.Clone()
	transport.DisableKeepAlives = true
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return outcome{status: resp.StatusCode, header: resp.Header, body: string(data), readErr: err}
}

func faultyCloud(t *testing.T, plain bool, faults fakecloud.Faults) *fakecloud.Cloud {
	t.Helper()
	return start(t, fakecloud.Config{
		PlainHTTP: plain, Catalog: []fakecloud.Service{vbsService}, Routes: []fakecloud.Route{sharingRoute},
		Sharings: fakecloud.Synthetic(projectID, 3), Faults: &faults,
	})
}

// Each kind, dealt to every request, is what a plain Go client sees as
// that failure, over https and plain http.
func TestEachFaultKind(t *testing.T) {
	get := func(t *testing.T, c *fakecloud.Cloud) outcome {
		return attempt(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, "")
	}
	for name, plain := range modes {
		t.Run(name, func(t *testing.T) {
			only := func(kind fakecloud.FaultKind) fakecloud.Faults {
				return fakecloud.Faults{Rate: 1, Kinds: []fakecloud.FaultKind{kind}}
			}
			t.Run("throttle", func(t *testing.T) {
				for retryAfter, want := range map[int]string{0: "0", 7: "7", -1: ""} {
					f := only(fakecloud.FaultThrottle)
					f.RetryAfter = retryAfter
					o := get(t, faultyCloud(t, plain, f))
					got, sent := o.header["Retry-After"]
					if o.status != http.StatusTooManyRequests || errorCode(t, o.body) != "APIGW.0308" || sent != (want != "") || want != "" && got[0] != want {
						t.Errorf("RetryAfter %d: HTTP %d %v %s, want 429 APIGW.0308 with Retry-After %q", retryAfter, o.status, o.header, o.body, want)
					}
				}
			})
			t.Run("unavailable", func(t *testing.T) {
				c := faultyCloud(t, plain, only(fakecloud.FaultUnavailable))
				for what, o := range map[string]outcome{
					"GET":   get(t, c),
					"login": attempt(t, c, http.MethodPost, "iam", "/v3/auth/tokens", "", loginBody(fakecloud.Default.Password)),
				} {
					var e struct {
						Error struct {
							Code    any    `json:"code"`
							Message string `json:"message"`
						} `json:"error"`
					}
					if err := json.Unmarshal([]byte(o.body), &e); err != nil || o.status != http.StatusServiceUnavailable || e.Error.Code == nil ||
						o.header.Get("Content-Type") != "application/json" {
						t.Errorf("%s: HTTP %d %v %s, want 503 with a JSON error", what, o.status, o.header, o.body)
					}
				}
			})
			t.Run("bad gateway", func(t *testing.T) {
				o := get(t, faultyCloud(t, plain, only(fakecloud.FaultBadGateway)))
				if o.status != http.StatusBadGateway || o.header.Get("Content-Type") != "text/html" || !strings.Contains(o.body, "<h1>502 Bad Gateway</h1>") {
					t.Errorf("HTTP %d %v %s, want 502 with an HTML page", o.status, o.header, o.body)
				}
			})
			t.Run("reset", func(t *testing.T) {
				o := get(t, faultyCloud(t, plain, only(fakecloud.FaultReset)))
				if !errors.Is(o.err, syscall.ECONNRESET) {
					t.Errorf("got %v (HTTP %d), want the connection reset by peer", o.err, o.status)
				}
			})
			t.Run("cut body", func(t *testing.T) {
				c := faultyCloud(t, plain, only(fakecloud.FaultCutBody))
				o := get(t, c)
				full := len(fakecloud.SharingFullBody)
				if o.status != http.StatusOK || o.header.Get("Content-Length") != strconv.Itoa(full) ||
					!errors.Is(o.readErr, io.ErrUnexpectedEOF) || o.body != fakecloud.SharingFullBody[:full/2] {
					t.Errorf("HTTP %d, Content-Length %s, %d bytes read, then %v; want 200 with %d bytes of %d, then an unexpected EOF",
						o.status, o.header.Get("Content-Length"), len(o.body), o.readErr, full/2, full)
				}
				login := attempt(t, c, http.MethodPost, "iam", "/v3/auth/tokens", "", loginBody(fakecloud.Default.Password))
				if login.status != http.StatusCreated || !errors.Is(login.readErr, io.ErrUnexpectedEOF) {
					t.Errorf("login: HTTP %d, then %v; want 201 and an unexpected EOF", login.status, login.readErr)
				}
				// Nothing of a write's answer is cut, nor an answer
				// without a body or a failure: they go out whole.
				for _, o := range []outcome{
					attempt(t, c, http.MethodDelete, "vbs", "/v2/"+projectID+"/os-vendor-backup-sharing/"+fakecloud.SharingID(0), fakecloud.Default.Token, ""),
					attempt(t, c, http.MethodGet, "vbs", "/v2/"+projectID+"/os-vendor-backup-sharing/missing", fakecloud.Default.Token, ""),
				} {
					if o.err != nil || o.readErr != nil {
						t.Errorf("an answer that cannot be cut: %v, %v", o.err, o.readErr)
					}
				}
				if got := c.Counts(); got[fakecloud.CountFaultCutBody] != 2 {
					t.Errorf("counts %v, want 2 cuts", got)
				}
			})
		})
	}
}

// Kinds are dealt in turn: every kind has occurred after as many faults as
// there are kinds, the cut waiting for a read, and each is counted.
func TestFaultKindsTakeTurns(t *testing.T) {
	c := faultyCloud(t, true, fakecloud.Faults{Rate: 1})
	for i := range 4 {
		attempt(t, c, http.MethodDelete, "vbs", "/v2/"+projectID+"/os-vendor-backup-sharing/"+fakecloud.SharingID(i), fakecloud.Default.Token, "")
	}
	attempt(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, "")
	got := c.Counts()
	for _, kind := range fakecloud.FaultKinds {
		if got[kind.Count()] != 1 {
			t.Errorf("%s dealt %d times, want once: %v", kind, got[kind.Count()], got)
		}
	}
	if got[fakecloud.KindDelete] != 4 || got[fakecloud.KindSharingGet] != 1 || len(c.SharingIDs()) != 3 {
		t.Errorf("counts %v, sharings %v: want the faulted requests counted and nothing deleted", got, c.SharingIDs())
	}
	if fakecloud.FaultThrottle.Count() != fakecloud.CountFaultThrottle || fakecloud.FaultCutBody.Count() != fakecloud.CountFaultCutBody {
		t.Error("a kind's Count is not its exported count name")
	}
}

// outcomes sends the same mixed sequence of requests and lists what each
// met.
func outcomes(t *testing.T, c *fakecloud.Cloud) string {
	var got []string
	for i := range 60 {
		var o outcome
		switch i % 3 {
		case 0:
			o = attempt(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, "")
		case 1:
			o = attempt(t, c, http.MethodPost, "iam", "/v3/auth/tokens", "", loginBody(fakecloud.Default.Password))
		default:
			o = attempt(t, c, http.MethodGet, "vbs", "/v2/"+projectID+"/os-vendor-backup-sharing/count", fakecloud.Default.Token, "")
		}
		got = append(got, o.String())
	}
	return strings.Join(got, " ")
}

// The same seed deals the same faults to the same requests; another seed
// deals others. Rate 0 deals none.
func TestFaultSeed(t *testing.T) {
	faults := fakecloud.Faults{Seed: 42, Rate: 0.5}
	first := outcomes(t, faultyCloud(t, true, faults))
	if again := outcomes(t, faultyCloud(t, true, faults)); again != first {
		t.Errorf("seed 42 twice:\n%s\n%s", first, again)
	}
	faults.Seed = 43
	if other := outcomes(t, faultyCloud(t, true, faults)); other == first {
		t.Errorf("seeds 42 and 43 dealt the same: %s", first)
	}
	if n := strings.Count(first, "error") + strings.Count(first, "cut") + strings.Count(first, "429") +
		strings.Count(first, "502") + strings.Count(first, "503"); n == 0 || n == 60 {
		t.Errorf("rate 0.5 faulted %d requests of 60: %s", n, first)
	}

	c := faultyCloud(t, true, fakecloud.Faults{Seed: 42})
	if got := outcomes(t, c); strings.Trim(strings.ReplaceAll(strings.ReplaceAll(got, "201", ""), "200", ""), " ") != "" {
		t.Errorf("rate 0: %s", got)
	}
	for _, kind := range fakecloud.FaultKinds {
		if n := c.Counts()[kind.Count()]; n != 0 {
			t.Errorf("rate 0 dealt %s %d times", kind, n)
		}
	}
}

// A lost answer is a create or delete carried out whose client gets a
// reset instead of the answer; a refused one keeps its answer.
func TestLostAnswers(t *testing.T) {
	for name, plain := range modes {
		t.Run(name, func(t *testing.T) {
			c := faultyCloud(t, plain, fakecloud.Faults{LostAnswerRate: 1})
			base := "/v2/" + projectID + "/os-vendor-backup-sharing"
			create := `{"shared":{"backup_id":"` + fakecloud.BackupID(0) + `","to_project_ids":["bbbbbbbbbbbbbbbbbbbbbbbbbbbb0001"]}}`
			if o := attempt(t, c, http.MethodPost, "vbs", base, fakecloud.Default.Token, create); !errors.Is(o.err, syscall.ECONNRESET) {
				t.Errorf("create: %v (HTTP %d), want the connection reset", o.err, o.status)
			}
			ids := c.SharingIDs()
			if len(ids) != 4 {
				t.Fatalf("sharings %v: want the lost create carried out", ids)
			}
			if o := attempt(t, c, http.MethodPost, "vbs", base, fakecloud.Default.Token, create); o.err != nil || o.status != http.StatusBadRequest {
				t.Errorf("the same create again: %v, HTTP %d; want its 400 answered", o.err, o.status)
			}
			if o := attempt(t, c, http.MethodDelete, "vbs", base+"/"+ids[3], fakecloud.Default.Token, ""); !errors.Is(o.err, syscall.ECONNRESET) {
				t.Errorf("delete: %v (HTTP %d), want the connection reset", o.err, o.status)
			}
			if got := c.SharingIDs(); len(got) != 3 {
				t.Errorf("sharings %v: want the lost delete carried out", got)
			}
			if o := attempt(t, c, http.MethodDelete, "vbs", base+"/"+ids[3], fakecloud.Default.Token, ""); o.err != nil || o.status != http.StatusNotFound {
				t.Errorf("the same delete again: %v, HTTP %d; want its 404 answered", o.err, o.status)
			}
			// Reads never lose their answer.
			if o := attempt(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, ""); o.status != http.StatusOK {
				t.Errorf("read: %v, HTTP %d", o.err, o.status)
			}
			got := c.Counts()
			if got[fakecloud.CountLostAnswerCreate] != 1 || got[fakecloud.CountLostAnswerDelete] != 1 || got[fakecloud.KindCreate] != 2 || got[fakecloud.KindDelete] != 2 {
				t.Errorf("counts %v", got)
			}
		})
	}
}

// Faults spare the control path, the catalog and paths no service owns.
func TestFaultsSpare(t *testing.T) {
	c := start(t, fakecloud.Config{PlainHTTP: true, ControlPath: "/_ctl/", Catalog: []fakecloud.Service{vbsService},
		Faults: &fakecloud.Faults{Rate: 1}})
	for _, o := range []outcome{
		attempt(t, c, http.MethodGet, "", "/_ctl/counts", "", ""),
		attempt(t, c, http.MethodGet, "iam", "/v3/auth/catalog", fakecloud.Default.Token, ""),
		attempt(t, c, http.MethodGet, "", "/nowhere", "", ""),
	} {
		if o.err != nil || o.readErr != nil || o.status >= 500 || o.status == http.StatusTooManyRequests {
			t.Errorf("HTTP %d, %v, %v: want an answer of its own", o.status, o.err, o.readErr)
		}
	}
}

func TestFaultsRejected(t *testing.T) {
	for _, f := range []fakecloud.Faults{{Rate: 1.5}, {LostAnswerRate: -0.1}, {Kinds: []fakecloud.FaultKind{"timeout"}}} {
		if c, err := fakecloud.Start(fakecloud.Config{PlainHTTP: true, Faults: &f}); err == nil {
			c.Close()
			t.Errorf("Start accepted %+v", f)
		}
	}
}

// Requests in parallel each meet one decision: the faults the clients saw
// are the faults the cloud counted, and every request was counted.
func TestFaultsConcurrent(t *testing.T) {
	c := faultyCloud(t, true, fakecloud.Faults{Seed: 7, Rate: 0.5})
	const workers, each = 8, 20
	seen := make(chan int, workers)
	for range workers {
		go func() {
			n := 0
			for range each {
				if o := attempt(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, ""); o.String() != "200" {
					n++
				}
			}
			seen <- n
		}()
	}
	faulted := 0
	for range workers {
		faulted += <-seen
	}
	got := c.Counts()
	dealt := int64(0)
	for _, kind := range fakecloud.FaultKinds {
		dealt += got[kind.Count()]
	}
	if dealt != int64(faulted) || faulted == 0 || got[fakecloud.CountRequests] != workers*each {
		t.Errorf("clients saw %d faults, the cloud dealt %d; counts %v", faulted, dealt, got)
	}
}
