// Package bench measures the provider's request economy and speed through the
// real Terraform CLI: the fake cloud (internal/fakecloud) holding any number
// of synthetic sharings with a configurable latency, configuration
// generators, and a runner that times Terraform and records the provider
// process's CPU and peak memory. cmd/benchrun drives it; smoke_test.go runs a
// small case inside `go test` and asserts request counts, never times.
package bench

import (
	"fmt"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

// The identity the provider logs in with. The cloud accepts any password,
// so these only need to look like a real account's.
const (
	ProjectID   = "ffffffffffffffffffffffffffff0000"
	ProjectName = "eu-de_bench"
	DomainName  = "OTC00000000001000000042"
	UserName    = "tf-bench"
	Password    = "bench-password"
	Region      = "eu-de"
)

// ControlPath is where the cloud serves its counts (GET ControlPath+"counts")
// and zeroes them (POST ControlPath+"reset").
const ControlPath = "/_bench/"

// Options configure Start.
type Options struct {
	// Sharings is how many synthetic sharings exist at start
	// (fakecloud.Synthetic).
	Sharings int
	// Latency is added before every response, the token's included.
	Latency time.Duration
	// Addr is the listen address; empty means 127.0.0.1 on a free port.
	Addr string
	// TokenLifetime, when positive, issues a new token at each login and
	// expires it that long after (fakecloud.Config.TokenLifetime).
	TokenLifetime time.Duration
	// Faults, when set, makes the cloud misbehave (fakecloud.Faults).
	Faults *fakecloud.Faults
	// AllowDuplicateSharings lets a create share a backup twice with one
	// project (fakecloud.Config.AllowDuplicateSharings).
	AllowDuplicateSharings bool
}

// Start starts the benchmark's cloud: plain HTTP at one origin, any login
// accepted, the VBS sharing API with opts.Sharings synthetic sharings.
func Start(opts Options) (*fakecloud.Cloud, error) {
	if opts.Sharings < 0 {
		return nil, fmt.Errorf("bench: %d sharings", opts.Sharings)
	}
	return fakecloud.Start(fakecloud.Config{
		Addr: opts.Addr, PlainHTTP: true, ControlPath: ControlPath, AnyLogin: true,
		Region: Region, UserName: UserName, UserDomainName: DomainName, Password: Password,
		ProjectID: ProjectID, ProjectName: ProjectName,
		Catalog:                []fakecloud.Service{{Type: "vbsv2", Name: "vbsv2", Label: "vbs", Path: "/v2/" + ProjectID}},
		Sharings:               fakecloud.Synthetic(ProjectID, opts.Sharings),
		Latency:                opts.Latency,
		DistinctTokens:         opts.TokenLifetime > 0,
		TokenLifetime:          opts.TokenLifetime,
		Faults:                 opts.Faults,
		AllowDuplicateSharings: opts.AllowDuplicateSharings,
	})
}
