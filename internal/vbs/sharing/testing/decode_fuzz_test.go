package testing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"

	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs"
	"github.com/vbs-tf/terraform-provider-vbs/internal/vbs/sharing"
)

// cannedResponse answers every request with one status and body, so the
// fuzzer drives the package's real decoding path (streaming decode in do,
// the envelopes, the lenient wire types) without a network round trip.
type cannedResponse struct {
	status int
	body   []byte
}

func (c cannedResponse) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode:    c.status,
		Status:        http.StatusText(c.status),
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Request:       r,
	}, nil
}

func cannedClient(status int, body []byte) *gophercloud.ServiceClient {
	endpoint := "http://vbs.fuzz.invalid/v2/" + projectID + "/"
	return &gophercloud.ServiceClient{
		ProviderClient: &gophercloud.ProviderClient{
			TokenID:    "fuzz-token",
			HTTPClient: http.Client{Transport: cannedResponse{status, body}},
		},
		Endpoint:     endpoint,
		ResourceBase: endpoint,
	}
}

// FuzzDecodeShare feeds one body to every sharing call. None may panic; a
// sharing that decodes must survive encoding/json both ways unchanged (the
// Share and Backup types have plain JSON tags, so marshalling them is how
// a caller would store one), and must decode the same through the exported
// UnmarshalJSON as through the client.
func FuzzDecodeShare(f *testing.F) {
	for _, body := range []string{
		GetResponse, SparseGetResponse, ListResponse, CreateResponse, CreateObjectResponse,
		VendorNotFound, CinderNotFound, GatewayNotFound, GatewayHTML,
		`{"shared": null}`, `{"shared": []}`, `{}`, `{"count": "7"}`, `{"count": 4.0}`,
		`{"shared": {"id": "x", "backup": {"size": "1e3", "service_metadata": [1, {"a": null}], "deleted": true}}}`,
		// Invalid UTF-8 in a string without escapes: it used to be kept
		// raw, where encoding/json (and so every other field) replaces it.
		"{\"shared\": {\"id\": \"\xff\", \"created_at\": \"2024-03-01\xffT10\", \"backup\": {\"name\": \"n\xc3\"}}}",
	} {
		f.Add([]byte(body), uint16(0))
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "testdata", "cassettes", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no cassettes under testdata/cassettes (%v)", err)
	}
	for _, file := range files {
		c, err := cassette.Load(strings.TrimSuffix(file, ".yaml"))
		if err != nil {
			f.Fatalf("loading %s: %v", file, err)
		}
		for _, i := range c.Interactions {
			f.Add([]byte(i.Response.Body), uint16(i.Response.Code))
		}
	}

	f.Fuzz(func(t *testing.T, body []byte, statusSeed uint16) {
		// Mostly 200, the status every call accepts; otherwise any final
		// status, which sends the body down the error path.
		status := http.StatusOK
		if statusSeed%4 == 3 {
			status = 200 + int(statusSeed/4)%400
		}
		ctx := context.Background()
		client := cannedClient(status, body)

		share, err := sharing.Get(ctx, client, sharingID).Extract()
		checkCallError(t, "Get", status, err)
		if err == nil {
			if share == nil {
				t.Fatal("Get returned neither a sharing nor an error")
			}
			checkRoundTrip(t, share)
			// The exported decoder must agree with the client.
			var env struct {
				Shared *sharing.Share `json:"shared"`
			}
			if json.NewDecoder(bytes.NewReader(body)).Decode(&env) == nil && env.Shared != nil && !reflect.DeepEqual(*env.Shared, *share) {
				t.Errorf("Share.UnmarshalJSON gives\n%+v\nthe client\n%+v", *env.Shared, *share)
			}
		}

		page, err := sharing.ListPage(ctx, client, sharing.ListOpts{Limit: 2})
		checkCallError(t, "ListPage", status, err)
		for i := range page {
			checkRoundTrip(t, &page[i])
		}
		all, err := sharing.ListAll(ctx, client, sharing.ListOpts{Limit: 2}, sharing.ListAllOpts{Concurrency: 2})
		checkCallError(t, "ListAll", status, err)
		if err == nil && (all == nil || all.Shares == nil) {
			t.Error("ListAll returned a nil list without an error")
		}
		created, err := sharing.Create(ctx, client, sharing.CreateOpts{BackupID: backupID, ToProjectIDs: []string{toProject1}}).Extract()
		checkCallError(t, "Create", status, err)
		for i := range created {
			checkRoundTrip(t, &created[i])
		}
		_, err = sharing.Count(ctx, client, sharing.CountOpts{})
		checkCallError(t, "Count", status, err)
	})
}

// checkCallError: a failed status is always an error, and an *APIError
// whose message names the status.
func checkCallError(t *testing.T, call string, status int, err error) {
	t.Helper()
	if status == http.StatusOK || status == http.StatusCreated || status == http.StatusAccepted || status == http.StatusNoContent {
		return
	}
	if err == nil {
		t.Fatalf("%s: HTTP %d gave no error", call, status)
	}
	var apiErr *vbs.APIError
	if !errors.As(err, &apiErr) {
		// Only statuses gophercloud itself turns into other errors (such as
		// a 401 it cannot re-authenticate from) may skip APIError.
		if vbs.StatusCode(err) != status {
			t.Errorf("%s: HTTP %d gave %T %v", call, status, err, err)
		}
		return
	}
	if apiErr.StatusCode != status || apiErr.Error() == "" {
		t.Errorf("%s: APIError %+v for HTTP %d", call, apiErr, status)
	}
}

func checkRoundTrip(t *testing.T, s *sharing.Share) {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshalling %+v: %v", s, err)
	}
	var again sharing.Share
	if err := json.Unmarshal(data, &again); err != nil {
		t.Fatalf("decoding our own encoding %s: %v", data, err)
	}
	if !reflect.DeepEqual(*s, again) {
		t.Errorf("decode, encode, decode changed the sharing:\n%s\nfirst  %s\nsecond %s", data, dump(s), dump(&again))
	}
}

// dump shows every field, pointers dereferenced and strings quoted, so that
// bytes JSON would normalise (invalid UTF-8) stay visible.
func dump(v any) string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "nil"
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return fmt.Sprintf("%q", fmt.Sprint(rv.Interface()))
	}
	parts := make([]string, 0, rv.NumField())
	for i := 0; i < rv.NumField(); i++ {
		parts = append(parts, rv.Type().Field(i).Name+":"+dump(rv.Field(i).Interface()))
	}
	return "{" + strings.Join(parts, " ") + "}"
}
