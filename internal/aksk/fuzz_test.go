package aksk

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzCanonicalRequest feeds arbitrary methods, URLs, header values and
// bodies through canonicalisation and signing. It must never panic, must give
// the same canonical request every time, and whatever Sign produces Verify
// must accept: a disagreement would mean the recorded server rejects (or
// accepts) requests for reasons unrelated to their signature.
func FuzzCanonicalRequest(f *testing.F) {
	f.Add("GET", "https://example.huaweicloud.com/path?limit=1", "p", "")
	f.Add("POST", "https://example.huaweicloud.com/path?key=value", "", "{\"Name\":\"test\",\"Id\":1}\n")
	f.Add("DELETE", "https://vbs.eu-de.example.com/v2/p/os-vendor-backup-sharing/x?is_backup_id=true", "0123", "")
	f.Add("GET", "http://h:8080/a%2Fb/c d/ü?x=1&x=0&y&=z&%zz=1", " spaced \t", "")
	f.Add("PATCH", "/relative?q=%E4%B8%80", "a\nb", "\x00\xff")
	f.Add("", "", "", "")
	f.Add("get", "https://[::1]:443//double//slash/?a=1;b=2", "v1", "body")

	creds := Credentials{AccessKey: "AK", SecretKey: "SK", SecurityToken: "TOKEN"}
	lookupSK := func(ak string) (string, bool) { return "SK", ak == "AK" }

	f.Fuzz(func(t *testing.T, method, rawURL, project, body string) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		r := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
		r.Header.Set("X-Sdk-Date", "20240506T070809Z")
		r.Header.Add("X-Project-Id", project)
		signed := []string{"host", "x-project-id", "x-sdk-date"}

		first, err := canonicalRequest(r, signed, hashHex([]byte(body)))
		if err != nil {
			t.Fatalf("canonicalRequest: %v", err)
		}
		for i := 0; i < 3; i++ {
			again, _ := canonicalRequest(r, signed, hashHex([]byte(body)))
			if again != first {
				t.Fatalf("not deterministic:\n%q\n%q", first, again)
			}
		}
		uri := canonicalURI(u)
		if !strings.HasPrefix(uri, "/") || !strings.HasSuffix(uri, "/") {
			t.Fatalf("canonical URI %q does not start and end with /", uri)
		}
		if strings.ContainsAny(uri+canonicalQuery(u), " \n\r\t") {
			t.Fatalf("unescaped whitespace in %q / %q", uri, canonicalQuery(u))
		}

		s := NewSigner(creds, "", func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) })
		if err := s.Sign(r, []byte(body)); err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if err := Verify(r, []byte(body), lookupSK, time.Time{}, 0); err != nil {
			t.Fatalf("Verify rejects what Sign produced: %v", err)
		}
	})
}
