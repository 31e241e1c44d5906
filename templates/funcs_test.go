package templates

import "testing"

// The finding and reason pages label their links by where they point, so
// a link to an RFC or a draft is not called "Fetch standard".
func TestLinkNames(t *testing.T) {
	for link, want := range map[string]string{
		"https://fetch.spec.whatwg.org/#http-cors-protocol": "Fetch standard",
		"https://www.rfc-editor.org/rfc/rfc9112#section-8":  "RFC 9112",
		"https://wicg.github.io/local-network-access/":      "Local Network Access draft",
		"https://example.org/spec":                          "Specification",
	} {
		if got := specName(link); got != want {
			t.Errorf("specName(%s) = %q, want %q", link, got, want)
		}
	}
	for link, want := range map[string]string{
		"https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS/Errors/CORSMissingAllowOrigin": "MDN",
		"https://developer.chrome.com/blog/local-network-access":                               "Chrome for Developers",
		"https://example.org/doc": "Documentation",
	} {
		if got := docName(link); got != want {
			t.Errorf("docName(%s) = %q, want %q", link, got, want)
		}
	}
}
