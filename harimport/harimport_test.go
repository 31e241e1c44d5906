package harimport

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"corsdoctor/diagnose"
)

// row is what a test expects of one result.
type row struct {
	entries    []int
	method     string
	url        string
	origin     string
	originFrom string
	skip       string // a substring of the reason; "" for a judged fetch
	firefox    diagnose.Outcome
	chromium   diagnose.Outcome
	reason     string // the first error's reason, "" when allowed
	headers    []diagnose.Header
	creds      diagnose.Credentials
	steps      []string // the exchanges' steps
}

func judgeFile(t *testing.T, path string) (Summary, []Result) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Result
	sum, err := Each(f, DefaultLimits, func(r Result) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Each(%s): %v", path, err)
	}
	return sum, out
}

func firstError(rep *diagnose.Report) string {
	for _, f := range rep.Findings {
		if f.Severity == diagnose.SeverityError {
			return f.Reason
		}
	}
	return ""
}

func stepsOf(exs []diagnose.Exchange) []string {
	var out []string
	for _, ex := range exs {
		out = append(out, ex.Step.String()+" "+ex.Request.Method)
	}
	return out
}

// TestBrowsers judges one HAR of each browser's shape: Chromium's
// (preflight entries with _resourceType, HTTP/2 pseudo-headers, a failed
// actual request, a redirect into a "null" Origin), Firefox's (lower-case
// HTTP/2 names, _securityState, devtools' cache-busting headers) and
// Safari's (_fetchType, no bodies, no preflights, a memory-cache hit).
func TestBrowsers(t *testing.T) {
	tests := []struct {
		file    string
		summary Summary
		rows    []row
	}{
		{"chromium.har", Summary{Browser: "chromium", Creator: "WebInspector 537.36", Entries: 8, NotCORS: 2, Judged: 3, Blocked: 2, Skipped: 1}, []row{
			{entries: []int{1, 2}, method: "PUT", url: "https://api.example.com/items", origin: "https://app.example.com",
				firefox: diagnose.Blocked, chromium: diagnose.Blocked, reason: "CORSMissingAllowHeaderFromPreflight",
				headers: []diagnose.Header{{Name: "authorization", Value: diagnose.Redacted}, {Name: "content-type", Value: "application/json"}, {Name: "x-api-key", Value: "k-123"}},
				steps:   []string{"preflight OPTIONS", "actual PUT"}},
			{entries: []int{3}, method: "GET", url: "https://api.example.com/me", origin: "https://app.example.com",
				firefox: diagnose.Blocked, chromium: diagnose.Blocked, reason: "CORSNotSupportingCredentials", creds: diagnose.CredentialsInclude,
				steps: []string{"actual GET"}},
			{entries: []int{4}, method: "GET", url: "https://app.example.com/api/local", origin: "https://app.example.com", originFrom: "the page URL",
				skip: "same-origin"},
			{entries: []int{5, 6}, method: "GET", url: "https://api.example.com/old", origin: "https://app.example.com",
				firefox: diagnose.Allowed, chromium: diagnose.Allowed,
				steps: []string{"actual GET", "actual (redirect hop 1) GET"}},
		}},
		// Chromium lists a fetch's request before its preflight, and a
		// response without CORS headers with _error net::ERR_FAILED.
		{"chromium-order.har", Summary{Browser: "chromium", Creator: "WebInspector 537.36", Entries: 4, Judged: 2, Blocked: 1}, []row{
			{entries: []int{1, 0}, method: "POST", url: "https://api.example.com/prod/signup", origin: "http://localhost:5173",
				firefox: diagnose.Blocked, chromium: diagnose.Blocked, reason: "CORSMissingAllowOrigin",
				headers: []diagnose.Header{{Name: "content-type", Value: "application/json"}, {Name: "accept", Value: "application/json, text/plain, */*"}},
				steps:   []string{"preflight OPTIONS", "actual POST"}},
			{entries: []int{3, 2}, method: "POST", url: "https://api.example.com/prod/signup", origin: "http://localhost:5173",
				firefox: diagnose.Allowed, chromium: diagnose.Allowed,
				headers: []diagnose.Header{{Name: "content-type", Value: "application/json"}, {Name: "accept", Value: "application/json, text/plain, */*"}},
				steps:   []string{"preflight OPTIONS", "actual POST"}},
		}},
		{"firefox.har", Summary{Browser: "firefox", Creator: "Firefox 128.0", Entries: 3, Judged: 2, Blocked: 1}, []row{
			{entries: []int{0, 1}, method: "POST", url: "https://api.example.com/v1/data", origin: "http://localhost:3000",
				firefox: diagnose.Allowed, chromium: diagnose.Allowed,
				headers: []diagnose.Header{{Name: "content-type", Value: "application/json"}},
				steps:   []string{"preflight OPTIONS", "actual POST"}},
			{entries: []int{2}, method: "GET", url: "https://api.example.com/v1/list", origin: "http://localhost:3000",
				firefox: diagnose.Blocked, chromium: diagnose.Blocked, reason: "CORSAllowOriginNotMatchingOrigin",
				steps: []string{"actual GET"}},
		}},
		{"safari.har", Summary{Browser: "safari", Creator: "WebKit Web Inspector 1.0", Entries: 4, Judged: 2, Blocked: 1, Skipped: 2}, []row{
			{entries: []int{0}, method: "GET", url: "https://api.example.com/status", origin: "https://app.example.com",
				firefox: diagnose.Allowed, chromium: diagnose.Allowed, steps: []string{"actual GET"}},
			{entries: []int{1}, method: "DELETE", url: "https://api.example.com/items/7", origin: "https://app.example.com",
				skip:    "preflight is not in the recording",
				headers: []diagnose.Header{{Name: "X-Requested-With", Value: "XMLHttpRequest"}}, steps: []string{"actual DELETE"}},
			{entries: []int{2}, method: "GET", url: "https://api.example.com/cached", origin: "https://app.example.com",
				skip: "cache"},
			{entries: []int{3}, method: "GET", url: "https://api.example.com/proxy-auth", origin: "https://app.example.com",
				firefox: diagnose.Blocked, chromium: diagnose.Blocked, reason: "CORSMissingAllowOrigin", steps: []string{"actual GET"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			sum, got := judgeFile(t, "testdata/"+tc.file)
			if sum != tc.summary {
				t.Errorf("summary = %+v, want %+v", sum, tc.summary)
			}
			if len(got) != len(tc.rows) {
				t.Fatalf("%d results, want %d", len(got), len(tc.rows))
			}
			for i, want := range tc.rows {
				r := got[i]
				if !slices.Equal(r.Entries, want.entries) || r.Method != want.method || r.URL != want.url || r.Origin != want.origin || r.OriginFrom != want.originFrom {
					t.Errorf("row %d = entries %v %s %s origin %q (from %q), want entries %v %s %s origin %q (from %q)", i,
						r.Entries, r.Method, r.URL, r.Origin, r.OriginFrom, want.entries, want.method, want.url, want.origin, want.originFrom)
				}
				if want.skip != "" {
					if r.Report != nil || !strings.Contains(r.Skip, want.skip) {
						t.Errorf("row %d: skip %q (report %v), want a skip containing %q", i, r.Skip, r.Report != nil, want.skip)
					}
				} else {
					if r.Report == nil {
						t.Fatalf("row %d not judged: %s", i, r.Skip)
					}
					if r.Report.Verdict.Firefox != want.firefox || r.Report.Verdict.Chromium != want.chromium {
						t.Errorf("row %d verdicts = %s/%s, want %s/%s", i, r.Report.Verdict.Firefox, r.Report.Verdict.Chromium, want.firefox, want.chromium)
					}
					if got := firstError(r.Report); got != want.reason {
						t.Errorf("row %d first error = %q, want %q", i, got, want.reason)
					}
					if r.Report.DurationMS != 0 || len(r.Report.Followups) != 0 {
						t.Errorf("row %d: a recording took %v ms and %d follow-ups: something was sent", i, r.Report.DurationMS, len(r.Report.Followups))
					}
					for _, f := range r.Report.Findings {
						if f.Reason == "cookies-not-sent" {
							t.Errorf("row %d: the cookies-not-sent note, but the recording holds the cookies", i)
						}
					}
				}
				if want.skip == "" || want.steps != nil {
					if !slices.Equal(r.Request.Headers, want.headers) {
						t.Errorf("row %d page headers = %v, want %v", i, r.Request.Headers, want.headers)
					}
					if r.Request.Credentials != want.creds {
						t.Errorf("row %d credentials = %q, want %q", i, r.Request.Credentials, want.creds)
					}
					if got := stepsOf(r.Exchanges); !slices.Equal(got, want.steps) {
						t.Errorf("row %d steps = %q, want %q", i, got, want.steps)
					}
				}
			}
		})
	}
}

// TestSecretsNeverLeave: no value of Cookie, Set-Cookie, Authorization or
// Proxy-Authorization from the HARs appears anywhere in what Each hands
// out, and the names redacted are listed.
func TestSecretsNeverLeave(t *testing.T) {
	secrets := []string{"abc-secret-cookie", "secret-token-123", "secret-set-cookie", "dXNlcjpwYXNzd29yZA==", "cHJveHk6c2VjcmV0"}
	var all []byte
	var names []string
	for _, f := range []string{"chromium.har", "firefox.har", "safari.har"} {
		_, res := judgeFile(t, "testdata/"+f)
		for _, r := range res {
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
			for _, n := range r.Redacted {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(string(all), s) {
			t.Errorf("the results contain the secret %q", s)
		}
	}
	slices.Sort(names)
	if want := []string{"Authorization", "Cookie", "Proxy-Authorization", "Set-Cookie"}; !slices.Equal(names, want) {
		t.Errorf("redacted names = %v, want %v", names, want)
	}
	// The fixtures hold every secret, so the test above can fail.
	var fixtures string
	for _, f := range []string{"chromium.har", "firefox.har", "safari.har"} {
		raw, _ := os.ReadFile("testdata/" + f)
		fixtures += string(raw)
	}
	for _, s := range secrets {
		if !strings.Contains(fixtures, s) {
			t.Errorf("the secret %q is in no fixture", s)
		}
	}
}

// har builds a HAR document around entries (JSON objects).
func har(entries ...string) string {
	return `{"log":{"version":"1.2","creator":{"name":"test","version":"1"},"pages":[{"id":"p","title":"https://app.test/page"}],"entries":[` + strings.Join(entries, ",") + `]}}`
}

// entry builds a HAR entry: headers as "Name: value" lines.
func entry(method, url string, reqHeaders []string, status int, respHeaders []string) string {
	hv := func(lines []string) string {
		var parts []string
		for _, l := range lines {
			n, v, _ := strings.Cut(l, ": ")
			b, _ := json.Marshal(map[string]string{"name": n, "value": v})
			parts = append(parts, string(b))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return `{"pageref":"p","startedDateTime":"2026-12-03T10:00:00.000Z","time":1,"_resourceType":"fetch",` +
		`"request":{"method":"` + method + `","url":"` + url + `","httpVersion":"HTTP/1.1","headers":` + hv(reqHeaders) + `},` +
		`"response":{"status":` + itoa(status) + `,"statusText":"","httpVersion":"HTTP/1.1","headers":` + hv(respHeaders) + `,"content":{"text":"body"}}}`
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestGrouping covers the chains the fixtures do not: a redirect whose
// next hop needs its own preflight, an origin inferred for a fetch
// recorded without an Origin header, a preflight whose actual request was
// never sent, and two fetches to one URL each claiming its own preflight.
func TestGrouping(t *testing.T) {
	pre := func(url, method, acrh, origin string, resp ...string) string {
		h := []string{"Access-Control-Request-Method: " + method, "Origin: " + origin}
		if acrh != "" {
			h = append(h, "Access-Control-Request-Headers: "+acrh)
		}
		return entry("OPTIONS", url, h, 204, resp)
	}
	allow := []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: PUT", "Access-Control-Allow-Headers: x-a"}
	tests := []struct {
		name  string
		har   string
		steps [][]string // per result
		skips []string   // per result, "" when judged
		first []string   // first error per judged result
		from  []string   // OriginFrom per result
	}{
		{
			name: "redirect with a preflight at each hop",
			har: har(
				pre("https://a.test/x", "PUT", "x-a", "https://app.test", allow...),
				entry("PUT", "https://a.test/x", []string{"Origin: https://app.test", "X-A: 1"}, 307, []string{"Location: https://b.test/y", "Access-Control-Allow-Origin: *"}),
				pre("https://b.test/y", "PUT", "x-a", "null", allow...),
				entry("PUT", "https://b.test/y", []string{"Origin: null", "X-A: 1"}, 200, []string{"Access-Control-Allow-Origin: *"}),
			),
			steps: [][]string{{"preflight OPTIONS", "actual PUT", "preflight (redirect hop 1) OPTIONS", "actual (redirect hop 1) PUT"}},
			skips: []string{""}, first: []string{""}, from: []string{""},
		},
		{
			name:  "origin inferred from the page URL",
			har:   har(entry("GET", "https://api.test/z", []string{"Accept: */*"}, 200, nil)),
			steps: [][]string{{"actual GET"}},
			skips: []string{""}, first: []string{"CORSMissingAllowOrigin"}, from: []string{"the page URL"},
		},
		{
			name:  "a preflight refused, its actual request never sent",
			har:   har(pre("https://a.test/x", "PUT", "", "https://app.test", "Access-Control-Allow-Origin: https://other.test")),
			steps: [][]string{{"preflight OPTIONS"}},
			skips: []string{""}, first: []string{"CORSAllowOriginNotMatchingOrigin"}, from: []string{""},
		},
		{
			name: "two fetches to one URL, each with its preflight",
			har: har(
				pre("https://a.test/x", "PUT", "x-a", "https://app.test", allow...),
				entry("PUT", "https://a.test/x", []string{"Origin: https://app.test", "X-A: 1"}, 200, []string{"Access-Control-Allow-Origin: *"}),
				pre("https://a.test/x", "PUT", "x-a", "https://app.test", "Access-Control-Allow-Origin: *"),
				entry("PUT", "https://a.test/x", []string{"Origin: https://app.test", "X-A: 2"}, 200, []string{"Access-Control-Allow-Origin: *"}),
			),
			steps: [][]string{{"preflight OPTIONS", "actual PUT"}, {"preflight OPTIONS", "actual PUT"}},
			skips: []string{"", ""}, first: []string{"", "CORSMethodNotFound"}, from: []string{"", ""},
		},
		{
			name:  "a redirect hop missing from the recording",
			har:   har(entry("GET", "https://a.test/x", []string{"Origin: https://app.test"}, 302, []string{"Location: /gone", "Access-Control-Allow-Origin: *"})),
			steps: [][]string{{"actual GET"}},
			skips: []string{"redirect hop is not in the recording"}, first: []string{""}, from: []string{""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []Result
			if _, err := Each(strings.NewReader(tc.har), DefaultLimits, func(r Result) error { got = append(got, r); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.steps) {
				t.Fatalf("%d results, want %d", len(got), len(tc.steps))
			}
			for i, r := range got {
				if s := stepsOf(r.Exchanges); !slices.Equal(s, tc.steps[i]) {
					t.Errorf("result %d steps = %q, want %q", i, s, tc.steps[i])
				}
				if tc.skips[i] == "" && r.Skip != "" || !strings.Contains(r.Skip, tc.skips[i]) {
					t.Errorf("result %d skip = %q, want %q", i, r.Skip, tc.skips[i])
				}
				if r.Report != nil {
					if f := firstError(r.Report); f != tc.first[i] {
						t.Errorf("result %d first error = %q, want %q", i, f, tc.first[i])
					}
				}
				if r.OriginFrom != tc.from[i] {
					t.Errorf("result %d origin from %q, want %q", i, r.OriginFrom, tc.from[i])
				}
			}
		})
	}
}

// TestReadErrors: every unreadable file is a FormatError that says what
// is wrong, and a reader's own error comes back unchanged.
func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		lim            Limits
	}{
		{"not JSON", "hello", "not valid JSON", Limits{}},
		{"an array", "[]", "is not an object", Limits{}},
		{"no log", `{"foo":1}`, `no "log"`, Limits{}},
		{"entries not an array", `{"log":{"entries":{}}}`, "log.entries is not an array", Limits{}},
		{"cut short", `{"log":{"entries":[{"request":`, "ends too early", Limits{}},
		{"wrong type", `{"log":{"entries":[{"request":{"method":7}}]}}`, "should be string", Limits{}},
		{"no URL", `{"log":{"entries":[{"request":{"method":"OPTIONS"}}]}}`, "no request method or URL", Limits{}},
		{"too many entries", har(entry("GET", "https://a.test/", nil, 200, nil), entry("GET", "https://a.test/", nil, 200, nil)), "more than 1 entries", Limits{MaxEntries: 1}},
		{"trailing data", `{"log":{}} {}`, "after the HAR", Limits{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in), tc.lim)
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Read = %v, want a FormatError containing %q", err, tc.want)
			}
		})
	}
	boom := errors.New("connection cut")
	_, err := Read(&failingReader{data: `{"log":{"entries":[`, err: boom}, Limits{})
	if !errors.Is(err, boom) {
		t.Errorf("Read over a failing reader = %v, want it to wrap %v", err, boom)
	}
}

type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestBodiesCut: bodies are kept only up to Limits.MaxBody, without
// splitting a UTF-8 sequence, and marked as cut.
func TestBodiesCut(t *testing.T) {
	body := strings.Repeat("é", 600) // 1200 bytes
	in := har(`{"request":{"method":"GET","url":"https://a.test/","headers":[{"name":"Origin","value":"https://app.test"}]},"response":{"status":200,"headers":[],"content":{"text":"` + body + `"}}}`)
	a, err := Read(strings.NewReader(in), Limits{MaxBody: 1001})
	if err != nil {
		t.Fatal(err)
	}
	e := a.Entries[0]
	if len(e.RespBody) != 1000 || !e.RespTruncated || !strings.HasPrefix(body, e.RespBody) {
		t.Errorf("body kept %d bytes (truncated %v), want 1000 and truncated", len(e.RespBody), e.RespTruncated)
	}
}
