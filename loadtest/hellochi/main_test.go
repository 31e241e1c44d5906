package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The render benchmark relies on these answers: hello world is the
// baseline, and the target's preflight must refuse a credentialed PUT
// with Authorization (three failed checks) while a plain GET passes.
func TestRoutes(t *testing.T) {
	srv := httptest.NewServer(routes())
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		header       map[string]string
		wantStatus   int
		wantBody     string
		wantHeader   map[string]string
	}{
		{method: "GET", path: "/", wantStatus: 200, wantBody: "hello world"},
		{
			method: "OPTIONS", path: "/api/items",
			header:     map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization"},
			wantStatus: 204,
			wantHeader: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "*", "Access-Control-Allow-Credentials": ""},
		},
		{
			method: "GET", path: "/api/items",
			header:     map[string]string{"Origin": "https://app.example.com"},
			wantStatus: 200, wantBody: `{"items":[1,2,3]}`,
			wantHeader: map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Content-Type": "application/json"},
		},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, body, tc.wantStatus, tc.wantBody)
		}
		for k, v := range tc.wantHeader {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, k, got, v)
			}
		}
	}
}
