package recorded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/aksk"
)

// Environment variables read by StartForTest.
const (
	// EnvRecord set to 1 makes StartForTest record against a real cloud
	// instead of replaying, overwriting the committed cassette.
	EnvRecord = "VBS_RECORD"
	// EnvAuthURL is the real Keystone URL used when recording.
	EnvAuthURL = "OS_AUTH_URL"
	// EnvAccessKey, EnvSecretKey, EnvSecurityToken and EnvProjectID are the
	// credentials record mode re-signs AK/SK requests with (Options.Resign),
	// the same variables the provider reads.
	EnvAccessKey     = "OS_ACCESS_KEY"
	EnvSecretKey     = "OS_SECRET_KEY"
	EnvSecurityToken = "OS_SECURITY_TOKEN"
	EnvProjectID     = "OS_PROJECT_ID"
)

// StartForTest starts a server on <repo root>/testdata/cassettes/<name>.yaml,
// replaying unless VBS_RECORD=1. Cleanup closes it and fails the test once
// per unmatched request, so an unrecorded request fails the test even when
// the provider's error was the expected outcome.
func StartForTest(t testing.TB, cassetteName string) *Server {
	t.Helper()
	return StartForTestWithOptions(t, cassetteName, nil)
}

// StartForTestWithOptions is StartForTest with a hook that adjusts the
// options before the server starts, such as Options.AKSK for a test that
// signs its requests or Options.TLS. configure sees the options already
// filled in from the environment (mode, upstream, and in record mode Resign
// from OS_ACCESS_KEY, OS_SECRET_KEY, OS_SECURITY_TOKEN and OS_PROJECT_ID),
// so it can also override those. configure may be nil.
func StartForTestWithOptions(t testing.TB, cassetteName string, configure func(*Options)) *Server {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("recorded: %v", err)
		return nil
	}
	opts := Options{
		Cassette: filepath.Join(root, "testdata", "cassettes", strings.TrimSuffix(cassetteName, ".yaml")),
		Mode:     ModeReplay,
	}
	if os.Getenv(EnvRecord) == "1" {
		opts.Mode = ModeRecord
		opts.Upstream = os.Getenv(EnvAuthURL)
		if opts.Upstream == "" {
			t.Fatalf("recorded: %s=1 needs %s, the real cloud's Keystone URL, to record %s", EnvRecord, EnvAuthURL, cassetteName)
			return nil
		}
		if ak, sk := os.Getenv(EnvAccessKey), os.Getenv(EnvSecretKey); ak != "" && sk != "" {
			opts.Resign = &aksk.Credentials{AccessKey: ak, SecretKey: sk, SecurityToken: os.Getenv(EnvSecurityToken)}
			opts.ResignProjectID = os.Getenv(EnvProjectID)
		}
	}
	if configure != nil {
		configure(&opts)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("%v", err)
		return nil
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("%v", err)
		}
		for _, desc := range s.Unmatched() {
			t.Errorf("recorded server: %s has no interaction for %s", filepath.Base(s.CassetteFile()), desc)
		}
	})
	return s
}

// RepoRoot finds the module root by walking up from the working directory,
// since go test runs each package in its own directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
