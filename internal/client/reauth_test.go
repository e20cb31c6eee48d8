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
			n := c.logins.Add(1)
			w.Header().Set("X-Subject-Token", fmt.Sprintf("token-%d", n))
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"token": map[string]any{
				"expires_at": "2099-01-01T00:00:00.000000Z",
				"project":    map[string]any{"id": testProjectID, "name": "p", "domain": map[string]any{"id": "d"}},
				"catalog":    []map[string]any{entry("vbsv2", c.server.URL+"/v2/"+testProjectID)},
			}})
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
