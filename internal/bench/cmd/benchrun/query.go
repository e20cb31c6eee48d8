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

// queryScenario adopts -query-sharings existing sharings as the guide
// does: `terraform query -generate-config-out` with a list block that
// includes the resources, then the `terraform apply` that imports them.
// Both run with -query-terraform, 1.14 or later. The query has no
// Terraform floor: nothing built in lists. The apply's floor imports as
// many terraform_data by ID (bench.ImportFloorConfig). Every round starts
// from no generated configuration and no state; the imports leave the
// cloud as it was.
func (r *runner) queryScenario() error {
	n, lat, p := r.cfg.querySharings, r.cfg.queryLatency, r.cfg.queryParallelism
	srv, bs, restore, err := r.queryBuilds(n)
	if err != nil || len(bs) == 0 {
		return err
	}
	defer restore()
	defer srv.Close()
	dirs, err := configs(bs, "query", bench.ProviderBlock(srv))
	if err != nil {
		return err
	}
	for _, dir := range dirs {
		if err := os.WriteFile(filepath.Join(dir, bench.QueryFileName), []byte(bench.QueryFile(n)), 0o644); err != nil {
			return err
		}
	}
	floor, err := r.floorWS.Config("query-import-floor", bench.ImportFloorConfig(r.floorSrv, n))
	if err != nil {
		return err
	}
	srv.SetLatency(lat)
	queryArgs := []string{"query", "-generate-config-out=" + generatedFile, "-no-color"}
	applyArgs := []string{"apply", "-auto-approve", "-input=false", "-lock=false", "-no-color", "-parallelism=" + strconv.Itoa(p)}
	query, imports := measured{builds: make([]sample, len(bs))}, measured{builds: make([]sample, len(bs))}
	logf("query: %d sharings, latency=%s, apply P=%d", n, lat, p)
	for i := 0; i < r.cfg.runs; i++ {
		for j := range bs {
			k := (i + j) % len(bs)
			if err := fresh(dirs[k]); err != nil {
				return err
			}
			for _, step := range []struct {
				s    *sample
				args []string
			}{{&query.builds[k], queryArgs}, {&imports.builds[k], applyArgs}} {
				srv.ResetCounts()
				run, err := bs[k].ws.Terraform(r.ctx, dirs[k], step.args...)
				if err != nil {
					return fmt.Errorf("build %s: %w", bs[k].label, err)
				}
				counts := srv.Counts()
				step.s.runs, step.s.counts = append(step.s.runs, run), append(step.s.counts, counts)
				logf("  round %d/%d, %s %s: %s, provider CPU %s; requests %v", i+1, r.cfg.runs, bs[k].label, step.args[0],
					run.Wall.Round(time.Millisecond), run.ProviderCPU().Round(time.Millisecond), compact(counts))
				if step.args[0] == "query" {
					if err := checkGenerated(dirs[k], n); err != nil {
						return fmt.Errorf("build %s: %w", bs[k].label, err)
					}
				}
			}
		}
		if err := fresh(floor); err != nil {
			return err
		}
		run, err := r.floorWS.Terraform(r.ctx, floor, applyArgs...)
		if err != nil {
			return err
		}
		imports.floors = append(imports.floors, run)
		logf("  round %d/%d, import floor apply: %s", i+1, r.cfg.runs, run.Wall.Round(time.Millisecond))
	}

	wantPages := pages(n)
	fmt.Fprintf(r.cfg.out, "\n### Adopting %d sharings: `terraform query -generate-config-out`, then the `terraform apply` that imports them (latency %s)\n\n"+
		"The query lists every sharing with `include_resource = true` and `limit = %d` (`%s`) and writes `%s`; the apply imports "+
		"them at -parallelism=%d. No floor for the query: nothing built into Terraform lists. The apply's *TF floor* imports %d "+
		"`terraform_data` by ID, with the same import blocks; its *net* is ceil(N/P) × latency, one read per import. The query's *net* "+
		"is the token, the first page with the count, then the other pages 8 at a time.\n\n"+r.buildHead()+
		"| step | wall | TF floor | net floor | excess over TF+net | token | list pages | count | sharing GET | other | provider procs | provider peak RSS | provider CPU | terraform CPU |\n"+
		r.buildSep()+"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
		n, fmtLat(lat), n, bench.QueryFileName, generatedFile, p, n)
	var groups [][]Result
	for _, step := range []struct {
		m        measured
		name     string
		net      time.Duration
		expected string
		ok       func(map[string]int64) bool
	}{
		{query, "query", time.Duration(roundTrips(n)) * lat,
			fmt.Sprintf("token=1 list_page=%d count=1", wantPages), func(c map[string]int64) bool {
				return c[fakecloud.KindToken] == 1 && c[fakecloud.KindListPage] == int64(wantPages) && c[fakecloud.KindCount] == 1 &&
					c[fakecloud.KindSharingGet] == 0
			}},
		{imports, "import", time.Duration(ceilDiv(n, p)) * lat,
			fmt.Sprintf("token<=2 sharing_get=%d, no listing", n), func(c map[string]int64) bool {
				return c[fakecloud.KindToken] <= 2 && c[fakecloud.KindSharingGet] == int64(n) && c[fakecloud.KindListPage] == 0 &&
					c[fakecloud.KindCreate] == 0 && c[fakecloud.KindDelete] == 0
			}},
	} {
		group := summarise(Result{Scenario: step.name, N: n, Sharings: n, LatencyMS: ms(lat), Parallelism: p,
			NetworkFloorMS: ms(step.net), Expected: step.expected}, bs, step.m)
		for i := range group {
			res := &group[i]
			ok := step.ok(res.Counts) && !res.CountsVary
			res.OK = &ok
			c := res.Counts
			other := c[fakecloud.CountRequests] - c[fakecloud.KindToken] - c[fakecloud.KindListPage] - c[fakecloud.KindCount] - c[fakecloud.KindSharingGet]
			fmt.Fprintf(r.cfg.out, "%s| %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n",
				r.buildCol(bs[i]), step.name, fmtMS(res.WallMedianMS), fmtFloor(res.FloorMedianMS), fmtMS(res.NetworkFloorMS), excessOverFloor(*res),
				c[fakecloud.KindToken], c[fakecloud.KindListPage], c[fakecloud.KindCount], c[fakecloud.KindSharingGet], other,
				res.ProviderProcesses, fmtRSS(res.PeakRSSKiB), fmtMS(res.ProviderCPUMedianMS), fmtMS(res.TerraformCPUMedianMS))
		}
		r.results = append(r.results, group...)
		groups = append(groups, group)
	}
	r.sideBySide(fmt.Sprintf("adopting %d sharings (latency %s, apply P=%d)", n, fmtLat(lat), p), bs, groups,
		[]string{"step"}, func(res Result) []string { return []string{res.Scenario} })
	return nil
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
