package importer

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"corsdoctor/diagnose"
)

// FuzzParse checks that Parse never panics, answers every input with a
// result or an *Error, and never returns a header that could not be sent
// (a CR, LF or NUL in a name or value) or more than its caps allow.
func FuzzParse(f *testing.F) {
	for _, s := range []string{chromiumBash, chromiumCmd, chromiumCmdOld, firefoxPOSIX, firefoxWindows, chromiumPowerShell, chromiumFetch, firefoxFetch, devtoolsH2, devtoolsRaw, devtoolsPanel, devtoolsPreflight,
		"Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://a/. (Reason: CORS request did not succeed). Status code: (null).",
		"Access to fetch at 'https://a/' from origin 'https://b' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
		"[Error] Origin https://b is not allowed by Access-Control-Allow-Origin. Status code: 200",
		"fetch(`x`, {a: {b: {c: [1, (2)]}}})", "curl $'\\x41\\u00e9'", "Invoke-WebRequest -Uri 'x' -Headers @{ 'a'='b' }",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		res, err := Parse(in)
		if err != nil {
			var ie *Error
			if !errors.As(err, &ie) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if res.Source == "" {
			t.Fatalf("no source for %q", in)
		}
		if len(res.Request.Headers) > 2*maxHeaders {
			t.Fatalf("%d headers", len(res.Request.Headers))
		}
		check := func(what, s string) {
			if strings.ContainsAny(s, "\r\n\x00") || !utf8.ValidString(s) {
				t.Fatalf("%s %q: a CR, LF or NUL, or not UTF-8", what, s)
			}
		}
		for _, h := range res.Request.Headers {
			check("header name", h.Name)
			check("header value", h.Value)
		}
		// Prepare must judge whatever Parse gives without panicking.
		_, _ = diagnose.Prepare(res.Request)
	})
}
