package testing

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	th "github.com/gophercloud/gophercloud/v2/testhelper"

	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

func TestGet(t *testing.T) {
	fakeServer, c := newClient(t)
	serveJSON(t, fakeServer, http.MethodGet, examplePath, http.StatusOK, GetResponse)

	r := sharing.Get(context.TODO(), c, exampleSharingID)
	share, err := r.Extract()
	th.AssertNoErr(t, err)
	th.CheckDeepEquals(t, expectedGetShare(), share)
	th.CheckEquals(t, http.StatusOK, r.StatusCode)

	// The nulls the reference shows must stay nil, not become "" or 0.
	th.CheckTrue(t, share.UpdatedAt == nil)
	th.CheckTrue(t, share.Backup.ObjectCount == nil)
	th.CheckTrue(t, share.Backup.Description == nil)
	th.CheckTrue(t, share.Backup.HasDependentBackups == nil)
	th.CheckTrue(t, share.Backup.IsIncremental == nil)
}

func TestGetSparseBackup(t *testing.T) {
	fakeServer, c := newClient(t)
	serveJSON(t, fakeServer, http.MethodGet, sparsePath, http.StatusOK, SparseGetResponse)

	share, err := sharing.Get(context.TODO(), c, sparseSharingID).Extract()
	th.AssertNoErr(t, err)
	checkSame(t, &sharing.Share{
		ID:            sparseSharingID,
		BackupID:      sparseBackupID,
		FromProjectID: projectID,
		ToProjectID:   toProject1,
		Backup: &sharing.Backup{
			ID:     ptr(sparseBackupID),
			Name:   ptr("weekly-logs"),
			Status: ptr("available"),
		},
	}, share)
}

func TestGetEscapesID(t *testing.T) {
	fakeServer, c := newClient(t)
	fakeServer.Mux.HandleFunc(collectionPath+"/", func(w http.ResponseWriter, r *http.Request) {
		th.CheckEquals(t, "/v2/"+projectID+"/os-vendor-backup-sharing/a%2Fb%3Fc", r.URL.EscapedPath())
		th.CheckEquals(t, "", r.URL.RawQuery)
		fmt.Fprint(w, GetResponse)
	})
	_, err := sharing.Get(context.TODO(), c, "a/b?c").Extract()
	th.AssertNoErr(t, err)
}

func TestGetRejectsEmptyID(t *testing.T) {
	_, c := newClient(t) // no handler: a request would 404
	_, err := sharing.Get(context.TODO(), c, "").Extract()
	var missing gophercloud.ErrMissingInput
	th.AssertTrue(t, errors.As(err, &missing))
	th.CheckEquals(t, "id", missing.Argument)
}

func TestGetMissingSharedObject(t *testing.T) {
	fakeServer, c := newClient(t)
	serveJSON(t, fakeServer, http.MethodGet, sharingPath, http.StatusOK, `{"shared": null}`)
	_, err := sharing.Get(context.TODO(), c, sharingID).Extract()
	th.AssertErr(t, err)
	th.CheckTrue(t, strings.Contains(err.Error(), `"shared"`))
}

func TestGetNonJSONSuccessBody(t *testing.T) {
	fakeServer, c := newClient(t)
	serveJSON(t, fakeServer, http.MethodGet, sharingPath, http.StatusOK, "<html>maintenance</html>")
	_, err := sharing.Get(context.TODO(), c, sharingID).Extract()
	th.AssertErr(t, err)
	th.CheckTrue(t, strings.Contains(err.Error(), "GET "+c.ResourceBase+"os-vendor-backup-sharing/"+sharingID))
	var apiErr *vbs.APIError
	th.CheckFalse(t, errors.As(err, &apiErr))
}

func TestGetErrorBodies(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		header    map[string]string
		code      string
		message   string
		requestID string
		rawText   string
	}{
		{
			name:      "vendor",
			body:      VendorNotFound,
			header:    map[string]string{"X-Request-Id": "req-vendor-1"},
			code:      "VolumeBackup.0111",
			message:   "The backup sharing does not exist.",
			requestID: "req-vendor-1",
		},
		{
			name:      "cinder itemNotFound with integer code",
			body:      CinderNotFound,
			header:    map[string]string{"X-Openstack-Request-Id": "req-cinder-1"},
			code:      "404",
			message:   "Backup sharing 5c3b1d9e could not be found.",
			requestID: "req-cinder-1",
		},
		{
			name:      "API gateway",
			body:      GatewayNotFound,
			header:    map[string]string{"X-Request-Id": "ignored-because-body-has-one"},
			code:      "APIGW.0101",
			message:   "Incorrect route or route not found",
			requestID: "gw-req-0101",
		},
		{
			name:    "HTML page from a proxy",
			body:    GatewayHTML,
			rawText: "response body: <html> <head><title>404 Not Found</title></head> <body> <center><h1>404 Not Found</h1></center> </body> </html>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeServer, c := newClient(t)
			fakeServer.Mux.HandleFunc(sharingPath, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, tt.body)
			})

			_, err := sharing.Get(context.TODO(), c, sharingID).Extract()
			var apiErr *vbs.APIError
			th.AssertTrue(t, errors.As(err, &apiErr))
			th.CheckEquals(t, http.StatusNotFound, apiErr.StatusCode)
			th.CheckEquals(t, tt.code, apiErr.Code)
			th.CheckEquals(t, tt.message, apiErr.Message)
			th.CheckEquals(t, tt.requestID, apiErr.RequestID)
			th.CheckEquals(t, "GET", apiErr.Method)
			th.CheckEquals(t, c.ResourceBase+"os-vendor-backup-sharing/"+sharingID, apiErr.URL)
			th.CheckEquals(t, strings.TrimSpace(tt.body), apiErr.Body)
			th.CheckTrue(t, vbs.IsNotFound(err))
			th.CheckTrue(t, gophercloud.ResponseCodeIs(err, http.StatusNotFound))

			text := err.Error()
			th.CheckTrue(t, strings.HasPrefix(text, "GET "+apiErr.URL+": HTTP 404"))
			if tt.rawText != "" {
				th.CheckTrue(t, strings.HasSuffix(text, tt.rawText))
			} else {
				th.CheckTrue(t, strings.Contains(text, "API error "+tt.code+": "+tt.message))
				th.CheckTrue(t, strings.HasSuffix(text, "(request ID "+tt.requestID+")"))
				th.CheckFalse(t, strings.Contains(text, "{"))
			}
		})
	}
}

func TestListPage(t *testing.T) {
	fakeServer, c := newClient(t)
	serveJSON(t, fakeServer, http.MethodGet, listPath, http.StatusOK, ListResponse)

	shares, err := sharing.ListPage(context.TODO(), c, sharing.ListOpts{})
	th.AssertNoErr(t, err)
	th.AssertEquals(t, 2, len(shares))

	first, second := shares[0].Backup, shares[1].Backup
	// object_count: null → nil, 0 → a non-nil 0.
	th.CheckTrue(t, first.ObjectCount == nil)
	th.AssertTrue(t, second.ObjectCount != nil)
	th.CheckEquals(t, int64(0), *second.ObjectCount)

	// The singular key is read when the plural is absent...
	th.AssertTrue(t, first.HasDependentBackups != nil)
	th.CheckEquals(t, true, *first.HasDependentBackups)
	// ...and loses to the plural when both are set.
	th.AssertTrue(t, second.HasDependentBackups != nil)
	th.CheckEquals(t, false, *second.HasDependentBackups)

	th.CheckDeepEquals(t, ptr(false), first.IsIncremental)
	th.CheckDeepEquals(t, ptr(""), first.FailReason)
	th.CheckDeepEquals(t, ptr(int64(10)), second.Size)
	th.CheckDeepEquals(t, ptr(`{"type":"INC","chain":[1,2]}`), second.ServiceMetadata)

	th.CheckTrue(t, shares[0].Deleted == nil)
	th.CheckDeepEquals(t, ptr("false"), shares[1].Deleted)
	th.CheckTrue(t, shares[1].UpdatedAt == nil)
	th.CheckDeepEquals(t, ptr("2024-03-01T10:15:30.123456"), shares[0].UpdatedAt)
}

func TestListPageQuery(t *testing.T) {
	tests := []struct {
		name  string
		opts  sharing.ListOpts
		query string
	}{
		{name: "no filters", opts: sharing.ListOpts{}, query: ""},
		{name: "explicit false share_to_me", opts: sharing.ListOpts{ShareToMe: ptr(false)}, query: "share_to_me=false"},
		{name: "share_to_me true", opts: sharing.ListOpts{ShareToMe: ptr(true)}, query: "share_to_me=true"},
		{
			name: "every filter",
			opts: sharing.ListOpts{
				ShareToMe:        ptr(false),
				VolumeID:         "vol-1",
				Name:             "nightly db",
				Status:           "available",
				BackupID:         backupID,
				FromProjectID:    projectID,
				ToProjectID:      toProject1,
				AvailabilityZone: "eu-de-01",
				SortKey:          "created_at",
				SortDir:          "desc",
				Limit:            50,
				Offset:           150,
			},
			query: "availability_zone=eu-de-01&backup_id=" + backupID + "&from_project_id=" + projectID +
				"&limit=50&name=nightly+db&offset=150&share_to_me=false&sort_dir=desc&sort_key=created_at" +
				"&status=available&to_project_id=" + toProject1 + "&volume_id=vol-1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeServer, c := newClient(t)
			fakeServer.Mux.HandleFunc(listPath, func(w http.ResponseWriter, r *http.Request) {
				th.TestMethod(t, r, http.MethodGet)
				th.CheckEquals(t, tt.query, r.URL.RawQuery)
				fmt.Fprint(w, `{"shared": []}`)
			})
			shares, err := sharing.ListPage(context.TODO(), c, tt.opts)
			th.AssertNoErr(t, err)
			th.CheckEquals(t, 0, len(shares))
		})
	}
}

func TestListPageRejectsNegativePaging(t *testing.T) {
	_, c := newClient(t)
	_, err := sharing.ListPage(context.TODO(), c, sharing.ListOpts{Limit: -1})
	th.AssertErr(t, err)
	_, err = sharing.ListPage(context.TODO(), c, sharing.ListOpts{Offset: -1})
	th.AssertErr(t, err)
}

func TestListPageEnvelope(t *testing.T) {
	fakeServer, c := newClient(t)
	body := `{"shared": null}`
	fakeServer.Mux.HandleFunc(listPath, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body)
	})

	shares, err := sharing.ListPage(context.TODO(), c, sharing.ListOpts{})
	th.AssertNoErr(t, err)
	th.CheckEquals(t, 0, len(shares))

	body = `{"shares": []}`
	_, err = sharing.ListPage(context.TODO(), c, sharing.ListOpts{})
	th.AssertErr(t, err)
	th.CheckTrue(t, strings.Contains(err.Error(), `no "shared" list`))
}

// listAll lists with the provider's concurrency.
func listAll(t *testing.T, c *gophercloud.ServiceClient, opts sharing.ListOpts, how ...sharing.ListAllOpts) *sharing.Listing {
	t.Helper()
	h := sharing.ListAllOpts{Concurrency: 8}
	if len(how) > 0 {
		h = how[0]
	}
	l, err := sharing.ListAll(context.TODO(), c, opts, h)
	th.AssertNoErr(t, err)
	th.AssertTrue(t, l.Shares != nil)
	return l
}

func TestListAllPages(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 250, honourLimit: true, honourOffset: true}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{ShareToMe: ptr(true)}, sharing.ListAllOpts{Concurrency: 1})
	// The first page and the count together, then the other pages: no
	// empty page, since the count says where the listing ends.
	checkSame(t, []string{
		"limit=100&share_to_me=true", // offset 0 is the zero value, so it is left out
		"count:share_to_me=true",
		"limit=100&offset=100&share_to_me=true",
		"limit=100&offset=200&share_to_me=true",
	}, server.queries())
	checkSame(t, wantIDs(250), shareIDs(l.Shares))
	checkSame(t, ptr(int64(249)), l.Shares[249].Backup.Size)
	th.CheckEquals(t, 250, l.Count)
	th.CheckEquals(t, 250, l.Expected)
	th.CheckEquals(t, 100, l.PageSize)
}

func TestListAllExactMultipleNeedsNoEmptyPage(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 200, honourLimit: true, honourOffset: true}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{})
	checkSame(t, wantIDs(200), shareIDs(l.Shares))
	checkSame(t, []string{"limit=100", "count:", "limit=100&offset=100"}, server.queries())
}

func TestListAllUsesLimitAndOffset(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 9, honourLimit: true, honourOffset: true}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{Limit: 3, Offset: 2})
	checkSame(t, wantIDs(9)[2:], shareIDs(l.Shares))
	th.CheckEquals(t, 7, l.Expected)
	checkSame(t, []int{2, 5, 8}, sorted(server.offsets()))
}

// A server that answers at most 2 sharings a page whatever limit asks: the
// short first page is not the end, because the count says there is more.
func TestListAllServerCapsPageSize(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 5, honourLimit: true, honourOffset: true, maxPage: 2}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{})
	checkSame(t, wantIDs(5), shareIDs(l.Shares))
	th.CheckEquals(t, 2, l.PageSize)
	pages := server.pageQueries()
	th.CheckEquals(t, "limit=100", pages[0])
	slices.Sort(pages[1:])
	checkSame(t, []string{"limit=2&offset=2", "limit=2&offset=4"}, pages[1:])
}

// Without a count, the pages go on until one is shorter than the first.
func TestListAllServerCapsPageSizeWithoutCount(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 5, honourLimit: true, honourOffset: true, maxPage: 2, count: -1}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{})
	checkSame(t, wantIDs(5), shareIDs(l.Shares))
	th.CheckEquals(t, -1, l.Count)
	th.CheckEquals(t, -1, l.Expected)
	th.AssertErr(t, l.CountErr)
	checkSame(t, []string{"limit=100", "count:", "limit=2&offset=2", "limit=2&offset=4"}, server.queries())
}

func TestListAllWithoutCountStopsAtAShortPage(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 250, honourLimit: true, honourOffset: true, count: -1}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{})
	checkSame(t, wantIDs(250), shareIDs(l.Shares))
	checkSame(t, []string{"limit=100", "count:", "limit=100&offset=100", "limit=100&offset=200"}, server.queries())
}

func TestListAllServerIgnoresLimit(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 150, honourLimit: false, honourOffset: true}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{})
	th.CheckEquals(t, 150, len(l.Shares))
	checkSame(t, []string{"limit=100", "count:"}, server.queries())
}

// Every page is the same 100 while the count says 500: repeats are dropped,
// and the second page, which brings nothing new, ends the listing.
func TestListAllServerIgnoresPaging(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 100, honourLimit: false, honourOffset: false, count: 500}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 1})
	checkSame(t, wantIDs(100), shareIDs(l.Shares))
	th.CheckEquals(t, 500, l.Expected)
	checkSame(t, []string{"limit=100", "count:", "limit=100&offset=100"}, server.queries())
}

func TestListAllDropsRepeatsFromShiftedPages(t *testing.T) {
	// A sharing created between two requests pushes the last item of page
	// one onto page two, and the count, taken before, says 4.
	fakeServer, c := newClient(t)
	pages := map[string]string{
		"":  `{"shared": [{"id": "s1"}, {"id": "s2"}]}`,
		"2": `{"shared": [{"id": "s2"}, {"id": "s3"}]}`,
		"4": `{"shared": [{"id": "s4"}, {"id": "s5"}]}`,
		"6": `{"shared": []}`,
	}
	fakeServer.Mux.HandleFunc(listPath, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, pages[r.URL.Query().Get("offset")])
	})
	fakeServer.Mux.HandleFunc(countPath, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"count": 4}`)
	})

	l := listAll(t, c, sharing.ListOpts{Limit: 2})
	// The count is reached with s4; the page that brought it is kept whole.
	checkSame(t, []string{"s1", "s2", "s3", "s4", "s5"}, shareIDs(l.Shares))
	th.CheckEquals(t, 4, l.Expected)
}

// The count is stale in both directions: the listing ends at the count,
// or at the first short page, never later. Eight at a time, no page the
// count does not call for is requested (ceil(250/100) = 3), although the
// server has more and every page is full.
func TestListAllStaleCount(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		total, count, concurrency int
		listed, offset            []int
	}{
		{"sharings created since the count", 320, 150, 1, []int{200}, []int{0, 100}},
		{"sharings deleted since the count", 150, 320, 1, []int{150}, []int{0, 100}},
		{"sharings created since the count, 8 at a time", 1000, 250, 8, []int{300}, []int{0, 100, 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeServer, c := newClient(t)
			server := &pagedServer{total: tc.total, honourLimit: true, honourOffset: true, count: tc.count}
			server.register(t, fakeServer)

			l := listAll(t, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: tc.concurrency})
			th.CheckEquals(t, tc.listed[0], len(l.Shares))
			th.CheckEquals(t, tc.count, l.Expected)
			checkSame(t, tc.offset, sorted(server.offsets()))
		})
	}
}

func TestListAllMax(t *testing.T) {
	for _, tc := range []struct {
		max   int
		pages []string
	}{
		{5, []string{"limit=5"}},
		{150, []string{"limit=100", "limit=100&offset=100"}},
		{1000, []string{"limit=100", "limit=100&offset=100", "limit=100&offset=200"}},
	} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			fakeServer, c := newClient(t)
			server := &pagedServer{total: 250, honourLimit: true, honourOffset: true}
			server.register(t, fakeServer)

			l := listAll(t, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 1, Max: tc.max})
			want := min(tc.max, 250)
			checkSame(t, wantIDs(want), shareIDs(l.Shares))
			th.CheckEquals(t, want, l.Expected)
			checkSame(t, tc.pages, server.pageQueries())
		})
	}
}

func TestListAllEmpty(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 0, honourLimit: true, honourOffset: true}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{})
	th.CheckEquals(t, 0, len(l.Shares))
	th.CheckEquals(t, 0, l.Expected)
	checkSame(t, []string{"limit=100", "count:"}, server.queries())
}

func TestListAllError(t *testing.T) {
	fakeServer, c := newClient(t)
	fakeServer.Mux.HandleFunc(listPath, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error_msg": "The token must be updated.", "error_code": "APIGW.0307", "request_id": "gw-1"}`)
	})
	fakeServer.Mux.HandleFunc(countPath, func(w http.ResponseWriter, r *http.Request) {
		// Held until the listing gives up on it: the count must not
		// outlive a failed first page.
		<-r.Context().Done()
	})
	_, err := sharing.ListAll(context.TODO(), c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 8})
	var apiErr *vbs.APIError
	th.AssertTrue(t, errors.As(err, &apiErr))
	th.CheckEquals(t, http.StatusUnauthorized, apiErr.StatusCode)
	th.CheckEquals(t, "APIGW.0307", apiErr.Code)
	th.CheckEquals(t, c.ResourceBase+"os-vendor-backup-sharing/detail?limit=100", apiErr.URL)
}

func shareIDs(shares []sharing.Share) []string {
	ids := make([]string, len(shares))
	for i, s := range shares {
		ids[i] = s.ID
	}
	return ids
}

// wantIDs are the IDs of the first n sharings pagedServer serves.
func wantIDs(n int) []string {
	ids := make([]string, 0, n)
	for i := range n {
		ids = append(ids, fmt.Sprintf("share-%04d", i))
	}
	return ids
}

func sorted[T cmp.Ordered](xs []T) []T {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs
}

// Once the count is known the other pages go out together: the first four
// are held until all four are in flight, which a listing that read them one
// by one would never reach. The watchdog only turns such a hang into a
// failure.
func TestListAllFetchesTheRestConcurrently(t *testing.T) {
	fakeServer, c := newClient(t)
	const concurrency = 4
	var arrived sync.WaitGroup
	arrived.Add(concurrency)
	allIn := make(chan struct{})
	go func() { arrived.Wait(); close(allIn) }()
	var held atomic.Int64
	server := &pagedServer{total: 1050, honourLimit: true, honourOffset: true, beforePage: func(r *http.Request) {
		if held.Add(1) <= concurrency {
			arrived.Done()
			select {
			case <-allIn:
			case <-r.Context().Done():
			}
		}
	}}
	server.register(t, fakeServer)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watchdog := time.AfterFunc(time.Minute, cancel)
	defer watchdog.Stop()
	l, err := sharing.ListAll(ctx, c, sharing.ListOpts{ShareToMe: ptr(true)}, sharing.ListAllOpts{Concurrency: concurrency})
	if err != nil {
		t.Fatalf("%v: the pages after the first were not requested %d at a time", err, concurrency)
	}
	checkSame(t, wantIDs(1050), shareIDs(l.Shares))
	checkSame(t, []int{0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}, sorted(server.offsets()))
}

// A failed page fails the listing with that page's error, cancels the pages
// in flight and starts no page after it. Pages after the failing one are
// held until cancelled, so no success frees a slot once it has failed.
func TestListAllReportsAFailedPage(t *testing.T) {
	fakeServer, c := newClient(t)
	const concurrency, failing = 3, 300
	var mu sync.Mutex
	calls := 0
	fakeServer.Mux.HandleFunc(listPath, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		switch {
		case offset == failing:
			w.Header().Set("X-Request-Id", "req-page-300")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error": {"code": "VolumeBackup.0103", "message": "page failed"}}`)
			return
		case offset > failing:
			<-r.Context().Done()
			return
		}
		items := make([]string, 100)
		for i := range items {
			items[i] = fmt.Sprintf(`{"id": "share-%04d"}`, offset+i)
		}
		fmt.Fprintf(w, `{"shared": [%s]}`, strings.Join(items, ","))
	})
	fakeServer.Mux.HandleFunc(countPath, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"count": 1000}`)
	})

	_, err := sharing.ListAll(context.TODO(), c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: concurrency, Max: 0})
	var apiErr *vbs.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusInternalServerError || apiErr.Code != "VolumeBackup.0103" || apiErr.RequestID != "req-page-300" {
		t.Fatalf("err = %v, want the failed page's API error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The first page, the pages up to the failing one, and at most
	// concurrency-1 held pages that slots freed by successes let start.
	if limit := 1 + failing/100 + concurrency - 1; calls > limit {
		t.Errorf("%d pages requested, at most %d possible if the failure stopped the rest", calls, limit)
	}
}

func TestCount(t *testing.T) {
	fakeServer, c := newClient(t)
	fakeServer.Mux.HandleFunc(countPath, func(w http.ResponseWriter, r *http.Request) {
		th.TestMethod(t, r, http.MethodGet)
		th.CheckEquals(t, "availability_zone=eu-de-01&backup_id="+backupID+"&share_to_me=false", r.URL.RawQuery)
		fmt.Fprint(w, `{"count": 7}`)
	})

	n, err := sharing.Count(context.TODO(), c, sharing.CountOpts{
		ShareToMe:        ptr(false),
		BackupID:         backupID,
		AvailabilityZone: "eu-de-01",
	})
	th.AssertNoErr(t, err)
	th.CheckEquals(t, 7, n)
}

func TestCountMissing(t *testing.T) {
	fakeServer, c := newClient(t)
	serveJSON(t, fakeServer, http.MethodGet, countPath, http.StatusOK, `{}`)
	_, err := sharing.Count(context.TODO(), c, sharing.CountOpts{})
	th.AssertErr(t, err)
}

func TestCreate(t *testing.T) {
	fakeServer, c := newClient(t)
	fakeServer.Mux.HandleFunc(collectionPath, func(w http.ResponseWriter, r *http.Request) {
		th.TestMethod(t, r, http.MethodPost)
		th.TestHeader(t, r, "Content-Type", "application/json")
		th.TestJSONRequest(t, r, CreateRequest)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, CreateResponse)
	})

	r := sharing.Create(context.TODO(), c, sharing.CreateOpts{
		BackupID:     backupID,
		ToProjectIDs: []string{toProject1, toProject2},
	})
	shares, err := r.Extract()
	th.AssertNoErr(t, err)
	th.CheckEquals(t, http.StatusCreated, r.StatusCode)
	th.CheckDeepEquals(t, []sharing.Share{
		{ID: sharingID, BackupID: backupID, FromProjectID: projectID, ToProjectID: toProject1},
		{ID: sharingID2, BackupID: backupID, FromProjectID: projectID, ToProjectID: toProject2},
	}, shares)
}

func TestCreateSingleObjectResponse(t *testing.T) {
	fakeServer, c := newClient(t)
	serveJSON(t, fakeServer, http.MethodPost, collectionPath, http.StatusOK, CreateObjectResponse)

	shares, err := sharing.Create(context.TODO(), c, sharing.CreateOpts{
		BackupID: backupID, ToProjectIDs: []string{toProject1},
	}).Extract()
	th.AssertNoErr(t, err)
	th.CheckDeepEquals(t, []sharing.Share{{
		ID: sharingID, BackupID: backupID, FromProjectID: projectID, ToProjectID: toProject1,
		CreatedAt: ptr("2024-03-01T10:15:30.123456"),
		Deleted:   ptr("true"),
	}}, shares)
}

// A create accepted with an empty body was carried out, but its answer
// says nothing: the error is the empty-body class, which its caller
// reconciles, not a success with no sharing in it.
func TestCreateEmptyAccepted(t *testing.T) {
	fakeServer, c := newClient(t)
	serveJSON(t, fakeServer, http.MethodPost, collectionPath, http.StatusAccepted, "")

	_, err := sharing.Create(context.TODO(), c, sharing.CreateOpts{BackupID: backupID, ToProjectIDs: []string{toProject1}}).Extract()
	if got := failure.Classify(err).Class; got != failure.EmptyBody {
		t.Fatalf("err = %v (%s), want the empty-body class", err, got)
	}
}

func TestCreateValidatesBeforeSending(t *testing.T) {
	tests := []struct {
		opts     sharing.CreateOpts
		argument string
	}{
		{sharing.CreateOpts{ToProjectIDs: []string{toProject1}}, "BackupID"},
		{sharing.CreateOpts{BackupID: backupID}, "ToProjectIDs"},
		{sharing.CreateOpts{BackupID: backupID, ToProjectIDs: []string{}}, "ToProjectIDs"},
		{sharing.CreateOpts{BackupID: backupID, ToProjectIDs: []string{toProject1, " "}}, "ToProjectIDs[1]"},
	}
	_, c := newClient(t) // no handler: a request would 404
	for _, tt := range tests {
		_, err := sharing.Create(context.TODO(), c, tt.opts).Extract()
		th.AssertErr(t, err)
		th.CheckTrue(t, strings.Contains(err.Error(), tt.argument))
		th.CheckEquals(t, 0, vbs.StatusCode(err))
	}
}

func TestCreateConflict(t *testing.T) {
	fakeServer, c := newClient(t)
	serveJSON(t, fakeServer, http.MethodPost, collectionPath, http.StatusBadRequest,
		`{"badRequest": {"code": "VolumeBackup.0002", "message": "The backup is already shared with the project."}}`)

	_, err := sharing.Create(context.TODO(), c, sharing.CreateOpts{BackupID: backupID, ToProjectIDs: []string{toProject1}}).Extract()
	var apiErr *vbs.APIError
	th.AssertTrue(t, errors.As(err, &apiErr))
	th.CheckEquals(t, "POST", apiErr.Method)
	th.CheckEquals(t, "VolumeBackup.0002", apiErr.Code)
}

func TestDelete(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusAccepted, http.StatusNoContent} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			fakeServer, c := newClient(t)
			fakeServer.Mux.HandleFunc(sharingPath, func(w http.ResponseWriter, r *http.Request) {
				th.TestMethod(t, r, http.MethodDelete)
				th.TestHeader(t, r, "X-Auth-Token", "cbc36478b0bd8e67e89469c7749d4127")
				th.CheckEquals(t, "", r.URL.RawQuery)
				w.WriteHeader(status)
			})
			r := sharing.Delete(context.TODO(), c, sharingID, sharing.DeleteOpts{})
			th.AssertNoErr(t, r.ExtractErr())
			th.CheckEquals(t, status, r.StatusCode)
		})
	}
}

func TestDeleteByBackupID(t *testing.T) {
	fakeServer, c := newClient(t)
	fakeServer.Mux.HandleFunc(collectionPath+"/"+backupID, func(w http.ResponseWriter, r *http.Request) {
		th.TestMethod(t, r, http.MethodDelete)
		th.CheckEquals(t, "is_backup_id=true", r.URL.RawQuery)
		w.WriteHeader(http.StatusNoContent)
	})
	th.AssertNoErr(t, sharing.Delete(context.TODO(), c, backupID, sharing.DeleteOpts{IsBackupID: true}).ExtractErr())
}

func TestDeleteNotFound(t *testing.T) {
	fakeServer, c := newClient(t)
	fakeServer.Mux.HandleFunc(collectionPath+"/"+backupID, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-del-1")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, VendorNotFound)
	})
	err := sharing.Delete(context.TODO(), c, backupID, sharing.DeleteOpts{IsBackupID: true}).ExtractErr()
	th.AssertTrue(t, vbs.IsNotFound(err))
	want := "DELETE " + c.ResourceBase + "os-vendor-backup-sharing/" + backupID + "?is_backup_id=true: HTTP 404, " +
		"API error VolumeBackup.0111: The backup sharing does not exist. (request ID req-del-1)"
	th.CheckEquals(t, want, err.Error())
}

func TestDeleteRejectsEmptyID(t *testing.T) {
	_, c := newClient(t)
	err := sharing.Delete(context.TODO(), c, "", sharing.DeleteOpts{IsBackupID: true}).ExtractErr()
	var missing gophercloud.ErrMissingInput
	th.AssertTrue(t, errors.As(err, &missing))
}

// Share decodes the same way through json.Unmarshal, for callers that hold
// a body from elsewhere (recorded responses, Result built by hand).
func TestShareUnmarshalJSON(t *testing.T) {
	var body struct {
		Shared sharing.Share `json:"shared"`
	}
	th.AssertNoErr(t, json.Unmarshal([]byte(GetResponse), &body))
	th.CheckDeepEquals(t, expectedGetShare(), &body.Shared)

	var generic any
	th.AssertNoErr(t, json.Unmarshal([]byte(GetResponse), &generic))
	share, err := sharing.GetResult{Result: gophercloud.Result{Body: generic}}.Extract()
	th.AssertNoErr(t, err)
	th.CheckDeepEquals(t, expectedGetShare(), share)

	th.AssertNoErr(t, json.Unmarshal([]byte(CreateResponse), &generic))
	shares, err := sharing.CreateResult{Result: gophercloud.Result{Body: generic}}.Extract()
	th.AssertNoErr(t, err)
	th.CheckEquals(t, 2, len(shares))
}

func TestBackupRejectsNonNumericSize(t *testing.T) {
	var b sharing.Backup
	th.AssertErr(t, json.Unmarshal([]byte(`{"size": "forty"}`), &b))
	th.AssertErr(t, json.Unmarshal([]byte(`{"size": 40.5}`), &b))
	th.AssertErr(t, json.Unmarshal([]byte(`{"is_incremental": "maybe"}`), &b))

	th.AssertNoErr(t, json.Unmarshal([]byte(`{"size": 40.0, "object_count": "", "is_incremental": "True", "description": "a \"quoted\" word"}`), &b))
	th.CheckDeepEquals(t, ptr(int64(40)), b.Size)
	th.CheckTrue(t, b.ObjectCount == nil)
	th.CheckDeepEquals(t, ptr(true), b.IsIncremental)
	th.CheckDeepEquals(t, ptr(`a "quoted" word`), b.Description)
}

// BenchmarkListPage reads one page of 1000 full sharings, the size of
// listing the provider has to stay fast for.
func BenchmarkListPage(b *testing.B) {
	item := strings.TrimSpace(GetResponse)
	item = strings.TrimSuffix(strings.TrimPrefix(item, `{"shared":`), "}")
	items := make([]string, 1000)
	for i := range items {
		items[i] = item
	}
	body := `{"shared": [` + strings.Join(items, ",") + `]}`

	fakeServer := th.SetupHTTP()
	defer fakeServer.Teardown()
	c := newServiceClient(fakeServer)
	fakeServer.Mux.HandleFunc(listPath, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body)
	})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		shares, err := sharing.ListPage(context.TODO(), c, sharing.ListOpts{})
		if err != nil || len(shares) != 1000 {
			b.Fatalf("ListPage: %d shares, %v", len(shares), err)
		}
	}
}
