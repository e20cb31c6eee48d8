package recorded

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

func (s *Server) serveRecord(w http.ResponseWriter, r *http.Request, body []byte) {
	label, origin, ok := s.upstreamFor(r.Host)
	if !ok {
		desc := describe(r, label)
		s.addUnmatched(desc)
		writeError(w, http.StatusBadGateway, "RECORDED.UNKNOWN_HOST",
			fmt.Sprintf("recorded server: no real host is known for label %q (%s); only hosts named in earlier responses, or sharing their domain, can be recorded", label, desc))
		return
	}

	var reqBody io.Reader = http.NoBody
	if len(body) > 0 {
		reqBody = bytes.NewReader(body)
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, origin+r.URL.RequestURI(), reqBody)
	if err != nil {
		s.addUnmatched(describe(r, label))
		writeError(w, http.StatusBadGateway, "RECORDED.UPSTREAM", "recorded server: building the upstream request: "+err.Error())
		return
	}
	for name, values := range r.Header {
		// Without Accept-Encoding the transport asks for gzip itself and
		// decompresses, so the cassette holds readable bodies.
		if containsFold(noiseHeaders, name) {
			continue
		}
		out.Header[name] = append([]string(nil), values...)
	}
	if s.resigner != nil && isSigned(r) {
		if err := s.resign(out, body); err != nil {
			s.addUnmatched(describe(r, label))
			writeError(w, http.StatusBadGateway, "RECORDED.UPSTREAM", "recorded server: re-signing the request for upstream: "+err.Error())
			return
		}
	}

	resp, err := s.recorder.RoundTrip(out)
	if err != nil {
		s.addUnmatched(describe(r, label))
		writeError(w, http.StatusBadGateway, "RECORDED.UPSTREAM", fmt.Sprintf("recorded server: forwarding %s to %s failed: %v", describe(r, label), placeholderHost(label), err))
		return
	}
	defer resp.Body.Close()
	s.mu.Lock()
	s.forwarded++
	s.mu.Unlock()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.addUnmatched(describe(r, label))
		writeError(w, http.StatusBadGateway, "RECORDED.UPSTREAM", "recorded server: reading the upstream response: "+err.Error())
		return
	}
	writeResponse(w, resp, string(data), s.rewriteRealURLs)
}

// upstreamFor picks the real origin for a request by the name it arrived
// under: the bare address is Keystone, <label>.localhost is the service a
// catalog URL was rewritten from.
func (s *Server) upstreamFor(hostport string) (label, origin string, ok bool) {
	if isBareHost(hostport) {
		return s.upstreamLabel, s.upstream, true
	}
	label = firstLabel(hostport)
	if origin, ok = s.hosts.origin(label); ok {
		return label, origin, true
	}
	origin, ok = s.hosts.derive(label)
	return label, origin, ok
}

// rewriteRealURLs points every absolute URL in an upstream response at this
// server and remembers the real host, so the client's next request to it
// can be forwarded.
func (s *Server) rewriteRealURLs(text string) string {
	return absoluteURL.ReplaceAllStringFunc(text, func(m string) string {
		sub := absoluteURL.FindStringSubmatch(m)
		scheme, host, port := sub[1], sub[2], sub[3]
		if isLocalHost(host) {
			return m
		}
		return s.localOrigin(s.hosts.learn(scheme, host+port))
	})
}
