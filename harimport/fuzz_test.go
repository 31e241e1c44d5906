package harimport

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzEach feeds arbitrary bytes to Each: it never panics, it fails only
// with a FormatError (the reader never fails here), and whatever it hands
// out holds no value of a secret header that was in the input.
func FuzzEach(f *testing.F) {
	for _, name := range []string{"chromium.har", "firefox.har", "safari.har"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(har(entry("GET", "https://a.test/x", []string{"Origin: https://b.test", "Cookie: s=zzsecretzz"}, 302, []string{"Location: //c.test/y"}))))
	f.Add([]byte(`{"log":{"entries":[{"request":{"method":"OPTIONS","url":"https://a.test/","headers":[{"name":"Access-Control-Request-Method","value":"PUT"},{"name":"Origin","value":"null"}]},"response":{"status":0}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Each(strings.NewReader(string(data)), Limits{MaxEntries: 200, MaxBody: 64}, func(r Result) error {
			if r.Report == nil && r.Skip == "" {
				t.Errorf("a result with neither report nor skip reason: %+v", r.Item)
			}
			for _, ex := range r.Exchanges {
				for _, h := range ex.Request.Headers {
					if secretNames[strings.ToLower(h.Name)] && h.Value != "[redacted]" {
						t.Errorf("secret header %s kept its value", h.Name)
					}
				}
				if ex.Response == nil {
					continue
				}
				for _, h := range ex.Response.Headers {
					if secretNames[strings.ToLower(h.Name)] && h.Value != "[redacted]" {
						t.Errorf("secret response header %s kept its value", h.Name)
					}
				}
			}
			return nil
		})
		var fe *FormatError
		if err != nil && !errors.As(err, &fe) {
			t.Errorf("Each = %v, want nil or a FormatError", err)
		}
	})
}
