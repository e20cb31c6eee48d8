package fakecloud

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/aksk"
)

// tokens are the tokens the cloud accepts, guarded by Cloud.mu.
type tokens struct {
	valid   map[string]bool
	expired map[string]bool
	issued  []string
}

func (t *tokens) init(cfg Config) {
	t.valid, t.expired = map[string]bool{}, map[string]bool{}
	if !cfg.DistinctTokens {
		// The fixed token works without a login, as a long-lived token
		// handed to a client would.
		t.valid[cfg.Token] = true
	}
}

// Tokens lists the tokens logins were issued, in order, expired ones too.
func (c *Cloud) Tokens() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.tokens.issued...)
}

// Expire makes requests carrying token fail with the gateway's 401
// APIGW.0307 ("the token must be updated") until a login issues it again,
// which with DistinctTokens never happens.
func (c *Cloud) Expire(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tokens.valid, token)
	c.tokens.expired[token] = true
}

func (c *Cloud) issueToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	token := c.cfg.Token
	if c.cfg.DistinctTokens {
		token = fmt.Sprintf("%s-%d", token, len(c.tokens.issued)+1)
	}
	c.tokens.issued = append(c.tokens.issued, token)
	c.tokens.valid[token] = true
	delete(c.tokens.expired, token)
	return token
}

// refusal is the gateway's answer to a request it lets no further, nil for
// one that may go on: a bad signature, or a missing, unknown or expired
// token. Keystone's paths other than the catalog, and paths no service owns,
// need no token.
func (c *Cloud) refusal(r *http.Request, label string) func(http.ResponseWriter) {
	if strings.HasPrefix(r.Header.Get(aksk.HeaderAuthorization), aksk.Algorithm+" ") {
		if msg := c.checkSignature(r); msg != "" {
			return func(w http.ResponseWriter) { writeGatewayError(w, http.StatusUnauthorized, "APIGW.0301", msg) }
		}
		return nil
	}
	if label == "" || (label == "iam" && (r.Method != http.MethodGet || r.URL.Path != catalogPath)) {
		return nil
	}
	token := r.Header.Get("X-Auth-Token")
	c.mu.Lock()
	valid, expired := c.tokens.valid[token], c.tokens.expired[token]
	c.mu.Unlock()
	switch {
	case valid:
		return nil
	case expired:
		return func(w http.ResponseWriter) {
			writeGatewayError(w, http.StatusUnauthorized, "APIGW.0307", "The token must be updated.")
		}
	default:
		return func(w http.ResponseWriter) {
			writeGatewayError(w, http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail")
		}
	}
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

func (c *Cloud) login(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, nil, map[string]any{
			"error": map[string]any{"code": 400, "message": "Malformed request body.", "title": "Bad Request"},
		})
		return
	}
	user := req.Auth.Identity.Password.User
	if !c.cfg.AnyLogin && (user.Name != c.cfg.UserName || user.Domain.Name != c.cfg.UserDomainName ||
		user.Password != c.cfg.Password || req.Auth.Scope.Project.ID != c.cfg.ProjectID) {
		writeJSON(w, http.StatusUnauthorized, nil, map[string]any{
			"error": map[string]any{"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"},
		})
		return
	}
	domain := map[string]any{"id": c.cfg.UserDomainID, "name": c.cfg.UserDomainName}
	writeJSON(w, http.StatusCreated, map[string]string{"X-Subject-Token": c.issueToken()}, map[string]any{
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
			"catalog": c.catalog(),
		},
	})
}

// serveCatalog is Keystone's GET /v3/auth/catalog: how an AK/SK client,
// which never sees a token body, discovers its endpoints.
func (c *Cloud) serveCatalog(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, nil, map[string]any{
		"catalog": c.catalog(),
		"links":   map[string]any{"self": c.AuthURL() + "/auth/catalog", "previous": nil, "next": nil},
	})
}

// catalog is the service catalog as both the token body and
// GET /v3/auth/catalog carry it.
func (c *Cloud) catalog() []any {
	catalog := []any{c.catalogEntry(identity, 0)}
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
			"url":       c.serviceURL(s.Label, s.Path),
		}},
	}
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
