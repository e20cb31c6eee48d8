// Command terraform-provider-vbs serves the Volume Backup Service provider to Terraform.
package main

import (
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/vbs-tf/terraform-provider-vbs/internal/provider"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	// terraform-plugin-go traces every RPC at TRACE unless told otherwise,
	// and Terraform parses each of those lines only to drop it below
	// TF_LOG=TRACE: a fifth of the provider's CPU in a large plan. Anyone who
	// sets a TF_LOG variable keeps the full trace.
	if os.Getenv("TF_LOG") == "" && os.Getenv("TF_LOG_SDK") == "" && os.Getenv("TF_LOG_PROVIDER") == "" {
		_ = os.Setenv("TF_LOG_SDK", "off")
	}

	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	if err := tf6server.Serve("registry.terraform.io/vbs-tf/vbs", provider.NewServer(version), opts...); err != nil {
		log.Fatal(err.Error())
	}
}
