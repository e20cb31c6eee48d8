package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/failure"
)

// fullBacklog returns the address of a loopback socket that listens with a
// backlog of 0 and whose accept queue is already full: the kernel drops
// the next SYN, so a dial to it times out, as one to a host that drops
// packets does. Nothing is ever accepted.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	inet, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("the socket's address is a %T", sa)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(inet.Port))
	for range 16 {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			var netErr net.Error
			if errors.As(err, &netErr) && netErr.Timeout() {
				return addr
			}
			t.Fatalf("filling the backlog of %s: %v", addr, err)
		}
		t.Cleanup(func() { conn.Close() })
	}
	t.Fatalf("the backlog of %s never filled", addr)
	return ""
}

// A login whose dial times out, on a real socket, is "connecting timed
// out" (Unreachable) whatever form the timeout takes inside: it is sent
// again within the short budget, not taken for the operation's deadline,
// and reported as a server that cannot be reached.
func TestDialTimeoutOnLoopback(t *testing.T) {
	addr := fullBacklog(t)
	saved := dialTimeout
	dialTimeout = time.Second
	t.Cleanup(func() { dialTimeout = saved })
	c, err := New(Settings{AuthURL: "http://" + addr + "/v3", UserName: "u", Password: "p", DomainName: "d", ProjectID: "p", MaxRetries: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connect(context.Background())
	if err == nil {
		t.Fatal("the login succeeded")
	}
	f := failure.Classify(err)
	if f.Class != failure.Unreachable || f.Cause != "connecting timed out" || f.Addr != addr {
		t.Errorf("classified as %s (%q at %q), want unreachable, connecting timed out, at %s: %v", f.Class, f.Cause, f.Addr, addr, err)
	}
	// The short budget (3 s) outlasts one dial timeout of 1 s, so the
	// login is sent at least twice.
	m := regexp.MustCompile(`giving up after (\d+) attempts`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("the error does not say how many attempts were made: %v", err)
	}
	if n, _ := strconv.Atoi(m[1]); n < 2 {
		t.Errorf("%d attempts, want the login sent again within the short budget: %v", n, err)
	}
}

// A server that ends the handshake with an alert (it demands a client
// certificate) is a TLS failure, and a read meeting it is not sent again:
// the server sees one handshake.
func TestTLSAlertIsNotRetried(t *testing.T) {
	var handshakes atomic.Int32
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		handshakes.Add(1)
		return nil, nil
	}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	srv.StartTLS()
	defer srv.Close()
	c, err := New(Settings{AuthURL: srv.URL + "/v3", UserName: "u", Password: "p", DomainName: "d", ProjectID: "p", Insecure: true, MaxRetries: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connect(context.Background())
	if f := failure.Classify(err); f.Class != failure.TLS {
		t.Fatalf("classified as %s (%q): %v, want TLS", f.Class, f.Cause, err)
	}
	if n := handshakes.Load(); n != 1 {
		t.Errorf("%d handshakes, want 1: a TLS alert is not retried", n)
	}
}
