package provider

import (
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// NewServer returns the protocol 6 server that Terraform talks to: the
// framework's server for this provider, behind detachingServer. main.go,
// the benchmark's profiling build and the acceptance tests serve the same
// thing.
func NewServer(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		// The framework's server implements every optional RPC group.
		server, _ := providerserver.NewProtocol6(New(version)())().(listingProviderServer)
		return detachingServer{server}
	}
}

// logVariables are the variables that ask Terraform, terraform-plugin-go,
// the framework or the provider for logs. Terraform passes its environment
// on to the provider, so TF_LOG=TRACE on the command line arrives here.
// quietVariables are the ones the provider's side reads: terraform-plugin-go
// takes the provider's own level from TF_LOG_PROVIDER_VBS (the name part of
// the provider's address), not from Terraform's TF_LOG_PROVIDER.
var (
	logVariables   = []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PROVIDER_VBS", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}
	quietVariables = logVariables[2:]
)

// QuietLogs turns all provider-side logging off when no log variable is set,
// and does nothing when one is. It must run before the server starts.
//
// Terraform shows a provider's logs only with TF_LOG or TF_LOG_PROVIDER set.
// Without a variable, though, terraform-plugin-go's loggers default to TRACE:
// terraform-plugin-go logs every RPC, the framework traces every step of
// every RPC, and the provider's own HTTP logging writes every exchange, all
// as JSON lines that Terraform parses only to drop. In a plan of 1000 data
// sources that was a fifth of the provider's CPU and a share of Terraform's
// (BENCHMARKS.md). Setting any of logVariables, TF_LOG=DEBUG on the command
// line for instance, keeps every log as before.
func QuietLogs() {
	for _, name := range logVariables {
		if os.Getenv(name) != "" {
			return
		}
	}
	for _, name := range quietVariables {
		_ = os.Setenv(name, "off")
	}
}

// TuneGC lets the provider's heap grow to three times its live size
// between collections instead of Go's default of twice, and does nothing
// when GOGC or GOMEMLIMIT is set.
//
// The provider's live heap is small (tens of MiB through a plan of 5000
// reads), but every RPC makes garbage: the framework's reflection and schema
// walks allocate about 100 KiB per data source read. Measured on plans of
// 1000 and 5000 data sources and a 10,000-sharing listing (BENCHMARKS.md):
// the default (100) costs a fifth more provider CPU; 400 keeps the CPU of
// 200 but lets a plan of 5000 reads peak at 115 MiB and the listing at
// 560 MiB, where 200 peaks at 82 and 334 MiB. There is no soft memory
// limit: a large listing's live heap can exceed any small one, and under
// it the collector would run back to back.
func TuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(gcPercent)
}

const gcPercent = 200
