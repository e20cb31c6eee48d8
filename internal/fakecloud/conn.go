package fakecloud

import (
	"crypto/tls"
	"net"
	"net/http"
)

// dropConnection ends a request's connection without an answer. An
// orderly close is what a client that gave up leaves behind anyway; reset
// makes it abrupt (SO_LINGER 0, so the peer gets a TCP RST), as a failing
// load balancer does, which a client reads as "connection reset by peer".
// Returning from the handler instead would make net/http send an empty 200.
func dropConnection(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Only a connection that is not HTTP/1 refuses, and the cloud
		// speaks nothing else; aborting still sends no answer.
		panic(http.ErrAbortHandler)
	}
	if !reset {
		_ = conn.Close()
		return
	}
	if tc, ok := conn.(*tls.Conn); ok {
		// Closing the TLS layer would send close_notify first, which the
		// client reads as an orderly end, not a reset.
		conn = tc.NetConn()
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
