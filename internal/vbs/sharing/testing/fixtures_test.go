package testing

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	th "github.com/gophercloud/gophercloud/v2/testhelper"
	"github.com/gophercloud/gophercloud/v2/testhelper/client"

	"github.com/vbs-tf/terraform-provider-vbs/internal/fakecloud"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

const (
	projectID  = "ffffffffffffffffffffffffffff0000"
	sharingID  = "5c3b1d9e-0000-4000-8000-00000000s001"
	sharingID2 = "5c3b1d9e-0000-4000-8000-00000000s002"
	backupID   = "1f0e6a52-0000-4000-8000-00000000b001"
	toProject1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001"
	toProject2 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0002"

	collectionPath = "/v2/" + projectID + "/os-vendor-backup-sharing"
	sharingPath    = collectionPath + "/" + sharingID
	listPath       = collectionPath + "/detail"
	countPath      = collectionPath + "/count"
)

// GetResponse is the reference's constructed GET example (spec §5), the
// backup's optional fields present and null, as the fake cloud serves it;
// SparseGetResponse leaves most keys out instead of sending null, which
// the "this parameter will be skipped" wording in the reference allows.
const (
	GetResponse       = fakecloud.SharingFullBody
	SparseGetResponse = fakecloud.SharingSparseBody
)

// The IDs of the two examples.
const (
	exampleSharingID = "ac0fb374-a288-4399-ac63-cc080a13a2ee"
	examplePath      = collectionPath + "/" + exampleSharingID
	sparseSharingID  = "d5e8c3a1-7b2f-4c6d-9e0a-1b2c3d4e5f60"
	sparsePath       = collectionPath + "/" + sparseSharingID
	sparseBackupID   = "1f0e6a52-0000-4000-8000-00000000b002"
	exampleVolumeID  = "9d2c0000-0000-4000-8000-000000000001"
)

// ListResponse has object_count null on one item and 0 on the other, as the
// reference's LIST and GET examples do, plus the other variants seen in the
// wild: the singular has_dependent_backup key and deleted as a boolean.
const ListResponse = `
{"shared": [
  {
    "id": "5c3b1d9e-0000-4000-8000-00000000s001",
    "backup_id": "1f0e6a52-0000-4000-8000-00000000b001",
    "from_project_id": "ffffffffffffffffffffffffffff0000",
    "to_project_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001",
    "created_at": "2024-03-01T10:15:30.123456",
    "updated_at": "2024-03-01T10:15:30.123456",
    "backup": {
      "id": "1f0e6a52-0000-4000-8000-00000000b001", "name": "nightly-db", "status": "available",
      "size": 40, "object_count": null, "has_dependent_backup": true, "is_incremental": false,
      "fail_reason": ""
    }
  },
  {
    "id": "5c3b1d9e-0000-4000-8000-00000000s002",
    "backup_id": "1f0e6a52-0000-4000-8000-00000000b002",
    "from_project_id": "ffffffffffffffffffffffffffff0000",
    "to_project_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0002",
    "created_at": "2024-03-02T10:15:30.000000",
    "updated_at": null,
    "deleted": false,
    "backup": {
      "id": "1f0e6a52-0000-4000-8000-00000000b002", "name": "weekly", "status": "available",
      "size": "10", "object_count": 0, "has_dependent_backups": false, "has_dependent_backup": true,
      "service_metadata": {"type": "INC",  "chain": [1, 2]}
    }
  }
]}`

// CreateRequest is the body Create must send for two target projects.
const CreateRequest = `
{"shared": {"backup_id": "1f0e6a52-0000-4000-8000-00000000b001",
            "to_project_ids": ["aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0002"]}}`

// CreateResponse is the reference's constructed create example (spec §4.2):
// "shared" is an array and every optional field is null.
const CreateResponse = `
{"shared": [
  {"id": "5c3b1d9e-0000-4000-8000-00000000s001", "backup_id": "1f0e6a52-0000-4000-8000-00000000b001",
   "from_project_id": "ffffffffffffffffffffffffffff0000", "to_project_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001",
   "created_at": null, "updated_at": null, "deleted": null, "deleted_at": null},
  {"id": "5c3b1d9e-0000-4000-8000-00000000s002", "backup_id": "1f0e6a52-0000-4000-8000-00000000b001",
   "from_project_id": "ffffffffffffffffffffffffffff0000", "to_project_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0002",
   "created_at": null, "updated_at": null, "deleted": null, "deleted_at": null}
]}`

// CreateObjectResponse is the shape the reference's table describes: one
// object rather than an array, and deleted as a boolean.
const CreateObjectResponse = `
{"shared": {"id": "5c3b1d9e-0000-4000-8000-00000000s001", "backup_id": "1f0e6a52-0000-4000-8000-00000000b001",
   "from_project_id": "ffffffffffffffffffffffffffff0000", "to_project_id": "aaaaaaaaaaaaaaaaaaaaaaaaaaaa0001",
   "created_at": "2024-03-01T10:15:30.123456", "deleted": true, "deleted_at": null}}`

// Error bodies in the three shapes the service and its gateway use, and an
// HTML page from a proxy in front of it.
const (
	VendorNotFound  = `{"error": {"code": "VolumeBackup.0111", "message": "The backup sharing does not exist."}}`
	CinderNotFound  = `{"itemNotFound": {"code": 404, "message": "Backup sharing 5c3b1d9e could not be found."}}`
	GatewayNotFound = `{"error_msg": "Incorrect route or route not found", "error_code": "APIGW.0101", "request_id": "gw-req-0101"}`
	GatewayHTML     = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n</body>\r\n</html>\r\n"
)

// newClient returns a fake server and a service client whose base URL ends
// in /v2/{project_id}/, as the provider's client does.
func newClient(t *testing.T) (th.FakeServer, *gophercloud.ServiceClient) {
	t.Helper()
	fakeServer := th.SetupHTTP()
	t.Cleanup(fakeServer.Teardown)
	return fakeServer, newServiceClient(fakeServer)
}

// newServiceClient points a client at fakeServer's /v2/{project_id}/.
func newServiceClient(fakeServer th.FakeServer) *gophercloud.ServiceClient {
	c := client.ServiceClient(fakeServer)
	c.ResourceBase = fakeServer.Endpoint() + "v2/" + projectID + "/"
	return c
}

// serveJSON answers every request to path with status and body, after
// checking the method and the auth header.
func serveJSON(t *testing.T, fakeServer th.FakeServer, method, path string, status int, body string) {
	t.Helper()
	fakeServer.Mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		th.TestMethod(t, r, method)
		th.TestHeader(t, r, "X-Auth-Token", client.TokenID)
		th.TestHeader(t, r, "Accept", "application/json")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
}

// pagedServer serves total generated sharings from the list endpoint and
// records the query of each request. With honourLimit or honourOffset off
// it imitates servers that ignore those parameters; maxPage imitates one
// that caps its pages whatever limit asks.
type pagedServer struct {
	total        int
	honourLimit  bool
	honourOffset bool
	maxPage      int

	// count is what the count endpoint answers: total when 0, a 500 when
	// negative.
	count int
	// beforePage, when set, runs before a page other than the first is
	// answered, so that a test can hold pages back; beforeCount does the
	// same for the count.
	beforePage  func(r *http.Request)
	beforeCount func(r *http.Request)
	// to, when set, is the to_project_id of sharing i; toProject1 else.
	to func(i int) string

	mu       sync.Mutex
	requests []string
}

func (p *pagedServer) register(t *testing.T, fakeServer th.FakeServer) {
	fakeServer.Mux.HandleFunc(listPath, func(w http.ResponseWriter, r *http.Request) {
		th.TestMethod(t, r, http.MethodGet)
		p.mu.Lock()
		p.requests = append(p.requests, r.URL.RawQuery)
		p.mu.Unlock()
		q := r.URL.Query()
		if p.beforePage != nil && q.Get("offset") != "" {
			p.beforePage(r)
		}

		start, end := 0, p.total
		if p.honourOffset && q.Get("offset") != "" {
			start, _ = strconv.Atoi(q.Get("offset"))
		}
		if p.honourLimit && q.Get("limit") != "" {
			limit, _ := strconv.Atoi(q.Get("limit"))
			end = start + limit
		}
		if p.maxPage > 0 {
			end = min(end, start+p.maxPage)
		}
		start, end = min(start, p.total), min(end, p.total)

		items := make([]string, 0, end-start)
		for i := start; i < end; i++ {
			to := toProject1
			if p.to != nil {
				to = p.to(i)
			}
			items = append(items, fmt.Sprintf(
				`{"id": "share-%04d", "backup_id": "backup-%04d", "from_project_id": "%s", "to_project_id": "%s", "backup": {"id": "backup-%04d", "name": "b%d", "status": "available", "size": %d}}`,
				i, i, projectID, to, i, i, i))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"shared": [%s]}`, strings.Join(items, ","))
	})
	fakeServer.Mux.HandleFunc(countPath, func(w http.ResponseWriter, r *http.Request) {
		th.TestMethod(t, r, http.MethodGet)
		p.mu.Lock()
		p.requests = append(p.requests, "count:"+r.URL.RawQuery)
		p.mu.Unlock()
		if p.beforeCount != nil {
			p.beforeCount(r)
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case p.count < 0:
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error": {"code": "VolumeBackup.0103", "message": "count failed"}}`)
		case p.count == 0:
			fmt.Fprintf(w, `{"count": %d}`, p.total)
		default:
			fmt.Fprintf(w, `{"count": %d}`, p.count)
		}
	})
}

// queries returns the requests' queries; the first page and the count go
// out together, so they come first, in the order "first page, count".
func (p *pagedServer) queries() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]string(nil), p.requests...)
	if len(out) >= 2 && strings.HasPrefix(out[0], "count:") {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// pageQueries returns the queries of the list requests only.
func (p *pagedServer) pageQueries() []string {
	var out []string
	for _, q := range p.queries() {
		if !strings.HasPrefix(q, "count:") {
			out = append(out, q)
		}
	}
	return out
}

// offsets returns the offset of each list request, 0 where none was sent.
func (p *pagedServer) offsets() []int {
	var out []int
	for _, raw := range p.pageQueries() {
		q, _ := url.ParseQuery(raw)
		n, _ := strconv.Atoi(q.Get("offset"))
		out = append(out, n)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// checkSame fails the test when got is not want. th.CheckDeepEquals is not
// enough for listings: it passes a slice longer than the one it expects.
func checkSame[T any](t *testing.T, want, got T) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

// expectedGetShare is GetResponse decoded: every null a nil pointer.
func expectedGetShare() *sharing.Share {
	return &sharing.Share{
		ID:            exampleSharingID,
		BackupID:      backupID,
		FromProjectID: projectID,
		ToProjectID:   toProject1,
		CreatedAt:     ptr("2024-03-01T10:15:30.123456"),
		Backup: &sharing.Backup{
			ID:               ptr(backupID),
			Name:             ptr("nightly-db"),
			Status:           ptr("available"),
			AvailabilityZone: ptr("eu-de-01"),
			VolumeID:         ptr(exampleVolumeID),
			Size:             ptr(int64(40)),
			CreatedAt:        ptr("2024-02-28T22:00:05.000000"),
			UpdatedAt:        ptr("2024-02-28T22:07:41.554120"),
			DataTimestamp:    ptr("2024-02-28T22:00:05.000000"),
		},
	}
}
