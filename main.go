// Command terraform-provider-vbs serves the Volume Backup Service provider to Terraform.
package main

import (
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/vbs-tf/terraform-provider-vbs/internal/provider"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	var opts []tf6server.ServeOpt
	if debug {
		// A provider under a debugger logs to its own terminal, where no
		// Terraform filters the lines, so its logs stay as they are.
		opts = append(opts, tf6server.WithManagedDebug())
	} else {
		provider.QuietLogs()
	}
	provider.TuneGC()
	if err := tf6server.Serve("registry.terraform.io/vbs-tf/vbs", provider.NewServer(version), opts...); err != nil {
		log.Fatal(err.Error())
	}
}
