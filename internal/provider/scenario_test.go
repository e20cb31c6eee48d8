package provider

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// envRegenerate set to 1 makes startScenario record its cassette afresh from
// the fake cloud instead of replaying the committed one.
const envRegenerate = "VBS_REGENERATE_CASSETTES"

// startScenario replays testdata/cassettes/<name>.yaml. With
// VBS_REGENERATE_CASSETTES=1 it records that cassette anew: the test then
// runs against a fake cloud that setup prepares, through the recorded
// server's record mode, the same path that records a real cloud. So every
// lifecycle cassette is a recording of this very test, and the scenario's
// cloud is written here, next to what the test expects of it.
//
// configure, when given, adjusts the server's options in both modes (for
// example the AK/SK test keys it verifies signatures with).
func startScenario(t *testing.T, name string, setup func(cfg *fakecloud.Config), configure ...func(*recorded.Options)) *recorded.Server {
	t.Helper()
	configureAll := func(o *recorded.Options) {
		for _, c := range configure {
			c(o)
		}
	}
	if os.Getenv(envRegenerate) != "1" {
		return recorded.StartForTestWithOptions(t, name, configureAll)
	}
	cfg := fakecloud.Default
	cfg.UserName, cfg.UserDomainName, cfg.ProjectID = testUserName, testDomainName, testProjectID
	cfg.Password = testReplayPassword
	cfg.Catalog = []fakecloud.Service{{Type: "vbsv2", Name: "vbs", Label: "vbs", Path: "/v2/" + testProjectID}}
	setup(&cfg)
	cloud, err := fakecloud.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Close)
	root, err := recorded.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	opts := recorded.Options{
		Cassette:  filepath.Join(root, "testdata", "cassettes", name),
		Mode:      recorded.ModeRecord,
		Upstream:  cloud.AuthURL(),
		Transport: cloud.Transport(),
	}
	configureAll(&opts)
	server, err := recorded.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := server.Close(); err != nil {
			t.Error(err)
		}
		for _, desc := range server.Unmatched() {
			t.Errorf("recording %s: could not forward %s", name, desc)
		}
	})
	return server
}

// testAccConnection logs in through the recorded server as the provider
// does, for checks and out-of-band changes made by the test itself.
func testAccConnection(t *testing.T, server *recorded.Server) *client.Connection {
	t.Helper()
	c, err := client.New(client.Settings{
		AuthURL: server.AuthURL(), UserName: testUserName, DomainName: testDomainName,
		ProjectID: testProjectID, Password: testReplayPassword, Region: "eu-de",
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// backupObject is a backup as the API embeds it in a sharing (spec §5.2),
// the reference's example.
var backupObject = fakecloud.ExampleBackup

// sharingStatus reads a sharing outside Terraform and returns the HTTP
// status the API answered with.
func sharingStatus(ctx context.Context, conn *client.Connection, id string) int {
	_, err := sharing.Get(ctx, conn.VBS, id).Extract()
	if err == nil {
		return http.StatusOK
	}
	return vbs.StatusCode(err)
}
