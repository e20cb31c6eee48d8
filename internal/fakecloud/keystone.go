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
	// uses counts the authenticated requests of each valid token, for
	// Config.TokenUses; since is when a valid token was issued, for
	// Config.TokenLifetime.
	uses  map[string]int
	since map[string]time.Time
}

func (t *tokens) init(cfg Config, now time.Time) {
	t.valid, t.expired = map[string]bool{}, map[string]bool{}
	t.uses, t.since = map[string]int{}, map[string]time.Time{}
	if !cfg.DistinctTokens {
		// The fixed token works without a login, as a long-lived token
		// handed to a client would; its age counts from the start.
		t.valid[cfg.Token] = true
		t.since[cfg.Token] = now
	}
}

// expire must be called with Cloud.mu held.
func (t *tokens) expire(token string) {
	delete(t.valid, token)
	delete(t.uses, token)
	delete(t.since, token)
	t.expired[token] = true
}

// use checks a token and, when it is valid, counts one request of it. A
// token past Config.TokenUses or Config.TokenLifetime expires here, on the
// request that finds it so, which expiredNow reports. It must be called
// with Cloud.mu held.
func (t *tokens) use(cfg *Config, token string, now time.Time) (valid, expired, expiredNow bool) {
	if t.valid[token] && (cfg.TokenUses > 0 && t.uses[token] >= cfg.TokenUses ||
		cfg.TokenLifetime > 0 && now.Sub(t.since[token]) >= cfg.TokenLifetime) {
		t.expire(token)
		expiredNow = true
	}
	if t.valid[token] {
		t.uses[token]++
		return true, false, false
	}
	return false, t.expired[token], expiredNow
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
	c.tokens.expire(token)
}

// issueToken issues a token and says when it expires: when Config sets a
// lifetime, then, otherwise far in the future, as cassettes are replayed
// long after they were recorded and a client that checks expiry must not
// see an expired token.
func (c *Cloud) issueToken() (token, expiresAt string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	token = c.cfg.Token
	if c.cfg.DistinctTokens {
		token = fmt.Sprintf("%s-%d", token, len(c.tokens.issued)+1)
	}
	now := time.Now()
	c.tokens.issued = append(c.tokens.issued, token)
	c.tokens.valid[token] = true
	c.tokens.uses[token] = 0
	c.tokens.since[token] = now
	delete(c.tokens.expired, token)
	expiresAt = "2099-12-31T23:59:59.000000Z"
	if c.cfg.TokenLifetime > 0 {
		expiresAt = now.Add(c.cfg.TokenLifetime).UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	return token, expiresAt
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
	valid, expired, expiredNow := c.tokens.use(&c.cfg, token, time.Now())
	c.mu.Unlock()
	if expiredNow {
		c.stats.add(CountTokenExpired)
	}
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
	token, expiresAt := c.issueToken()
	writeJSON(w, http.StatusCreated, map[string]string{"X-Subject-Token": token}, map[string]any{
		"token": map[string]any{
			"methods":    []string{"password"},
			"expires_at": expiresAt,
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
