package recorded

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/aksk"
)

// gatewayAuthFailure is what the API gateway says about any AK/SK signature
// it rejects; clients key on the code, so replay answers with the same.
const (
	gatewayAuthCode    = "APIGW.0301"
	gatewayAuthMessage = "Incorrect IAM authentication information: verify aksk signature fail"
)

// signatureHeaders are what a signer adds. They are dropped before
// re-signing, since a stale X-Sdk-Date or a security token the re-signing
// credentials do not own would make the upstream signature fail.
var signatureHeaders = []string{aksk.HeaderAuthorization, aksk.HeaderDate, aksk.HeaderSecurityToken}

// isSigned reports an AK/SK signature. Other Authorization schemes are left
// to whatever the cassette recorded.
func isSigned(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get(aksk.HeaderAuthorization), aksk.Algorithm+" ")
}

// verifySignature checks a replayed request's signature and, when it fails,
// answers 401 and records why. The clock check is off: the live date is
// never the recorded one, and what matters is that the client signed what it
// sent with the key the test gave it.
func (s *Server) verifySignature(w http.ResponseWriter, r *http.Request, body []byte) bool {
	lookup := func(ak string) (string, bool) {
		sk, ok := s.aksk[ak]
		return sk, ok
	}
	err := aksk.Verify(r, body, lookup, time.Time{}, 0)
	if err == nil {
		return true
	}
	label := s.replay.authLabel
	if !isBareHost(r.Host) {
		label = firstLabel(r.Host)
	}
	// aksk's errors never quote the signature or a secret; the access key
	// is left out too, since it is half of a credential.
	reason := err.Error()
	if errors.Is(err, aksk.ErrUnknownAccessKey) {
		if len(s.aksk) == 0 {
			reason = "the request is signed with an access key, but the server knows none (set Options.AKSK)"
		} else {
			reason = "its access key is not one of Options.AKSK"
		}
	}
	s.addUnmatched(fmt.Sprintf("%s, whose AK/SK signature was rejected: %s", describe(r, label), reason))
	s.writeGatewayError(w, http.StatusUnauthorized, gatewayAuthCode, gatewayAuthMessage)
	return false
}

// resign replaces the client's signature on a request about to be forwarded
// upstream. body must be what out will send.
func (s *Server) resign(out *http.Request, body []byte) error {
	for _, h := range signatureHeaders {
		out.Header.Del(h)
	}
	return s.resigner.Sign(out, body)
}

// writeGatewayError answers in the API gateway's error shape, which is what
// a client sees when the gateway turns a request away before any service.
func (s *Server) writeGatewayError(w http.ResponseWriter, status int, code, message string) {
	s.mu.Lock()
	s.gatewayRequestID++
	id := fmt.Sprintf("recorded%024x", s.gatewayRequestID)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error_code": code, "error_msg": message, "request_id": id})
}
