package provider

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// testAccProtoV6ProviderFactories serve the provider in-process to the
// Terraform CLI that terraform-plugin-testing runs.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"vbs": func() (tfprotov6.ProviderServer, error) { return NewServer("test")(), nil },
}

// Identities the cassettes were recorded with (testdata/README.md).
const (
	testProjectID  = "ffffffffffffffffffffffffffff0000"
	testDomainName = "OTC00000000001000000042"
	testUserName   = "tf-recorder"
	// testReplayPassword is what the tests log in with; the cassettes hold
	// no password, and replay accepts any.
	testReplayPassword = "replay-password"
)

// TestMain makes the acceptance tests run with every `go test`: they need no
// cloud, only the Terraform CLI, so there is nothing to opt into. Without a
// Terraform CLI they fail loudly instead of skipping.
func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC") == "" {
		_ = os.Setenv("TF_ACC", "1")
	}
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		if _, err := exec.LookPath("terraform"); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: the acceptance tests need the Terraform CLI and none was found. "+
				"Run `make test` (it builds Terraform v1.5.7 when none is on PATH) or set TF_ACC_TERRAFORM_PATH.")
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// testAccProviderBlock configures the provider for a recorded server, with
// any extra lines of provider settings. On replay the credentials are
// placeholders (the cassettes hold no secrets); when recording from a real
// cloud they come from the real OS_* environment.
func testAccProviderBlock(server *recorded.Server, extra ...string) string {
	settings := strings.Join(extra, "\n  ")
	if os.Getenv(recorded.EnvRecord) == "1" {
		return fmt.Sprintf(`
provider "vbs" {
  auth_url = %q
  %s
}
`, server.AuthURL(), settings)
	}
	return fmt.Sprintf(`
provider "vbs" {
  auth_url    = %q
  region      = "eu-de"
  domain_name = %q
  project_id  = %q
  user_name   = %q
  password    = %q
  %s
}
`, server.AuthURL(), testDomainName, testProjectID, testUserName, testReplayPassword, settings)
}

// testAccUnreachableProviderBlock is complete but points at a closed port:
// for tests that must fail before any request is made.
const testAccUnreachableProviderBlock = `
provider "vbs" {
  auth_url    = "http://127.0.0.1:9/v3"
  domain_name = "` + testDomainName + `"
  project_id  = "` + testProjectID + `"
  user_name   = "` + testUserName + `"
  password    = "replay-password"
}
`
