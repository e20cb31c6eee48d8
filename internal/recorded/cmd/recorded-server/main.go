// Command recorded-server runs the recorded server on its own, for demos and
// scripts: it replays a cassette (or records one with -record) until it gets
// SIGINT or SIGTERM.
//
// It prints VBS_RECORDED_URL=http://127.0.0.1:PORT once it listens, so a
// Makefile can capture the address, and exits non-zero if any request found
// no interaction.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, stop))
}

func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	flags := flag.NewFlagSet("recorded-server", flag.ContinueOnError)
	flags.SetOutput(stderr)
	cassette := flags.String("cassette", "", "cassette `path`, with or without .yaml")
	addr := flags.String("addr", "127.0.0.1:0", "listen `address`")
	record := flags.Bool("record", false, "proxy to -upstream and write the cassette on exit instead of replaying")
	upstream := flags.String("upstream", "", "real Keystone `URL` to record against, such as https://iam.eu-de.otc.t-systems.com/v3")
	portFile := flags.String("port-file", "", "also write the server URL to this `file` once listening")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *cassette == "" || flags.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: recorded-server -cassette PATH [-addr ADDR] [-record -upstream URL] [-port-file FILE]")
		return 2
	}
	if *record != (*upstream != "") {
		fmt.Fprintln(stderr, "recorded-server: -record and -upstream go together")
		return 2
	}

	opts := recorded.Options{Cassette: *cassette, Addr: *addr, Upstream: *upstream}
	if *record {
		opts.Mode = recorded.ModeRecord
	}
	srv, err := recorded.Start(opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *portFile != "" {
		if err := writeAtomically(*portFile, srv.URL()+"\n"); err != nil {
			fmt.Fprintln(stderr, "recorded-server:", err)
			_ = srv.Close()
			return 1
		}
	}
	fmt.Fprintf(stdout, "VBS_RECORDED_URL=%s\n", srv.URL())
	fmt.Fprintf(stderr, "recorded-server: %s %s on %s (Keystone at %s)\n", srv.Mode(), srv.CassetteFile(), srv.URL(), srv.AuthURL())

	<-stop
	status := 0
	if err := srv.Close(); err != nil {
		fmt.Fprintln(stderr, err)
		status = 1
	}
	for _, desc := range srv.Unmatched() {
		fmt.Fprintf(stderr, "recorded-server: unmatched: %s\n", desc)
		status = 1
	}
	return status
}

// writeAtomically keeps a script that polls for the file from reading it
// half-written.
func writeAtomically(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".recorded-server-*")
	if err != nil {
		return err
	}
	_, werr := tmp.WriteString(content)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
