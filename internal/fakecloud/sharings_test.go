package fakecloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// startSynthetic is the benchmark's kind of cloud: plain HTTP, any login,
// n synthetic sharings.
func startSynthetic(t *testing.T, n int, adjust ...func(*fakecloud.Config)) *fakecloud.Cloud {
	t.Helper()
	cfg := fakecloud.Config{
		PlainHTTP: true, AnyLogin: true, Catalog: []fakecloud.Service{vbsService},
		Sharings: fakecloud.Synthetic(projectID, n),
	}
	for _, a := range adjust {
		a(&cfg)
	}
	return start(t, cfg)
}

// connect goes through the provider's own client, so these tests prove the
// cloud speaks what the provider expects, not just what this package's
// author thinks it should.
func connect(t *testing.T, c *fakecloud.Cloud) *client.Connection {
	t.Helper()
	cl, err := client.New(client.Settings{
		AuthURL: c.AuthURL(), Region: fakecloud.Default.Region, ProjectID: projectID,
		DomainName: "any-domain", UserName: "anyone", Password: "any-password",
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := cl.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestSyntheticGetListCount(t *testing.T) {
	c := startSynthetic(t, 250)
	conn := connect(t, c)
	ctx := context.Background()

	share, err := sharing.Get(ctx, conn.VBS, fakecloud.SharingID(7)).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if share.BackupID != fakecloud.BackupID(7) || share.ToProjectID != fakecloud.TargetProject(7) || share.Backup == nil ||
		share.Backup.Name == nil || *share.Backup.Name != "backup-00007" || share.UpdatedAt != nil {
		t.Errorf("sharing 7 = %+v", share)
	}
	_, err = sharing.Get(ctx, conn.VBS, fakecloud.SharingID(250)).Extract()
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
	// 100 per page: 2 full pages and a short one, with one count.
	if got := c.Counts()[fakecloud.KindListPage]; got != 3 {
		t.Errorf("ListAll of 250 took %d pages, want 3", got)
	}
	someListing, err := sharing.ListAll(ctx, conn.VBS, sharing.ListOpts{ToProjectID: fakecloud.TargetProject(3), Status: "available"}, sharing.ListAllOpts{})
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
	got := c.Counts()
	// Each listing asks the count once, and so does the Count call.
	if got[fakecloud.KindToken] != 1 || got[fakecloud.KindSharingGet] != 2 || got[fakecloud.KindCount] != 3 ||
		got[fakecloud.KindOther] != 0 || got[fakecloud.KindUnauthorized] != 0 {
		t.Errorf("counts %v", got)
	}
}

func TestCreateDelete(t *testing.T) {
	c := startSynthetic(t, 3)
	conn := connect(t, c)
	ctx := context.Background()
	const to1, to2 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbb0001", "bbbbbbbbbbbbbbbbbbbbbbbbbbbb0002"

	created, err := sharing.Create(ctx, conn.VBS, sharing.CreateOpts{BackupID: fakecloud.BackupID(1), ToProjectIDs: []string{to1, to2}}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 2 || created[0].ID == "" || created[0].Backup != nil || created[0].CreatedAt != nil {
		t.Fatalf("created %+v", created)
	}
	got, err := sharing.Get(ctx, conn.VBS, created[1].ID).Extract()
	if err != nil || got.ToProjectID != to2 || got.Backup == nil || *got.Backup.Name != "backup-00001" {
		t.Errorf("reading a created sharing: %+v, %v", got, err)
	}
	if len(c.SharingIDs()) != 5 {
		t.Errorf("after create: %d sharings, want 5", len(c.SharingIDs()))
	}
	if err := sharing.Create(ctx, conn.VBS, sharing.CreateOpts{BackupID: fakecloud.BackupID(1), ToProjectIDs: []string{to1}}).Err; vbs.StatusCode(err) != http.StatusBadRequest {
		t.Errorf("sharing a backup twice with one project: %v, want a 400", err)
	}
	if err := sharing.Create(ctx, conn.VBS, sharing.CreateOpts{BackupID: fakecloud.BackupID(9), ToProjectIDs: []string{to1}}).Err; vbs.StatusCode(err) != http.StatusNotFound {
		t.Errorf("sharing a backup that does not exist: %v, want a 404", err)
	}

	if err := sharing.Delete(ctx, conn.VBS, created[0].ID, sharing.DeleteOpts{}).Err; err != nil {
		t.Fatal(err)
	}
	if err := sharing.Delete(ctx, conn.VBS, created[0].ID, sharing.DeleteOpts{}).Err; vbs.StatusCode(err) != http.StatusNotFound {
		t.Errorf("deleting a deleted sharing: %v, want a 404", err)
	}
	// Backup 1 still has its synthetic sharing and the second created one.
	if err := sharing.Delete(ctx, conn.VBS, fakecloud.BackupID(1), sharing.DeleteOpts{IsBackupID: true}).Err; err != nil {
		t.Fatal(err)
	}
	if ids := c.SharingIDs(); len(ids) != 2 || ids[0] != fakecloud.SharingID(0) || ids[1] != fakecloud.SharingID(2) {
		t.Errorf("after deletes: %v", ids)
	}
	// A deleted pair can be shared again.
	if err := sharing.Create(ctx, conn.VBS, sharing.CreateOpts{BackupID: fakecloud.BackupID(1), ToProjectIDs: []string{to1}}).Err; err != nil {
		t.Errorf("sharing again after the delete: %v", err)
	}
	if got := c.Counts(); got[fakecloud.KindCreate] != 4 || got[fakecloud.KindDelete] != 3 || got[fakecloud.KindSharingGet] != 1 {
		t.Errorf("counts %v", got)
	}
}

// page lists one page with the raw query and returns the IDs on it.
func page(t *testing.T, c *fakecloud.Cloud, query string) []string {
	t.Helper()
	r := mustCall(t, c, http.MethodGet, "vbs", "/v2/"+projectID+"/os-vendor-backup-sharing/detail?"+query, fakecloud.Default.Token, "")
	if r.status != http.StatusOK {
		t.Fatalf("list ?%s: HTTP %d %s", query, r.status, r.body)
	}
	var body struct {
		Shared []struct {
			ID string `json:"id"`
		} `json:"shared"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(body.Shared))
	for i, s := range body.Shared {
		ids[i] = s.ID
	}
	return ids
}

func synthetic(is ...int) []string {
	ids := make([]string, len(is))
	for n, i := range is {
		ids[n] = fakecloud.SharingID(i)
	}
	return ids
}

// A cloud that caps its pages returns at most MaxPageSize items whatever the
// limit asks for; count still counts them all.
func TestMaxPageSize(t *testing.T) {
	c := startSynthetic(t, 100, func(cfg *fakecloud.Config) { cfg.MaxPageSize = 30 })
	for query, want := range map[string]int{"limit=100": 30, "": 30, "limit=10": 10, "limit=100&offset=90": 10, "limit=50&offset=100": 0} {
		if got := page(t, c, query); len(got) != want {
			t.Errorf("?%s: %d items, want %d", query, len(got), want)
		}
	}
	r := mustCall(t, c, http.MethodGet, "vbs", "/v2/"+projectID+"/os-vendor-backup-sharing/count", fakecloud.Default.Token, "")
	if r.body != `{"count":100}` {
		t.Errorf("count: %s, want 100", r.body)
	}
	if got := page(t, startSynthetic(t, 100), "limit=100"); len(got) != 100 {
		t.Errorf("without MaxPageSize: %d items, want 100", len(got))
	}
}

// A cloud that ignores a filter answers list and count as if it were not
// sent.
func TestIgnoredFilters(t *testing.T) {
	c := startSynthetic(t, 12, func(cfg *fakecloud.Config) { cfg.IgnoredFilters = []string{"backup_id"} })
	if got := page(t, c, "backup_id="+fakecloud.BackupID(3)); len(got) != 12 {
		t.Errorf("ignored backup_id: %d items, want all 12", len(got))
	}
	if got := page(t, c, "to_project_id="+fakecloud.TargetProject(3)); len(got) != 1 {
		t.Errorf("to_project_id, still honoured: %d items, want 1", len(got))
	}
	r := mustCall(t, c, http.MethodGet, "vbs", "/v2/"+projectID+"/os-vendor-backup-sharing/count?backup_id="+fakecloud.BackupID(3), fakecloud.Default.Token, "")
	if r.body != `{"count":12}` {
		t.Errorf("count with an ignored backup_id: %s, want 12", r.body)
	}
}

func TestListOrderFiltersAndPaging(t *testing.T) {
	c := startSynthetic(t, 12)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		// Newest first by default; synthetic sharing i is one second newer
		// than i-1.
		{"limit=3", synthetic(11, 10, 9)},
		{"limit=3&offset=3", synthetic(8, 7, 6)},
		{"sort_dir=asc&limit=2", synthetic(0, 1)},
		{"sort_key=name&sort_dir=asc&limit=2", synthetic(0, 1)},
		// Sizes sort as numbers: 10 + i.
		{"sort_key=size&sort_dir=desc&limit=2", synthetic(11, 10)},
		{"status=error", synthetic(9)},
		{"to_project_id=" + fakecloud.TargetProject(3), synthetic(3)},
		{"availability_zone=eu-de-02&sort_dir=asc", synthetic(1, 4, 7, 10)},
		{"avalilability_zone=eu-de-02&sort_dir=asc", synthetic(1, 4, 7, 10)},
		{"name=BACKUP-0001", synthetic(11, 10)},
		{"backup_id=" + fakecloud.BackupID(5), synthetic(5)},
		{"volume_id=" + fakecloud.VolumeID(0) + "&limit=1", synthetic(11)},
		// The synthetic sharings were made by the project, not to it.
		{"share_to_me=true", nil},
		{"share_to_me=false&limit=1", synthetic(11)},
	} {
		if got := page(t, c, tc.query); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("?%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	for _, query := range []string{"limit=x", "offset=-1", "sort_dir=up", "share_to_me=maybe"} {
		r := mustCall(t, c, http.MethodGet, "vbs", "/v2/"+projectID+"/os-vendor-backup-sharing/detail?"+query, fakecloud.Default.Token, "")
		if r.status != http.StatusBadRequest {
			t.Errorf("?%s: HTTP %d, want 400", query, r.status)
		}
	}
}

// Sharings stored with one creation time list in the order they were made,
// whichever way the list is sorted, so paging through them is stable.
func TestTiesKeepCreationOrder(t *testing.T) {
	store := fakecloud.NewSharings(projectID, map[string]any{"id": "b1", "name": "db", "status": "available"})
	for i := range 5 {
		store.Add(map[string]any{
			"id": fmt.Sprintf("s%d", i), "backup_id": "b1", "from_project_id": "other", "to_project_id": projectID,
			"created_at": "2024-03-01T10:15:30.123456",
		})
	}
	c := start(t, fakecloud.Config{Catalog: []fakecloud.Service{vbsService}, Sharings: store})
	for _, query := range []string{"share_to_me=true", "share_to_me=true&sort_dir=asc", "share_to_me=true&sort_key=name"} {
		if got := page(t, c, query); strings.Join(got, ",") != "s0,s1,s2,s3,s4" {
			t.Errorf("?%s: %v", query, got)
		}
	}
	if got := page(t, c, "share_to_me=true&limit=2&offset=2"); strings.Join(got, ",") != "s2,s3" {
		t.Errorf("second page of two: %v", got)
	}
}

// The replies are the reference's shapes byte for byte, as the committed
// cassettes hold them: get and list embed the backup, keys in order.
func TestRepliesAsRecorded(t *testing.T) {
	store := fakecloud.NewSharings(projectID, map[string]any{"id": "b1", "name": "db", "size": 40})
	id := store.Add(map[string]any{"backup_id": "b1", "from_project_id": projectID, "to_project_id": "p2", "updated_at": nil})
	c := start(t, fakecloud.Config{Catalog: []fakecloud.Service{vbsService}, Sharings: store})
	item := `{"backup":{"id":"b1","name":"db","size":40},"backup_id":"b1","from_project_id":"` + projectID + `","id":"` + id + `","to_project_id":"p2","updated_at":null}`
	base := "/v2/" + projectID + "/os-vendor-backup-sharing"
	for path, want := range map[string]string{
		base + "/" + id:    `{"shared":` + item + `}`,
		base + "/detail":   `{"shared":[` + item + `]}`,
		base + "/count":    `{"count":1}`,
		base + "/missing":  `{"itemNotFound":{"code":404,"message":"Backup sharing missing could not be found."}}`,
		base + "/detail?x": `{"shared":[` + item + `]}`,
	} {
		if r := mustCall(t, c, http.MethodGet, "vbs", path, fakecloud.Default.Token, ""); r.body != want || r.header.Get("Content-Type") != "application/json" || r.header.Get("Date") != "" {
			t.Errorf("GET %s: %s %v\nwant %s", path, r.body, r.header, want)
		}
	}
	r := mustCall(t, c, http.MethodPost, "vbs", base, fakecloud.Default.Token, `{"shared":{"backup_id":"b1","to_project_ids":["p3"]}}`)
	if want := `{"shared":[{"backup_id":"b1","created_at":null,"deleted":null,"deleted_at":null,"from_project_id":"` + projectID +
		`","id":"5c3b1d9e-0000-4000-8000-000000000002","to_project_id":"p3","updated_at":null}]}`; r.body != want {
		t.Errorf("create: %s\nwant %s", r.body, want)
	}
	if r := mustCall(t, c, http.MethodDelete, "vbs", base+"/"+id, fakecloud.Default.Token, ""); r.status != http.StatusOK || r.body != "" || r.header.Get("Content-Type") != "" {
		t.Errorf("delete: HTTP %d %q %v", r.status, r.body, r.header)
	}
}

// A backup shared again with the same project is refused, nothing made,
// unless AllowDuplicateSharings lets the cloud make a second sharing of the
// pair; deleting one of the two leaves the other.
func TestDuplicateSharings(t *testing.T) {
	const to = "bbbbbbbbbbbbbbbbbbbbbbbbbbbb0001"
	base := "/v2/" + projectID + "/os-vendor-backup-sharing"
	body := `{"shared":{"backup_id":"` + fakecloud.BackupID(0) + `","to_project_ids":["` + to + `"]}}`
	createdID := func(t *testing.T, r reply) string {
		t.Helper()
		var created struct {
			Shared []struct {
				ID string `json:"id"`
			} `json:"shared"`
		}
		if err := json.Unmarshal([]byte(r.body), &created); r.status != http.StatusOK || err != nil || len(created.Shared) != 1 {
			t.Fatalf("create: HTTP %d %s", r.status, r.body)
		}
		return created.Shared[0].ID
	}
	pairQuery := "to_project_id=" + to + "&backup_id=" + fakecloud.BackupID(0)

	t.Run("refused", func(t *testing.T) {
		c := startSynthetic(t, 1)
		createdID(t, mustCall(t, c, http.MethodPost, "vbs", base, fakecloud.Default.Token, body))
		r := mustCall(t, c, http.MethodPost, "vbs", base, fakecloud.Default.Token, body)
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.body), &e); err != nil || r.status != http.StatusBadRequest || e.Error.Code != "VolumeBackup.0002" ||
			!strings.Contains(e.Error.Message, "already shared with project "+to) {
			t.Errorf("second sharing of the pair: HTTP %d %s", r.status, r.body)
		}
		if got := page(t, c, pairQuery); len(got) != 1 {
			t.Errorf("the pair has %d sharings, want 1", len(got))
		}
	})
	t.Run("allowed", func(t *testing.T) {
		c := startSynthetic(t, 1, func(cfg *fakecloud.Config) { cfg.AllowDuplicateSharings = true })
		first := createdID(t, mustCall(t, c, http.MethodPost, "vbs", base, fakecloud.Default.Token, body))
		second := createdID(t, mustCall(t, c, http.MethodPost, "vbs", base, fakecloud.Default.Token, body))
		if first == second {
			t.Fatalf("both sharings have ID %s", first)
		}
		if got := page(t, c, pairQuery+"&sort_dir=asc"); strings.Join(got, ",") != first+","+second {
			t.Errorf("the pair lists %v, want %s and %s", got, first, second)
		}
		if r := mustCall(t, c, http.MethodDelete, "vbs", base+"/"+first, fakecloud.Default.Token, ""); r.status != http.StatusOK {
			t.Fatalf("delete: HTTP %d", r.status)
		}
		if got := page(t, c, pairQuery); strings.Join(got, ",") != second {
			t.Errorf("after deleting one, the pair lists %v, want %s", got, second)
		}
	})
}

// ExampleBackup is the reference example's backup under another ID and
// name; each call is a map of its own.
func TestExampleBackup(t *testing.T) {
	a, b := fakecloud.ExampleBackup("b1", "db"), fakecloud.ExampleBackup("b2", "logs")
	if a["id"] != "b1" || a["name"] != "db" || b["id"] != "b2" || b["name"] != "logs" {
		t.Errorf("ID and name not set: %v, %v", a, b)
	}
	if a["volume_id"] != "9d2c0000-0000-4000-8000-000000000001" || a["size"] != float64(40) || a["has_dependent_backups"] != nil {
		t.Errorf("not the reference example's backup: %v", a)
	}
}

// Intercept holds one page until the test lets it go, answers another
// itself, and leaves the rest to the sharing API.
func TestIntercept(t *testing.T) {
	held, release := make(chan struct{}), make(chan struct{})
	c := startSynthetic(t, 10, func(cfg *fakecloud.Config) {
		cfg.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
			switch r.URL.Query().Get("offset") {
			case "4":
				close(held)
				select {
				case <-release:
				case <-r.Context().Done():
				}
			case "8":
				w.WriteHeader(http.StatusInternalServerError)
				return true
			}
			return false
		}
	})
	type answer struct {
		r   reply
		err error
	}
	got := make(chan answer, 1)
	go func() {
		r, err := call(context.Background(), t, c, http.MethodGet, "vbs",
			"/v2/"+projectID+"/os-vendor-backup-sharing/detail?limit=2&offset=4&sort_dir=asc", fakecloud.Default.Token, "")
		got <- answer{r, err}
	}()
	<-held
	if ids := page(t, c, "limit=2&sort_dir=asc"); !slices.Equal(ids, synthetic(0, 1)) {
		t.Errorf("a page Intercept let through: %v", ids)
	}
	close(release)
	a := <-got
	if a.err != nil || !strings.Contains(a.r.body, fakecloud.SharingID(4)) || !strings.Contains(a.r.body, fakecloud.SharingID(5)) {
		t.Errorf("the held page: %v %s", a.err, a.r.body)
	}
	r := mustCall(t, c, http.MethodGet, "vbs", "/v2/"+projectID+"/os-vendor-backup-sharing/detail?offset=8", fakecloud.Default.Token, "")
	if r.status != http.StatusInternalServerError {
		t.Errorf("the page Intercept answered: HTTP %d", r.status)
	}
}
