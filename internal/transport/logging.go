package transport

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

const (
	// maxLoggedBody is how much of a (redacted) body a TRACE entry shows.
	maxLoggedBody = 8 << 10
	// maxCapturedBody bounds what is held in memory to redact a response.
	// Redaction needs the whole document, so a larger body is passed on
	// untouched and logged by size only.
	maxCapturedBody = 1 << 20
)

// requestIDHeaders are tried in order; OpenStack services and the OTC
// gateway each use one of them.
var requestIDHeaders = []string{"X-Request-Id", "X-Openstack-Request-Id", "X-Compute-Request-Id"}

// NewLogging logs each exchange at DEBUG through terraform-plugin-log, using
// the request's context: method, redacted URL, status, duration, request ID
// and retry attempt. At TRACE it adds redacted headers and JSON bodies.
// Bodies are only touched when TRACE is on. base nil means
// http.DefaultTransport.
func NewLogging(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &loggingTransport{base: base}
}

type loggingTransport struct{ base http.RoundTripper }

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if !tflog.IsDebug(ctx) {
		return t.base.RoundTrip(req)
	}
	trace := tflog.IsTrace(ctx)
	var reqBody any
	if trace {
		reqBody = requestBodyForLog(req)
	}

	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	elapsed := time.Since(start)

	fields := map[string]any{
		"method":      req.Method,
		"url":         RedactURL(req.URL),
		"duration_ms": elapsed.Milliseconds(),
		"attempt":     Attempt(ctx),
	}
	if err != nil {
		fields["error"] = err.Error()
		tflog.Debug(ctx, "HTTP request failed", fields)
	} else {
		fields["status"] = resp.StatusCode
		if id := requestID(resp.Header); id != "" {
			fields["request_id"] = id
		}
		tflog.Debug(ctx, "HTTP request", fields)
	}
	if !trace {
		return resp, err
	}

	detail := map[string]any{
		"method":          req.Method,
		"url":             RedactURL(req.URL),
		"attempt":         Attempt(ctx),
		"request_headers": RedactHeaders(req.Header),
		"request_body":    reqBody,
	}
	if resp != nil {
		detail["status"] = resp.StatusCode
		detail["response_headers"] = RedactHeaders(resp.Header)
		detail["response_body"] = captureResponseBody(resp)
	}
	tflog.Trace(ctx, "HTTP exchange", detail)
	return resp, err
}

func requestID(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// requestBodyForLog reads a copy through GetBody so the body that is sent
// stays untouched; without GetBody the body is not read at all.
func requestBodyForLog(req *http.Request) any {
	if req.Body == nil || req.Body == http.NoBody {
		return ""
	}
	ct := req.Header.Get("Content-Type")
	if req.GetBody == nil {
		return fmt.Sprintf("(%d bytes of %s, not replayable, not logged)", req.ContentLength, contentType(ct))
	}
	rc, err := req.GetBody()
	if err != nil {
		return fmt.Sprintf("(body not readable: %v)", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxCapturedBody+1))
	if err != nil {
		return fmt.Sprintf("(body not readable: %v)", err)
	}
	if len(b) > maxCapturedBody {
		return fmt.Sprintf("(more than %d bytes of %s, not logged)", maxCapturedBody, contentType(ct))
	}
	return bodyForLog(b, ct)
}

// captureResponseBody reads the response body for the log and puts an
// equivalent reader back, keeping the original Close so the connection is
// released as usual.
func captureResponseBody(resp *http.Response) any {
	if resp.Body == nil || resp.Body == http.NoBody {
		return ""
	}
	ct := resp.Header.Get("Content-Type")
	orig := resp.Body
	b, err := io.ReadAll(io.LimitReader(orig, maxCapturedBody+1))
	var rest io.Reader = orig
	if err != nil {
		rest = errReader{err}
	}
	resp.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(b), rest), Closer: orig}
	switch {
	case err != nil:
		return fmt.Sprintf("(body not readable after %d bytes: %v)", len(b), err)
	case len(b) > maxCapturedBody:
		return fmt.Sprintf("(more than %d bytes of %s, not logged)", maxCapturedBody, contentType(ct))
	}
	return bodyForLog(b, ct)
}

// bodyForLog shows JSON only, redacted and cut to maxLoggedBody; anything
// else could hold secrets we cannot find, so it is described, not shown.
func bodyForLog(b []byte, ct string) string {
	if len(b) == 0 {
		return ""
	}
	red := RedactJSON(b)
	if red == nil {
		return fmt.Sprintf("(%d bytes of %s, not JSON, not logged)", len(b), contentType(ct))
	}
	if len(red) <= maxLoggedBody {
		return string(red)
	}
	cut := maxLoggedBody
	for cut > 0 && !utf8.RuneStart(red[cut]) {
		cut--
	}
	return fmt.Sprintf("%s...(truncated, %d bytes in all)", red[:cut], len(red))
}

func contentType(ct string) string {
	if ct == "" {
		return "unknown content type"
	}
	return ct
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
