package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// issueToken answers a login with token, scoped to the test project, and a
// catalog whose VBS endpoint is on base.
func issueToken(w http.ResponseWriter, token, base string) {
	w.Header().Set("X-Subject-Token", token)
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"token": map[string]any{
		"expires_at": "2099-01-01T00:00:00.000000Z",
		"project":    map[string]any{"id": testProjectID, "name": "p", "domain": map[string]any{"id": "d"}},
		"catalog":    []map[string]any{entry("vbsv2", base+"/v2/"+testProjectID)},
	}})
}

// expiringCloud issues numbered tokens and accepts only the newest on the
// VBS API, answering the gateway's "token must be updated" otherwise.
type expiringCloud struct {
	server    *httptest.Server
	logins    atomic.Int64
	userAgent atomic.Value
}

func newExpiringCloud(t *testing.T) *expiringCloud {
	t.Helper()
	c := &expiringCloud{}
	c.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.userAgent.Store(r.Header.Get("User-Agent"))
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && r.URL.Path == "/v3/auth/tokens" {
			issueToken(w, fmt.Sprintf("token-%d", c.logins.Add(1)), c.server.URL)
			return
		}
		if r.Header.Get("X-Auth-Token") != fmt.Sprintf("token-%d", c.logins.Load()) || c.logins.Load() < 2 {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error_code":"APIGW.0307","error_msg":"The token must be updated.","request_id":"r1"}`))
			return
		}
		id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		_, _ = fmt.Fprintf(w, `{"shared":{"id":%q,"backup_id":"b","from_project_id":"f","to_project_id":"t"}}`, id)
	}))
	t.Cleanup(c.server.Close)
	return c
}

// The first token is already expired when 50 reads use it at once: the
// provider logs in once more, not 50 times, and every read succeeds.
func TestExpiredTokenReauthenticatesOnceForConcurrentReads(t *testing.T) {
	cloud := newExpiringCloud(t)
	s := passwordSettings(cloud.server.URL + "/v3")
	s.UserAgent = "terraform-provider-vbs/test terraform/1.5.7"
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("s-%d", i)
			share, err := sharing.Get(context.Background(), conn.VBS, id).Extract()
			if err != nil || share.ID != id {
				t.Errorf("read %s: %v", id, err)
			}
		}()
	}
	wg.Wait()
	if n := cloud.logins.Load(); n != 2 {
		t.Fatalf("%d logins for 50 reads with an expired token; want the first login and one more", n)
	}
	if ua, _ := cloud.userAgent.Load().(string); !strings.HasPrefix(ua, "terraform-provider-vbs/test terraform/1.5.7") {
		t.Fatalf("User-Agent %q does not name the provider and Terraform versions", ua)
	}
}

// revokingCloud issues numbered tokens that stay valid until the test
// revokes them. The first read of "held" is held until the test releases
// it and then answered 429 with Retry-After: 0, so the read's retry comes
// after whatever the test did meanwhile.
type revokingCloud struct {
	server   *httptest.Server
	logins   atomic.Int64
	mu       sync.Mutex
	valid    map[string]bool
	held     chan struct{} // closed when the first read of "held" arrives
	release  chan struct{}
	heldOnce sync.Once
}

func newRevokingCloud(t *testing.T) *revokingCloud {
	t.Helper()
	c := &revokingCloud{valid: map[string]bool{}, held: make(chan struct{}), release: make(chan struct{})}
	c.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && r.URL.Path == "/v3/auth/tokens" {
			token := fmt.Sprintf("token-%d", c.logins.Add(1))
			c.mu.Lock()
			c.valid[token] = true
			c.mu.Unlock()
			issueToken(w, token, c.server.URL)
			return
		}
		id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		first := false
		if id == "held" {
			c.heldOnce.Do(func() { first = true })
		}
		if first {
			close(c.held)
			<-c.release
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error_code":"APIGW.0308","error_msg":"Too many requests.","request_id":"r429"}`))
			return
		}
		c.mu.Lock()
		ok := c.valid[r.Header.Get("X-Auth-Token")]
		c.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error_code":"APIGW.0307","error_msg":"The token must be updated.","request_id":"r401"}`))
			return
		}
		_, _ = fmt.Fprintf(w, `{"shared":{"id":%q,"backup_id":"b","from_project_id":"f","to_project_id":"t"}}`, id)
	}))
	t.Cleanup(c.server.Close)
	return c
}

func (c *revokingCloud) revoke(token string) {
	c.mu.Lock()
	delete(c.valid, token)
	c.mu.Unlock()
}

// A read held back by a retry outlives the token it started with and then
// the token another read renewed: its retry is sent with the newest token
// and, when that is refused too, logs in once more instead of failing with
// 401.
func TestReadOutlivingTwoTokensLogsInOnceMore(t *testing.T) {
	cloud := newRevokingCloud(t)
	s := passwordSettings(cloud.server.URL + "/v3")
	s.MaxRetries = -1 // the default budget
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	heldRead := make(chan error, 1)
	go func() {
		_, err := sharing.Get(context.Background(), conn.VBS, "held").Extract()
		heldRead <- err
	}()
	<-cloud.held

	cloud.revoke("token-1")
	if _, err := sharing.Get(context.Background(), conn.VBS, "other").Extract(); err != nil {
		t.Fatalf("the read that renews the token: %v", err)
	}
	if n := cloud.logins.Load(); n != 2 {
		t.Fatalf("%d logins after the token expired once, want 2", n)
	}
	cloud.revoke("token-2")
	close(cloud.release)

	if err := <-heldRead; err != nil {
		t.Fatalf("the held read failed: %v", err)
	}
	if n := cloud.logins.Load(); n != 3 {
		t.Errorf("%d logins, want 3: the first, the renewal, and one more for the held read", n)
	}
}
