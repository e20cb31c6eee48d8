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
