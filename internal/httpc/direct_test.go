package httpc

import "testing"

// directAddr takes IP addresses (with the scheme's port when none is
// given) and leaves names, zoned addresses and bad ports to net.Dialer.
func TestDirectAddr(t *testing.T) {
	for _, c := range []struct {
		url, want string
	}{
		{"http://127.0.0.1:8080/x", "127.0.0.1:8080"},
		{"http://127.0.0.1/", "127.0.0.1:80"},
		{"https://10.1.2.3/", "10.1.2.3:443"},
		{"http://[::1]:9000/", "[::1]:9000"},
		{"http://[::ffff:127.0.0.1]:81/", "127.0.0.1:81"},
		{"http://localhost:8080/", ""},
		{"http://1password.example/", ""},
		{"http://[fe80::1%25eth0]:80/", ""}, // a zone: net.Dialer's
		{"http://127.0.0.1:99999/", ""},     // net.Dialer reports the port
	} {
		u := mustURL(t, c.url)
		ap, ok := directAddr(u)
		got := ""
		if ok {
			got = ap.String()
		}
		if got != c.want {
			t.Errorf("directAddr(%s) = %q, want %q", c.url, got, c.want)
		}
	}
}
