// Package fakecloud is a stand-in for a real OpenStack-style cloud: Keystone
// v3 password authentication, API gateway AK/SK signatures (SDK-HMAC-SHA256)
// and canned API replies, served over TLS under several host names at once
// (iam.<domain>, vbs.<domain>, evs.<domain>).
//
// It exists so that the recorded server's record mode can be run end to end
// without a real cloud: the committed cassettes are recordings of it.
package fakecloud

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/aksk"
)

// Service is one catalog entry; its URL is https://<Label>.<Domain><Path>.
type Service struct {
	Type  string
	Name  string
	Label string
	Path  string
}

// Route is a canned reply to an authenticated request.
type Route struct {
	Method string
	Label  string // host label the request must arrive on
	Path   string
	Status int
	Header map[string]string
	Body   string
	// Times limits how often the route answers (0: always), so a scenario
	// can make the first DELETE fail and the next one succeed.
	Times int
}

// Config describes the cloud. Zero fields take the defaults of Default.
type Config struct {
	Domain         string // hosts are <label>.<Domain>
	Region         string
	UserID         string
	UserName       string
	UserDomainID   string
	UserDomainName string
	Password       string
	ProjectID      string
	ProjectName    string
	Token          string
	// AccessKey and SecretKey, when both set, let requests signed with them
	// (SDK-HMAC-SHA256) through instead of a token. Such a request must also
	// carry X-Project-Id equal to ProjectID and, exactly when SecurityToken
	// is set, X-Security-Token equal to it: a temporary credential is
	// useless without its token, a permanent one takes none.
	AccessKey     string
	SecretKey     string
	SecurityToken string
	// Catalog lists the services besides identity, which is always there.
	Catalog []Service
	Routes  []Route
	// Sharings, when set, serves the VBS sharing API on the vbs host for
	// whatever no route answered.
	Sharings *Sharings
}

// Default is an account with realistic-looking identifiers.
var Default = Config{
	Domain:         "eu-de.otc.example.com",
	Region:         "eu-de",
	UserID:         "8c1d2e3f4a5b4c7d8e9f0a1b2c3d4e5f",
	UserName:       "tf-recorder",
	UserDomainID:   "5e6f7a8b9c0d4e2f8a4b5c6d7e8f9a0b",
	UserDomainName: "OTC00000000001000000042",
	Password:       "fake-cloud-password",
	ProjectID:      "ffffffffffffffffffffffffffff0000",
	ProjectName:    "eu-de_vbs-demo",
	Token:          "fake-cloud-token",
}

// Cloud is a running fake cloud.
type Cloud struct {
	cfg       Config
	server    *httptest.Server
	transport *http.Transport

	mu       sync.Mutex
	requests []string
}

// Start starts the cloud on a loopback port.
func Start(cfg Config) (*Cloud, error) {
	fillDefaults(&cfg)
	cert, pool, err := selfSignedCert("*." + cfg.Domain)
	if err != nil {
		return nil, err
	}
	c := &Cloud{cfg: cfg}
	c.server = httptest.NewUnstartedServer(http.HandlerFunc(c.serve))
	c.server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	c.server.StartTLS()

	addr := c.server.Listener.Addr().String()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	c.transport = &http.Transport{
		// Every host name of the cloud lives on the one listener.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}
	return c, nil
}

func fillDefaults(cfg *Config) {
	d := Default
	set := func(field *string, def string) {
		if *field == "" {
			*field = def
		}
	}
	set(&cfg.Domain, d.Domain)
	set(&cfg.Region, d.Region)
	set(&cfg.UserID, d.UserID)
	set(&cfg.UserName, d.UserName)
	set(&cfg.UserDomainID, d.UserDomainID)
	set(&cfg.UserDomainName, d.UserDomainName)
	set(&cfg.Password, d.Password)
	set(&cfg.ProjectID, d.ProjectID)
	set(&cfg.ProjectName, d.ProjectName)
	set(&cfg.Token, d.Token)
}

// AuthURL is the cloud's Keystone URL, https://iam.<domain>/v3.
func (c *Cloud) AuthURL() string { return "https://" + c.Host("iam") + "/v3" }

// Host is the cloud's host name for a service label.
func (c *Cloud) Host(label string) string { return label + "." + c.cfg.Domain }

// Addr is the real listener address, which no cassette may contain.
func (c *Cloud) Addr() string { return c.server.Listener.Addr().String() }

// Transport reaches the cloud under any of its host names and trusts its
// certificate.
func (c *Cloud) Transport() http.RoundTripper { return c.transport }

// Requests lists what the cloud received as "METHOD label path".
func (c *Cloud) Requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requests...)
}

// Close stops the cloud.
func (c *Cloud) Close() {
	c.transport.CloseIdleConnections()
	c.server.Close()
}

func (c *Cloud) serve(w http.ResponseWriter, r *http.Request) {
	// Without a Date header two recordings of one scenario are identical.
	w.Header()["Date"] = nil
	label, _, _ := strings.Cut(strings.ToLower(r.Host), ".")
	c.mu.Lock()
	c.requests = append(c.requests, r.Method+" "+label+" "+r.URL.Path)
	c.mu.Unlock()

	signed := strings.HasPrefix(r.Header.Get(aksk.HeaderAuthorization), aksk.Algorithm+" ")
	if signed {
		if msg := c.checkSignature(r); msg != "" {
			writeGatewayError(w, http.StatusUnauthorized, "APIGW.0301", msg)
			return
		}
	}
	if r.Method == http.MethodPost && label == "iam" && r.URL.Path == "/v3/auth/tokens" {
		c.issueToken(w, r)
		return
	}
	if !signed && r.Header.Get("X-Auth-Token") != c.cfg.Token {
		writeGatewayError(w, http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail")
		return
	}
	c.mu.Lock()
	var answer *Route
	for n := range c.cfg.Routes {
		route := &c.cfg.Routes[n]
		if route.Method == r.Method && route.Label == label && route.Path == r.URL.Path && route.Times >= 0 {
			if route.Times > 0 {
				route.Times--
				if route.Times == 0 {
					route.Times = -1
				}
			}
			answer = route
			break
		}
	}
	c.mu.Unlock()
	if answer != nil {
		writeRaw(w, answer.Status, answer.Header, answer.Body)
		return
	}
	if r.Method == http.MethodGet && label == "iam" && r.URL.Path == "/v3/auth/catalog" {
		// Keystone's GET /v3/auth/catalog: how an AK/SK client, which never
		// sees a token body, discovers its endpoints.
		writeJSON(w, http.StatusOK, nil, map[string]any{
			"catalog": c.catalog(),
			"links":   map[string]any{"self": c.AuthURL() + "/auth/catalog", "previous": nil, "next": nil},
		})
		return
	}
	if c.cfg.Sharings != nil && label == "vbs" && c.cfg.Sharings.serve(w, r) {
		return
	}
	writeJSON(w, http.StatusNotFound, nil, map[string]any{
		"itemNotFound": map[string]any{"code": 404, "message": "The resource could not be found."},
	})
}

type authRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Name     string `json:"name"`
					Password string `json:"password"`
					Domain   struct {
						Name string `json:"name"`
					} `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID string `json:"id"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

func (c *Cloud) issueToken(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, nil, map[string]any{
			"error": map[string]any{"code": 400, "message": "Malformed request body.", "title": "Bad Request"},
		})
		return
	}
	user := req.Auth.Identity.Password.User
	if user.Name != c.cfg.UserName || user.Domain.Name != c.cfg.UserDomainName || user.Password != c.cfg.Password ||
		req.Auth.Scope.Project.ID != c.cfg.ProjectID {
		writeJSON(w, http.StatusUnauthorized, nil, map[string]any{
			"error": map[string]any{"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"},
		})
		return
	}
	domain := map[string]any{"id": c.cfg.UserDomainID, "name": c.cfg.UserDomainName}
	catalog := c.catalog()
	writeJSON(w, http.StatusCreated, map[string]string{"X-Subject-Token": c.cfg.Token}, map[string]any{
		"token": map[string]any{
			"methods": []string{"password"},
			// Far in the future: cassettes are replayed long after they
			// were recorded, and a client that checks expiry must not see
			// an expired token.
			"expires_at": "2099-12-31T23:59:59.000000Z",
			"issued_at":  "2024-03-01T10:00:00.000000Z",
			"user": map[string]any{
				"id": c.cfg.UserID, "name": c.cfg.UserName, "domain": domain,
				"password_expires_at": "",
			},
			"project": map[string]any{"id": c.cfg.ProjectID, "name": c.cfg.ProjectName, "domain": domain},
			"roles":   []any{map[string]any{"id": "0b3c4d5e6f7a4b8c9d0e1f2a3b4c5d6e", "name": "te_admin"}},
			"catalog": catalog,
		},
	})
}

// checkSignature verifies an SDK-HMAC-SHA256 request the way the API
// gateway does and returns the gateway's message when it fails, "" when it
// passes. The body is put back for the handler that follows.
func (c *Cloud) checkSignature(r *http.Request) string {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return "Incorrect IAM authentication information: reading the request body failed"
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	lookup := func(ak string) (string, bool) {
		if c.cfg.AccessKey == "" || c.cfg.SecretKey == "" || ak != c.cfg.AccessKey {
			return "", false
		}
		return c.cfg.SecretKey, true
	}
	// The gateway's window is 15 minutes; the fake cloud only ever sees
	// live requests, so it can hold clients to the same rule.
	if err := aksk.Verify(r, body, lookup, time.Now(), 15*time.Minute); err != nil {
		return "Incorrect IAM authentication information: verify aksk signature fail"
	}
	if r.Header.Get(aksk.HeaderProjectID) != c.cfg.ProjectID {
		return "Incorrect IAM authentication information: the X-Project-Id header does not name the credential's project"
	}
	if r.Header.Get(aksk.HeaderSecurityToken) != c.cfg.SecurityToken {
		return "Incorrect IAM authentication information: the security token does not belong to the access key"
	}
	return ""
}

// catalog is the service catalog as both the token body and
// GET /v3/auth/catalog carry it.
func (c *Cloud) catalog() []any {
	catalog := []any{c.catalogEntry(Service{Type: "identity", Name: "iam", Label: "iam", Path: "/v3"}, 0)}
	for n, s := range c.cfg.Catalog {
		catalog = append(catalog, c.catalogEntry(s, n+1))
	}
	return catalog
}

func (c *Cloud) catalogEntry(s Service, n int) map[string]any {
	return map[string]any{
		"id":   fmt.Sprintf("c47a1000000040008000%012x", n),
		"type": s.Type,
		"name": s.Name,
		"endpoints": []any{map[string]any{
			"id":        fmt.Sprintf("e9d21000000040008000%012x", n),
			"interface": "public",
			"region":    c.cfg.Region,
			"region_id": c.cfg.Region,
			"url":       "https://" + c.Host(s.Label) + s.Path,
		}},
	}
}

// writeGatewayError answers in the API gateway's own error shape, which is
// what a client sees when the gateway refuses a request before any service
// does.
func writeGatewayError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, nil, map[string]any{
		"error_msg":  msg,
		"error_code": code,
		"request_id": "7f0e1d2c3b4a59687766554433221100",
	})
}

func writeJSON(w http.ResponseWriter, status int, header map[string]string, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, header, string(data))
}

func writeRaw(w http.ResponseWriter, status int, header map[string]string, body string) {
	w.Header().Set("Content-Type", "application/json")
	for k, v := range header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// selfSignedCert makes a throwaway certificate for the cloud's wildcard
// name, so record mode is exercised over https like a real cloud.
func selfSignedCert(dnsName string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: dnsName},
		DNSNames:              []string{dnsName},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
