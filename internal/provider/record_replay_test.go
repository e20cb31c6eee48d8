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

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// The provider, driven by Terraform, records a sharing read from a local
// upstream cloud through the recorded server's record mode; the cassette it
// leaves holds none of the secrets or hosts; replaying it gives the same
// state.
func TestAccRecordThenReplay(t *testing.T) {
	const (
		password = "pw-ACC-SECRET-9931"
		token    = "tok-ACC-SECRET-7723"
	)
	cfg := fakecloud.Default
	cfg.Password, cfg.Token = password, token
	cfg.Catalog = []fakecloud.Service{{Type: "vbsv2", Name: "vbs", Label: "vbs", Path: "/v2/" + testProjectID}}
	cfg.Routes = []fakecloud.Route{{
		Method: http.MethodGet, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/" + testSharingID,
		Status: http.StatusOK, Header: map[string]string{"X-Request-Id": "req-record-1"}, Body: fakecloud.SharingFullBody,
	}}
	cloud, err := fakecloud.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cloud.Close()

	cassette := filepath.Join(t.TempDir(), "recorded.yaml")
	recorder, err := recorded.Start(recorded.Options{
		Cassette: cassette, Mode: recorded.ModeRecord, Upstream: cloud.AuthURL(), Transport: cloud.Transport(),
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := func(server *recorded.Server, password string) []resource.TestStep {
		return []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "vbs" {
  auth_url    = %q
  domain_name = %q
  project_id  = %q
  user_name   = %q
  password    = %q
}

data "vbs_backup_sharing" "test" {
  id = %q
}
`, server.AuthURL(), cfg.UserDomainName, testProjectID, cfg.UserName, password, testSharingID),
			ConfigStateChecks: expectAttributes(map[string]knownvalue.Check{
				"backup_id":    knownvalue.StringExact(testBackupID),
				"backup_size":  knownvalue.Int64Exact(40),
				"object_count": knownvalue.Null(),
			}),
		}}
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps(recorder, password)})
	if err := recorder.Close(); err != nil {
		t.Fatal(err)
	}
	if unmatched := recorder.Unmatched(); len(unmatched) > 0 {
		t.Fatalf("record mode could not forward: %v", unmatched)
	}

	data, err := os.ReadFile(cassette)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{password, token, cfg.Domain, cloud.Addr()} {
		if strings.Contains(string(data), secret) {
			t.Errorf("the recorded cassette contains %q", secret)
		}
	}
	for _, want := range []string{"POST", "/v3/auth/tokens", "os-vendor-backup-sharing/" + testSharingID, "REDACTED", "recorded.invalid"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the recorded cassette lacks %q", want)
		}
	}

	replay, err := recorded.Start(recorded.Options{Cassette: cassette})
	if err != nil {
		t.Fatal(err)
	}
	defer replay.Close()
	cloudRequests := len(cloud.Requests())
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps(replay, "another-password")})
	if unmatched := replay.Unmatched(); len(unmatched) > 0 {
		t.Fatalf("replay found no interaction for: %v", unmatched)
	}
	if len(cloud.Requests()) != cloudRequests {
		t.Fatal("replay reached the upstream cloud")
	}
}
