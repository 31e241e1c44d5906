package static

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestPathIsContentHashed(t *testing.T) {
	for _, name := range []string{"css/app.css", "js/app.js", "img/icon.svg"} {
		p := Path(name)
		if !regexp.MustCompile(`^/static/` + regexp.QuoteMeta(name) + `\?v=[0-9a-f]{12}$`).MatchString(p) {
			t.Errorf("Path(%q) = %q", name, p)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Path of a missing file did not panic")
		}
	}()
	Path("css/missing.css")
}

func TestHandlerCaching(t *testing.T) {
	h := Handler()
	current := Path("css/app.css")
	tests := []struct {
		name, target, method string
		wantStatus           int
		wantCache, wantType  string
	}{
		{name: "current version", target: current, method: "GET", wantStatus: 200, wantCache: "public, max-age=31536000, immutable", wantType: "text/css; charset=utf-8"},
		{name: "stale version", target: "/static/css/app.css?v=000000000000", method: "GET", wantStatus: 200, wantCache: "no-cache", wantType: "text/css; charset=utf-8"},
		{name: "no version", target: "/static/js/app.js", method: "GET", wantStatus: 200, wantCache: "no-cache", wantType: "text/javascript; charset=utf-8"},
		{name: "head", target: current, method: "HEAD", wantStatus: 200, wantCache: "public, max-age=31536000, immutable", wantType: "text/css; charset=utf-8"},
		{name: "missing", target: "/static/css/nope.css", method: "GET", wantStatus: 404},
		{name: "directory", target: "/static/css", method: "GET", wantStatus: 404},
		{name: "post", target: current, method: "POST", wantStatus: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				return
			}
			if got := rec.Header().Get("Cache-Control"); got != tc.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tc.wantCache)
			}
			if got := rec.Header().Get("Content-Type"); got != tc.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tc.wantType)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no nosniff")
			}
			if tc.method == "GET" && rec.Body.Len() == 0 {
				t.Error("empty body")
			}
			if tc.method == "HEAD" && rec.Body.Len() != 0 {
				t.Error("HEAD has a body")
			}
		})
	}
	// Revalidation with the ETag.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", current, nil))
	req := httptest.NewRequest("GET", "/static/css/app.css", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec2 := httptest.NewRecorder()
	h.ServeHTTP(rec2, req)
	if rec2.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status = %d, want 304", rec2.Code)
	}
}

// TestNoInlineCode guards the CSP: the embedded JavaScript never builds
// HTML from strings, and the CSS pulls in nothing external.
func TestNoInlineCode(t *testing.T) {
	js, _ := files.ReadFile("js/app.js")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(string(js), bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
	css, _ := files.ReadFile("css/app.css")
	for _, bad := range []string{"@import", "url(http", "url(//"} {
		if strings.Contains(string(css), bad) {
			t.Errorf("app.css uses %s", bad)
		}
	}
}
