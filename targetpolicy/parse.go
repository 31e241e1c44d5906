package targetpolicy

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseHostIP reports whether host is an IP address, and which, in any of
// the spellings a URL host can use: a dotted quad, an IPv6 literal with or
// without brackets (a zone may be written "%25eth0" inside brackets, as in a
// URL, or "%eth0"), and the legacy IPv4 forms that the WHATWG URL standard's
// IPv4 parser accepts: decimal "2130706433", octal "0177.0.0.1", hex
// "0x7f.0.0.1", short "127.1", a single trailing dot, percent-encoding, and
// full-width digits and dots.
//
// Browsers (and some C resolvers) treat these hosts as that IP, so the
// prober must judge them as that IP rather than as a name. Full IDNA mapping
// is not applied: a host that only IDNA would turn into digits is left to
// the resolver, whose answers are judged anyway.
func ParseHostIP(host string) (netip.Addr, bool) {
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		inner := host[1 : len(host)-1]
		if i := strings.Index(inner, "%25"); i >= 0 {
			inner = inner[:i] + "%" + inner[i+len("%25"):]
		}
		a, err := netip.ParseAddr(inner)
		if err != nil || !a.Is6() {
			return netip.Addr{}, false
		}
		return a, true
	}
	if strings.Contains(host, ":") {
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() {
			return netip.Addr{}, false
		}
		return a, true
	}
	return parseIPv4(host)
}

// parseIPv4 is the WHATWG URL "IPv4 parser"
// (https://url.spec.whatwg.org/#concept-ipv4-parser), after the percent
// decoding and width folding that the host parser does first.
func parseIPv4(host string) (netip.Addr, bool) {
	if strings.Contains(host, "%") {
		decoded, err := url.PathUnescape(host)
		if err != nil {
			return netip.Addr{}, false
		}
		host = decoded
	}
	host, ok := foldASCII(host)
	if !ok {
		return netip.Addr{}, false
	}
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, part := range parts {
		n, ok := parseIPv4Number(part)
		if !ok {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	last := len(nums) - 1
	for _, n := range nums[:last] {
		if n > 255 {
			return netip.Addr{}, false
		}
	}
	if nums[last] >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v := nums[last]
	for i, n := range nums[:last] {
		v += n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// parseIPv4Number is the WHATWG "IPv4 number parser": "0x" or "0X" means
// hex, a leading "0" means octal, and an empty remainder means zero.
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, s = 16, s[2:]
	case len(s) >= 2 && s[0] == '0':
		base, s = 8, s[1:]
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i], base) {
			return 0, false
		}
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return 0, true
	}
	// Anything wider than 16 digits exceeds 2^32 in every base, which the
	// caller rejects anyway; this keeps ParseUint from overflowing.
	if len(s) > 16 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

func isDigit(c byte, base int) bool {
	switch base {
	case 8:
		return '0' <= c && c <= '7'
	case 10:
		return '0' <= c && c <= '9'
	default:
		return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
	}
}

// foldASCII lower-cases s and maps the full-width forms U+FF01-U+FF5E and
// the ideographic full stops to ASCII, as IDNA mapping would. It reports
// false if any other non-ASCII rune (or invalid UTF-8) remains.
func foldASCII(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s), true
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "", false
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3002 || r == 0xFF61: // ideographic and half-width ideographic full stops
			r = '.'
		case r >= utf8.RuneSelf:
			return "", false
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String()), true
}

// normalizeHost returns the form of host that name rules are matched
// against: without brackets or trailing dots, lower-cased, with full-width
// ASCII folded. Non-ASCII names are only lower-cased.
func normalizeHost(host string) string {
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	host = strings.TrimRight(host, ".")
	if folded, ok := foldASCII(host); ok {
		return strings.TrimRight(folded, ".")
	}
	return strings.ToLower(host)
}

// hostAddr reports whether host, as given or normalised, spells an IP.
func hostAddr(host string) (netip.Addr, bool) {
	if a, ok := ParseHostIP(host); ok {
		return a, true
	}
	return ParseHostIP(normalizeHost(host))
}
