package provider

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
)

// Each failure class has its own summary and advice, and only a refused
// login or call tells the user to check the credentials.
func TestOperationFailByClass(t *testing.T) {
	settings := client.Settings{UserName: "operator", DomainName: "dom", ProjectID: testProjectID, Password: "pw-never-shown"}
	conn := &client.Connection{ProjectID: testProjectID}
	dialErr := func(addr string, cause error) error {
		return &url.Error{Op: "Post", URL: "http://" + addr + "/v3/auth/tokens", Err: &net.OpError{Op: "dial", Net: "tcp", Err: cause}}
	}
	login := func(err error) error {
		return &client.AuthError{AuthURL: "https://iam.example/v3/", Credentials: settings.CredentialKind(), Err: err}
	}
	api := func(status int, code string) error {
		return &vbs.APIError{StatusCode: status, Code: code, Message: "the message", RequestID: "req-42",
			Method: "GET", URL: "https://vbs.example/v2/p/os-vendor-backup-sharing/x"}
	}
	what := sharingSubject("reading", testSharingID)

	for name, tc := range map[string]struct {
		err               error
		timedOut, stopped bool
		summary, detail   string
	}{
		"keystone refused connection": {err: login(dialErr("127.0.0.1:9", syscall.ECONNREFUSED)),
			summary: `^Cannot reach Keystone at 127\.0\.0\.1:9$`, detail: `connection refused.*Is auth_url \(OS_AUTH_URL\) right.*network`},
		"keystone host not found": {err: login(dialErr("iam.nowhere.invalid:443", &net.DNSError{Name: "iam.nowhere.invalid", IsNotFound: true})),
			summary: `^Cannot reach Keystone at iam\.nowhere\.invalid:443$`, detail: `no such host.*auth_url`},
		"keystone 404": {err: login(&vbs.APIError{StatusCode: 404, Method: "POST", URL: "https://iam.example/identity/v3/auth/tokens"}),
			summary: `^Keystone not found at auth_url$`, detail: `POST https://iam\.example/identity/v3/auth/tokens answered HTTP 404.*should .*end.* in /v3`},
		"keystone 401": {err: login(api(401, "111401001")),
			summary: `^Keystone refused the credentials$`, detail: `password credentials for a user name.*Check the credentials: user_name \(OS_USERNAME\), password.*HTTP 401.*req-42`},
		"keystone 403": {err: login(api(403, "111403")),
			summary: `^Keystone refused the project scope$`, detail: `project_id or project_name.*roles.*HTTP 403`},
		"vbs refused connection": {err: dialErr("vbs.example:443", syscall.ECONNREFUSED),
			summary: `^Cannot reach the VBS API at vbs\.example:443$`, detail: `connection refused.*endpoints = \{ vbs = … \}`},
		"vbs 401": {err: api(401, "APIGW.0307"),
			summary: `^The VBS API refused the credentials$`, detail: `Check the credentials: user_name.*APIGW\.0307.*req-42`},
		"vbs 403": {err: api(403, "APIGW.0302"),
			summary: `was forbidden$`, detail: `lacks VBS permissions.*project_id.*APIGW\.0302`},
		"vbs 404": {err: api(404, "VolumeBackup.0111"),
			summary: `^Backup sharing not found$`, detail: `No backup sharing with ID ` + testSharingID + ` is visible to project ` + testProjectID + `.*req-42`},
		"vbs 500": {err: api(500, "VolumeBackup.0103"),
			summary: `^Reading backup sharing ` + testSharingID + ` failed$`, detail: `project ` + testProjectID + `.*HTTP 500, API error VolumeBackup\.0103: the message \(request ID req-42\)`},
		"timeout": {err: fmt.Errorf("GET x: stopped while waiting 1m0s to retry after HTTP 429 (attempt 1): %w", context.DeadlineExceeded), timedOut: true,
			summary: `^Reading backup sharing ` + testSharingID + ` timed out after 2s \(timeouts\.read\)$`,
			detail:  `within 2s, the limit set by timeouts\.read.*timeouts = \{ read = "1m" \}.*Last error: .*HTTP 429`},
		"interrupted": {err: &url.Error{Op: "Get", URL: "x", Err: context.Canceled}, stopped: true,
			summary: `^Reading backup sharing ` + testSharingID + ` was interrupted$`, detail: `^Terraform stopped the provider`},
	} {
		t.Run(name, func(t *testing.T) {
			parent, stop := context.WithCancel(context.Background())
			defer stop()
			var diags diag.Diagnostics
			op := &operation{parent: parent, timeout: 2 * time.Second, timeoutName: "timeouts.read", settings: settings, conn: conn, diags: &diags}
			if _, isLogin := tc.err.(*client.AuthError); isLogin {
				op.conn = nil
			}
			deadline := time.Now().Add(time.Hour)
			if tc.timedOut {
				deadline = time.Now().Add(-time.Second)
			}
			op.ctx, op.cancel = context.WithDeadline(parent, deadline)
			defer op.end()
			if tc.stopped {
				stop()
			}

			op.fail(what, tc.err)
			if len(diags) != 1 {
				t.Fatalf("%d diagnostics, want exactly one: %v", len(diags), diags)
			}
			d := diags[0]
			detail := strings.Join(strings.Fields(d.Detail()), " ")
			if !regexp.MustCompile(tc.summary).MatchString(d.Summary()) {
				t.Errorf("summary %q does not match %s", d.Summary(), tc.summary)
			}
			if !regexp.MustCompile(tc.detail).MatchString(detail) {
				t.Errorf("detail %q does not match %s", detail, tc.detail)
			}
			credentials := strings.Contains(detail, "Check the credentials")
			if refused := strings.HasSuffix(name, "401"); credentials != refused {
				t.Errorf("\"Check the credentials\" shown: %v, want it only for a 401", credentials)
			}
			if strings.Contains(d.Summary()+detail, "pw-never-shown") || strings.Contains(detail, "context canceled") {
				t.Errorf("diagnostic shows a secret or the bare cancellation: %s / %s", d.Summary(), detail)
			}
		})
	}
}

// A resource's create and delete timeouts are named the same way as a
// read's.
func TestOperationTimeoutNamesTheTimeout(t *testing.T) {
	for name, what := range map[string]subject{
		"timeouts.create": {doing: "sharing backup b with project p"},
		"timeouts.delete": sharingSubject("cancelling", testSharingID),
	} {
		var diags diag.Diagnostics
		op := &operation{parent: context.Background(), timeout: 90 * time.Second, timeoutName: name, diags: &diags}
		op.ctx, op.cancel = context.WithDeadline(op.parent, time.Now().Add(-time.Second))
		op.fail(what, context.DeadlineExceeded)
		op.end()
		want := regexp.MustCompile(`^(Sharing|Cancelling) .* timed out after 1m30s \(` + regexp.QuoteMeta(name) + `\)$`)
		if len(diags) != 1 || !want.MatchString(diags[0].Summary()) || !strings.Contains(diags[0].Detail(), name) {
			t.Errorf("%s: %v", name, diags)
		}
	}
}
