package recorded

import (
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// placeholderDomain sits under the reserved TLD .invalid (RFC 6761), so a
// cassette URL that escapes rewriting can never reach a real host.
const placeholderDomain = "recorded.invalid"

// placeholderURL finds cassette origins. The scheme is not kept on replay:
// the local server speaks plain HTTP whatever the cloud spoke.
var placeholderURL = regexp.MustCompile(`https?://([A-Za-z0-9-]+)\.recorded\.invalid`)

// absoluteURL finds the origin of any absolute URL in an upstream response,
// which is how record mode learns the hosts behind the service catalog.
var absoluteURL = regexp.MustCompile(`(https?)://([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]+)?`)

var labelPattern = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

func placeholderHost(label string) string { return label + "." + placeholderDomain }

// stripPort returns the host of a host[:port], lower-cased.
func stripPort(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}

// firstLabel is the part of a host before its first dot: the only part of a
// host that survives into a cassette, so the only part replay matches on.
func firstLabel(host string) string {
	host = stripPort(host)
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return host[:i]
	}
	return host
}

// isBareHost reports whether a request reached the server by its plain
// address rather than through a per-service name such as vbs.localhost.
func isBareHost(hostport string) bool {
	host := stripPort(hostport)
	return host == "localhost" || host == "" || net.ParseIP(host) != nil
}

// isLocalHost reports hosts the server itself answers for; they are never
// learned as cloud hosts. A cloud may well be addressed by a private IP, so
// only loopback addresses count.
func isLocalHost(host string) bool {
	host = stripPort(host)
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || ip.IsUnspecified()
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost") ||
		strings.HasSuffix(host, "."+placeholderDomain)
}

// hostRegistry maps the first label of each real cloud host to its origin, so
// that a request arriving as <label>.localhost:PORT can be forwarded and the
// real host can later be replaced by <label>.recorded.invalid.
type hostRegistry struct {
	mu       sync.Mutex
	byLabel  map[string]string // label -> origin (scheme://host[:port])
	byOrigin map[string]string // origin -> label
	// upstream is the Keystone origin; its domain is kept apart so a label
	// derived for an unknown service prefers the service hosts' domain.
	upstream string
}

func newHostRegistry() *hostRegistry {
	return &hostRegistry{byLabel: map[string]string{}, byOrigin: map[string]string{}}
}

// learn registers an origin and returns its label. Two hosts with the same
// first label (iam.eu-de… and iam.eu-nl…) must not collapse into one
// placeholder, or replay could not tell them apart; the later one gets a
// numbered label.
func (h *hostRegistry) learn(scheme, hostport string) string {
	origin := strings.ToLower(scheme) + "://" + strings.ToLower(hostport)
	h.mu.Lock()
	defer h.mu.Unlock()
	if label, ok := h.byOrigin[origin]; ok {
		return label
	}
	base := firstLabel(hostport)
	if !labelPattern.MatchString(base) {
		// An IP address or odd name: its first label would leak part of
		// the address into the cassette.
		base = "host"
	}
	label := base
	for n := 2; ; n++ {
		if _, taken := h.byLabel[label]; !taken {
			break
		}
		label = base + "-" + strconv.Itoa(n)
	}
	h.byLabel[label] = origin
	h.byOrigin[origin] = label
	return label
}

func (h *hostRegistry) origin(label string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.byLabel[label]
	return o, ok
}

// derive finds a real host for a label no response has named yet. Clients
// build such hosts themselves (the provider turns the catalog's evs host into
// vbs), so the server does the same: same scheme and domain as the known
// service hosts, new first label. It only guesses when the domain is
// unambiguous; Keystone's own domain counts only when there is no other.
func (h *hostRegistry) derive(label string) (string, bool) {
	if !labelPattern.MatchString(label) {
		return "", false
	}
	type domain struct{ scheme, rest string } // rest: ".eu-de.example.com[:port]"
	h.mu.Lock()
	services := map[domain]bool{}
	var keystone *domain
	for origin := range h.byOrigin {
		u, err := url.Parse(origin)
		if err != nil {
			continue
		}
		i := strings.IndexByte(u.Host, '.')
		if i < 0 {
			continue
		}
		d := domain{u.Scheme, u.Host[i:]}
		if origin == h.upstream {
			keystone = &d
			continue
		}
		services[d] = true
	}
	h.mu.Unlock()
	var chosen domain
	switch {
	case len(services) == 1:
		for d := range services {
			chosen = d
		}
	case len(services) == 0 && keystone != nil:
		chosen = *keystone
	default:
		return "", false
	}
	hostport := label + chosen.rest
	if h.learn(chosen.scheme, hostport) != label {
		return "", false
	}
	return chosen.scheme + "://" + hostport, true
}

// placeholderReplacer turns every learned host, with or without its port,
// into its placeholder. Longer names come first so that a host is never
// half-replaced by a shorter one it contains.
func (h *hostRegistry) placeholderReplacer() *strings.Replacer {
	h.mu.Lock()
	defer h.mu.Unlock()
	type pair struct{ from, to string }
	var pairs []pair
	for origin, label := range h.byOrigin {
		u, err := url.Parse(origin)
		if err != nil {
			continue
		}
		to := placeholderHost(label)
		pairs = append(pairs, pair{u.Host, to})
		if u.Port() != "" {
			pairs = append(pairs, pair{u.Hostname(), to})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if len(pairs[i].from) != len(pairs[j].from) {
			return len(pairs[i].from) > len(pairs[j].from)
		}
		return pairs[i].from < pairs[j].from
	})
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.from, p.to)
	}
	return strings.NewReplacer(args...)
}
