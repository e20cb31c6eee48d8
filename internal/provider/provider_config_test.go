package provider

import (
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// clearOSEnv unsets every OS_* variable the provider reads, so a developer's
// shell cannot change what these tests see.
func clearOSEnv(t *testing.T) {
	t.Helper()
	for _, name := range []string{
		"OS_AUTH_URL", "OS_REGION_NAME", "OS_PROJECT_ID", "OS_TENANT_ID", "OS_PROJECT_NAME", "OS_TENANT_NAME",
		"OS_DOMAIN_ID", "OS_USER_DOMAIN_ID", "OS_DOMAIN_NAME", "OS_USER_DOMAIN_NAME", "OS_USER_ID", "OS_USERNAME",
		"OS_PASSWORD", "OS_TOKEN", "OS_AUTH_TOKEN", "OS_INSECURE", "OS_CACERT",
	} {
		t.Setenv(name, "")
	}
}

const testAccReadOne = `
data "vbs_backup_sharing" "test" {
  id = "` + testSharingID + `"
}
`

func testAccConfigError(t *testing.T, config string, want string) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      config + testAccReadOne,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(want),
		}},
	})
}

func TestAccProviderConfig_missingAuthURL(t *testing.T) {
	clearOSEnv(t)
	t.Setenv("OS_USERNAME", testUserName)
	t.Setenv("OS_PASSWORD", "pw-from-env")
	t.Setenv("OS_DOMAIN_NAME", testDomainName)
	t.Setenv("OS_PROJECT_ID", testProjectID)
	testAccConfigError(t, `provider "vbs" {}`, `(?s)Missing\s+Keystone\s+URL.*auth_url.*OS_AUTH_URL`)
}

func TestAccProviderConfig_missingCredentials(t *testing.T) {
	clearOSEnv(t)
	testAccConfigError(t, `provider "vbs" {
  auth_url   = "http://127.0.0.1:9/v3"
  project_id = "`+testProjectID+`"
}`, `(?s)Missing\s+credentials.*user_name\s+\(or\s+OS_USERNAME\).*password\s+\(or\s+OS_PASSWORD\).*token\s+\(or\s+OS_TOKEN\)`)
}

func TestAccProviderConfig_missingPasswordAndProject(t *testing.T) {
	clearOSEnv(t)
	t.Setenv("OS_AUTH_URL", "http://127.0.0.1:9/v3")
	t.Setenv("OS_USERNAME", testUserName)
	t.Setenv("OS_DOMAIN_NAME", testDomainName)
	testAccConfigError(t, `provider "vbs" {}`, `(?s)(Missing\s+password.*OS_PASSWORD.*Missing\s+project.*OS_PROJECT_ID|Missing\s+project.*OS_PROJECT_ID.*Missing\s+password.*OS_PASSWORD)`)
}

func TestAccProviderConfig_userNameNeedsDomain(t *testing.T) {
	clearOSEnv(t)
	testAccConfigError(t, `provider "vbs" {
  auth_url   = "http://127.0.0.1:9/v3"
  project_id = "`+testProjectID+`"
  user_name  = "`+testUserName+`"
  password   = "x"
}`, `(?s)Missing\s+domain.*domain_name\s+\(or\s+OS_DOMAIN_NAME`)
}

// Contradictions written in the block are caught by validate-time validators.
func TestAccProviderConfig_conflictInBlock(t *testing.T) {
	clearOSEnv(t)
	testAccConfigError(t, `provider "vbs" {
  auth_url    = "http://127.0.0.1:9/v3"
  project_id  = "`+testProjectID+`"
  domain_name = "`+testDomainName+`"
  user_name   = "`+testUserName+`"
  password    = "x"
  token       = "y"
}`, `(?s)Invalid\s+Attribute\s+Combination.*password.*token`)
}

// Contradictions that come from the environment are caught at configure.
func TestAccProviderConfig_conflictInEnvironment(t *testing.T) {
	clearOSEnv(t)
	t.Setenv("OS_AUTH_URL", "http://127.0.0.1:9/v3")
	t.Setenv("OS_PROJECT_ID", testProjectID)
	t.Setenv("OS_USER_ID", "0123456789abcdef0123456789abcdef")
	t.Setenv("OS_USERNAME", testUserName)
	t.Setenv("OS_PASSWORD", "x")
	testAccConfigError(t, `provider "vbs" {}`, `(?s)Contradictory\s+provider\s+settings.*user_id\s+\(or\s+OS_USER_ID\).*user_name\s+\(or\s+OS_USERNAME\)`)
}

func TestAccProviderConfig_badInsecure(t *testing.T) {
	clearOSEnv(t)
	t.Setenv("OS_INSECURE", "sometimes")
	testAccConfigError(t, testAccUnreachableProviderBlock, `(?s)Invalid\s+OS_INSECURE.*"sometimes".*true\s+or\s+false`)
}

func TestAccProviderConfig_badEndpointKey(t *testing.T) {
	clearOSEnv(t)
	testAccConfigError(t, `provider "vbs" {
  endpoints = { evs = "https://evs.example/v2" }
}`, `(?s)endpoints.*value\s+must\s+be\s+one\s+of.*"vbs"`)
}

// A malformed or unknown auth_url is refused before anything is sent: in
// the block at validate time, from the environment at configure time.
func TestAccProviderConfig_badAuthURL(t *testing.T) {
	for name, tc := range map[string]struct{ block, env, want string }{
		"no scheme in the block": {block: `auth_url = "iam.eu-de.otc.t-systems.com/v3"`,
			want: `(?s)Invalid\s+Keystone\s+URL.*not\s+an\s+http://\s+or\s+https://\s+URL.*accepted\s+forms`},
		"unknown version in the block": {block: `auth_url = "https://iam.eu-de.otc.t-systems.com/v3x"`,
			want: `(?s)Invalid\s+Keystone\s+URL.*not\s+a\s+Keystone\s+v3\s+path.*/v3.*accepted\s+forms`},
		"v2.0 from the environment": {env: "https://iam.eu-de.otc.t-systems.com/v2.0",
			want: `(?s)Invalid\s+Keystone\s+URL.*auth_url\s+\(or\s+OS_AUTH_URL\).*Keystone\s+v2.*accepted\s+forms`},
		"unknown version from the environment": {env: "https://iam.eu-de.otc.t-systems.com/v3x",
			want: `(?s)Invalid\s+Keystone\s+URL.*auth_url\s+\(or\s+OS_AUTH_URL\).*not\s+a\s+Keystone\s+v3\s+path`},
	} {
		t.Run(name, func(t *testing.T) {
			clearOSEnv(t)
			t.Setenv("OS_AUTH_URL", tc.env)
			t.Setenv("OS_USERNAME", testUserName)
			t.Setenv("OS_PASSWORD", "pw-from-env")
			t.Setenv("OS_DOMAIN_NAME", testDomainName)
			t.Setenv("OS_PROJECT_ID", testProjectID)
			testAccConfigError(t, "provider \"vbs\" {\n  "+tc.block+"\n}", tc.want)
		})
	}
}

// An unreachable endpoint with a configuration that reads nothing: Terraform
// configures the provider, but nothing authenticates, so the plan succeeds.
func TestAccProviderConfig_noReadNoLogin(t *testing.T) {
	clearOSEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccUnreachableProviderBlock + `
resource "terraform_data" "nothing_to_read" {
  input = "no VBS object here"
}
`,
		}},
	})
}

// A read that must log in at a closed port fails with the auth URL.
func TestAccProviderConfig_unreachableKeystone(t *testing.T) {
	clearOSEnv(t)
	start := time.Now()
	testAccConfigError(t, testAccUnreachableProviderBlock, `(?s)Cannot\s+reach\s+Keystone\s+at\s+127\.0\.0\.1:9.*`+
		`Logging\s+in\s+at\s+http://127\.0\.0\.1:9/v3/\s+with\s+password\s+credentials.*failed:\s+connection\s+refused.*Is\s+auth_url\s+\(OS_AUTH_URL\)\s+right`)
	t.Logf("a refused Keystone connection was reported after %s", time.Since(start).Round(time.Millisecond))
}
