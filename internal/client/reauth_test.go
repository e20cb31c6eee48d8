package client

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// sharingsOf is a store holding a sharing of each ID.
func sharingsOf(ids ...string) *fakecloud.Sharings {
	store := fakecloud.NewSharings(testProjectID)
	for _, id := range ids {
		store.Add(map[string]any{"id": id, "backup_id": "b", "from_project_id": "f", "to_project_id": "t"})
	}
	return store
}

// The first token is already expired when 50 reads use it at once: the
// provider logs in once more, not 50 times, and every read succeeds.
func TestExpiredTokenReauthenticatesOnceForConcurrentReads(t *testing.T) {
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = fmt.Sprintf("s-%d", i)
	}
	var userAgent atomic.Value
	cloud := startCloud(t, func(cfg *fakecloud.Config) {
		cfg.DistinctTokens, cfg.Sharings = true, sharingsOf(ids...)
		cfg.Observe = func(r *http.Request) { userAgent.Store(r.Header.Get("User-Agent")) }
	})
	s := passwordSettings(cloud.AuthURL())
	s.UserAgent = "terraform-provider-vbs/test terraform/1.5.7"
	_, conn := connected(t, s)
	tokens := cloud.Tokens()
	if len(tokens) != 1 {
		t.Fatalf("connecting issued tokens %v, want one", tokens)
	}
	cloud.Expire(tokens[0])
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			share, err := sharing.Get(context.Background(), conn.VBS, id).Extract()
			if err != nil || share.ID != id {
				t.Errorf("read %s: %v", id, err)
			}
		}()
	}
	wg.Wait()
	if n := cloud.Counts()[fakecloud.KindToken]; n != 2 {
		t.Fatalf("%d logins for 50 reads with an expired token; want the first login and one more", n)
	}
	if ua, _ := userAgent.Load().(string); !strings.HasPrefix(ua, "terraform-provider-vbs/test terraform/1.5.7") {
		t.Fatalf("User-Agent %q does not name the provider and Terraform versions", ua)
	}
}

// A read held back by a retry outlives the token it started with and then
// the token another read renewed: its retry is sent with the newest token
// and, when that is refused too, logs in once more instead of failing with
// 401. The cloud holds the first read of "held" until the test releases
// it, then answers 429 with Retry-After: 0, so the retry comes after
// whatever the test did meanwhile.
func TestReadOutlivingTwoTokensLogsInOnceMore(t *testing.T) {
	release := make(chan struct{})
	cloud := startCloud(t, func(cfg *fakecloud.Config) {
		cfg.DistinctTokens, cfg.Sharings = true, sharingsOf("held", "other")
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodGet, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/held", Times: 1, Hold: release,
			Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "0"},
			Body: `{"error_code":"APIGW.0308","error_msg":"Too many requests.","request_id":"r429"}`,
		}}
	})
	s := passwordSettings(cloud.AuthURL())
	s.MaxRetries = -1 // the default budget
	_, conn := connected(t, s)
	heldRead := make(chan error, 1)
	go func() {
		_, err := sharing.Get(context.Background(), conn.VBS, "held").Extract()
		heldRead <- err
	}()
	waitCtx, cancelWait := context.WithTimeout(t.Context(), time.Minute)
	defer cancelWait()
	if err := cloud.Await(waitCtx, fakecloud.CountHeld, 1); err != nil {
		t.Fatal(err)
	}

	cloud.Expire(cloud.Tokens()[0])
	if _, err := sharing.Get(context.Background(), conn.VBS, "other").Extract(); err != nil {
		t.Fatalf("the read that renews the token: %v", err)
	}
	tokens := cloud.Tokens()
	if len(tokens) != 2 {
		t.Fatalf("tokens %v after the first expired, want 2", tokens)
	}
	cloud.Expire(tokens[1])
	close(release)

	if err := receive(t, heldRead); err != nil {
		t.Fatalf("the held read failed: %v", err)
	}
	if n := cloud.Counts()[fakecloud.KindToken]; n != 3 {
		t.Errorf("%d logins, want 3: the first, the renewal, and one more for the held read", n)
	}
}
