package fakecloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// newRequest is a request to a service of the cloud; token "" sends none.
func newRequest(ctx context.Context, t *testing.T, c *fakecloud.Cloud, method, label, path, token, body string) *http.Request {
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
	return req
}

// call sends one request to a service of the cloud; token "" sends none.
func call(ctx context.Context, t *testing.T, c *fakecloud.Cloud, method, label, path, token, body string) (reply, error) {
	t.Helper()
	resp, err := (&http.Client{Transport: c.Transport()}).Do(newRequest(ctx, t, c, method, label, path, token, body))
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(data)}, err
}

// await blocks until ch is closed. A wait that never ends is cut short by
// the test binary's timeout, whose goroutine dump shows this call.
// waitBound bounds every wait of these tests: far beyond what any takes,
// far below the test binary's timeout.
const waitBound = 30 * time.Second

// await waits until the cloud has counted n under name, within waitBound.
func await(t *testing.T, c *fakecloud.Cloud, name string, n int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitBound)
	defer cancel()
	if err := c.Await(ctx, name, n); err != nil {
		t.Fatal(err)
	}
}

// awaitChannel waits for ch to close, within waitBound.
func awaitChannel(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitBound):
		t.Fatalf("waited %v for %s", waitBound, what)
	}
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
			await(t, c, fakecloud.KindSharingGet, n)
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
			idle, cancelIdle := context.WithTimeout(t.Context(), waitBound)
			defer cancelIdle()
			if err := c.AwaitIdle(idle); err != nil {
				t.Fatal(err)
			}
			c.ResetCounts()
			if got := c.Counts()[fakecloud.CountMaxInFlight]; got != 0 {
				t.Errorf("%d requests in flight after every handler returned", got)
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
	await(t, c, fakecloud.KindSharingGet, 1)
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

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Reached closes its channel when the count gets there, not before, and at
// once when it is there already; a name Counts does not report panics.
func TestReached(t *testing.T) {
	c := start(t, fakecloud.Config{PlainHTTP: true})
	second := c.Reached(fakecloud.KindToken, 2)
	login(t, c, fakecloud.Default.Password)
	if closed(second) {
		t.Fatal("closed after one login, want two")
	}
	login(t, c, fakecloud.Default.Password)
	awaitChannel(t, second, "the second login")
	if !closed(c.Reached(fakecloud.KindToken, 2)) || !closed(c.Reached(fakecloud.CountRequests, 0)) {
		t.Error("a count already reached does not close at once")
	}
	c.ResetCounts()
	again := c.Reached(fakecloud.KindToken, 1)
	if closed(again) {
		t.Fatal("closed right after a reset")
	}
	login(t, c, fakecloud.Default.Password)
	awaitChannel(t, again, "the login after the reset")

	defer func() {
		if recover() == nil {
			t.Error("Reached with an unknown name did not panic")
		}
	}()
	c.Reached("tokens", 1)
}

// Await returns once the count is there and fails at the context's end
// naming what it waited for and what arrived; AwaitIdle returns once no
// request is in flight and fails naming those that still are.
func TestAwaitAndAwaitIdle(t *testing.T) {
	release := make(chan struct{})
	held := sharingRoute
	held.Hold = release
	c := start(t, fakecloud.Config{PlainHTTP: true, Catalog: []fakecloud.Service{vbsService}, Routes: []fakecloud.Route{held}})
	done := make(chan reply, 1)
	go func() { done <- mustCallAs(t, c, "held-client/1.0", sharingPath) }()
	await(t, c, fakecloud.CountHeld, 1)

	expired, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Await(expired, fakecloud.KindSharingGet, 2); err == nil || !strings.Contains(err.Error(), "waiting for 2 sharing_get, 1 arrived") {
		t.Errorf("Await past its context: %v", err)
	}
	if err := c.AwaitIdle(expired); err == nil || !strings.Contains(err.Error(), "1 still are") {
		t.Errorf("AwaitIdle with a request held: %v", err)
	}
	close(release)
	if r := <-done; r.status != http.StatusOK {
		t.Errorf("released request: HTTP %d", r.status)
	}
	ctx, cancelWait := context.WithTimeout(t.Context(), waitBound)
	defer cancelWait()
	if err := c.AwaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Await(ctx, fakecloud.KindSharingGet, 1); err != nil {
		t.Fatal(err)
	}
}

// Waiters registered while the count climbs are all woken: none is missed
// between its check of the count and the increment that reaches it.
func TestReachedConcurrent(t *testing.T) {
	c := start(t, fakecloud.Config{PlainHTTP: true})
	const n = 16
	waits := make(chan (<-chan struct{}), n)
	logins := make(chan error, n)
	for i := range n {
		go func() { waits <- c.Reached(fakecloud.KindToken, int64(i+1)) }()
		go func() {
			r, err := call(context.Background(), t, c, http.MethodPost, "iam", "/v3/auth/tokens", "", loginBody(fakecloud.Default.Password))
			if err == nil && r.status != http.StatusCreated {
				err = fmt.Errorf("login: HTTP %d", r.status)
			}
			logins <- err
		}()
	}
	for range n {
		if err := <-logins; err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		awaitChannel(t, <-waits, "a count the logins reached")
	}
}

// A held route keeps its answer back, with the request counted as held,
// until the test releases it; Observe sees each request's headers first.
func TestRouteHoldAndObserve(t *testing.T) {
	release := make(chan struct{})
	held := sharingRoute
	held.Hold, held.Times = release, 1
	agents := make(chan string, 2)
	c := start(t, fakecloud.Config{PlainHTTP: true, Catalog: []fakecloud.Service{vbsService}, Routes: []fakecloud.Route{held},
		Observe: func(r *http.Request) { agents <- r.Header.Get("User-Agent") }})
	done := make(chan reply, 1)
	go func() { done <- mustCallAs(t, c, "held-client/1.0", sharingPath) }()
	await(t, c, fakecloud.CountHeld, 1)
	if len(done) != 0 {
		t.Fatal("the held request was answered before its release")
	}
	// Another request for the route is not held: Times ran out, and the
	// cloud's own 404 answers it.
	if r := mustCallAs(t, c, "other-client/2.0", sharingPath); r.status != http.StatusNotFound {
		t.Errorf("a request past the held route: HTTP %d, want 404", r.status)
	}
	close(release)
	if r := <-done; r.status != http.StatusOK || r.body != fakecloud.SharingFullBody {
		t.Errorf("released request: HTTP %d %s", r.status, r.body)
	}
	if a, b := <-agents, <-agents; a != "held-client/1.0" || b != "other-client/2.0" {
		t.Errorf("Observe saw User-Agents %q, %q", a, b)
	}
	if got := c.Counts()[fakecloud.CountHeld]; got != 1 {
		t.Errorf("%d requests held, want 1", got)
	}
}

// mustCallAs GETs path from the vbs service with the fixed token, as the
// given User-Agent.
func mustCallAs(t *testing.T, c *fakecloud.Cloud, agent, path string) reply {
	t.Helper()
	req := newRequest(context.Background(), t, c, http.MethodGet, "vbs", path, fakecloud.Default.Token, "")
	req.Header.Set("User-Agent", agent)
	resp, err := (&http.Client{Transport: c.Transport()}).Do(req)
	if err != nil {
		t.Error(err)
		return reply{}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Error(err)
	}
	return reply{resp.StatusCode, resp.Header, string(data)}
}

// With TokenUses a token serves that many requests and then expires on its
// own; a login issues a token that serves as many again.
func TestTokenUses(t *testing.T) {
	for _, distinct := range []bool{true, false} {
		t.Run(fmt.Sprintf("distinct tokens %v", distinct), func(t *testing.T) {
			c := start(t, fakecloud.Config{PlainHTTP: true, Catalog: []fakecloud.Service{vbsService}, DistinctTokens: distinct,
				TokenUses: 2, Routes: []fakecloud.Route{sharingRoute}})
			read := func(token string) reply { return mustCall(t, c, http.MethodGet, "vbs", sharingPath, token, "") }
			for round := range 2 {
				token := login(t, c, fakecloud.Default.Password)
				for use := range 2 {
					if r := read(token); r.status != http.StatusOK {
						t.Fatalf("login %d, use %d: HTTP %d %s", round+1, use+1, r.status, r.body)
					}
				}
				if r := read(token); r.status != http.StatusUnauthorized || errorCode(t, r.body) != "APIGW.0307" {
					t.Fatalf("login %d, third use: HTTP %d %s, want 401 APIGW.0307", round+1, r.status, r.body)
				}
			}
			if got := c.Counts(); got[fakecloud.KindToken] != 2 || got[fakecloud.KindSharingGet] != 4 || got[fakecloud.KindUnauthorized] != 2 ||
				got[fakecloud.CountTokenExpired] != 2 {
				t.Errorf("counts %v", got)
			}
		})
	}
}

// With TokenLifetime the login says when its token expires, and a token
// past its lifetime is refused. A lifetime of a nanosecond is over by the
// time the token comes back, as a round trip takes longer.
func TestTokenLifetime(t *testing.T) {
	for _, tc := range []struct {
		lifetime time.Duration
		status   int
	}{{time.Hour, http.StatusOK}, {time.Nanosecond, http.StatusUnauthorized}} {
		c := start(t, fakecloud.Config{PlainHTTP: true, Catalog: []fakecloud.Service{vbsService}, DistinctTokens: true,
			TokenLifetime: tc.lifetime, Routes: []fakecloud.Route{sharingRoute}})
		before := time.Now()
		r := mustCall(t, c, http.MethodPost, "iam", "/v3/auth/tokens", "", loginBody(fakecloud.Default.Password))
		after := time.Now()
		var body struct {
			Token struct {
				ExpiresAt time.Time `json:"expires_at"`
			} `json:"token"`
		}
		if err := json.Unmarshal([]byte(r.body), &body); err != nil {
			t.Fatal(err)
		}
		// The body's times have microseconds.
		if exp := body.Token.ExpiresAt; exp.Before(before.Add(tc.lifetime).Truncate(time.Microsecond)) || exp.After(after.Add(tc.lifetime)) {
			t.Errorf("lifetime %s: expires_at %s, want between %s and %s", tc.lifetime, exp, before.Add(tc.lifetime), after.Add(tc.lifetime))
		}
		if got := mustCall(t, c, http.MethodGet, "vbs", sharingPath, r.header.Get("X-Subject-Token"), ""); got.status != tc.status {
			t.Errorf("lifetime %s: HTTP %d, want %d", tc.lifetime, got.status, tc.status)
		}
	}
}
