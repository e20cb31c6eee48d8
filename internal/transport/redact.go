package transport

// All redaction rules live in this file so that the log output and anything
// else that writes exchanges down (the recorded test server's cassettes)
// hide the same things.

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

// secretHeaders carry credentials in either direction.
var secretHeaders = map[string]bool{
	"X-Auth-Token":        true,
	"X-Subject-Token":     true,
	"Authorization":       true,
	"Proxy-Authorization": true,
	"X-Security-Token":    true,
	"Cookie":              true,
	"Set-Cookie":          true,
}

// secretJSONKeys are compared case-insensitively at any depth. "access" and
// "secret" are the field names of IAM's temporary-credential and EC2-style
// credential bodies; "token" covers bare token strings.
var secretJSONKeys = map[string]bool{
	"password":       true,
	"secret":         true,
	"secret_key":     true,
	"secretkey":      true,
	"access":         true,
	"access_key":     true,
	"security_token": true,
	"securitytoken":  true,
	"signature":      true,
	"token":          true,
}

// secretJSONPath is Keystone's token-auth request, where the secret sits
// under the innocuous key "id".
var secretJSONPath = []string{"auth", "identity", "token", "id"}

// maxJSONDepth matches encoding/json's own nesting limit, and keeps the
// recursive walk from growing the stack without bound on hostile input.
const maxJSONDepth = 10000

// RedactHeaders returns a copy of h with the values of credential-bearing
// headers replaced by Redacted.
func RedactHeaders(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if secretHeaders[http.CanonicalHeaderKey(k)] {
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

// RedactJSON returns b, compacted, with the scalar values of secret keys
// replaced by "REDACTED" and key order kept. It returns nil when b is not a
// single valid JSON value: callers must then not log b at all, since a body
// that is not JSON cannot be searched for secrets.
func RedactJSON(b []byte) []byte {
	if !json.Valid(b) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	if err := redactValue(dec, &out, nil, false, 0); err != nil {
		return nil
	}
	return out.Bytes()
}

var errTooDeep = errors.New("json nested too deeply")

// redactValue copies one JSON value from dec to out. path holds the object
// keys from the root (arrays do not add to it); secret says the enclosing key
// was a secret one, which arrays pass on to their elements.
func redactValue(dec *json.Decoder, out *bytes.Buffer, path []string, secret bool, depth int) error {
	if depth > maxJSONDepth {
		return errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			out.WriteByte('{')
			for first := true; dec.More(); first = false {
				keyTok, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := keyTok.(string)
				if !first {
					out.WriteByte(',')
				}
				writeJSONString(out, key)
				out.WriteByte(':')
				child := append(path[:len(path):len(path)], key)
				if err := redactValue(dec, out, child, isSecretKey(key) || isSecretPath(child), depth+1); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for first := true; dec.More(); first = false {
				if !first {
					out.WriteByte(',')
				}
				if err := redactValue(dec, out, path, secret, depth+1); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case nil:
		out.WriteString("null")
	case bool:
		if v {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case json.Number:
		if secret {
			writeJSONString(out, Redacted)
		} else {
			out.WriteString(v.String())
		}
	case string:
		if secret {
			writeJSONString(out, Redacted)
		} else {
			writeJSONString(out, v)
		}
	}
	return nil
}

func writeJSONString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out.Truncate(out.Len() - 1)
}

func isSecretKey(k string) bool { return secretJSONKeys[strings.ToLower(k)] }

func isSecretPath(p []string) bool {
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

// secretQueryWords flag query keys by substring, after lower-casing and
// dropping "-" and "_", so X-Amz-Signature, access_key_id or authToken match.
// Over-redacting a query value costs little; missing one leaks it.
var secretQueryWords = []string{
	"password", "passwd", "secret", "token", "signature", "credential",
	"accesskey", "apikey", "auth", "session",
}

// secretQueryKeys must match whole, being too short to match as substrings.
var secretQueryKeys = map[string]bool{"sig": true, "key": true, "ak": true, "sk": true, "code": true}

func isSecretQueryKey(k string) bool {
	n := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(k))
	if secretQueryKeys[n] {
		return true
	}
	for _, w := range secretQueryWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactURL renders u with any password in its user info and the values of
// secret-looking query keys replaced. The rest of the query is kept byte for
// byte, in order, so the result still matches what was sent.
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
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			rawKey, _, hasValue := strings.Cut(p, "=")
			key, err := url.QueryUnescape(rawKey)
			if err != nil {
				key = rawKey
			}
			if hasValue && isSecretQueryKey(key) {
				parts[i] = rawKey + "=" + Redacted
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.String()
}
