package importer

import (
	"strconv"
	"strings"
	"testing"

	"corsdoctor/diagnose"
)

const (
	tURL    = "https://api.example.test/v1/items"
	tOrigin = "https://app.example.test"
)

func resp(status int, kv ...string) *diagnose.Response {
	r := &diagnose.Response{Proto: "HTTP/1.1", Status: status, StatusText: "OK"}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Headers = append(r.Headers, diagnose.Header{Name: kv[i], Value: kv[i+1]})
	}
	return r
}

func ex(kind diagnose.StepKind, method string, r *diagnose.Response) diagnose.Exchange {
	return diagnose.Exchange{Step: diagnose.Step{Kind: kind, URL: tURL}, Request: diagnose.SentRequest{Method: method, URL: tURL, Proto: "HTTP/1.1"}, Response: r}
}

// TestEngineLines feeds Parse every console line the engine itself prints
// for recorded exchanges, and checks that it names the finding's reason
// and the request's URL (and origin, where the line has one).
func TestEngineLines(t *testing.T) {
	put := diagnose.Request{URL: tURL, Origin: tOrigin, Method: "PUT", Headers: []diagnose.Header{{Name: "X-Api-Key", Value: "k"}}}
	creds := diagnose.Request{URL: tURL, Origin: tOrigin, Credentials: diagnose.CredentialsInclude}
	get := diagnose.Request{URL: tURL, Origin: tOrigin}
	okPreflight := []string{"Access-Control-Allow-Origin", tOrigin, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "X-Api-Key"}
	cases := []struct {
		name   string
		req    diagnose.Request
		exs    []diagnose.Exchange
		reason string
	}{
		{"missing ACAO on actual", get, []diagnose.Exchange{ex(diagnose.StepActual, "GET", resp(200))}, "CORSMissingAllowOrigin"},
		{"missing ACAO on preflight", put, []diagnose.Exchange{ex(diagnose.StepPreflight, "OPTIONS", resp(204))}, "CORSMissingAllowOrigin"},
		{"mismatch", get, []diagnose.Exchange{ex(diagnose.StepActual, "GET", resp(200, "Access-Control-Allow-Origin", "https://other.test"))}, "CORSAllowOriginNotMatchingOrigin"},
		{"mismatch on preflight", put, []diagnose.Exchange{ex(diagnose.StepPreflight, "OPTIONS", resp(204, "Access-Control-Allow-Origin", "https://other.test"))}, "CORSAllowOriginNotMatchingOrigin"},
		{"multiple", get, []diagnose.Exchange{ex(diagnose.StepActual, "GET", resp(200, "Access-Control-Allow-Origin", tOrigin, "Access-Control-Allow-Origin", tOrigin))}, "CORSMultipleAllowOriginNotAllowed"},
		{"wildcard with credentials", creds, []diagnose.Exchange{ex(diagnose.StepActual, "GET", resp(200, "Access-Control-Allow-Origin", "*"))}, "CORSNotSupportingCredentials"},
		{"no ACAC", creds, []diagnose.Exchange{ex(diagnose.StepActual, "GET", resp(200, "Access-Control-Allow-Origin", tOrigin))}, "CORSMissingAllowCredentials"},
		{"preflight 401", put, []diagnose.Exchange{ex(diagnose.StepPreflight, "OPTIONS", resp(401, "Access-Control-Allow-Origin", tOrigin))}, "CORSPreflightDidNotSucceed"},
		{"method", put, []diagnose.Exchange{ex(diagnose.StepPreflight, "OPTIONS", resp(204, "Access-Control-Allow-Origin", tOrigin, "Access-Control-Allow-Methods", "GET", "Access-Control-Allow-Headers", "X-Api-Key"))}, "CORSMethodNotFound"},
		{"header", put, []diagnose.Exchange{ex(diagnose.StepPreflight, "OPTIONS", resp(204, "Access-Control-Allow-Origin", tOrigin, "Access-Control-Allow-Methods", "PUT"))}, "CORSMissingAllowHeaderFromPreflight"},
		{"bad ACAM", put, []diagnose.Exchange{ex(diagnose.StepPreflight, "OPTIONS", resp(204, "Access-Control-Allow-Origin", tOrigin, "Access-Control-Allow-Methods", "PUT;GET"))}, "CORSInvalidAllowMethod"},
		{"bad ACAH", put, []diagnose.Exchange{ex(diagnose.StepPreflight, "OPTIONS", resp(204, "Access-Control-Allow-Origin", tOrigin, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "X-Api-Key;x"))}, "CORSInvalidAllowHeader"},
		{"preflight redirect", put, []diagnose.Exchange{ex(diagnose.StepPreflight, "OPTIONS", resp(301, "Access-Control-Allow-Origin", tOrigin, "Location", tURL+"/"))}, "CORSExternalRedirectNotAllowed"},
		{"ok preflight, bad actual", put, []diagnose.Exchange{ex(diagnose.StepPreflight, "OPTIONS", resp(204, okPreflight...)), ex(diagnose.StepActual, "PUT", resp(500))}, "CORSMissingAllowOrigin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := diagnose.Evaluate(tc.req, tc.exs)
			if err != nil {
				t.Fatalf("evaluate: %v", err)
			}
			var printed *diagnose.Finding
			for i, f := range rep.Findings {
				if f.Role == "printed" {
					printed = &rep.Findings[i]
					break
				}
			}
			if printed == nil || printed.Reason != tc.reason {
				t.Fatalf("engine's printed finding = %+v, want reason %s", printed, tc.reason)
			}
			lines := map[Source]string{SourceFirefox: printed.Console.Firefox, SourceChromium: printed.Console.Chromium, SourceSafari: printed.Console.Safari}
			for src, line := range lines {
				if line == "" {
					if src != SourceSafari {
						t.Errorf("engine printed no %s line", src)
					}
					continue
				}
				res, err := Parse(line)
				if err != nil {
					t.Fatalf("Parse(%q): %v", line, err)
				}
				if res.Source != src {
					t.Errorf("%s line: source %q", src, res.Source)
				}
				want := tc.reason
				if src == SourceSafari && want == "CORSAllowOriginNotMatchingOrigin" {
					// WebKit words both ACAO failures alike.
					want = "CORSMissingAllowOrigin"
				}
				if res.Reason != want {
					t.Errorf("%s line %q: reason %q, want %q", src, line, res.Reason, want)
				}
				if src != SourceSafari && res.Request.URL != tURL {
					t.Errorf("%s line: URL %q, want %q", src, res.Request.URL, tURL)
				}
				wantOrigin := tOrigin
				if src == SourceFirefox {
					wantOrigin = ""
				}
				if src != SourceSafari || strings.HasPrefix(line, "Origin ") {
					if res.Request.Origin != wantOrigin {
						t.Errorf("%s line: origin %q, want %q", src, res.Request.Origin, wantOrigin)
					}
				}
				if (res.Request.Origin == "") != hasMissing(res, "origin") {
					t.Errorf("%s line: origin %q but missing = %+v", src, res.Request.Origin, res.Missing)
				}
			}
			// All the lines at once, as a console shows them.
			all := strings.Join(append(append([]string{}, rep.Console.Chromium...), rep.Console.Firefox...), "\n")
			res, err := Parse(all)
			if err != nil {
				t.Fatalf("Parse(all): %v", err)
			}
			if res.Source != SourceChromium || res.Reason != tc.reason || res.Request.Origin != tOrigin || res.Request.URL != tURL {
				t.Errorf("all lines: source %s reason %s origin %s url %s", res.Source, res.Reason, res.Request.Origin, res.Request.URL)
			}
			if len(res.Console) != len(rep.Console.Chromium)+len(rep.Console.Firefox) {
				t.Errorf("all lines: recognised %d of %d", len(res.Console), len(rep.Console.Chromium)+len(rep.Console.Firefox))
			}
		})
	}
}

func hasMissing(r *Result, field string) bool {
	for _, m := range r.Missing {
		if m.Field == field {
			return true
		}
	}
	return false
}

// TestReasonTable fills in every console text of the reason table and
// checks that MatchReason names the reason it belongs to.
func TestReasonTable(t *testing.T) {
	fill := strings.NewReplacer("<url>", tURL, "<origin>", tOrigin, "<value>", "x-thing", "<name>", "x-api-key", "<Name>", "X-Api-Key",
		"<method>", "PUT", "<status>", "404", "<schemes>", "chrome, http, https", "<page>", tOrigin+"/", "<address>", "127.0.0.1")
	// Texts shared by two reasons, and the reason the first of them is.
	shared := map[string]string{"CORSAllowOriginNotMatchingOrigin": "CORSMissingAllowOrigin"}
	n := 0
	for _, ri := range diagnose.Reasons() {
		for src, text := range map[string]string{"firefox": ri.Firefox, "chromium": ri.Chromium, "safari": ri.Safari} {
			if text == "" || !strings.HasPrefix(text, "Access to fetch") && !strings.HasPrefix(text, "Cross-Origin Request") && (src != "safari" || strings.Contains(text, "cannot load")) {
				continue // a description, not a console line
			}
			if src == "safari" && ri.ID == "CORSRequestNotHttp" {
				continue // "…only supported for HTTP." names no request
			}
			line := fill.Replace(text)
			got, _, ok := MatchReason(line)
			want := ri.ID
			if src == "safari" && shared[want] != "" {
				want = shared[want]
			}
			if !ok || got != want {
				t.Errorf("%s text of %s, %q: matched %q", src, ri.ID, line, got)
			}
			n++
		}
	}
	if n < 40 {
		t.Errorf("only %d console texts checked", n)
	}
}

// TestRealWorldLines are lines as users paste them: with the page's name
// in front, XHR and preflight wording, redirects, older Chromium suffixes,
// MDN's ASCII quotes, "[Learn More]" and Safari's level tags.
func TestRealWorldLines(t *testing.T) {
	cases := []struct {
		name, in              string
		source                Source
		reason, url, origin   string
		method, credentials   string
		preflight, missOrigin bool
		consoleLines          int
		headers               []string
	}{
		{name: "chromium fetch with page prefix",
			in:     "localhost/:1 Access to fetch at 'http://localhost:8080/api/login' from origin 'http://localhost:3000' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource. If an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.",
			source: SourceChromium, reason: "CORSMissingAllowOrigin", url: "http://localhost:8080/api/login", origin: "http://localhost:3000", consoleLines: 1},
		{name: "chromium XHR preflight",
			in:     "Access to XMLHttpRequest at 'https://api.example.com/users' from origin 'https://app.example.com' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
			source: SourceChromium, reason: "CORSMissingAllowOrigin", url: "https://api.example.com/users", origin: "https://app.example.com", preflight: true, consoleLines: 1},
		{name: "chromium redirect",
			in:     "Access to fetch at 'https://api.example.com/v2/x' (redirected from 'http://api.example.com/v2/x') from origin 'https://app.example.com' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value 'https://example.com' that is not equal to the supplied origin. Have the server send the header with a valid value, or, if an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled.",
			source: SourceChromium, reason: "CORSAllowOriginNotMatchingOrigin", url: "http://api.example.com/v2/x", origin: "https://app.example.com", consoleLines: 1},
		{name: "chromium XHR credentials suffix",
			in:     "Access to XMLHttpRequest at 'https://api.example.com/me' from origin 'https://app.example.com' has been blocked by CORS policy: The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'. The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
			source: SourceChromium, reason: "CORSNotSupportingCredentials", url: "https://api.example.com/me", origin: "https://app.example.com", credentials: "include", consoleLines: 1},
		{name: "chromium header and the net line",
			in: "Access to fetch at 'https://api.example.com/items' from origin 'https://app.example.com' has been blocked by CORS policy: Request header field x-api-key is not allowed by Access-Control-Allow-Headers in preflight response.\n" +
				"app.js:12  PUT https://api.example.com/items net::ERR_FAILED",
			source: SourceChromium, reason: "CORSMissingAllowHeaderFromPreflight", url: "https://api.example.com/items", origin: "https://app.example.com", method: "PUT", preflight: true, consoleLines: 1, headers: []string{"x-api-key"}},
		{name: "firefox typographic",
			in:     "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 404. [Learn More]",
			source: SourceFirefox, reason: "CORSMissingAllowOrigin", url: "https://api.example.com/items", missOrigin: true, consoleLines: 1},
		{name: "firefox ASCII quotes (MDN)",
			in:     "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/items. (Reason: CORS header 'Access-Control-Allow-Origin' does not match 'https://example.com').",
			source: SourceFirefox, reason: "CORSAllowOriginNotMatchingOrigin", url: "https://api.example.com/items", missOrigin: true, consoleLines: 1},
		{name: "firefox credentials quoted URL",
			in:     "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘https://api.example.com/me’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).",
			source: SourceFirefox, reason: "CORSNotSupportingCredentials", url: "https://api.example.com/me", credentials: "include", missOrigin: true, consoleLines: 1},
		{name: "firefox old did-not-succeed",
			in:     "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at http://localhost:8080/x. (Reason: CORS request did not succeed).",
			source: SourceFirefox, reason: "CORSDidNotSucceed", url: "http://localhost:8080/x", missOrigin: true, consoleLines: 1},
		{name: "firefox header",
			in:     "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/x. (Reason: header ‘content-type’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
			source: SourceFirefox, reason: "CORSMissingAllowHeaderFromPreflight", url: "https://api.example.com/x", preflight: true, missOrigin: true, consoleLines: 1, headers: []string{"content-type"}},
		{name: "safari pair",
			in:     "[Error] Origin https://app.example.com is not allowed by Access-Control-Allow-Origin. Status code: 200\n[Error] Fetch API cannot load https://api.example.com/items due to access control checks.",
			source: SourceSafari, reason: "CORSMissingAllowOrigin", url: "https://api.example.com/items", origin: "https://app.example.com", consoleLines: 2},
		{name: "safari preflight",
			in:     "Preflight response is not successful. Status code: 403\nXMLHttpRequest cannot load https://api.example.com/items due to access control checks.",
			source: SourceSafari, reason: "CORSPreflightDidNotSucceed", url: "https://api.example.com/items", preflight: true, missOrigin: true, consoleLines: 2},
		{name: "safari header",
			in:     "[Error] Request header field X-Requested-With is not allowed by Access-Control-Allow-Headers.",
			source: SourceSafari, reason: "CORSMissingAllowHeaderFromPreflight", preflight: true, missOrigin: true, consoleLines: 1, headers: []string{"X-Requested-With"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Source != tc.source || res.Reason != tc.reason || res.Request.URL != tc.url || res.Request.Origin != tc.origin {
				t.Errorf("got source %s reason %s url %q origin %q", res.Source, res.Reason, res.Request.URL, res.Request.Origin)
			}
			if res.Request.Method != tc.method || string(res.Request.Credentials) != tc.credentials {
				t.Errorf("got method %q credentials %q", res.Request.Method, res.Request.Credentials)
			}
			if hasMissing(res, "origin") != tc.missOrigin {
				t.Errorf("missing origin = %v, want %v (%+v)", !tc.missOrigin, tc.missOrigin, res.Missing)
			}
			if len(res.Console) != tc.consoleLines {
				t.Errorf("recognised %d console lines, want %d", len(res.Console), tc.consoleLines)
			}
			pre := false
			for _, c := range res.Console {
				pre = pre || c.Preflight
			}
			if pre != tc.preflight {
				t.Errorf("preflight = %v", pre)
			}
			if got := headerNames(res.Request.Headers); strings.Join(got, ",") != strings.Join(tc.headers, ",") {
				t.Errorf("headers %v, want %v", got, tc.headers)
			}
			if res.ReasonText == "" {
				t.Error("no reason text")
			}
		})
	}
}

func headerNames(hs []diagnose.Header) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Name)
	}
	return out
}

func TestMatchReasonRejects(t *testing.T) {
	for _, in := range []string{"", "hello", "https://api.example.com/", "curl https://x", strings.Repeat("Access to fetch ", 100) + strconv.Itoa(1)} {
		if r, _, ok := MatchReason(in); ok {
			t.Errorf("MatchReason(%.40q) = %s", in, r)
		}
	}
}
