package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"corsdoctor/diagnose"
)

// TestImportRoutes: the paste box and the import API are routed, behind
// the cross-site guard like every POST, and probe nothing.
func TestImportRoutes(t *testing.T) {
	p := proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) {
		t.Error("an import probed")
		return nil, context.Canceled
	})
	srv, _ := newTestServer(t, Config{}, p, newMemStore())
	line := "Access to fetch at 'https://api.test/x' from origin 'https://app.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."
	cases := []struct {
		name, path, ctype, body string
		crossSite               bool
		status                  int
		want                    string
	}{
		{"paste box", "/import", "application/x-www-form-urlencoded", url.Values{"paste": {line}}.Encode(), false, 200, `data-testid="import-summary"`},
		{"import API", "/api/v1/import", "text/plain", line, false, 200, `"source": "chromium-console"`},
		{"paste box, cross-site", "/import", "application/x-www-form-urlencoded", url.Values{"paste": {line}}.Encode(), true, 403, "Cross-site request refused"},
		{"import API, cross-site", "/api/v1/import", "text/plain", line, true, 403, `"cross_origin"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			if tc.crossSite {
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				req.Header.Set("Origin", "https://evil.example")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("status %d, want %d with %q: %.300s", resp.StatusCode, tc.status, tc.want, body)
			}
		})
	}
}
