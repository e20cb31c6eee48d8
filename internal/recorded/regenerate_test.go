package recorded_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

func cassetteDir(t *testing.T) string {
	t.Helper()
	root, err := recorded.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "testdata", "cassettes")
}

// TestRegenerateCassettes rewrites testdata/cassettes by recording every
// scenario against the fake cloud, so the committed cassettes are outputs of
// the record path rather than hand-written files.
func TestRegenerateCassettes(t *testing.T) {
	if os.Getenv("VBS_REGENERATE_CASSETTES") != "1" {
		t.Skip("set VBS_REGENERATE_CASSETTES=1 to rewrite testdata/cassettes")
	}
	dir := cassetteDir(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			_, cloud := recordScenario(t, sc, filepath.Join(dir, sc.name))
			assertClean(t, filepath.Join(dir, sc.name+".yaml"), cloud)
		})
	}
}

// TestCommittedCassettesAreCurrent records every scenario again and expects
// the committed file byte for byte, so a change to the sanitiser or to the
// scenarios cannot leave stale cassettes behind.
func TestCommittedCassettesAreCurrent(t *testing.T) {
	if os.Getenv("VBS_REGENERATE_CASSETTES") == "1" {
		t.Skip("cassettes are being regenerated")
	}
	dir := cassetteDir(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			tmp := filepath.Join(t.TempDir(), sc.name)
			recordScenario(t, sc, tmp)
			got, err := os.ReadFile(tmp + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, sc.name+".yaml"))
			if err != nil {
				t.Fatalf("%v (regenerate with VBS_REGENERATE_CASSETTES=1 go test ./internal/recorded -run TestRegenerateCassettes)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("testdata/cassettes/%s.yaml differs from a fresh recording; regenerate with VBS_REGENERATE_CASSETTES=1 go test ./internal/recorded -run TestRegenerateCassettes\n--- fresh recording ---\n%s", sc.name, got)
			}
		})
	}
}

// assertClean fails if a cassette holds a secret or anything that names the
// real cloud.
func assertClean(t *testing.T, file string, cloud *fakecloud.Cloud) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	_, port, _ := strings.Cut(cloud.Addr(), ":")
	for _, leak := range []string{
		testPassword, testToken,
		fakecloud.Default.Domain, cloud.Addr(), ":" + port,
		".localhost", "127.0.0.1",
	} {
		if strings.Contains(text, leak) {
			t.Errorf("%s contains %q", filepath.Base(file), leak)
		}
	}
	if !strings.Contains(text, recorded.Redacted) {
		t.Errorf("%s redacts nothing; the token header should read %s", filepath.Base(file), recorded.Redacted)
	}
}
