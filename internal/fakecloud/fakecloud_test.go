package fakecloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

const projectID = "ffffffffffffffffffffffffffff0000"

var vbsService = fakecloud.Service{Type: "vbsv2", Name: "vbs", Label: "vbs", Path: "/v2/" + projectID}

func start(t *testing.T, cfg fakecloud.Config) *fakecloud.Cloud {
	t.Helper()
	c, err := fakecloud.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// modes are the two ways the cloud is served: https under host names, as
// recordings use it, and plain http at one origin, as the benchmark does.
var modes = map[string]bool{"tls": false, "plain": true}

// reply is one answer as a client sees it.
type reply struct {
	status int
	header http.Header
	body   string
}

// call sends one request to a service of the cloud; token "" sends none.
func call(ctx context.Context, t *testing.T, c *fakecloud.Cloud, method, label, path, token, body string) (reply, error) {
	t.Helper()
	base := "https://" + c.Host(label)
	if strings.HasPrefix(c.URL(), "http://") {
		base = c.URL()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := (&http.Client{Transport: c.Transport()}).Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(data)}, err
}

func mustCall(t *testing.T, c *fakecloud.Cloud, method, label, path, token, body string) reply {
	t.Helper()
	r, err := call(context.Background(), t, c, method, label, path, token, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func loginBody(password string) string {
	return `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + fakecloud.Default.UserName +
		`","domain":{"name":"` + fakecloud.Default.UserDomainName + `"},"password":"` + password +
		`"}}},"scope":{"project":{"id":"` + projectID + `"}}}}`
}

// login logs in and returns the token issued, failing the test unless the
// login succeeds.
func login(t *testing.T, c *fakecloud.Cloud, password string) string {
	t.Helper()
	r := mustCall(t, c, http.MethodPost, "iam", "/v3/auth/tokens", "", loginBody(password))
	if r.status != http.StatusCreated || r.header.Get("X-Subject-Token") == "" {
		t.Fatalf("login: HTTP %d %s", r.status, r.body)
	}
	return r.header.Get("X-Subject-Token")
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Code string `json:"error_code"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Code
}

const sharingPath = "/v2/" + projectID + "/os-vendor-backup-sharing/" + "ac0fb374-a288-4399-ac63-cc080a13a2ee"

// sharingRoute answers the example sharing's GET with the reference's body.
var sharingRoute = fakecloud.Route{Method: http.MethodGet, Label: "vbs", Path: sharingPath, Status: http.StatusOK, Body: fakecloud.SharingFullBody}

func TestStrictAndAnyLogin(t *testing.T) {
	for name, plain := range modes {
		t.Run(name, func(t *testing.T) {
			strict := start(t, fakecloud.Config{PlainHTTP: plain, Password: "right"})
			if r := mustCall(t, strict, http.MethodPost, "iam", "/v3/auth/tokens", "", loginBody("wrong")); r.status != http.StatusUnauthorized {
				t.Errorf("strict cloud, wrong password: HTTP %d, want 401", r.status)
			}
			if token := login(t, strict, "right"); token != fakecloud.Default.Token {
				t.Errorf("token %q, want the fixed %q", token, fakecloud.Default.Token)
			}
			anyone := start(t, fakecloud.Config{PlainHTTP: plain, Password: "right", AnyLogin: true})
			login(t, anyone, "wrong")
			if c := strict.Counts(); c[fakecloud.KindToken] != 2 || c[fakecloud.CountRequests] != 2 {
				t.Errorf("counts %v: want both logins counted", c)
			}
		})
	}
}

// The default: every login issues the one fixed token, which also works
// without a login, so committed cassettes never change.
func TestFixedTokenCanExpire(t *testing.T) {
	c := start(t, fakecloud.Config{Routes: []fakecloud.Route{sharingRoute}})
	if r := mustCall(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, ""); r.status != http.StatusOK {
		t.Fatalf("fixed token before any login: HTTP %d", r.status)
	}
	if r := mustCall(t, c, http.MethodGet, "vbs", sharingPath, "", ""); r.status != http.StatusUnauthorized || errorCode(t, r.body) != "APIGW.0301" {
		t.Errorf("no token: HTTP %d %s, want 401 APIGW.0301", r.status, r.body)
	}
	c.Expire(fakecloud.Default.Token)
	if r := mustCall(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, ""); r.status != http.StatusUnauthorized || errorCode(t, r.body) != "APIGW.0307" {
		t.Errorf("expired token: HTTP %d %s, want 401 APIGW.0307", r.status, r.body)
	}
	if a, b := login(t, c, fakecloud.Default.Password), login(t, c, fakecloud.Default.Password); a != b || a != fakecloud.Default.Token {
		t.Errorf("logins issued %q and %q, want the fixed token twice", a, b)
	}
	if r := mustCall(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, ""); r.status != http.StatusOK {
		t.Errorf("the token a login issued again: HTTP %d", r.status)
	}
	if got := c.Counts(); got[fakecloud.KindToken] != 2 || got[fakecloud.KindUnauthorized] != 2 || got[fakecloud.KindSharingGet] != 2 {
		t.Errorf("counts %v", got)
	}
}

// With DistinctTokens a test can expire the token one login got, then the
// token the next login got, and each login still counts.
func TestDistinctTokensExpireOneByOne(t *testing.T) {
	for name, plain := range modes {
		t.Run(name, func(t *testing.T) {
			c := start(t, fakecloud.Config{PlainHTTP: plain, Catalog: []fakecloud.Service{vbsService}, DistinctTokens: true, Routes: []fakecloud.Route{sharingRoute}})
			if r := mustCall(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, ""); r.status != http.StatusUnauthorized {
				t.Errorf("the bare Token before any login: HTTP %d, want 401", r.status)
			}
			first, second := login(t, c, fakecloud.Default.Password), login(t, c, fakecloud.Default.Password)
			if first != fakecloud.Default.Token+"-1" || second != fakecloud.Default.Token+"-2" {
				t.Fatalf("tokens %q, %q", first, second)
			}
			read := func(token string) reply { return mustCall(t, c, http.MethodGet, "vbs", sharingPath, token, "") }
			c.Expire(first)
			if r := read(first); r.status != http.StatusUnauthorized || errorCode(t, r.body) != "APIGW.0307" {
				t.Errorf("expired first token: HTTP %d %s", r.status, r.body)
			}
			if r := read(second); r.status != http.StatusOK {
				t.Errorf("second token after the first expired: HTTP %d", r.status)
			}
			c.Expire(second)
			if r := read(second); r.status != http.StatusUnauthorized {
				t.Errorf("expired second token: HTTP %d", r.status)
			}
			third := login(t, c, fakecloud.Default.Password)
			if r := read(third); third != fakecloud.Default.Token+"-3" || r.status != http.StatusOK {
				t.Errorf("third token %q: HTTP %d", third, r.status)
			}
			if got := c.Tokens(); strings.Join(got, " ") != strings.Join([]string{first, second, third}, " ") {
				t.Errorf("Tokens() = %v", got)
			}
			if got := c.Counts(); got[fakecloud.KindToken] != 3 || got[fakecloud.KindUnauthorized] != 3 || got[fakecloud.KindSharingGet] != 2 {
				t.Errorf("counts %v", got)
			}
		})
	}
}

// A mistyped auth_url path gets Keystone's 404, without a token; a route on
// iam can also turn the login itself into a 404, a given number of times.
func TestKeystonePathNotFound(t *testing.T) {
	for name, plain := range modes {
		t.Run(name, func(t *testing.T) {
			c := start(t, fakecloud.Config{PlainHTTP: plain, Routes: []fakecloud.Route{{
				Method: http.MethodPost, Label: "iam", Path: "/v3/auth/tokens", Status: http.StatusNotFound, Times: 1,
				Body: `{"error": {"code": 404, "message": "The resource could not be found.", "title": "Not Found"}}`,
			}}})
			for _, path := range []string{"/v3/typo/auth/tokens", "/identity/v3/auth/tokens"} {
				if r := mustCall(t, c, http.MethodPost, "iam", path, "", loginBody(fakecloud.Default.Password)); r.status != http.StatusNotFound {
					t.Errorf("POST %s: HTTP %d %s, want 404", path, r.status, r.body)
				}
			}
			if r := mustCall(t, c, http.MethodPost, "iam", "/v3/auth/tokens", "", loginBody(fakecloud.Default.Password)); r.status != http.StatusNotFound {
				t.Errorf("login answered by the route: HTTP %d, want 404", r.status)
			}
			login(t, c, fakecloud.Default.Password)
			if got := c.Counts(); got[fakecloud.KindToken] != 2 || got[fakecloud.KindOther] != 2 {
				t.Errorf("counts %v: want 2 logins and 2 other requests", got)
			}
		})
	}
}

// Routes on a service answer authenticated requests only, as often as Times
// says, then the next route (or the sharing API) answers.
func TestRouteTimes(t *testing.T) {
	c := start(t, fakecloud.Config{Routes: []fakecloud.Route{
		{Method: http.MethodGet, Label: "vbs", Path: sharingPath, Status: http.StatusServiceUnavailable, Times: 2, Header: map[string]string{"Retry-After": "1"}},
		sharingRoute,
	}})
	token := fakecloud.Default.Token
	if r := mustCall(t, c, http.MethodGet, "vbs", sharingPath, "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("no token: HTTP %d, want 401 before any route", r.status)
	}
	var got []int
	for range 4 {
		got = append(got, mustCall(t, c, http.MethodGet, "vbs", sharingPath, token, "").status)
	}
	if want := []int{503, 503, 200, 200}; fmtInts(got) != fmtInts(want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if r := mustCall(t, c, http.MethodGet, "evs", sharingPath, token, ""); r.status != http.StatusNotFound {
		t.Errorf("the sharing on another host: HTTP %d, want 404", r.status)
	}
	if reqs := c.Requests(); len(reqs) != 6 || reqs[0] != "GET vbs "+sharingPath || reqs[5] != "GET evs "+sharingPath {
		t.Errorf("Requests() = %v", reqs)
	}
}

func fmtInts(xs []int) string {
	b, _ := json.Marshal(xs)
	return string(b)
}

// The latency holds every response, in both modes, and many requests wait
// it out together; a client that gives up gets no answer and the cloud
// does not keep waiting for it.
func TestLatencyIsPerRequestAndHonoursCancellation(t *testing.T) {
	for name, plain := range modes {
		t.Run(name, func(t *testing.T) {
			c := start(t, fakecloud.Config{PlainHTTP: plain, Catalog: []fakecloud.Service{vbsService}, Latency: time.Hour, Routes: []fakecloud.Route{sharingRoute}})
			ctx, cancel := context.WithCancel(context.Background())
			const n = 8
			errs := make(chan error, n)
			for range n {
				go func() {
					_, err := call(ctx, t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, "")
					errs <- err
				}()
			}
			// Counting comes before the latency, so all n are counted only
			// once all n are waiting together.
			for c.Counts()[fakecloud.KindSharingGet] < n {
				runtime.Gosched()
			}
			if len(errs) != 0 {
				t.Fatalf("%d requests returned within an hour's latency", len(errs))
			}
			if got := c.Counts()[fakecloud.CountMaxInFlight]; got != n {
				t.Errorf("%d requests in flight at most, want all %d", got, n)
			}
			cancel()
			for range n {
				if err := <-errs; !errors.Is(err, context.Canceled) {
					t.Errorf("a cancelled request returned %v", err)
				}
			}
			// The handlers return once their requests are cancelled: a
			// reset sets the maximum to the requests in flight now.
			for {
				c.ResetCounts()
				if c.Counts()[fakecloud.CountMaxInFlight] == 0 {
					break
				}
				runtime.Gosched()
			}
			c.SetLatency(0)
			if r := mustCall(t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, ""); r.status != http.StatusOK {
				t.Errorf("without latency: HTTP %d", r.status)
			}
		})
	}
}

func TestControlEndpoints(t *testing.T) {
	c := start(t, fakecloud.Config{PlainHTTP: true, ControlPath: "/_ctl/"})
	login(t, c, fakecloud.Default.Password)
	counts := func() map[string]int64 {
		r := mustCall(t, c, http.MethodGet, "", "/_ctl/counts", "", "")
		var m map[string]int64
		if err := json.Unmarshal([]byte(r.body), &m); err != nil {
			t.Fatalf("counts: HTTP %d %q: %v", r.status, r.body, err)
		}
		return m
	}
	if m := counts(); m[fakecloud.KindToken] != 1 || m[fakecloud.CountRequests] != 1 {
		t.Errorf("counts %v: want the login alone, the control request not counted", m)
	}
	if r := mustCall(t, c, http.MethodPost, "", "/_ctl/reset", "", ""); r.status != http.StatusNoContent {
		t.Errorf("reset: HTTP %d", r.status)
	}
	if m := counts(); m[fakecloud.KindToken] != 0 || len(c.Requests()) != 0 {
		t.Errorf("after reset: counts %v, requests %v", m, c.Requests())
	}
}

// A route's delay holds its answer, after the request is counted, until the
// client gives up; other routes answer at once.
func TestRouteDelay(t *testing.T) {
	slow := sharingRoute
	slow.Delay = time.Hour
	c := start(t, fakecloud.Config{Catalog: []fakecloud.Service{vbsService}, Routes: []fakecloud.Route{slow}})
	if r := mustCall(t, c, http.MethodPost, "iam", "/v3/auth/tokens", "", loginBody(fakecloud.Default.Password)); r.status != http.StatusCreated {
		t.Fatalf("login: %d, want an undelayed 201", r.status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := call(ctx, t, c, http.MethodGet, "vbs", sharingPath, fakecloud.Default.Token, "")
		done <- err
	}()
	for c.Counts()[fakecloud.KindSharingGet] < 1 {
		runtime.Gosched()
	}
	select {
	case err := <-done:
		t.Fatalf("the delayed route answered at once: %v", err)
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled request returned %v", err)
	}
}
