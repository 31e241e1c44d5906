package export

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"corsdoctor/diagnose"
)

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "''",
		"plain":             "'plain'",
		"it's":              `'it'\''s'`,
		"$(rm -rf /) `x` ;": "'$(rm -rf /) `x` ;'",
		"a\nb":              "'a\nb'",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestShellQuoteRoundTrip has a real shell read the quoted words back.
func TestShellQuoteRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	values := []string{"it's", `"double" 'single' \back`, "$HOME `id` $(id) ; | & > <", "tab\there", "ünïcödé", "'", "''", "a'b'c"}
	for _, v := range values {
		out, err := exec.Command(sh, "-c", "printf %s "+ShellQuote(v)).Output()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if string(out) != v {
			t.Errorf("sh read %q back as %q", v, out)
		}
	}
}

func TestCurl(t *testing.T) {
	tests := []struct {
		name string
		req  diagnose.SentRequest
		want string
	}{
		{name: "preflight", req: diagnose.SentRequest{Method: "OPTIONS", URL: "https://api.test/x?a=1&b=2", Headers: []diagnose.Header{
			{Name: "Host", Value: "api.test"}, {Name: "Origin", Value: "https://app.test"}, {Name: "Access-Control-Request-Method", Value: "PUT"}, {Name: "Access-Control-Request-Headers", Value: "content-type,x-trace"}}},
			want: "curl -i -X OPTIONS 'https://api.test/x?a=1&b=2' \\\n  -H 'Origin: https://app.test' \\\n  -H 'Access-Control-Request-Method: PUT' \\\n  -H 'Access-Control-Request-Headers: content-type,x-trace'"},
		{name: "GET", req: diagnose.SentRequest{Method: "GET", URL: "http://a.test/", Headers: []diagnose.Header{{Name: "Origin", Value: "https://b.test"}}},
			want: "curl -i 'http://a.test/' \\\n  -H 'Origin: https://b.test'"},
		{name: "HEAD", req: diagnose.SentRequest{Method: "HEAD", URL: "http://a.test/"}, want: "curl -i --head 'http://a.test/'"},
		{name: "POST with body", req: diagnose.SentRequest{Method: "POST", URL: "http://a.test/", Body: `{"it's": 1}`, Headers: []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Content-Length", Value: "11"}}},
			want: "curl -i 'http://a.test/' \\\n  -H 'Content-Type: application/json' \\\n  --data-raw '{\"it'\\''s\": 1}'"},
		{name: "empty POST", req: diagnose.SentRequest{Method: "POST", URL: "http://a.test/"}, want: "curl -i -X POST 'http://a.test/'"},
		{name: "odd method and hostile value", req: diagnose.SentRequest{Method: "PATCH$x", URL: "http://a.test/", Headers: []diagnose.Header{{Name: "X-Evil", Value: "'; rm -rf / #"}}},
			want: "curl -i -X 'PATCH$x' 'http://a.test/' \\\n  -H 'X-Evil: '\\''; rm -rf / #'"},
		{name: "redacted", req: diagnose.SentRequest{Method: "GET", URL: "http://a.test/", Headers: []diagnose.Header{{Name: "Authorization", Value: diagnose.Redacted}}},
			want: "# Authorization: replace [redacted] with the real value\ncurl -i 'http://a.test/' \\\n  -H 'Authorization: [redacted]'"},
		{name: "Host that differs from the URL is kept", req: diagnose.SentRequest{Method: "GET", URL: "http://127.0.0.1/", Headers: []diagnose.Header{{Name: "Host", Value: "a.test"}}},
			want: "curl -i 'http://127.0.0.1/' \\\n  -H 'Host: a.test'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Curl(tc.req); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestFetch(t *testing.T) {
	tests := []struct {
		name string
		req  diagnose.Request
		want string
	}{
		{name: "defaults", req: diagnose.Request{URL: "https://api.test/x", Origin: "https://app.test", Method: "GET", Credentials: "same-origin", Mode: "cors"},
			want: "// Run in the console of a page at https://app.test\nconst response = await fetch(\"https://api.test/x\");\nconsole.log(response.status, [...response.headers]);"},
		{name: "everything", req: diagnose.Request{URL: "https://api.test/x", Origin: "https://app.test", Method: "PUT",
			Headers: []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "X-Q", Value: "\"</script>\u2028"}},
			Body:    `{"a":1}`, Credentials: "include", Mode: "no-cors"},
			want: "// Run in the console of a page at https://app.test\nconst response = await fetch(\"https://api.test/x\", {\n  method: \"PUT\",\n  headers: {\n    \"Content-Type\": \"application/json\",\n    \"X-Q\": \"\\\"</script>\\u2028\",\n  },\n  body: \"{\\\"a\\\":1}\",\n  credentials: \"include\",\n  mode: \"no-cors\",\n});\nconsole.log(response.status, [...response.headers]);"},
		{name: "repeated header", req: diagnose.Request{URL: "https://api.test/", Origin: "https://app.test", Headers: []diagnose.Header{{Name: "X-A", Value: "1"}, {Name: "x-a", Value: "2"}}},
			want: "// Run in the console of a page at https://app.test\nconst response = await fetch(\"https://api.test/\", {\n  headers: [\n    [\"X-A\", \"1\"],\n    [\"x-a\", \"2\"],\n  ],\n});\nconsole.log(response.status, [...response.headers]);"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Fetch(tc.req); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestPreflightAndActualRequest(t *testing.T) {
	rep := &diagnose.Report{
		Request:   diagnose.Request{URL: "https://api.test/x", Origin: "https://app.test", Method: "PUT", Headers: []diagnose.Header{{Name: "X-A", Value: "1"}}, Body: "b"},
		Preflight: diagnose.Preflight{PreflightDecision: diagnose.PreflightDecision{Required: true, UnsafeHeaders: []string{"x-a"}}},
	}
	pf, ok := PreflightRequest(rep)
	if !ok || pf.Method != "OPTIONS" || Curl(pf) != "curl -i -X OPTIONS 'https://api.test/x' \\\n  -H 'Accept: */*' \\\n  -H 'Access-Control-Request-Method: PUT' \\\n  -H 'Access-Control-Request-Headers: x-a' \\\n  -H 'Origin: https://app.test'" {
		t.Errorf("synthesised preflight: %v\n%s", ok, Curl(pf))
	}
	act := ActualRequest(rep)
	if got := Curl(act); got != "curl -i -X PUT 'https://api.test/x' \\\n  -H 'X-A: 1' \\\n  -H 'Accept: */*' \\\n  -H 'Origin: https://app.test' \\\n  -H 'Content-Type: text/plain;charset=UTF-8' \\\n  --data-raw 'b'" {
		t.Errorf("synthesised actual request:\n%s", got)
	}
	sent := diagnose.Exchange{Step: diagnose.Step{Kind: diagnose.StepActual}, Request: diagnose.SentRequest{Method: "PUT", URL: "https://api.test/x"}}
	rep.Exchanges = []diagnose.Exchange{sent}
	if got := ActualRequest(rep); got.Method != "PUT" || len(got.Headers) != 0 {
		t.Errorf("the sent request was not used: %+v", got)
	}
	rep.Preflight.Required = false
	rep.Exchanges = nil
	if _, ok := PreflightRequest(rep); ok {
		t.Error("a preflight for a simple request")
	}
}

func TestBuildHAR(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	rep := &diagnose.Report{
		Engine: "corsdoctor/0.1.0", RanAt: start,
		Request: diagnose.Request{URL: "https://api.test/x?q=a%20b", Origin: "https://app.test"},
		Exchanges: []diagnose.Exchange{
			{Step: diagnose.Step{Kind: diagnose.StepPreflight, URL: "https://api.test/x?q=a%20b"},
				Request:    diagnose.SentRequest{Method: "OPTIONS", URL: "https://api.test/x?q=a%20b", Proto: "HTTP/1.1", Headers: []diagnose.Header{{Name: "Origin", Value: "https://app.test"}}},
				Response:   &diagnose.Response{Proto: "HTTP/1.1", Status: 302, Headers: []diagnose.Header{{Name: "Location", Value: "/login"}, {Name: "Content-Type", Value: "text/html"}}, HeaderBytes: 80, Body: "<a>", BodyTruncated: true},
				RemoteAddr: "[2001:db8::1]:443", Started: start, DurationMS: 12.5},
			{Step: diagnose.Step{Kind: diagnose.StepActual, URL: "https://api.test/x"},
				Request: diagnose.SentRequest{Method: "POST", URL: "https://api.test/x", Proto: "HTTP/1.1", Body: "hi", Headers: []diagnose.Header{{Name: "Content-Type", Value: "text/plain"}}},
				Error:   &diagnose.NetError{Kind: "refused", Message: "connection refused", Chromium: "net::ERR_CONNECTION_REFUSED"}, Started: start.Add(time.Second), DurationMS: 1},
		},
	}
	h := BuildHAR(rep, "title")
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	// Check the fields HAR 1.2 requires, through the JSON a tool reads.
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	log := doc["log"].(map[string]any)
	if log["version"] != "1.2" || log["creator"].(map[string]any)["name"] != "corsdoctor" {
		t.Errorf("log = %v", log)
	}
	entries := log["entries"].([]any)
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	required := map[string][]string{
		"entry":    {"pageref", "startedDateTime", "time", "request", "response", "cache", "timings"},
		"request":  {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"},
		"response": {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"},
		"timings":  {"send", "wait", "receive"},
	}
	for i, e := range entries {
		em := e.(map[string]any)
		for part, fields := range required {
			m := em
			if part != "entry" {
				m = em[part].(map[string]any)
			}
			for _, f := range fields {
				if _, ok := m[f]; !ok {
					t.Errorf("entry %d: %s.%s missing", i, part, f)
				}
			}
		}
	}
	pre, act := h.Log.Entries[0], h.Log.Entries[1]
	if pre.StartedDateTime != "2026-01-02T03:04:05.600Z" || pre.Time != 12.5 || pre.Timings.Wait != 12.5 || pre.ResourceType != "preflight" || pre.ServerIPAddress != "2001:db8::1" {
		t.Errorf("preflight entry = %+v", pre)
	}
	if pre.Response.RedirectURL != "/login" || pre.Response.StatusText != "Found" || pre.Response.Content.MimeType != "text/html" || pre.Response.BodySize != -1 || pre.Response.Content.Comment == "" {
		t.Errorf("preflight response = %+v", pre.Response)
	}
	if len(pre.Request.QueryString) != 1 || pre.Request.QueryString[0] != (HARNameValue{Name: "q", Value: "a b"}) {
		t.Errorf("query = %+v", pre.Request.QueryString)
	}
	if act.Response.Status != 0 || act.Error != "net::ERR_CONNECTION_REFUSED" || act.Request.PostData == nil || act.Request.PostData.Text != "hi" || act.Request.PostData.MimeType != "text/plain" || act.ResourceType != "fetch" {
		t.Errorf("actual entry = %+v", act)
	}
	if !strings.Contains(string(b), `"entries":[`) {
		t.Error("entries must be an array even when empty")
	}
	if empty, _ := json.Marshal(BuildHAR(&diagnose.Report{}, "")); !strings.Contains(string(empty), `"entries":[]`) {
		t.Errorf("empty HAR: %s", empty)
	}
}
