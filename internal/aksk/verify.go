package aksk

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Verification failures. Verify wraps them with detail that never includes
// the secret key or any signature, so its errors can be logged or returned
// to a client as they are.
var (
	ErrNoSignature       = errors.New("aksk: request has no Authorization header")
	ErrMalformed         = errors.New("aksk: malformed signature")
	ErrUnknownAccessKey  = errors.New("aksk: unknown access key")
	ErrClockSkew         = errors.New("aksk: X-Sdk-Date is outside the allowed window")
	ErrSignatureMismatch = errors.New("aksk: signature does not match")
)

// Verify checks r's Authorization header the way the gateway does, for test
// servers. body is the request body as received (r.Body is not read).
// lookupSecret maps an access key to its secret key. now and maxSkew bound
// X-Sdk-Date (the gateway allows 15 minutes); maxSkew <= 0 skips that check,
// which replaying recorded requests needs.
//
// Besides the signature itself, Verify insists that x-sdk-date is signed and
// that X-Project-Id and X-Security-Token, when sent, are signed too: a
// signature that leaves them out would let them be swapped in transit.
func Verify(r *http.Request, body []byte, lookupSecret func(ak string) (string, bool), now time.Time, maxSkew time.Duration) error {
	auth := r.Header.Get(HeaderAuthorization)
	if auth == "" {
		return ErrNoSignature
	}
	ak, signed, sig, err := parseAuthorization(auth)
	if err != nil {
		return err
	}
	if !slices.Contains(signed, "x-sdk-date") {
		return fmt.Errorf("%w: x-sdk-date is not among the signed headers", ErrMalformed)
	}
	for _, h := range signedIfPresent {
		if len(r.Header.Values(h)) > 0 && !slices.Contains(signed, h) {
			return fmt.Errorf("%w: %s is sent but not signed", ErrMalformed, h)
		}
	}
	date, err := requestDate(r)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if maxSkew > 0 {
		if d := now.Sub(date); d > maxSkew || d < -maxSkew {
			return fmt.Errorf("%w: %s is %s away from the server clock (limit %s)",
				ErrClockSkew, date.Format(DateFormat), d.Round(time.Second), maxSkew)
		}
	}
	secret, ok := lookupSecret(ak)
	if !ok {
		return ErrUnknownAccessKey
	}
	want, err := signature(r, hashHex(body), signed, date, secret)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
		return ErrSignatureMismatch
	}
	return nil
}

// parseAuthorization splits "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b,
// Signature=hex". Its errors quote neither the header nor the signature.
func parseAuthorization(v string) (ak string, signed []string, sig string, err error) {
	rest, ok := strings.CutPrefix(v, Algorithm+" ")
	if !ok {
		return "", nil, "", fmt.Errorf("%w: Authorization does not start with %q", ErrMalformed, Algorithm+" ")
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, "", fmt.Errorf("%w: Authorization has a part without '='", ErrMalformed)
		}
		if _, dup := fields[k]; dup {
			return "", nil, "", fmt.Errorf("%w: Authorization repeats %s", ErrMalformed, k)
		}
		fields[k] = val
	}
	for _, k := range []string{"Access", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return "", nil, "", fmt.Errorf("%w: Authorization lacks %s=", ErrMalformed, k)
		}
	}
	if len(fields) != 3 {
		return "", nil, "", fmt.Errorf("%w: Authorization has parts other than Access, SignedHeaders and Signature", ErrMalformed)
	}
	signed = strings.Split(fields["SignedHeaders"], ";")
	for _, h := range signed {
		if h == "" || h != strings.ToLower(h) {
			return "", nil, "", fmt.Errorf("%w: SignedHeaders must be non-empty lower-case names", ErrMalformed)
		}
	}
	return fields["Access"], signed, fields["Signature"], nil
}
