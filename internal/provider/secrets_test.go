package provider

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"

	"github.com/vbs-tf/terraform-provider-vbs/internal/aksk"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// Every secret set to a distinctive string; a full acceptance run at
// TF_LOG=TRACE (a read that works, a read that fails) through record mode,
// once with a password login and once with temporary AK/SK credentials;
// none of the secrets may appear in the log, in the error output, or in the
// cassette written. Secrets come from the environment, as users are told to
// give them: the test harness itself logs the configuration text it runs.
func TestAccSecretsNeverLeak(t *testing.T) {
	const (
		password      = "pw-LEAK-CHECK-1111"
		token         = "tok-LEAK-CHECK-2222"
		secretKey     = "sk-LEAK-CHECK-3333"
		securityToken = "st-LEAK-CHECK-4444"
	)
	secrets := []string{password, token, secretKey, securityToken}
	creds := aksk.Credentials{AccessKey: "AKLEAKCHECK0000000001", SecretKey: secretKey, SecurityToken: securityToken}

	t.Run("password", func(t *testing.T) {
		clearOSEnv(t)
		t.Setenv("OS_PASSWORD", password)
		checkNoSecretLeaks(t, secrets, func(cfg *fakecloud.Config) { cfg.Password, cfg.Token = password, token }, nil,
			func(server *recorded.Server) string {
				return fmt.Sprintf("provider \"vbs\" {\n  auth_url = %q\n  domain_name = %q\n  project_id = %q\n  user_name = %q\n}\n",
					server.AuthURL(), testDomainName, testProjectID, testUserName)
			})
	})
	t.Run("aksk", func(t *testing.T) {
		clearOSEnv(t)
		t.Setenv("OS_ACCESS_KEY", creds.AccessKey)
		t.Setenv("OS_SECRET_KEY", secretKey)
		t.Setenv("OS_SECURITY_TOKEN", securityToken)
		checkNoSecretLeaks(t, secrets, func(cfg *fakecloud.Config) {
			cfg.AccessKey, cfg.SecretKey, cfg.SecurityToken = creds.AccessKey, secretKey, securityToken
		}, func(o *recorded.Options) { o.Resign, o.ResignProjectID = &creds, testProjectID },
			func(server *recorded.Server) string {
				return fmt.Sprintf("provider \"vbs\" {\n  auth_url = %q\n  project_id = %q\n}\n", server.AuthURL(), testProjectID)
			})
	})
}

func checkNoSecretLeaks(t *testing.T, secrets []string, setup func(*fakecloud.Config), configure func(*recorded.Options), providerBlock func(*recorded.Server) string) {
	cfg := fakecloud.Default
	cfg.UserName, cfg.UserDomainName, cfg.ProjectID = testUserName, testDomainName, testProjectID
	cfg.Catalog = []fakecloud.Service{{Type: "vbsv2", Name: "vbs", Label: "vbs", Path: "/v2/" + testProjectID}}
	cfg.Routes = []fakecloud.Route{{Method: http.MethodGet, Label: "vbs", Path: sharingGetPath, Status: http.StatusOK, Body: fakecloud.SharingFullBody}}
	setup(&cfg)
	cloud, err := fakecloud.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cloud.Close()

	dir := t.TempDir()
	cassette := filepath.Join(dir, "secrets.yaml")
	opts := recorded.Options{Cassette: cassette, Mode: recorded.ModeRecord, Upstream: cloud.AuthURL(), Transport: cloud.Transport()}
	if configure != nil {
		configure(&opts)
	}
	server, err := recorded.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "terraform.log")
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_ACC_LOG_PATH", logPath)

	provider := providerBlock(server)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:            provider + testAccReadOne,
			ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{"backup_id": knownvalue.StringExact(testBackupID)}),
		}},
	})
	var errorOutput string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ErrorCheck: func(err error) error {
			errorOutput = err.Error()
			if !strings.Contains(errorOutput, "Backup sharing not found") {
				return err
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config:   provider + fmt.Sprintf("data \"vbs_backup_sharing\" \"test\" {\n  id = %q\n}\n", testMissingSharingID),
			PlanOnly: true,
		}},
	})
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	if u := server.Unmatched(); len(u) > 0 {
		t.Fatalf("record mode could not forward: %v", u)
	}

	if errorOutput == "" {
		t.Fatal("the failing read produced no error output")
	}
	logData, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logData), "HTTP request") || !strings.Contains(string(logData), "HTTP exchange") {
		t.Fatal("the TRACE log has no HTTP exchange from the provider: the check would prove nothing")
	}
	cassetteData, err := os.ReadFile(cassette)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"log": string(logData), "error output": errorOutput, "cassette": string(cassetteData)} {
		for _, secret := range secrets {
			if i := strings.Index(text, secret); i >= 0 {
				context := text[max(0, i-300):min(len(text), i+len(secret)+100)]
				t.Errorf("the %s contains the secret %q, here (masked): %s", name, secret, strings.ReplaceAll(context, secret, "<SECRET>"))
			}
		}
	}
}
