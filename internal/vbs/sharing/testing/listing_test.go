package testing

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	th "github.com/gophercloud/gophercloud/v2/testhelper"

	"github.com/vbs-tf/terraform-provider-vbs/internal/client"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// A server that ignores every filter, in the count too, lists only what an
// honest one lists; what it cannot fix (share_to_me = true answered with
// the sharings the project made) comes out empty, not wrong.
func TestListAllReappliesEveryFilter(t *testing.T) {
	honest := connectSharings(t, nil)
	ignoring := connectSharings(t, []string{"share_to_me", "volume_id", "name", "status", "backup_id",
		"from_project_id", "to_project_id", "availability_zone"})
	for _, tc := range []struct {
		name         string
		opts         sharing.ListOpts
		want         []string
		wantIgnoring []string // when not want
	}{
		{"backup_id", sharing.ListOpts{BackupID: "b1"}, []string{"s1", "s2"}, nil},
		{"to_project_id", sharing.ListOpts{ToProjectID: toProject1}, []string{"s1", "s3"}, nil},
		{"share_to_me false", sharing.ListOpts{ShareToMe: ptr(false)}, []string{"s1", "s2", "s3"}, nil},
		{"share_to_me true", sharing.ListOpts{ShareToMe: ptr(true)}, []string{"s4", "s5"}, []string{}},
		{"from_project_id", sharing.ListOpts{ShareToMe: ptr(true), FromProjectID: toProject1}, []string{"s4"}, []string{}},
		{"volume_id", sharing.ListOpts{VolumeID: "v2"}, []string{"s3"}, nil},
		{"status", sharing.ListOpts{Status: "error"}, []string{"s3"}, nil},
		{"availability_zone", sharing.ListOpts{AvailabilityZone: "eu-de-01"}, []string{"s1", "s2"}, nil},
		{"name, part of it in another case", sharing.ListOpts{Name: "NIGHT"}, []string{"s1", "s2"}, nil},
		{"several", sharing.ListOpts{BackupID: "b1", ToProjectID: toProject2}, []string{"s2"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			how := sharing.ListAllOpts{Concurrency: 8, ProjectID: honest.ProjectID}
			l, err := sharing.ListAll(context.Background(), honest.VBS, tc.opts, how)
			th.AssertNoErr(t, err)
			checkSame(t, tc.want, sorted(shareIDs(l.Shares)))
			th.CheckEquals(t, 0, l.Dropped)

			want := tc.want
			if tc.wantIgnoring != nil {
				want = tc.wantIgnoring
			}
			l, err = sharing.ListAll(context.Background(), ignoring.VBS, tc.opts, how)
			th.AssertNoErr(t, err)
			checkSame(t, want, sorted(shareIDs(l.Shares)))
			th.CheckEquals(t, len(want), l.Listed)
			// It answers the three sharings the project made, whatever
			// was asked, and counts them.
			th.CheckEquals(t, 3-len(want), l.Dropped)
			th.CheckEquals(t, 3, l.Expected)
		})
	}
}

// connectSharings starts a fake cloud holding five sharings, two made to
// the project and three made by it, that ignores the filters named, and
// connects to it.
func connectSharings(t *testing.T, ignored []string) *client.Connection {
	t.Helper()
	store := fakecloud.NewSharings(projectID,
		map[string]any{"id": "b1", "name": "Nightly-DB", "status": "available", "availability_zone": "eu-de-01", "volume_id": "v1"},
		map[string]any{"id": "b2", "name": "weekly", "status": "error", "availability_zone": "eu-de-02", "volume_id": "v2"})
	for i, s := range [][4]string{
		{"s1", "b1", projectID, toProject1},
		{"s2", "b1", projectID, toProject2},
		{"s3", "b2", projectID, toProject1},
		{"s4", "b2", toProject1, projectID},
		{"s5", "b1", toProject2, projectID},
	} {
		store.Add(map[string]any{"id": s[0], "backup_id": s[1], "from_project_id": s[2], "to_project_id": s[3],
			"created_at": "2024-03-0" + strconv.Itoa(i+1) + "T10:15:30.123456"})
	}
	cloud, err := fakecloud.Start(fakecloud.Config{
		PlainHTTP: true, AnyLogin: true, ProjectID: projectID, Sharings: store, IgnoredFilters: ignored,
		Catalog: []fakecloud.Service{{Type: "vbsv2", Name: "vbs", Label: "vbs", Path: "/v2/" + projectID}},
	})
	th.AssertNoErr(t, err)
	t.Cleanup(cloud.Close)
	cl, err := client.New(client.Settings{
		AuthURL: cloud.AuthURL(), ProjectID: projectID, DomainName: "any", UserName: "anyone", Password: "any",
	})
	th.AssertNoErr(t, err)
	conn, err := cl.Connect(context.Background())
	th.AssertNoErr(t, err)
	return conn
}

// watchdog is a context that ends after a minute. It only turns a listing
// that hangs, because it waits for what a test holds back, into a failure;
// nothing passes by its timing.
func watchdog(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(time.Minute, cancel)
	t.Cleanup(func() {
		timer.Stop()
		cancel()
	})
	return ctx
}

func offsetOf(r *http.Request) int {
	n, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	return n
}

// holdTheWindow holds every page after the one at offset 100 until its
// request is cancelled, and answers that one only once others of them are
// in flight: whatever ends the listing there, the requests made and
// cancelled are then exact. cancelled receives the offset of each held page
// once its request is cancelled.
func holdTheWindow(others int) (beforePage func(*http.Request), cancelled <-chan int) {
	var arrived sync.WaitGroup
	arrived.Add(others)
	allIn := make(chan struct{})
	go func() { arrived.Wait(); close(allIn) }()
	var held atomic.Int64
	gone := make(chan int, others)
	return func(r *http.Request) {
		if offsetOf(r) == 100 {
			select {
			case <-allIn:
			case <-r.Context().Done():
			}
			return
		}
		if held.Add(1) <= int64(others) {
			arrived.Done()
		}
		<-r.Context().Done()
		gone <- offsetOf(r)
	}, gone
}

// receive takes n offsets from cancelled, sorted.
func receive(cancelled <-chan int, n int) []int {
	var offsets []int
	for range n {
		offsets = append(offsets, <-cancelled)
	}
	return sorted(offsets)
}

// The count says 1000 but the second page is empty: the listing ends there.
// Read one at a time, no page follows it; four at a time, the three
// requested with it are cancelled, and none after them is requested.
func TestListAllStopsAtTheFirstEmptyPage(t *testing.T) {
	t.Run("one at a time", func(t *testing.T) {
		fakeServer, c := newClient(t)
		server := &pagedServer{total: 100, honourLimit: true, honourOffset: true, count: 1000}
		server.register(t, fakeServer)
		l := listAll(t, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 1})
		checkSame(t, wantIDs(100), shareIDs(l.Shares))
		checkSame(t, []string{"limit=100", "count:", "limit=100&offset=100"}, server.queries())
	})
	t.Run("four at a time", func(t *testing.T) {
		fakeServer, c := newClient(t)
		hold, cancelled := holdTheWindow(3)
		server := &pagedServer{total: 100, honourLimit: true, honourOffset: true, count: 1000, beforePage: hold}
		server.register(t, fakeServer)

		ctx := watchdog(t)
		l, err := sharing.ListAll(ctx, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 4})
		th.AssertNoErr(t, err)
		th.AssertNoErr(t, ctx.Err())
		checkSame(t, wantIDs(100), shareIDs(l.Shares))
		checkSame(t, []int{0, 100, 200, 300, 400}, sorted(server.offsets()))
		checkSame(t, []int{200, 300, 400}, receive(cancelled, 3))
	})
}

// A count of 2^31 plans nothing: the pages are read one at a time until
// one is short, or brings nothing new.
func TestListAllDoesNotBelieveAnAbsurdCount(t *testing.T) {
	const absurd = math.MaxInt32 + 1
	for _, tc := range []struct {
		name         string
		honourOffset bool
		listed       int
		pages        []string
	}{
		{"a short page", true, 250, []string{"limit=100", "limit=100&offset=100", "limit=100&offset=200"}},
		{"nothing new", false, 100, []string{"limit=100", "limit=100&offset=100"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeServer, c := newClient(t)
			server := &pagedServer{total: 250, honourLimit: true, honourOffset: tc.honourOffset, count: absurd}
			server.register(t, fakeServer)

			l := listAll(t, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 8})
			checkSame(t, wantIDs(tc.listed), shareIDs(l.Shares))
			checkSame(t, tc.pages, server.pageQueries())
			th.CheckEquals(t, absurd, l.Count)
			th.CheckEquals(t, -1, l.Expected)
		})
	}
}

// A server that ignores to_project_id in the listing but honours it in the
// count: the count (2) is short of what the pages bring, and the listing
// reads on to the end instead of stopping at it.
func TestListAllReadsPastACountThatHonoursAnIgnoredFilter(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 250, honourLimit: true, honourOffset: true, count: 2, to: func(i int) string {
		if i%100 == 7 {
			return toProject2
		}
		return toProject1
	}}
	server.register(t, fakeServer)

	l := listAll(t, c, sharing.ListOpts{ToProjectID: toProject2})
	checkSame(t, []string{"share-0007", "share-0107", "share-0207"}, shareIDs(l.Shares))
	th.CheckEquals(t, 247, l.Dropped)
	th.CheckEquals(t, 2, l.Expected)
	checkSame(t, []int{0, 100, 200}, sorted(server.offsets()))
}

// Each page is answered only once the one before it has been handed over,
// and the count only once the first page has: a listing that collected
// before handing over, or waited for the count, would hang.
func TestListEachHandsOverEachPageAsItArrives(t *testing.T) {
	fakeServer, c := newClient(t)
	const pages = 5
	handed := make([]chan struct{}, pages)
	for i := range handed {
		handed[i] = make(chan struct{})
	}
	wait := func(r *http.Request, page int) {
		select {
		case <-handed[page]:
		case <-r.Context().Done():
		}
	}
	server := &pagedServer{total: pages * 100, honourLimit: true, honourOffset: true,
		beforeCount: func(r *http.Request) { wait(r, 0) },
		beforePage:  func(r *http.Request) { wait(r, offsetOf(r)/100-1) },
	}
	server.register(t, fakeServer)

	ctx := watchdog(t)
	var got [][]string
	l, err := sharing.ListEach(ctx, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 4}, func(page []sharing.Share) bool {
		got = append(got, shareIDs(page))
		if n := len(got); n <= pages {
			close(handed[n-1])
		}
		return true
	})
	th.AssertNoErr(t, err)
	th.AssertNoErr(t, ctx.Err())
	all := wantIDs(pages * 100)
	var want [][]string
	for i := range pages {
		want = append(want, all[i*100:(i+1)*100])
	}
	checkSame(t, want, got)
	th.CheckEquals(t, pages*100, l.Listed)
	th.CheckEquals(t, pages*100, l.Expected)
	th.CheckTrue(t, l.Shares == nil)
}

// Max counts the sharings that match: with every third one matching, pages
// of two and Max 3, the fourth page reaches it, and no page after it is
// requested although eight may be in flight.
func TestListEachMaxCountsMatchesOnly(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 20, honourLimit: true, honourOffset: true, to: func(i int) string {
		if i%3 == 0 {
			return toProject2
		}
		return toProject1
	}}
	server.register(t, fakeServer)

	var got [][]string
	l, err := sharing.ListEach(context.Background(), c, sharing.ListOpts{Limit: 2, ToProjectID: toProject2},
		sharing.ListAllOpts{Concurrency: 8, Max: 3}, func(page []sharing.Share) bool {
			got = append(got, shareIDs(page))
			return true
		})
	th.AssertNoErr(t, err)
	// The third page (4 and 5) leaves nothing, so it is not handed over.
	checkSame(t, [][]string{{"share-0000"}, {"share-0003"}, {"share-0006"}}, got)
	th.CheckEquals(t, 3, l.Listed)
	th.CheckEquals(t, 4, l.Dropped)
	checkSame(t, []int{0, 2, 4, 6}, sorted(server.offsets()))
}

// each returning false ends the listing at once: no error, each not called
// again, the three pages in flight cancelled.
func TestListEachStopsWhenTheCallbackSaysSo(t *testing.T) {
	fakeServer, c := newClient(t)
	hold, cancelled := holdTheWindow(3)
	server := &pagedServer{total: 1000, honourLimit: true, honourOffset: true, beforePage: hold}
	server.register(t, fakeServer)

	ctx := watchdog(t)
	calls := 0
	l, err := sharing.ListEach(ctx, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 4}, func([]sharing.Share) bool {
		calls++
		return calls < 2
	})
	th.AssertNoErr(t, err)
	th.AssertNoErr(t, ctx.Err())
	th.CheckEquals(t, 2, calls)
	th.CheckEquals(t, 200, l.Listed)
	checkSame(t, []int{0, 100, 200, 300, 400}, sorted(server.offsets()))
	checkSame(t, []int{200, 300, 400}, receive(cancelled, 3))
}

// Stopped on the first page, the listing does not wait for a count held
// until it is cancelled.
func TestListEachStopsOnTheFirstPage(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 250, honourLimit: true, honourOffset: true,
		beforeCount: func(r *http.Request) { <-r.Context().Done() }}
	server.register(t, fakeServer)

	ctx := watchdog(t)
	l, err := sharing.ListEach(ctx, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 8}, func([]sharing.Share) bool { return false })
	th.AssertNoErr(t, err)
	th.AssertNoErr(t, ctx.Err())
	th.CheckEquals(t, 100, l.Listed)
	checkSame(t, []string{"limit=100"}, server.pageQueries())
	th.CheckEquals(t, -1, l.Expected)
	th.CheckTrue(t, l.CountErr != nil)
}

// A count too high by 5,000, from a server whose pages hold 1 or 2
// sharings: the listing stops at the first empty page, with at most one
// window of requests (the concurrency) beyond the last real page, and
// holds only what arrived. 7 sharings are listed either way.
func TestListAllStopsPastACountFarTooHigh(t *testing.T) {
	const total, concurrency = 7, 8
	for _, pageSize := range []int{1, 2} {
		t.Run(fmt.Sprintf("pages of %d", pageSize), func(t *testing.T) {
			fakeServer, c := newClient(t)
			server := &pagedServer{total: total, honourLimit: true, honourOffset: true, maxPage: pageSize, count: total + 5000}
			server.register(t, fakeServer)
			l := listAll(t, c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: concurrency})
			checkSame(t, wantIDs(total), shareIDs(l.Shares))
			realPages := (total + pageSize - 1) / pageSize
			if pages := len(server.pageQueries()); pages > realPages+concurrency {
				t.Errorf("%d page requests for %d real pages, want at most one window (%d) beyond them", pages, realPages, concurrency)
			}
			th.CheckEquals(t, total+5000, l.Count)
		})
	}
}

// A count of 2^40 is not believed: the listing neither plans nor sizes
// anything by it and ends at the first short page.
func TestListAllIgnoresACountOfTwoToTheForty(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 250, honourLimit: true, honourOffset: true, count: 1 << 40}
	server.register(t, fakeServer)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	l, err := sharing.ListAll(watchdog(t), c, sharing.ListOpts{}, sharing.ListAllOpts{Concurrency: 8})
	runtime.ReadMemStats(&after)
	th.AssertNoErr(t, err)
	checkSame(t, wantIDs(250), shareIDs(l.Shares))
	th.CheckEquals(t, -1, l.Expected)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
		t.Errorf("the listing allocated %d MiB", grown>>20)
	}
}

// A server that keeps returning new sharings ends the listing with an
// error naming the cap once it passes ListAllOpts.MaxReceived.
func TestListAllCapsWhatItReceives(t *testing.T) {
	fakeServer, c := newClient(t)
	server := &pagedServer{total: 500, honourLimit: true, honourOffset: true, count: -1}
	server.register(t, fakeServer)
	_, err := sharing.ListAll(watchdog(t), c, sharing.ListOpts{Limit: 50}, sharing.ListAllOpts{Concurrency: 8, MaxReceived: 120})
	if err == nil || !strings.Contains(err.Error(), "more than 120 sharings") {
		t.Fatalf("err = %v, want the cap of 120 named", err)
	}
	if pages := len(server.pageQueries()); pages != 3 {
		t.Errorf("%d pages read, want 3: the one that passed the cap ends the listing", pages)
	}
}
