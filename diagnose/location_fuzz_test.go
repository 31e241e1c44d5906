package diagnose

import (
	"strings"
	"testing"
)

// FuzzResolveLocation checks the resolver's invariants on any Location:
// it never panics; what it returns parses again to itself (the URL
// serializer's idempotence); an http(s) result has a host the engine's
// own host parser accepts; and the *url.URL the walker sends names the
// same host. Agreement with the browsers is TestLocationResolutionAgrees
// in differential; its corpus seeds this.
func FuzzResolveLocation(f *testing.F) {
	for _, s := range []string{"\\\\localhost:9/x", "/\\h/x", "http://%6c%6fcalhost/", "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", "http://１２７.０.０.１/",
		"\t//a\tb/c", "http:b", "https:b", "data:,x", "foo://a b/", "http://[::1]:0/", "?q#f", "../..", "http://a@b@c/", "file:c|/x", "http://local host/"} {
		f.Add(s)
	}
	base, err := parseTarget("http://127.0.0.1:8080/a/b?x=1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, loc string) {
		for _, b := range Browsers {
			href, err := ResolveLocation(loc, base.String(), b)
			if err != nil {
				continue
			}
			again, err := ResolveLocation(href, "about:blank", b)
			if err != nil || again != href {
				t.Fatalf("%s: %q resolves to %q, which parses to %q (%v)", b, loc, href, again, err)
			}
			u, _, err := resolveRedirect(loc, base, b)
			if err != nil || u.Scheme != "http" && u.Scheme != "https" {
				continue
			}
			if b == Chromium && strings.Contains(u.Host, "%20") {
				continue // Chromium's escaped space: no resolver finds it
			}
			h, err := canonicalHost(u.Hostname())
			if err != nil && !strings.ContainsAny(u.Hostname(), "{}`*\"") {
				t.Fatalf("%s: %q leads to host %q, which canonicalHost refuses: %v", b, loc, u.Hostname(), err)
			}
			if err == nil && h != u.Hostname() && "["+u.Hostname()+"]" != h {
				t.Fatalf("%s: %q leads to host %q, canonically %q", b, loc, u.Hostname(), h)
			}
		}
	})
}
