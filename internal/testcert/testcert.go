// Package testcert makes throwaway TLS material in memory: a CA and the
// certificates it issues. The fake cloud serves https with it, and the
// recorded server's tests use it for server and client certificates.
// Nothing is written to disk.
package testcert

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
	"time"
)

// CA is a certificate authority whose key lives only in memory.
type CA struct {
	Cert *x509.Certificate
	// PEM is Cert encoded, what a client given a CA file trusts.
	PEM []byte
	key *ecdsa.PrivateKey
	// notBefore and notAfter bound every certificate the CA issues.
	notBefore, notAfter time.Time
}

// NewCA makes a CA named commonName. It and what it issues are valid from
// an hour ago for a day: long enough for any test run, short enough that a
// leaked certificate is useless soon after, and backdated for clock skew.
func NewCA(commonName string) (*CA, error) {
	notBefore := time.Now().Add(-time.Hour)
	ca := &CA{notBefore: notBefore, notAfter: notBefore.Add(25 * time.Hour)}
	var err error
	if ca.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             ca.notBefore,
		NotAfter:              ca.notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ca.key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("testcert: making the CA %q: %w", commonName, err)
	}
	if ca.Cert, err = x509.ParseCertificate(der); err != nil {
		return nil, err
	}
	ca.PEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return ca, nil
}

// Pool is a certificate pool that trusts the CA alone.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// Issue signs a certificate for a fresh key. tmpl says whom it is for
// (Subject, DNSNames, IPAddresses) and what for (ExtKeyUsage); the CA sets
// the serial number, key usage and validity. The certificate comes back
// ready to serve and as PEM, the key as PKCS #8 PEM.
func (ca *CA) Issue(tmpl *x509.Certificate) (cert tls.Certificate, certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	tmpl.SerialNumber = serial()
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.NotBefore, tmpl.NotAfter = ca.notBefore, ca.notAfter
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, nil, nil, fmt.Errorf("testcert: issuing for %q: %w", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
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
