package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// generatedFile is where `terraform query -generate-config-out` writes the
// resources and import blocks.
const generatedFile = "generated.tf"

// queryScenario adopts existing sharings as the guide does, at each
// -query-sharings N: `terraform query -generate-config-out` with a list
// block that includes the resources, the `terraform apply` that imports
// them, then the `terraform plan` that refreshes them all and plans
// nothing. All three run with -query-terraform, 1.14 or later. The query
// has no Terraform floor: nothing built in lists. The floor of the apply
// and the plan imports and refreshes as many terraform_data by ID
// (bench.ImportFloorConfig). Every round starts from no generated
// configuration and no state; the imports leave the cloud as it was.
func (r *runner) queryScenario() error {
	var breakdown [][]Result
	for _, n := range r.cfg.querySharings {
		groups, err := r.adopt(n)
		if err != nil {
			return err
		}
		breakdown = append(breakdown, groups...)
	}
	r.adoptionBreakdown(breakdown)
	return nil
}

// adoptSteps are the commands of an adoption, in order.
var adoptSteps = []string{"query", "import", "refresh"}

// adopt measures the adoption of n sharings and returns, per step, a
// result per build.
func (r *runner) adopt(n int) ([][]Result, error) {
	lat, p := r.cfg.queryLatency, r.cfg.queryParallelism
	srv, bs, restore, err := r.queryBuilds(n)
	if err != nil || len(bs) == 0 {
		return nil, err
	}
	defer restore()
	defer srv.Close()
	name := "query-" + strconv.Itoa(n)
	dirs, err := configs(bs, name, bench.ProviderBlock(srv))
	if err != nil {
		return nil, err
	}
	for _, dir := range dirs {
		if err := os.WriteFile(filepath.Join(dir, bench.QueryFileName), []byte(bench.QueryFile(n)), 0o644); err != nil {
			return nil, err
		}
	}
	floor, err := r.floorWS.Config(name+"-import-floor", bench.ImportFloorConfig(r.floorSrv, n))
	if err != nil {
		return nil, err
	}
	srv.SetLatency(lat)
	parallelism := "-parallelism=" + strconv.Itoa(p)
	args := map[string][]string{
		"query":   {"query", "-generate-config-out=" + generatedFile, "-no-color"},
		"import":  {"apply", "-auto-approve", "-input=false", "-lock=false", "-no-color", parallelism},
		"refresh": {"plan", "-input=false", "-lock=false", "-no-color", "-detailed-exitcode", parallelism},
	}
	steps := map[string]*measured{}
	for _, step := range adoptSteps {
		steps[step] = &measured{builds: make([]sample, len(bs))}
	}
	logf("query: %d sharings, latency=%s, apply and plan P=%d", n, lat, p)
	for i := 0; i < r.cfg.runs; i++ {
		for j := range bs {
			k := (i + j) % len(bs)
			if err := fresh(dirs[k]); err != nil {
				return nil, err
			}
			for _, step := range adoptSteps {
				srv.ResetCounts()
				run, err := bs[k].ws.Terraform(r.ctx, dirs[k], args[step]...)
				if err != nil {
					return nil, fmt.Errorf("build %s, %s: %w", bs[k].label, step, err)
				}
				counts := srv.Counts()
				s := &steps[step].builds[k]
				s.runs, s.counts = append(s.runs, run), append(s.counts, counts)
				logf("  round %d/%d, %s %s: %s, provider CPU %s; requests %v", i+1, r.cfg.runs, bs[k].label, step,
					run.Wall.Round(time.Millisecond), run.ProviderCPU().Round(time.Millisecond), compact(counts))
				if step == "query" {
					if err := checkGenerated(dirs[k], n); err != nil {
						return nil, fmt.Errorf("build %s: %w", bs[k].label, err)
					}
				}
			}
		}
		if err := fresh(floor); err != nil {
			return nil, err
		}
		for _, step := range adoptSteps[1:] {
			run, err := r.floorWS.Terraform(r.ctx, floor, args[step]...)
			if err != nil {
				return nil, fmt.Errorf("import floor, %s: %w", step, err)
			}
			steps[step].floors = append(steps[step].floors, run)
			logf("  round %d/%d, import floor %s: %s", i+1, r.cfg.runs, step, run.Wall.Round(time.Millisecond))
		}
	}

	wantPages := pages(n)
	fmt.Fprintf(r.cfg.out, "\n### Adopting %d sharings: `terraform query -generate-config-out`, the `terraform apply` that imports them, "+
		"the `terraform plan` that refreshes them (latency %s)\n\n"+
		"The query lists every sharing with `include_resource = true` and `limit = %d` (`%s`) and writes `%s`; the apply imports "+
		"them and the plan refreshes them at -parallelism=%d, and plans no change. No floor for the query: nothing built into "+
		"Terraform lists. The *TF floor* of the apply and the plan imports and refreshes %d `terraform_data` by ID, with the same "+
		"import blocks; their *net* is ceil(N/P) × latency, one read per sharing. The query's *net* is the token, the first page "+
		"with the count, then the other pages 8 at a time.\n\n"+r.buildHead()+
		"| step | wall | TF floor | net floor | excess over TF+net | token | list pages | count | sharing GET | other | provider procs | provider peak RSS | provider CPU | terraform CPU |\n"+
		r.buildSep()+"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
		n, fmtLat(lat), n, bench.QueryFileName, generatedFile, p, n)
	reads := func(c map[string]int64) bool {
		return c[fakecloud.KindToken] <= 2 && c[fakecloud.KindSharingGet] == int64(n) && c[fakecloud.KindListPage] == 0 &&
			c[fakecloud.KindCreate] == 0 && c[fakecloud.KindDelete] == 0
	}
	expect := map[string]struct {
		net      time.Duration
		expected string
		ok       func(map[string]int64) bool
	}{
		"query": {time.Duration(roundTrips(n)) * lat, fmt.Sprintf("token=1 list_page=%d count=1", wantPages), func(c map[string]int64) bool {
			return c[fakecloud.KindToken] == 1 && c[fakecloud.KindListPage] == int64(wantPages) && c[fakecloud.KindCount] == 1 &&
				c[fakecloud.KindSharingGet] == 0
		}},
		"import":  {time.Duration(ceilDiv(n, p)) * lat, fmt.Sprintf("token<=2 sharing_get=%d, no listing", n), reads},
		"refresh": {time.Duration(ceilDiv(n, p)) * lat, fmt.Sprintf("token<=2 sharing_get=%d, no listing", n), reads},
	}
	var groups [][]Result
	for _, step := range adoptSteps {
		e := expect[step]
		group := summarise(Result{Scenario: step, N: n, Sharings: n, LatencyMS: ms(lat), Parallelism: p,
			NetworkFloorMS: ms(e.net), Expected: e.expected}, bs, *steps[step])
		for i := range group {
			res := &group[i]
			ok := e.ok(res.Counts) && !res.CountsVary
			res.OK = &ok
			c := res.Counts
			other := c[fakecloud.CountRequests] - c[fakecloud.KindToken] - c[fakecloud.KindListPage] - c[fakecloud.KindCount] - c[fakecloud.KindSharingGet]
			fmt.Fprintf(r.cfg.out, "%s| %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n",
				r.buildCol(bs[i]), step, fmtMS(res.WallMedianMS), fmtFloor(res.FloorMedianMS), fmtMS(res.NetworkFloorMS), excessOverFloor(*res),
				c[fakecloud.KindToken], c[fakecloud.KindListPage], c[fakecloud.KindCount], c[fakecloud.KindSharingGet], other,
				res.ProviderProcesses, fmtRSS(res.PeakRSSKiB), fmtMS(res.ProviderCPUMedianMS), fmtMS(res.TerraformCPUMedianMS))
		}
		r.results = append(r.results, group...)
		groups = append(groups, group)
	}
	r.sideBySide(fmt.Sprintf("adopting %d sharings (latency %s, apply and plan P=%d)", n, fmtLat(lat), p), bs, groups,
		[]string{"step"}, func(res Result) []string { return []string{res.Scenario} })
	return groups, nil
}

// adoptionBreakdown prints, for every build and N, where an adoption's
// time goes: each step's wall, Terraform's CPU and the provider's, and the
// provider's CPU per sharing over the three steps. groups holds, per N,
// one group per step in adoptSteps' order, each a result per build.
func (r *runner) adoptionBreakdown(groups [][]Result) {
	if len(groups) == 0 {
		return
	}
	fmt.Fprintf(r.cfg.out, "\n### Adoption by N: where the time goes (latency %s, P=%d, medians of %d)\n\n"+
		"*TF CPU* is the Terraform CLI's own, *provider CPU* that of every provider process of the step; *per sharing* is the "+
		"provider CPU of query and import together ÷ N (what an adoption costs), then with the refresh, and *TF floor CPU* Terraform's own CPU importing and refreshing "+
		"N `terraform_data`.\n\n"+
		"| build | N | query wall | import wall | refresh wall | query TF CPU | import TF CPU | refresh TF CPU | TF floor CPU (import + refresh) | "+
		"query provider CPU | import provider CPU | refresh provider CPU | provider CPU per sharing | with the refresh |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", fmtLat(r.cfg.queryLatency), r.cfg.queryParallelism, r.cfg.runs)
	for b := range groups[0] {
		for i := 0; i+len(adoptSteps) <= len(groups); i += len(adoptSteps) {
			q, im, re := groups[i][b], groups[i+1][b], groups[i+2][b]
			adoption := (q.ProviderCPUMedianMS + im.ProviderCPUMedianMS) / float64(q.N)
			withRefresh := adoption + re.ProviderCPUMedianMS/float64(q.N)
			fmt.Fprintf(r.cfg.out, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f ms | %.2f ms |\n", q.Build, q.N,
				fmtMS(q.WallMedianMS), fmtMS(im.WallMedianMS), fmtMS(re.WallMedianMS),
				fmtMS(q.TerraformCPUMedianMS), fmtMS(im.TerraformCPUMedianMS), fmtMS(re.TerraformCPUMedianMS),
				fmtMS(im.FloorCPUMedianMS+re.FloorCPUMedianMS),
				fmtMS(q.ProviderCPUMedianMS), fmtMS(im.ProviderCPUMedianMS), fmtMS(re.ProviderCPUMedianMS), adoption, withRefresh)
		}
	}
}

// queryBuilds starts a cloud of n sharings and returns the builds whose
// list resource the query CLI lists, each switched to that CLI until
// restore; with no such build it returns none, and has closed the cloud.
func (r *runner) queryBuilds(n int) (srv *fakecloud.Cloud, bs []*build, restore func(), err error) {
	clis := make([]string, len(r.builds))
	for i, b := range r.builds {
		clis[i], b.ws.CLI = b.ws.CLI, r.cfg.queryTerraform
	}
	restore = func() {
		for i, b := range r.builds {
			b.ws.CLI = clis[i]
		}
	}
	if srv, err = bench.Start(bench.Options{Sharings: n}); err != nil {
		restore()
		return nil, nil, nil, err
	}
	// The schema as the query CLI asks it: older CLIs ask for no list
	// resources.
	for _, b := range r.builds {
		dir, err := b.ws.Config("query-schema", bench.ProviderBlock(srv))
		var s bench.Schema
		if err == nil {
			s, _, err = b.ws.ProviderSchema(r.ctx, dir)
		}
		if err != nil {
			srv.Close()
			restore()
			return nil, nil, nil, fmt.Errorf("build %s: %w", b.label, err)
		}
		if s.ListResources["vbs_backup_sharing"] {
			bs = append(bs, b)
		} else {
			r.skip("query", b, "vbs_backup_sharing list resource that the query CLI lists (terraform query needs Terraform 1.14)")
		}
	}
	if len(bs) == 0 {
		srv.Close()
		restore()
	}
	return srv, bs, restore, nil
}

// fresh removes what an earlier round left in a query or import floor
// directory: the generated configuration and the state.
func fresh(dir string) error {
	for _, name := range []string{generatedFile, "terraform.tfstate", "terraform.tfstate.backup"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// checkGenerated fails unless the query wrote one import block per sharing,
// so that the apply measured imports them all.
func checkGenerated(dir string, n int) error {
	b, err := os.ReadFile(filepath.Join(dir, generatedFile))
	if err != nil {
		return fmt.Errorf("terraform query wrote no %s: %w", generatedFile, err)
	}
	if got := bytes.Count(b, []byte("\nimport {")); got != n {
		return fmt.Errorf("%s has %d import blocks, want %d", generatedFile, got, n)
	}
	return nil
}
