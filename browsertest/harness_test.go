package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// target is the cross-origin server the pages fetch from. Each browser gets
// its own path prefix, so both can run at once and the request log still
// tells them apart.
type target struct {
	mu   sync.Mutex
	seen map[string][]string // path -> methods, in arrival order
}

func (tg *target) methods(path string) []string {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return slices.Clone(tg.seen[path])
}

func (tg *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tg.mu.Lock()
	tg.seen[r.URL.Path] = append(tg.seen[r.URL.Path], r.Method)
	tg.mu.Unlock()

	h := w.Header()
	_, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch name {
	case "allowed":
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("X-Secret", "s3cret") // not in Access-Control-Expose-Headers
	case "blocked":
		// No CORS headers at all.
	case "preflight-fails":
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent) // no Access-Control-* headers
			return
		}
		h.Set("Access-Control-Allow-Origin", "*")
	case "auth-wildcard":
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Headers", "*")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	case "cached":
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Headers", "X-A")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, "hello")
}

// want is what one browser must show for a case. Console entries are
// substrings that must all occur in a single console line.
type want struct {
	resolved bool
	status   int
	typ      string
	headers  [][2]string
	body     string
	err      string
	console  [][]string
}

func TestHarness(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>corsdoctor browsertest</title>")
	}))
	t.Cleanup(page.Close) // not defer: the parallel subtests outlive this function body
	tg := &target{seen: map[string][]string{}}
	srv := httptest.NewServer(tg)
	t.Cleanup(srv.Close)

	readable := [][2]string{{"content-length", "5"}, {"content-type", "text/plain; charset=utf-8"}}
	blockedError := map[string]string{
		Chromium: "TypeError: Failed to fetch",
		Firefox:  "TypeError: NetworkError when attempting to fetch resource.",
	}
	cases := []struct {
		name     string
		method   string
		headers  [][2]string
		body     *string
		wantSeen []string // methods the target must have received, in order
		want     map[string]want
	}{
		{
			name:     "allowed",
			wantSeen: []string{"GET"},
			want: map[string]want{
				Chromium: {resolved: true, status: 200, typ: "cors", headers: readable, body: "hello"},
				Firefox:  {resolved: true, status: 200, typ: "cors", headers: readable, body: "hello"},
			},
		},
		{
			name:     "blocked",
			wantSeen: []string{"GET"}, // a simple request is sent; only the read is blocked
			want: map[string]want{
				Chromium: {err: blockedError[Chromium], headers: [][2]string{}, console: [][]string{
					{"Access to fetch at '{url}' from origin '{origin}'", "has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource"},
					{"Failed to load resource: net::ERR_FAILED"},
				}},
				Firefox: {err: blockedError[Firefox], headers: [][2]string{}, console: [][]string{
					{"Cross-Origin Request Blocked", "{url}", "(Reason: CORS header ‘Access-Control-Allow-Origin’ missing)"},
				}},
			},
		},
		{
			name:     "preflight-fails",
			method:   "PUT",
			body:     new("x"),
			wantSeen: []string{"OPTIONS"}, // the PUT must never reach the server
			want: map[string]want{
				Chromium: {err: blockedError[Chromium], headers: [][2]string{}, console: [][]string{
					{"Access to fetch at '{url}'", "Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header"},
				}},
				Firefox: {err: blockedError[Firefox], headers: [][2]string{}, console: [][]string{
					{"Cross-Origin Request Blocked", "{url}", "(Reason: CORS header ‘Access-Control-Allow-Origin’ missing)"},
				}},
			},
		},
		{
			// Allowed by both today, with a warning that only the harness's
			// extra channels see: Firefox's is a console warning that BiDi
			// drops, Chromium's a DevTools issue.
			name:     "auth-wildcard",
			headers:  [][2]string{{"Authorization", "Bearer t"}},
			wantSeen: []string{"OPTIONS", "GET"},
			want: map[string]want{
				Chromium: {resolved: true, status: 200, typ: "cors", headers: readable, body: "hello", console: [][]string{
					{"DeprecationIssue", "AuthorizationCoveredByWildcard"},
				}},
				Firefox: {resolved: true, status: 200, typ: "cors", headers: readable, body: "hello", console: [][]string{
					{"Cross-Origin Request Warning", "{url}", "the `Authorization` header is not covered"},
				}},
			},
		},
	}

	for _, browser := range []string{Chromium, Firefox} {
		t.Run(browser, func(t *testing.T) {
			t.Parallel()
			Require(t, browser)
			url := func(name string) string { return srv.URL + "/" + browser + "/" + name }
			var jobs []Job
			for _, tc := range cases {
				jobs = append(jobs, Job{ID: tc.name, PageURL: page.URL + "/", Fetch: Fetch{
					URL: url(tc.name), Method: tc.method, Headers: tc.headers, Body: tc.body,
				}})
			}
			// Two identical preflighted fetches: with a fresh context per job,
			// the second must not reuse the first one's cached preflight.
			for _, id := range []string{"cached-1", "cached-2"} {
				jobs = append(jobs, Job{ID: id, PageURL: page.URL + "/", Fetch: Fetch{
					URL: url("cached"), Headers: [][2]string{{"X-A", "1"}},
				}})
			}

			// No job here should time out, so the limits are ones only a
			// hang reaches: the harness derives its DevTools/BiDi protocol
			// timeout from JobTimeout, and Firefox took 29 s just to
			// launch with two CPU hogs running (scripts/stress).
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			rep, err := Runner{JobTimeout: time.Minute}.Run(ctx, browser, jobs)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, console capture %s: %d jobs in %d ms (launch %d ms)",
				rep.Version, rep.ConsoleCapture, len(jobs), rep.TotalMS, rep.LaunchMS)
			if browser == Firefox && rep.ConsoleCapture != "chrome-console-listener" {
				t.Errorf("ConsoleCapture = %q, want chrome-console-listener (warnings would be lost)", rep.ConsoleCapture)
			}

			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					got, w := rep.Results[i], tc.want[browser]
					for _, c := range got.Console {
						t.Logf("console %s/%s/%s: %s", c.Source, c.Level, c.Category, c.Text)
					}
					if got.HarnessError != "" {
						t.Fatalf("HarnessError = %q", got.HarnessError)
					}
					if got.TimedOut {
						t.Errorf("TimedOut = true")
					}
					if got.Resolved != w.resolved || got.Status != w.status || got.Type != w.typ {
						t.Errorf("resolved, status, type = %v, %d, %q; want %v, %d, %q",
							got.Resolved, got.Status, got.Type, w.resolved, w.status, w.typ)
					}
					wantURL := ""
					if w.resolved {
						wantURL = url(tc.name)
					}
					if got.URL != wantURL {
						t.Errorf("URL = %q, want %q", got.URL, wantURL)
					}
					if got.Redirected {
						t.Errorf("Redirected = true")
					}
					if !slices.Equal(got.Headers, w.headers) {
						t.Errorf("Headers = %q, want %q", got.Headers, w.headers)
					}
					if got.Body != w.body || got.BodyTruncated {
						t.Errorf("Body = %q (truncated %v), want %q", got.Body, got.BodyTruncated, w.body)
					}
					if got.Error != w.err {
						t.Errorf("Error = %q, want %q", got.Error, w.err)
					}
					for _, parts := range w.console {
						if !hasLine(got.Console, expand(parts, url(tc.name), page.URL)) {
							t.Errorf("no console line containing all of %q", expand(parts, url(tc.name), page.URL))
						}
					}
					if seen := tg.methods("/" + browser + "/" + tc.name); !slices.Equal(seen, tc.wantSeen) {
						t.Errorf("target saw %q, want %q", seen, tc.wantSeen)
					}
				})
			}

			t.Run("fresh-context-per-job", func(t *testing.T) {
				for _, r := range rep.Results[len(cases):] {
					if !r.Resolved || r.Status != 200 || r.HarnessError != "" {
						t.Errorf("%s: resolved %v, status %d, harness error %q", r.ID, r.Resolved, r.Status, r.HarnessError)
					}
				}
				want := []string{"OPTIONS", "GET", "OPTIONS", "GET"}
				if seen := tg.methods("/" + browser + "/cached"); !slices.Equal(seen, want) {
					t.Errorf("target saw %q, want %q (a preflight cache leaked between jobs)", seen, want)
				}
			})
		})
	}
}

func expand(parts []string, url, origin string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = strings.NewReplacer("{url}", url, "{origin}", origin).Replace(p)
	}
	return out
}

func hasLine(lines []ConsoleMessage, parts []string) bool {
	for _, l := range lines {
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(l.Text, p) }) {
			return true
		}
	}
	return false
}

func TestRunRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		browser string
		jobs    []Job
		want    string
	}{
		{"unknown browser", "safari", nil, `browser "safari"`},
		{"empty ID", Chromium, []Job{{PageURL: "http://127.0.0.1/"}}, `job 0: ID ""`},
		{"repeated ID", Firefox, []Job{{ID: "a", Fetch: Fetch{URL: "http://127.0.0.1/"}}, {ID: "a", Fetch: Fetch{URL: "http://127.0.0.1/"}}}, `job 1: ID "a"`},
		{"neither fetch nor parse", Chromium, []Job{{ID: "a", PageURL: "http://127.0.0.1/"}}, `job "a": set either`},
		{"both fetch and parse", Firefox, []Job{{ID: "a", PageURL: "http://127.0.0.1/", Fetch: Fetch{URL: "http://127.0.0.1/"}, ParseURLs: []string{"http://a/"}}}, `job "a": set either`},
		{"parse with fetch options", Chromium, []Job{{ID: "a", PageURL: "http://127.0.0.1/", Fetch: Fetch{Method: "PUT"}, ParseURLs: []string{"http://a/"}}}, `job "a": set either`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.browser, tc.jobs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
