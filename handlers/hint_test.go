package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"corsdoctor/diagnose"
)

// TestSchemeHints: a host typed without a scheme gets http:// suggested
// for localhost and IP literals (dev servers), https:// otherwise.
func TestSchemeHints(t *testing.T) {
	cases := []struct{ url, origin, wantURL, wantOrigin string }{
		{"localhost:3000/api", "localhost:5173", "http://localhost:3000/api", "http://localhost:5173"},
		{"127.0.0.1:8080/x", "192.168.1.20:3000", "http://127.0.0.1:8080/x", "http://192.168.1.20:3000"},
		{"[::1]:8080/x", "app.localhost:3000", "http://[::1]:8080/x", "http://app.localhost:3000"},
		{"api.example.com/items", "app.example.com", "https://api.example.com/items", "https://app.example.com"},
	}
	p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) {
		t.Fatal("probed bad input")
		return nil, nil
	}}
	for _, tc := range cases {
		rec := postForm(CreateDiagnosis(discard(), p, newMemStore(), DefaultSettings), url.Values{"url": {tc.url}, "origin": {tc.origin}})
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("%s: status %d", tc.url, rec.Code)
		}
		d := doc(t, rec)
		if got := text(testid(d, "error-url")); !strings.Contains(got, "e.g. "+tc.wantURL) {
			t.Errorf("url hint %q, want e.g. %s", got, tc.wantURL)
		}
		if got := text(testid(d, "error-origin")); !strings.Contains(got, "e.g. "+tc.wantOrigin) {
			t.Errorf("origin hint %q, want e.g. %s", got, tc.wantOrigin)
		}
	}
}
