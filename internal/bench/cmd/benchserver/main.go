// Command benchserver runs the benchmark's cloud (bench.Start, the fake cloud
// over plain HTTP) on its own, for trying the provider by hand or from a
// script: Keystone v3 and the VBS sharing API with -n synthetic sharings and
// -latency per request.
//
// It prints BENCH_URL=http://127.0.0.1:PORT once it listens (also written
// to -port-file), serves the request counts as JSON at GET /_bench/counts
// (POST /_bench/reset zeroes them), and prints the counts on SIGINT or
// SIGTERM before it exits.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/vbs-tf/terraform-provider-vbs/internal/bench"
	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, stop))
}

func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	flags := flag.NewFlagSet("benchserver", flag.ContinueOnError)
	flags.SetOutput(stderr)
	n := flags.Int("n", 1000, "synthetic `sharings`")
	latency := flags.Duration("latency", 0, "added before every response, e.g. 50ms")
	addr := flags.String("addr", "127.0.0.1:0", "listen `address`")
	portFile := flags.String("port-file", "", "also write the server URL to this `file` once listening")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 || *n < 0 {
		fmt.Fprintln(stderr, "usage: benchserver [-n SHARINGS] [-latency DURATION] [-addr ADDR] [-port-file FILE]")
		return 2
	}
	srv, err := bench.Start(bench.Options{Sharings: *n, Latency: *latency, Addr: *addr})
	if err != nil {
		fmt.Fprintln(stderr, "benchserver:", err)
		return 1
	}
	defer srv.Close()
	if *portFile != "" {
		// Written under another name and renamed, so a script polling for
		// the file never reads half a URL.
		tmp := filepath.Join(filepath.Dir(*portFile), "."+filepath.Base(*portFile)+".tmp")
		if err := os.WriteFile(tmp, []byte(srv.URL()+"\n"), 0o644); err != nil || os.Rename(tmp, *portFile) != nil {
			fmt.Fprintln(stderr, "benchserver: cannot write", *portFile)
			return 1
		}
	}
	fmt.Fprintf(stdout, "BENCH_URL=%s\n", srv.URL())
	fmt.Fprintf(stderr, "benchserver: %d sharings, latency %s, Keystone at %s, project %s; first sharing %s\n",
		*n, *latency, srv.AuthURL(), bench.ProjectID, fakecloud.SharingID(0))
	<-stop
	b, _ := json.Marshal(srv.Counts())
	fmt.Fprintf(stdout, "%s\n", b)
	return 0
}
