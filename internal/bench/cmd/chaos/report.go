package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// reconciled is the summary of the warning of a create whose lost answer
// the provider found in the cloud.
const reconciled = "create answer was lost"

// report prints a table per scenario, the columns the runs without and
// with faults, then every check that failed and every note.
func report(w io.Writer, steps []*Step) {
	find := func(scenario, step string, faulty bool) *Step {
		for _, s := range steps {
			if s.Scenario == scenario && s.Step == step && s.Faults == faulty {
				return s
			}
		}
		return nil
	}
	type column struct {
		title string
		step  *Step
	}
	var reads, writes []column
	for _, faulty := range []bool{false, true} {
		if s := find("reads", "plan", faulty); s != nil {
			reads = append(reads, column{withOrWithout(faulty), s})
		}
	}
	for _, step := range []struct{ name, title string }{{"apply", "apply"}, {"plan-again", "second plan"}, {"destroy", "destroy"}} {
		for _, faulty := range []bool{false, true} {
			if s := find("writes", step.name, faulty); s != nil {
				writes = append(writes, column{step.title + ", " + withOrWithout(faulty), s})
			}
		}
	}
	table := func(title string, cols []column, rows []row) {
		if len(cols) == 0 {
			return
		}
		fmt.Fprintf(w, "\n### %s\n\n|  |", title)
		for _, c := range cols {
			fmt.Fprintf(w, " %s |", c.title)
		}
		fmt.Fprint(w, "\n|---|"+strings.Repeat("---|", len(cols))+"\n")
		for _, r := range rows {
			fmt.Fprintf(w, "| %s |", r.name)
			for _, c := range cols {
				fmt.Fprintf(w, " %s |", r.value(c.step))
			}
			fmt.Fprintln(w)
		}
		steps := make([]*Step, len(cols))
		for i, c := range cols {
			steps[i] = c.step
		}
		fmt.Fprintf(w, "\nChecks: %s.\n", checkNames(steps))
	}
	table("Reads: a plan of data sources and a listing", reads, []row{
		{"wall", wall},
		{"sharing GETs (distinct sharings read)", func(s *Step) string {
			return fmt.Sprintf("%d (%d)", s.Counts[fakecloud.KindSharingGet], s.DistinctReads)
		}},
		{"list pages + counts", pagesAndCounts},
		{"logins (tokens issued)", logins},
		{"tokens expired (requests refused for one)", expiries},
		{"faults dealt (" + kindNames(" / ") + ")", faultsDealt},
		{"failed reads (Terraform's errors)", func(s *Step) string { return bold(len(s.Errors) != 0, fmt.Sprint(len(s.Errors))) }},
		{"provider processes, CPU, peak RSS", usage},
		{"checks", checks},
	})
	table("Writes: apply, a second plan, destroy", writes, []row{
		{"wall", wall},
		{"POSTs (creates)", count(fakecloud.KindCreate)},
		{"DELETEs", count(fakecloud.KindDelete)},
		{"sharing GETs", count(fakecloud.KindSharingGet)},
		{"list pages + counts", pagesAndCounts},
		{"answers lost (create / delete)", func(s *Step) string {
			return fmt.Sprintf("%d / %d", s.Counts[fakecloud.CountLostAnswerCreate], s.Counts[fakecloud.CountLostAnswerDelete])
		}},
		{"creates found in the cloud after a lost answer (warnings)", func(s *Step) string {
			n := 0
			for _, w := range s.Warnings {
				if strings.Contains(w, reconciled) {
					n++
				}
			}
			return fmt.Sprint(n)
		}},
		{"faults dealt (" + kindNames(" / ") + ")", faultsDealt},
		{"logins (tokens issued)", logins},
		{"tokens expired (requests refused for one)", expiries},
		{"Terraform's errors", func(s *Step) string { return bold(len(s.Errors) != 0, fmt.Sprint(len(s.Errors))) }},
		{"exit code", func(s *Step) string { return bold(s.ExitCode != 0, fmt.Sprint(s.ExitCode)) }},
		{"cloud and state agree; second plan empty", func(s *Step) string {
			for _, c := range s.Checks {
				if c.Name == "cloud and state agree" || c.Name == "second plan empty" {
					return bold(!c.OK, yes(c.OK))
				}
			}
			return "-"
		}},
		{"provider processes, CPU, peak RSS", usage},
		{"checks", checks},
	})

	var failed, notes []string
	for _, s := range steps {
		for _, c := range s.Checks {
			if !c.OK {
				failed = append(failed, fmt.Sprintf("- %s %s, %s: **%s** failed: %s", s.Scenario, s.Step, withOrWithout(s.Faults), c.Name, c.Detail))
			}
		}
		for _, n := range s.Notes {
			notes = append(notes, fmt.Sprintf("- %s, %s: %s", s.Scenario, withOrWithout(s.Faults), n))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\n### Failed checks\n\n%s\n", strings.Join(failed, "\n"))
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n### Not exercised\n\n%s\n", strings.Join(notes, "\n"))
	}
}

type row struct {
	name  string
	value func(*Step) string
}

func withOrWithout(faulty bool) string {
	if faulty {
		return "with faults"
	}
	return "without faults"
}

func wall(s *Step) string { return fmt.Sprintf("%.1f s", s.WallMS/1000) }

func count(kind string) func(*Step) string {
	return func(s *Step) string { return fmt.Sprint(s.Counts[kind]) }
}

func pagesAndCounts(s *Step) string {
	return fmt.Sprintf("%d + %d", s.Counts[fakecloud.KindListPage], s.Counts[fakecloud.KindCount])
}

func logins(s *Step) string {
	return fmt.Sprintf("%d (%d)", s.Counts[fakecloud.KindToken], s.TokensIssued)
}

func expiries(s *Step) string {
	return fmt.Sprintf("%d (%d)", s.Counts[fakecloud.CountTokenExpired], s.Counts[fakecloud.KindUnauthorized])
}

// kindNames are the fault kinds, joined by sep.
func kindNames(sep string) string {
	names := make([]string, len(fakecloud.FaultKinds))
	for i, k := range fakecloud.FaultKinds {
		names[i] = string(k)
	}
	return strings.Join(names, sep)
}

func faultsDealt(s *Step) string {
	total := s.FaultsDealt()
	if total == 0 {
		return "0"
	}
	parts := make([]string, len(fakecloud.FaultKinds))
	for i, k := range fakecloud.FaultKinds {
		parts[i] = fmt.Sprint(s.Counts[k.Count()])
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, " / "))
}

func usage(s *Step) string {
	return fmt.Sprintf("%d, %.1f s, %.0f MiB", s.ProviderProcesses, s.ProviderCPUMS/1000, float64(s.PeakRSSKiB)/1024)
}

func checks(s *Step) string {
	var failed []string
	for _, c := range s.Checks {
		if !c.OK {
			failed = append(failed, c.Name)
		}
	}
	if len(failed) > 0 {
		return "**failed: " + strings.Join(failed, ", ") + "**"
	}
	return fmt.Sprintf("%d passed", len(s.Checks))
}

// checkNames lists the checks of the steps, each once, for the line under
// a table.
func checkNames(steps []*Step) string {
	var names []string
	for _, s := range steps {
		for _, c := range s.Checks {
			if !slices.Contains(names, c.Name) {
				names = append(names, c.Name)
			}
		}
	}
	return strings.Join(names, "; ")
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func bold(cond bool, s string) string {
	if cond {
		return "**" + s + "**"
	}
	return s
}
