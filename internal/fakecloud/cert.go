package fakecloud

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"

	"github.com/vbs-tf/terraform-provider-vbs/internal/testcert"
)

// serverCert makes a throwaway certificate for the cloud's wildcard name,
// so record mode is exercised over https like a real cloud, and the pool a
// client needs to trust it.
func serverCert(dnsName string) (tls.Certificate, *x509.CertPool, error) {
	ca, err := testcert.NewCA("fake cloud test CA")
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, _, _, err := ca.Issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: dnsName},
		DNSNames:    []string{dnsName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return cert, ca.Pool(), err
}
