package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// A shared read runs under its callers' deadline: a Retry-After that
// would outlive it ends the read at once with the API's answer, which says
// why it was not tried again, instead of a bare "timed out" later.
func TestSharedReadStopsAtARetryAfterPastTheDeadline(t *testing.T) {
	const id = "ac0fb374-a288-4399-ac63-cc080a13a2ee"
	cloud := startCloud(t, func(cfg *fakecloud.Config) {
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodGet, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/" + id,
			Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "60", "X-Request-Id": "req-429"},
			Body: `{"error_code": "APIGW.0308", "error_msg": "Too many requests.", "request_id": "req-429"}`,
		}}
	})
	settings := passwordSettings(cloud.AuthURL())
	settings.MaxRetries = -1 // the default
	c, err := New(settings)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Shared(ctx, c, "sharing:"+id, func(ctx context.Context) (*sharing.Share, error) {
		return sharing.Get(ctx, conn.VBS, id).Extract()
	})
	var apiErr *vbs.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("got %v, want the API's 429", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the read waited for its deadline instead of stopping at once")
	}
	if !strings.Contains(apiErr.Stopped, "outlive the operation's deadline") || !strings.Contains(err.Error(), "APIGW.0308") {
		t.Errorf("error %q does not say why it was not tried again", err)
	}
	if n := cloud.Counts()[fakecloud.KindSharingGet]; n != 1 {
		t.Errorf("%d GETs, want 1", n)
	}
}

// A caller who stops waiting for a shared read leaves with its own error,
// which names the fetch's last failed attempt, while a caller with more
// time still gets the answer: the fetch met two 503s, and its third
// attempt is held in the cloud until the first caller has left.
func TestSharedReadCallerWhoLeavesHearsTheLastAttempt(t *testing.T) {
	const id = "ac0fb374-a288-4399-ac63-cc080a13a2ee"
	release := make(chan struct{})
	cloud := startCloud(t, func(cfg *fakecloud.Config) {
		cfg.Sharings = sharingsOf(id)
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodGet, Label: "vbs", Path: "/v2/" + testProjectID + "/os-vendor-backup-sharing/" + id, Hold: release,
			Status: http.StatusOK, Body: `{"shared": {"id": "` + id + `", "backup_id": "b", "from_project_id": "f", "to_project_id": "t"}}`,
		}}
		cfg.Faults = &fakecloud.Faults{Rules: []fakecloud.FaultRule{{
			Requests: []string{fakecloud.KindSharingGet}, Kinds: []fakecloud.FaultKind{fakecloud.FaultUnavailable}, Rate: 1,
		}}}
	})
	settings := passwordSettings(cloud.AuthURL())
	settings.MaxRetries = -1 // the default
	c, conn := connected(t, settings)
	read := func(ctx context.Context, results chan<- error) {
		_, err := Shared(ctx, c, "sharing:"+id, func(ctx context.Context) (*sharing.Share, error) {
			return sharing.Get(ctx, conn.VBS, id).Extract()
		})
		results <- err
	}
	impatient, patient := make(chan error, 1), make(chan error, 1)
	leave, cancel := context.WithCancel(context.Background())
	defer cancel()
	go read(leave, impatient)
	go read(context.Background(), patient)
	waitCtx, cancelWait := context.WithTimeout(context.Background(), waitBound)
	defer cancelWait()
	if err := cloud.Await(waitCtx, fakecloud.CountHeld, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	err := receive(t, impatient)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "attempt 2: HTTP 503") {
		t.Errorf("the caller who left got %v, want its own cancellation naming attempt 2's 503", err)
	}
	close(release)
	if err := receive(t, patient); err != nil {
		t.Errorf("the caller who waited got %v, want the sharing", err)
	}
}
