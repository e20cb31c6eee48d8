package testcert_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/testcert"
)

// A certificate the CA issues verifies against the CA's pool for the names
// it was issued for, and for no other; another CA's pool does not trust it.
func TestIssuedCertificateVerifiesAgainstItsCAOnly(t *testing.T) {
	ca, err := testcert.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, certPEM, keyPEM, err := ca.Issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "*.example.test"},
		DNSNames:    []string{"*.example.test"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(certPEM) == 0 || len(keyPEM) == 0 || cert.Leaf == nil {
		t.Fatal("issued certificate lacks its PEM forms or its leaf")
	}
	opts := x509.VerifyOptions{Roots: ca.Pool(), DNSName: "vbs.example.test"}
	if _, err := cert.Leaf.Verify(opts); err != nil {
		t.Errorf("verifying against the issuing CA: %v", err)
	}
	opts.DNSName = "vbs.other.test"
	if _, err := cert.Leaf.Verify(opts); err == nil {
		t.Error("the certificate verified for a name it was not issued for")
	}
	other, err := testcert.NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: other.Pool(), DNSName: "vbs.example.test"}); err == nil {
		t.Error("another CA's pool trusts the certificate")
	}
}
