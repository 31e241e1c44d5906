package targetpolicy

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// These tests only call Decide: no address here is ever dialled.

func mustNew(t *testing.T, cfg Config) *Policy {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return p
}

// checkDecision asserts that err is nil when wantCategory is "", and
// otherwise a *RefusedError with that category, host and address.
func checkDecision(t *testing.T, err error, host string, addr netip.Addr, wantCategory string) {
	t.Helper()
	if wantCategory == "" {
		if err != nil {
			t.Fatalf("Decide(%q, %v) = %v, want allowed", host, addr, err)
		}
		return
	}
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("Decide(%q, %v) = %v, want *RefusedError %q", host, addr, err, wantCategory)
	}
	if re.Category != wantCategory {
		t.Errorf("Decide(%q, %v).Category = %q, want %q (%v)", host, addr, re.Category, wantCategory, err)
	}
	if re.Host != host {
		t.Errorf("Decide(%q, %v).Host = %q, want %q", host, addr, re.Host, host)
	}
	if re.Addr.IsValid() && re.Addr != addr {
		if hostIP, ok := hostAddr(host); !ok || re.Addr != hostIP {
			t.Errorf("Decide(%q, %v).Addr = %v, want %v or the host's own IP", host, addr, re.Addr, addr)
		}
	}
	if re.Error() == "" {
		t.Errorf("Decide(%q, %v): empty message", host, addr)
	}
}

func TestDecideDefault(t *testing.T) {
	p := mustNew(t, Config{})
	tests := []struct {
		name     string
		host     string // "" means the address itself
		addr     string
		category string // "" means allowed
	}{
		// Public controls.
		{"public v4", "example.com", "93.184.215.14", ""},
		{"public v6", "example.com", "2606:4700::1", ""},
		{"public v4 literal", "", "8.8.8.8", ""},
		{"100.63 just below cgnat", "", "100.63.255.255", ""},
		{"100.128 just above cgnat", "", "100.128.0.0", ""},
		{"172.15 just below private", "", "172.15.255.255", ""},
		{"172.32 just above private", "", "172.32.0.0", ""},
		{"nat64 of public", "", "64:ff9b::5db8:d70e", ""},
		{"6to4 of public", "", "2002:5db8:d70e::1", ""},
		{"mapped public", "", "::ffff:93.184.215.14", ""},

		// Loopback.
		{"loopback", "", "127.0.0.1", CategoryLoopback},
		{"loopback high", "", "127.255.255.254", CategoryLoopback},
		{"loopback v6", "", "::1", CategoryLoopback},
		{"name resolving to loopback", "rebind.example", "127.0.0.1", CategoryLoopback},

		// Unspecified.
		{"unspecified v4", "", "0.0.0.0", CategoryUnspecified},
		{"this network", "", "0.1.2.3", CategoryUnspecified},
		{"unspecified v6", "", "::", CategoryUnspecified},

		// Private.
		{"rfc1918 10", "", "10.0.0.5", CategoryPrivate},
		{"rfc1918 172.16", "", "172.16.0.1", CategoryPrivate},
		{"rfc1918 172.31", "", "172.31.255.255", CategoryPrivate},
		{"rfc1918 192.168", "", "192.168.1.1", CategoryPrivate},
		{"unique local fc", "", "fc00::1", CategoryPrivate},
		{"unique local fd", "", "fd12:3456::1", CategoryPrivate},
		{"site-local", "", "fec0::1", CategoryPrivate},
		{"local-use nat64", "", "64:ff9b:1::a00:5", CategoryPrivate},

		// Link-local and metadata.
		{"link-local v4", "", "169.254.1.1", CategoryLinkLocal},
		{"link-local v6", "", "fe80::1", CategoryLinkLocal},
		{"zoned link-local", "", "fe80::1%eth0", CategoryLinkLocal},
		{"zoned public", "", "2606:4700::1%eth0", CategoryLinkLocal},
		{"aws metadata", "", "169.254.169.254", CategoryMetadata},
		{"gcp metadata name", "metadata.google.internal", "169.254.169.254", CategoryMetadata},
		{"aws metadata v6", "", "fd00:ec2::254", CategoryMetadata},
		{"ecs credentials", "", "169.254.170.2", CategoryMetadata},
		{"alibaba metadata", "", "100.100.100.200", CategoryMetadata},
		{"azure wireserver", "", "168.63.129.16", CategoryMetadata},

		// CGNAT.
		{"cgnat", "", "100.64.0.1", CategoryCGNAT},
		{"cgnat top", "", "100.127.255.255", CategoryCGNAT},

		// Multicast and broadcast.
		{"multicast v4", "", "224.0.0.1", CategoryMulticast},
		{"multicast v4 top", "", "239.255.255.255", CategoryMulticast},
		{"multicast v6", "", "ff02::1", CategoryMulticast},
		{"broadcast", "", "255.255.255.255", CategoryBroadcast},

		// Documentation and benchmarking.
		{"test-net-1", "", "192.0.2.1", CategoryDocumentation},
		{"test-net-2", "", "198.51.100.7", CategoryDocumentation},
		{"test-net-3", "", "203.0.113.9", CategoryDocumentation},
		{"documentation v6", "", "2001:db8::1", CategoryDocumentation},
		{"documentation v6 3fff", "", "3fff::1", CategoryDocumentation},
		{"benchmarking", "", "198.18.0.1", CategoryBenchmarking},
		{"benchmarking top", "", "198.19.255.255", CategoryBenchmarking},
		{"benchmarking v6", "", "2001:2::1", CategoryBenchmarking},

		// Reserved.
		{"class e", "", "240.0.0.1", CategoryReserved},
		{"ietf protocol assignments", "", "192.0.0.8", CategoryReserved},
		{"oracle metadata", "", "192.0.0.192", CategoryMetadata},
		{"6to4 relay anycast", "", "192.88.99.1", CategoryReserved},
		{"discard-only v6", "", "100::1", CategoryReserved},
		{"teredo", "", "2001:0:4136:e378:8000:63bf:3fff:fdd2", CategoryReserved},
		{"orchid v2", "", "2001:20::1", CategoryReserved},
		{"outside 2000::/3", "", "4000::1", CategoryReserved},
		{"ipv4-compatible public", "", "::93.184.215.14", CategoryReserved},

		// IPv6 forms that embed an IPv4 address are judged by that address.
		{"mapped loopback", "", "::ffff:127.0.0.1", CategoryLoopback},
		{"mapped private", "", "::ffff:10.0.0.5", CategoryPrivate},
		{"mapped metadata", "", "::ffff:169.254.169.254", CategoryMetadata},
		{"ipv4-compatible loopback", "", "::127.0.0.1", CategoryLoopback},
		{"nat64 loopback", "", "64:ff9b::7f00:1", CategoryLoopback},
		{"nat64 private", "", "64:ff9b::10.0.0.5", CategoryPrivate},
		{"nat64 metadata", "", "64:ff9b::a9fe:a9fe", CategoryMetadata},
		{"6to4 loopback", "", "2002:7f00:1::1", CategoryLoopback},
		{"6to4 private", "", "2002:c0a8:101::1", CategoryPrivate},

		// Names: localhost is refused before any address is considered.
		{"localhost", "localhost", "93.184.215.14", CategoryLoopback},
		{"localhost trailing dot", "localhost.", "93.184.215.14", CategoryLoopback},
		{"localhost upper case", "LocalHost", "93.184.215.14", CategoryLoopback},
		{"sub.localhost", "app.localhost", "93.184.215.14", CategoryLoopback},
		{"full-width localhost", "ｌｏｃａｌｈｏｓｔ", "93.184.215.14", CategoryLoopback},
		{"not localhost", "localhost.example.com", "93.184.215.14", ""},
		{"mylocalhost", "mylocalhost", "93.184.215.14", ""},

		// When the host spells an IP, that IP is judged too.
		{"decimal host", "2130706433", "127.0.0.1", CategoryLoopback},
		{"octal host", "0177.0.0.1", "127.0.0.1", CategoryLoopback},
		{"hex host", "0x7f.0.0.1", "127.0.0.1", CategoryLoopback},
		{"short host", "127.1", "127.0.0.1", CategoryLoopback},
		{"host ip differs from dialled ip", "10.0.0.5", "93.184.215.14", CategoryPrivate},
		{"bracketed zone host", "[fe80::1%25eth0]", "fe80::1%eth0", CategoryLinkLocal},
		{"bracketed mapped host", "[::ffff:127.0.0.1]", "::ffff:127.0.0.1", CategoryLoopback},

		{"invalid address", "example.com", "", CategoryInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var addr netip.Addr
			if tc.addr != "" {
				addr = netip.MustParseAddr(tc.addr)
			}
			host := tc.host
			if host == "" {
				host = tc.addr
			}
			checkDecision(t, p.Decide(host, addr), host, addr, tc.category)
		})
	}
}

func TestDecideAllowPrivate(t *testing.T) {
	p := mustNew(t, Config{AllowPrivate: true})
	tests := []struct {
		name     string
		host     string
		addr     string
		category string
	}{
		{"loopback", "127.0.0.1", "127.0.0.1", ""},
		{"localhost", "localhost", "127.0.0.1", ""},
		{"private", "db.internal", "10.0.0.5", ""},
		{"link-local", "fe80::1%eth0", "fe80::1%eth0", ""},
		{"cgnat", "100.64.0.1", "100.64.0.1", ""},
		{"mapped loopback", "::ffff:127.0.0.1", "::ffff:127.0.0.1", ""},
		{"public", "example.com", "93.184.215.14", ""},
		{"metadata stays refused", "169.254.169.254", "169.254.169.254", CategoryMetadata},
		{"metadata via nat64 stays refused", "example.com", "64:ff9b::a9fe:a9fe", CategoryMetadata},
		{"alibaba metadata stays refused", "100.100.100.200", "100.100.100.200", CategoryMetadata},
		{"invalid stays refused", "example.com", "", CategoryInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var addr netip.Addr
			if tc.addr != "" {
				addr = netip.MustParseAddr(tc.addr)
			}
			checkDecision(t, p.Decide(tc.host, addr), tc.host, addr, tc.category)
		})
	}
}

func TestDecideAllowDeny(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		host     string
		addr     string
		category string
	}{
		{"allow cidr lifts private", Config{Allow: []string{"10.20.0.0/16"}}, "svc.example", "10.20.3.4", ""},
		{"allow cidr is exact", Config{Allow: []string{"10.20.0.0/16"}}, "svc.example", "10.21.0.1", CategoryPrivate},
		{"allow cidr matches mapped form", Config{Allow: []string{"10.20.0.0/16"}}, "svc.example", "::ffff:10.20.3.4", ""},
		{"allow cidr matches nat64 form", Config{Allow: []string{"10.20.0.0/16"}}, "svc.example", "64:ff9b::a14:304", ""},
		{"allow single ip", Config{Allow: []string{"192.168.1.10"}}, "192.168.1.10", "192.168.1.10", ""},
		{"allow v6 cidr", Config{Allow: []string{"fd00:1::/32"}}, "svc.example", "fd00:1::5", ""},
		{"allow name lifts private", Config{Allow: []string{"staging.internal"}}, "staging.internal", "10.9.9.9", ""},
		{"allow name normalised", Config{Allow: []string{"Staging.Internal."}}, "STAGING.internal.", "10.9.9.9", ""},
		{"allow name does not cover others", Config{Allow: []string{"staging.internal"}}, "other.internal", "10.9.9.9", CategoryPrivate},
		{"allow name does not cover subdomain", Config{Allow: []string{"staging.internal"}}, "a.staging.internal", "10.9.9.9", CategoryPrivate},
		{"allow wildcard covers subdomain", Config{Allow: []string{"*.staging.internal"}}, "api.staging.internal", "10.9.9.9", ""},
		{"allow wildcard covers deep subdomain", Config{Allow: []string{"*.staging.internal"}}, "a.b.staging.internal", "10.9.9.9", ""},
		{"allow wildcard excludes apex", Config{Allow: []string{"*.staging.internal"}}, "staging.internal", "10.9.9.9", CategoryPrivate},
		{"allow wildcard excludes lookalike", Config{Allow: []string{"*.staging.internal"}}, "evilstaging.internal", "10.9.9.9", CategoryPrivate},
		{"allow name does not lift metadata", Config{Allow: []string{"staging.internal"}}, "staging.internal", "169.254.169.254", CategoryMetadata},
		{"allow name does not apply to ip hosts", Config{Allow: []string{"staging.internal"}}, "10.9.9.9", "10.9.9.9", CategoryPrivate},
		{"allow localhost by name", Config{Allow: []string{"localhost"}}, "localhost", "127.0.0.1", ""},
		{"allow cidr lifts metadata", Config{Allow: []string{"169.254.169.254/32"}}, "169.254.169.254", "169.254.169.254", ""},
		{"deny cidr beats allow cidr", Config{Allow: []string{"10.0.0.0/8"}, Deny: []string{"10.0.0.0/24"}}, "svc.example", "10.0.0.5", CategoryDenied},
		{"deny cidr beats allow private", Config{AllowPrivate: true, Deny: []string{"10.0.0.0/8"}}, "svc.example", "10.0.0.5", CategoryDenied},
		{"deny cidr refuses public", Config{Deny: []string{"93.184.215.0/24"}}, "example.com", "93.184.215.14", CategoryDenied},
		{"deny cidr matches mapped form", Config{Deny: []string{"93.184.215.0/24"}}, "example.com", "::ffff:93.184.215.14", CategoryDenied},
		{"deny cidr matches 6to4 form", Config{Deny: []string{"93.184.215.0/24"}}, "example.com", "2002:5db8:d70e::1", CategoryDenied},
		{"deny cidr matches host spelling", Config{Deny: []string{"93.184.215.0/24"}}, "0x5db8d70e", "93.184.215.14", CategoryDenied},
		{"deny name beats allow name", Config{Allow: []string{"*.staging.internal"}, Deny: []string{"secret.staging.internal"}}, "secret.staging.internal", "10.9.9.9", CategoryDenied},
		{"deny name beats allow private", Config{AllowPrivate: true, Deny: []string{"db.internal"}}, "db.internal", "10.9.9.9", CategoryDenied},
		{"deny name refuses public", Config{Deny: []string{"evil.example"}}, "EVIL.example.", "93.184.215.14", CategoryDenied},
		{"deny wildcard", Config{Deny: []string{"*.evil.example"}}, "a.evil.example", "93.184.215.14", CategoryDenied},
		{"deny wildcard excludes apex", Config{Deny: []string{"*.evil.example"}}, "evil.example", "93.184.215.14", ""},
		{"deny name beats allow cidr", Config{Allow: []string{"10.0.0.0/8"}, Deny: []string{"db.internal"}}, "db.internal", "10.0.0.5", CategoryDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustNew(t, tc.cfg)
			addr := netip.MustParseAddr(tc.addr)
			checkDecision(t, p.Decide(tc.host, addr), tc.host, addr, tc.category)
		})
	}
}

func TestAllowAll(t *testing.T) {
	p := AllowAll()
	for _, tc := range []struct{ host, addr string }{
		{"localhost", "127.0.0.1"},
		{"169.254.169.254", "169.254.169.254"},
		{"db.internal", "10.0.0.5"},
		{"example.com", "93.184.215.14"},
		{"[fe80::1%25eth0]", "fe80::1%eth0"},
	} {
		if err := p.Decide(tc.host, netip.MustParseAddr(tc.addr)); err != nil {
			t.Errorf("AllowAll().Decide(%q, %s) = %v, want nil", tc.host, tc.addr, err)
		}
	}
	if got, want := p.String(), "all targets allowed"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestNilPolicyIsStrict(t *testing.T) {
	var p *Policy
	checkDecision(t, p.Decide("10.0.0.5", netip.MustParseAddr("10.0.0.5")), "10.0.0.5", netip.MustParseAddr("10.0.0.5"), CategoryPrivate)
	checkDecision(t, p.Decide("example.com", netip.MustParseAddr("93.184.215.14")), "example.com", netip.MustParseAddr("93.184.215.14"), "")
}

func TestNewRejectsBadEntries(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error, which must also name the entry
	}{
		{"bad cidr", Config{Allow: []string{"10.0.0.0/33"}}, `allow entry "10.0.0.0/33" is not a valid CIDR`},
		{"bad deny cidr", Config{Deny: []string{"fd00::/129"}}, `deny entry "fd00::/129" is not a valid CIDR`},
		{"empty", Config{Allow: []string{""}}, `allow entry "" is not a CIDR, IP address or host name`},
		{"inner wildcard", Config{Allow: []string{"a.*.example"}}, `allow entry "a.*.example"`},
		{"bare wildcard", Config{Deny: []string{"*"}}, `deny entry "*"`},
		{"url not host", Config{Allow: []string{"http://staging.internal"}}, `allow entry "http://staging.internal"`},
		{"space in name", Config{Allow: []string{"staging internal"}}, `allow entry "staging internal"`},
		{"legacy ip spelling", Config{Allow: []string{"127.1"}}, `allow entry "127.1" is a legacy spelling of 127.0.0.1`},
		{"zoned ip", Config{Allow: []string{"fe80::1%eth0"}}, `allow entry "fe80::1%eth0" has an IPv6 zone`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.cfg)
			if err == nil {
				t.Fatalf("New(%+v) = %v, want error", tc.cfg, p)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(%+v) error = %q, want it to contain %q", tc.cfg, err, tc.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"default", Config{}, "public targets only"},
		{"private", Config{AllowPrivate: true}, "public and private targets (cloud metadata refused)"},
		{"lists", Config{Allow: []string{"10.20.1.0/16", " *.Staging.Internal. "}, Deny: []string{"db.internal", "::ffff:10.0.0.1"}},
			"public targets only; also allowed: 10.20.0.0/16, *.staging.internal; denied: db.internal, ::ffff:10.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustNew(t, tc.cfg).String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRefusedErrorMessage(t *testing.T) {
	const local = "; run corsdoctor locally to debug private targets"
	tests := []struct {
		name string
		err  *RefusedError
		want string
	}{
		{"literal", &RefusedError{Host: "10.0.0.5", Addr: netip.MustParseAddr("10.0.0.5"), Category: CategoryPrivate},
			"this corsdoctor does not probe private addresses (10.0.0.5 is a private address)" + local},
		{"no host", &RefusedError{Addr: netip.MustParseAddr("192.0.2.1"), Category: CategoryDocumentation},
			"this corsdoctor does not probe documentation addresses (192.0.2.1 is an address reserved for documentation)" + local},
		{"resolved", &RefusedError{Host: "db.example", Addr: netip.MustParseAddr("10.0.0.5"), Category: CategoryPrivate},
			"this corsdoctor does not probe private addresses (db.example resolves to 10.0.0.5, a private address)" + local},
		{"legacy spelling", &RefusedError{Host: "0x7f.1", Addr: netip.MustParseAddr("127.0.0.1"), Category: CategoryLoopback},
			"this corsdoctor does not probe loopback addresses (0x7f.1 means 127.0.0.1, a loopback address)" + local},
		{"embedded", &RefusedError{Host: "64:ff9b::a00:5", Addr: netip.MustParseAddr("64:ff9b::a00:5"), Category: CategoryPrivate},
			"this corsdoctor does not probe private addresses (64:ff9b::a00:5 embeds 10.0.0.5, a private address)" + local},
		{"resolved embedded", &RefusedError{Host: "db.example", Addr: netip.MustParseAddr("::ffff:127.0.0.1"), Category: CategoryLoopback},
			"this corsdoctor does not probe loopback addresses (db.example resolves to ::ffff:127.0.0.1, which embeds 127.0.0.1, a loopback address)" + local},
		{"localhost name", &RefusedError{Host: "localhost", Category: CategoryLoopback},
			"this corsdoctor does not probe loopback addresses (localhost always means this machine)" + local},
		{"metadata", &RefusedError{Host: "169.254.169.254", Addr: netip.MustParseAddr("169.254.169.254"), Category: CategoryMetadata},
			"this corsdoctor does not probe cloud metadata endpoints (169.254.169.254 is a cloud metadata address)"},
		{"denied name", &RefusedError{Host: "evil.example", Category: CategoryDenied},
			"this corsdoctor is configured not to probe evil.example"},
		{"denied address", &RefusedError{Host: "evil.example", Addr: netip.MustParseAddr("93.184.215.14"), Category: CategoryDenied},
			"this corsdoctor is configured not to probe evil.example (93.184.215.14)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() =\n%q, want\n%q", got, tc.want)
			}
		})
	}
}
