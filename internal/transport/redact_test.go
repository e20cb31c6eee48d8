package transport

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRedactHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("X-Auth-Token", "a")
	h.Add("Set-Cookie", "b")
	h.Add("Set-Cookie", "c")
	h.Set("Content-Type", "application/json")
	nonCanonical := "x-security-token" // as a map built by hand might hold it
	h[nonCanonical] = []string{"d"}
	h.Set("Proxy-Authorization", "e")

	got := RedactHeaders(h)
	if got.Get("Content-Type") != "application/json" {
		t.Error("ordinary header changed")
	}
	for _, k := range []string{"X-Auth-Token", "Set-Cookie", "Proxy-Authorization"} {
		for _, v := range got.Values(k) {
			if v != Redacted {
				t.Errorf("%s = %q", k, v)
			}
		}
	}
	if len(got.Values("Set-Cookie")) != 2 {
		t.Error("value count must be kept")
	}
	if got[nonCanonical][0] != Redacted {
		t.Error("non-canonical key not redacted")
	}
	if h.Get("X-Auth-Token") != "a" {
		t.Error("input modified")
	}
}

func TestRedactJSON(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"order and formatting", `{ "z": 1, "a": [true, null, 1.50e3], "password": "p" }`,
			`{"z":1,"a":[true,null,1.50e3],"password":"REDACTED"}`},
		{"case-insensitive keys at depth", `{"a":{"b":[{"Secret_Key":"s","SecretKey":"t","ACCESS":"u"}]}}`,
			`{"a":{"b":[{"Secret_Key":"REDACTED","SecretKey":"REDACTED","ACCESS":"REDACTED"}]}}`},
		{"arrays under a secret key", `{"token":["a","b",{"x":"kept"}]}`,
			`{"token":["REDACTED","REDACTED",{"x":"kept"}]}`},
		{"objects under a secret key are walked, not replaced", `{"token":{"expires_at":"2030","user":{"id":"u1"}}}`,
			`{"token":{"expires_at":"2030","user":{"id":"u1"}}}`},
		{"numbers under a secret key", `{"password":12345}`, `{"password":"REDACTED"}`},
		{"keystone token auth", `{"auth":{"identity":{"methods":["token"],"token":{"id":"tok"}}}}`,
			`{"auth":{"identity":{"methods":["token"],"token":{"id":"REDACTED"}}}}`},
		{"id elsewhere is kept", `{"shared":{"id":"s1","backup":{"id":"b1"}},"token":{"id":"t1"}}`,
			`{"shared":{"id":"s1","backup":{"id":"b1"}},"token":{"id":"t1"}}`},
		{"all listed keys", `{"password":"1","secret":"2","secret_key":"3","secretkey":"4","access":"5","access_key":"6","security_token":"7","securitytoken":"8","signature":"9","token":"10"}`,
			`{"password":"REDACTED","secret":"REDACTED","secret_key":"REDACTED","secretkey":"REDACTED","access":"REDACTED","access_key":"REDACTED","security_token":"REDACTED","securitytoken":"REDACTED","signature":"REDACTED","token":"REDACTED"}`},
		{"no HTML escaping, unicode kept", `{"m":"<a&b> ü \u00e9"}`, `{"m":"<a&b> ü é"}`},
		{"scalar document", `"just a string"`, `"just a string"`},
		{"escaped key still matches", `{"pass\u0077ord":"x"}`, `{"password":"REDACTED"}`},
		{"duplicate keys both redacted", `{"password":"a","password":"b"}`, `{"password":"REDACTED","password":"REDACTED"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := RedactJSON([]byte(tc.in))
			if string(got) != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestRedactJSONRejectsNonJSON(t *testing.T) {
	for _, in := range []string{"", "password=x", `{"password":"x"`, `{"a":1} {"b":2}`, "<html/>", strings.Repeat("[", 10001) + strings.Repeat("]", 10001)} {
		if got := RedactJSON([]byte(in)); got != nil {
			t.Errorf("RedactJSON(%.40q) = %q, want nil", in, got)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://h/v2/p/x?limit=5&marker=m":                    "https://h/v2/p/x?limit=5&marker=m",
		"https://h/x?signature=abc&limit=5":                    "https://h/x?signature=REDACTED&limit=5",
		"https://h/x?X-Amz-Signature=a&X-Amz-Credential=b&n=1": "https://h/x?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&n=1",
		"https://h/x?access_key_id=a&AccessKey=b&sk=c&ak=d":    "https://h/x?access_key_id=REDACTED&AccessKey=REDACTED&sk=REDACTED&ak=REDACTED",
		"https://h/x?authToken=a&password=b&Sig=c&key=d":       "https://h/x?authToken=REDACTED&password=REDACTED&Sig=REDACTED&key=REDACTED",
		"https://h/x?%74oken=a":                                "https://h/x?%74oken=REDACTED",
		"https://h/x?token":                                    "https://h/x?token",
		"https://user:pw@h/x":                                  "https://user:REDACTED@h/x",
		"https://user@h/x":                                     "https://user@h/x",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := RedactURL(u); got != want {
			t.Errorf("RedactURL(%s)\n got %s\nwant %s", in, got, want)
		}
		if u.String() != in {
			t.Errorf("input URL modified: %s", u)
		}
	}
	if RedactURL(nil) != "" {
		t.Error("nil URL")
	}
}

// FuzzRedactJSON must never panic; what it returns must be valid JSON (or
// nil), idempotent, and hold no scalar under a secret key other than
// "REDACTED". The seeds put a distinctive secret under each secret key.
func FuzzRedactJSON(f *testing.F) {
	const secret = "fuzz-SECRET-value"
	for k := range secretJSONKeys {
		f.Add([]byte(`{"outer":{"` + k + `":"` + secret + `"}}`))
		f.Add([]byte(`[{"` + strings.ToUpper(k) + `":["` + secret + `",7]}]`))
	}
	f.Add([]byte(`{"auth":{"identity":{"token":{"id":"` + secret + `"}}}}`))
	f.Add([]byte(`{"a":"\u00e9\ud83d\ude00","b":[1,-2.5e-3,true,false,null],"c":{}}`))
	f.Add([]byte(`"` + secret + `"`))
	f.Add([]byte(`{"password":`))
	f.Add([]byte{0xff, 0xfe})

	f.Fuzz(func(t *testing.T, in []byte) {
		out := RedactJSON(in)
		if out == nil {
			if json.Valid(in) {
				t.Fatalf("valid JSON rejected: %q", in)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid output %q for %q", out, in)
		}
		if again := RedactJSON(out); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q then %q", out, again)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("decoding output: %v", err)
		}
		checkRedacted(t, v, nil, false)
	})
}

// checkRedacted walks a decoded document. Duplicate keys collapse when
// decoding, but RedactJSON treats every copy alike, so the last one stands
// for all.
func checkRedacted(t *testing.T, v any, path []string, secret bool) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p := append(path[:len(path):len(path)], k)
			checkRedacted(t, child, p, isSecretKey(k) || isSecretPath(p))
		}
	case []any:
		for _, child := range x {
			checkRedacted(t, child, path, secret)
		}
	case string:
		if secret && x != Redacted {
			t.Fatalf("value %q under %v not redacted", x, path)
		}
	case json.Number:
		if secret {
			t.Fatalf("number %s under %v not redacted", x, path)
		}
	}
}
