// Package fakecloud is the project's stand-in for an OpenStack-style cloud
// with the Volume Backup Service: Keystone v3 password login (strict, or
// accepting anyone) with tokens that can expire (by hand, after a number of
// uses, or with age), API gateway AK/SK signatures (SDK-HMAC-SHA256), a
// catalog, canned replies that can fail a given number of times or be held
// until a test releases them, and a stateful VBS sharing API (get, list
// with filters, sorting and paging, count, create, delete) that holds a
// handful of hand-made sharings or tens of thousands of synthetic ones with
// their replies rendered in advance.
//
// It can misbehave as a gateway under load does (Faults): rules name the
// requests they hit (login, sharing GET, listing page, count, create,
// delete), the kinds they draw from and a rate: throttling with
// Retry-After, 503s, HTML 502s, connection resets, bodies cut short, and
// creates and deletes carried out whose answers are lost. What befalls a
// request is a pure function of the seed, the request's identity and how
// often it was seen, never of goroutine order, and one identity meets at
// most two faults in a row by default, so a client that retries gets
// through. Tokens can expire after a number of uses. It counts every
// request by kind and every fault dealt; Await waits for a count and
// AwaitIdle for no request in flight, so tests wait on a signal with a
// bound instead of polling.
//
// One cloud serves every test and tool that needs a cloud:
//
//   - Cassettes. The public VBS service has reached end-of-life, so the
//     committed cassettes under testdata/cassettes are recordings of this
//     cloud, made through the recorded server's record mode, and its replies
//     are built from the API reference's documented examples. For that it
//     serves https under several host names on one listener (iam.<domain>,
//     vbs.<domain>, evs.<domain>) and leaves out the Date header, so two
//     recordings of one scenario are identical.
//   - The recorded server's tests and the provider's acceptance scenarios,
//     which declare the cloud they record against: flaky routes, expiring
//     tokens, mistyped Keystone paths.
//   - The benchmark (internal/bench), which serves it over plain HTTP at one
//     origin with a latency per response and reads its request counts.
//   - The client's and the provider's unit tests, over plain HTTP, for
//     logins, re-authentication and listings whose count and pages differ.
package fakecloud

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Service is one catalog entry besides identity. With TLS its URL is
// https://<Label>.<Domain><Path>; with PlainHTTP it is <URL()><Path>, and a
// request belongs to the service whose Path it starts with.
type Service struct {
	Type  string
	Name  string
	Label string
	Path  string
}

// Route is a canned reply. A route on the iam label answers without a token,
// as Keystone's own paths need none (so a route can turn the login itself
// into a 404), except on the catalog path; a route on another label answers
// authenticated requests only, before the sharing API.
type Route struct {
	Method string
	Label  string // host label (or, with PlainHTTP, service label) of the request
	Path   string
	Status int
	Header map[string]string
	Body   string
	// Times limits how often the route answers (0: always), so a scenario
	// can make the first DELETE fail and the next one succeed.
	Times int
	// Delay is waited before the answer, on top of the cloud's latency: a
	// slow call. A client that gives up meanwhile gets no answer.
	Delay time.Duration
	// Hold, when set, keeps the answer back until it is closed, after the
	// latency and before Delay: a test closes it once it has done what it
	// wants done while the request is inside the cloud. A request reaching
	// the hold is counted as CountHeld, which Reached signals. A client
	// that gives up meanwhile gets no answer.
	Hold <-chan struct{}
}

// Config describes the cloud. Empty identity fields take the values of
// Default.
type Config struct {
	// Addr is the listen address; empty means 127.0.0.1 on a free port.
	Addr string
	// PlainHTTP serves http at the listener's own address instead of https
	// under host names: what a benchmark wants, which should measure the
	// provider and not TLS.
	PlainHTTP bool
	// ControlPath, when set (for example "/_bench/"), serves the request
	// counts as JSON at GET <ControlPath>counts and zeroes them at POST
	// <ControlPath>reset, for a cloud running in another process. Neither
	// is counted or delayed.
	ControlPath string

	Domain         string // hosts are <label>.<Domain>
	Region         string
	UserID         string
	UserName       string
	UserDomainID   string
	UserDomainName string
	Password       string
	ProjectID      string
	ProjectName    string
	// AnyLogin accepts every password login, whoever it names: a benchmark
	// measures the provider, not Keystone. The token is always scoped to
	// ProjectID. Without it, user name, domain name, password and project ID
	// must be the cloud's.
	AnyLogin bool
	// Token is what a login issues. With DistinctTokens each login issues a
	// new one, <Token>-1, <Token>-2, ..., so that a test can expire the one
	// a particular login got (Expire). Without it every login issues Token
	// itself, which committed cassettes rely on.
	Token          string
	DistinctTokens bool
	// TokenUses, when positive, expires a token on its own after that many
	// authenticated requests: the next one is refused with the gateway's
	// 401 APIGW.0307, as Expire would make it, until a login issues the
	// token again (with DistinctTokens, never). Deterministic, for tests
	// of re-authentication in the middle of a run.
	TokenUses int
	// TokenLifetime, when positive, expires a token that long after it was
	// issued (the fixed token's age counting from Start), and the login's
	// expires_at says when. For long runs by hand, such as a chaos
	// benchmark; tests, which must not depend on time, use TokenUses.
	TokenLifetime time.Duration
	// AccessKey and SecretKey, when both set, let requests signed with them
	// (SDK-HMAC-SHA256) through instead of a token. Such a request must also
	// carry X-Project-Id equal to ProjectID and, exactly when SecurityToken
	// is set, X-Security-Token equal to it: a temporary credential is
	// useless without its token, a permanent one takes none.
	AccessKey     string
	SecretKey     string
	SecurityToken string
	// Catalog lists the services besides identity, which is always there.
	Catalog []Service
	Routes  []Route
	// Sharings, when set, serves the VBS sharing API under the vbs label for
	// whatever no route answered.
	Sharings *Sharings
	// MaxPageSize, when positive, caps every page of the sharing list, as
	// servers that ignore a larger limit do. Count is not affected.
	MaxPageSize int
	// IgnoredFilters are list and count filters the server does not
	// honour, as query parameter names ("backup_id"): it answers as if
	// they were not sent, as a server might for a filter whose name the
	// reference misspells.
	IgnoredFilters []string
	// AllowDuplicateSharings lets a create share a backup again with a
	// project it is already shared with, making a second sharing of the
	// pair, as a server without that check would. Without it the create
	// is refused with a 400 and nothing is made.
	AllowDuplicateSharings bool
	// Latency is waited before every counted response, the login's too. A
	// request whose client gives up meanwhile gets no answer.
	Latency time.Duration
	// Faults, when set, makes the cloud misbehave as a gateway under load
	// does. They hit canned routes as well as the cloud's own answers.
	Faults *Faults
	// Observe, when set, is called with every counted request once it is
	// counted and before it is answered, on the request's own goroutine:
	// how a test looks at headers the cloud does not check, such as
	// User-Agent. It must not read the body nor keep the request.
	Observe func(*http.Request)
	// Intercept, when set, sees each authenticated request under the vbs
	// label that no route answered, before the sharing API does. It
	// answers the request itself and reports true, or reports false to let
	// the sharing API answer. It may block to hold one answer back, say one
	// page of a listing, until a test has seen what it waits for; it must
	// then return once r's context ends. Routes cannot do that: they match
	// no query, and their Delay is a time, not an event.
	Intercept func(w http.ResponseWriter, r *http.Request) bool
}

// Default is an account with realistic-looking identifiers.
var Default = Config{
	Domain:         "eu-de.otc.example.com",
	Region:         "eu-de",
	UserID:         "8c1d2e3f4a5b4c7d8e9f0a1b2c3d4e5f",
	UserName:       "tf-recorder",
	UserDomainID:   "5e6f7a8b9c0d4e2f8a4b5c6d7e8f9a0b",
	UserDomainName: "OTC00000000001000000042",
	Password:       "fake-cloud-password",
	ProjectID:      "ffffffffffffffffffffffffffff0000",
	ProjectName:    "eu-de_vbs-demo",
	Token:          "fake-cloud-token",
}

// Cloud is a running fake cloud. It is safe for concurrent use.
type Cloud struct {
	cfg       Config
	listener  net.Listener
	server    *http.Server
	url       string
	services  []Service // identity, then the catalog
	transport *http.Transport
	latency   atomic.Int64
	quirks    quirks
	faults    *faults // nil without Config.Faults

	mu       sync.Mutex
	routes   []Route // cfg.Routes, counting down their Times
	requests []string
	tokens   tokens

	stats stats
}

// Start starts the cloud.
func Start(cfg Config) (*Cloud, error) {
	fillDefaults(&cfg)
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	f, err := newFaults(cfg.Faults)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	c := &Cloud{
		cfg: cfg, listener: ln, routes: append([]Route(nil), cfg.Routes...),
		faults:   f,
		quirks:   quirks{maxPageSize: cfg.MaxPageSize, ignoredFilters: cfg.IgnoredFilters, allowDuplicates: cfg.AllowDuplicateSharings},
		services: append([]Service{identity}, cfg.Catalog...),
	}
	c.latency.Store(int64(cfg.Latency))
	c.stats.init()
	c.tokens.init(cfg, time.Now())
	addr := ln.Addr().String()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	c.transport = &http.Transport{
		// Every host name of the cloud lives on the one listener.
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}
	c.url = "http://" + addr
	if !cfg.PlainHTTP {
		cert, pool, err := serverCert("*." + cfg.Domain)
		if err != nil {
			ln.Close()
			return nil, err
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		c.transport.TLSClientConfig = &tls.Config{RootCAs: pool}
		c.url = "https://" + addr
	}
	c.server = &http.Server{
		Handler:           http.HandlerFunc(c.serve),
		ReadHeaderTimeout: 30 * time.Second,
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				c.stats.add(CountConnections)
			}
		},
	}
	go func() { _ = c.server.Serve(ln) }()
	return c, nil
}

func fillDefaults(cfg *Config) {
	d := Default
	set := func(field *string, def string) {
		if *field == "" {
			*field = def
		}
	}
	set(&cfg.Domain, d.Domain)
	set(&cfg.Region, d.Region)
	set(&cfg.UserID, d.UserID)
	set(&cfg.UserName, d.UserName)
	set(&cfg.UserDomainID, d.UserDomainID)
	set(&cfg.UserDomainName, d.UserDomainName)
	set(&cfg.Password, d.Password)
	set(&cfg.ProjectID, d.ProjectID)
	set(&cfg.ProjectName, d.ProjectName)
	set(&cfg.Token, d.Token)
}

// URL is the listener's own base URL, http://127.0.0.1:PORT with
// PlainHTTP; with TLS the host names (Host) are what clients use.
func (c *Cloud) URL() string { return c.url }

// AuthURL is the cloud's Keystone URL: https://iam.<domain>/v3, or
// <URL()>/v3 with PlainHTTP.
func (c *Cloud) AuthURL() string { return c.serviceURL("iam", "/v3") }

// Host is the cloud's host name for a service label; with PlainHTTP every
// label has the listener's address.
func (c *Cloud) Host(label string) string {
	if c.cfg.PlainHTTP {
		return c.listener.Addr().String()
	}
	return label + "." + c.cfg.Domain
}

func (c *Cloud) serviceURL(label, path string) string {
	if c.cfg.PlainHTTP {
		return c.url + path
	}
	return "https://" + c.Host(label) + path
}

// Addr is the real listener address, which no cassette may contain.
func (c *Cloud) Addr() string { return c.listener.Addr().String() }

// Transport reaches the cloud under any of its host names and trusts its
// certificate.
func (c *Cloud) Transport() http.RoundTripper { return c.transport }

// SetLatency changes the latency for later requests.
func (c *Cloud) SetLatency(d time.Duration) { c.latency.Store(int64(d)) }

// SharingIDs lists the IDs of the sharings that exist now, oldest first.
func (c *Cloud) SharingIDs() []string {
	if c.cfg.Sharings == nil {
		return nil
	}
	return c.cfg.Sharings.IDs()
}

// Requests lists what the cloud received since the last ResetCounts as
// "METHOD label path", control requests left out.
func (c *Cloud) Requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requests...)
}

// Close stops the cloud and drops open connections.
func (c *Cloud) Close() {
	c.transport.CloseIdleConnections()
	// The only error is the listener's, already closed or not: nothing to do.
	_ = c.server.Close()
}

// label is the service a request is for: the first label of its host name,
// or with PlainHTTP the service whose path the request's path starts with
// ("" when none does).
func (c *Cloud) label(r *http.Request) string {
	if !c.cfg.PlainHTTP {
		label, _, _ := strings.Cut(strings.ToLower(r.Host), ".")
		return label
	}
	best, bestLen := "", -1
	for _, s := range c.services {
		rest, ok := strings.CutPrefix(r.URL.Path, s.Path)
		if ok && (rest == "" || rest[0] == '/') && len(s.Path) > bestLen {
			best, bestLen = s.Label, len(s.Path)
		}
	}
	return best
}

// identity is Keystone's own catalog entry.
var identity = Service{Type: "identity", Name: "iam", Label: "iam", Path: "/v3"}
