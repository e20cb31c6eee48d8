package recorded_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/vbs-tf/terraform-provider-vbs/internal/aksk"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// An access key pair the fake cloud accepts. Like the password and token,
// the values are distinctive so a search of a cassette cannot hit them by
// accident; the access key is treated as secret too.
const (
	testAccessKey     = "AKSKTESTACCESSKEY0001"
	testSecretKey     = "sk-SECRET-2718"
	testSecurityToken = "st-SECRET-3141"
	akskBackupID      = "1f0e6a52-0000-4000-8000-00000000b001"
)

var testCreds = aksk.Credentials{AccessKey: testAccessKey, SecretKey: testSecretKey, SecurityToken: testSecurityToken}

// akskCloudConfig serves the full sharing on GET and a sharing store for
// POST, so the recording has a request with a body to sign.
func akskCloudConfig() fakecloud.Config {
	cfg := scenarios[0].cloudConfig()
	cfg.AccessKey, cfg.SecretKey, cfg.SecurityToken = testAccessKey, testSecretKey, testSecurityToken
	cfg.Catalog = []fakecloud.Service{vbsv2Service}
	cfg.Sharings = fakecloud.NewSharings(projectID, map[string]any{"id": akskBackupID, "name": "nightly-db", "status": "available"})
	return cfg
}

// signatureCapture remembers every SDK-HMAC-SHA256 signature that passes
// through it, so a test can search a cassette for each one.
type signatureCapture struct {
	base http.RoundTripper
	mu   sync.Mutex
	auth []string
}

var signatureValue = regexp.MustCompile(`Signature=([0-9a-fA-F]+)`)

func (c *signatureCapture) RoundTrip(r *http.Request) (*http.Response, error) {
	if a := r.Header.Get("Authorization"); a != "" {
		c.mu.Lock()
		c.auth = append(c.auth, a)
		c.mu.Unlock()
	}
	return c.base.RoundTrip(r)
}

func (c *signatureCapture) signatures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, a := range c.auth {
		if m := signatureValue.FindStringSubmatch(a); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// signingClient signs every request with creds for projectID and sends it
// through base; capture, when not nil, sees the signed requests.
func signingClient(base http.RoundTripper, creds aksk.Credentials, capture *signatureCapture) *http.Client {
	if capture != nil {
		capture.base = base
		base = capture
	}
	return &http.Client{Transport: aksk.NewTransport(base, creds, projectID, nil)}
}

type akskExchange struct {
	catalogStatus, getStatus, postStatus int
	getBody                              string
}

// runAKSKClient plays an AK/SK client: the catalog from Keystone (there is
// no token body to read it from), then a GET and a POST on VBS.
func runAKSKClient(t *testing.T, client *http.Client, authURL string) akskExchange {
	t.Helper()
	var ex akskExchange
	status, body := do(t, client, http.MethodGet, authURL+"/auth/catalog", "")
	ex.catalogStatus = status
	if status != http.StatusOK {
		t.Fatalf("GET /v3/auth/catalog: status %d, body %s", status, body)
	}
	var cat struct {
		Catalog []catalogEntry `json:"catalog"`
	}
	if err := json.Unmarshal([]byte(body), &cat); err != nil {
		t.Fatalf("catalog body: %v", err)
	}
	endpoint := endpointFor(t, cat.Catalog)
	ex.getStatus, ex.getBody = do(t, client, http.MethodGet, endpoint+"/os-vendor-backup-sharing/"+sharingID, "")
	ex.postStatus, _ = do(t, client, http.MethodPost, endpoint+"/os-vendor-backup-sharing",
		`{"shared":{"backup_id":"`+akskBackupID+`","to_project_ids":["aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"]}}`)
	return ex
}

func do(t *testing.T, client *http.Client, method, url, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

type gatewayError struct {
	Code      string `json:"error_code"`
	Msg       string `json:"error_msg"`
	RequestID string `json:"request_id"`
}

func wantGatewayAuthError(t *testing.T, what string, status int, body string) {
	t.Helper()
	if status != http.StatusUnauthorized {
		t.Errorf("%s: status %d, want 401; body %s", what, status, body)
		return
	}
	var e gatewayError
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("%s: error body: %v: %s", what, err, body)
	}
	if e.Code != "APIGW.0301" || !strings.HasPrefix(e.Msg, "Incorrect IAM authentication information") || e.RequestID == "" {
		t.Errorf("%s: error body %s, want the gateway's APIGW.0301 with a request ID", what, body)
	}
}

func TestFakeCloudAKSK(t *testing.T) {
	cloud := startCloud(t, akskCloudConfig())
	sharingURL := "https://" + cloud.Host("vbs") + vbsPath + "/os-vendor-backup-sharing/" + sharingID
	catalogURL := cloud.AuthURL() + "/auth/catalog"

	signed := signingClient(cloud.Transport(), testCreds, nil)
	status, body := do(t, signed, http.MethodGet, catalogURL, "")
	if status != http.StatusOK {
		t.Fatalf("signed catalog: status %d %s", status, body)
	}
	var cat struct {
		Catalog json.RawMessage `json:"catalog"`
	}
	if err := json.Unmarshal([]byte(body), &cat); err != nil {
		t.Fatal(err)
	}
	plain := &http.Client{Transport: cloud.Transport()}
	resp, tokenBody := authenticate(t, plain, cloud.AuthURL(), authBody(testPassword, projectID))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("password auth: %d", resp.StatusCode)
	}
	var token struct {
		Token struct {
			Catalog json.RawMessage `json:"catalog"`
		} `json:"token"`
	}
	if err := json.Unmarshal([]byte(tokenBody), &token); err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, string(cat.Catalog), string(token.Token.Catalog)) {
		t.Errorf("GET /v3/auth/catalog\n%s\ndiffers from the token's catalog\n%s", cat.Catalog, token.Token.Catalog)
	}

	if status, body := do(t, signed, http.MethodGet, sharingURL, ""); status != http.StatusOK || !sameJSON(t, body, sharingFullBody) {
		t.Errorf("signed GET: status %d %s", status, body)
	}
	if status, _ := do(t, signed, http.MethodPost, "https://"+cloud.Host("vbs")+vbsPath+"/os-vendor-backup-sharing",
		`{"shared":{"backup_id":"`+akskBackupID+`","to_project_ids":["p2"]}}`); status != http.StatusOK {
		t.Errorf("signed POST: status %d", status)
	}

	wrongSK := testCreds
	wrongSK.SecretKey = "sk-WRONG"
	status, body = do(t, signingClient(cloud.Transport(), wrongSK, nil), http.MethodGet, sharingURL, "")
	wantGatewayAuthError(t, "wrong secret key", status, body)
	var e gatewayError
	_ = json.Unmarshal([]byte(body), &e)
	if e.Msg != "Incorrect IAM authentication information: verify aksk signature fail" {
		t.Errorf("wrong secret key: error_msg %q", e.Msg)
	}

	noToken := testCreds
	noToken.SecurityToken = ""
	status, body = do(t, signingClient(cloud.Transport(), noToken, nil), http.MethodGet, sharingURL, "")
	wantGatewayAuthError(t, "no security token", status, body)

	otherProject := &http.Client{Transport: aksk.NewTransport(cloud.Transport(), testCreds, "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001", nil)}
	status, body = do(t, otherProject, http.MethodGet, sharingURL, "")
	wantGatewayAuthError(t, "another project", status, body)

	// Tokens still work, and nothing at all does not.
	req, _ := http.NewRequest(http.MethodGet, sharingURL, nil)
	req.Header.Set("X-Auth-Token", testToken)
	if resp, err := plain.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("token GET: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	status, body = do(t, plain, http.MethodGet, sharingURL, "")
	wantGatewayAuthError(t, "no credentials", status, body)
}

// recordAKSK records runAKSKClient through record mode with re-signing and
// returns the cassette path and every signature that was sent on either
// side of the recorder.
func recordAKSK(t *testing.T) (string, []string) {
	t.Helper()
	cloud := startCloud(t, akskCloudConfig())
	upstream := &signatureCapture{base: cloud.Transport()}
	file := filepath.Join(t.TempDir(), "aksk")
	srv, err := recorded.Start(recorded.Options{
		Cassette: file, Mode: recorded.ModeRecord,
		Upstream: cloud.AuthURL(), Transport: upstream,
		Resign: &testCreds, ResignProjectID: projectID,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	client := &signatureCapture{}
	ex := runAKSKClient(t, signingClient(srv.Client().Transport, testCreds, client), srv.AuthURL())
	if ex.getStatus != http.StatusOK || ex.postStatus != http.StatusOK {
		t.Fatalf("recording through the re-signing proxy: GET %d, POST %d; body %s", ex.getStatus, ex.postStatus, ex.getBody)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if u := srv.Unmatched(); len(u) != 0 {
		t.Fatalf("unmatched while recording: %v", u)
	}
	sent, forwarded := client.signatures(), upstream.signatures()
	if len(sent) != 3 || len(forwarded) != 3 {
		t.Fatalf("signatures: %d from the client, %d to the cloud; want 3 each", len(sent), len(forwarded))
	}
	for i := range sent {
		if sent[i] == forwarded[i] {
			t.Errorf("request %d reached the cloud with the client's signature; it should have been re-signed for the real host", i)
		}
	}
	return file, append(sent, forwarded...)
}

func TestRecordAKSKRedactsSignatures(t *testing.T) {
	file, signatures := recordAKSK(t)
	data, err := os.ReadFile(file + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, leak := range append([]string{testSecretKey, testSecurityToken, testAccessKey, "Signature=", "SDK-HMAC-SHA256"}, signatures...) {
		if strings.Contains(text, leak) {
			t.Errorf("cassette contains %q", leak)
		}
	}
	c, err := cassette.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Interactions) != 3 {
		t.Fatalf("%d interactions, want 3", len(c.Interactions))
	}
	for _, i := range c.Interactions {
		h := i.Request.Headers
		for _, name := range []string{"Authorization", "X-Sdk-Date", "X-Security-Token"} {
			if got := h.Get(name); got != recorded.Redacted {
				t.Errorf("%s %s: %s = %q, want %s", i.Request.Method, i.Request.URL, name, got, recorded.Redacted)
			}
		}
		// The project ID says which project a request was for and is no
		// secret; keeping it makes the cassette reviewable.
		if got := h.Get("X-Project-Id"); got != projectID {
			t.Errorf("%s %s: X-Project-Id = %q, want it kept", i.Request.Method, i.Request.URL, got)
		}
	}
}

func TestReplayVerifiesAKSK(t *testing.T) {
	file, _ := recordAKSK(t)
	srv, err := recorded.Start(recorded.Options{Cassette: file, AKSK: map[string]string{testAccessKey: testSecretKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })

	// A fresh date and host, so fresh signatures: they verify all the same.
	ex := runAKSKClient(t, signingClient(srv.Client().Transport, testCreds, nil), srv.AuthURL())
	if ex.getStatus != http.StatusOK || ex.postStatus != http.StatusOK || !sameJSON(t, ex.getBody, sharingFullBody) {
		t.Errorf("replay: GET %d, POST %d, body %s", ex.getStatus, ex.postStatus, ex.getBody)
	}
	// The next Terraform command starts by reading the catalog again, after
	// the recorded POST: like a login, that read matches anywhere.
	signed := signingClient(srv.Client().Transport, testCreds, nil)
	if status, body := do(t, signed, http.MethodGet, srv.AuthURL()+"/auth/catalog", ""); status != http.StatusOK {
		t.Errorf("catalog after the recorded change: status %d %s", status, body)
	}
	if u := srv.Unmatched(); len(u) != 0 {
		t.Fatalf("unmatched: %v", u)
	}

	sharingURL := "http://vbs.localhost:" + port(srv) + scenarios[0].sharingPath()
	wrong := testCreds
	wrong.SecretKey = "sk-WRONG-1618"
	capture := &signatureCapture{}
	status, body := do(t, signingClient(srv.Client().Transport, wrong, capture), http.MethodGet, sharingURL, "")
	wantGatewayAuthError(t, "wrong secret key", status, body)

	unknown := testCreds
	unknown.AccessKey = "AKSKUNKNOWNACCESSKEY9"
	status, body = do(t, signingClient(srv.Client().Transport, unknown, capture), http.MethodGet, sharingURL, "")
	wantGatewayAuthError(t, "unknown access key", status, body)

	u := srv.Unmatched()
	if len(u) != 2 {
		t.Fatalf("Unmatched() = %q, want the two rejected requests", u)
	}
	if !strings.Contains(u[0], "GET "+scenarios[0].sharingPath()) || !strings.Contains(u[0], "signature does not match") {
		t.Errorf("Unmatched()[0] = %q; it should name the request and the failed signature", u[0])
	}
	if !strings.Contains(u[1], "access key is not one of Options.AKSK") {
		t.Errorf("Unmatched()[1] = %q; it should say the access key is unknown", u[1])
	}
	for _, desc := range u {
		for _, leak := range append([]string{testSecretKey, wrong.SecretKey, testAccessKey, unknown.AccessKey, testSecurityToken}, capture.signatures()...) {
			if strings.Contains(desc, leak) {
				t.Errorf("Unmatched() entry %q contains %q", desc, leak)
			}
		}
	}
}

// TestReplayAuthDoesNotAffectMatching crosses the two: a token cassette
// answers signed requests (verified), an AK/SK cassette answers token
// requests.
func TestReplayAuthDoesNotAffectMatching(t *testing.T) {
	sc := scenarios[0]
	tokenCassette, err := recorded.Start(recorded.Options{
		Cassette: filepath.Join(cassetteDir(t), sc.name),
		AKSK:     map[string]string{testAccessKey: testSecretKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tokenCassette.Close() })
	url := "http://vbs.localhost:" + port(tokenCassette) + sc.sharingPath()
	if status, body := do(t, signingClient(tokenCassette.Client().Transport, testCreds, nil), http.MethodGet, url, ""); status != http.StatusOK {
		t.Errorf("signed GET from a token cassette: status %d %s", status, body)
	}
	if u := tokenCassette.Unmatched(); len(u) != 0 {
		t.Errorf("unmatched: %v", u)
	}

	file, _ := recordAKSK(t)
	akskCassette := startReplay(t, file)
	url = "http://vbs.localhost:" + port(akskCassette) + sc.sharingPath()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Auth-Token", "any-token")
	resp, err := akskCassette.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("token GET from an AK/SK cassette: status %d", resp.StatusCode)
	}

	// Without Options.AKSK a signature cannot be checked, so it is refused
	// rather than waved through.
	status, body := do(t, signingClient(akskCassette.Client().Transport, testCreds, nil), http.MethodGet, url, "")
	wantGatewayAuthError(t, "no AKSK configured", status, body)
	if u := akskCassette.Unmatched(); len(u) != 1 || !strings.Contains(u[0], "set Options.AKSK") {
		t.Errorf("Unmatched() = %q", u)
	}
}

// TestRecordWithoutResignFails shows why Resign exists: the client signed
// for the local name, so the gateway rejects the forwarded signature.
func TestRecordWithoutResignFails(t *testing.T) {
	cloud := startCloud(t, akskCloudConfig())
	srv, err := recorded.Start(recorded.Options{
		Cassette: filepath.Join(t.TempDir(), "unsigned"), Mode: recorded.ModeRecord,
		Upstream: cloud.AuthURL(), Transport: cloud.Transport(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	status, body := do(t, signingClient(srv.Client().Transport, testCreds, nil), http.MethodGet, srv.AuthURL()+"/auth/catalog", "")
	wantGatewayAuthError(t, "forwarded signature", status, body)
}

func TestStartForTestResignsFromEnvironment(t *testing.T) {
	cloud := startCloud(t, akskCloudConfig())
	t.Setenv(recorded.EnvRecord, "1")
	t.Setenv(recorded.EnvAuthURL, cloud.AuthURL())
	t.Setenv(recorded.EnvAccessKey, testAccessKey)
	t.Setenv(recorded.EnvSecretKey, testSecretKey)
	t.Setenv(recorded.EnvSecurityToken, testSecurityToken)
	t.Setenv(recorded.EnvProjectID, projectID)

	file := filepath.Join(t.TempDir(), "from_env")
	var seen recorded.Options
	ft := &fakeTB{TB: t}
	srv := recorded.StartForTestWithOptions(ft, "never_written", func(o *recorded.Options) {
		seen = *o
		// Never the committed directory: this test records.
		o.Cassette = file
		o.Transport = cloud.Transport()
	})
	if srv == nil {
		t.Fatalf("StartForTestWithOptions: %v", ft.fatals)
	}
	if seen.Mode != recorded.ModeRecord || seen.Upstream != cloud.AuthURL() {
		t.Errorf("options before configure: mode %v, upstream %q", seen.Mode, seen.Upstream)
	}
	if seen.Resign == nil || *seen.Resign != testCreds || seen.ResignProjectID != projectID {
		t.Errorf("Resign = %v, project %q; want the OS_* credentials", seen.Resign, seen.ResignProjectID)
	}
	ex := runAKSKClient(t, signingClient(srv.Client().Transport, testCreds, nil), srv.AuthURL())
	if ex.getStatus != http.StatusOK || ex.postStatus != http.StatusOK {
		t.Errorf("recording: GET %d, POST %d", ex.getStatus, ex.postStatus)
	}
	ft.runCleanups()
	if len(ft.errors) != 0 {
		t.Errorf("cleanup: %v", ft.errors)
	}
	data, err := os.ReadFile(file + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{testSecretKey, testSecurityToken, testAccessKey} {
		if strings.Contains(string(data), leak) {
			t.Errorf("cassette contains %q", leak)
		}
	}
}

func TestResignNeedsBothKeys(t *testing.T) {
	_, err := recorded.Start(recorded.Options{
		Cassette: filepath.Join(t.TempDir(), "x"), Mode: recorded.ModeRecord,
		Upstream: "https://iam.example.com/v3", Resign: &aksk.Credentials{AccessKey: testAccessKey},
	})
	if err == nil || !strings.Contains(err.Error(), "secret key") {
		t.Errorf("err = %v", err)
	}
}
