package export

import (
	"bytes"
	"encoding/json"
	"strings"

	"corsdoctor/diagnose"
)

// jsString returns s as a JavaScript string literal. JSON strings are valid
// JavaScript, and encoding/json escapes U+2028 and U+2029, which JSON allows
// raw but older JavaScript engines do not.
func jsString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		// A string always encodes; invalid UTF-8 becomes U+FFFD.
		return `""`
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Fetch returns the fetch() call the page makes, as the user described it:
// only options that differ from fetch()'s defaults are written. Run from a
// page at the request's origin, it reproduces the browser's behaviour.
func Fetch(r diagnose.Request) string {
	var b strings.Builder
	b.WriteString("// Run in the console of a page at ")
	b.WriteString(r.Origin)
	b.WriteString("\nconst response = await fetch(")
	b.WriteString(jsString(r.URL))
	var opts []string
	if r.Method != "" && r.Method != "GET" {
		opts = append(opts, "method: "+jsString(r.Method))
	}
	if len(r.Headers) > 0 {
		if repeats(r.Headers) {
			// An object cannot hold one name twice; a list of pairs can.
			var lines []string
			for _, h := range r.Headers {
				lines = append(lines, "    ["+jsString(h.Name)+", "+jsString(h.Value)+"],")
			}
			opts = append(opts, "headers: [\n"+strings.Join(lines, "\n")+"\n  ]")
		} else {
			var lines []string
			for _, h := range r.Headers {
				lines = append(lines, "    "+jsString(h.Name)+": "+jsString(h.Value)+",")
			}
			opts = append(opts, "headers: {\n"+strings.Join(lines, "\n")+"\n  }")
		}
	}
	if r.Body != "" {
		opts = append(opts, "body: "+jsString(r.Body))
	}
	if r.Credentials != "" && r.Credentials != diagnose.CredentialsSameOrigin {
		opts = append(opts, "credentials: "+jsString(string(r.Credentials)))
	}
	if r.Mode != "" && r.Mode != diagnose.ModeCORS {
		opts = append(opts, "mode: "+jsString(string(r.Mode)))
	}
	if len(opts) > 0 {
		b.WriteString(", {\n")
		for _, o := range opts {
			b.WriteString("  ")
			b.WriteString(o)
			b.WriteString(",\n")
		}
		b.WriteString("}")
	}
	b.WriteString(");\n")
	b.WriteString("console.log(response.status, [...response.headers]);")
	return b.String()
}

func repeats(hs []diagnose.Header) bool {
	seen := map[string]bool{}
	for _, h := range hs {
		k := strings.ToLower(h.Name)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}
