package recorded

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
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
	// A day is long enough for any test run and short enough that a leaked
	// file is useless soon after; backdating covers clock skew.
	notBefore := time.Now().Add(-time.Hour)
	notAfter := notBefore.Add(25 * time.Hour)

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "recorded server test CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("recorded: making the test CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, nil, nil, err
	}

	serverCert, _, _, err := issue(ca, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost", "*.localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
	})
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("recorded: making the server certificate: %w", err)
	}
	_, clientCertPEM, clientKeyPEM, err = issue(ca, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "recorded server test client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
	})
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("recorded: making the client certificate: %w", err)
	}

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	serverTLS = &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}
	if requireClientCert {
		serverTLS.ClientAuth = tls.RequireAndVerifyClientCert
	}
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return serverTLS, caPEM, clientCertPEM, clientKeyPEM, nil
}

// issue signs a certificate for a fresh key with the CA and returns it both
// ready to serve and as PEM.
func issue(ca *x509.Certificate, caKey *ecdsa.PrivateKey, tmpl *x509.Certificate) (tls.Certificate, []byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	tmpl.SerialNumber = serial()
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	return cert, certPEM, keyPEM, err
}

// serial is random, as RFC 5280 asks, so two runs never issue certificates
// a client could confuse.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
