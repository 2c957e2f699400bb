package httpc

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// directAddr returns the address to dial for u when its host is an IP
// address (without an IPv6 zone): such a URL can be dialled without a
// resolver (dialDirect, direct_linux.go).
func directAddr(u *url.URL) (netip.AddrPort, bool) {
	host := u.Hostname()
	if host == "" || (host[0] < '0' || host[0] > '9') && !strings.Contains(host, ":") {
		return netip.AddrPort{}, false // a name, decided without parsing it
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return netip.AddrPort{}, false
	}
	port := 80
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return netip.AddrPort{}, false
		}
		port = int(n)
	} else if u.Scheme == "https" {
		port = 443
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}
