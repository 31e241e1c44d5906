package audit

import (
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Test names what a crafted origin checks.
type Test string

// The tests, one or more probes each.
const (
	TestBaseline   Test = "baseline"   // the page's own origin
	TestReflection Test = "reflection" // an unrelated origin
	TestNull       Test = "null"       // the opaque origin
	TestPrefix     Test = "prefix"     // the trusted host followed by the attacker's domain
	TestSuffix     Test = "suffix"     // the attacker's name followed by the trusted domain
	TestSubdomain  Test = "subdomain"  // a new subdomain of the trusted domain or host
	TestDot        Test = "dot"        // one dot of the trusted host replaced by a letter
	TestInsecure   Test = "insecure"   // http:// on the trusted host
	TestSpecial    Test = "special"    // the trusted host, a special character, the attacker's domain
)

// attackerDomain is the registrable domain the crafted origins pretend an
// attacker owns. They are only ever sent as Origin values, never dialled.
const attackerDomain = "evil.net"

// specialChars are the characters put between the trusted host and the
// attacker's domain. Each is one that Go's URL parser and the URL standard
// accept in a host (so ParseOrigin takes it and some browser can send it),
// chosen from CORScanner's and nuclei's lists; a backtick, braces and
// quotes are left out because no parser here accepts them (and Corsy's
// "%60" is sent literally, a bug of its own).
var specialChars = []string{"_", "!", "$", "&", "+", "~"}

// maxDots bounds the unescaped-dot probes: one per dot of the host, the
// first maxDots of them.
const maxDots = 3

// probe is one request the audit sends.
type probe struct {
	origin    string
	test      Test
	preflight bool
}

// plan returns the audit's probes for a page origin (already serialised by
// diagnose.ParseOrigin, never null): the baseline first, then the crafted
// origins. Probes that make no sense for the origin (subdomains of an IP
// address, a dot in "localhost", http:// for an http:// page) are left out.
func plan(origin string) []probe {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return nil
	}
	s, host, port := u.Scheme, u.Hostname(), u.Port()
	withPort := func(h string) string {
		if port != "" {
			return h + ":" + port
		}
		return h
	}
	isIP := strings.HasPrefix(u.Host, "[")
	if _, err := netip.ParseAddr(host); err == nil {
		isIP = true
	}
	out := []probe{
		{origin: origin, test: TestBaseline},
		{origin: s + "://" + attackerDomain, test: TestReflection},
		{origin: "null", test: TestNull},
		{origin: s + "://" + attackerDomain, test: TestReflection, preflight: true},
		{origin: "null", test: TestNull, preflight: true},
	}
	if !isIP {
		out = append(out, probe{origin: s + "://" + host + "." + attackerDomain, test: TestPrefix})
	}
	reg := registrable(host, isIP)
	if reg != "" {
		out = append(out, probe{origin: s + "://evil-" + reg, test: TestSuffix})
		out = append(out, probe{origin: s + "://" + withPort("evil."+reg), test: TestSubdomain})
	}
	if reg != "" && host != reg {
		out = append(out, probe{origin: s + "://" + withPort("evil."+host), test: TestSubdomain})
	}
	if !isIP {
		n := 0
		for i := 0; i < len(host) && n < maxDots; i++ {
			if host[i] != '.' || i == len(host)-1 {
				continue
			}
			out = append(out, probe{origin: s + "://" + withPort(host[:i]+"x"+host[i+1:]), test: TestDot})
			n++
		}
	}
	if s == "https" {
		out = append(out, probe{origin: "http://" + withPort(host), test: TestInsecure})
	}
	if !isIP {
		for _, c := range specialChars {
			out = append(out, probe{origin: s + "://" + host + c + "." + attackerDomain, test: TestSpecial})
		}
	}
	return out
}

// registrable is host's registrable domain (eTLD+1: example.com for
// app.example.com, example.co.uk for app.example.co.uk), or "" when it has
// none (an IP address, localhost, a public suffix itself).
func registrable(host string, isIP bool) string {
	if isIP || !strings.Contains(host, ".") {
		return ""
	}
	r, err := publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(host, "."))
	if err != nil {
		return ""
	}
	return r
}
