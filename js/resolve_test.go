package js

import (
	"net/url"
	"testing"
)

// FuzzResolveFast holds resolve's fast path (the base prefix followed by
// a plain path, one concatenation) to the general one (url.Parse, joinURL,
// URL.String): wherever plainPath lets it run, both give the same URL.
func FuzzResolveFast(f *testing.F) {
	for _, s := range [][2]string{
		{"http://127.0.0.1:8080", "/status/200"}, {"http://h/base/", "/x?a=1&b=%zz"}, {"https://h:443/b%20c", "/a:b;c=d@e"},
		{"http://[::1]:80", "/"}, {"http://u:p@h", "/x?"}, {"http://h/?q", "/x?y#z"}, {"http://h", "//evil/x"},
		{"http://h", "/a b"}, {"http://h", "/a%2Fb"}, {"http://h/é", "/é"}, {"HTTP://H", "/~x-._$&+,"}, {"http://h?", "/x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, host, raw string) {
		base, err := url.Parse(host)
		if err != nil {
			return
		}
		prefix := basePrefix(base)
		if prefix == "" || !plainPath(raw) {
			return
		}
		rel, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("plainPath(%q) but url.Parse fails: %v", raw, err)
		}
		if slow, fast := joinURL(base, rel).String(), prefix+raw; slow != fast {
			t.Fatalf("base %q, path %q: fast path %q, general %q", host, raw, fast, slow)
		}
	})
}

// TestPlainPath checks which paths take resolve's fast path.
func TestPlainPath(t *testing.T) {
	for raw, want := range map[string]bool{
		"/": true, "/status/200": true, "/a?b=1&c=%zz": true, "/x:y;z=@$&+,~._-": true,
		"": false, "x": false, "//h/x": false, "/x?": false, "/x#f": false, "/x?a#f": false,
		"/a b": false, "/a%20b": false, "/é": false, "/x?a b": false, "/x!": false,
	} {
		if got := plainPath(raw); got != want {
			t.Errorf("plainPath(%q) = %v, want %v", raw, got, want)
		}
	}
}

// TestResolveRemembered checks that the URLs resolve remembers follow the
// client's base URL and the VU's host when they change.
func TestResolveRemembered(t *testing.T) {
	vu := &VU{host: "http://a:1"}
	c := &jsClient{vu: vu}
	want := func(raw, full string) {
		t.Helper()
		if got, _, err := c.resolve(raw, nil); err != nil || got != full {
			t.Fatalf("resolve(%q) = %q, %v; want %q", raw, got, err, full)
		}
	}
	for range 3 {
		want("/x", "http://a:1/x")
		want("/y?q=1", "http://a:1/y?q=1")
		want("/z", "http://a:1/z")
	}
	vu.host = "http://b:2/base/"
	want("/x", "http://b:2/base/x")
	want("/x", "http://b:2/base/x")
	c.base = "https://c"
	want("/x", "https://c/x")
	want("/y?q=1", "https://c/y?q=1")
	c.base = ""
	want("/x", "http://b:2/base/x")
	want("/x?a", "http://b:2/base/x?a")
	if _, _, err := c.resolve("/x", url.Values{"k": {"v w"}}); err != nil {
		t.Fatal(err)
	}
	want("/x", "http://b:2/base/x")
}
