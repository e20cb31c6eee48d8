package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// applyScenario creates N sharings with `terraform apply` and cancels them
// with `terraform destroy`, each run leaving the cloud as it found it: every
// build applies and destroys before the next one applies.
func (r *runner) applyScenario() error {
	bs := r.having("apply", "vbs_backup_sharing resource", func(s *bench.Schema) bool { return s.Resources["vbs_backup_sharing"] })
	if len(bs) == 0 {
		return nil
	}
	fmt.Fprint(r.cfg.out, "\n### `terraform apply` then `terraform destroy` of N `vbs_backup_sharing` resources\n\n"+
		"Floors: *TF* is the same command on N `terraform_data` resources, *plugin* adds one zero-latency `vbs_backup_sharing` "+
		"data source; *net* is ceil(N/P) × latency × the sequential round trips each resource needs "+
		"(create: POST + GET; destroy: GET in the refresh, then DELETE).\n\n"+r.buildHead()+
		"| N | latency | P | command | wall | TF floor | plugin floor | net floor | excess over TF+net | excess over plugin+net | token | create | sharing GET | delete | other | provider procs | provider peak RSS | provider CPU |\n"+
		r.buildSep()+"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var skipped []string
	var groups [][]Result
	for _, n := range r.cfg.ns {
		if n > r.cfg.applyMaxN {
			skipped = append(skipped, strconv.Itoa(n))
			continue
		}
		srv, err := bench.Start(bench.Options{Sharings: n})
		if err != nil {
			return err
		}
		g, err := r.applyN(bs, srv, n)
		groups = append(groups, g...)
		srv.Close()
		if err != nil {
			return err
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(r.cfg.out, "\nN=%s not run: above -apply-max-n %d.\n", strings.Join(skipped, ", "), r.cfg.applyMaxN)
	}
	r.sideBySide("`terraform apply` then `terraform destroy` of N `vbs_backup_sharing` resources", bs, groups,
		[]string{"N", "latency", "P", "command"}, func(res Result) []string {
			return []string{strconv.Itoa(res.N), fmtLat(time.Duration(res.LatencyMS * float64(time.Millisecond))), strconv.Itoa(res.Parallelism), res.Scenario}
		})
	return nil
}

func (r *runner) applyN(bs []*build, srv *fakecloud.Cloud, n int) ([][]Result, error) {
	dirs, err := configs(bs, fmt.Sprintf("apply-%d", n), bench.ResourceConfig(srv, n))
	if err != nil {
		return nil, err
	}
	floors, err := r.floorConfigs(fmt.Sprintf("apply-%d", n), n)
	if err != nil {
		return nil, err
	}
	var groups [][]Result
	for _, lat := range r.cfg.applyLatencies {
		srv.SetLatency(lat)
		for _, p := range r.cfg.applyParallelisms {
			logf("apply/destroy: N=%d latency=%s P=%d", n, lat, p)
			par := "-parallelism=" + strconv.Itoa(p)
			common := []string{"-auto-approve", "-input=false", "-lock=false", "-no-color", par}
			var apply, destroy measured
			for i := 0; i < r.cfg.runs; i++ {
				if err := r.round([]*measured{&apply, &destroy}, bs, srv, dirs, floors,
					[][]string{append([]string{"apply"}, common...), append([]string{"destroy"}, common...)}, i); err != nil {
					return groups, err
				}
			}
			for _, step := range []struct {
				m   measured
				cmd string
			}{{apply, "apply"}, {destroy, "destroy"}} {
				perNode := 2
				row := Result{Scenario: step.cmd, N: n, Sharings: n, LatencyMS: ms(lat), Parallelism: p,
					NetworkFloorMS: ms(time.Duration(ceilDiv(n, p)*perNode) * lat)}
				if step.cmd == "apply" {
					row.Expected = fmt.Sprintf("token=1 create=%d sharing_get=%d", n, n)
				} else {
					// The refresh and the apply run in two provider processes,
					// one token each.
					row.Expected = fmt.Sprintf("token<=2 sharing_get=%d delete=%d", n, n)
				}
				group := summarise(row, bs, step.m)
				for i := range group {
					res := &group[i]
					c := res.Counts
					var ok bool
					if step.cmd == "apply" {
						ok = c[fakecloud.KindToken] == 1 && c[fakecloud.KindCreate] == int64(n) && c[fakecloud.KindSharingGet] == int64(n)
					} else {
						ok = c[fakecloud.KindToken] <= 2 && c[fakecloud.KindDelete] == int64(n) && c[fakecloud.KindSharingGet] == int64(n)
					}
					ok = ok && !res.CountsVary
					res.OK = &ok
					other := c[fakecloud.CountRequests] - c[fakecloud.KindToken] - c[fakecloud.KindCreate] - c[fakecloud.KindSharingGet] - c[fakecloud.KindDelete]
					fmt.Fprintf(r.cfg.out, "%s| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %s | %s |\n",
						r.buildCol(bs[i]), n, fmtLat(lat), p, step.cmd, fmtMS(res.WallMedianMS), fmtMS(res.FloorMedianMS), fmtFloor(res.PluginFloorMedianMS),
						fmtMS(res.NetworkFloorMS), excess(res.WallMedianMS, res.FloorMedianMS+res.NetworkFloorMS),
						excessOver(res.WallMedianMS, res.PluginFloorMedianMS, res.NetworkFloorMS),
						c[fakecloud.KindToken], c[fakecloud.KindCreate], c[fakecloud.KindSharingGet], c[fakecloud.KindDelete], other,
						res.ProviderProcesses, fmtRSS(res.PeakRSSKiB), fmtMS(res.ProviderCPUMedianMS))
				}
				r.results = append(r.results, group...)
				groups = append(groups, group)
			}
		}
	}
	return groups, nil
}
