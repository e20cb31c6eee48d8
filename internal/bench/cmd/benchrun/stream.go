package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// streamLimits are the list block's limits of the stream scenario: every
// sharing of the cloud (0 stands for -query-sharings), and one page.
var streamLimits = []int{0, 100}

// streamScenario runs `terraform query` with -query-terraform over each
// -query-sharings count of sharings, include_resource = true, once with a limit
// that takes every sharing and once with limit = 100, in every round for
// every build. A list resource that streams holds about a page whatever the
// limit, so its peak RSS should not grow with the listing; one that
// collects holds every result.
func (r *runner) streamScenario() error {
	for _, n := range r.cfg.querySharings {
		if err := r.stream(n); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) stream(n int) error {
	lat := r.cfg.queryLatency
	srv, bs, restore, err := r.queryBuilds(n)
	if err != nil || len(bs) == 0 {
		return err
	}
	defer restore()
	defer srv.Close()
	limits := make([]int, len(streamLimits))
	dirs := make([][]string, len(streamLimits))
	for i, limit := range streamLimits {
		if limits[i] = limit; limit == 0 {
			limits[i] = n
		}
		if dirs[i], err = configs(bs, "stream-"+strconv.Itoa(n)+"-"+strconv.Itoa(limits[i]), bench.ProviderBlock(srv)); err != nil {
			return err
		}
		for _, dir := range dirs[i] {
			if err := os.WriteFile(filepath.Join(dir, bench.QueryFileName), []byte(bench.QueryFile(limits[i])), 0o644); err != nil {
				return err
			}
		}
	}
	srv.SetLatency(lat)
	args := []string{"query", "-no-color"}
	runs := make([]measured, len(limits))
	logf("stream: %d sharings, latency=%s, limits %v", n, lat, limits)
	for i := 0; i < r.cfg.runs; i++ {
		for l := range limits {
			if err := r.round([]*measured{&runs[l]}, bs, srv, dirs[l], floorDirs{}, [][]string{args}, i); err != nil {
				return err
			}
		}
	}

	fmt.Fprintf(r.cfg.out, "\n### `terraform query` of %d sharings, `include_resource = true`, by `limit` (latency %s)\n\n"+
		"One provider process per query; medians of %d rounds, the limits and builds alternating.\n\n"+r.buildHead()+
		"| limit | wall | token | list pages | count | provider peak RSS: median | largest | provider CPU | terraform CPU |\n"+
		r.buildSep()+"|---|---|---|---|---|---|---|---|---|\n", n, fmtLat(lat), r.cfg.runs)
	var groups [][]Result
	for l, limit := range limits {
		wantPages := pages(limit)
		group := summarise(Result{Scenario: "stream", N: limit, Sharings: n, LatencyMS: ms(lat),
			Expected: fmt.Sprintf("token=1 list_page=%d count=1", wantPages)}, bs, runs[l])
		for i := range group {
			res := &group[i]
			c := res.Counts
			ok := c[fakecloud.KindToken] == 1 && c[fakecloud.KindListPage] == int64(wantPages) && c[fakecloud.KindCount] == 1 &&
				c[fakecloud.KindSharingGet] == 0 && !res.CountsVary
			res.OK = &ok
			fmt.Fprintf(r.cfg.out, "%s| %d | %s | %d | %d | %d | %s | %s | %s | %s |\n", r.buildCol(bs[i]), limit,
				fmtMS(res.WallMedianMS), c[fakecloud.KindToken], c[fakecloud.KindListPage], c[fakecloud.KindCount],
				fmtRSS(res.PeakRSSMedianKiB), fmtRSS(res.PeakRSSKiB), fmtMS(res.ProviderCPUMedianMS), fmtMS(res.TerraformCPUMedianMS))
		}
		r.results = append(r.results, group...)
		groups = append(groups, group)
	}
	r.sideBySide(fmt.Sprintf("terraform query of %d sharings by limit (latency %s)", n, fmtLat(lat)), bs, groups,
		[]string{"limit"}, func(res Result) []string { return []string{strconv.Itoa(res.N)} })
	return nil
}
