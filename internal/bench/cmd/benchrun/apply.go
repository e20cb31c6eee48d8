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
// with `terraform destroy`, each run leaving the cloud as it found it.
func (r *runner) applyScenario() error {
	if !r.schema.Resources["vbs_backup_sharing"] {
		r.skip("apply", "vbs_backup_sharing resource")
		return nil
	}
	fmt.Fprint(r.cfg.out, "\n### `terraform apply` then `terraform destroy` of N `vbs_backup_sharing` resources\n\n"+
		"Floors: *TF* is the same command on N `terraform_data` resources, *plugin* adds one zero-latency `vbs_backup_sharing` "+
		"data source; *net* is ceil(N/P) × latency × the sequential round trips each resource needs "+
		"(create: POST + GET; destroy: GET in the refresh, then DELETE).\n\n"+
		"| N | latency | P | command | wall | TF floor | plugin floor | net floor | excess over plugin+net | token | create | sharing GET | delete | other | provider procs | provider peak RSS | provider CPU |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var skipped []string
	for _, n := range r.cfg.ns {
		if n > r.cfg.applyMaxN {
			skipped = append(skipped, strconv.Itoa(n))
			continue
		}
		srv, err := bench.Start(bench.Options{Sharings: n})
		if err != nil {
			return err
		}
		err = r.applyN(srv, n)
		srv.Close()
		if err != nil {
			return err
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(r.cfg.out, "\nN=%s not run: above -apply-max-n %d.\n", strings.Join(skipped, ", "), r.cfg.applyMaxN)
	}
	return nil
}

func (r *runner) applyN(srv *fakecloud.Cloud, n int) error {
	dir, err := r.ws.Config(fmt.Sprintf("apply-%d", n), bench.ResourceConfig(srv, n))
	if err != nil {
		return err
	}
	floors, err := r.floorConfigs(fmt.Sprintf("apply-%d", n), n)
	if err != nil {
		return err
	}
	for _, lat := range r.cfg.latencies {
		srv.SetLatency(lat)
		for _, p := range r.cfg.parallelisms {
			logf("apply/destroy: N=%d latency=%s P=%d", n, lat, p)
			par := "-parallelism=" + strconv.Itoa(p)
			common := []string{"-auto-approve", "-input=false", "-lock=false", "-no-color", par}
			var apply, destroy measured
			for i := 0; i < r.cfg.runs; i++ {
				if err := r.measure(&apply, srv, dir, floors, append([]string{"apply"}, common...)); err != nil {
					return err
				}
				if err := r.measure(&destroy, srv, dir, floors, append([]string{"destroy"}, common...)); err != nil {
					return err
				}
			}
			for _, step := range []struct {
				m   measured
				cmd string
			}{{apply, "apply"}, {destroy, "destroy"}} {
				res := Result{Scenario: step.cmd, N: n, Sharings: n, LatencyMS: ms(lat), Parallelism: p}
				summarise(&res, step.m)
				c := res.Counts
				perNode := 2
				res.NetworkFloorMS = ms(time.Duration(ceilDiv(n, p)*perNode) * lat)
				var ok bool
				if step.cmd == "apply" {
					res.Expected = fmt.Sprintf("token=1 create=%d sharing_get=%d", n, n)
					ok = c[fakecloud.KindToken] == 1 && c[fakecloud.KindCreate] == int64(n) && c[fakecloud.KindSharingGet] == int64(n)
				} else {
					res.Expected = fmt.Sprintf("token=1 sharing_get=%d delete=%d", n, n)
					ok = c[fakecloud.KindToken] <= 1 && c[fakecloud.KindDelete] == int64(n) && c[fakecloud.KindSharingGet] == int64(n)
				}
				ok = ok && !res.CountsVary
				res.OK = &ok
				r.results = append(r.results, res)
				other := c[fakecloud.CountRequests] - c[fakecloud.KindToken] - c[fakecloud.KindCreate] - c[fakecloud.KindSharingGet] - c[fakecloud.KindDelete]
				fmt.Fprintf(r.cfg.out, "| %d | %s | %d | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %d | %d | %s | %s |\n",
					n, fmtLat(lat), p, step.cmd, fmtMS(res.WallMedianMS), fmtMS(res.FloorMedianMS), fmtMS(res.PluginFloorMedianMS),
					fmtMS(res.NetworkFloorMS), excess(res.WallMedianMS, res.PluginFloorMedianMS+res.NetworkFloorMS),
					c[fakecloud.KindToken], c[fakecloud.KindCreate], c[fakecloud.KindSharingGet], c[fakecloud.KindDelete], other,
					res.ProviderProcesses, fmtRSS(res.PeakRSSKiB), fmtMS(res.ProviderCPUMedianMS))
			}
		}
	}
	return nil
}
