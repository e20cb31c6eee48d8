package bench

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func tarOf(t *testing.T, files map[string]string) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// A revision's tree lands under the directory, and nothing in an archive
// can write outside it.
func TestExtractTar(t *testing.T) {
	dir := t.TempDir()
	if err := extractTar(tarOf(t, map[string]string{"go.mod": "module x\n", "internal/a/a.go": "package a\n"}), dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "internal", "a", "a.go")); err != nil || string(b) != "package a\n" {
		t.Errorf("internal/a/a.go: %q, %v", b, err)
	}
	for _, name := range []string{"../escape.go", "/abs.go", "a/../../escape.go"} {
		if err := extractTar(tarOf(t, map[string]string{name: "x"}), t.TempDir()); err == nil {
			t.Errorf("%s: extracted, want an error", name)
		}
	}
}
