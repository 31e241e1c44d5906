package targetpolicy

import "net/netip"

// Categories reported in RefusedError.Category.
const (
	CategoryLoopback      = "loopback"
	CategoryPrivate       = "private"
	CategoryLinkLocal     = "link-local"
	CategoryCGNAT         = "cgnat"
	CategoryMulticast     = "multicast"
	CategoryBroadcast     = "broadcast"
	CategoryUnspecified   = "unspecified"
	CategoryDocumentation = "documentation"
	CategoryBenchmarking  = "benchmarking"
	CategoryMetadata      = "metadata"
	CategoryReserved      = "reserved"
	CategoryInvalid       = "invalid"
	CategoryDenied        = "denied"
)

type rangeCategory struct {
	prefix   netip.Prefix
	category string
}

func mustRanges(pairs ...string) []rangeCategory {
	rs := make([]rangeCategory, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		rs = append(rs, rangeCategory{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return rs
}

// metadataAddrs are cloud instance-metadata and host-agent endpoints. They
// hold credentials, so they stay refused even when private targets are
// allowed, unless an Allow CIDR names them.
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack...
	netip.MustParseAddr("169.254.170.2"):   true, // AWS ECS task credentials
	netip.MustParseAddr("169.254.170.23"):  true, // AWS EKS pod identity
	netip.MustParseAddr("169.254.0.23"):    true, // Tencent Cloud
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
	netip.MustParseAddr("168.63.129.16"):   true, // Azure WireServer (public space, reachable only inside Azure)
	netip.MustParseAddr("192.0.0.192"):     true, // Oracle Cloud legacy metadata
	netip.MustParseAddr("fd00:ec2::254"):   true, // AWS IMDS over IPv6
	netip.MustParseAddr("fd00:ec2::23"):    true, // AWS EKS pod identity over IPv6
}

// v4Ranges are the IPv4 special-purpose blocks (IANA registry, RFC 6890)
// that are not reachable public unicast. First match wins.
var v4Ranges = mustRanges(
	"0.0.0.0/8", CategoryUnspecified, // "this network"; 0.0.0.0 dials the local host on Linux
	"10.0.0.0/8", CategoryPrivate,
	"100.64.0.0/10", CategoryCGNAT,
	"127.0.0.0/8", CategoryLoopback,
	"169.254.0.0/16", CategoryLinkLocal,
	"172.16.0.0/12", CategoryPrivate,
	"192.0.0.0/24", CategoryReserved, // IETF protocol assignments
	"192.0.2.0/24", CategoryDocumentation,
	"192.88.99.0/24", CategoryReserved, // deprecated 6to4 relay anycast
	"192.168.0.0/16", CategoryPrivate,
	"198.18.0.0/15", CategoryBenchmarking,
	"198.51.100.0/24", CategoryDocumentation,
	"203.0.113.0/24", CategoryDocumentation,
	"224.0.0.0/4", CategoryMulticast,
	"255.255.255.255/32", CategoryBroadcast,
	"240.0.0.0/4", CategoryReserved,
)

// v6Ranges are the IPv6 special-purpose blocks judged on their own. Forms
// that embed an IPv4 address are unwrapped first (see embeddedIPv4), and
// anything outside global unicast 2000::/3 is refused as reserved.
var v6Ranges = mustRanges(
	"::/128", CategoryUnspecified,
	"::1/128", CategoryLoopback,
	"64:ff9b:1::/48", CategoryPrivate, // local-use NAT64 (RFC 8215); the embedding varies by site
	"100::/64", CategoryReserved, // discard-only
	"2001::/32", CategoryReserved, // Teredo: tunnels to an obfuscated IPv4 peer
	"2001:2::/48", CategoryBenchmarking,
	"2001:db8::/32", CategoryDocumentation,
	"2001::/23", CategoryReserved, // rest of the IETF protocol assignments (ORCHID, AMT, ...)
	"3fff::/20", CategoryDocumentation, // RFC 9637
	"fc00::/7", CategoryPrivate, // unique local
	"fe80::/10", CategoryLinkLocal,
	"fec0::/10", CategoryPrivate, // deprecated site-local (RFC 3879), still routed privately by some stacks
	"ff00::/8", CategoryMulticast,
)

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	mapped4        = netip.MustParsePrefix("::ffff:0:0/96")
	compat4        = netip.MustParsePrefix("::/96")
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
)

type embedding int

const (
	notEmbedded embedding = iota
	embedMapped
	embedCompat
	embedNAT64
	embed6to4
)

// embeddedIPv4 returns the IPv4 address carried inside an IPv6 address that
// a stack or gateway may turn into an IPv4 connection: IPv4-mapped
// (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, deprecated), NAT64
// (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::). ip must have no zone.
func embeddedIPv4(ip netip.Addr) (netip.Addr, embedding) {
	if !ip.Is6() {
		return netip.Addr{}, notEmbedded
	}
	b := ip.As16()
	switch {
	case mapped4.Contains(ip):
		return ip.Unmap(), embedMapped
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), embedNAT64
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), embed6to4
	case compat4.Contains(ip) && ip != netip.IPv6Unspecified() && ip != netip.IPv6Loopback():
		return netip.AddrFrom4([4]byte(b[12:16])), embedCompat
	}
	return netip.Addr{}, notEmbedded
}

// classify returns the category that makes ip unfit for a public prober, or
// "" when ip is ordinary public unicast.
func classify(ip netip.Addr) string {
	if !ip.IsValid() {
		return CategoryInvalid
	}
	zoned := ip.Zone() != ""
	ip = ip.WithZone("")
	c := classifyUnzoned(ip)
	if c == "" && zoned {
		// A zone only means something for scoped (link-local) addresses.
		return CategoryLinkLocal
	}
	return c
}

func classifyUnzoned(ip netip.Addr) string {
	if metadataAddrs[ip] {
		return CategoryMetadata
	}
	if ip.Is4() {
		for _, r := range v4Ranges {
			if r.prefix.Contains(ip) {
				return r.category
			}
		}
		return ""
	}
	if v4, kind := embeddedIPv4(ip); kind != notEmbedded {
		c := classifyUnzoned(v4)
		if c == "" && kind == embedCompat {
			return CategoryReserved // deprecated (RFC 4291 2.5.5.1); nothing public uses it
		}
		return c
	}
	for _, r := range v6Ranges {
		if r.prefix.Contains(ip) {
			return r.category
		}
	}
	if !globalUnicast6.Contains(ip) {
		return CategoryReserved
	}
	return ""
}

// addrForms returns ip without its zone, plus the IPv4 address it embeds, if
// any, so that Allow and Deny CIDRs match every spelling of one target.
func addrForms(ip netip.Addr) []netip.Addr {
	ip = ip.WithZone("")
	if v4, kind := embeddedIPv4(ip); kind != notEmbedded {
		return []netip.Addr{ip, v4}
	}
	return []netip.Addr{ip}
}
