package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// dialTimeout bounds one attempt to connect; a test shortens it.
var dialTimeout = 30 * time.Second

// newTransport builds the one transport every request of the provider goes
// through, so connections are reused across all reads.
func newTransport(s Settings) (*http.Transport, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.Insecure {
		tlsConfig.InsecureSkipVerify = true //nolint:gosec // the user asked for it with insecure / OS_INSECURE
	}
	if s.CACertFile != "" {
		pem, err := os.ReadFile(s.CACertFile)
		if err != nil {
			return nil, fmt.Errorf("cacert_file (OS_CACERT): %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cacert_file (OS_CACERT) %q holds no PEM certificate", s.CACertFile)
		}
		tlsConfig.RootCAs = pool
	}
	if s.Cert != "" || s.Key != "" {
		pair, err := tls.LoadX509KeyPair(s.Cert, s.Key)
		if err != nil {
			return nil, fmt.Errorf("client certificate cert (OS_CERT) %q with key (OS_KEY) %q: %w", s.Cert, s.Key, err)
		}
		tlsConfig.Certificates = []tls.Certificate{pair}
	}

	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: proxyExceptLocalhost,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, port, err := net.SplitHostPort(addr); err == nil && isLocalhostName(host) {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:       tlsConfig,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          200,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}, nil
}

// isLocalhostName reports names that RFC 6761 §6.3 reserves for loopback.
// Go's resolver does not map subdomains of localhost, but browsers and
// systemd-resolved do; the recorded test server relies on it to keep each
// service's host label (vbs.localhost, evs.localhost) on one local port.
func isLocalhostName(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

func proxyExceptLocalhost(req *http.Request) (*url.URL, error) {
	if isLocalhostName(req.URL.Hostname()) {
		return nil, nil
	}
	return http.ProxyFromEnvironment(req)
}
