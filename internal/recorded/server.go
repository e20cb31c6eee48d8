// Package recorded is a local HTTP server that stands in for the cloud in
// acceptance tests and demos.
//
// In replay mode it answers from a go-vcr cassette: Keystone hands out a
// token whose service catalog points back at the server, one name per
// service (http://vbs.localhost:PORT, http://iam.localhost:PORT), and every
// later call is matched against the recorded interactions. A request that
// matches nothing gets an HTTP 500 and is reported by Unmatched, so a test
// cannot pass on a request nobody recorded.
//
// In record mode it is a proxy to a real Keystone: it forwards each request
// through a go-vcr recorder, rewrites the real hosts in responses to its own
// per-service names, and on Close writes a cassette with secrets redacted and
// real hosts replaced by <label>.recorded.invalid.
//
// Requests signed with an access key (SDK-HMAC-SHA256, see internal/aksk)
// are checked against Options.AKSK on replay and re-signed for the real host
// with Options.Resign when recording. With Options.TLS the server speaks
// HTTPS, for tests of the client's certificate settings.
package recorded

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/recorder"

	"github.com/vbs-tf/terraform-provider-vbs/internal/aksk"
)

// Mode says whether the server answers from a cassette or records one.
type Mode int

const (
	// ModeReplay answers every request from the cassette.
	ModeReplay Mode = iota
	// ModeRecord forwards every request to the real cloud and writes the
	// cassette on Close, replacing any existing file.
	ModeRecord
)

func (m Mode) String() string {
	switch m {
	case ModeReplay:
		return "replay"
	case ModeRecord:
		return "record"
	default:
		return fmt.Sprintf("Mode(%d)", int(m))
	}
}

// Options configure Start.
type Options struct {
	// Cassette is the cassette path, with or without the .yaml suffix.
	Cassette string
	// Mode is ModeReplay unless set.
	Mode Mode
	// Upstream is the real Keystone URL for record mode, such as
	// https://iam.eu-de.otc.t-systems.com/v3.
	Upstream string
	// Addr is the listen address; the default 127.0.0.1:0 picks a free port.
	Addr string
	// Transport carries record-mode requests to the cloud. The default is a
	// clone of http.DefaultTransport; tests point it at a fake cloud.
	Transport http.RoundTripper

	// AKSK maps access keys to secret keys (test values only) for replay.
	// Every replayed request that carries an SDK-HMAC-SHA256 signature is
	// verified against it, without the clock check since the cassette was
	// recorded at another time. A request whose signature fails, or whose
	// access key is not here, gets a 401 in the API gateway's shape and is
	// listed by Unmatched. Recorded interactions match signed and unsigned
	// requests alike; only the live signature is checked.
	AKSK map[string]string

	// Resign, in record mode, replaces the signature of every request that
	// arrives signed: the client signed for <label>.localhost:PORT, which
	// the real gateway would reject, so the forwarded request is signed
	// afresh for the real host with these credentials. ResignProjectID, when
	// set, is sent as X-Project-Id; otherwise the client's is kept.
	Resign          *aksk.Credentials
	ResignProjectID string

	// TLS makes the server speak HTTPS with this configuration; its
	// certificate must be valid for localhost, *.localhost and 127.0.0.1
	// (NewTestTLS makes one). URL and the rewritten catalog then use https.
	TLS *tls.Config
}

// Server is a running recorded server. Its methods are safe for concurrent
// use.
type Server struct {
	mode         Mode
	cassetteFile string
	listener     net.Listener
	httpServer   *http.Server
	port         string
	authPath     string
	// serverCerts are the certificates Client trusts; set exactly when the
	// server speaks TLS.
	serverCerts *x509.CertPool

	aksk     map[string]string
	resigner *aksk.Signer

	mu        sync.Mutex
	requests  []string
	unmatched []string
	forwarded int // record mode: responses received from upstream
	// gatewayRequestID numbers the request IDs of the server's own
	// gateway-style errors.
	gatewayRequestID int

	replay *replayer

	recorder      *recorder.Recorder
	hosts         *hostRegistry
	upstream      string // Keystone origin in record mode
	upstreamLabel string

	closeOnce sync.Once
	closeErr  error
	served    chan struct{}
}

// Start loads or creates the cassette and starts listening.
func Start(opts Options) (*Server, error) {
	name := strings.TrimSuffix(opts.Cassette, ".yaml")
	if name == "" {
		return nil, errors.New("recorded: no cassette given")
	}
	s := &Server{
		mode:         opts.Mode,
		cassetteFile: name + ".yaml",
		served:       make(chan struct{}),
	}
	if len(opts.AKSK) > 0 {
		s.aksk = make(map[string]string, len(opts.AKSK))
		for ak, sk := range opts.AKSK {
			s.aksk[ak] = sk
		}
	}
	if opts.Resign != nil {
		if opts.Resign.AccessKey == "" || opts.Resign.SecretKey == "" {
			return nil, errors.New("recorded: Resign needs both an access key and a secret key")
		}
		s.resigner = aksk.NewSigner(*opts.Resign, opts.ResignProjectID, nil)
	}

	switch opts.Mode {
	case ModeReplay:
		c, err := cassette.Load(name)
		if err != nil {
			return nil, fmt.Errorf("recorded: loading cassette %s: %w (record it with VBS_RECORD=1 against a real cloud)", s.cassetteFile, err)
		}
		s.replay = newReplayer(c.Interactions)
		s.authPath = s.replay.authPath
	case ModeRecord:
		if err := s.setUpRecording(name, opts); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("recorded: unknown mode %d", int(opts.Mode))
	}

	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("recorded: listening on %s: %w", addr, err)
	}
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, err
	}
	if opts.TLS != nil {
		cfg := opts.TLS.Clone()
		if cfg.MinVersion == 0 {
			cfg.MinVersion = tls.VersionTLS12
		}
		s.serverCerts = x509.NewCertPool()
		for _, cert := range cfg.Certificates {
			if len(cert.Certificate) == 0 {
				continue
			}
			leaf, err := x509.ParseCertificate(cert.Certificate[0])
			if err != nil {
				ln.Close()
				return nil, fmt.Errorf("recorded: TLS certificate: %w", err)
			}
			s.serverCerts.AddCert(leaf)
		}
		ln = tls.NewListener(ln, cfg)
	}
	s.listener = ln
	s.port = port
	s.httpServer = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		defer close(s.served)
		_ = s.httpServer.Serve(ln)
	}()
	return s, nil
}

func (s *Server) setUpRecording(name string, opts Options) error {
	up, err := url.Parse(opts.Upstream)
	if err != nil || up.Host == "" || (up.Scheme != "https" && up.Scheme != "http") {
		return fmt.Errorf("recorded: record mode needs the Keystone URL as Upstream, such as https://iam.eu-de.otc.t-systems.com/v3; got %q", opts.Upstream)
	}
	transport := opts.Transport
	if transport == nil {
		// Not DefaultTransport itself: closing idle connections on Close
		// must not touch other users of the default.
		if base, ok := http.DefaultTransport.(*http.Transport); ok {
			transport = base.Clone()
		} else {
			transport = http.DefaultTransport
		}
	}
	s.hosts = newHostRegistry()
	s.upstreamLabel = s.hosts.learn(up.Scheme, up.Host)
	s.upstream = strings.ToLower(up.Scheme + "://" + up.Host)
	s.hosts.upstream = s.upstream
	s.authPath = strings.TrimSuffix(up.EscapedPath(), "/")
	if s.authPath == "" {
		s.authPath = "/v3"
	}
	rec, err := recorder.New(name,
		recorder.WithMode(recorder.ModeRecordOnly),
		recorder.WithRealTransport(transport),
		// Latency simulation would also delay the live response.
		recorder.WithSkipRequestLatency(true),
		// Sanitising only before save: an AfterCapture hook would also
		// redact the token the client is about to receive.
		recorder.WithHook(func(i *cassette.Interaction) error {
			return sanitizer{hosts: s.hosts.placeholderReplacer()}.interaction(i)
		}, recorder.BeforeSaveHook),
	)
	if err != nil {
		return fmt.Errorf("recorded: creating recorder for %s: %w", s.cassetteFile, err)
	}
	s.recorder = rec
	return nil
}

// URL is the server's plain address, http://127.0.0.1:PORT, or
// https://127.0.0.1:PORT with Options.TLS.
func (s *Server) URL() string { return s.scheme() + "://127.0.0.1:" + s.port }

func (s *Server) scheme() string {
	if s.serverCerts != nil {
		return "https"
	}
	return "http"
}

// AuthURL is the Keystone URL to configure the client with.
func (s *Server) AuthURL() string { return s.URL() + s.authPath }

// Mode is the mode the server was started in.
func (s *Server) Mode() Mode { return s.mode }

// CassetteFile is the cassette's path including .yaml.
func (s *Server) CassetteFile() string { return s.cassetteFile }

// Unmatched describes each request the server could not answer: in replay
// mode those no interaction matched, in record mode those it could not
// forward.
func (s *Server) Unmatched() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unmatched...)
}

// Requests lists every request received, in order, as "METHOD /path?query".
// The host is left out so that counts do not depend on the port.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Client returns an HTTP client that reaches the server under any
// <label>.localhost name. Go's resolver does not map subdomains of
// localhost to loopback (RFC 6761 says they should), so the client dials
// them itself. On a TLS server it trusts the server's own certificates and
// presents none.
func (s *Server) Client() *http.Client {
	var cfg *tls.Config
	if s.serverCerts != nil {
		cfg = &tls.Config{RootCAs: s.serverCerts, MinVersion: tls.VersionTLS12}
	}
	return s.ClientWithTLS(cfg)
}

// ClientWithTLS is Client with the given TLS settings (a CA to trust, a
// client certificate), for tests of a TLS server that wants one.
func (s *Server) ClientWithTLS(cfg *tls.Config) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err == nil && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig: cfg,
	}}
}

// Close stops the server; in record mode it then writes the cassette.
// Calling it again returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.httpServer.Shutdown(ctx); err != nil {
			s.httpServer.Close()
		}
		<-s.served
		s.mu.Lock()
		forwarded := s.forwarded
		s.mu.Unlock()
		// A session that forwarded nothing (a skipped test, a typo in the
		// upstream URL) must not replace a good cassette with an empty one.
		if s.recorder != nil && forwarded > 0 {
			if err := s.recorder.Stop(); err != nil {
				s.closeErr = fmt.Errorf("recorded: saving cassette %s: %w", s.cassetteFile, err)
			}
		}
	})
	return s.closeErr
}

// ServeHTTP answers one request from the cassette or from upstream.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "RECORDED.BAD_REQUEST", "recorded server: reading the request body: "+err.Error())
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
	s.mu.Unlock()

	if s.mode == ModeRecord {
		s.serveRecord(w, r, body)
		return
	}
	if isSigned(r) && !s.verifySignature(w, r, body) {
		return
	}
	s.serveReplay(w, r, body)
}

func (s *Server) addUnmatched(desc string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unmatched = append(s.unmatched, desc)
}

// localOrigin is where the client reaches the service recorded under label.
func (s *Server) localOrigin(label string) string {
	return s.scheme() + "://" + label + ".localhost:" + s.port
}

func (s *Server) cassetteName() string { return filepath.Base(s.cassetteFile) }

// describe names a request for error messages without its body, which may
// carry secrets.
func describe(r *http.Request, label string) string {
	target := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		q, _ := sanitizer{}.query(r.URL.RawQuery)
		target += "?" + q
	}
	return fmt.Sprintf("%s %s (host label %q)", r.Method, target, label)
}

// writeError answers in the vendor error shape the provider already parses,
// so a test failure shows the server's message rather than a decode error.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]string{"code": code, "message": message},
	})
}

// writeResponse sends a recorded or upstream response after rewrite has
// pointed its URLs at this server. The header map is copied because it may
// belong to a cassette interaction.
func writeResponse(w http.ResponseWriter, resp *http.Response, body string, rewrite func(string) string) {
	for name, values := range resp.Header {
		if containsFold(noiseHeaders, name) {
			continue
		}
		for _, v := range values {
			if strings.EqualFold(name, "Location") || strings.EqualFold(name, "Content-Location") {
				v = rewrite(v)
			}
			w.Header().Add(name, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.WriteString(w, rewrite(body))
}
