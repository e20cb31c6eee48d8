// Package aksk signs HTTP requests with an access key / secret key pair the
// way the Huawei Cloud / Open Telekom Cloud API gateway expects
// ("SDK-HMAC-SHA256"), and verifies such signatures for test servers.
//
// The scheme, as implemented by the public signing SDKs
// (huaweicloud-sdk-go-v3 core/auth/signer, the APIG SDKs):
//
//	canonical request = METHOD \n URI \n QUERY \n HEADERS \n SIGNED \n hex(sha256(body))
//	string to sign    = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(canonical request))
//	signature         = hex(hmac-sha256(secret key, string to sign))
//	Authorization     = "SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2>, Signature=<sig>"
//
// The secret key is used as the HMAC key directly. The older derived-key form
// ("Credential=<AK>/<date>/<region>/<service>/sdk_request", used by
// gophertelekomcloud's signer_helper.go) is not produced or accepted here.
package aksk

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

const (
	// Algorithm names the signing scheme in the Authorization header.
	Algorithm = "SDK-HMAC-SHA256"
	// DateFormat is the layout of the X-Sdk-Date header (always UTC).
	DateFormat = "20060102T150405Z"
)

// Headers the signer sets.
const (
	HeaderDate          = "X-Sdk-Date"
	HeaderProjectID     = "X-Project-Id"
	HeaderSecurityToken = "X-Security-Token"
	HeaderAuthorization = "Authorization"
)

// alwaysSigned are signed on every request. The gateway checks the date
// window against x-sdk-date, and signing host ties the signature to one
// endpoint so it cannot be replayed against another region or service.
var alwaysSigned = []string{"host", "x-sdk-date"}

// signedIfPresent are signed whenever the request carries them: they select
// the project and the temporary credential, so an unsigned copy could be
// swapped by anyone who sees the request. huaweicloud-sdk-go-v3 adds both
// before signing, which is what makes them part of its signature.
var signedIfPresent = []string{"x-project-id", "x-security-token"}

// ErrMissingCredentials is returned when the access key or secret key is empty.
var ErrMissingCredentials = errors.New("aksk: access key and secret key are both required")

// Credentials is an access key pair, optionally temporary (with a security
// token from IAM's securitytokens API).
type Credentials struct {
	AccessKey     string
	SecretKey     string
	SecurityToken string
}

// String keeps the secret parts out of logs and error messages built with %v.
func (c Credentials) String() string {
	token := ""
	if c.SecurityToken != "" {
		token = ", security token set"
	}
	return fmt.Sprintf("aksk.Credentials{AccessKey: %q, SecretKey: REDACTED%s}", c.AccessKey, token)
}

// GoString covers %#v, which would otherwise print every field.
func (c Credentials) GoString() string { return c.String() }

// Signer adds the signing headers to requests. It is safe for concurrent use.
type Signer struct {
	creds     Credentials
	projectID string
	now       func() time.Time
}

// NewSigner returns a Signer. projectID, when not empty, is sent (and signed)
// as X-Project-Id. now defaults to time.Now.
func NewSigner(creds Credentials, projectID string, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{creds: creds, projectID: projectID, now: now}
}

// Sign sets X-Sdk-Date, X-Project-Id, X-Security-Token and Authorization on
// r, which the caller must own. body must be exactly the bytes that will be
// sent (nil for none); Sign does not read r.Body.
func (s *Signer) Sign(r *http.Request, body []byte) error {
	if s.creds.AccessKey == "" || s.creds.SecretKey == "" {
		return ErrMissingCredentials
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Set(HeaderDate, s.now().UTC().Format(DateFormat))
	if s.projectID != "" {
		r.Header.Set(HeaderProjectID, s.projectID)
	}
	if s.creds.SecurityToken != "" {
		r.Header.Set(HeaderSecurityToken, s.creds.SecurityToken)
	}
	r.Header.Del(HeaderAuthorization)

	signed := slices.Clone(alwaysSigned)
	for _, h := range signedIfPresent {
		if len(r.Header.Values(h)) > 0 {
			signed = append(signed, h)
		}
	}
	sort.Strings(signed)
	return signWith(r, body, s.creds, signed)
}

// signWith signs over exactly the given header names (lower case, sorted),
// taking the date from the X-Sdk-Date header already on r. It is split out so
// the published test vectors, which sign a different header set, can be
// checked against the same code path.
func signWith(r *http.Request, body []byte, creds Credentials, signed []string) error {
	date, err := requestDate(r)
	if err != nil {
		return err
	}
	sig, err := signature(r, hashHex(body), signed, date, creds.SecretKey)
	if err != nil {
		return err
	}
	r.Header.Set(HeaderAuthorization, fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s",
		Algorithm, creds.AccessKey, strings.Join(signed, ";"), sig))
	return nil
}

func requestDate(r *http.Request) (time.Time, error) {
	v := r.Header.Get(HeaderDate)
	t, err := time.Parse(DateFormat, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("aksk: %s header %q is not in the form %s", HeaderDate, v, DateFormat)
	}
	return t, nil
}

func signature(r *http.Request, payloadHash string, signed []string, date time.Time, secret string) (string, error) {
	cr, err := canonicalRequest(r, signed, payloadHash)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign(cr, date)))
	return hex.EncodeToString(mac.Sum(nil)), nil
}

func stringToSign(canonicalRequest string, date time.Time) string {
	return Algorithm + "\n" + date.UTC().Format(DateFormat) + "\n" + hashHex([]byte(canonicalRequest))
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func canonicalRequest(r *http.Request, signed []string, payloadHash string) (string, error) {
	headers, err := canonicalHeaders(r, signed)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL))
	b.WriteByte('\n')
	b.WriteString(headers)
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), nil
}

// canonicalURI escapes each segment of the decoded path and always ends in
// "/": the gateway compares against "/v2/p/x/" even when "/v2/p/x" was sent,
// so the SDKs append the slash and so must we.
func canonicalURI(u *url.URL) string {
	if u == nil {
		return "/"
	}
	segments := strings.Split(u.Path, "/")
	for i, s := range segments {
		segments[i] = escape(s)
	}
	p := strings.Join(segments, "/")
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// canonicalQuery sorts by raw key, then by value within a key, escaping both.
// Query() drops pairs it cannot parse; the verifying side drops the same ones.
func canonicalQuery(u *url.URL) string {
	if u == nil {
		return ""
	}
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := slices.Clone(q[k])
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(parts, "&")
}

func canonicalHeaders(r *http.Request, signed []string) (string, error) {
	var b strings.Builder
	for _, name := range signed {
		var vals []string
		if name == "host" {
			vals = []string{hostOf(r)}
		} else {
			vals = slices.Clone(r.Header.Values(name))
		}
		if len(vals) == 0 {
			return "", fmt.Errorf("aksk: signed header %q is not on the request", name)
		}
		for i := range vals {
			vals[i] = strings.TrimSpace(vals[i])
		}
		sort.Strings(vals)
		for _, v := range vals {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}

// hostOf is the Host header as net/http will send it (client side) or as it
// was received (server side).
func hostOf(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// escape percent-encodes everything but RFC 3986 unreserved characters, with
// upper-case hex, matching the SDKs (so space is %20, never +).
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// NewTransport signs every request before handing it to base (nil means
// http.DefaultTransport). now defaults to time.Now. Each request is cloned,
// so the caller's request is left untouched and a retry layer above this one
// gets a fresh date and signature on every attempt.
func NewTransport(base http.RoundTripper, creds Credentials, projectID string, now func() time.Time) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, signer: NewSigner(creds, projectID, now)}
}

type transport struct {
	base   http.RoundTripper
	signer *Signer
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := drainBody(req)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	if len(body) == 0 {
		out.Body, out.GetBody, out.ContentLength = http.NoBody, nil, 0
		if req.Body != nil && req.Body != http.NoBody {
			out.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		}
	} else {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
	}
	if err := t.signer.Sign(out, body); err != nil {
		return nil, err
	}
	return t.base.RoundTrip(out)
}

// drainBody reads and closes the request body, as a RoundTripper must close
// it even when it fails. The whole body has to be in memory anyway to hash it.
func drainBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("aksk: reading request body to sign it: %w", err)
	}
	return b, nil
}
