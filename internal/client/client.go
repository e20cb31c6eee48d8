// Package client holds the provider's connection to the cloud: the resolved
// settings, one pooled HTTP transport, and a Keystone token obtained lazily,
// at most once per provider process, and shared by every read.
package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/vbs-tf/terraform-provider-vbs/internal/aksk"
	"github.com/vbs-tf/terraform-provider-vbs/internal/transport"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
)

// Settings are the provider settings after the Terraform configuration and
// the OS_* environment variables have been merged and checked.
type Settings struct {
	AuthURL     string
	Region      string
	ProjectID   string
	ProjectName string
	DomainID    string
	DomainName  string
	UserID      string
	UserName    string
	Password    string
	Token       string
	Insecure    bool
	CACertFile  string
	// Endpoints overrides service endpoints by service key ("vbs").
	Endpoints map[string]string
	// UserAgent is prepended to gophercloud's own User-Agent.
	UserAgent string

	// AccessKey, SecretKey and SecurityToken sign every request (AK/SK)
	// instead of a Keystone token.
	AccessKey     string
	SecretKey     string
	SecurityToken string
	// Cert and Key are a PEM client certificate and its key.
	Cert string
	Key  string
	// Cloud is the clouds.yaml entry the settings came from, if any.
	Cloud string
	// MaxRetries for one request; negative means the default.
	MaxRetries int
}

// CredentialKind names the kind of credentials in use, never their values, so
// that authorisation failures can say what was tried.
func (s Settings) CredentialKind() string {
	if s.AccessKey != "" {
		kind := "AK/SK request signing (access_key / OS_ACCESS_KEY)"
		if s.SecurityToken != "" {
			kind = "temporary AK/SK request signing with a security token (OS_SECURITY_TOKEN)"
		}
		return kind + " for project " + s.ProjectID
	}
	scope := "project " + s.ProjectID
	if s.ProjectID == "" {
		scope = fmt.Sprintf("project name %q", s.ProjectName)
	}
	if s.Token != "" {
		return "a Keystone token (token / OS_TOKEN) re-scoped to " + scope
	}
	user := "user ID (user_id / OS_USER_ID)"
	if s.UserID == "" {
		user = "user name (user_name / OS_USERNAME)"
	}
	return "password credentials for a " + user + " scoped to " + scope
}

// Client is the provider-level connection. It is safe for concurrent use.
type Client struct {
	settings   Settings
	httpClient http.Client
	// transport is the pooled base transport, kept to close idle connections.
	transport *http.Transport

	// tokens keeps every attempt of a request on the newest token; nil
	// with AK/SK, which signs instead.
	tokens *tokenTransport

	shared sharedReads
}

// Connection is an authenticated view of the cloud: the VBS service client and
// the project the token is scoped to.
type Connection struct {
	VBS       *gophercloud.ServiceClient
	ProjectID string
	// Credentials describes the credentials in use, without values.
	Credentials string
}

// New checks the settings that can be checked without the network and builds
// the HTTP client. It does not authenticate.
func New(s Settings) (*Client, error) {
	base, err := newTransport(s)
	if err != nil {
		return nil, err
	}
	// Logging sees every attempt; signing happens per attempt, so each one
	// carries a fresh X-Sdk-Date; retries wrap both.
	rt := transport.NewLogging(base)
	var tokens *tokenTransport
	if s.AccessKey != "" {
		rt = aksk.NewTransport(rt, aksk.Credentials{AccessKey: s.AccessKey, SecretKey: s.SecretKey, SecurityToken: s.SecurityToken}, s.ProjectID, nil)
	} else {
		tokens = &tokenTransport{base: rt}
		rt = tokens
	}
	retry := transport.RetryOptions{MaxRetries: s.MaxRetries}
	switch {
	case s.MaxRetries < 0:
		retry.MaxRetries = 0 // the default
	case s.MaxRetries == 0:
		retry.MaxRetries = -1 // off
	}
	rt = transport.NewRetry(rt, retry)
	return &Client{settings: s, httpClient: http.Client{Transport: rt}, transport: base, tokens: tokens}, nil
}

// Settings returns the settings the client was built with.
func (c *Client) Settings() Settings { return c.settings }

// Connect returns the authenticated connection, authenticating on first use.
// Concurrent first callers share one authentication, each waiting on its own
// context (Shared); a failure is kept and returned to every later caller, so
// a bad password costs one request, not one per data source. A login that
// every caller gave up on is not kept: the next caller tries again.
func (c *Client) Connect(ctx context.Context) (*Connection, error) {
	return Shared(ctx, c, "connect", c.authenticate)
}

func (c *Client) authenticate(ctx context.Context) (*Connection, error) {
	s := c.settings
	if s.AccessKey != "" {
		return c.signedConnection(ctx)
	}
	identityURL, err := IdentityURL(s.AuthURL)
	if err != nil {
		return nil, err
	}
	pc, err := openstack.NewClient(identityURL)
	if err != nil {
		return nil, fmt.Errorf("auth_url %q: %w", s.AuthURL, err)
	}
	pc.HTTPClient = c.httpClient
	if s.UserAgent != "" {
		pc.UserAgent.Prepend(s.UserAgent)
	}

	opts := gophercloud.AuthOptions{
		IdentityEndpoint: identityURL,
		UserID:           s.UserID,
		Username:         s.UserName,
		Password:         s.Password,
		DomainID:         s.DomainID,
		DomainName:       s.DomainName,
		TokenID:          s.Token,
		// A password can be used again when the token expires; a token cannot.
		AllowReauth: s.Token == "",
		Scope:       &gophercloud.AuthScope{ProjectID: s.ProjectID},
	}
	if s.ProjectID == "" {
		opts.Scope = &gophercloud.AuthScope{ProjectName: s.ProjectName, DomainID: s.DomainID, DomainName: s.DomainName}
	}
	if s.Token != "" || s.UserID != "" {
		// A user ID or a token identifies the user on its own; Keystone
		// refuses a user domain beside them. The domain still scopes the
		// project by name above.
		opts.DomainID, opts.DomainName = "", ""
	}

	// The login sends the same credentials again and only issues a token:
	// it is safe to resend, the first time and when gophercloud logs in
	// again under the context of the request that met an expired token.
	// Its answer is JSON, so an empty or cut one is sent again too.
	if err := openstack.AuthenticateV3(loginContext(ctx), pc, &opts, gophercloud.EndpointOpts{}); err != nil {
		return nil, &AuthError{AuthURL: identityURL, Credentials: s.CredentialKind(), Err: vbs.NewAPIError(err)}
	}
	if reauth := pc.ReauthFunc; reauth != nil {
		pc.ReauthFunc = func(ctx context.Context) error { return reauth(loginContext(ctx)) }
	}

	if c.tokens != nil {
		c.tokens.provider.Store(pc)
	}

	result, ok := pc.GetAuthResult().(tokens.CreateResult)
	if !ok {
		return nil, fmt.Errorf("keystone at %s returned an unexpected authentication result", identityURL)
	}
	project, err := result.ExtractProject()
	if err != nil || project == nil || project.ID == "" {
		return nil, fmt.Errorf("keystone at %s returned a token that is not scoped to a project; set project_id (OS_PROJECT_ID) or project_name (OS_PROJECT_NAME)", identityURL)
	}
	catalog, err := result.ExtractServiceCatalog()
	if err != nil {
		return nil, fmt.Errorf("reading the service catalog from keystone at %s: %w", identityURL, err)
	}

	return newConnection(s, pc, catalog, project.ID)
}

// loginContext marks a login's request: safe to resend, answered in JSON.
func loginContext(ctx context.Context) context.Context {
	return transport.ExpectJSON(transport.MarkSafeToResend(ctx))
}

// signedConnection is the AK/SK path: no token; every request is signed,
// and the catalog, unless the endpoint is overridden, comes from Keystone's
// catalog call, signed like the rest.
func (c *Client) signedConnection(ctx context.Context) (*Connection, error) {
	s := c.settings
	pc := &gophercloud.ProviderClient{HTTPClient: c.httpClient}
	pc.UseTokenLock()
	if s.UserAgent != "" {
		pc.UserAgent.Prepend(s.UserAgent)
	}
	var catalog *tokens.ServiceCatalog
	if s.Endpoints["vbs"] == "" {
		identityURL, err := IdentityURL(s.AuthURL)
		if err != nil {
			return nil, err
		}
		identity := &gophercloud.ServiceClient{ProviderClient: pc, Endpoint: identityURL}
		var body struct {
			Catalog []tokens.CatalogEntry `json:"catalog"`
		}
		_, err = identity.Get(ctx, identity.ServiceURL("auth", "catalog"), &body, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
		if err != nil {
			return nil, &AuthError{AuthURL: identityURL, Credentials: s.CredentialKind(), Err: vbs.NewAPIError(err)}
		}
		catalog = &tokens.ServiceCatalog{Entries: body.Catalog}
	}
	return newConnection(s, pc, catalog, s.ProjectID)
}

func newConnection(s Settings, pc *gophercloud.ProviderClient, catalog *tokens.ServiceCatalog, projectID string) (*Connection, error) {
	endpoint, err := vbsEndpoint(s, catalog, projectID)
	if err != nil {
		return nil, err
	}
	return &Connection{
		VBS: &gophercloud.ServiceClient{
			ProviderClient: pc,
			Endpoint:       endpoint,
			ResourceBase:   endpoint,
			Type:           "vbs",
		},
		ProjectID:   projectID,
		Credentials: s.CredentialKind(),
	}, nil
}

// AuthError is a failed Keystone authentication.
type AuthError struct {
	AuthURL     string
	Credentials string
	Err         error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("authenticating at %s with %s: %v", e.AuthURL, e.Credentials, e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// IdentityURL checks auth_url and returns the Keystone v3 URL it names,
// ending in a slash. The accepted forms are a URL whose path ends in /v3
// (https://iam.eu-de.otc.t-systems.com/v3, https://cloud.example/identity/v3,
// with or without a trailing slash) and a bare origin
// (https://iam.eu-de.otc.t-systems.com), to which /v3 is added as the
// documentation says. Any other path is refused rather than rewritten: a
// v2.0 URL, or a typo such as /v3x, would otherwise fail later with a
// confusing 404.
func IdentityURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%q is not an http:// or https:// URL with a host; %s", raw, identityURLForms)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q has a query or fragment, which a Keystone URL does not take; %s", raw, identityURLForms)
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case p == "":
		p = "/v3"
	case strings.HasSuffix(p, "/v3"):
	case strings.HasSuffix(p, "/v2.0") || strings.HasSuffix(p, "/v2"):
		return "", fmt.Errorf("%q points at Keystone v2, which this provider does not speak; %s", raw, identityURLForms)
	default:
		return "", fmt.Errorf("the path of %q is not a Keystone v3 path (it should end in /v3); %s", raw, identityURLForms)
	}
	u.Path, u.RawPath = p+"/", ""
	return u.String(), nil
}

const identityURLForms = "accepted forms: https://iam.eu-de.otc.t-systems.com/v3, https://<host>/<prefix>/v3, " +
	"or a bare https://<host> (/v3 is added)"

// ErrNoEndpoint is returned when neither the override nor the catalog yields
// a VBS endpoint.
var ErrNoEndpoint = errors.New("no VBS endpoint")
