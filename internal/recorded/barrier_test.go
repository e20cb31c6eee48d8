package recorded_test

import (
	"net/http"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v4"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// A recorded change is a barrier: the cassette below was recorded by a
// client that read three times before deleting; a client that reads once, or
// five times, must still see 404 after its delete, and 200 before it.
func TestReplayTreatsChangesAsBarriers(t *testing.T) {
	const sharingURL = "https://vbs.recorded.invalid/v2/p/os-vendor-backup-sharing/s1"
	interaction := func(method string, code int) *cassette.Interaction {
		return &cassette.Interaction{
			Request:  cassette.Request{Method: method, URL: sharingURL},
			Response: cassette.Response{Code: code, Status: http.StatusText(code), Body: "{}"},
		}
	}
	name := filepath.Join(t.TempDir(), "barrier")
	c := cassette.New(name)
	c.MarshalFunc = yaml.Marshal
	for _, i := range []*cassette.Interaction{
		interaction(http.MethodGet, 200), interaction(http.MethodGet, 200), interaction(http.MethodGet, 200),
		interaction(http.MethodDelete, 200), interaction(http.MethodGet, 404),
	} {
		c.AddInteraction(i)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}

	for _, readsBefore := range []int{1, 5} {
		srv := startReplay(t, name)
		url := "http://vbs.localhost:" + port(srv) + "/v2/p/os-vendor-backup-sharing/s1"
		do := func(method string) int {
			req, _ := http.NewRequest(method, url, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for range readsBefore {
			if got := do(http.MethodGet); got != 200 {
				t.Fatalf("%d reads before the delete: a read got %d, want 200", readsBefore, got)
			}
		}
		if got := do(http.MethodDelete); got != 200 {
			t.Fatalf("delete got %d", got)
		}
		for range 2 {
			if got := do(http.MethodGet); got != 404 {
				t.Fatalf("%d reads before the delete: a read after it got %d, want 404", readsBefore, got)
			}
		}
		if u := srv.Unmatched(); len(u) != 0 {
			t.Fatalf("unmatched: %v", u)
		}
	}
}
