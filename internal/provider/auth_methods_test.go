package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"

	"github.com/vbs-tf/terraform-provider-vbs/internal/aksk"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// Test-only AK/SK credentials: temporary ones, with a security token.
var testAKSK = aksk.Credentials{
	AccessKey:     "AKSKTESTACCESSKEY0001",
	SecretKey:     "sk-test-only-2718",
	SecurityToken: "st-test-only-3141",
}

// akskServer verifies every replayed signature with the test keys, and when
// recording re-signs for the fake cloud.
func akskServer(o *recorded.Options) {
	o.AKSK = map[string]string{testAKSK.AccessKey: testAKSK.SecretKey}
	if o.Mode == recorded.ModeRecord {
		o.Resign, o.ResignProjectID = &testAKSK, testProjectID
	}
}

func testAccAKSKConfig(server *recorded.Server, secretKey string) string {
	return fmt.Sprintf(`
provider "vbs" {
  auth_url       = %q
  region         = "eu-de"
  project_id     = %q
  access_key     = %q
  secret_key     = %q
  security_token = %q
}
`, server.AuthURL(), testProjectID, testAKSK.AccessKey, secretKey, testAKSK.SecurityToken) + testAccReadOne
}

// A read signed with temporary AK/SK credentials: the catalog comes from the
// signed catalog call, then the signed GET; the recorded server checks both
// signatures.
func TestAccAuth_akskRead(t *testing.T) {
	server := startScenario(t, "aksk_read", func(cfg *fakecloud.Config) {
		cfg.AccessKey, cfg.SecretKey, cfg.SecurityToken = testAKSK.AccessKey, testAKSK.SecretKey, testAKSK.SecurityToken
		failFirst()(cfg)
	}, akskServer)
	clearOSEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:            testAccAKSKConfig(server, testAKSK.SecretKey),
			ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{"backup_id": knownvalue.StringExact(testBackupID)}),
		}},
	})
	if n := countRequests(server, "POST", "/v3/auth/tokens"); n != 0 {
		t.Fatalf("AK/SK made %d Keystone logins; want none", n)
	}
	if n := countRequests(server, "GET", "/v3/auth/catalog"); n == 0 {
		t.Fatal("AK/SK never read the catalog")
	}
}

// A wrong secret key: the recorded server refuses the signature as the
// gateway does, and the user sees the gateway's code.
func TestAccAuth_akskBadSignatureRefused(t *testing.T) {
	root, err := recorded.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	opts := recorded.Options{Cassette: filepath.Join(root, "testdata", "cassettes", "aksk_read")}
	akskServer(&opts)
	server, err := recorded.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	clearOSEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      testAccAKSKConfig(server, "sk-wrong"),
			ExpectError: regexp.MustCompile(`(?s)Keystone\s+refused\s+the\s+credentials.*AK/SK.*Check\s+the\s+credentials:\s+access_key.*HTTP\s+401.*APIGW\.0301`),
		}},
	})
	if len(server.Unmatched()) == 0 {
		t.Fatal("the recorded server accepted a request signed with the wrong secret key")
	}
}

// TLS with a client certificate: the recorded server speaks HTTPS with its
// own CA and demands a client certificate; the provider presents cert/key
// and trusts the CA from cacert_file (or, with insecure = true, trusts the
// server unchecked). Without the certificate the handshake fails.
func TestAccAuth_clientCertificate(t *testing.T) {
	serverTLS, caPEM, certPEM, keyPEM, err := recorded.NewTestTLS(true)
	if err != nil {
		t.Fatal(err)
	}
	server := recorded.StartForTestWithOptions(t, "sharing_full", func(o *recorded.Options) { o.TLS = serverTLS })
	dir := t.TempDir()
	files := map[string][]byte{"ca.pem": caPEM, "client.pem": certPEM, "client-key.pem": keyPEM}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	clearOSEnv(t)
	t.Setenv("OS_CACERT", filepath.Join(dir, "ca.pem"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID,
				fmt.Sprintf("cert = %q", filepath.Join(dir, "client.pem")), fmt.Sprintf("key = %q", filepath.Join(dir, "client-key.pem"))),
			ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{"backup_id": knownvalue.StringExact(testBackupID)}),
		}},
	})
	// insecure = true accepts the server without its CA.
	t.Setenv("OS_CACERT", "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: testAccSharingConfig(server, testSharingID, "insecure = true",
				fmt.Sprintf("cert = %q", filepath.Join(dir, "client.pem")), fmt.Sprintf("key = %q", filepath.Join(dir, "client-key.pem"))),
			ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{"backup_id": knownvalue.StringExact(testBackupID)}),
		}},
	})
	t.Setenv("OS_CACERT", filepath.Join(dir, "ca.pem"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      testAccSharingConfig(server, testSharingID, "max_retries = 0"),
			ExpectError: regexp.MustCompile(`(?s)TLS\s+verification\s+failed\s+for\s+Keystone.*certificate\s+required.*cert\s+and\s+key\s+\(OS_CERT,\s+OS_KEY\)`),
		}},
	})
}
