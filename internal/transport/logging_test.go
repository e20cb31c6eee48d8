package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/hashicorp/terraform-plugin-log/tfsdklog"
)

// Distinctive values for every secret the provider handles; none may appear
// in any log line.
var secrets = map[string]string{
	"password in JSON body":         "pw-SECRET-7f3a9c",
	"X-Auth-Token":                  "auth-token-SECRET-5d21",
	"X-Subject-Token in response":   "subject-token-SECRET-88aa",
	"Authorization":                 "sig-SECRET-0b0b0b",
	"X-Security-Token":              "security-token-SECRET-c4c4",
	"signature query parameter":     "query-signature-SECRET-9e9e",
	"secret in response JSON":       "response-secret-SECRET-1a1a",
	"Set-Cookie":                    "cookie-SECRET-2b2b",
	"token id in Keystone auth":     "keystone-token-SECRET-3c3c",
	"access key in response JSON":   "response-access-SECRET-4d4d",
	"X-Auth-Token (second request)": "auth-token-SECRET-second-6e6e",
}

func TestLoggingRedactsEverySecretAtTrace(t *testing.T) {
	responseBody := `{"credential":{"access":"` + secrets["access key in response JSON"] +
		`","secret":"` + secrets["secret in response JSON"] + `","expires_at":"2030-01-01T00:00:00Z"},"note":"kept"}`
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("X-Openstack-Request-Id", "req-0c1d2e3f")
		w.Header().Set("X-Subject-Token", secrets["X-Subject-Token in response"])
		w.Header().Set("Set-Cookie", "session="+secrets["Set-Cookie"])
		w.Header().Set("Content-Type", "application/json")
		if calls == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"code":"APIGW.0308","message":"busy"}}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, responseBody)
	}))
	defer srv.Close()

	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	rt := NewRetry(NewLogging(srv.Client().Transport), RetryOptions{Sleep: (&sleepRecorder{}).Sleep})

	reqBody := `{"auth":{"identity":{"methods":["password","token"],` +
		`"password":{"user":{"name":"bob","password":"` + secrets["password in JSON body"] + `"}},` +
		`"token":{"id":"` + secrets["token id in Keystone auth"] + `"}}}}`
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		srv.URL+"/v2/p/os-vendor-backup-sharing?limit=5&signature="+secrets["signature query parameter"], strings.NewReader(reqBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", secrets["X-Auth-Token"])
	req.Header.Add("X-Auth-Token", secrets["X-Auth-Token (second request)"])
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature="+secrets["Authorization"])
	req.Header.Set("X-Security-Token", secrets["X-Security-Token"])

	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != responseBody {
		t.Errorf("caller got body %q, want the untouched response", got)
	}

	log := buf.String()
	for what, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("log contains the %s", what)
		}
	}

	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var debug, trace []map[string]any
	for _, e := range entries {
		switch e["@message"] {
		case "HTTP request":
			debug = append(debug, e)
		case "HTTP exchange":
			trace = append(trace, e)
		}
	}
	if len(debug) != 2 || len(trace) != 2 {
		t.Fatalf("got %d DEBUG and %d TRACE entries, want 2 of each:\n%s", len(debug), len(trace), log)
	}
	last := debug[1]
	for k, want := range map[string]any{
		"@level":     "debug",
		"method":     "POST",
		"status":     float64(201),
		"request_id": "req-0c1d2e3f",
		"attempt":    float64(2),
	} {
		if last[k] != want {
			t.Errorf("DEBUG field %s = %v, want %v", k, last[k], want)
		}
	}
	if _, ok := last["duration_ms"].(float64); !ok {
		t.Errorf("DEBUG entry lacks duration_ms: %v", last)
	}
	if u, _ := last["url"].(string); !strings.Contains(u, "limit=5") || !strings.Contains(u, "signature=REDACTED") {
		t.Errorf("url = %q, want the query kept with the signature redacted", u)
	}
	if debug[0]["attempt"] != float64(1) || debug[0]["status"] != float64(429) {
		t.Errorf("first attempt logged as %v", debug[0])
	}

	tr := trace[1]
	if tr["@level"] != "trace" {
		t.Errorf("detail entry level %v", tr["@level"])
	}
	if rb, _ := tr["request_body"].(string); !strings.Contains(rb, `"name":"bob"`) || !strings.Contains(rb, `"password":"REDACTED"`) {
		t.Errorf("request_body = %q, want the JSON with only the password redacted", rb)
	}
	if rb, _ := tr["response_body"].(string); !strings.Contains(rb, `"note":"kept"`) || !strings.Contains(rb, `"secret":"REDACTED"`) {
		t.Errorf("response_body = %q", rb)
	}
	if !strings.Contains(log, "REDACTED") || !strings.Contains(log, "X-Subject-Token") {
		t.Error("headers should be listed with REDACTED values")
	}
}

func TestLoggingNonJSONBodyIsDescribedNotShown(t *testing.T) {
	const secret = "plain-text-SECRET-4242"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>password="+secret+"</html>")
	}))
	defer srv.Close()
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL, strings.NewReader("password="+secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := NewLogging(srv.Client().Transport).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(got), secret) {
		t.Error("the caller must still get the body")
	}
	log := buf.String()
	if strings.Contains(log, secret) {
		t.Errorf("non-JSON body logged:\n%s", log)
	}
	for _, want := range []string{"bytes of text/html, not JSON", "bytes of application/x-www-form-urlencoded, not JSON"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestLoggingTruncatesLongBodies(t *testing.T) {
	long := `{"items":["` + strings.Repeat("é", 10000) + `"]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, long)
	}))
	defer srv.Close()
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := NewLogging(srv.Client().Transport).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != long {
		t.Error("the caller must get the whole body")
	}
	entries, _ := tflogtest.MultilineJSONDecode(&buf)
	var body string
	for _, e := range entries {
		if s, ok := e["response_body"].(string); ok {
			body = s
		}
	}
	if !strings.Contains(body, "truncated") || len(body) > maxLoggedBody+100 {
		t.Errorf("logged body of %d bytes, want at most ~%d and marked truncated", len(body), maxLoggedBody)
	}
	if !strings.HasPrefix(body, `{"items":["é`) || strings.ContainsRune(body, '\uFFFD') {
		t.Error("truncation must not split a UTF-8 sequence")
	}
}

func TestLoggingTransportError(t *testing.T) {
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://h/x?token=hidden-SECRET", nil)
	_, err := NewLogging(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("connection refused")
	})).RoundTrip(req)
	if err == nil {
		t.Fatal("want the error passed through")
	}
	log := buf.String()
	if !strings.Contains(log, "HTTP request failed") || !strings.Contains(log, "connection refused") {
		t.Errorf("log:\n%s", log)
	}
	if strings.Contains(log, "hidden-SECRET") {
		t.Error("query secret logged")
	}
}

// Without a logger in the context the transport must be a pass-through:
// no body is read, copied or replaced.
func TestLoggingWithoutLoggerLeavesBodiesAlone(t *testing.T) {
	respBody := io.NopCloser(strings.NewReader("{}"))
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: respBody}, nil
	})
	req, _ := http.NewRequest(http.MethodPost, "https://h/", strings.NewReader("{}"))
	req.GetBody = func() (io.ReadCloser, error) { t.Error("GetBody called"); return nil, errors.New("no") }
	resp, err := NewLogging(base).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Body != respBody {
		t.Error("response body replaced")
	}
}

// At DEBUG only the summary line is written, and bodies are left alone.
func TestLoggingAtDebugOmitsHeadersAndBodies(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "tf.log")
	t.Setenv("TF_LOG", "DEBUG")
	t.Setenv("TF_LOG_PATH", logFile)
	t.Setenv("TF_ACC_LOG_PATH", "")
	t.Setenv("TF_LOG_PATH_MASK", "")
	ctx := tfsdklog.ContextWithTestLogging(context.Background(), t.Name())
	ctx = tfsdklog.NewRootProviderLogger(ctx, tfsdklog.WithLevel(hclog.Debug))

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-debug-1")
		_, _ = io.WriteString(w, `{"visible_only_at_trace":true}`)
	}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/p/x", nil)
	req.Header.Set("X-Auth-Token", "debug-token-SECRET")
	resp, err := NewLogging(srv.Client().Transport).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if !strings.Contains(log, "HTTP request") || !strings.Contains(log, "req-debug-1") {
		t.Errorf("DEBUG summary missing:\n%s", log)
	}
	for _, unwanted := range []string{"HTTP exchange", "visible_only_at_trace", "X-Auth-Token", "debug-token-SECRET"} {
		if strings.Contains(log, unwanted) {
			t.Errorf("DEBUG log contains %q:\n%s", unwanted, log)
		}
	}
}
