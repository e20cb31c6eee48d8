package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// schemaScenario always runs once, because the other scenarios need to
// know which object types the provider has; with "schema" selected it is
// timed -runs times.
func (r *runner) schemaScenario() error {
	srv, err := bench.Start(bench.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	dir, err := r.ws.Config("schema", bench.ProviderBlock(srv))
	if err != nil {
		return err
	}
	runs := 1
	if r.cfg.scenarios["schema"] {
		runs = r.cfg.runs
	}
	res := Result{Scenario: "schema", Runs: runs}
	var walls []time.Duration
	for i := 0; i < runs; i++ {
		s, run, err := r.ws.ProviderSchema(r.ctx, dir)
		if err != nil {
			return err
		}
		r.schema = &s
		walls = append(walls, run.Wall)
		res.ProviderProcesses = len(run.Providers)
		res.PeakRSSKiB = max(res.PeakRSSKiB, run.PeakRSSKiB())
	}
	res.WallMS, res.WallMedianMS = msList(walls), ms(bench.Median(walls))
	if r.cfg.scenarios["schema"] {
		r.results = append(r.results, res)
		fmt.Fprintf(r.cfg.out, "\n### `terraform providers schema -json`\n\n| runs | wall (median) | provider processes | provider peak RSS |\n|---|---|---|---|\n| %d | %s | %d | %s |\n",
			runs, fmtMS(res.WallMedianMS), res.ProviderProcesses, fmtRSS(res.PeakRSSKiB))
	}
	return nil
}

const floorLegend = "Floors, measured in the same run: *TF* is the same plan with N `terraform_data` resources in place of the " +
	"data sources (the issue's definition; Terraform then starts the provider once, for its schema); *plugin* adds one " +
	"`vbs_backup_sharing` read from a zero-latency server, so Terraform also starts and configures the provider for the " +
	"validate and plan walks as in the measured run; *net* is ceil(N/P) × latency. *excess* is wall ÷ (floor + net) − 1.\n\n"

func planArgs(p int) []string {
	return []string{"plan", "-refresh=true", "-input=false", "-lock=false", "-no-color", "-parallelism=" + strconv.Itoa(p)}
}

func (r *runner) planScenario() error {
	if !r.schema.DataSources["vbs_backup_sharing"] {
		r.skip("plan", "vbs_backup_sharing data source")
		return nil
	}
	fmt.Fprint(r.cfg.out, "\n### `terraform plan` of N `vbs_backup_sharing` data sources\n\n"+
		floorLegend+
		"| N | latency | P | wall | TF floor | plugin floor | net floor | excess over TF+net | excess over plugin+net | token | sharing GET | other | connections | max in flight | provider procs | provider peak RSS | provider CPU | terraform CPU | TF floor CPU |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, n := range r.cfg.ns {
		srv, err := bench.Start(bench.Options{Sharings: n})
		if err != nil {
			return err
		}
		dir, err := r.ws.Config(fmt.Sprintf("plan-%d", n), bench.DataSourceConfig(srv, srv.SharingIDs()))
		if err == nil {
			var floors floorDirs
			if floors, err = r.floorConfigs(fmt.Sprintf("plan-%d", n), n); err == nil {
				err = r.planN(srv, n, dir, floors)
			}
		}
		srv.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) planN(srv *fakecloud.Cloud, n int, dir string, floors floorDirs) error {
	for _, lat := range r.cfg.latencies {
		srv.SetLatency(lat)
		for _, p := range r.cfg.parallelisms {
			logf("plan: N=%d latency=%s P=%d", n, lat, p)
			m, err := r.repeat(srv, dir, floors, planArgs(p))
			if err != nil {
				return err
			}
			res := Result{Scenario: "plan", N: n, Sharings: n, LatencyMS: ms(lat), Parallelism: p}
			summarise(&res, m)
			res.NetworkFloorMS = ms(time.Duration(ceilDiv(n, p)) * lat)
			res.Expected = fmt.Sprintf("token=1 sharing_get=%d", n)
			ok := res.Counts[fakecloud.KindToken] == 1 && res.Counts[fakecloud.KindSharingGet] == int64(n) && !res.CountsVary
			res.OK = &ok
			r.results = append(r.results, res)
			c := res.Counts
			fmt.Fprintf(r.cfg.out, "| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %s | %s | %s | %s |\n",
				n, fmtLat(lat), p, fmtMS(res.WallMedianMS), fmtMS(res.FloorMedianMS), fmtMS(res.PluginFloorMedianMS), fmtMS(res.NetworkFloorMS),
				excess(res.WallMedianMS, res.FloorMedianMS+res.NetworkFloorMS),
				excess(res.WallMedianMS, res.PluginFloorMedianMS+res.NetworkFloorMS),
				mark(c[fakecloud.KindToken], 1, res.CountsVary), mark(c[fakecloud.KindSharingGet], int64(n), res.CountsVary),
				c[fakecloud.CountRequests]-c[fakecloud.KindToken]-c[fakecloud.KindSharingGet],
				c[fakecloud.CountConnections], c[fakecloud.CountMaxInFlight], res.ProviderProcesses, fmtRSS(res.PeakRSSKiB),
				fmtMS(res.ProviderCPUMedianMS), fmtMS(res.TerraformCPUMedianMS), fmtMS(res.FloorCPUMedianMS))
		}
	}
	return nil
}

// dedupScenario checks, once per N and without timing, that repeated reads
// cost one request each: N data sources over ceil(N/4) distinct sharings.
func (r *runner) dedupScenario() error {
	if !r.schema.DataSources["vbs_backup_sharing"] {
		r.skip("dedup", "vbs_backup_sharing data source")
		return nil
	}
	fmt.Fprint(r.cfg.out, "\n### Identical reads in one plan (N data sources over ceil(N/4) distinct sharings, latency 0, P=10, one run)\n\n"+
		"| N | distinct | token | sharing GET | expected GET | ok |\n|---|---|---|---|---|---|\n")
	for _, n := range r.cfg.ns {
		distinct := ceilDiv(n, 4)
		srv, err := bench.Start(bench.Options{Sharings: distinct})
		if err != nil {
			return err
		}
		all := srv.SharingIDs()
		ids := make([]string, n)
		for i := range ids {
			ids[i] = all[i%distinct]
		}
		dir, err := r.ws.Config(fmt.Sprintf("dedup-%d", n), bench.DataSourceConfig(srv, ids))
		if err != nil {
			srv.Close()
			return err
		}
		logf("dedup: N=%d distinct=%d", n, distinct)
		_, err = r.ws.Terraform(r.ctx, dir, planArgs(10)...)
		c := srv.Counts()
		srv.Close()
		if err != nil {
			return err
		}
		ok := c[fakecloud.KindToken] == 1 && c[fakecloud.KindSharingGet] == int64(distinct)
		r.results = append(r.results, Result{Scenario: "dedup", N: n, Sharings: distinct, Parallelism: 10, Runs: 1,
			Counts: c, Expected: fmt.Sprintf("token=1 sharing_get=%d", distinct), OK: &ok})
		fmt.Fprintf(r.cfg.out, "| %d | %d | %d | %d | %d | %s |\n", n, distinct, c[fakecloud.KindToken], c[fakecloud.KindSharingGet], distinct, yes(ok))
	}
	return nil
}

// listScenario reads -list-sharings sharings through one vbs_backup_sharings
// data source (every page), a tenth of them through a filter, and the same
// filtered listing three times over, which must cost one listing.
func (r *runner) listScenario() error {
	if !r.schema.DataSources["vbs_backup_sharings"] {
		r.skip("list", "vbs_backup_sharings data source")
		return nil
	}
	total := r.cfg.listSharings
	srv, err := bench.Start(bench.Options{Sharings: total})
	if err != nil {
		return err
	}
	defer srv.Close()
	filtered := map[string]string{"to_project_id": strconv.Quote(fakecloud.TargetProject(3))}
	tenth := 0
	for i := 0; i < total; i++ {
		if i%10 == 3 {
			tenth++
		}
	}
	// The provider lists with sharing.ListAll: the first page of 100 and the
	// count together, then the other pages, 8 at a time. So k sharings cost
	// ceil(k/100) pages (at least one) and one count, and the round trips
	// one after another are the token, the first page (with the count
	// beside it) and ceil((pages-1)/8) rounds of pages.
	const pageSize, pageConcurrency = 100, 8
	pages := func(k int) int { return max(1, (k+pageSize-1)/pageSize) }
	counts := func(int) int { return 1 }
	roundTrips := func(k int) int { return 2 + (pages(k)-1+pageConcurrency-1)/pageConcurrency }
	variants := []struct {
		name    string
		copies  int
		filters map[string]string
		matches int
	}{
		{"all", 1, nil, total},
		{"to_project_id", 1, filtered, tenth},
		{"to_project_id ×3 (identical)", 3, filtered, tenth},
	}
	floors, err := r.floorConfigs("list", 1)
	if err != nil {
		return err
	}
	p := r.cfg.parallelisms[0]
	fmt.Fprintf(r.cfg.out, "\n### `vbs_backup_sharings` over %d sharings (P=%d)\n\n"+
		"Floors: *TF* is a plan of one `terraform_data`, *plugin* adds one zero-latency `vbs_backup_sharing`; "+
		"*net* is the round trips one after another × latency: the token, the first page with the count beside it, "+
		"then the other pages 8 at a time.\n\n"+
		"| listing | latency | sharings listed | wall | TF floor | plugin floor | net floor | excess over plugin+net | token | list pages | count | expected pages + count | provider peak RSS | provider CPU | terraform CPU |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", total, p)
	for vi, v := range variants {
		dir, err := r.ws.Config(fmt.Sprintf("list-%d", vi), bench.ListConfig(srv, v.copies, v.filters))
		if err != nil {
			return err
		}
		for _, lat := range r.cfg.latencies {
			srv.SetLatency(lat)
			logf("list %s: latency=%s", v.name, lat)
			m, err := r.repeat(srv, dir, floors, planArgs(p))
			if err != nil {
				return err
			}
			res := Result{Scenario: "list", Variant: v.name, N: v.copies, Sharings: total, LatencyMS: ms(lat), Parallelism: p}
			summarise(&res, m)
			want, wantCount := pages(v.matches), counts(v.matches)
			res.NetworkFloorMS = ms(time.Duration(roundTrips(v.matches)) * lat)
			res.Expected = fmt.Sprintf("token=1 list_page=%d count=%d", want, wantCount)
			ok := res.Counts[fakecloud.KindToken] == 1 && res.Counts[fakecloud.KindListPage] == int64(want) &&
				res.Counts[fakecloud.KindCount] == int64(wantCount) && !res.CountsVary
			res.OK = &ok
			r.results = append(r.results, res)
			fmt.Fprintf(r.cfg.out, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d + %d | %s | %s | %s |\n",
				v.name, fmtLat(lat), v.matches, fmtMS(res.WallMedianMS), fmtMS(res.FloorMedianMS), fmtMS(res.PluginFloorMedianMS),
				fmtMS(res.NetworkFloorMS), excess(res.WallMedianMS, res.PluginFloorMedianMS+res.NetworkFloorMS),
				mark(res.Counts[fakecloud.KindToken], 1, res.CountsVary), mark(res.Counts[fakecloud.KindListPage], int64(want), res.CountsVary),
				mark(res.Counts[fakecloud.KindCount], int64(wantCount), res.CountsVary),
				want, wantCount, fmtRSS(res.PeakRSSKiB), fmtMS(res.ProviderCPUMedianMS), fmtMS(res.TerraformCPUMedianMS))
		}
	}
	return nil
}
