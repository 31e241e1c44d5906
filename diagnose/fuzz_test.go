package diagnose

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseOrigin checks that ParseOrigin never panics, fails only with an
// *InputError about the origin, and returns a serialised origin: "null" or
// a lower-case scheme://host[:port] with no path, which parses to itself.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{
		"https://app.example.com", "https://app.example.com/", "app.example.com", "HTTP://A.EXAMPLE:80",
		"https://example.com:443", "http://[::1]:3000", "http://[0:0::1]", "https://bücher.example",
		"https://xn--bcher-kva.example", "null", "file:///x", "https://user:pw@a.example", "http://a.example:0",
		"http://a.example:65536", "https://example.com.", "http://127.0.0.1:8080", "http://0x7f.1", "https://a.example?#",
		"http://a%2eexample", "https://", "ftp://a", "http:// a.example", "",
		// Found by fuzzing; each one is accepted but serialises to something
		// that does not parse again, and the URL parser rejects all three:
		// an IPv6 zone ID (WHATWG IPv6 parsing has no "%"),
		"http://[fe80::1%25eth0]",
		// a byte that is not UTF-8 (decoded to U+FFFD, which domain-to-ASCII
		// refuses; idna.Lookup maps it to "xn--zn7c"),
		"HTTP://\xff",
		// and an empty Punycode label ("xn--" becomes an empty host).
		"https://Xn--",
		// A full-width full stop maps to "."; the host must stay "." when
		// parsed again, not lose its only dot as a trailing one (found by
		// CI's fuzz step on a fresh corpus).
		"http://\uff0e", "http://a\u3002",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOrigin(s)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != "origin" || ie.Message == "" {
				t.Fatalf("ParseOrigin(%q) error = %#v, want an *InputError for origin", s, err)
			}
			return
		}
		if o != "null" {
			scheme, rest, ok := strings.Cut(o, "://")
			if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, "/?#@ ") {
				t.Fatalf("ParseOrigin(%q) = %q, not a serialised http(s) origin", s, o)
			}
			if strings.ToLower(o) != o {
				t.Fatalf("ParseOrigin(%q) = %q, not lower-case", s, o)
			}
			if strings.HasSuffix(o, ":80") && scheme == "http" || strings.HasSuffix(o, ":443") && scheme == "https" {
				t.Fatalf("ParseOrigin(%q) = %q keeps the default port", s, o)
			}
		}
		again, err := ParseOrigin(o)
		if err != nil || again != o {
			t.Fatalf("ParseOrigin(%q) = %q, but ParseOrigin(%q) = %q, %v", s, o, o, again, err)
		}
	})
}

// FuzzParseTokenList checks parseTokenList against a plain reading of Fetch's
// "extracting header list values": split on commas, strip HTTP tab or space
// (only tab and space: Chromium's TrimLWS and Gecko's tokenizer agree),
// skip empty members; every member must be an RFC 9110 token, and the first
// that is not is reported. The engine keeps at most maxListTokens members.
func FuzzParseTokenList(f *testing.F) {
	for _, s := range []string{
		"", "GET", "GET, POST,PUT", " , ,PUT,, \t", "GET POST", "PUT, xyz;", `"PUT"`, "*", "X-A, X B",
		"a,\tb", "X-Ä", ",,,,", "content-type,authorization", strings.Repeat("a,", 5000),
		// Vertical tab and form feed are not HTTP whitespace: "\vDELETE" is
		// not a token, so browsers reject the header.
		"PUT,\vDELETE", "GET\f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tokens, invalid := parseTokenList(s)

		var want []string
		wantInvalid := ""
		for _, m := range strings.Split(s, ",") {
			m = strings.Trim(m, " \t")
			if m == "" {
				continue
			}
			if !isToken(m) {
				if wantInvalid == "" {
					wantInvalid = m
				}
				continue
			}
			want = append(want, m)
		}
		if !slices.Equal(tokens, want) || invalid != wantInvalid {
			t.Fatalf("parseTokenList(%q) = %q, %q; want %q, %q", s, tokens, invalid, want, wantInvalid)
		}
		for _, tok := range tokens {
			if !isToken(tok) || !strings.Contains(s, tok) {
				t.Fatalf("member %q of %q is not a token from the input", tok, s)
			}
		}
		if invalid != "" && (isToken(invalid) || strings.Contains(invalid, ",") || strings.Trim(invalid, " \t") != invalid) {
			t.Fatalf("invalid member %q of %q is a token, holds a comma or is untrimmed", invalid, s)
		}
		// Joining the members gives the same list back.
		if again, inv := parseTokenList(strings.Join(tokens, ", ")); !slices.Equal(again, tokens) || inv != "" {
			t.Fatalf("re-parsing %q gave %q, %q", tokens, again, inv)
		}
	})
}
