package bench

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// connect goes through the provider's own client, so these tests prove the
// synthetic cloud speaks what the provider expects, not just what this
// package's author thinks it should.
func connect(t *testing.T, srv *Server) *client.Connection {
	t.Helper()
	c, err := client.New(client.Settings{
		AuthURL: srv.AuthURL(), Region: Region, ProjectID: ProjectID,
		DomainName: DomainName, UserName: UserName, Password: Password,
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func TestServerGetListCount(t *testing.T) {
	srv := startServer(t, Options{Sharings: 250})
	conn := connect(t, srv)
	ctx := context.Background()

	share, err := sharing.Get(ctx, conn.VBS, SharingID(7)).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if share.BackupID != BackupID(7) || share.ToProjectID != TargetProject(7) || share.Backup == nil ||
		share.Backup.Name == nil || *share.Backup.Name != "bench-backup-00007" || share.UpdatedAt != nil {
		t.Errorf("sharing 7 = %+v", share)
	}

	_, err = sharing.Get(ctx, conn.VBS, SharingID(250)).Extract()
	var apiErr *vbs.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("unknown sharing: got %v, want a 404", err)
	}

	listing, err := sharing.ListAll(ctx, conn.VBS, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if all := listing.Shares; len(all) != 250 {
		t.Errorf("ListAll: %d sharings, want 250", len(all))
	}
	// 100 per page: 2 full pages and a short one, with the count.
	if got := srv.Counts()[KindListPage]; got != 3 {
		t.Errorf("ListAll of 250 took %d pages, want 3", got)
	}

	someListing, err := sharing.ListAll(ctx, conn.VBS, sharing.ListOpts{ToProjectID: TargetProject(3), Status: "available"}, sharing.ListAllOpts{})
	if err != nil {
		t.Fatal(err)
	}
	some := someListing.Shares
	// Targets cycle every 10 and "error" is every 10th from 9, so project 3
	// holds 25 sharings, all available.
	if len(some) != 25 {
		t.Errorf("filtered ListAll: %d sharings, want 25", len(some))
	}

	n, err := sharing.Count(ctx, conn.VBS, sharing.CountOpts{Status: "error"})
	if err != nil || n != 25 {
		t.Errorf("Count(status=error) = %d, %v; want 25", n, err)
	}

	c := srv.Counts()
	// Each listing asks the count once, and so does the Count call.
	if c[KindToken] != 1 || c[KindSharingGet] != 2 || c[KindCount] != 3 || c[KindOther] != 0 || c[KindUnauthorized] != 0 {
		t.Errorf("counts %v", c)
	}
}

func TestServerCreateDelete(t *testing.T) {
	srv := startServer(t, Options{Sharings: 3})
	conn := connect(t, srv)
	ctx := context.Background()

	created, err := sharing.Create(ctx, conn.VBS, sharing.CreateOpts{
		BackupID: BackupID(1), ToProjectIDs: []string{ResourceTarget(1), ResourceTarget(2)},
	}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 2 || created[0].ID == "" || created[0].Backup != nil || created[0].CreatedAt != nil {
		t.Fatalf("created %+v", created)
	}
	got, err := sharing.Get(ctx, conn.VBS, created[1].ID).Extract()
	if err != nil || got.ToProjectID != ResourceTarget(2) || got.Backup == nil || *got.Backup.Name != "bench-backup-00001" {
		t.Errorf("reading a created sharing: %+v, %v", got, err)
	}
	if len(srv.SharingIDs()) != 5 {
		t.Errorf("after create: %d sharings, want 5", len(srv.SharingIDs()))
	}

	if err := sharing.Create(ctx, conn.VBS, sharing.CreateOpts{BackupID: BackupID(1), ToProjectIDs: []string{ResourceTarget(1)}}).Err; err == nil {
		t.Error("sharing a backup twice with one project succeeded")
	}

	if err := sharing.Delete(ctx, conn.VBS, created[0].ID, sharing.DeleteOpts{}).Err; err != nil {
		t.Fatal(err)
	}
	if err := sharing.Delete(ctx, conn.VBS, created[0].ID, sharing.DeleteOpts{}).Err; err == nil {
		t.Error("deleting a deleted sharing succeeded")
	}
	// Backup 1 still has its synthetic sharing and the second created one.
	if err := sharing.Delete(ctx, conn.VBS, BackupID(1), sharing.DeleteOpts{IsBackupID: true}).Err; err != nil {
		t.Fatal(err)
	}
	if ids := srv.SharingIDs(); len(ids) != 2 || ids[0] != SharingID(0) || ids[1] != SharingID(2) {
		t.Errorf("after deletes: %v", ids)
	}
	c := srv.Counts()
	if c[KindCreate] != 2 || c[KindDelete] != 3 || c[KindSharingGet] != 1 {
		t.Errorf("counts %v", c)
	}
}

// TestServerLatencyIsConcurrent checks that the latency is per request and
// that the server itself serialises nothing: 20 concurrent reads at 50 ms
// must take about 50 ms, not a second.
func TestServerLatencyIsConcurrent(t *testing.T) {
	srv := startServer(t, Options{Sharings: 20, Latency: 50 * time.Millisecond})
	conn := connect(t, srv)
	srv.ResetCounts()
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := sharing.Get(context.Background(), conn.VBS, SharingID(i)).Extract(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if elapsed < 50*time.Millisecond || elapsed > 400*time.Millisecond {
		t.Errorf("20 concurrent reads at 50 ms took %v", elapsed)
	}
	if c := srv.Counts(); c[KindSharingGet] != 20 || c[CountMaxInFlight] < 10 {
		t.Errorf("counts %v: want 20 reads, most of them in flight together", c)
	}
}

func TestServerRefusesMissingToken(t *testing.T) {
	srv := startServer(t, Options{Sharings: 1})
	resp, err := http.Get(srv.URL() + "/v2/" + ProjectID + "/os-vendor-backup-sharing/" + SharingID(0))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || srv.Counts()[KindUnauthorized] != 1 {
		t.Errorf("no token: HTTP %d, counts %v", resp.StatusCode, srv.Counts())
	}
}

func TestMedian(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3 * ms}, 3 * ms},
		{[]time.Duration{5 * ms, 1 * ms, 3 * ms}, 3 * ms},
		{[]time.Duration{4 * ms, 1 * ms, 2 * ms, 9 * ms}, 3 * ms},
	} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := MedianInt([]int64{7, 1, 4}); got != 4 {
		t.Errorf("MedianInt = %d, want 4", got)
	}
}
