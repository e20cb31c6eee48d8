package recorded_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/recorded"
)

// Secrets the fake cloud demands and issues. They are distinctive so that a
// search of a cassette for them cannot hit anything by accident.
const (
	testPassword = "pw-SECRET-4711"
	testToken    = "tok-SECRET-0815"
)

const (
	projectID       = "ffffffffffffffffffffffffffff0000"
	sharingID       = "ac0fb374-a288-4399-ac63-cc080a13a2ee"
	sparseSharingID = "d5e8c3a1-7b2f-4c6d-9e0a-1b2c3d4e5f60"
	missingID       = "0b7f4d1e-6a8e-4a34-9c53-2f1d2f3c4b5a"
	vbsPath         = "/v2/" + projectID
)

// The reference's example bodies live with the fake cloud, so the provider's
// record-then-replay test serves the same ones.
const (
	sharingFullBody   = fakecloud.SharingFullBody
	sharingSparseBody = fakecloud.SharingSparseBody
)

var (
	vbsv2Service = fakecloud.Service{Type: "vbsv2", Name: "vbs", Label: "vbs", Path: vbsPath}
	vbsService   = fakecloud.Service{Type: "vbs", Name: "vbs", Label: "vbs", Path: vbsPath}
	evsService   = fakecloud.Service{Type: "volumev2", Name: "evs", Label: "evs", Path: vbsPath}
)

// scenario is one committed cassette: what the fake cloud serves when it is
// recorded, and what a client sees when it is replayed.
type scenario struct {
	name      string
	catalog   []fakecloud.Service
	sharingID string
	status    int
	header    map[string]string
	body      string
	// delay makes the GET a slow answer.
	delay time.Duration
	// authPath, when set, is where the client looks for Keystone instead
	// of /v3; the cloud has no Keystone there, so the scenario ends with
	// that login's answer, authStatus.
	authPath   string
	authStatus int
}

var scenarios = []scenario{
	{
		name:      "sharing_full",
		catalog:   []fakecloud.Service{vbsv2Service, evsService},
		sharingID: sharingID,
		status:    http.StatusOK,
		body:      sharingFullBody,
	},
	{
		name:      "sharing_sparse",
		catalog:   []fakecloud.Service{vbsService},
		sharingID: sparseSharingID,
		status:    http.StatusOK,
		body:      sharingSparseBody,
	},
	{
		name:      "sharing_not_found",
		catalog:   []fakecloud.Service{vbsv2Service},
		sharingID: missingID,
		status:    http.StatusNotFound,
		header:    map[string]string{"X-Openstack-Request-Id": "req-3c9d2b1a-5e4f-4a6b-8c7d-9e0f1a2b3c4d"},
		body:      `{"itemNotFound": {"code": 404, "message": "Backup sharing ` + missingID + ` could not be found."}}`,
	},
	{
		name:      "sharing_api_error",
		catalog:   []fakecloud.Service{vbsv2Service},
		sharingID: sharingID,
		status:    http.StatusInternalServerError,
		header:    map[string]string{"X-Request-Id": "req-8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d"},
		body:      `{"error": {"code": "VolumeBackup.0103", "message": "Failed to query backup details."}}`,
	},
	{
		name:      "sharing_volumev2_catalog",
		catalog:   []fakecloud.Service{evsService},
		sharingID: sharingID,
		status:    http.StatusOK,
		body:      sharingFullBody,
	},
	{
		// A GET that takes two seconds, for the read timeout's tests.
		name:      "sharing_slow",
		catalog:   []fakecloud.Service{vbsv2Service},
		sharingID: sharingID,
		status:    http.StatusOK,
		body:      sharingFullBody,
		delay:     2 * time.Second,
	},
	{
		// auth_url with a path prefix Keystone does not have.
		name:       "keystone_not_found",
		catalog:    []fakecloud.Service{vbsv2Service},
		authPath:   "/identity/v3",
		authStatus: http.StatusNotFound,
	},
	{
		name:      "sharing_forbidden",
		catalog:   []fakecloud.Service{vbsv2Service},
		sharingID: sharingID,
		status:    http.StatusForbidden,
		body:      `{"error_code": "APIGW.0302", "error_msg": "The IAM or ACL policy does not allow the request.", "request_id": "2d3e4f5a6b7c4d9e8f1a2b3c4d5e6f7a"}`,
	},
}

func (sc scenario) sharingPath() string {
	return vbsPath + "/os-vendor-backup-sharing/" + sc.sharingID
}

// cloudConfig is the fake cloud behind a scenario. The sharing is only served
// on the vbs host, so a client that forgets to turn evs into vbs gets a 404.
func (sc scenario) cloudConfig() fakecloud.Config {
	cfg := fakecloud.Default
	cfg.Password = testPassword
	cfg.Token = testToken
	cfg.Catalog = sc.catalog
	cfg.Routes = []fakecloud.Route{{
		Method: http.MethodGet, Label: "vbs", Path: sc.sharingPath(),
		Status: sc.status, Header: sc.header, Body: sc.body, Delay: sc.delay,
	}}
	return cfg
}

func startCloud(t *testing.T, cfg fakecloud.Config) *fakecloud.Cloud {
	t.Helper()
	cloud, err := fakecloud.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cloud.Close)
	return cloud
}

// catalogEntry is the part of a Keystone catalog entry the client needs.
type catalogEntry struct {
	Type      string `json:"type"`
	Endpoints []struct {
		Interface string `json:"interface"`
		URL       string `json:"url"`
	} `json:"endpoints"`
}

// exchange is what the client saw: Keystone auth, then the VBS GET.
type exchange struct {
	authStatus   int
	subjectToken string
	catalog      []catalogEntry
	getURL       string
	getStatus    int
	getHeader    http.Header
	getBody      string
}

func authBody(password, project string) string {
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{
			"methods": []string{"password"},
			"password": map[string]any{"user": map[string]any{
				"name":     fakecloud.Default.UserName,
				"domain":   map[string]any{"name": fakecloud.Default.UserDomainName},
				"password": password,
			}},
		},
		"scope": map[string]any{"project": map[string]any{"id": project}},
	}}
	data, _ := json.Marshal(body)
	return string(data)
}

func authenticate(t *testing.T, client *http.Client, authURL, body string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Post(authURL+"/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("keystone auth: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

// endpointFor discovers the VBS endpoint the way the provider does: vbsv2,
// then vbs, then volumev2 with its evs host label turned into vbs.
func endpointFor(t *testing.T, catalog []catalogEntry) string {
	t.Helper()
	find := func(typ string) string {
		for _, e := range catalog {
			if e.Type != typ {
				continue
			}
			for _, ep := range e.Endpoints {
				if ep.Interface == "public" {
					return ep.URL
				}
			}
		}
		return ""
	}
	for _, typ := range []string{"vbsv2", "vbs"} {
		if u := find(typ); u != "" {
			return u
		}
	}
	if u := find("volumev2"); strings.HasPrefix(u, "http://evs.") {
		return "http://vbs." + strings.TrimPrefix(u, "http://evs.")
	}
	t.Fatalf("no VBS endpoint in catalog %+v", catalog)
	return ""
}

// runClient plays the provider's part: authenticate, find VBS, read the
// scenario's sharing.
func runClient(t *testing.T, client *http.Client, authURL string, sc scenario) exchange {
	t.Helper()
	if sc.authPath != "" {
		u, err := url.Parse(authURL)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = sc.authPath
		authURL = u.String()
	}
	resp, data := authenticate(t, client, authURL, authBody(testPassword, projectID))
	ex := exchange{authStatus: resp.StatusCode, subjectToken: resp.Header.Get("X-Subject-Token")}
	if sc.authStatus != 0 {
		if resp.StatusCode != sc.authStatus {
			t.Fatalf("keystone auth at %s: status %d, want %d; body %s", authURL, resp.StatusCode, sc.authStatus, data)
		}
		return ex
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("keystone auth: status %d, body %s", resp.StatusCode, data)
	}
	var token struct {
		Token struct {
			Catalog []catalogEntry `json:"catalog"`
		} `json:"token"`
	}
	if err := json.Unmarshal([]byte(data), &token); err != nil {
		t.Fatalf("token body: %v", err)
	}
	ex.catalog = token.Token.Catalog

	ex.getURL = endpointFor(t, ex.catalog) + "/os-vendor-backup-sharing/" + sc.sharingID
	req, _ := http.NewRequest(http.MethodGet, ex.getURL, nil)
	req.Header.Set("X-Auth-Token", ex.subjectToken)
	req.Header.Set("Accept", "application/json")
	getResp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET sharing: %v", err)
	}
	defer getResp.Body.Close()
	body, _ := io.ReadAll(getResp.Body)
	ex.getStatus, ex.getHeader, ex.getBody = getResp.StatusCode, getResp.Header, string(body)
	return ex
}

// recordScenario records sc through the server in record mode into
// cassette (a path without .yaml) and returns what the client saw.
func recordScenario(t *testing.T, sc scenario, cassette string) (exchange, *fakecloud.Cloud) {
	t.Helper()
	cloud := startCloud(t, sc.cloudConfig())
	srv, err := recorded.Start(recorded.Options{
		Cassette:  cassette,
		Mode:      recorded.ModeRecord,
		Upstream:  cloud.AuthURL(),
		Transport: cloud.Transport(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ex := runClient(t, srv.Client(), srv.AuthURL(), sc)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if u := srv.Unmatched(); len(u) > 0 {
		t.Fatalf("record mode could not forward: %v", u)
	}
	return ex, cloud
}

// sameJSON compares two bodies by value.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("expected body is not JSON: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return bytes.Equal(gb, wb)
}
