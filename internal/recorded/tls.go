package recorded

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"

	"github.com/vbs-tf/terraform-provider-vbs/internal/testcert"
)

// NewTestTLS makes throwaway TLS material for a server started with
// Options.TLS: a CA, a server certificate from it for localhost,
// *.localhost, 127.0.0.1 and ::1 (the names the catalog is rewritten to),
// and a client certificate from the same CA. serverTLS verifies client
// certificates against the CA; with requireClientCert a handshake without
// one fails, otherwise one is checked only when offered.
//
// caPEM is what a client trusts; clientCertPEM and clientKeyPEM (PKCS #8)
// are what it presents. Nothing is written to disk.
func NewTestTLS(requireClientCert bool) (serverTLS *tls.Config, caPEM, clientCertPEM, clientKeyPEM []byte, err error) {
	ca, err := testcert.NewCA("recorded server test CA")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	serverCert, _, _, err := ca.Issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost", "*.localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("recorded: making the server certificate: %w", err)
	}
	_, clientCertPEM, clientKeyPEM, err = ca.Issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "recorded server test client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("recorded: making the client certificate: %w", err)
	}
	serverTLS = &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    ca.Pool(),
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}
	if requireClientCert {
		serverTLS.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return serverTLS, ca.PEM, clientCertPEM, clientKeyPEM, nil
}
