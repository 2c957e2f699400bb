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
