package provider

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// sharingGetPath is the path of the example sharing.
const sharingGetPath = "/v2/" + testProjectID + "/os-vendor-backup-sharing/" + testSharingID

// failFirst makes the fake cloud answer the example sharing's GET with the
// given failures first, then with the reference's example.
func failFirst(failures ...fakecloud.Route) func(cfg *fakecloud.Config) {
	return func(cfg *fakecloud.Config) {
		for _, f := range failures {
			f.Method, f.Label, f.Path = http.MethodGet, "vbs", sharingGetPath
			if f.Times == 0 {
				f.Times = 1
			}
			cfg.Routes = append(cfg.Routes, f)
		}
		cfg.Routes = append(cfg.Routes, fakecloud.Route{
			Method: http.MethodGet, Label: "vbs", Path: sharingGetPath, Status: http.StatusOK, Body: fakecloud.SharingFullBody,
		})
	}
}

// testAccReadsExample runs one plan/apply cycle that must read the example.
func testAccReadsExample(t *testing.T, server *recorded.Server, providerSettings ...string) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID, providerSettings...),
			ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{
				"backup_id":    knownvalue.StringExact(testBackupID),
				"object_count": knownvalue.Null(),
			}),
		}},
	})
}

// wantRequests checks how often the first Terraform command sent a request:
// the server's log runs in order, and each command starts with a login.
func wantFirstCommand(t *testing.T, server *recorded.Server, want []string) {
	t.Helper()
	var first []string
	for i, r := range server.Requests() {
		if i > 0 && r == "POST /v3/auth/tokens" && len(first) >= len(want) {
			break
		}
		first = append(first, r)
	}
	if strings.Join(first, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the first Terraform command sent\n  %s\nwant\n  %s", strings.Join(first, "\n  "), strings.Join(want, "\n  "))
	}
}

const (
	login = "POST /v3/auth/tokens"
	read  = "GET " + sharingGetPath
)

// Throttled: 429 with Retry-After, then 200. The read succeeds.
func TestAccResilience_throttledThenOK(t *testing.T) {
	server := startScenario(t, "retry_429_then_ok", failFirst(fakecloud.Route{
		Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "1"},
		Body: `{"error_code": "APIGW.0308", "error_msg": "Too many requests have been sent in a given amount of time. Pause requests, wait up to one minute, and try again.", "request_id": "req-429"}`,
	}))
	testAccReadsExample(t, server)
	wantFirstCommand(t, server, []string{login, read, read})
}

// Unavailable twice, then 200. The read succeeds.
func TestAccResilience_unavailableTwiceThenOK(t *testing.T) {
	server := startScenario(t, "retry_503_twice_then_ok", failFirst(fakecloud.Route{
		Status: http.StatusServiceUnavailable, Times: 2,
		Body: `{"error": {"code": "VolumeBackup.0900", "message": "The service is unavailable."}}`,
	}))
	testAccReadsExample(t, server)
	wantFirstCommand(t, server, []string{login, read, read, read})
}

// The token expired between login and read: the gateway answers 401
// APIGW.0307; the provider logs in once more and reads again.
func TestAccResilience_expiredTokenReauthenticates(t *testing.T) {
	server := startScenario(t, "reauth_expired_token", failFirst(fakecloud.Route{
		Status: http.StatusUnauthorized,
		Body:   `{"error_code": "APIGW.0307", "error_msg": "The token must be updated.", "request_id": "req-401"}`,
	}))
	testAccReadsExample(t, server)
	wantFirstCommand(t, server, []string{login, read, login, read})
}

// An endpoint where nothing listens: the read fails with the address and
// the cause after max_retries, within the bounded total wait.
func TestAccResilience_unreachableEndpoint(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_full")
	start := time.Now()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID, `endpoints = { vbs = "http://127.0.0.1:9/v2/{project_id}" }`, "max_retries = 3"),
			ExpectError: regexp.MustCompile(`(?s)Cannot\s+reach\s+the\s+VBS\s+API\s+at\s+127\.0\.0\.1:9.*Reading\s+backup\s+sharing\s+` + testSharingID +
				`\s+failed:\s+connection\s+refused.*endpoints`),
		}},
	})
	elapsed := time.Since(start)
	t.Logf("unreachable endpoint with max_retries = 3 failed after %s", elapsed.Round(time.Millisecond))
	// Three backoff waits of at most 0.5 s, 1 s and 2 s, plus Terraform.
	if elapsed > time.Minute {
		t.Fatalf("the failure took %s: retries are not bounded", elapsed)
	}
}

// Settings from a clouds.yaml entry, its password from secure.yaml, and
// nothing in the provider block but the entry's name.
func TestAccResilience_cloudsYAML(t *testing.T) {
	server := recorded.StartForTest(t, "sharing_full")
	clearOSEnv(t)
	dir := t.TempDir()
	clouds := fmt.Sprintf(`clouds:
  otc:
    region_name: eu-de
    auth:
      auth_url: %s
      username: %s
      user_domain_name: %s
      project_id: %s
`, server.AuthURL(), testUserName, testDomainName, testProjectID)
	secure := fmt.Sprintf("clouds:\n  otc:\n    auth:\n      password: %s\n", testReplayPassword)
	for name, content := range map[string]string{"clouds.yaml": clouds, "secure.yaml": secure} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("OS_CLIENT_CONFIG_FILE", filepath.Join(dir, "clouds.yaml"))
	t.Setenv("OS_CLIENT_SECURE_FILE", filepath.Join(dir, "secure.yaml"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `provider "vbs" {
  cloud = "otc"
}
` + testAccReadOne,
				ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{"backup_id": knownvalue.StringExact(testBackupID)}),
			},
		},
	})
}

// A clouds.yaml entry that does not exist stops the plan and says where the
// file was looked for.
func TestAccResilience_cloudsYAMLMissingEntry(t *testing.T) {
	clearOSEnv(t)
	path := filepath.Join(t.TempDir(), "clouds.yaml")
	if err := os.WriteFile(path, []byte("clouds:\n  otc:\n    region_name: eu-de\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OS_CLIENT_CONFIG_FILE", path)
	testAccConfigError(t, `provider "vbs" {
  cloud = "no-such-cloud"
}`, `(?s)Unable\s+to\s+read\s+clouds\.yaml.*"no-such-cloud".*does\s+not\s+exist`)
}
