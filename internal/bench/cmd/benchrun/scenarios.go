package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// schemaScenario always runs once per build, because the other scenarios
// need to know which object types each build has; with "schema" selected
// it is timed -runs times.
func (r *runner) schemaScenario() error {
	srv, err := bench.Start(bench.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	runs := 1
	if r.cfg.scenarios["schema"] {
		runs = r.cfg.runs
		fmt.Fprintf(r.cfg.out, "\n### `terraform providers schema -json`\n\n%s| runs | wall (median) | provider processes | provider peak RSS |\n%s|---|---|---|---|\n",
			r.buildHead(), r.buildSep())
	}
	for _, b := range r.builds {
		dir, err := b.ws.Config("schema", bench.ProviderBlock(srv))
		if err != nil {
			return err
		}
		res := Result{Build: b.label, Scenario: "schema", Runs: runs}
		var walls []time.Duration
		for i := 0; i < runs; i++ {
			s, run, err := b.ws.ProviderSchema(r.ctx, dir)
			if err != nil {
				return fmt.Errorf("build %s: %w", b.label, err)
			}
			b.schema = &s
			walls = append(walls, run.Wall)
			res.ProviderProcesses = len(run.Providers)
			res.PeakRSSKiB = max(res.PeakRSSKiB, run.PeakRSSKiB())
		}
		res.WallMS, res.WallMedianMS = msList(walls), ms(bench.Median(walls))
		if r.cfg.scenarios["schema"] {
			r.results = append(r.results, res)
			fmt.Fprintf(r.cfg.out, "%s| %d | %s | %d | %s |\n", r.buildCol(b), runs, fmtMS(res.WallMedianMS), res.ProviderProcesses, fmtRSS(res.PeakRSSKiB))
		}
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
	bs := r.having("plan", "vbs_backup_sharing data source", func(s *bench.Schema) bool { return s.DataSources["vbs_backup_sharing"] })
	if len(bs) == 0 {
		return nil
	}
	fmt.Fprint(r.cfg.out, "\n### `terraform plan` of N `vbs_backup_sharing` data sources\n\n"+
		floorLegend+r.buildHead()+
		"| N | latency | P | wall | TF floor | plugin floor | net floor | excess over TF+net | excess over plugin+net | token | sharing GET | other | connections | max in flight | provider procs | provider peak RSS | provider CPU | terraform CPU | TF floor CPU |\n"+
		r.buildSep()+"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var groups [][]Result
	for _, n := range r.cfg.ns {
		srv, err := bench.Start(bench.Options{Sharings: n})
		if err != nil {
			return err
		}
		dirs, err := configs(bs, fmt.Sprintf("plan-%d", n), bench.DataSourceConfig(srv, srv.SharingIDs()))
		if err == nil {
			var floors floorDirs
			if floors, err = r.floorConfigs(fmt.Sprintf("plan-%d", n), n); err == nil {
				var g [][]Result
				g, err = r.planN(bs, srv, n, dirs, floors)
				groups = append(groups, g...)
			}
		}
		srv.Close()
		if err != nil {
			return err
		}
	}
	r.sideBySide("`terraform plan` of N `vbs_backup_sharing` data sources", bs, groups,
		[]string{"N", "latency", "P"}, func(res Result) []string {
			return []string{strconv.Itoa(res.N), fmtLat(time.Duration(res.LatencyMS * float64(time.Millisecond))), strconv.Itoa(res.Parallelism)}
		})
	return nil
}

func (r *runner) planN(bs []*build, srv *fakecloud.Cloud, n int, dirs []string, floors floorDirs) ([][]Result, error) {
	var groups [][]Result
	for _, lat := range r.cfg.latencies {
		srv.SetLatency(lat)
		for _, p := range r.cfg.parallelisms {
			logf("plan: N=%d latency=%s P=%d", n, lat, p)
			m, err := r.repeat(bs, srv, dirs, floors, planArgs(p))
			if err != nil {
				return nil, err
			}
			row := Result{Scenario: "plan", N: n, Sharings: n, LatencyMS: ms(lat), Parallelism: p,
				NetworkFloorMS: ms(time.Duration(ceilDiv(n, p)) * lat), Expected: fmt.Sprintf("token=1 sharing_get=%d", n)}
			group := summarise(row, bs, m)
			for i := range group {
				res := &group[i]
				ok := res.Counts[fakecloud.KindToken] == 1 && res.Counts[fakecloud.KindSharingGet] == int64(n) && !res.CountsVary
				res.OK = &ok
				c := res.Counts
				fmt.Fprintf(r.cfg.out, "%s| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %s | %s | %s | %s |\n",
					r.buildCol(bs[i]), n, fmtLat(lat), p, fmtMS(res.WallMedianMS), fmtMS(res.FloorMedianMS), fmtFloor(res.PluginFloorMedianMS), fmtMS(res.NetworkFloorMS),
					excess(res.WallMedianMS, res.FloorMedianMS+res.NetworkFloorMS),
					excessOver(res.WallMedianMS, res.PluginFloorMedianMS, res.NetworkFloorMS),
					mark(c[fakecloud.KindToken], 1, res.CountsVary), mark(c[fakecloud.KindSharingGet], int64(n), res.CountsVary),
					c[fakecloud.CountRequests]-c[fakecloud.KindToken]-c[fakecloud.KindSharingGet],
					c[fakecloud.CountConnections], c[fakecloud.CountMaxInFlight], res.ProviderProcesses, fmtRSS(res.PeakRSSKiB),
					fmtMS(res.ProviderCPUMedianMS), fmtMS(res.TerraformCPUMedianMS), fmtMS(res.FloorCPUMedianMS))
			}
			r.results = append(r.results, group...)
			groups = append(groups, group)
		}
	}
	return groups, nil
}

// dedupScenario checks, once per N and without timing, that repeated reads
// cost one request each: N data sources over ceil(N/4) distinct sharings.
func (r *runner) dedupScenario() error {
	bs := r.having("dedup", "vbs_backup_sharing data source", func(s *bench.Schema) bool { return s.DataSources["vbs_backup_sharing"] })
	if len(bs) == 0 {
		return nil
	}
	fmt.Fprint(r.cfg.out, "\n### Identical reads in one plan (N data sources over ceil(N/4) distinct sharings, latency 0, P=10, one run)\n\n"+
		r.buildHead()+"| N | distinct | token | sharing GET | expected GET | ok |\n"+r.buildSep()+"|---|---|---|---|---|---|\n")
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
		dirs, err := configs(bs, fmt.Sprintf("dedup-%d", n), bench.DataSourceConfig(srv, ids))
		for i := 0; err == nil && i < len(bs); i++ {
			logf("dedup: %s N=%d distinct=%d", bs[i].label, n, distinct)
			srv.ResetCounts()
			if _, err = bs[i].ws.Terraform(r.ctx, dirs[i], planArgs(10)...); err != nil {
				break
			}
			c := srv.Counts()
			ok := c[fakecloud.KindToken] == 1 && c[fakecloud.KindSharingGet] == int64(distinct)
			r.results = append(r.results, Result{Build: bs[i].label, Scenario: "dedup", N: n, Sharings: distinct, Parallelism: 10, Runs: 1,
				Counts: c, Expected: fmt.Sprintf("token=1 sharing_get=%d", distinct), OK: &ok})
			fmt.Fprintf(r.cfg.out, "%s| %d | %d | %d | %d | %d | %s |\n", r.buildCol(bs[i]), n, distinct, c[fakecloud.KindToken], c[fakecloud.KindSharingGet], distinct, yes(ok))
		}
		srv.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// listScenario reads -list-sharings sharings through one vbs_backup_sharings
// data source (every page), a tenth of them through a filter, and the same
// filtered listing three times over, which must cost one listing.
// The provider lists the first page of 100 and the count together, then
// the other pages, 8 at a time, none past the count: the data source and
// the list resource alike. So k sharings cost ceil(k/100) pages (at least
// one) and one count, and the round trips one after another are the token,
// the first page (with the count beside it) and ceil((pages-1)/8) rounds
// of pages.
const pageSize, pageConcurrency = 100, 8

func pages(k int) int { return max(1, (k+pageSize-1)/pageSize) }

func roundTrips(k int) int { return 2 + (pages(k)-1+pageConcurrency-1)/pageConcurrency }

func (r *runner) listScenario() error {
	bs := r.having("list", "vbs_backup_sharings data source", func(s *bench.Schema) bool { return s.DataSources["vbs_backup_sharings"] })
	if len(bs) == 0 {
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
	counts := func(int) int { return 1 }
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
		"then the other pages 8 at a time.\n\n"+r.buildHead()+
		"| listing | latency | sharings listed | wall | TF floor | plugin floor | net floor | excess over plugin+net | token | list pages | count | expected pages + count | provider peak RSS | provider CPU | terraform CPU |\n"+
		r.buildSep()+"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", total, p)
	var groups [][]Result
	for vi, v := range variants {
		dirs, err := configs(bs, fmt.Sprintf("list-%d", vi), bench.ListConfig(srv, v.copies, v.filters))
		if err != nil {
			return err
		}
		for _, lat := range r.cfg.latencies {
			srv.SetLatency(lat)
			logf("list %s: latency=%s", v.name, lat)
			m, err := r.repeat(bs, srv, dirs, floors, planArgs(p))
			if err != nil {
				return err
			}
			want, wantCount := pages(v.matches), counts(v.matches)
			group := summarise(Result{Scenario: "list", Variant: v.name, N: v.copies, Sharings: total, LatencyMS: ms(lat), Parallelism: p,
				NetworkFloorMS: ms(time.Duration(roundTrips(v.matches)) * lat),
				Expected:       fmt.Sprintf("token=1 list_page=%d count=%d", want, wantCount)}, bs, m)
			for i := range group {
				res := &group[i]
				ok := res.Counts[fakecloud.KindToken] == 1 && res.Counts[fakecloud.KindListPage] == int64(want) &&
					res.Counts[fakecloud.KindCount] == int64(wantCount) && !res.CountsVary
				res.OK = &ok
				fmt.Fprintf(r.cfg.out, "%s| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d + %d | %s | %s | %s |\n",
					r.buildCol(bs[i]), v.name, fmtLat(lat), v.matches, fmtMS(res.WallMedianMS), fmtMS(res.FloorMedianMS), fmtFloor(res.PluginFloorMedianMS),
					fmtMS(res.NetworkFloorMS), excessOver(res.WallMedianMS, res.PluginFloorMedianMS, res.NetworkFloorMS),
					mark(res.Counts[fakecloud.KindToken], 1, res.CountsVary), mark(res.Counts[fakecloud.KindListPage], int64(want), res.CountsVary),
					mark(res.Counts[fakecloud.KindCount], int64(wantCount), res.CountsVary),
					want, wantCount, fmtRSS(res.PeakRSSKiB), fmtMS(res.ProviderCPUMedianMS), fmtMS(res.TerraformCPUMedianMS))
			}
			r.results = append(r.results, group...)
			groups = append(groups, group)
		}
	}
	r.sideBySide(fmt.Sprintf("`vbs_backup_sharings` over %d sharings (P=%d)", total, p), bs, groups,
		[]string{"listing", "latency"}, func(res Result) []string {
			return []string{res.Variant, fmtLat(time.Duration(res.LatencyMS * float64(time.Millisecond)))}
		})
	return nil
}
