package diagnose

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// Local Network Access: Chromium (since 142) and Firefox (153 ESR) ask the
// user's permission before a page served from a public address may fetch
// from a private ("local") or loopback address. (The draft also covers a
// private page reaching loopback, but neither browser checks that today:
// Chromium 156 allows it silently and Firefox skips it by default,
// network.lna.local-network-to-localhost.skip-checks.) Until the user
// allows it, Chromium fails the
// fetch at once (observed in Chromium 156: no request is sent, the console
// says "Permission was denied for this request to access the `loopback`
// address space.") and Firefox holds it until the prompt is answered (a
// denial is "CORS request did not succeed"). corsdoctor cannot answer a
// prompt for the user, so it judges CORS as if access were granted and
// warns when the target's address is more private than the page's.

// addressSpace orders addresses from most to least public, as the Local
// Network Access draft does.
type addressSpace int

const (
	spaceUnknown addressSpace = iota
	spacePublic
	spaceLocal // private networks: RFC 1918, ULA, link-local
	spaceLoopback
)

// String is the name Chromium prints in its console line.
func (s addressSpace) String() string {
	switch s {
	case spacePublic:
		return "public"
	case spaceLocal:
		return "local"
	case spaceLoopback:
		return "loopback"
	}
	return "unknown"
}

// spaceOfIP classifies an address. Shared address space (100.64.0.0/10)
// and other special ranges count as public, as netip does.
func spaceOfIP(ip netip.Addr) addressSpace {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return spaceUnknown
	case ip.IsLoopback() || ip.IsUnspecified():
		return spaceLoopback
	case ip.IsPrivate() || ip.IsLinkLocalUnicast():
		return spaceLocal
	}
	return spacePublic
}

// spaceOfRemote classifies the "ip:port" a request was sent to.
func spaceOfRemote(remoteAddr string) addressSpace {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return spaceUnknown
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return spaceUnknown
	}
	return spaceOfIP(ip.WithZone(""))
}

// spaceOfOrigin is what the origin alone says about where the page is
// served: its address when the host is an IP literal, loopback for
// localhost names, and otherwise public, the common case of a deployed
// page (an intranet name may well be private; the warning says so).
// An opaque origin ("null") is unknown.
func spaceOfOrigin(origin string) addressSpace {
	if origin == "null" {
		return spaceUnknown
	}
	u, err := url.Parse(origin)
	if err != nil {
		return spaceUnknown
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return spaceLoopback
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return spaceOfIP(ip)
	}
	return spacePublic
}

// localNetworkAccess is the warning for the first request from a public
// page to a private or loopback address, if any.
func (w *walker) localNetworkAccess() (Finding, bool) {
	if spaceOfOrigin(w.p.origin) != spacePublic {
		return Finding{}, false
	}
	for i := range w.exchanges {
		ex := &w.exchanges[i]
		if target := spaceOfRemote(ex.RemoteAddr); target == spaceLocal || target == spaceLoopback {
			return Finding{Reason: "local-network-access", Severity: SeverityWarning, Step: ex.Step, Value: target.String()}, true
		}
	}
	return Finding{}, false
}
