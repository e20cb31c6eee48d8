package recorded_test

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

var localTLSEndpoint = regexp.MustCompile(`^https://([a-z][a-z0-9-]*)\.localhost:([0-9]+)/`)

// clientTLS is what a client configured with the PEM files would use.
func clientTLS(t *testing.T, caPEM, certPEM, keyPEM []byte) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA PEM holds no certificate")
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certPEM != nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

func startTLSReplay(t *testing.T, name string, serverTLS *tls.Config) *recorded.Server {
	t.Helper()
	srv, err := recorded.Start(recorded.Options{Cassette: filepath.Join(cassetteDir(t), name), TLS: serverTLS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func TestReplayOverTLSWithClientCertificate(t *testing.T) {
	serverTLS, caPEM, certPEM, keyPEM, err := recorded.NewTestTLS(true)
	if err != nil {
		t.Fatal(err)
	}
	sc := scenarios[0]
	srv := startTLSReplay(t, sc.name, serverTLS)
	if !strings.HasPrefix(srv.URL(), "https://127.0.0.1:") || !strings.HasPrefix(srv.AuthURL(), "https://127.0.0.1:") {
		t.Errorf("URL() = %s, AuthURL() = %s; want https", srv.URL(), srv.AuthURL())
	}

	ex := runClient(t, srv.ClientWithTLS(clientTLS(t, caPEM, certPEM, keyPEM)), srv.AuthURL(), sc)
	if ex.getStatus != sc.status || !sameJSON(t, ex.getBody, sc.body) {
		t.Errorf("GET over TLS: status %d, body %s", ex.getStatus, ex.getBody)
	}
	// The catalog must send the client to names the certificate covers.
	for _, entry := range ex.catalog {
		for _, ep := range entry.Endpoints {
			if m := localTLSEndpoint.FindStringSubmatch(ep.URL); m == nil || m[2] != port(srv) {
				t.Errorf("catalog %s endpoint %s is not https://<label>.localhost:%s", entry.Type, ep.URL, port(srv))
			}
		}
	}
	if want := "https://vbs.localhost:" + port(srv) + sc.sharingPath(); ex.getURL != want {
		t.Errorf("GET went to %s, want %s", ex.getURL, want)
	}
	if u := srv.Unmatched(); len(u) != 0 {
		t.Errorf("unmatched: %v", u)
	}

	noCert := srv.ClientWithTLS(clientTLS(t, caPEM, nil, nil))
	if resp, err := noCert.Post(srv.AuthURL()+"/auth/tokens", "application/json", strings.NewReader(authBody(testPassword, projectID))); err == nil {
		resp.Body.Close()
		t.Errorf("a client without a certificate got HTTP %d; the handshake should fail", resp.StatusCode)
	}
	if resp, err := srv.Client().Get(srv.URL()); err == nil {
		resp.Body.Close()
		t.Errorf("Client() presents no certificate, yet got HTTP %d", resp.StatusCode)
	}
	_, otherCA, _, _, err := recorded.NewTestTLS(false)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := srv.ClientWithTLS(clientTLS(t, otherCA, certPEM, keyPEM)).Get(srv.URL()); err == nil {
		resp.Body.Close()
		t.Error("a client trusting another CA accepted the server")
	}
}

func TestTLSClientCertificateOptional(t *testing.T) {
	serverTLS, _, _, _, err := recorded.NewTestTLS(false)
	if err != nil {
		t.Fatal(err)
	}
	sc := scenarios[1]
	srv := startTLSReplay(t, sc.name, serverTLS)
	// Client trusts the server's own certificate, so plain TLS needs no setup.
	ex := runClient(t, srv.Client(), srv.AuthURL(), sc)
	if ex.getStatus != sc.status || !strings.HasPrefix(ex.getURL, "https://vbs.localhost:") {
		t.Errorf("GET %s: status %d", ex.getURL, ex.getStatus)
	}
}

// TestRecordOverTLS: record mode hands out https catalog URLs too, and the
// cassette still holds the real (placeholder) hosts.
func TestRecordOverTLS(t *testing.T) {
	serverTLS, caPEM, certPEM, keyPEM, err := recorded.NewTestTLS(true)
	if err != nil {
		t.Fatal(err)
	}
	sc := scenarios[0]
	cloud := startCloud(t, sc.cloudConfig())
	file := filepath.Join(t.TempDir(), sc.name)
	srv, err := recorded.Start(recorded.Options{
		Cassette: file, Mode: recorded.ModeRecord,
		Upstream: cloud.AuthURL(), Transport: cloud.Transport(), TLS: serverTLS,
	})
	if err != nil {
		t.Fatal(err)
	}
	ex := runClient(t, srv.ClientWithTLS(clientTLS(t, caPEM, certPEM, keyPEM)), srv.AuthURL(), sc)
	if ex.getStatus != sc.status || !strings.HasPrefix(ex.getURL, "https://vbs.localhost:"+port(srv)+"/") {
		t.Errorf("GET %s: status %d", ex.getURL, ex.getStatus)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	assertClean(t, file+".yaml", cloud)
}
