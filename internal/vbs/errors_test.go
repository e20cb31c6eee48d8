package vbs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
)

const testURL = "https://vbs.eu-de.example/v2/p/os-vendor-backup-sharing/ID"

func responseError(status int, body string, header http.Header) gophercloud.ErrUnexpectedResponseCode {
	return gophercloud.ErrUnexpectedResponseCode{
		Method:         "GET",
		URL:            testURL,
		Expected:       []int{200},
		Actual:         status,
		Body:           []byte(body),
		ResponseHeader: header,
	}
}

func TestNewAPIErrorBodyShapes(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		header    http.Header
		code      string
		message   string
		requestID string
		text      string
	}{
		{
			name:      "vendor error object, request ID from header",
			body:      `{"error": {"code": "VolumeBackup.0111", "message": "Backup sharing not found"}}`,
			header:    http.Header{"X-Request-Id": {"req-123"}},
			code:      "VolumeBackup.0111",
			message:   "Backup sharing not found",
			requestID: "req-123",
			text:      "GET " + testURL + ": HTTP 404, API error VolumeBackup.0111: Backup sharing not found (request ID req-123)",
		},
		{
			name:    "IAM error object with numeric-looking string code",
			body:    `{"error": {"code": "111401001", "message": "Invalid token.", "title": "Unauthorized"}}`,
			code:    "111401001",
			message: "Invalid token.",
			text:    "GET " + testURL + ": HTTP 404, API error 111401001: Invalid token.",
		},
		{
			name:      "Cinder wrapper with integer code",
			body:      `{"itemNotFound": {"code": 404, "message": "Backup abc could not be found."}}`,
			header:    http.Header{"X-Openstack-Request-Id": {"req-os-1"}},
			code:      "404",
			message:   "Backup abc could not be found.",
			requestID: "req-os-1",
		},
		{
			name:    "Cinder wrapper with string code",
			body:    `{"badRequest": {"code": "VolumeBackup.0002", "message": "Invalid input."}}`,
			code:    "VolumeBackup.0002",
			message: "Invalid input.",
		},
		{
			name:      "API gateway flat fields, body request ID wins over header",
			body:      `{"error_msg": "The token must be updated.", "error_code": "APIGW.0307", "request_id": "gw-42"}`,
			header:    http.Header{"X-Request-Id": {"hdr-1"}},
			code:      "APIGW.0307",
			message:   "The token must be updated.",
			requestID: "gw-42",
			text:      "GET " + testURL + ": HTTP 404, API error APIGW.0307: The token must be updated. (request ID gw-42)",
		},
		{
			name:      "compute request ID header is the last resort",
			body:      `{"error": {"code": "X", "message": "m"}}`,
			header:    http.Header{"X-Compute-Request-Id": {"req-compute"}, "X-Request-Id": {"  "}},
			code:      "X",
			message:   "m",
			requestID: "req-compute",
		},
		{
			name:    "plain error string",
			body:    `{"error": "quota exceeded"}`,
			message: "quota exceeded",
			text:    "GET " + testURL + ": HTTP 404, API error: quota exceeded",
		},
		{
			name: "HTML from a gateway falls back to raw text",
			body: "<html>\n  <head><title>404 Not Found</title></head>\n  <body>nginx</body>\n</html>\n",
			text: "GET " + testURL + ": HTTP 404, response body: <html> <head><title>404 Not Found</title></head> <body>nginx</body> </html>",
		},
		{
			name: "unknown JSON falls back to raw text",
			body: `{"fault": "something"}`,
			text: "GET " + testURL + `: HTTP 404, response body: {"fault": "something"}`,
		},
		{
			name: "two wrapper objects are ambiguous",
			body: `{"a": {"code": 1, "message": "x"}, "b": {"code": 2, "message": "y"}}`,
		},
		{
			name: "empty body",
			body: "",
			text: "GET " + testURL + ": HTTP 404",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewAPIError(responseError(http.StatusNotFound, tt.body, tt.header))
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("NewAPIError returned %T, want *APIError", err)
			}
			if apiErr.StatusCode != http.StatusNotFound {
				t.Errorf("StatusCode = %d, want 404", apiErr.StatusCode)
			}
			if apiErr.Code != tt.code {
				t.Errorf("Code = %q, want %q", apiErr.Code, tt.code)
			}
			if apiErr.Message != tt.message {
				t.Errorf("Message = %q, want %q", apiErr.Message, tt.message)
			}
			if apiErr.RequestID != tt.requestID {
				t.Errorf("RequestID = %q, want %q", apiErr.RequestID, tt.requestID)
			}
			if apiErr.Method != "GET" || apiErr.URL != testURL {
				t.Errorf("Method, URL = %q, %q", apiErr.Method, apiErr.URL)
			}
			if apiErr.Body != strings.TrimSpace(tt.body) {
				t.Errorf("Body = %q, want the raw body", apiErr.Body)
			}
			if tt.text != "" && err.Error() != tt.text {
				t.Errorf("Error() =\n  %s\nwant\n  %s", err.Error(), tt.text)
			}
			if (tt.code != "" || tt.message != "") && strings.Contains(err.Error(), "{") {
				t.Errorf("Error() repeats the raw body although it was parsed: %s", err.Error())
			}
		})
	}
}

func TestNewAPIErrorPassesOtherErrorsThrough(t *testing.T) {
	if NewAPIError(nil) != nil {
		t.Error("NewAPIError(nil) != nil")
	}
	plain := errors.New("dial tcp: connection refused")
	if got := NewAPIError(plain); got != plain {
		t.Errorf("NewAPIError(plain) = %v, want the same error", got)
	}
	if got := NewAPIError(context.Canceled); !errors.Is(got, context.Canceled) {
		t.Errorf("NewAPIError(context.Canceled) = %v", got)
	}
}

func TestNewAPIErrorIsIdempotent(t *testing.T) {
	first := NewAPIError(responseError(404, `{"error":{"code":"c","message":"m"}}`, nil))
	if second := NewAPIError(first); second != first {
		t.Errorf("converting twice changed the error: %v", second)
	}
}

func TestNewAPIErrorFindsWrappedResponseError(t *testing.T) {
	inner := responseError(http.StatusForbidden, `{"error":{"code":"VolumeBackup.0042","message":"no rights"}}`, nil)
	reauth := &gophercloud.ErrErrorAfterReauthentication{ErrOriginal: inner}
	err := NewAPIError(fmt.Errorf("reading sharing: %w", reauth))

	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %T, want *APIError", err)
	}
	if apiErr.StatusCode != 403 || apiErr.Code != "VolumeBackup.0042" {
		t.Errorf("StatusCode, Code = %d, %q", apiErr.StatusCode, apiErr.Code)
	}
	if !gophercloud.ResponseCodeIs(err, http.StatusForbidden) {
		t.Error("gophercloud.ResponseCodeIs no longer sees the status through Unwrap")
	}
	var asValue gophercloud.ErrUnexpectedResponseCode
	if !errors.As(err, &asValue) {
		t.Error("errors.As to gophercloud.ErrUnexpectedResponseCode failed")
	}
}

func TestNewAPIErrorAcceptsPointer(t *testing.T) {
	inner := responseError(http.StatusNotFound, `{"error":{"code":"c","message":"m"}}`, nil)
	err := NewAPIError(&inner)
	if !IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false", err)
	}
}

func TestNewAPIErrorTruncatesBody(t *testing.T) {
	// A multi-byte rune straddles the cut so the UTF-8 boundary logic runs.
	body := strings.Repeat("a", maxErrorBodyBytes-1) + "é" + strings.Repeat("b", 5000)
	err := NewAPIError(responseError(502, body, nil))
	apiErr, ok := err.(*APIError)
	if !ok {
		t.Fatalf("NewAPIError returned %T", err)
	}
	if len(apiErr.Body) > maxErrorBodyBytes+len(" [truncated]") {
		t.Errorf("Body has %d bytes, want at most about %d", len(apiErr.Body), maxErrorBodyBytes)
	}
	if !strings.HasSuffix(apiErr.Body, " [truncated]") {
		t.Errorf("truncated Body does not say so: ...%s", apiErr.Body[len(apiErr.Body)-20:])
	}
	if !strings.HasPrefix(apiErr.Body, strings.Repeat("a", maxErrorBodyBytes-1)+" ") {
		t.Error("Body was not cut before the split rune")
	}
}

func TestErrorOmitsEmptyParts(t *testing.T) {
	e := &APIError{StatusCode: 500, Code: "VolumeBackup.0900"}
	if got, want := e.Error(), "HTTP 500, API error VolumeBackup.0900"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestErrorKeepsQueryString(t *testing.T) {
	e := &APIError{StatusCode: 404, Method: "DELETE", URL: "https://h/v2/p/os-vendor-backup-sharing/b?is_backup_id=true", Message: "gone"}
	if got := e.Error(); !strings.HasPrefix(got, "DELETE https://h/v2/p/os-vendor-backup-sharing/b?is_backup_id=true: HTTP 404") {
		t.Errorf("Error() = %q", got)
	}
}

func TestStatusCodeAndIsNotFound(t *testing.T) {
	raw := responseError(http.StatusNotFound, "", nil)
	if StatusCode(raw) != 404 || !IsNotFound(raw) {
		t.Error("a bare gophercloud 404 is not recognised")
	}
	converted := NewAPIError(responseError(http.StatusConflict, "", nil))
	if StatusCode(converted) != 409 || IsNotFound(converted) {
		t.Errorf("StatusCode(409) = %d, IsNotFound = %v", StatusCode(converted), IsNotFound(converted))
	}
	if StatusCode(errors.New("x")) != 0 || StatusCode(nil) != 0 || IsNotFound(nil) {
		t.Error("non-HTTP errors must have status 0")
	}
}
