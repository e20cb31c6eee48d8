package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// syncBuffer lets the test read stderr while run may still write to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunReplaysUntilSignalled(t *testing.T) {
	root, err := recorded.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	portFile := filepath.Join(t.TempDir(), "url")
	stdoutR, stdoutW := io.Pipe()
	var stderr syncBuffer
	stop := make(chan os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		done <- run([]string{
			"-cassette", filepath.Join(root, "testdata", "cassettes", "sharing_full.yaml"),
			"-port-file", portFile,
		}, stdoutW, &stderr, stop)
		stdoutW.Close()
	}()

	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil {
		t.Fatalf("reading stdout: %v; stderr: %s", err, stderr.String())
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "VBS_RECORDED_URL=")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("stdout line %q", line)
	}
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()
	if data, err := os.ReadFile(portFile); err != nil || strings.TrimSpace(string(data)) != url {
		t.Errorf("port file %q, %v", data, err)
	}

	resp, err := http.Get(url + "/v2/unrecorded")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("unrecorded request: status %d", resp.StatusCode)
	}

	stop <- syscall.SIGTERM
	if code := <-done; code != 1 {
		t.Errorf("exit status %d, want 1 after an unmatched request", code)
	}
	if !strings.Contains(stderr.String(), "unmatched: GET /v2/unrecorded") {
		t.Errorf("stderr does not name the unmatched request:\n%s", stderr.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-cassette", "x", "-record"},
		{"-cassette", "x", "-upstream", "https://iam.example.com/v3"},
	} {
		var stderr bytes.Buffer
		if code := run(args, io.Discard, &stderr, nil); code != 2 {
			t.Errorf("run(%q) = %d, want 2; stderr %s", args, code, stderr.String())
		}
	}
}
