package transport

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
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
	h.Set("X-Sdk-Date", "20240301T101530Z")
	h.Set("X-Project-Id", "p1")
	h.Set("Www-Authenticate", `Keystone uri="https://iam/v3"`)

	got := RedactHeaders(h)
	for _, k := range []string{"Content-Type", "X-Project-Id", "Www-Authenticate"} {
		if got.Get(k) != h.Get(k) {
			t.Errorf("ordinary header %s changed to %q", k, got.Get(k))
		}
	}
	for _, k := range []string{"X-Auth-Token", "Set-Cookie", "Proxy-Authorization", "X-Sdk-Date"} {
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
		{"numbers and booleans under a secret key", `{"password":12345,"secret":true,"token":[false,0.5,null]}`,
			`{"password":"REDACTED","secret":"REDACTED","token":["REDACTED","REDACTED",null]}`},
		{"null under a secret key is kept", `{"password":null}`, `{"password":null}`},
		{"separators and case do not matter", `{"Secret-Key":"a","ACCESS_KEY_ID":"b","privateKey":"c","Id_Token":"d"}`,
			`{"Secret-Key":"REDACTED","ACCESS_KEY_ID":"REDACTED","privateKey":"REDACTED","Id_Token":"REDACTED"}`},
		{"keys matched whole, not as substrings", `{"token_type":"Bearer","password_expires_at":"2030","access_level":"rw"}`,
			`{"token_type":"Bearer","password_expires_at":"2030","access_level":"rw"}`},
		{"keystone token auth", `{"auth":{"identity":{"methods":["token"],"token":{"id":"tok"}}}}`,
			`{"auth":{"identity":{"methods":["token"],"token":{"id":"REDACTED"}}}}`},
		{"id elsewhere is kept", `{"shared":{"id":"s1","backup":{"id":"b1"}},"token":{"id":"t1"}}`,
			`{"shared":{"id":"s1","backup":{"id":"b1"}},"token":{"id":"t1"}}`},
		{"all listed keys", `{"password":"1","secret":"2","secret_key":"3","secretkey":"4","access":"5","access_key":"6","security_token":"7","securitytoken":"8","signature":"9","token":"10",` +
			`"passphrase":"11","passcode":"12","secret_access_key":"13","accesskey":"14","access_key_id":"15","access_token":"16","refresh_token":"17","id_token":"18","private_key":"19"}`,
			`{"password":"REDACTED","secret":"REDACTED","secret_key":"REDACTED","secretkey":"REDACTED","access":"REDACTED","access_key":"REDACTED","security_token":"REDACTED","securitytoken":"REDACTED","signature":"REDACTED","token":"REDACTED",` +
				`"passphrase":"REDACTED","passcode":"REDACTED","secret_access_key":"REDACTED","accesskey":"REDACTED","access_key_id":"REDACTED","access_token":"REDACTED","refresh_token":"REDACTED","id_token":"REDACTED","private_key":"REDACTED"}`},
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

func TestRedactJSONCount(t *testing.T) {
	for in, want := range map[string]int{
		`{"name":"n","token":{"id":"t"}}`:                           0,
		`{"password":"REDACTED","secret":null}`:                     0,
		`{"password":"p","secret":1,"token":[true,"REDACTED","t"]}`: 4,
		`{"auth":{"identity":{"token":{"id":"tok"}}}}`:              1,
	} {
		out, n := RedactJSONCount([]byte(in))
		if n != want {
			t.Errorf("RedactJSONCount(%s) hid %d, want %d: %s", in, n, want, out)
		}
		if n == 0 && !bytes.Equal(out, []byte(in)) {
			t.Errorf("RedactJSONCount(%s) hid nothing but returned %s", in, out)
		}
	}
	if out, n := RedactJSONCount([]byte(`{"password":`)); out != nil || n != 0 {
		t.Errorf("invalid JSON: %q, %d", out, n)
	}
}

func TestSecretNames(t *testing.T) {
	for _, tc := range []struct {
		name          string
		header, query bool
	}{
		{"Authorization", true, true},
		{"Proxy-Authorization", true, true},
		{"Cookie", true, false},
		{"Set-Cookie", true, false},
		{"X-Sdk-Date", true, false},
		{"X-Auth-Token", true, true},
		{"X-Subject-Token", true, true},
		{"X-Security-Token", true, true},
		{"X-Amz-Signature", true, true},
		{"X-Amz-Credential", true, true},
		{"X-Amz-Date", false, true},
		{"X-Auth-Key", true, true},
		{"X-Api-Key", true, true},
		{"x_api_key", true, true},
		{"X-Client-Secret", true, true},
		{"X-Private-Key", true, true},
		{"passphrase", true, true},
		{"access", false, true},
		{"session_id", false, true},
		{"code", false, true},
		{"sig", false, true},
		{"AK", false, true},
		{"Www-Authenticate", false, true},
		{"X-Auth-User", false, true},
		{"Content-Type", false, false},
		{"X-Project-Id", false, false},
		{"X-Openstack-Request-Id", false, false},
		{"Date", false, false},
		{"limit", false, false},
		{"marker", false, false},
		{"backup_id", false, false},
		{"share_to_me", false, false},
	} {
		if got := IsSecretHeader(tc.name); got != tc.header {
			t.Errorf("IsSecretHeader(%q) = %v", tc.name, got)
		}
		if got := IsSecretQueryParam(tc.name); got != tc.query {
			t.Errorf("IsSecretQueryParam(%q) = %v", tc.name, got)
		}
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
		"https://h/x?X-Amz-Date=d&X-Amz-Expires=60&limit=1":    "https://h/x?X-Amz-Date=REDACTED&X-Amz-Expires=REDACTED&limit=1",
		"https://h/x?a=1;token=t&b=2;c=3":                      "https://h/x?a=1;token=REDACTED&b=2;c=3",
		"https://h/x?passphrase=p&access=a&share_to_me=true&":  "https://h/x?passphrase=REDACTED&access=REDACTED&share_to_me=true&",
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
// nil), idempotent (hiding nothing the second time), and hold no scalar but
// null under a secret key other than "REDACTED". The seeds put a distinctive
// secret under each secret key.
func FuzzRedactJSON(f *testing.F) {
	const secret = "fuzz-SECRET-value"
	for k := range secretJSONKeys {
		f.Add([]byte(`{"outer":{"` + k + `":"` + secret + `"}}`))
		f.Add([]byte(`[{"` + strings.ToUpper(k) + `":["` + secret + `",7,true]}]`))
	}
	f.Add([]byte(`{"Secret-Access_Key":"` + secret + `"}`))
	f.Add([]byte(`{"auth":{"identity":{"token":{"id":"` + secret + `"}}}}`))
	f.Add([]byte(`{"a":"\u00e9\ud83d\ude00","b":[1,-2.5e-3,true,false,null],"c":{}}`))
	f.Add([]byte(`"` + secret + `"`))
	f.Add([]byte(`{"password":`))
	f.Add([]byte{0xff, 0xfe})

	f.Fuzz(func(t *testing.T, in []byte) {
		out, hidden := RedactJSONCount(in)
		if !bytes.Equal(out, RedactJSON(in)) {
			t.Fatalf("RedactJSON and RedactJSONCount differ for %q", in)
		}
		if out == nil {
			if json.Valid(in) {
				t.Fatalf("valid JSON rejected: %q", in)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid output %q for %q", out, in)
		}
		if again, n := RedactJSONCount(out); !bytes.Equal(again, out) || n != 0 {
			t.Fatalf("not idempotent: %q then %q (%d hidden)", out, again, n)
		}
		v := decodeForFuzz(t, out)
		if hidden == 0 && !reflect.DeepEqual(v, decodeForFuzz(t, in)) {
			t.Fatalf("nothing hidden, yet %q became %q", in, out)
		}
		checkRedacted(t, v, nil, false)
	})
}

func decodeForFuzz(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return v
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
			checkRedacted(t, child, p, isSecretJSONKey(k) || isSecretJSONPath(p))
		}
	case []any:
		for _, child := range x {
			checkRedacted(t, child, path, secret)
		}
	case string:
		if secret && x != Redacted {
			t.Fatalf("value %q under %v not redacted", x, path)
		}
	case json.Number, bool:
		if secret {
			t.Fatalf("%v under %v not redacted", x, path)
		}
	}
}
