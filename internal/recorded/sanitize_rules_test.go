package recorded

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/vbs-tf/terraform-provider-vbs/internal/transport"
)

// ruleCase places one value in a header (both ways), a query parameter (and
// form field) or a JSON body (both ways).
type ruleCase struct {
	header, param string
	body, want    string // want is what must be left of body; "" for body itself
}

// secretRuleCases is the least that the request log and a cassette must both
// hide: everything either of them hid when each kept its own rules.
var secretRuleCases = []ruleCase{
	// Headers, by exact name and by the words in them.
	{header: "Authorization"}, {header: "Proxy-Authorization"}, {header: "Cookie"}, {header: "Set-Cookie"},
	{header: "X-Sdk-Date"}, {header: "X-Auth-Token"}, {header: "X-Subject-Token"}, {header: "X-Security-Token"},
	{header: "X-Amz-Signature"}, {header: "X-Amz-Security-Token"}, {header: "X-Client-Secret"},
	{header: "X-Password"}, {header: "X-Credential"}, {header: "X-Auth-Key"}, {header: "X-Api-Key"}, {header: "X-Apikey"},

	// Query parameters.
	{param: "signature"}, {param: "Sig"}, {param: "token"}, {param: "x-auth-token"}, {param: "authToken"},
	{param: "access_key"}, {param: "AccessKeyId"}, {param: "secret"}, {param: "client_secret"},
	{param: "password"}, {param: "passwd"}, {param: "credential"}, {param: "api_key"}, {param: "auth"},
	{param: "session_id"}, {param: "code"}, {param: "key"}, {param: "ak"}, {param: "sk"},
	{param: "X-Amz-Signature"}, {param: "X-Amz-Credential"}, {param: "X-Amz-Date"}, {param: "X-Amz-Expires"},
	{param: "X-Amz-Algorithm"}, {param: "X-Amz-SignedHeaders"}, {param: "X-Amz-Security-Token"},
	{param: "passphrase"}, {param: "passcode"}, {param: "access"}, {param: "private_key"}, {param: "refresh_token"},

	// JSON keys, wherever they sit, and Keystone's token path.
	{body: `{"n":"kept","password":"planted-SECRET-1"}`, want: `{"n":"kept","password":"REDACTED"}`},
	{body: `{"n":"kept","passphrase":"planted-SECRET-2","passcode":"planted-SECRET-3"}`, want: `{"n":"kept","passphrase":"REDACTED","passcode":"REDACTED"}`},
	{body: `{"a":{"secret":"planted-SECRET-4","secret_key":"planted-SECRET-5","secretkey":"planted-SECRET-6","secret_access_key":"planted-SECRET-7"}}`,
		want: `{"a":{"secret":"REDACTED","secret_key":"REDACTED","secretkey":"REDACTED","secret_access_key":"REDACTED"}}`},
	{body: `[{"access":"planted-SECRET-8","access_key":"planted-SECRET-9","accesskey":"planted-SECRET-10","access_key_id":"planted-SECRET-11"}]`,
		want: `[{"access":"REDACTED","access_key":"REDACTED","accesskey":"REDACTED","access_key_id":"REDACTED"}]`},
	{body: `{"security_token":"planted-SECRET-12","securitytoken":"planted-SECRET-13","signature":"planted-SECRET-14","private_key":"planted-SECRET-15"}`,
		want: `{"security_token":"REDACTED","securitytoken":"REDACTED","signature":"REDACTED","private_key":"REDACTED"}`},
	{body: `{"token":"planted-SECRET-16","access_token":"planted-SECRET-17","refresh_token":"planted-SECRET-18","id_token":"planted-SECRET-19"}`,
		want: `{"token":"REDACTED","access_token":"REDACTED","refresh_token":"REDACTED","id_token":"REDACTED"}`},
	{body: `{"Secret_Key":"planted-SECRET-20","ACCESS":"planted-SECRET-21"}`, want: `{"Secret_Key":"REDACTED","ACCESS":"REDACTED"}`},
	{body: `{"auth":{"identity":{"methods":["token"],"token":{"id":"planted-SECRET-22"}},"scope":{"project":{"id":"p1"}}}}`,
		want: `{"auth":{"identity":{"methods":["token"],"token":{"id":"REDACTED"}},"scope":{"project":{"id":"p1"}}}}`},
	{body: `{"auth":{"identity":{"password":{"user":{"name":"u","domain":{"name":"d"},"password":"planted-SECRET-23"}}}}}`,
		want: `{"auth":{"identity":{"password":{"user":{"name":"u","domain":{"name":"d"},"password":"REDACTED"}}}}}`},
	{body: `{"token":["planted-SECRET-24","planted-SECRET-25",{"x":"kept"}]}`, want: `{"token":["REDACTED","REDACTED",{"x":"kept"}]}`},
	// Numbers and booleans are hidden alike; null has nothing to hide.
	{body: `{"password":987654321,"secret":true,"access_key":false,"token":[1,true],"passcode":null}`,
		want: `{"password":"REDACTED","secret":"REDACTED","access_key":"REDACTED","token":["REDACTED","REDACTED"],"passcode":null}`},
}

// keptRuleCases must survive both, or logs and cassettes stop being useful.
var keptRuleCases = []ruleCase{
	{header: "X-Project-Id"}, {header: "X-Openstack-Request-Id"}, {header: "Www-Authenticate"}, {header: "Retry-After"},
	{param: "limit"}, {param: "marker"}, {param: "offset"}, {param: "backup_id"}, {param: "to_project_id"}, {param: "share_to_me"},
	{body: `{"shared":{"id":"s1","backup":{"id":"b1"}},"token":{"id":"t1","expires_at":"x"},"token_type":"Bearer","password_expires_at":"2030","size":40,"is_incremental":true}`},
}

// TestLogAndCassetteHideTheSameSecrets runs every case through the request
// log at TRACE and through the cassette sanitiser, so neither can hide less
// than the other.
func TestLogAndCassetteHideTheSameSecrets(t *testing.T) {
	for _, tc := range secretRuleCases {
		t.Run(tc.label(), func(t *testing.T) { checkRuleCase(t, tc, true) })
	}
}

func TestLogAndCassetteKeepTheSameValues(t *testing.T) {
	for _, tc := range keptRuleCases {
		t.Run(tc.label(), func(t *testing.T) { checkRuleCase(t, tc, false) })
	}
}

// checkRuleCase expects the planted value replaced by Redacted (hidden) or
// kept, in the log and in the cassette, in requests and responses alike.
func checkRuleCase(t *testing.T, tc ruleCase, hidden bool) {
	logEntry, logText := logRuleCase(t, tc)
	i := sanitizeRuleCase(t, tc)
	value, want := tc.value(), tc.value()
	if hidden {
		want = Redacted
		if strings.Contains(logText, value) {
			t.Errorf("log shows %q:\n%s", value, logText)
		}
		if text := interactionText(i); strings.Contains(text, value) {
			t.Errorf("cassette shows %q: %s", value, text)
		}
	}
	switch {
	case tc.header != "":
		for side, got := range map[string]string{
			"log request":       loggedHeader(logEntry["request_headers"], tc.header),
			"log response":      loggedHeader(logEntry["response_headers"], tc.header),
			"cassette request":  i.Request.Headers.Get(tc.header),
			"cassette response": i.Response.Headers.Get(tc.header),
		} {
			if got != want {
				t.Errorf("%s: %s = %q, want %q", side, tc.header, got, want)
			}
		}
	case tc.param != "":
		if u, _ := logEntry["url"].(string); !strings.Contains(u, tc.param+"="+want) || !strings.Contains(u, "n=1") {
			t.Errorf("log url %q, want %s=%s and n=1", u, tc.param, want)
		}
		u, err := url.Parse(i.Request.URL)
		if err != nil {
			t.Fatal(err)
		}
		if u.Query().Get(tc.param) != want || u.Query().Get("n") != "1" {
			t.Errorf("cassette url %q, want %s=%s and n=1", i.Request.URL, tc.param, want)
		}
		if i.Request.Form.Get(tc.param) != want || i.Request.Form.Get("n") != "1" {
			t.Errorf("cassette form %v, want %s=%s and n=1", i.Request.Form, tc.param, want)
		}
	default:
		checkRuleBodies(t, tc, logEntry, i)
	}
}

func (tc ruleCase) label() string {
	switch {
	case tc.header != "":
		return "header " + tc.header
	case tc.param != "":
		return "query " + tc.param
	}
	return "body " + tc.body
}

// value is what the case plants; for a body, the first planted secret.
func (tc ruleCase) value() string {
	switch {
	case tc.header != "":
		return "planted-SECRET-" + tc.header
	case tc.param != "":
		return "planted-SECRET-" + tc.param
	}
	if _, rest, ok := strings.Cut(tc.body, `"planted-SECRET-`); ok {
		n, _, _ := strings.Cut(rest, `"`)
		return "planted-SECRET-" + n
	}
	return "\x00no planted string"
}

func (tc ruleCase) request(t *testing.T, ctx context.Context) *http.Request {
	t.Helper()
	target := "https://vbs.example.com/v2/p/os-vendor-backup-sharing/detail?n=1"
	if tc.param != "" {
		target += "&" + url.QueryEscape(tc.param) + "=" + url.QueryEscape(tc.value())
	}
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if tc.header != "" {
		req.Header.Set(tc.header, tc.value())
	}
	return req
}

func (tc ruleCase) responseHeader() http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if tc.header != "" {
		h.Set(tc.header, tc.value())
	}
	return h
}

// logRuleCase sends the case through the request log at TRACE and returns
// the detail entry and the whole log.
func logRuleCase(t *testing.T, tc ruleCase) (map[string]any, string) {
	t.Helper()
	var buf bytes.Buffer
	req := tc.request(t, tflogtest.RootLogger(context.Background(), &buf))
	base := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Header: tc.responseHeader(),
			Body: io.NopCloser(strings.NewReader(tc.body))}, nil
	})
	resp, err := transport.NewLogging(base).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	text := buf.String()
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e["@message"] == "HTTP exchange" {
			return e, text
		}
	}
	t.Fatalf("no TRACE entry in:\n%s", text)
	return nil, ""
}

func sanitizeRuleCase(t *testing.T, tc ruleCase) *cassette.Interaction {
	t.Helper()
	req := tc.request(t, context.Background())
	i := &cassette.Interaction{
		Request: cassette.Request{
			Method:  req.Method,
			URL:     req.URL.String(),
			Headers: req.Header,
			Body:    tc.body,
			Form:    url.Values{"n": {"1"}},
		},
		Response: cassette.Response{Headers: tc.responseHeader(), Body: tc.body, Code: http.StatusOK},
	}
	if tc.param != "" {
		i.Request.Form.Set(tc.param, tc.value())
	}
	if err := (sanitizer{}).interaction(i); err != nil {
		t.Fatal(err)
	}
	return i
}

func checkRuleBodies(t *testing.T, tc ruleCase, logEntry map[string]any, i *cassette.Interaction) {
	t.Helper()
	want := tc.want
	if want == "" {
		want = tc.body
	}
	logReq, _ := logEntry["request_body"].(string)
	logResp, _ := logEntry["response_body"].(string)
	for side, got := range map[string]string{
		"log request": logReq, "log response": logResp,
		"cassette request": i.Request.Body, "cassette response": i.Response.Body,
	} {
		if !sameBody(got, want) {
			t.Errorf("%s body\n got %s\nwant %s", side, got, want)
		}
	}
}

// loggedHeader reads one header from a logged http.Header, which the log
// holds as a JSON object of string arrays.
func loggedHeader(logged any, name string) string {
	m, _ := logged.(map[string]any)
	vs, _ := m[name].([]any)
	if len(vs) != 1 {
		return ""
	}
	s, _ := vs[0].(string)
	return s
}

func interactionText(i *cassette.Interaction) string {
	var b strings.Builder
	b.WriteString(i.Request.URL + "\n" + i.Request.Body + "\n" + i.Response.Body + "\n")
	for _, h := range []http.Header{i.Request.Headers, i.Response.Headers} {
		for k, vs := range h {
			b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
		}
	}
	for k, vs := range i.Request.Form {
		b.WriteString(k + "=" + strings.Join(vs, ",") + "\n")
	}
	return b.String()
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
