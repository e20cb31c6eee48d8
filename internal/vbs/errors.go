package vbs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
)

// maxErrorBodyBytes bounds how much of an error response APIError keeps.
// Gateways sometimes answer with whole HTML pages; a few KiB are enough to
// recognise them without flooding Terraform's diagnostics.
const maxErrorBodyBytes = 2048

// requestIDHeaders are tried in order when the error body carries no
// request ID. OTC's API gateway sets the first; the others are the names
// OpenStack services use.
var requestIDHeaders = []string{"X-Request-Id", "X-Openstack-Request-Id", "X-Compute-Request-Id"}

// APIError is a failed VBS request as the user needs to see it: which call
// failed, the HTTP status, and the service's own error code, message and
// request ID (the last is what support asks for).
type APIError struct {
	StatusCode int
	// Code is the service's error code, for example "VolumeBackup.0111" or
	// "APIGW.0307". Cinder-style bodies give a number; it is kept as text.
	Code    string
	Message string
	// RequestID comes from the body when the gateway put it there, otherwise
	// from the response headers.
	RequestID string
	Method    string
	URL       string
	// Body is the raw response body, cut to about 2 KiB. Error() shows it
	// only when no code or message could be read from it.
	Body string
	// Attempts is how many times the request was sent, when it was sent
	// more than once; Stopped says why no further attempt was made, when
	// the failure model would have allowed one (the retry budget, or a
	// Retry-After past the deadline).
	Attempts int
	Stopped  string

	err error
}

// Error reads like
//
//	GET https://host/v2/p/os-vendor-backup-sharing/ID: HTTP 404, API error VolumeBackup.0111: Backup sharing not found (request ID req-123)
//
// leaving out whatever is unknown.
func (e *APIError) Error() string {
	var b strings.Builder
	if call := strings.TrimSpace(e.Method + " " + e.URL); call != "" {
		b.WriteString(call)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	switch {
	case e.Code != "" && e.Message != "":
		fmt.Fprintf(&b, ", API error %s: %s", e.Code, e.Message)
	case e.Code != "":
		fmt.Fprintf(&b, ", API error %s", e.Code)
	case e.Message != "":
		fmt.Fprintf(&b, ", API error: %s", e.Message)
	default:
		// Collapse the body onto one line: HTML error pages are mostly
		// indentation and newlines, which make diagnostics hard to read.
		if body := strings.Join(strings.Fields(e.Body), " "); body != "" {
			fmt.Fprintf(&b, ", response body: %s", body)
		}
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request ID %s)", e.RequestID)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, ", the last of %d attempts", e.Attempts)
	}
	if e.Stopped != "" {
		fmt.Fprintf(&b, "; not tried again: %s", e.Stopped)
	}
	return b.String()
}

// GetStatusCode is the HTTP status, as gophercloud's own error reports it;
// the failure model sorts errors by it.
func (e *APIError) GetStatusCode() int { return e.StatusCode }

// Unwrap gives back the gophercloud error, so gophercloud.ResponseCodeIs and
// errors.As(err, &gophercloud.ErrUnexpectedResponseCode{}) keep working.
func (e *APIError) Unwrap() error { return e.err }

// NewAPIError turns a gophercloud "unexpected response code" error, bare or
// wrapped (for example after re-authentication), into an *APIError. Any
// other error, nil included, is returned unchanged, as is an error that
// already holds an *APIError.
func NewAPIError(err error) error {
	if err == nil {
		return nil
	}
	var existing *APIError
	if errors.As(err, &existing) {
		return err
	}
	resp, ok := unexpectedResponse(err)
	if !ok {
		return err
	}
	parsed := parseErrorBody(resp.Body)
	apiErr := &APIError{
		StatusCode: resp.Actual,
		Code:       parsed.code,
		Message:    parsed.message,
		RequestID:  parsed.requestID,
		Method:     resp.Method,
		URL:        resp.URL,
		Body:       truncateBody(resp.Body),
		err:        err,
	}
	if apiErr.RequestID == "" {
		apiErr.RequestID = headerRequestID(resp.ResponseHeader)
	}
	if resp.ResponseHeader != nil {
		apiErr.Attempts, _ = strconv.Atoi(resp.ResponseHeader.Get(failure.AttemptsHeader))
		apiErr.Stopped = resp.ResponseHeader.Get(failure.StoppedHeader)
	}
	return apiErr
}

// unexpectedResponse finds gophercloud's response error whether it travels
// as a value (what ProviderClient returns) or as a pointer.
func unexpectedResponse(err error) (gophercloud.ErrUnexpectedResponseCode, bool) {
	var value gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &value) {
		return value, true
	}
	var ptr *gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &ptr) && ptr != nil {
		return *ptr, true
	}
	return gophercloud.ErrUnexpectedResponseCode{}, false
}

// StatusCode returns the HTTP status of a failed request, or 0 when err did
// not come from an HTTP response.
func StatusCode(err error) int {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	if resp, ok := unexpectedResponse(err); ok {
		return resp.Actual
	}
	return 0
}

// IsNotFound reports whether err is an HTTP 404 from the service.
func IsNotFound(err error) bool {
	return StatusCode(err) == http.StatusNotFound
}

type errorBody struct {
	code      string
	message   string
	requestID string
}

// parseErrorBody reads the three error shapes VBS and the OTC gateway use,
// in this order:
//
//	{"error": {"code": "VolumeBackup.0111", "message": "..."}}    vendor and IAM
//	{"itemNotFound": {"code": 404, "message": "..."}}             Cinder, any single key
//	{"error_code": "APIGW.0307", "error_msg": "...", "request_id": "..."}  API gateway
//
// A body that matches none of them (HTML, plain text, other JSON) yields an
// empty result and the caller falls back to the raw text.
func parseErrorBody(body []byte) errorBody {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return errorBody{}
	}
	var out errorBody
	out.requestID = jsonText(top["request_id"])

	if inner, ok := codeMessageObject(top["error"]); ok {
		return inner.withRequestID(out.requestID)
	}
	// {"error": "text"} is not one of the documented shapes, but some
	// gateways send it and the text is all there is to show.
	if raw := bytes.TrimSpace(top["error"]); len(raw) > 0 && raw[0] == '"' {
		if msg := jsonText(raw); msg != "" {
			out.message = msg
			return out
		}
	}

	var candidate errorBody
	candidates := 0
	for key, raw := range top {
		if key == "error" {
			continue
		}
		if inner, ok := codeMessageObject(raw); ok {
			candidate = inner
			candidates++
		}
	}
	// With more than one wrapper object there is no telling which one is the
	// error, and map order would make the choice random.
	if candidates == 1 {
		return candidate.withRequestID(out.requestID)
	}

	out.code = jsonText(top["error_code"])
	out.message = jsonText(top["error_msg"])
	return out
}

func (b errorBody) withRequestID(outer string) errorBody {
	if outer != "" {
		b.requestID = outer
	}
	return b
}

// codeMessageObject reads {"code": ..., "message": ...}. It matches when at
// least one of the two is present, so a body with only a code still counts.
func codeMessageObject(raw json.RawMessage) (errorBody, bool) {
	if len(raw) == 0 || raw[0] != '{' {
		return errorBody{}, false
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return errorBody{}, false
	}
	out := errorBody{
		code:      jsonText(obj["code"]),
		message:   jsonText(obj["message"]),
		requestID: jsonText(obj["request_id"]),
	}
	return out, out.code != "" || out.message != ""
}

// jsonText renders a JSON string or number as text and anything else
// (null, objects, arrays, booleans) as "". Error codes arrive as either
// strings or numbers depending on which layer produced them.
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return ""
		}
		return strings.TrimSpace(s)
	case c == '-' || (c >= '0' && c <= '9'):
		if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
			return ""
		}
		return string(raw)
	}
	return ""
}

func headerRequestID(h http.Header) string {
	for _, name := range requestIDHeaders {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			return v
		}
	}
	return ""
}

// truncateBody keeps the start of the body, cut on a UTF-8 boundary so the
// result is still valid text.
func truncateBody(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) <= maxErrorBodyBytes {
		return string(body)
	}
	// A rune starts at most UTFMax-1 bytes back; further back than that the
	// body is not UTF-8, and walking on would throw all of it away.
	cut := maxErrorBodyBytes
	for cut > maxErrorBodyBytes-(utf8.UTFMax-1) && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return string(body[:cut]) + " [truncated]"
}
