package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunServesAndReportsCounts(t *testing.T) {
	stdoutR, stdoutW := io.Pipe()
	stop := make(chan os.Signal, 1)
	done := make(chan int)
	go func() {
		done <- run([]string{"-n", "3", "-latency", "1ms"}, stdoutW, io.Discard, stop)
		stdoutW.Close()
	}()
	lines := bufio.NewScanner(stdoutR)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "BENCH_URL=") {
		t.Fatalf("first line %q", lines.Text())
	}
	url := strings.TrimPrefix(lines.Text(), "BENCH_URL=")

	resp, err := http.Post(url+"/v3/auth/tokens", "application/json", strings.NewReader(`{"auth":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Subject-Token") == "" {
		t.Fatalf("token: HTTP %d", resp.StatusCode)
	}
	resp, err = http.Get(url + "/_bench/counts")
	if err != nil {
		t.Fatal(err)
	}
	var counts map[string]int64
	err = json.NewDecoder(resp.Body).Decode(&counts)
	resp.Body.Close()
	if err != nil || counts["token"] != 1 {
		t.Fatalf("counts %v, %v", counts, err)
	}

	stop <- syscall.SIGTERM
	if !lines.Scan() || json.Unmarshal([]byte(lines.Text()), &counts) != nil || counts["token"] != 1 {
		t.Errorf("final line %q", lines.Text())
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not stop")
	}
}
