package recorded

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/vbs-tf/terraform-provider-vbs/internal/transport"
)

// Redacted replaces every secret in a cassette. Replay sanitises live
// requests the same way, so a request carrying a real password still matches.
// It is the log redactor's marker, so a value hidden by either reads alike.
const Redacted = transport.Redacted

// secretHeaders are redacted rather than dropped: a client reads the token
// from X-Subject-Token, so replay must still send the header.
var secretHeaders = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
	"set-cookie":          true,
	"x-sdk-date":          true, // part of an AK/SK signature
}

// secretHeaderWords catch headers no list foresaw (X-Auth-Token,
// X-Subject-Token, X-Security-Token, X-Amz-Signature, X-Auth-Key …).
var secretHeaderWords = []string{"token", "secret", "signature", "password", "credential", "auth-key", "api-key", "apikey"}

// noiseHeaders are transport details that say nothing about the API and would
// only make cassettes differ between recordings.
var noiseHeaders = []string{
	"Accept-Encoding", "Connection", "Content-Length", "Keep-Alive", "Proxy-Connection",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// secretKeys are JSON keys whose scalar value is a secret wherever it sits.
// Only scalars are redacted: Keystone nests the user under a "password"
// object, and the user's name and domain must survive to be matched.
var secretKeys = map[string]bool{
	"password": true, "passphrase": true, "passcode": true,
	"secret": true, "secret_key": true, "secretkey": true, "secret_access_key": true,
	// An AK is an identifier, but an AK/SK pair is only half-secret if one
	// half survives, so Keystone credential bodies lose both.
	"access": true, "access_key": true, "accesskey": true, "access_key_id": true,
	"securitytoken": true, "security_token": true, "signature": true,
	"token": true, "access_token": true, "refresh_token": true, "id_token": true, "private_key": true,
}

// secretParams are query parameters that carry credentials (pre-signed URLs,
// token-in-URL APIs).
var secretParams = map[string]bool{
	"signature": true, "sig": true, "token": true, "x-auth-token": true,
	"access_key": true, "accesskeyid": true, "secret": true, "password": true,
}

func isSecretHeader(name string) bool {
	n := strings.ToLower(name)
	if secretHeaders[n] {
		return true
	}
	for _, w := range secretHeaderWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func isSecretParam(name string) bool {
	n := strings.ToLower(name)
	return secretParams[n] || strings.HasPrefix(n, "x-amz-")
}

// sanitizer removes secrets and real host names from an interaction before it
// is written. hosts may be nil when only secrets matter (matching live
// requests on replay).
//
// It applies internal/transport's redaction rules (the ones the request log
// uses) and then its own, which are broader because a cassette is committed
// and kept: header names match by substring, more JSON keys count, booleans
// are hidden too. Running both means a secret the log hides never reaches a
// cassette, and neither rule set is weakened for the other's sake.
type sanitizer struct {
	hosts *strings.Replacer
}

func (s sanitizer) replaceHosts(text string) string {
	if s.hosts == nil {
		return text
	}
	return s.hosts.Replace(text)
}

func (s sanitizer) interaction(i *cassette.Interaction) error {
	req := &i.Request
	req.URL = s.url(req.URL)
	req.Host = s.replaceHosts(req.Host)
	req.RemoteAddr = ""
	req.RequestURI = ""
	req.Headers = s.headers(req.Headers, true)
	req.Body = s.body(req.Body)
	req.ContentLength = int64(len(req.Body))
	req.Form = s.form(req.Form)

	resp := &i.Response
	resp.Headers = s.headers(resp.Headers, false)
	resp.Body = s.body(resp.Body)
	resp.ContentLength = int64(len(resp.Body))
	// Timing differs on every run and replay does not simulate latency.
	resp.Duration = 0
	return nil
}

func (s sanitizer) url(raw string) string {
	raw = s.replaceHosts(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if q, changed := s.query(u.RawQuery); changed {
		u.RawQuery = q
	}
	return u.String()
}

// query redacts secret parameters; the query is re-encoded only when one was
// found, so ordinary URLs stay exactly as the client sent them.
func (s sanitizer) query(raw string) (string, bool) {
	if raw == "" {
		return raw, false
	}
	// transport keeps the query byte for byte apart from the values it
	// hides, so a query with nothing secret is still returned unchanged.
	shared := strings.TrimPrefix(transport.RedactURL(&url.URL{RawQuery: raw}), "?")
	changed := shared != raw
	values, err := url.ParseQuery(shared)
	if err != nil {
		return shared, changed
	}
	ownChange := false
	for k, vs := range values {
		if !isSecretParam(k) {
			continue
		}
		for n := range vs {
			if vs[n] != Redacted {
				vs[n] = Redacted
				ownChange = true
			}
		}
	}
	if !ownChange {
		return shared, changed
	}
	return values.Encode(), true
}

func (s sanitizer) form(form url.Values) url.Values {
	if len(form) == 0 {
		return nil
	}
	out := url.Values{}
	for k, vs := range form {
		for _, v := range vs {
			if isSecretParam(k) || secretKeys[strings.ToLower(k)] {
				v = Redacted
			}
			out.Add(k, s.replaceHosts(v))
		}
	}
	return out
}

func (s sanitizer) headers(h http.Header, isRequest bool) http.Header {
	out := http.Header{}
	for name, values := range transport.RedactHeaders(h) {
		if isRequest && containsFold(noiseHeaders, name) {
			continue
		}
		if !isRequest && strings.EqualFold(name, "Content-Length") {
			// The body is reformatted, so the recorded length would lie.
			continue
		}
		for _, v := range values {
			if isSecretHeader(name) {
				v = Redacted
			} else {
				v = s.replaceHosts(v)
			}
			out[name] = append(out[name], v)
		}
	}
	return out
}

// body replaces hosts, redacts secrets and indents JSON so that a cassette
// can be read and reviewed as text. Key order is kept unless a secret had to
// be replaced.
func (s sanitizer) body(body string) string {
	body = s.replaceHosts(body)
	trimmed := strings.TrimSpace(body)
	if trimmed == "" || (trimmed[0] != '{' && trimmed[0] != '[') {
		return body
	}
	value, ok := decodeJSON(trimmed)
	if !ok {
		return body
	}
	// transport compacts and re-escapes what it returns, so its output is
	// used only when it hid something; otherwise the body keeps its text.
	sharedChange := false
	if shared := transport.RedactJSON([]byte(trimmed)); shared != nil {
		if v, ok := decodeJSON(string(shared)); ok && !reflect.DeepEqual(v, value) {
			value, sharedChange = v, true
		}
	}
	if redactJSON(value, nil) || sharedChange {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(value); err != nil {
			return body
		}
		return strings.TrimSuffix(buf.String(), "\n")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(trimmed), "", "  "); err != nil {
		return body
	}
	return buf.String()
}

// decodeJSON keeps numbers as written so that comparing or re-encoding a
// body never changes 40 into 4e+01.
func decodeJSON(text string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if dec.More() {
		return nil, false
	}
	return v, true
}

// redactJSON reports whether it replaced anything. Besides the secret keys it
// knows one path: Keystone token auth carries the token in
// auth.identity.token.id, and "id" is otherwise an identifier to keep.
func redactJSON(v any, path []string) bool {
	changed := false
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			key := strings.ToLower(k)
			secret := secretKeys[key] ||
				(key == "id" && pathIs(path, "auth", "identity", "token"))
			if secret && isScalar(child) {
				if child != Redacted {
					t[k] = Redacted
					changed = true
				}
				continue
			}
			if redactJSON(child, append(path[:len(path):len(path)], key)) {
				changed = true
			}
		}
	case []any:
		for _, child := range t {
			if redactJSON(child, path) {
				changed = true
			}
		}
	}
	return changed
}

func pathIs(path []string, want ...string) bool {
	return slices.Equal(path, want)
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, json.Number, bool:
		return true
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, item := range list {
		if strings.EqualFold(item, s) {
			return true
		}
	}
	return false
}
