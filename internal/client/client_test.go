package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
)

const testProjectID = "ffffffffffffffffffffffffffff0000"

// startCloud starts a fake cloud over plain HTTP that accepts any login,
// scoped to the test project, with VBS in its catalog.
func startCloud(t *testing.T, adjust ...func(*fakecloud.Config)) *fakecloud.Cloud {
	t.Helper()
	cfg := fakecloud.Config{
		PlainHTTP: true, AnyLogin: true, ProjectID: testProjectID,
		Catalog: []fakecloud.Service{{Type: "vbsv2", Name: "vbs", Label: "vbs", Path: "/v2/" + testProjectID}},
	}
	for _, a := range adjust {
		a(&cfg)
	}
	cloud, err := fakecloud.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Close)
	return cloud
}

// connected builds a client of s and logs it in.
func connected(t *testing.T, s Settings) (*Client, *Connection) {
	t.Helper()
	c, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Connect(context.Background())
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return c, conn
}

func passwordSettings(authURL string) Settings {
	return Settings{AuthURL: authURL, UserName: "operator", Password: "pw-never-shown", DomainName: "dom", ProjectID: testProjectID, Region: "eu-de"}
}

func TestConnectAuthenticatesOnceForConcurrentReads(t *testing.T) {
	cloud := startCloud(t)
	c, err := New(passwordSettings(cloud.AuthURL()))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := c.Connect(context.Background())
			if err == nil && conn.ProjectID != testProjectID {
				err = fmt.Errorf("project %q", conn.ProjectID)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := cloud.Counts()[fakecloud.KindToken]; got != 1 {
		t.Fatalf("50 concurrent reads made %d token requests, want 1", got)
	}
}

func TestConnectWithoutReadsMakesNoRequest(t *testing.T) {
	cloud := startCloud(t)
	if _, err := New(passwordSettings(cloud.AuthURL())); err != nil {
		t.Fatal(err)
	}
	if got := cloud.Counts()[fakecloud.CountRequests]; got != 0 {
		t.Fatalf("building the client made %d requests, want 0", got)
	}
}

func TestConnectFailureIsKeptAndNamesCredentialKindNotValue(t *testing.T) {
	cloud := startCloud(t, func(cfg *fakecloud.Config) {
		cfg.Routes = []fakecloud.Route{{
			Method: http.MethodPost, Label: "iam", Path: "/v3/auth/tokens", Status: http.StatusUnauthorized,
			Header: map[string]string{"X-Request-Id": "req-keystone-1"},
			Body:   `{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`,
		}}
	})
	c, err := New(passwordSettings(cloud.AuthURL()))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err = c.Connect(context.Background())
		var authErr *AuthError
		if !errors.As(err, &authErr) {
			t.Fatalf("want *AuthError, got %T %v", err, err)
		}
	}
	msg := err.Error()
	for _, want := range []string{"password credentials", "user name (user_name / OS_USERNAME)", "401", "req-keystone-1", testProjectID} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "pw-never-shown") {
		t.Errorf("error shows the password: %q", msg)
	}
	if got := cloud.Counts()[fakecloud.KindToken]; got != 1 {
		t.Fatalf("3 reads after a refused login made %d token requests, want 1", got)
	}
}

func TestVBSEndpointDiscovery(t *testing.T) {
	catalog := func(entries ...tokens.CatalogEntry) *tokens.ServiceCatalog {
		return &tokens.ServiceCatalog{Entries: entries}
	}
	ce := func(serviceType, region, url string) tokens.CatalogEntry {
		return tokens.CatalogEntry{Type: serviceType, Endpoints: []tokens.Endpoint{{Interface: "public", Region: region, URL: url}}}
	}
	for _, tc := range []struct {
		name      string
		settings  Settings
		catalog   *tokens.ServiceCatalog
		want      string
		wantError string
	}{
		{
			name:     "override with project placeholder wins over catalog",
			settings: Settings{Endpoints: map[string]string{"vbs": "https://vbs.example/v2/{project_id}"}},
			catalog:  catalog(ce("vbsv2", "eu-de", "https://other.example/v2/x")),
			want:     "https://vbs.example/v2/" + testProjectID + "/",
		},
		{
			name:    "vbsv2 before vbs",
			catalog: catalog(ce("vbs", "eu-de", "https://b.example/v2/p"), ce("vbsv2", "eu-de", "https://a.example/v2/p")),
			want:    "https://a.example/v2/p/",
		},
		{
			name:    "vbs before volumev2",
			catalog: catalog(ce("volumev2", "eu-de", "https://evs.example/v2/p"), ce("vbs", "eu-de", "https://b.example/v2/p")),
			want:    "https://b.example/v2/p/",
		},
		{
			name:    "volumev2 host label evs becomes vbs",
			catalog: catalog(ce("volumev2", "eu-de", "https://evs.eu-de.otc.t-systems.com/v2/p")),
			want:    "https://vbs.eu-de.otc.t-systems.com/v2/p/",
		},
		{
			name:    "volumev2 keeps the port",
			catalog: catalog(ce("volumev2", "eu-de", "http://evs.localhost:8080/v2/p")),
			want:    "http://vbs.localhost:8080/v2/p/",
		},
		{
			name:     "region filters endpoints",
			settings: Settings{Region: "eu-nl"},
			catalog:  catalog(ce("vbs", "eu-de", "https://de.example/v2/p"), ce("vbs", "eu-nl", "https://nl.example/v2/p")),
			want:     "https://nl.example/v2/p/",
		},
		{
			name:      "volumev2 without an evs label",
			catalog:   catalog(ce("volumev2", "eu-de", "https://devs.example/v2/p")),
			wantError: "endpoints = { vbs",
		},
		{
			name:      "nothing usable",
			settings:  Settings{Region: "eu-de"},
			catalog:   catalog(ce("compute", "eu-de", "https://ecs.example/v2/p")),
			wantError: `in region "eu-de" (region / OS_REGION_NAME); set the VBS endpoint with endpoints`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := vbsEndpoint(tc.settings, tc.catalog, testProjectID)
			if tc.wantError != "" {
				if err == nil || !errors.Is(err, ErrNoEndpoint) || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("want ErrNoEndpoint containing %q, got %v", tc.wantError, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestIdentityURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://iam.eu-de.otc.t-systems.com/v3":   "https://iam.eu-de.otc.t-systems.com/v3/",
		"https://iam.eu-de.otc.t-systems.com/v3/":  "https://iam.eu-de.otc.t-systems.com/v3/",
		"https://iam.eu-de.otc.t-systems.com":      "https://iam.eu-de.otc.t-systems.com/v3/",
		"https://iam.eu-de.otc.t-systems.com/":     "https://iam.eu-de.otc.t-systems.com/v3/",
		"https://cloud.example/identity/v3":        "https://cloud.example/identity/v3/",
		" http://127.0.0.1:5000/v3 ":               "http://127.0.0.1:5000/v3/",
		"https://iam.eu-de.otc.t-systems.com/v3//": "https://iam.eu-de.otc.t-systems.com/v3/",
	} {
		if got, err := IdentityURL(in); err != nil || got != want {
			t.Errorf("IdentityURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for bad, why := range map[string]string{
		"iam.example/v3":            "not an http",
		"ftp://iam.example/v3":      "not an http",
		"https:///v3":               "not an http",
		"https://iam.example/v2.0":  "Keystone v2",
		"https://iam.example/v3x":   "not a Keystone v3 path",
		"https://iam.example/v3/x":  "not a Keystone v3 path",
		"https://iam.example/auth":  "not a Keystone v3 path",
		"https://iam.example/v3?a":  "query",
		"https://iam.example/v3#me": "fragment",
	} {
		_, err := IdentityURL(bad)
		if err == nil || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "accepted forms") {
			t.Errorf("IdentityURL(%q) = %v; want an error saying %q and the accepted forms", bad, err, why)
		}
	}
}

func TestNewRejectsBadCACertFile(t *testing.T) {
	s := passwordSettings("https://iam.example/v3")
	s.CACertFile = t.TempDir() + "/missing.pem"
	if _, err := New(s); err == nil || !strings.Contains(err.Error(), "OS_CACERT") {
		t.Fatalf("want an error naming OS_CACERT, got %v", err)
	}
}

func TestLocalhostNamesDialLoopback(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.Host))
	}))
	defer server.Close()
	port := server.URL[strings.LastIndex(server.URL, ":")+1:]
	transport, err := newTransport(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: transport}).Get("http://vbs.localhost:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
