package client

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/gophercloud/gophercloud/v2"
)

// tokenTransport sits between the retry transport and the wire, so it sees
// every attempt of a request. It sends each attempt with the provider
// client's newest token, and when the token an attempt carried is refused,
// it logs in (gophercloud's Reauthenticate, which lets concurrent callers
// share one login, and logs in only if nobody has renewed that token yet)
// and sends the attempt once more with the new token.
//
// gophercloud itself logs in again once per request, and when another read
// has renewed the token meanwhile it resends with that one and gives up if
// it is refused too. Under load a renewed token can expire before such a
// resend, and a read held back by retries (a long Retry-After) can outlive
// several tokens: each would fail with 401 although a login fixes it. Here
// every attempt gets its own chance at a fresh token.
type tokenTransport struct {
	base http.RoundTripper
	// provider is the logged-in client, nil until the first login.
	provider atomic.Pointer[gophercloud.ProviderClient]
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	started := req.Header.Get("X-Auth-Token")
	pc := t.provider.Load()
	if started == "" || pc == nil {
		return t.base.RoundTrip(req)
	}
	token := pc.Token()
	if token != "" && token != started {
		// The body is not read yet: the copy can take it as it is.
		req = req.Clone(req.Context())
		req.Header.Set("X-Auth-Token", token)
	} else {
		token = started
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// The refusal stands when no login can be made (a token given by the
	// user cannot be renewed) or the login fails (a wrong password).
	// Otherwise Reauthenticate logs in, unless another request renewed the
	// token meanwhile, and the attempt is sent once more with the token
	// now current, which a cloud may issue with the same value as before.
	if pc.ReauthFunc == nil {
		return resp, nil
	}
	if reauthErr := pc.Reauthenticate(req.Context(), token); reauthErr == nil && pc.Token() != "" {
		if retry, retryErr := withToken(req, pc.Token()); retryErr == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
			return t.base.RoundTrip(retry)
		}
	}
	return resp, nil
}

// withToken is req carrying token, with a fresh copy of its body, which
// the attempt before has consumed.
func withToken(req *http.Request, token string) (*http.Request, error) {
	r := req.Clone(req.Context())
	r.Header.Set("X-Auth-Token", token)
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, errors.New("the request body cannot be sent again with a renewed token")
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}
