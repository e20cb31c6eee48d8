package transport

// These are the only rules for what is secret. The request log and the
// recorded test server's cassettes both take every "is this secret" decision
// from here, so a value hidden in one is hidden in the other; a cassette adds
// only what is about cassettes (host names, noise headers, layout).

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Redacted replaces every hidden value.
const Redacted = "REDACTED"

// normalizeName lower-cases a header, query or JSON key name and drops "-"
// and "_", so that X-Auth-Key, x_auth_key and xAuthKey are one name to the
// rules below.
func normalizeName(s string) string { return nameSeparators.Replace(strings.ToLower(s)) }

var nameSeparators = strings.NewReplacer("-", "", "_", "")

// secretWords make a header or query parameter secret wherever they occur in
// its normalised name, so names no list foresaw (X-Amz-Security-Token,
// X-Client-Secret, authToken) are caught. Over-hiding costs a little
// readability; missing one leaks a credential.
var secretWords = []string{
	"password", "passwd", "passphrase", "passcode", "secret", "token", "signature",
	"credential", "accesskey", "authkey", "apikey", "privatekey",
}

func containsAny(name string, words []string) bool {
	for _, w := range words {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// secretHeaderNames carry credentials without holding one of secretWords.
// X-Sdk-Date is no secret alone, but it is an input of the AK/SK signature,
// and all of that is hidden as one. The log loses nothing by it: its own
// timestamp comes from the clock that wrote the header, and the server's Date
// response header, the other half of a clock-skew diagnosis, stays visible.
var secretHeaderNames = map[string]bool{
	"authorization":      true,
	"proxyauthorization": true,
	"cookie":             true,
	"setcookie":          true,
	"xsdkdate":           true,
}

// IsSecretHeader reports whether the values of the header name must be hidden.
func IsSecretHeader(name string) bool {
	n := normalizeName(name)
	return secretHeaderNames[n] || containsAny(n, secretWords)
}

// secretJSONKeys (normalised) must match a key whole: a JSON key is part of
// the API's vocabulary, and a substring such as "token" would also hide
// "token_type". "access" and "secret" are IAM's temporary-credential fields:
// an AK is an identifier, but an AK/SK pair is only half-secret if one half
// survives, so both go.
var secretJSONKeys = map[string]bool{
	"password": true, "passphrase": true, "passcode": true,
	"secret": true, "secretkey": true, "secretaccesskey": true,
	"access": true, "accesskey": true, "accesskeyid": true,
	"securitytoken": true, "signature": true, "privatekey": true,
	"token": true, "accesstoken": true, "refreshtoken": true, "idtoken": true,
}

// secretJSONPath is Keystone's token-auth request, where the secret sits
// under "id", a key that everywhere else is an identifier to keep.
var secretJSONPath = []string{"auth", "identity", "token", "id"}

func isSecretJSONKey(k string) bool { return secretJSONKeys[normalizeName(k)] }

// isSecretJSONPath takes the object keys from the document's root; arrays do
// not add to it.
func isSecretJSONPath(p []string) bool {
	if len(p) != len(secretJSONPath) {
		return false
	}
	for i := range p {
		if !strings.EqualFold(p[i], secretJSONPath[i]) {
			return false
		}
	}
	return true
}

// secretQueryWords add to secretWords for query parameters only: as a header
// word, "auth" would also hide WWW-Authenticate, which a log needs.
var secretQueryWords = []string{"auth", "session"}

// secretQueryNames are too short to match as substrings.
var secretQueryNames = map[string]bool{"sig": true, "key": true, "ak": true, "sk": true, "code": true}

// IsSecretQueryParam reports whether the values of the query parameter (or
// form field) name must be hidden. Every secret JSON key counts, and so does
// everything of an AWS-style pre-signed URL (X-Amz-*): its date, expiry and
// signed-header list are signature inputs like X-Sdk-Date.
func IsSecretQueryParam(name string) bool {
	n := normalizeName(name)
	return secretJSONKeys[n] || secretQueryNames[n] || strings.HasPrefix(n, "xamz") ||
		containsAny(n, secretWords) || containsAny(n, secretQueryWords)
}

// RedactHeaders returns a copy of h with the values of secret headers
// replaced by Redacted.
func RedactHeaders(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if IsSecretHeader(k) {
			red := make([]string, len(vs))
			for i := range red {
				red[i] = Redacted
			}
			out[k] = red
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// maxJSONDepth matches encoding/json's own nesting limit, and keeps the
// recursive walk from growing the stack without bound on hostile input.
const maxJSONDepth = 10000

// RedactJSON returns b, compacted, with the scalar values of secret keys
// replaced by "REDACTED" and key order kept. It returns nil when b is not a
// single valid JSON value: callers must then not log b at all, since a body
// that is not JSON cannot be searched for secrets.
func RedactJSON(b []byte) []byte {
	out, _ := RedactJSONCount(b)
	return out
}

// RedactJSONCount is RedactJSON that also counts the values it hid. A value
// that already read "REDACTED" is not counted, so a count of zero means the
// document says what b said.
//
// Strings, numbers and booleans under a secret key are hidden, and so are
// those in arrays under it; null is kept, there being nothing to hide. An
// object under a secret key is walked, not replaced: Keystone nests the user
// under "password", and its name and domain are no secret.
func RedactJSONCount(b []byte) ([]byte, int) {
	if !json.Valid(b) {
		return nil, 0
	}
	r := jsonRedactor{dec: json.NewDecoder(bytes.NewReader(b))}
	r.dec.UseNumber()
	if err := r.value(nil, false, 0); err != nil {
		return nil, 0
	}
	return r.out.Bytes(), r.hidden
}

var errTooDeep = errors.New("json nested too deeply")

type jsonRedactor struct {
	dec    *json.Decoder
	out    bytes.Buffer
	hidden int
}

// value copies one JSON value from dec to out. path holds the object keys
// from the root; secret says the enclosing key was a secret one, which arrays
// pass on to their elements.
func (r *jsonRedactor) value(path []string, secret bool, depth int) error {
	if depth > maxJSONDepth {
		return errTooDeep
	}
	tok, err := r.dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			r.out.WriteByte('{')
			for first := true; r.dec.More(); first = false {
				keyTok, err := r.dec.Token()
				if err != nil {
					return err
				}
				key, _ := keyTok.(string)
				if !first {
					r.out.WriteByte(',')
				}
				r.writeString(key)
				r.out.WriteByte(':')
				child := append(path[:len(path):len(path)], key)
				if err := r.value(child, isSecretJSONKey(key) || isSecretJSONPath(child), depth+1); err != nil {
					return err
				}
			}
			r.out.WriteByte('}')
		case '[':
			r.out.WriteByte('[')
			for first := true; r.dec.More(); first = false {
				if !first {
					r.out.WriteByte(',')
				}
				if err := r.value(path, secret, depth+1); err != nil {
					return err
				}
			}
			r.out.WriteByte(']')
		}
		_, err := r.dec.Token() // the closing delimiter
		return err
	case nil:
		r.out.WriteString("null")
	case string:
		if secret && v != Redacted {
			r.hide()
		} else {
			r.writeString(v)
		}
	case bool, json.Number:
		if secret {
			r.hide()
		} else {
			r.out.WriteString(scalarText(v))
		}
	}
	return nil
}

func (r *jsonRedactor) hide() {
	r.hidden++
	r.writeString(Redacted)
}

func (r *jsonRedactor) writeString(s string) {
	enc := json.NewEncoder(&r.out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	r.out.Truncate(r.out.Len() - 1)
}

func scalarText(v any) string {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	if b, _ := v.(bool); b {
		return "true"
	}
	return "false"
}

// RedactQuery returns the raw query with the values of secret parameters
// replaced. Everything else is kept byte for byte, in order, so the result
// still matches what was sent. Both "&" and ";" separate parameters: some
// servers split on ";" too, and hiding too much costs less than leaking.
func RedactQuery(raw string) string {
	var b strings.Builder
	for raw != "" {
		end := strings.IndexAny(raw, "&;")
		if end < 0 {
			end = len(raw)
		}
		part := raw[:end]
		rawKey, _, hasValue := strings.Cut(part, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			key = rawKey
		}
		if hasValue && IsSecretQueryParam(key) {
			part = rawKey + "=" + Redacted
		}
		b.WriteString(part)
		if end < len(raw) {
			b.WriteByte(raw[end])
			end++
		}
		raw = raw[end:]
	}
	return b.String()
}

// RedactURL renders u with any password in its user info and the values of
// secret query parameters replaced (see RedactQuery).
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), Redacted)
		}
	}
	c.RawQuery = RedactQuery(c.RawQuery)
	return c.String()
}
