package recorded_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

func startReplay(t *testing.T, cassettePath string) *recorded.Server {
	t.Helper()
	srv, err := recorded.Start(recorded.Options{Cassette: cassettePath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func port(srv *recorded.Server) string {
	return srv.URL()[strings.LastIndex(srv.URL(), ":")+1:]
}

var localEndpoint = regexp.MustCompile(`^http://([a-z][a-z0-9-]*)\.localhost:([0-9]+)/`)

func TestReplayCommittedCassettes(t *testing.T) {
	dir := cassetteDir(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			srv := startReplay(t, filepath.Join(dir, sc.name))
			ex := runClient(t, srv.Client(), srv.AuthURL(), sc)
			if sc.authStatus != 0 {
				return // runClient checked the login's answer
			}

			if ex.subjectToken == "" {
				t.Error("token response has no X-Subject-Token")
			}
			labels := map[string]bool{}
			for _, entry := range ex.catalog {
				for _, ep := range entry.Endpoints {
					m := localEndpoint.FindStringSubmatch(ep.URL)
					if m == nil || m[2] != port(srv) {
						t.Errorf("catalog %s endpoint %s does not point at the server", entry.Type, ep.URL)
						continue
					}
					labels[m[1]] = true
				}
			}
			if !labels["iam"] {
				t.Errorf("catalog has no iam endpoint: %v", labels)
			}
			if want := "http://vbs.localhost:" + port(srv) + sc.sharingPath(); ex.getURL != want {
				t.Errorf("GET went to %s, want %s", ex.getURL, want)
			}
			if ex.getStatus != sc.status {
				t.Errorf("GET status %d, want %d; body %s", ex.getStatus, sc.status, ex.getBody)
			}
			if !sameJSON(t, ex.getBody, sc.body) {
				t.Errorf("GET body\n%s\nwant\n%s", ex.getBody, sc.body)
			}
			for k, v := range sc.header {
				if got := ex.getHeader.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if u := srv.Unmatched(); len(u) != 0 {
				t.Errorf("unmatched: %v", u)
			}
			want := []string{"POST /v3/auth/tokens", "GET " + sc.sharingPath()}
			if got := srv.Requests(); !slices.Equal(got, want) {
				t.Errorf("Requests() = %v, want %v", got, want)
			}
		})
	}
}

func TestVolumev2CatalogOnlyNamesEVS(t *testing.T) {
	srv := startReplay(t, filepath.Join(cassetteDir(t), "sharing_volumev2_catalog"))
	resp, body := authenticate(t, srv.Client(), srv.AuthURL(), authBody(testPassword, projectID))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("auth status %d", resp.StatusCode)
	}
	if strings.Contains(body, "vbs.localhost") || !strings.Contains(body, "http://evs.localhost:"+port(srv)+"/v2/") {
		t.Errorf("catalog should name only the evs host:\n%s", body)
	}
}

// TestRecordReplayRoundTrip records against the fake cloud, checks that the
// cassette gives nothing away, and expects replay to answer as the cloud did.
func TestRecordReplayRoundTrip(t *testing.T) {
	for _, sc := range []scenario{scenarios[0], scenarios[4]} {
		t.Run(sc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "round_trip")
			recordedEx, cloud := recordScenario(t, sc, file)
			assertClean(t, file+".yaml", cloud)
			if got := cloud.Requests(); !slices.Equal(got, []string{
				"POST iam /v3/auth/tokens", "GET vbs " + sc.sharingPath(),
			}) {
				t.Errorf("the fake cloud received %v", got)
			}
			if recordedEx.subjectToken != testToken {
				t.Errorf("in record mode the client must get the real token, got %q", recordedEx.subjectToken)
			}

			srv := startReplay(t, file)
			replayedEx := runClient(t, srv.Client(), srv.AuthURL(), sc)
			if replayedEx.authStatus != recordedEx.authStatus || replayedEx.getStatus != recordedEx.getStatus {
				t.Errorf("replay statuses %d/%d, recorded %d/%d", replayedEx.authStatus, replayedEx.getStatus,
					recordedEx.authStatus, recordedEx.getStatus)
			}
			if replayedEx.subjectToken != recorded.Redacted {
				t.Errorf("replayed token %q, want %q", replayedEx.subjectToken, recorded.Redacted)
			}
			if !sameJSON(t, replayedEx.getBody, recordedEx.getBody) {
				t.Errorf("replayed body differs:\n%s\nrecorded:\n%s", replayedEx.getBody, recordedEx.getBody)
			}
			if len(replayedEx.catalog) != len(recordedEx.catalog) {
				t.Errorf("replayed catalog has %d entries, recorded %d", len(replayedEx.catalog), len(recordedEx.catalog))
			}
			for n := range min(len(replayedEx.catalog), len(recordedEx.catalog)) {
				r, o := replayedEx.catalog[n].Endpoints[0].URL, recordedEx.catalog[n].Endpoints[0].URL
				if localEndpoint.ReplaceAllString(r, "$1/") != localEndpoint.ReplaceAllString(o, "$1/") {
					t.Errorf("catalog entry %d: replayed %s, recorded %s", n, r, o)
				}
			}
		})
	}
}

func get(t *testing.T, srv *recorded.Server, url string) (int, string) {
	t.Helper()
	resp, err := srv.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func unmatchedError(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body: %v: %s", err, body)
	}
	if e.Error.Code != "RECORDED.UNMATCHED" {
		t.Errorf("error code %q, want RECORDED.UNMATCHED", e.Error.Code)
	}
	return e.Error.Message
}

func TestUnmatchedRequests(t *testing.T) {
	srv := startReplay(t, filepath.Join(cassetteDir(t), "sharing_full"))
	vbs := "http://vbs.localhost:" + port(srv)

	otherPath := vbsPath + "/os-vendor-backup-sharing/" + missingID
	status, body := get(t, srv, vbs+otherPath+"?b=2&a=1")
	if status != http.StatusInternalServerError {
		t.Errorf("another ID: status %d, want 500", status)
	}
	msg := unmatchedError(t, body)
	if !strings.Contains(msg, "sharing_full.yaml") || !strings.Contains(msg, "GET "+otherPath+"?b=2&a=1") {
		t.Errorf("message %q should name the cassette and the request", msg)
	}

	// The recorded path on the wrong service host.
	evs := "http://evs.localhost:" + port(srv)
	status, body = get(t, srv, evs+scenarios[0].sharingPath())
	if status != http.StatusInternalServerError {
		t.Errorf("evs host: status %d, want 500", status)
	}
	if msg := unmatchedError(t, body); !strings.Contains(msg, `host label "evs"`) || !strings.Contains(msg, "differ in host label") {
		t.Errorf("message %q should name the host label and the near miss", msg)
	}

	// The right request still matches, with a query parameter order that
	// does not matter and a token the cassette never saw.
	status, _ = get(t, srv, vbs+scenarios[0].sharingPath())
	if status != http.StatusOK {
		t.Errorf("recorded GET: status %d", status)
	}

	unmatched := srv.Unmatched()
	if len(unmatched) != 2 || !strings.Contains(unmatched[0], missingID) || !strings.Contains(unmatched[1], `"evs"`) {
		t.Errorf("Unmatched() = %q", unmatched)
	}
}

func TestKeystoneBodyMatching(t *testing.T) {
	srv := startReplay(t, filepath.Join(cassetteDir(t), "sharing_full"))

	resp, _ := authenticate(t, srv.Client(), srv.AuthURL(), authBody("another-password", projectID))
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("a different password should still match the redacted one: status %d", resp.StatusCode)
	}
	// Key order and whitespace do not matter either.
	reordered := `{"auth": {"scope": {"project": {"id": "` + projectID + `"}},
		"identity": {"password": {"user": {"password": "x", "name": "tf-recorder",
		"domain": {"name": "OTC00000000001000000042"}}}, "methods": ["password"]}}}`
	resp, _ = authenticate(t, srv.Client(), srv.AuthURL(), reordered)
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("reordered body: status %d", resp.StatusCode)
	}
	// The same body sent to the iam name rather than the bare address.
	resp, _ = authenticate(t, srv.Client(), "http://iam.localhost:"+port(srv)+"/v3", authBody(testPassword, projectID))
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("auth via iam.localhost: status %d", resp.StatusCode)
	}
	if u := srv.Unmatched(); len(u) != 0 {
		t.Fatalf("unmatched: %v", u)
	}

	resp, body := authenticate(t, srv.Client(), srv.AuthURL(), authBody(testPassword, "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"))
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("another project scope: status %d, want 500", resp.StatusCode)
	}
	unmatchedError(t, body)
	if u := srv.Unmatched(); len(u) != 1 || !strings.Contains(u[0], "POST /v3/auth/tokens") {
		t.Errorf("Unmatched() = %q", u)
	}
}

// TestReplayPrefersUnusedInteractions scripts a sharing that disappears: the
// same GET answers 200, then 404, then keeps answering 404.
func TestReplayPrefersUnusedInteractions(t *testing.T) {
	name := filepath.Join(t.TempDir(), "scripted")
	interaction := func(id, code int) string {
		return fmt.Sprintf(`    - id: %d
      request:
        url: https://vbs.recorded.invalid/v2/p/os-vendor-backup-sharing/s
        method: GET
      response:
        body: '{"status": %d}'
        code: %d
`, id, code, code)
	}
	text := "---\nversion: 2\ninteractions:\n" + interaction(0, 200) + interaction(1, 404)
	if err := os.WriteFile(name+".yaml", []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	srv := startReplay(t, name)
	vbs := "http://vbs.localhost:" + port(srv) + "/v2/p/os-vendor-backup-sharing/s"
	var got []int
	for range 3 {
		status, _ := get(t, srv, vbs)
		got = append(got, status)
	}
	if want := []int{200, 404, 404}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
}

func TestStartForTestFailsOnUnmatched(t *testing.T) {
	ft := &fakeTB{TB: t}
	srv := recorded.StartForTest(ft, "sharing_full")
	if srv == nil {
		t.Fatalf("StartForTest failed: %v", ft.fatals)
	}
	get(t, srv, "http://vbs.localhost:"+port(srv)+"/v2/nope")
	get(t, srv, "http://vbs.localhost:"+port(srv)+"/v2/nope/again")
	if len(ft.errors) != 0 {
		t.Fatalf("errors before cleanup: %v", ft.errors)
	}
	ft.runCleanups()
	if len(ft.errors) != 2 || !strings.Contains(ft.errors[0], "GET /v2/nope") || !strings.Contains(ft.errors[1], "GET /v2/nope/again") {
		t.Errorf("cleanup reported %q, want one error per unmatched request", ft.errors)
	}
	// The server is closed by then.
	if _, err := srv.Client().Get(srv.URL()); err == nil {
		t.Error("server still answers after cleanup")
	}
}

func TestStartForTestCleanWhenAllMatched(t *testing.T) {
	ft := &fakeTB{TB: t}
	srv := recorded.StartForTest(ft, "sharing_sparse.yaml")
	if srv == nil {
		t.Fatalf("StartForTest failed: %v", ft.fatals)
	}
	runClient(t, srv.Client(), srv.AuthURL(), scenarios[1])
	ft.runCleanups()
	if len(ft.errors) != 0 {
		t.Errorf("errors: %v", ft.errors)
	}
}

func TestStartForTestRecordNeedsAuthURL(t *testing.T) {
	t.Setenv(recorded.EnvRecord, "1")
	t.Setenv(recorded.EnvAuthURL, "")
	ft := &fakeTB{TB: t}
	if srv := recorded.StartForTest(ft, "sharing_full"); srv != nil {
		t.Error("StartForTest started without OS_AUTH_URL")
	}
	if len(ft.fatals) != 1 || !strings.Contains(ft.fatals[0], "OS_AUTH_URL") {
		t.Errorf("fatals %q", ft.fatals)
	}
}

func TestStartReplayMissingCassette(t *testing.T) {
	_, err := recorded.Start(recorded.Options{Cassette: filepath.Join(t.TempDir(), "absent.yaml")})
	if err == nil || !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("err = %v", err)
	}
}

// fakeTB records what StartForTest reports instead of failing the real test.
type fakeTB struct {
	testing.TB
	cleanups []func()
	errors   []string
	fatals   []string
}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Cleanup(fn func())         { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Errorf(s string, a ...any) { f.errors = append(f.errors, fmt.Sprintf(s, a...)) }
func (f *fakeTB) Fatalf(s string, a ...any) { f.fatals = append(f.fatals, fmt.Sprintf(s, a...)) }

func (f *fakeTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	f.cleanups = nil
}
