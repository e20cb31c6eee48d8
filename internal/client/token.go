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
// client's newest token, and logs in once more when a token renewed since
// the request began is refused too.
//
// gophercloud logs in again on a 401 only when the token is still the one
// the request started with; when another read has renewed it meanwhile, it
// resends with the renewed token and gives up if that is refused. A read
// held back by retries (a long Retry-After) can outlive both its own token
// and the one another read renewed: then it fails with 401 although a login
// would fix it. Here such an attempt logs in (gophercloud's Reauthenticate,
// which also lets concurrent callers share one login) and is sent once more.
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
	if err != nil || resp.StatusCode != http.StatusUnauthorized || token == started {
		// A 401 for the token the request started with is gophercloud's to
		// handle: it logs in once and resends.
		return resp, err
	}
	// The refusal stands unless a login yields a new token (it fails with
	// a wrong password, and a token given by the user cannot be renewed)
	// and the request can be sent again with it.
	if reauthErr := pc.Reauthenticate(req.Context(), token); reauthErr == nil && pc.Token() != token {
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
