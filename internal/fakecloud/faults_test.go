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
				return everyRequest(kind)
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

// everyRequest deals the kinds to every request that one fits.
func everyRequest(kinds ...fakecloud.FaultKind) fakecloud.Faults {
	return fakecloud.Faults{Rules: []fakecloud.FaultRule{{Rate: 1, Kinds: kinds}}}
}

// sequence sends the same GET n times and lists what each met.
func sequence(t *testing.T, c *fakecloud.Cloud, n int) string {
	var got []string
	for range n {
		got = append(got, attempt(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, "").String())
	}
	return strings.Join(got, " ")
}

// One identity gets at most MaxConsecutive faults in a row (2 unless
// set), then one request through; a negative cap lets every request fail.
// Each fault is counted under its kind.
func TestFaultCap(t *testing.T) {
	for maxRun, want := range map[int]string{
		0:  "503 503 200 503 503 200",
		1:  "503 200 503 200 503 200",
		3:  "503 503 503 200 503 503",
		-1: "503 503 503 503 503 503",
	} {
		f := everyRequest(fakecloud.FaultUnavailable)
		f.MaxConsecutive = maxRun
		c := faultyCloud(t, true, f)
		if got := sequence(t, c, 6); got != want {
			t.Errorf("MaxConsecutive %d: %s, want %s", maxRun, got, want)
		}
		if n, faulted := c.Counts()[fakecloud.CountFaultUnavailable], int64(strings.Count(want, "503")); n != faulted {
			t.Errorf("MaxConsecutive %d: %d faults counted, want %d", maxRun, n, faulted)
		}
	}
	if fakecloud.FaultThrottle.Count() != fakecloud.CountFaultThrottle || fakecloud.FaultCutBody.Count() != fakecloud.CountFaultCutBody ||
		fakecloud.FaultLostAnswer.Count() != fakecloud.CountFaultLostAnswer {
		t.Error("a kind's Count is not its exported count name")
	}
}

// A rule applies to the request kinds it names, and deals only kinds that
// fit: a write is never cut, a read never loses its answer.
func TestFaultRuleScope(t *testing.T) {
	f := fakecloud.Faults{Rules: []fakecloud.FaultRule{{Requests: []string{fakecloud.KindCount}, Rate: 1, Kinds: []fakecloud.FaultKind{fakecloud.FaultBadGateway}}}}
	c := faultyCloud(t, true, f)
	countPath := "/v2/" + projectID + "/os-vendor-backup-sharing/count"
	if o := attempt(t, c, http.MethodGet, "vbs", countPath, fakecloud.Default.Token, ""); o.status != http.StatusBadGateway {
		t.Errorf("count: HTTP %d, want the rule's 502", o.status)
	}
	if o := attempt(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, ""); o.status != http.StatusOK {
		t.Errorf("sharing GET: HTTP %d, want 200: the rule names counts only", o.status)
	}
	c = faultyCloud(t, true, everyRequest(fakecloud.FaultCutBody, fakecloud.FaultLostAnswer))
	deletePath := "/v2/" + projectID + "/os-vendor-backup-sharing/" + fakecloud.SharingID(0)
	if o := attempt(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, ""); !errors.Is(o.readErr, io.ErrUnexpectedEOF) {
		t.Errorf("GET: HTTP %d, %v; want the body cut", o.status, o.readErr)
	}
	if o := attempt(t, c, http.MethodDelete, "vbs", deletePath, fakecloud.Default.Token, ""); !errors.Is(o.err, syscall.ECONNRESET) {
		t.Errorf("delete: HTTP %d, %v; want its answer lost", o.status, o.err)
	}
	got := c.Counts()
	if got[fakecloud.CountFaultCutBody] != 1 || got[fakecloud.CountFaultLostAnswer] != 1 || got[fakecloud.CountLostAnswerDelete] != 1 {
		t.Errorf("counts %v, want one cut and one lost delete answer", got)
	}
	for _, bad := range []fakecloud.Faults{
		{Rules: []fakecloud.FaultRule{{Rate: 1.5}}},
		{Rules: []fakecloud.FaultRule{{Rate: -0.1}}},
		{Rules: []fakecloud.FaultRule{{Rate: 1, Kinds: []fakecloud.FaultKind{"timeout"}}}},
		{Rules: []fakecloud.FaultRule{{Rate: 1, Requests: []string{fakecloud.KindCatalog}}}},
	} {
		if c, err := fakecloud.Start(fakecloud.Config{PlainHTTP: true, Faults: &bad}); err == nil {
			c.Close()
			t.Errorf("Start accepted %+v", bad)
		}
	}
}

// A lost answer is a create or delete carried out whose client gets a
// reset instead of the answer; a refused one keeps its answer.
func TestLostAnswers(t *testing.T) {
	for name, plain := range modes {
		t.Run(name, func(t *testing.T) {
			c := faultyCloud(t, plain, everyRequest(fakecloud.FaultLostAnswer))
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
			if got[fakecloud.CountLostAnswerCreate] != 1 || got[fakecloud.CountLostAnswerDelete] != 1 || got[fakecloud.CountFaultLostAnswer] != 2 ||
				got[fakecloud.KindCreate] != 2 || got[fakecloud.KindDelete] != 2 {
				t.Errorf("counts %v", got)
			}
		})
	}
}

// Faults spare the control path, the catalog and paths no service owns.
func TestFaultsSpare(t *testing.T) {
	c := start(t, fakecloud.Config{PlainHTTP: true, ControlPath: "/_ctl/", Catalog: []fakecloud.Service{vbsService},
		Faults: &fakecloud.Faults{Rules: []fakecloud.FaultRule{{Rate: 1}}}})
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

// concurrentOutcomes sends, from 8 goroutines at once, 5 requests each for
// 8 listing pages of its own, and returns what each page's requests met,
// the number of faults the clients saw and the cloud's counts.
func concurrentOutcomes(t *testing.T, seed uint64) (map[string]string, int, map[string]int64) {
	c := faultyCloud(t, true, fakecloud.Faults{Seed: seed, Rules: []fakecloud.FaultRule{{Rate: 0.5}}})
	const workers, pages, each = 8, 8, 5
	type result struct {
		page, met string
		faulted   int
	}
	results := make(chan result, workers*pages)
	for w := range workers {
		go func() {
			for p := range pages {
				page := fmt.Sprintf("/v2/%s/os-vendor-backup-sharing/detail?limit=1&offset=%d", projectID, w*pages+p)
				var met []string
				faulted := 0
				for range each {
					o := attempt(t, c, http.MethodGet, "vbs", page, fakecloud.Default.Token, "")
					if o.String() != "200" {
						faulted++
					}
					met = append(met, o.String())
				}
				results <- result{page, strings.Join(met, " "), faulted}
			}
		}()
	}
	got := map[string]string{}
	faulted := 0
	for range workers * pages {
		r := <-results
		got[r.page] = r.met
		faulted += r.faulted
	}
	return got, faulted, c.Counts()
}

// Requests sent concurrently meet the faults their identities and counts
// call for, whatever the goroutines' order: the same seed twice deals the
// same to every page, another seed deals others. The faults the clients
// saw are the faults the cloud counted.
func TestFaultsConcurrent(t *testing.T) {
	first, faulted, counts := concurrentOutcomes(t, 7)
	again, _, _ := concurrentOutcomes(t, 7)
	other, _, _ := concurrentOutcomes(t, 8)
	for page, met := range first {
		if again[page] != met {
			t.Errorf("seed 7 twice, %s: %s, then %s", page, met, again[page])
		}
	}
	if fmt.Sprint(first) == fmt.Sprint(other) {
		t.Errorf("seeds 7 and 8 dealt the same: %v", first)
	}
	dealt := int64(0)
	for _, kind := range fakecloud.FaultKinds {
		dealt += counts[kind.Count()]
	}
	if dealt != int64(faulted) || faulted == 0 || counts[fakecloud.CountRequests] != 8*8*5 {
		t.Errorf("clients saw %d faults, the cloud dealt %d; counts %v", faulted, dealt, counts)
	}
}
