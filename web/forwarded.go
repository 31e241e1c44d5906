package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// forwardedClient makes r.RemoteAddr the client's address when the
// connection comes from a trusted reverse proxy, so the per-client limits
// and the logs see each visitor rather than the proxy. X-Forwarded-For is
// read from the right: each proxy appends the address it received the
// request from, so the first entry that is not itself a trusted proxy is
// the address a trusted proxy saw connect. Entries further left are
// whatever the client chose to send and are never believed. An entry that
// is not an IP address stops the walk at the last address vouched for.
//
// Requests from anywhere else keep their RemoteAddr: a client that talks to
// the dashboard directly cannot pick its own key by sending the header.
func forwardedClient(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	isTrusted := func(a netip.Addr) bool {
		a = a.Unmap().WithZone("")
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, ok := hostIP(r.RemoteAddr)
		if !ok || !isTrusted(peer) {
			next.ServeHTTP(w, r)
			return
		}
		client := peer
		hops := r.Header.Values("X-Forwarded-For")
	walk:
		for i := len(hops) - 1; i >= 0; i-- {
			entries := strings.Split(hops[i], ",")
			for j := len(entries) - 1; j >= 0; j-- {
				a, ok := hostIP(strings.TrimSpace(entries[j]))
				if !ok {
					break walk
				}
				client = a
				if !isTrusted(a) {
					break walk
				}
			}
		}
		if client != peer {
			r2 := *r
			r2.RemoteAddr = netip.AddrPortFrom(client.Unmap().WithZone(""), 0).String()
			r = &r2
		}
		next.ServeHTTP(w, r)
	})
}

// hostIP reads an address with or without a port: a RemoteAddr, or an
// X-Forwarded-For entry as proxies write them ("203.0.113.7",
// "203.0.113.7:41234", "[2001:db8::1]:41234").
func hostIP(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	return a, err == nil
}

// ParseTrustedProxies reads a list of proxy addresses: CIDRs or single IPs
// (each its own /32 or /128).
func ParseTrustedProxies(entries []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			// Peers are unmapped before matching, so a prefix written
			// in IPv4-mapped form must be too.
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil || a.Zone() != "" {
			return nil, &net.ParseError{Type: "IP address or CIDR", Text: e}
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
