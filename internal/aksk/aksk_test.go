package aksk

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Published test vectors from Huawei's Go SDK:
//
//	repo:   huaweicloud/huaweicloud-sdk-go-v3
//	path:   core/auth/signer/signer_test.go (TestSigner_Sign, TestSigner_canonicalQueryString)
//	commit: 54c11bc944dfd3d849239f7fcde65a383884688c (2025-02-13, where these
//	        expected values were introduced; unchanged at HEAD
//	        1cd70eb6f730ea721771a6ec8d96352bbb801787)
//
// AK "AccessKey", SK "SecretKey", endpoint https://example.huaweicloud.com,
// path /path, X-Sdk-Date 20060102T150405Z plus a TEST_UNDERSCORE header.
// That SDK signs every header except Content-Type and names containing "_",
// which here leaves only x-sdk-date. Its POST body is the struct
// {Name: "test", Id: 1} written by json.Encoder, hence the trailing newline.
const (
	vectorAK   = "AccessKey"
	vectorSK   = "SecretKey"
	vectorDate = "20060102T150405Z"
)

var vectors = []struct {
	name, method, url, contentType, body, want string
}{
	{
		name:   "GET",
		method: http.MethodGet,
		url:    "https://example.huaweicloud.com/path?limit=1",
		want: "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, " +
			"Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
	},
	{
		name:        "POST",
		method:      http.MethodPost,
		url:         "https://example.huaweicloud.com/path?key=value",
		contentType: "application/json",
		body:        "{\"Name\":\"test\",\"Id\":1}\n",
		want: "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, " +
			"Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
	},
}

func vectorRequest(t *testing.T, method, rawURL, contentType, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, rawURL, strings.NewReader(body))
	r.Header.Set("X-Sdk-Date", vectorDate)
	r.Header.Set("TEST_UNDERSCORE", "TEST_VALUE")
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestPublishedVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			r := vectorRequest(t, v.method, v.url, v.contentType, v.body)
			creds := Credentials{AccessKey: vectorAK, SecretKey: vectorSK}
			if err := signWith(r, []byte(v.body), creds, []string{"x-sdk-date"}); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get("Authorization"); got != v.want {
				t.Errorf("Authorization\n got %s\nwant %s", got, v.want)
			}
		})
	}
}

func TestVerifyAcceptsPublishedVectors(t *testing.T) {
	at, _ := time.Parse(DateFormat, vectorDate)
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			r := vectorRequest(t, v.method, v.url, v.contentType, v.body)
			r.Header.Set("Authorization", v.want)
			if err := Verify(r, []byte(v.body), lookup(vectorAK, vectorSK), at.Add(time.Minute), 15*time.Minute); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// Expected string from the same SDK test file (TestSigner_canonicalQueryString).
func TestCanonicalQueryPublishedVector(t *testing.T) {
	q := url.Values{}
	q.Add("limit", "1")
	q.Add("enable", "true")
	q.Add("test", "一 (&=?!#%.*)")
	q.Add("path", "/tmp/123")
	for _, m := range []string{"1", "2", "3"} {
		q.Add("multi", m)
	}
	u := &url.URL{RawQuery: q.Encode()}
	want := "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
	if got := canonicalQuery(u); got != want {
		t.Errorf("canonicalQuery\n got %s\nwant %s", got, want)
	}
}

func TestCanonicalURI(t *testing.T) {
	for path, want := range map[string]string{
		"":                 "/",
		"/":                "/",
		"/v2/p/x":          "/v2/p/x/",
		"/v2/p/x/":         "/v2/p/x/",
		"/a b/ü":           "/a%20b/%C3%BC/",
		"/a+b/c~d_e.f-g":   "/a%2Bb/c~d_e.f-g/",
		"relative/segment": "/relative/segment/",
	} {
		if got := canonicalURI(&url.URL{Path: path}); got != want {
			t.Errorf("canonicalURI(%q) = %q, want %q", path, got, want)
		}
	}
}

func lookup(ak, sk string) func(string) (string, bool) {
	return func(got string) (string, bool) {
		if got == ak {
			return sk, true
		}
		return "", false
	}
}

var fixedNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

const (
	testAK    = "AKTESTAKTESTAKTEST"
	testSK    = "sk-very-secret-value-0123456789"
	testToken = "security-token-value-xyz"
	testProj  = "0123456789abcdef0123456789abcdef"
)

func TestSignHeaders(t *testing.T) {
	for _, tc := range []struct {
		name, project, token, wantSigned string
	}{
		{"permanent", "", "", "host;x-sdk-date"},
		{"project", testProj, "", "host;x-project-id;x-sdk-date"},
		{"temporary", testProj, testToken, "host;x-project-id;x-sdk-date;x-security-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSigner(Credentials{AccessKey: testAK, SecretKey: testSK, SecurityToken: tc.token}, tc.project, fixedClock)
			r := httptest.NewRequest(http.MethodGet, "https://vbs.eu-de.example.com/v2/p/os-vendor-backup-sharing/detail?limit=2", nil)
			if err := s.Sign(r, nil); err != nil {
				t.Fatal(err)
			}
			if got := r.Header.Get("X-Sdk-Date"); got != "20240506T070809Z" {
				t.Errorf("X-Sdk-Date = %q", got)
			}
			if got := r.Header.Get("X-Project-Id"); got != tc.project {
				t.Errorf("X-Project-Id = %q, want %q", got, tc.project)
			}
			if got := r.Header.Get("X-Security-Token"); got != tc.token {
				t.Errorf("X-Security-Token = %q, want %q", got, tc.token)
			}
			auth := r.Header.Get("Authorization")
			prefix := "SDK-HMAC-SHA256 Access=" + testAK + ", SignedHeaders=" + tc.wantSigned + ", Signature="
			if !strings.HasPrefix(auth, prefix) || len(auth) != len(prefix)+64 {
				t.Errorf("Authorization = %q, want %q + 64 hex digits", auth, prefix)
			}
			if err := Verify(r, nil, lookup(testAK, testSK), fixedNow, 15*time.Minute); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

// A local clock in another zone must still produce a UTC X-Sdk-Date.
func TestSignUsesUTC(t *testing.T) {
	zone := time.FixedZone("UTC+5", 5*3600)
	s := NewSigner(Credentials{AccessKey: testAK, SecretKey: testSK}, "", func() time.Time { return fixedNow.In(zone) })
	r := httptest.NewRequest(http.MethodGet, "https://h/", nil)
	if err := s.Sign(r, nil); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("X-Sdk-Date"); got != "20240506T070809Z" {
		t.Errorf("X-Sdk-Date = %q", got)
	}
}

func TestSignMissingCredentials(t *testing.T) {
	for _, c := range []Credentials{{AccessKey: testAK}, {SecretKey: testSK}, {}} {
		r := httptest.NewRequest(http.MethodGet, "https://h/", nil)
		if err := NewSigner(c, "", nil).Sign(r, nil); !errors.Is(err, ErrMissingCredentials) {
			t.Errorf("Sign with %v: err = %v, want ErrMissingCredentials", c, err)
		}
	}
}

func TestCredentialsFormattingHidesSecrets(t *testing.T) {
	c := Credentials{AccessKey: testAK, SecretKey: testSK, SecurityToken: testToken}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(&c)} {
		if strings.Contains(s, testSK) || strings.Contains(s, testToken) {
			t.Errorf("formatted credentials leak a secret: %s", s)
		}
	}
}

// The transport against a server that checks signatures with Verify: the
// end-to-end check that what net/http puts on the wire (Host, path, query,
// body) is what was signed.
func TestTransportAgainstVerifyingServer(t *testing.T) {
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := Verify(r, body, lookup(testAK, testSK), fixedNow.Add(2*time.Minute), 15*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		seen.Add(1)
		if r.Header.Get("X-Project-Id") != testProj || r.Header.Get("X-Security-Token") != testToken {
			http.Error(w, "project or token header missing", http.StatusBadRequest)
			return
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	client := &http.Client{Transport: NewTransport(srv.Client().Transport,
		Credentials{AccessKey: testAK, SecretKey: testSK, SecurityToken: testToken}, testProj, fixedClock)}

	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/v2/" + testProj + "/os-vendor-backup-sharing/detail?limit=10&marker=a%20b&backup_id=x", ""},
		{http.MethodGet, "/v2/" + testProj + "/os-vendor-backup-sharing/count", ""},
		{http.MethodPost, "/v2/" + testProj + "/os-vendor-backup-sharing", `{"shared":{"backup_id":"b","to_project_ids":["p1","p2"]}}`},
		{http.MethodDelete, "/v2/" + testProj + "/os-vendor-backup-sharing/abc?is_backup_id=true", ""},
		{http.MethodGet, "/odd%20path/ü/x%2Fy", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, got)
			}
			if string(got) != tc.body {
				t.Errorf("server saw body %q, want %q", got, tc.body)
			}
		})
	}
	if seen.Load() != 5 {
		t.Errorf("verified %d requests, want 5", seen.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The signed request must carry a body that can be read again (a retry layer
// or an HTTP/2 connection reset asks GetBody for it), and the caller's
// request must be left as it was.
func TestTransportBodyReplayableAndCallerUntouched(t *testing.T) {
	const payload = `{"shared":{"backup_id":"b"}}`
	var captured *http.Request
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		captured = r
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})
	rt := NewTransport(base, Credentials{AccessKey: testAK, SecretKey: testSK}, testProj, fixedClock)
	req, _ := http.NewRequest(http.MethodPost, "https://vbs.example.com/v2/p/os-vendor-backup-sharing", strings.NewReader(payload))
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Authorization") != "" || req.Header.Get("X-Sdk-Date") != "" {
		t.Error("caller's request was modified")
	}
	if captured.ContentLength != int64(len(payload)) {
		t.Errorf("ContentLength = %d", captured.ContentLength)
	}
	for i := 0; i < 3; i++ {
		var rc io.ReadCloser
		if i == 0 {
			rc = captured.Body
		} else {
			var err error
			if rc, err = captured.GetBody(); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := io.ReadAll(rc)
		if string(b) != payload {
			t.Errorf("read %d: body %q", i, b)
		}
	}
	if err := Verify(captured, []byte(payload), lookup(testAK, testSK), fixedNow, time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

type failingBody struct{ closed bool }

func (f *failingBody) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
func (f *failingBody) Close() error             { f.closed = true; return nil }

func TestTransportClosesBodyOnError(t *testing.T) {
	body := &failingBody{}
	req, _ := http.NewRequest(http.MethodPost, "https://h/", body)
	rt := NewTransport(roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Fatal("base called")
		return nil, nil
	}), Credentials{AccessKey: testAK, SecretKey: testSK}, "", fixedClock)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("no error")
	}
	if !body.closed {
		t.Error("request body not closed")
	}
}

// Every way a request can differ from what was signed must be caught, and
// no error may quote the secret key or the signature.
func TestVerifyRejects(t *testing.T) {
	const payload = `{"a":1}`
	signedRequest := func(t *testing.T, creds Credentials) *http.Request {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "https://vbs.example.com/v2/p/x?b=2&a=1", strings.NewReader(payload))
		if err := NewSigner(creds, testProj, fixedClock).Sign(r, []byte(payload)); err != nil {
			t.Fatal(err)
		}
		return r
	}
	full := Credentials{AccessKey: testAK, SecretKey: testSK, SecurityToken: testToken}
	for _, tc := range []struct {
		name   string
		creds  Credentials
		tamper func(r *http.Request) []byte
		now    time.Time
		skew   time.Duration
		want   error
	}{
		{name: "method", tamper: func(r *http.Request) []byte { r.Method = http.MethodPut; return nil }, want: ErrSignatureMismatch},
		{name: "path", tamper: func(r *http.Request) []byte { r.URL.Path = "/v2/p/y"; return nil }, want: ErrSignatureMismatch},
		{name: "query value", tamper: func(r *http.Request) []byte { r.URL.RawQuery = "b=3&a=1"; return nil }, want: ErrSignatureMismatch},
		{name: "query added", tamper: func(r *http.Request) []byte { r.URL.RawQuery += "&c=1"; return nil }, want: ErrSignatureMismatch},
		{name: "body", tamper: func(r *http.Request) []byte { return []byte(`{"a":2}`) }, want: ErrSignatureMismatch},
		{name: "host", tamper: func(r *http.Request) []byte { r.Host = "evil.example.com"; return nil }, want: ErrSignatureMismatch},
		{name: "project", tamper: func(r *http.Request) []byte { r.Header.Set("X-Project-Id", "other"); return nil }, want: ErrSignatureMismatch},
		{name: "token", tamper: func(r *http.Request) []byte { r.Header.Set("X-Security-Token", "other"); return nil }, want: ErrSignatureMismatch},
		{name: "date", tamper: func(r *http.Request) []byte { r.Header.Set("X-Sdk-Date", "20240506T070810Z"); return nil }, want: ErrSignatureMismatch},
		{name: "wrong secret", creds: Credentials{AccessKey: testAK, SecretKey: "another-secret", SecurityToken: testToken}, want: ErrSignatureMismatch},
		{name: "unknown key", creds: Credentials{AccessKey: "OTHERAK", SecretKey: testSK, SecurityToken: testToken}, want: ErrUnknownAccessKey},
		{name: "too old", now: fixedNow.Add(16 * time.Minute), skew: 15 * time.Minute, want: ErrClockSkew},
		{name: "from the future", now: fixedNow.Add(-16 * time.Minute), skew: 15 * time.Minute, want: ErrClockSkew},
		{name: "no authorization", tamper: func(r *http.Request) []byte { r.Header.Del("Authorization"); return nil }, want: ErrNoSignature},
		{name: "bad date", tamper: func(r *http.Request) []byte { r.Header.Set("X-Sdk-Date", "yesterday"); return nil }, want: ErrMalformed},
		{name: "token not signed", tamper: func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-security-token", "", 1))
			return nil
		}, want: ErrMalformed},
		{name: "date not signed", tamper: func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-sdk-date", "", 1))
			return nil
		}, want: ErrMalformed},
		{name: "signed header absent", tamper: func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "host;x-missing;", 1))
			return nil
		}, want: ErrMalformed},
		{name: "derived-key form", tamper: func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Access="+testAK, "Credential="+testAK+"/20240506///sdk_request", 1))
			return nil
		}, want: ErrMalformed},
		{name: "other algorithm", tamper: func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SDK-HMAC-SHA256", "AWS4-HMAC-SHA256", 1))
			return nil
		}, want: ErrMalformed},
		{name: "garbage", tamper: func(r *http.Request) []byte { r.Header.Set("Authorization", "SDK-HMAC-SHA256 nonsense"); return nil }, want: ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			creds := full
			if tc.creds.AccessKey != "" {
				creds = tc.creds
			}
			r := signedRequest(t, creds)
			sig := r.Header.Get("Authorization")[strings.LastIndex(r.Header.Get("Authorization"), "=")+1:]
			body := []byte(payload)
			if tc.tamper != nil {
				if b := tc.tamper(r); b != nil {
					body = b
				}
			}
			now := fixedNow
			if !tc.now.IsZero() {
				now = tc.now
			}
			err := Verify(r, body, lookup(testAK, testSK), now, tc.skew)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			for _, secret := range []string{testSK, creds.SecretKey, sig} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a secret or the signature", err)
				}
			}
		})
	}
}

func TestVerifyAcceptsUppercaseHexAndIgnoresSkewWhenDisabled(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "https://h/x", nil)
	if err := NewSigner(Credentials{AccessKey: testAK, SecretKey: testSK}, "", fixedClock).Sign(r, nil); err != nil {
		t.Fatal(err)
	}
	auth := r.Header.Get("Authorization")
	i := strings.LastIndex(auth, "=") + 1
	r.Header.Set("Authorization", auth[:i]+strings.ToUpper(auth[i:]))
	if err := Verify(r, nil, lookup(testAK, testSK), fixedNow.Add(100*24*time.Hour), 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestTransportEmptyBodies(t *testing.T) {
	for _, body := range []io.Reader{nil, http.NoBody, bytes.NewReader(nil)} {
		var captured *http.Request
		rt := NewTransport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
			captured = r
			return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
		}), Credentials{AccessKey: testAK, SecretKey: testSK}, "", fixedClock)
		req, _ := http.NewRequest(http.MethodDelete, "https://h/v2/p/x", body)
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if captured.ContentLength != 0 {
			t.Errorf("ContentLength = %d", captured.ContentLength)
		}
		if err := Verify(captured, nil, lookup(testAK, testSK), fixedNow, time.Minute); err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
}
