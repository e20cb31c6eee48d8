package recorded_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

func startRecording(t *testing.T, sc scenario, cassette string) *recorded.Server {
	t.Helper()
	cloud := startCloud(t, sc.cloudConfig())
	srv, err := recorded.Start(recorded.Options{
		Cassette: cassette, Mode: recorded.ModeRecord,
		Upstream: cloud.AuthURL(), Transport: cloud.Transport(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func TestRecordWithoutTrafficKeepsCassette(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kept")
	if err := os.WriteFile(file+".yaml", []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startRecording(t, scenarios[0], file)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(file + ".yaml"); string(data) != "keep me\n" {
		t.Errorf("an empty recording replaced the cassette with:\n%s", data)
	}
}

// TestRecordRedactsSignedQuery covers token-in-URL and pre-signed requests:
// the cassette holds REDACTED, and replay matches whatever signature the
// next run computes.
func TestRecordRedactsSignedQuery(t *testing.T) {
	file := filepath.Join(t.TempDir(), "signed")
	sc := scenarios[0]
	srv := startRecording(t, sc, file)
	ex := runClient(t, srv.Client(), srv.AuthURL(), sc)
	req, _ := http.NewRequest(http.MethodGet, ex.getURL+"?signature=s3cr3t-sig&limit=1", nil)
	req.Header.Set("X-Auth-Token", ex.subjectToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed GET through the recorder: status %d", resp.StatusCode)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file + ".yaml")
	if strings.Contains(string(data), "s3cr3t-sig") || !strings.Contains(string(data), "signature=REDACTED") {
		t.Errorf("signature not redacted:\n%s", data)
	}

	replay := startReplay(t, file)
	vbs := "http://vbs.localhost:" + port(replay) + sc.sharingPath()
	if status, body := get(t, replay, vbs+"?limit=1&signature=another-sig"); status != http.StatusOK {
		t.Errorf("replay with another signature: status %d %s", status, body)
	}
	if status, _ := get(t, replay, vbs+"?limit=2&signature=another-sig"); status != http.StatusInternalServerError {
		t.Errorf("replay with another limit: status %d, want 500", status)
	}
	if u := replay.Unmatched(); len(u) != 1 || strings.Contains(u[0], "another-sig") {
		t.Errorf("Unmatched() = %q; it must name the request without its signature", u)
	}
}
