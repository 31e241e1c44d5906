package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
	"corsdoctor/handlers"
	"corsdoctor/static"
	"corsdoctor/store"
)

// memStore is a func-free in-memory Store for routing tests.
type memStore struct {
	mu      sync.Mutex
	rows    map[string]store.Diagnosis
	pingErr error
}

func newMemStore() *memStore { return &memStore{rows: map[string]store.Diagnosis{}} }

func (m *memStore) Create(_ context.Context, d *store.Diagnosis, extra []string) error {
	d.Redacted = diagnose.Redact(&d.Report, extra)
	d.CreatedAt = time.Now().UTC()
	d.ID = store.NewID()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[d.ID] = *d
	return nil
}

func (m *memStore) Get(_ context.Context, id string) (*store.Diagnosis, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.rows[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &d, nil
}

func (m *memStore) Ping(context.Context) error { return m.pingErr }

type proberFunc func(ctx context.Context, r diagnose.Request) (*diagnose.Report, error)

func (f proberFunc) Probe(ctx context.Context, r diagnose.Request) (*diagnose.Report, error) {
	return f(ctx, r)
}

// hostileReport is what a target trying to attack the dashboard produces.
func hostileReport(t testing.TB) *diagnose.Report {
	t.Helper()
	u := "http://api.test/x"
	rep, err := diagnose.Evaluate(diagnose.Request{URL: u, Origin: "https://app.test", Method: "PUT"}, []diagnose.Exchange{{
		Step:    diagnose.Step{Kind: diagnose.StepPreflight, URL: u},
		Request: diagnose.SentRequest{Method: "OPTIONS", URL: u, Proto: "HTTP/1.1"},
		Response: &diagnose.Response{Proto: "HTTP/1.1", Status: 200, StatusText: "<b>OK</b>", Headers: []diagnose.Header{
			{Name: "Access-Control-Allow-Origin", Value: `"><script>alert(1)</script>`},
			{Name: "Access-Control-Allow-Methods", Value: "PUT, <img src=x onerror=alert(2)>"},
		}},
		Started: time.Now(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func newTestServer(t testing.TB, cfg Config, p handlers.Prober, st Store) (*httptest.Server, *syncBuffer) {
	t.Helper()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(NewServer(logger, cfg, p, st))
	t.Cleanup(srv.Close)
	return srv, &logs
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func TestSecurityHeadersEverywhere(t *testing.T) {
	st := newMemStore()
	d := store.Diagnosis{Report: *hostileReport(t)}
	_ = st.Create(context.Background(), &d, nil)
	srv, _ := newTestServer(t, Config{}, proberFunc(nil), st)
	for _, path := range []string{"/", "/d/" + d.ID, "/d/" + d.ID + "/har", "/d/nope", "/reasons", "/reasons/CORSMissingAllowOrigin", "/static/css/app.css", "/healthz", "/api/v1/diagnoses/nope", "/no/such/page"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe code: %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Resource-Policy": "same-origin"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), v)
			}
		}
	}
}

// TestPagesNeedNoInlineCode renders every page and checks that nothing
// the CSP would block is in it: inline scripts, style elements or
// attributes, event-handler attributes, javascript: URLs, external assets.
func TestPagesNeedNoInlineCode(t *testing.T) {
	st := newMemStore()
	d := store.Diagnosis{Report: *hostileReport(t)}
	_ = st.Create(context.Background(), &d, nil)
	srv, _ := newTestServer(t, Config{}, proberFunc(nil), st)
	pages := []string{"/", "/?preset=json-bearer", "/?from=" + d.ID, "/d/" + d.ID, "/d/nope", "/reasons", "/reasons/CORSMissingAllowOrigin", "/nope"}
	for _, path := range pages {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		page, err := goquery.NewDocumentFromReader(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		page.Find("script").Each(func(_ int, s *goquery.Selection) {
			src, ok := s.Attr("src")
			if !ok || !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "" {
				t.Errorf("%s: inline or foreign script %q", path, src)
			}
		})
		if page.Find("style").Length() > 0 {
			t.Errorf("%s: <style> element", path)
		}
		page.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: <%s %s=%q>", path, goquery.NodeName(s), a.Key, a.Val)
				}
				if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
					t.Errorf("%s: javascript: URL", path)
				}
			}
		})
		page.Find("link[href], script[src], img[src]").Each(func(_ int, s *goquery.Selection) {
			u, ok := s.Attr("href")
			if !ok {
				u, _ = s.Attr("src")
			}
			if !strings.HasPrefix(u, "/static/") {
				t.Errorf("%s: asset from %q", path, u)
			}
		})
		if page.Find("main").Length() != 1 || page.Find("h1").Length() == 0 {
			t.Errorf("%s: no main landmark or h1", path)
		}
	}
}

func TestCrossSitePostsRefused(t *testing.T) {
	called := 0
	p := proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) {
		called++
		return hostileReport(t), nil
	})
	srv, _ := newTestServer(t, Config{}, p, newMemStore())
	form := url.Values{"url": {"http://api.test/x"}, "origin": {"https://app.test"}, "method": {"PUT"}}.Encode()
	api := `{"url":"http://api.test/x","origin":"https://app.test","method":"PUT"}`
	tests := []struct {
		name       string
		path, body string
		ctype      string
		headers    map[string]string
		wantStatus int
	}{
		{name: "form, cross-site fetch metadata", path: "/diagnose", body: form, ctype: "application/x-www-form-urlencoded", headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, wantStatus: 403},
		{name: "form, same-site is not same-origin", path: "/diagnose", body: form, ctype: "application/x-www-form-urlencoded", headers: map[string]string{"Sec-Fetch-Site": "same-site"}, wantStatus: 403},
		{name: "form, foreign Origin only", path: "/diagnose", body: form, ctype: "application/x-www-form-urlencoded", headers: map[string]string{"Origin": "https://evil.example"}, wantStatus: 403},
		{name: "form, null Origin", path: "/diagnose", body: form, ctype: "application/x-www-form-urlencoded", headers: map[string]string{"Origin": "null"}, wantStatus: 403},
		{name: "api, cross-site browser", path: "/api/v1/diagnoses", body: api, ctype: "application/json", headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, wantStatus: 403},
		{name: "form, same-origin", path: "/diagnose", body: form, ctype: "application/x-www-form-urlencoded", headers: map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "SELF"}, wantStatus: 303},
		{name: "form, typed in the address bar", path: "/diagnose", body: form, ctype: "application/x-www-form-urlencoded", headers: map[string]string{"Sec-Fetch-Site": "none"}, wantStatus: 303},
		{name: "form, matching Origin without fetch metadata", path: "/diagnose", body: form, ctype: "application/x-www-form-urlencoded", headers: map[string]string{"Origin": "SELF"}, wantStatus: 303},
		{name: "api, curl", path: "/api/v1/diagnoses", body: api, ctype: "application/json", wantStatus: 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := called
			req, _ := http.NewRequest("POST", srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			for k, v := range tc.headers {
				req.Header.Set(k, strings.ReplaceAll(v, "SELF", srv.URL))
			}
			resp, err := (&http.Client{CheckRedirect: noRedirect}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			if probed := called > before; probed != (tc.wantStatus < 400) {
				t.Errorf("probed = %v", probed)
			}
			if tc.wantStatus == 403 {
				if strings.HasPrefix(tc.path, "/api/") {
					var e struct{ Error struct{ Code string } }
					if json.Unmarshal(body, &e) != nil || e.Error.Code != "cross_origin" {
						t.Errorf("body = %s", body)
					}
				} else if !strings.Contains(string(body), "Cross-site request refused") {
					t.Errorf("no friendly 403 page: %s", body)
				}
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	srv, _ := newTestServer(t, Config{MaxBodyBytes: 1024}, proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) {
		t.Error("probed an oversized request")
		return nil, nil
	}), newMemStore())
	big := url.Values{"url": {"http://api.test/"}, "origin": {"https://app.test"}, "body": {strings.Repeat("x", 4096)}}.Encode()
	for _, tc := range []struct {
		name    string
		path    string
		ctype   string
		body    io.Reader
		chunked bool
	}{
		{name: "form with Content-Length", path: "/diagnose", ctype: "application/x-www-form-urlencoded", body: strings.NewReader(big)},
		{name: "form chunked", path: "/diagnose", ctype: "application/x-www-form-urlencoded", body: io.MultiReader(strings.NewReader(big)), chunked: true},
		{name: "api chunked", path: "/api/v1/diagnoses", ctype: "application/json", body: io.MultiReader(strings.NewReader(`{"url":"http://a.test/","origin":"https://b.test","body":"` + strings.Repeat("x", 4096) + `"}`)), chunked: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+tc.path, tc.body)
			req.Header.Set("Content-Type", tc.ctype)
			if tc.chunked {
				req.ContentLength = -1
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status = %d, want 413", resp.StatusCode)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	p := proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) { return hostileReport(t), nil })
	srv, _ := newTestServer(t, Config{RatePerMinute: 2}, p, newMemStore())
	post := func() *http.Response {
		resp, err := (&http.Client{CheckRedirect: noRedirect}).PostForm(srv.URL+"/diagnose", url.Values{"url": {"http://api.test/x"}, "origin": {"https://app.test"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := 0; i < 2; i++ {
		if r := post(); r.StatusCode != 303 {
			t.Fatalf("request %d: status %d", i+1, r.StatusCode)
		}
	}
	// The refusal is the friendly page a browser user sees, and says when
	// to come back.
	resp, err := (&http.Client{CheckRedirect: noRedirect}).PostForm(srv.URL+"/diagnose", url.Values{"url": {"http://api.test/x"}, "origin": {"https://app.test"}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ra := resp.Header.Get("Retry-After"); resp.StatusCode != http.StatusTooManyRequests || (ra != "30" && ra != "31") {
		t.Errorf("third request: status %d, Retry-After %q, want 429 and about 30 (one token at 2/minute)", resp.StatusCode, ra)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if st, _ := page.Find(`[data-testid="error-page"]`).Attr("data-status"); st != "429" {
		t.Errorf("data-status = %q", st)
	}
	if got := strings.TrimSpace(page.Find(`[data-testid="error-title"]`).Text()); got != "Too many diagnoses" {
		t.Errorf("title = %q", got)
	}
	if got := page.Find(`[data-testid="error-message"]`).Text(); !strings.Contains(got, "Wait a minute and try again") {
		t.Errorf("message = %q", got)
	}
	if href, _ := page.Find(`[data-testid="error-page"] a.btn`).Attr("href"); href != "/" {
		t.Errorf("no way back to the form: %q", href)
	}
	// The API shares the bucket and answers in JSON.
	resp, err = http.Post(srv.URL+"/api/v1/diagnoses", "application/json", strings.NewReader(`{"url":"http://api.test/x","origin":"https://app.test"}`))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct {
			Status int
			Code   string
		}
	}
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != 429 || e.Error.Status != 429 || e.Error.Code != "rate_limited" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("API: %d %+v Retry-After %q", resp.StatusCode, e, resp.Header.Get("Retry-After"))
	}
	// Reading is never limited.
	if resp, err := http.Get(srv.URL + "/"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET / after the limit: %v %v", resp.StatusCode, err)
	}
}

func TestRateLimiterRefills(t *testing.T) {
	now := time.Unix(0, 0)
	l := newRateLimiter(6, nil)
	l.now = func() time.Time { return now }
	for i := 0; i < 6; i++ {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	if ok, wait := l.allow("a"); ok || wait != 10*time.Second {
		t.Errorf("7th: ok %v wait %v, want refused for 10s", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Error("another client was limited")
	}
	now = now.Add(10 * time.Second)
	if ok, _ := l.allow("a"); !ok {
		t.Error("no refill after 10s")
	}
	now = now.Add(time.Hour)
	l.allow("c")
	if _, ok := l.buckets["b"]; ok {
		t.Error("idle bucket not swept")
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	srv, _ := newTestServer(t, Config{}, proberFunc(nil), newMemStore())
	for _, tc := range []struct {
		method, path string
		wantStatus   int
		wantJSON     bool
	}{
		{"GET", "/nope", 404, false},
		{"GET", "/api/v1/nope", 404, true},
		{"DELETE", "/d/abc", 405, false},
		{"HEAD", "/", 200, false},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.StatusCode, tc.wantStatus)
		}
		if isJSON := strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"); tc.method != "HEAD" && isJSON != tc.wantJSON {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, resp.Header.Get("Content-Type"))
		}
	}
}

func TestPanicsBecome500(t *testing.T) {
	p := proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) { panic("prober exploded") })
	srv, logs := newTestServer(t, Config{}, p, newMemStore())
	resp, err := http.PostForm(srv.URL+"/diagnose", url.Values{"url": {"http://api.test/x"}, "origin": {"https://app.test"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(body), "Internal error") || strings.Contains(string(body), "exploded") {
		t.Errorf("status %d: %s", resp.StatusCode, body)
	}
	if !strings.Contains(logs.String(), "prober exploded") {
		t.Error("panic not logged")
	}
	// The request line is written after the response is sent.
	logs.waitFor(t, "msg=request method=POST path=/diagnose status=500", 1)
}

func TestHealthz(t *testing.T) {
	st := newMemStore()
	srv, _ := newTestServer(t, Config{}, proberFunc(nil), st)
	resp, _ := http.Get(srv.URL + "/healthz")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthy: %d", resp.StatusCode)
	}
	st.pingErr = io.ErrUnexpectedEOF
	resp, _ = http.Get(srv.URL + "/healthz")
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("unhealthy: %d", resp.StatusCode)
	}
}

// syncBuffer is a bytes.Buffer the server's goroutines may write while the
// test reads it: request lines are logged after the response is sent.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{} // closed and replaced by every Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrote != nil {
		close(s.wrote)
		s.wrote = nil
	}
	return s.b.Write(p)
}

// waitFor waits until the log holds substr n times and returns the log.
// A client can hold its answer before the server logs the request, so a
// test reads request lines through waitFor: it wakes on each write, and
// its timeout only turns a missing line into a failure instead of a hang.
func (s *syncBuffer) waitFor(t testing.TB, substr string, n int) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		s.mu.Lock()
		text := s.b.String()
		if s.wrote == nil {
			s.wrote = make(chan struct{})
		}
		wrote := s.wrote
		s.mu.Unlock()
		if strings.Count(text, substr) >= n {
			return text
		}
		select {
		case <-wrote:
		case <-timeout:
			t.Fatalf("the log holds %q %d times, want %d:\n%s", substr, strings.Count(text, substr), n, text)
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRequestLogLevels pins which requests the Info log shows: what
// starts a diagnosis or fails, not the successful reads that make up most
// of the traffic (those are Debug).
func TestRequestLogLevels(t *testing.T) {
	st := newMemStore()
	d := store.Diagnosis{Report: *hostileReport(t)}
	_ = st.Create(context.Background(), &d, nil)
	p := proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) { return hostileReport(t), nil })
	for _, tc := range []struct {
		method, path, body string
		crossSite          bool
		wantStatus         int
		wantInfo           bool
	}{
		{method: "GET", path: "/d/" + d.ID, wantStatus: 200},
		{method: "HEAD", path: "/d/" + d.ID, wantStatus: 200},
		{method: "GET", path: "/", wantStatus: 200},
		{method: "GET", path: "/api/v1/diagnoses/" + d.ID, wantStatus: 200},
		{method: "GET", path: "/healthz", wantStatus: 200},
		{method: "GET", path: static.Path("css/app.css"), wantStatus: 200},
		{method: "GET", path: "/d/nope", wantStatus: 404, wantInfo: true},
		{method: "GET", path: "/no/such/page", wantStatus: 404, wantInfo: true},
		{method: "POST", path: "/api/v1/diagnoses", body: `{"url":"https://api.example.com/","origin":"https://app.example.com"}`, wantStatus: 201, wantInfo: true},
		{method: "POST", path: "/diagnose", body: "url=https://api.example.com/&origin=https://app.example.com", crossSite: true, wantStatus: 403, wantInfo: true},
	} {
		var logs bytes.Buffer
		h := NewServer(slog.New(slog.NewTextHandler(&logs, nil)), Config{}, p, st)
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
			if !strings.HasPrefix(tc.body, "{") {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		}
		if tc.crossSite {
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.wantStatus {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, rec.Code, tc.wantStatus)
		}
		line := fmt.Sprintf("level=INFO msg=request method=%s path=%s status=%d", tc.method, redactIDs(tc.path), tc.wantStatus)
		if got := strings.Contains(logs.String(), line); got != tc.wantInfo {
			t.Errorf("%s %s: logged at Info %v, want %v; log:\n%s", tc.method, tc.path, got, tc.wantInfo, logs.String())
		}
		if strings.Contains(logs.String(), d.ID) {
			t.Errorf("%s %s: the log names the diagnosis id: %s", tc.method, tc.path, logs.String())
		}
	}
}

func TestRedactIDs(t *testing.T) {
	for in, want := range map[string]string{
		"/d/q3k6c2vbx7dfy5tzs4wq2m6h4e":                "/d/{id}",
		"/d/q3k6c2vbx7dfy5tzs4wq2m6h4e/har":            "/d/{id}/har",
		"/api/v1/diagnoses/q3k6c2vbx7dfy5tzs4wq2m6h4e": "/api/v1/diagnoses/{id}",
		"/api/v1/diagnoses":                            "/api/v1/diagnoses",
		"/reasons/CORSMissingAllowOrigin":              "/reasons/CORSMissingAllowOrigin",
		"/":                                            "/",
	} {
		if got := redactIDs(in); got != want {
			t.Errorf("redactIDs(%q) = %q, want %q", in, got, want)
		}
	}
}
