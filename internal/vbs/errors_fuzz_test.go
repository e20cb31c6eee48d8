package vbs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gophercloud/gophercloud/v2"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// errorBodySeeds are the error shapes errors_test.go covers, so the fuzzer
// starts from every branch of parseErrorBody.
var errorBodySeeds = []string{
	`{"error": {"code": "VolumeBackup.0111", "message": "Backup sharing not found"}}`,
	`{"error": {"code": "111401001", "message": "Invalid token.", "title": "Unauthorized"}}`,
	`{"itemNotFound": {"code": 404, "message": "Backup abc could not be found."}}`,
	`{"error_msg": "The token must be updated.", "error_code": "APIGW.0307", "request_id": "gw-42"}`,
	`{"error": {"code": "X", "message": "m", "request_id": "inner"}, "request_id": "outer"}`,
	`{"error": "quota exceeded"}`,
	`{"a": {"code": 1, "message": "x"}, "b": {"code": 2, "message": "y"}}`,
	`{"error": {"code": -1.5e3, "message": " padded \u00e9 "}}`,
	"<html>\n  <head><title>404 Not Found</title></head>\n  <body>nginx</body>\n</html>\n",
	`{"fault": "something"}`,
	`[]`,
	``,
}

// addCassetteBodies seeds f with every request and response body of the
// committed cassettes: real-shaped JSON the parsers see in the acceptance
// tests.
func addCassetteBodies(f *testing.F, add func(body string)) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "cassettes", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no cassettes under testdata/cassettes (%v)", err)
	}
	for _, file := range files {
		c, err := cassette.Load(strings.TrimSuffix(file, ".yaml"))
		if err != nil {
			f.Fatalf("loading %s: %v", file, err)
		}
		for _, i := range c.Interactions {
			add(i.Response.Body)
			if i.Request.Body != "" {
				add(i.Request.Body)
			}
		}
	}
}

// FuzzParseErrorBody checks that no response body can make the error path
// panic, and that what it reports comes from the body.
func FuzzParseErrorBody(f *testing.F) {
	seed := func(body string) {
		f.Add([]byte(body), uint16(404), "req-header-1")
	}
	for _, b := range errorBodySeeds {
		seed(b)
	}
	seed(strings.Repeat("é", maxErrorBodyBytes))
	// Not UTF-8 at all: truncation used to walk back over every
	// continuation byte and keep nothing of the body.
	seed(strings.Repeat("\x80", maxErrorBodyBytes+100))
	addCassetteBodies(f, seed)

	f.Fuzz(func(t *testing.T, body []byte, status uint16, headerID string) {
		parsed := parseErrorBody(body)
		fields := map[string]string{"code": parsed.code, "message": parsed.message, "request ID": parsed.requestID}
		var tokens map[string]bool
		for name, v := range fields {
			if v == "" {
				continue
			}
			if v != strings.TrimSpace(v) {
				t.Errorf("%s %q is not trimmed", name, v)
			}
			// Without escapes, every value is a slice of the body itself.
			if !bytes.ContainsRune(body, '\\') && utf8.Valid(body) && !bytes.Contains(body, []byte(v)) {
				t.Errorf("%s %q does not occur in the body %q", name, v, body)
			}
			if tokens == nil {
				tokens = jsonScalars(body)
			}
			if !tokens[v] {
				t.Errorf("%s %q is none of the body's JSON strings or numbers: %q", name, v, body)
			}
		}

		respErr := gophercloud.ErrUnexpectedResponseCode{
			Method:         http.MethodGet,
			URL:            "https://vbs.example/v2/p/os-vendor-backup-sharing/x",
			Expected:       []int{http.StatusOK},
			Actual:         int(status),
			Body:           body,
			ResponseHeader: http.Header{"X-Request-Id": {headerID}},
		}
		for _, wrapped := range []error{respErr, &respErr, fmt.Errorf("after reauth: %w", respErr)} {
			err := NewAPIError(wrapped)
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("NewAPIError(%T) = %T, want *APIError", wrapped, err)
			}
			msg := err.Error()
			if msg == "" || !strings.Contains(msg, "HTTP "+strconv.Itoa(int(status))) {
				t.Errorf("Error() = %q, want the status in it", msg)
			}
			if StatusCode(err) != int(status) {
				t.Errorf("StatusCode = %d, want %d", StatusCode(err), status)
			}
			// As a value or as a pointer, whichever form went in.
			if back, ok := unexpectedResponse(err); !ok || back.Actual != int(status) {
				t.Error("the gophercloud error is not reachable through Unwrap")
			}
			if apiErr.Code != parsed.code || apiErr.Message != parsed.message {
				t.Errorf("APIError code/message %q/%q, parser said %q/%q", apiErr.Code, apiErr.Message, parsed.code, parsed.message)
			}
			wantID := parsed.requestID
			if wantID == "" {
				wantID = strings.TrimSpace(headerID)
			}
			if apiErr.RequestID != wantID {
				t.Errorf("RequestID = %q, want %q", apiErr.RequestID, wantID)
			}
			checkTruncatedBody(t, body, apiErr.Body)
			if NewAPIError(err) != err {
				t.Error("NewAPIError wrapped an *APIError again")
			}
		}
	})
}

// checkTruncatedBody: the kept body is bounded, is a prefix of the trimmed
// body, stays valid UTF-8 when the body was, and loses no more than the
// one rune it must not split.
func checkTruncatedBody(t *testing.T, body []byte, kept string) {
	t.Helper()
	trimmed := string(bytes.TrimSpace(body))
	const marker = " [truncated]"
	if len(trimmed) <= maxErrorBodyBytes {
		if kept != trimmed {
			t.Errorf("Body = %q, want the whole trimmed body", kept)
		}
		return
	}
	prefix, ok := strings.CutSuffix(kept, marker)
	if !ok || !strings.HasPrefix(trimmed, prefix) {
		t.Fatalf("Body %q is not a marked prefix of the response", kept)
	}
	if len(prefix) > maxErrorBodyBytes || len(prefix) < maxErrorBodyBytes-(utf8.UTFMax-1) {
		t.Errorf("Body keeps %d bytes of %d; want between %d and %d", len(prefix), len(trimmed), maxErrorBodyBytes-(utf8.UTFMax-1), maxErrorBodyBytes)
	}
	if utf8.ValidString(trimmed) && !utf8.ValidString(prefix) {
		t.Error("truncation split a rune")
	}
}

// jsonScalars collects the body's JSON strings (trimmed, as jsonText leaves
// them) and number literals, at any depth.
func jsonScalars(body []byte) map[string]bool {
	out := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch v := tok.(type) {
		case string:
			out[strings.TrimSpace(v)] = true
		case json.Number:
			out[v.String()] = true
		}
	}
}
