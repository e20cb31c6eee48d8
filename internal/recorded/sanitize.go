package recorded

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/vbs-tf/terraform-provider-vbs/internal/transport"
)

// Redacted replaces every secret in a cassette. Replay sanitises live
// requests the same way, so a request carrying a real password still matches.
// It is the log redactor's marker, so a value hidden by either reads alike.
const Redacted = transport.Redacted

// noiseHeaders are transport details that say nothing about the API and would
// only make cassettes differ between recordings.
var noiseHeaders = []string{
	"Accept-Encoding", "Connection", "Content-Length", "Keep-Alive", "Proxy-Connection",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// sanitizer removes secrets and real host names from an interaction before it
// is written. hosts may be nil when only secrets matter (matching live
// requests on replay).
//
// What is secret is decided by internal/transport alone, the rules the
// request log uses, so a cassette and a log hide the same values. Secret
// headers are redacted rather than dropped: a client reads its token from
// X-Subject-Token, so replay must still send the header.
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
	// Timing differs on every run, so it is dropped, except for an answer
	// that took a second or more: that one is kept in whole seconds, and
	// replay is as slow as the cloud was (a slow-answer cassette).
	resp.Duration = resp.Duration.Truncate(time.Second)
	return nil
}

func (s sanitizer) url(raw string) string {
	raw = s.replaceHosts(raw)
	u, err := url.Parse(raw)
	if err != nil {
		// Not expected of a recorded request; its query is hidden all the same.
		if base, q, ok := strings.Cut(raw, "?"); ok {
			return base + "?" + transport.RedactQuery(q)
		}
		return raw
	}
	return transport.RedactURL(u)
}

// query redacts secret parameters and reports whether it found one. The rest
// of the query keeps its bytes and order, so ordinary URLs stay exactly as
// the client sent them.
func (s sanitizer) query(raw string) (string, bool) {
	q := transport.RedactQuery(raw)
	return q, q != raw
}

func (s sanitizer) form(form url.Values) url.Values {
	if len(form) == 0 {
		return nil
	}
	out := url.Values{}
	for k, vs := range form {
		for _, v := range vs {
			if transport.IsSecretQueryParam(k) {
				v = Redacted
			}
			out.Add(k, s.replaceHosts(v))
		}
	}
	return out
}

func (s sanitizer) headers(h http.Header, isRequest bool) http.Header {
	out := http.Header{}
	for name, values := range h {
		if isRequest && containsFold(noiseHeaders, name) {
			continue
		}
		if !isRequest && strings.EqualFold(name, "Content-Length") {
			// The body is reformatted, so the recorded length would lie.
			continue
		}
		secret := transport.IsSecretHeader(name)
		for _, v := range values {
			if secret {
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
// can be read and reviewed as text. Key order and escapes are kept unless a
// secret had to be replaced.
func (s sanitizer) body(body string) string {
	body = s.replaceHosts(body)
	trimmed := strings.TrimSpace(body)
	if trimmed == "" || (trimmed[0] != '{' && trimmed[0] != '[') {
		return body
	}
	redacted, hidden := transport.RedactJSONCount([]byte(trimmed))
	if redacted == nil {
		return body
	}
	if hidden == 0 {
		var buf bytes.Buffer
		if err := json.Indent(&buf, []byte(trimmed), "", "  "); err != nil {
			return body
		}
		return buf.String()
	}
	// A document that lost a secret goes through a map, so its keys come out
	// sorted: that is how the committed cassettes were written.
	value, ok := decodeJSON(string(redacted))
	if !ok {
		return body
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(value); err != nil {
		return body
	}
	return strings.TrimSuffix(buf.String(), "\n")
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

func containsFold(list []string, s string) bool {
	for _, item := range list {
		if strings.EqualFold(item, s) {
			return true
		}
	}
	return false
}
