package recorded

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

func TestSanitizeBodyRedactsSecretsOnly(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{{
		name: "password auth keeps the user",
		in:   `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","domain":{"name":"d"},"password":"hunter2"}}}}}`,
		want: `{"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"d"},"name":"u","password":"REDACTED"}}}}}`,
	}, {
		name: "token auth",
		in:   `{"auth":{"identity":{"methods":["token"],"token":{"id":"gAAAAAB-real"}},"scope":{"project":{"id":"p1"}}}}`,
		want: `{"auth":{"identity":{"methods":["token"],"token":{"id":"REDACTED"}},"scope":{"project":{"id":"p1"}}}}`,
	}, {
		name: "AK/SK credential",
		in:   `{"credential":{"access":"AK123","secret":"SK456","securitytoken":"ST789","expires_at":"x"}}`,
		want: `{"credential":{"access":"REDACTED","expires_at":"x","secret":"REDACTED","securitytoken":"REDACTED"}}`,
	}, {
		name: "keys are case-insensitive, objects under a secret key are walked",
		in:   `[{"Secret_Key":"k","token":{"id":"keep","expires_at":"t"}}]`,
		want: `[{"Secret_Key":"REDACTED","token":{"expires_at":"t","id":"keep"}}]`,
	}, {
		name: "numbers survive",
		in:   `{"size":40,"ratio":1.50,"password":null}`,
		want: `{"password":null,"ratio":1.50,"size":40}`,
	}, {
		name: "not JSON",
		in:   `password=hunter2`,
		want: `password=hunter2`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sanitizer{}.body(tt.in)
			if !sameBody(got, tt.want) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if strings.Contains(got, "hunter2") && strings.HasPrefix(tt.in, "{") {
				t.Errorf("secret survived: %s", got)
			}
		})
	}
}

func TestSanitizeBodyKeepsKeyOrderWithoutSecrets(t *testing.T) {
	got := sanitizer{}.body(`{"z":1,"a":{"y":null,"b":"x"}}`)
	want := "{\n  \"z\": 1,\n  \"a\": {\n    \"y\": null,\n    \"b\": \"x\"\n  }\n}"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSanitizeInteraction(t *testing.T) {
	hosts := newHostRegistry()
	hosts.learn("https", "iam.eu-de.example.com")
	hosts.learn("https", "vbs.eu-de.example.com:8443")
	i := &cassette.Interaction{
		Request: cassette.Request{
			Host: "vbs.eu-de.example.com:8443",
			URL:  "https://vbs.eu-de.example.com:8443/v2/p/x?limit=5&X-Amz-Signature=abc&signature=def",
			Headers: http.Header{
				"X-Auth-Token":    {"tok"},
				"Authorization":   {"SDK-HMAC-SHA256 Credential=AK/x, Signature=zz"},
				"X-Sdk-Date":      {"20240301T101530Z"},
				"Accept-Encoding": {"gzip"},
				"Content-Length":  {"12"},
				"User-Agent":      {"terraform-provider-vbs/dev"},
			},
			Form:       url.Values{"signature": {"def"}, "limit": {"5"}},
			RemoteAddr: "127.0.0.1:5555",
		},
		Response: cassette.Response{
			Headers: http.Header{
				"X-Subject-Token": {"tok"},
				"Set-Cookie":      {"session=abc"},
				"Location":        {"https://iam.eu-de.example.com/v3/x"},
				"Content-Length":  {"99"},
			},
			Body:     `{"links":{"self":"https://vbs.eu-de.example.com:8443/v2/p"},"note":"see iam.eu-de.example.com"}`,
			Duration: 1234,
		},
	}
	if err := (sanitizer{hosts: hosts.placeholderReplacer()}).interaction(i); err != nil {
		t.Fatal(err)
	}

	req, resp := i.Request, i.Response
	if req.Host != "vbs.recorded.invalid" {
		t.Errorf("host %q", req.Host)
	}
	u, _ := url.Parse(req.URL)
	if u.Host != "vbs.recorded.invalid" || u.Query().Get("limit") != "5" ||
		u.Query().Get("X-Amz-Signature") != Redacted || u.Query().Get("signature") != Redacted {
		t.Errorf("url %s", req.URL)
	}
	for _, h := range []string{"X-Auth-Token", "Authorization", "X-Sdk-Date"} {
		if req.Headers.Get(h) != Redacted {
			t.Errorf("request header %s = %q", h, req.Headers.Get(h))
		}
	}
	for _, h := range []string{"Accept-Encoding", "Content-Length"} {
		if _, ok := req.Headers[h]; ok {
			t.Errorf("request header %s kept", h)
		}
	}
	if req.Headers.Get("User-Agent") == "" {
		t.Error("User-Agent dropped")
	}
	if req.Form.Get("signature") != Redacted || req.Form.Get("limit") != "5" {
		t.Errorf("form %v", req.Form)
	}
	if req.RemoteAddr != "" {
		t.Errorf("remote address kept: %q", req.RemoteAddr)
	}
	if resp.Headers.Get("X-Subject-Token") != Redacted || resp.Headers.Get("Set-Cookie") != Redacted {
		t.Errorf("response headers %v", resp.Headers)
	}
	if resp.Headers.Get("Location") != "https://iam.recorded.invalid/v3/x" {
		t.Errorf("location %q", resp.Headers.Get("Location"))
	}
	if _, ok := resp.Headers["Content-Length"]; ok {
		t.Error("response Content-Length kept")
	}
	if strings.Contains(resp.Body, "example.com") || strings.Contains(resp.Body, "8443") ||
		!strings.Contains(resp.Body, "https://vbs.recorded.invalid/v2/p") || !strings.Contains(resp.Body, "see iam.recorded.invalid") {
		t.Errorf("body %s", resp.Body)
	}
	if resp.Duration != 0 {
		t.Errorf("duration %v", resp.Duration)
	}
}

func TestHostRegistry(t *testing.T) {
	h := newHostRegistry()
	h.upstream = "https://iam.eu-de.example.com"
	if l := h.learn("https", "iam.eu-de.example.com"); l != "iam" {
		t.Errorf("label %q", l)
	}
	if l := h.learn("https", "IAM.eu-de.example.com"); l != "iam" {
		t.Errorf("same host in capitals: label %q", l)
	}
	if l := h.learn("https", "iam.eu-nl.example.com"); l != "iam-2" {
		t.Errorf("a second iam host must not share the label: %q", l)
	}
	if l := h.learn("https", "10.1.2.3:5000"); l != "host" {
		t.Errorf("IP host label %q", l)
	}

	// Only Keystone is known: derive from its domain.
	h2 := newHostRegistry()
	h2.upstream = "https://iam.eu-de.example.com"
	h2.learn("https", "iam.eu-de.example.com")
	if o, ok := h2.derive("vbs"); !ok || o != "https://vbs.eu-de.example.com" {
		t.Errorf("derive from Keystone: %q %v", o, ok)
	}
	// A service host's domain wins over Keystone's.
	h3 := newHostRegistry()
	h3.upstream = "https://iam.example.com"
	h3.learn("https", "iam.example.com")
	h3.learn("https", "evs.eu-de.example.com")
	if o, ok := h3.derive("vbs"); !ok || o != "https://vbs.eu-de.example.com" {
		t.Errorf("derive from service: %q %v", o, ok)
	}
	if o, ok := h3.origin("vbs"); !ok || o != "https://vbs.eu-de.example.com" {
		t.Errorf("derived host not remembered: %q %v", o, ok)
	}
	// Two service domains: no guess.
	h3.learn("https", "ecs.eu-nl.example.com")
	if o, ok := h3.derive("cbr"); ok {
		t.Errorf("guessed %q among two domains", o)
	}
}

func TestSameQueryAndBody(t *testing.T) {
	a, _ := url.ParseQuery("a=1&b=2&b=3")
	b, _ := url.ParseQuery("b=3&a=1&b=2")
	c, _ := url.ParseQuery("a=1&b=2")
	if !sameQuery(a, b) || sameQuery(a, c) {
		t.Error("query comparison")
	}
	if !sameBody(`{"a":1,"b":[1,2]}`, " {\"b\":[1,2],\"a\":1}\n") || sameBody(`{"a":1}`, `{"a":1.0}`) ||
		sameBody(`{"b":[2,1]}`, `{"b":[1,2]}`) || !sameBody(" text ", "text") || !sameBody("", "") {
		t.Error("body comparison")
	}
}

func TestRecordRewritesPrivateIPHosts(t *testing.T) {
	s := &Server{port: "4242", hosts: newHostRegistry()}
	got := s.rewriteRealURLs(`{"url":"https://10.0.0.5:8776/v2/p","self":"http://127.0.0.1:4242/v3","other":"http://vbs.localhost:4242/"}`)
	want := `{"url":"http://host.localhost:4242/v2/p","self":"http://127.0.0.1:4242/v3","other":"http://vbs.localhost:4242/"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if o, ok := s.hosts.origin("host"); !ok || o != "https://10.0.0.5:8776" {
		t.Errorf("origin %q %v", o, ok)
	}
	if r := s.hosts.placeholderReplacer().Replace("https://10.0.0.5:8776/x 10.0.0.5"); r != "https://host.recorded.invalid/x host.recorded.invalid" {
		t.Errorf("placeholders: %s", r)
	}
}

// TestSanitizerKeepsWhatItDoesNotHide: what is secret is
// TestLogAndCassetteHideTheSameSecrets's business; this is about the text
// around it, which a reviewer reads and replay matches.
func TestSanitizerKeepsWhatItDoesNotHide(t *testing.T) {
	// The query keeps its bytes and order, hidden values aside.
	q, changed := sanitizer{}.query("session_id=s1&limit=1&code=c2&offset=0")
	if !changed || q != "session_id=REDACTED&limit=1&code=REDACTED&offset=0" {
		t.Errorf("query = %q, %v", q, changed)
	}
	if q, changed := (sanitizer{}).query("b=2&a=1"); changed || q != "b=2&a=1" {
		t.Errorf("harmless query changed: %q", q)
	}
	if q, changed := (sanitizer{}).query("a=1&password=REDACTED"); changed || q != "a=1&password=REDACTED" {
		t.Errorf("an already sanitised query counts as changed: %q", q)
	}
	if got := (sanitizer{}).url("https://user:pw@h/x?token=t"); got != "https://user:REDACTED@h/x?token=REDACTED" {
		t.Errorf("url = %q", got)
	}

	// With nothing to hide the text is only indented: order and escapes stay
	// as sent. A document that lost a secret comes out with sorted keys.
	if body := (sanitizer{}).body(`{"name":"caf\u00e9 \u003c1\u003e"}`); body != "{\n  \"name\": \"caf\\u00e9 \\u003c1\\u003e\"\n}" {
		t.Errorf("body without secrets was rewritten: %s", body)
	}
	if body := (sanitizer{}).body(`{"z":"<1>","password":"p"}`); body != "{\n  \"password\": \"REDACTED\",\n  \"z\": \"<1>\"\n}" {
		t.Errorf("body with a secret: %s", body)
	}
}
