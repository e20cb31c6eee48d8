package main

import (
	"fmt"
	"strconv"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// reads plans the data sources and the listing on a well-behaved cloud,
// then on one that deals faults.
func (r *runner) reads() error {
	return r.onEachCloud(bench.Options{Sharings: r.cfg.reads}, 0, r.readsOn)
}

// onEachCloud runs a scenario on a fresh cloud of opts whose tokens expire
// after -token-lifetime, once without faults and once with them, losing
// lost of the answers of creates and deletes.
func (r *runner) onEachCloud(opts bench.Options, lost float64, scenario func(srv *fakecloud.Cloud, faulty bool) error) error {
	opts.TokenLifetime = r.cfg.tokenLifetime
	for _, faulty := range []bool{false, true} {
		opts.Faults = nil
		if faulty {
			opts.Faults = r.cfg.faults(lost)
		}
		srv, err := bench.Start(opts)
		if err != nil {
			return err
		}
		err = scenario(srv, faulty)
		srv.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) readsOn(srv *fakecloud.Cloud, faulty bool) error {
	n := r.cfg.reads
	dir, err := r.ws.Config(name("reads", faulty), bench.ProviderBlock(srv)+bench.CheckedReadsConfig(n))
	if err != nil {
		return err
	}
	s, err := r.terraform(srv, dir, "reads", "plan", faulty,
		"plan", "-json", "-input=false", "-lock=false", "-parallelism="+strconv.Itoa(r.cfg.parallelism))
	if err != nil {
		return err
	}
	// A read that failed is an error diagnostic, and so is a read that
	// brought the wrong sharing, through the preconditions.
	s.check("no failed read", s.ExitCode == 0 && len(s.Errors) == 0,
		"exit %d, %d errors: %s", s.ExitCode, len(s.Errors), few(s.Errors, "; "))
	s.check("the output's preconditions held", hasOutput(s.output, "checked"), "the plan has no output \"checked\"")
	s.check("every sharing read", s.DistinctReads == n, "%d distinct sharings read, want %d", s.DistinctReads, n)
	if faulty {
		r.notExercised(s)
	}
	return nil
}

// notExercised notes the fault kinds a step with faults never dealt, and
// a step in which no token expired although tokens were to.
func (r *runner) notExercised(s *Step) {
	for _, k := range fakecloud.FaultKinds {
		if s.Counts[k.Count()] == 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("no %s fault was dealt", k))
		}
	}
	if r.cfg.tokenLifetime > 0 && s.Counts[fakecloud.CountTokenExpired] == 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("no token expired: no provider process made a request %s after its login", r.cfg.tokenLifetime))
	}
}

func name(scenario string, faulty bool) string {
	if faulty {
		return scenario + "-faults"
	}
	return scenario + "-baseline"
}
