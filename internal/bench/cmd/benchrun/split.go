package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Whose code a profile sample is in, from its stack (see owner).
const (
	whoOurs      = "ours"
	whoCalled    = "framework, called by our code"
	whoFramework = "framework's server"
	whoPlugin    = "plugin-go, gRPC"
	whoRuntime   = "runtime (GC workers, scheduler), other"
)

var (
	oursFunc = regexp.MustCompile(`terraform-provider-vbs/internal/(provider|client|vbs|transport|aksk|failure)[./]`)
	// detachingServer only passes each RPC on to the framework's server.
	passOn        = regexp.MustCompile(`terraform-provider-vbs/internal/provider\.(detach|detachingServer|NewServer)`)
	frameworkFunc = regexp.MustCompile(`hashicorp/terraform-plugin-framework`)
	pluginFunc    = regexp.MustCompile(`hashicorp/terraform-plugin-go|google\.golang\.org/(grpc|protobuf)|hashicorp/go-plugin|golang\.org/x/net/http2`)
	builderFunc   = regexp.MustCompile(`provider\.\(\*\w+Model\)\.set|provider\.setObject|provider\.sharingsList|provider\.flatten|provider\.listResult|provider\.\(?\*?\w*[Ii]dentity\)?\.set`)
	requestFunc   = regexp.MustCompile(`internal/(client|vbs|transport|aksk)|gophercloud|net/http|encoding/json`)
)

// frameworkCosts name a framework sample by the first of these functions on
// its stack: the costs of BENCHMARKS.md's report for the framework first.
var frameworkCosts = []struct{ fn, name string }{
	{"ReifyNullCollectionBlocks", "(a) ReifyNullCollectionBlocks"},
	{"SchemaSemanticEquality", "(c) SchemaSemanticEquality"},
	{"tftypes.Value.Equal", "(c') tftypes.Value.Equal after semantic equality"},
	{"tftypes.Value.Copy", "(c') tftypes.Value.Copy for semantic equality"},
	{"toproto6", "encoding the answer (toproto6)"},
	{"fromproto6", "decoding the request (fromproto6)"},
	{"ValidateDataSourceConfig", "validation (ValidateDataSourceConfig)"},
	{"ValidateResourceConfig", "validation (ValidateResourceConfig)"},
	{"PlanResourceChange", "PlanResourceChange"},
	{"ApplyResourceChange", "ApplyResourceChange"},
	{"ReadResource", "ReadResource"},
	{"ImportResourceState", "ImportResourceState"},
	{"ListResource", "ListResource"},
}

// owner says whose code a sample with stack (innermost function first) is
// in: ours when one of our functions is on it and no framework function
// runs below it; the framework called by our code when one does (State.Set,
// GetAttribute, Plan.Get, the value constructors: the public API our code
// has to call); the framework's server when a framework function is on it
// and none of ours; terraform-plugin-go and gRPC; else the runtime. what
// names the part within it.
func owner(stack []string) (who, what string) {
	inner := -1
	for i, f := range stack {
		if oursFunc.MatchString(f) && !passOn.MatchString(f) {
			inner = i
			break
		}
	}
	has := func(fns []string, s string) bool {
		for _, f := range fns {
			if strings.Contains(f, s) {
				return true
			}
		}
		return false
	}
	if inner >= 0 {
		below := stack[:inner]
		for _, f := range below {
			if !frameworkFunc.MatchString(f) {
				continue
			}
			switch {
			case has(below, "State).Set") || has(below, "Identity).Set") || has(below, "Data).Set"):
				return whoCalled, "State.Set / Identity.Set: our values converted to tftypes"
			case has(below, "internal/reflect"):
				return whoCalled, "Get of a struct (internal/reflect)"
			case has(below, "GetAttribute") || has(below, "SetAttribute"):
				return whoCalled, "GetAttribute, SetAttribute"
			default:
				return whoCalled, "value constructors, other"
			}
		}
		joined := strings.Join(stack, "\n")
		switch {
		case builderFunc.MatchString(joined):
			return whoOurs, "state builders"
		case requestFunc.MatchString(joined):
			return whoOurs, "requests: client, transport, HTTP, JSON"
		default:
			return whoOurs, "other"
		}
	}
	for _, f := range stack {
		if frameworkFunc.MatchString(f) {
			for _, c := range frameworkCosts {
				if has(stack, c.fn) {
					return whoFramework, c.name
				}
			}
			return whoFramework, "other"
		}
	}
	for _, f := range stack {
		if pluginFunc.MatchString(f) {
			return whoPlugin, ""
		}
	}
	return whoRuntime, ""
}

var valueUnits = map[string]float64{"": 1, "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1,
	"B": 1, "kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}

var traceValue = regexp.MustCompile(`^\s+([\d.]+)(ns|us|µs|ms|s|B|kB|MB|GB)?\s{2,}(\S.*)$`)

// splitProfiles sorts the samples of every profile of files by owner, with
// `go tool pprof -traces` and sampleIndex (empty: the profile's default),
// and returns the shares as a table.
func splitProfiles(ctx context.Context, files []string, sampleIndex string) (string, error) {
	byWho, byWhat := map[string]float64{}, map[string]map[string]float64{}
	var total float64
	for _, file := range files {
		args := []string{"tool", "pprof", "-traces"}
		if sampleIndex != "" {
			args = append(args, "-sample_index="+sampleIndex)
		}
		out, err := exec.CommandContext(ctx, "go", append(args, file)...).Output()
		if err != nil {
			return "", fmt.Errorf("go tool pprof -traces %s: %w", file, err)
		}
		var stack []string
		value := -1.0
		flush := func() {
			if value >= 0 && len(stack) > 0 {
				who, what := owner(stack)
				byWho[who] += value
				if byWhat[who] == nil {
					byWhat[who] = map[string]float64{}
				}
				byWhat[who][what] += value
				total += value
			}
			stack, value = nil, -1
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "-----------+") {
				flush()
				continue
			}
			if value < 0 {
				if m := traceValue.FindStringSubmatch(line); m != nil {
					v, _ := strconv.ParseFloat(m[1], 64)
					value, stack = v*valueUnits[m[2]], []string{strings.TrimSpace(m[3])}
				}
			} else if f := strings.TrimSpace(line); f != "" {
				stack = append(stack, f)
			}
		}
		flush()
	}
	if total == 0 {
		return "no samples\n", nil
	}
	whos := make([]string, 0, len(byWho))
	for w := range byWho {
		whos = append(whos, w)
	}
	sort.Slice(whos, func(i, j int) bool { return byWho[whos[i]] > byWho[whos[j]] })
	var b strings.Builder
	for _, w := range whos {
		fmt.Fprintf(&b, "%-45s %6.1f %%\n", w, 100*byWho[w]/total)
		whats := make([]string, 0, len(byWhat[w]))
		for what := range byWhat[w] {
			if what != "" {
				whats = append(whats, what)
			}
		}
		sort.Slice(whats, func(i, j int) bool { return byWhat[w][whats[i]] > byWhat[w][whats[j]] })
		for _, what := range whats {
			fmt.Fprintf(&b, "    %-60s %6.1f %%\n", what, 100*byWhat[w][what]/total)
		}
	}
	return b.String(), nil
}
