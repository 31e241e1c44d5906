package importer

import (
	"errors"
	"strings"
	"testing"

	"corsdoctor/diagnose"
)

// Inputs as the browsers' "Copy as …" menus write them (shapes from
// Chromium's and Firefox's devtools; values shortened).
const (
	chromiumBash = `curl 'https://api.example.com/v1/items' \
  -H 'accept: */*' \
  -H 'accept-language: en-GB,en;q=0.9' \
  -H 'authorization: Bearer eyJhbGc' \
  -H 'content-type: application/json' \
  -b 'session=abc; theme=dark' \
  -H 'origin: https://app.example.com' \
  -H 'priority: u=1, i' \
  -H 'referer: https://app.example.com/' \
  -H 'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24"' \
  -H 'sec-fetch-mode: cors' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64)' \
  -X 'PUT' \
  --data-raw $'{"name":"it\'s"}'`

	chromiumCmd = `curl ^"https://api.example.com/v1/items^" ^
  -H ^"accept: */*^" ^
  -H ^"content-type: application/json^" ^
  -H ^"origin: https://app.example.com^" ^
  -H ^"sec-ch-ua: ^\^"Chromium^\^";v=^\^"131^\^"^" ^
  -H ^"x-trace: a^%^20b^" ^
  --data-raw ^"^{^\^"name^\^":^\^"x^\^"^}^"`

	chromiumCmdOld = `curl "https://api.example.com/v1/items" ^
  -H "authority: api.example.com" ^
  -H "origin: https://app.example.com" ^
  -H "sec-ch-ua: ^\^"Google Chrome^\^";v=^\^"107^\^"" ^
  -H "x-api-key: k1" ^
  --compressed`

	firefoxPOSIX = `curl 'https://api.example.com/v1/items' -X POST -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' -H 'Accept: application/json' -H 'Accept-Language: en-US,en;q=0.5' -H 'Accept-Encoding: gzip, deflate, br, zstd' -H 'Content-Type: application/json' -H 'Origin: http://localhost:3000' -H 'Connection: keep-alive' -H 'Referer: http://localhost:3000/' -H 'Sec-Fetch-Dest: empty' --data-raw '{"a":1}'`

	firefoxWindows = `curl.exe "https://api.example.com/v1/items" -X POST -H "Accept: application/json" -H "Content-Type: application/json" -H "Origin: http://localhost:3000" --data-raw "{""a"":1}"`

	chromiumPowerShell = "$session = New-Object Microsoft.PowerShell.Commands.WebRequestSession\n" +
		"$session.UserAgent = \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"\n" +
		"$session.Cookies.Add((New-Object System.Net.Cookie(\"sid\", \"abc\", \"/\", \"api.example.com\")))\n" +
		"Invoke-WebRequest -UseBasicParsing -Uri \"https://api.example.com/v1/items\" `\n" +
		"-Method \"PATCH\" `\n" +
		"-WebSession $session `\n" +
		"-Headers @{\n" +
		"\"authority\"=\"api.example.com\"\n" +
		"  \"method\"=\"PATCH\"\n" +
		"  \"path\"=\"/v1/items\"\n" +
		"  \"scheme\"=\"https\"\n" +
		"  \"accept\"=\"*/*\"\n" +
		"  \"origin\"=\"https://app.example.com\"\n" +
		"  \"x-api-key\"=\"k`\"1\"\n" +
		"} `\n" +
		"-ContentType \"application/json\" `\n" +
		"-Body \"{`\"a`\":1}\""

	chromiumFetch = `fetch("https://api.example.com/v1/items", {
  "headers": {
    "accept": "*/*",
    "content-type": "application/json",
    "sec-ch-ua": "\"Chromium\";v=\"131\"",
    "x-api-key": "k1"
  },
  "referrer": "https://app.example.com/dashboard",
  "referrerPolicy": "strict-origin-when-cross-origin",
  "body": "{\"a\":1}",
  "method": "DELETE",
  "mode": "cors",
  "credentials": "include"
});`

	firefoxFetch = `await fetch("https://api.example.com/v1/items", {
    "credentials": "omit",
    "headers": {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Accept": "application/json",
        "Accept-Language": "en-US,en;q=0.5",
        "Authorization": "Bearer t",
        "Sec-Fetch-Mode": "cors"
    },
    "referrer": "http://localhost:5173/",
    "method": "GET",
    "mode": "cors"
});`

	devtoolsH2 = `:authority: api.example.com
:method: PUT
:path: /v1/items?x=1
:scheme: https
accept: */*
content-type: application/json
origin: https://app.example.com
sec-fetch-mode: cors
x-api-key: k1`

	devtoolsRaw = `PUT /v1/items HTTP/1.1
Host: api.example.com
Origin: http://localhost:3000
Content-Type: application/json
Cookie: a=b
Accept: */*`

	devtoolsPanel = "accept\n" + // not a header line: skipped
		"Content-Type:\napplication/json\nOrigin:\nhttps://app.example.com\nX-Api-Key:\nk1"

	devtoolsPreflight = `OPTIONS /v1/items HTTP/1.1
Host: api.example.com
Origin: https://app.example.com
Access-Control-Request-Method: PUT
Access-Control-Request-Headers: content-type,x-api-key`
)

func TestCommands(t *testing.T) {
	cases := []struct {
		name        string
		in          string
		source      Source
		url, origin string
		method      string
		credentials diagnose.Credentials
		mode        diagnose.Mode
		headers     []diagnose.Header
		body        string
		dropped     []string
		missing     []string
	}{
		{name: "chromium bash", in: chromiumBash, source: SourceCurl, url: "https://api.example.com/v1/items", origin: "https://app.example.com", method: "PUT", credentials: "include",
			headers: []diagnose.Header{{Name: "authorization", Value: "Bearer eyJhbGc"}, {Name: "content-type", Value: "application/json"}},
			body:    `{"name":"it's"}`,
			dropped: []string{"accept", "accept-language", "Cookie", "origin", "priority", "referer", "sec-ch-ua", "sec-fetch-mode", "user-agent"}},
		{name: "chromium cmd", in: chromiumCmd, source: SourceCurl, url: "https://api.example.com/v1/items", origin: "https://app.example.com", method: "POST",
			headers: []diagnose.Header{{Name: "content-type", Value: "application/json"}, {Name: "x-trace", Value: "a%20b"}},
			body:    `{"name":"x"}`, dropped: []string{"accept", "origin", "sec-ch-ua"}, missing: []string{"credentials"}},
		{name: "chromium cmd (before 2023)", in: chromiumCmdOld, source: SourceCurl, url: "https://api.example.com/v1/items", origin: "https://app.example.com",
			headers: []diagnose.Header{{Name: "authority", Value: "api.example.com"}, {Name: "x-api-key", Value: "k1"}},
			dropped: []string{"origin", "sec-ch-ua"}, missing: []string{"credentials"}},
		{name: "firefox posix", in: firefoxPOSIX, source: SourceCurl, url: "https://api.example.com/v1/items", origin: "http://localhost:3000", method: "POST",
			headers: []diagnose.Header{{Name: "Accept", Value: "application/json"}, {Name: "Content-Type", Value: "application/json"}},
			body:    `{"a":1}`, dropped: []string{"User-Agent", "Accept-Language", "Accept-Encoding", "Origin", "Connection", "Referer", "Sec-Fetch-Dest"}, missing: []string{"credentials"}},
		{name: "firefox windows", in: firefoxWindows, source: SourceCurl, url: "https://api.example.com/v1/items", origin: "http://localhost:3000", method: "POST",
			headers: []diagnose.Header{{Name: "Accept", Value: "application/json"}, {Name: "Content-Type", Value: "application/json"}},
			body:    `{"a":1}`, dropped: []string{"Origin"}, missing: []string{"credentials"}},
		{name: "powershell", in: chromiumPowerShell, source: SourceCurl, url: "https://api.example.com/v1/items", origin: "https://app.example.com", method: "PATCH", credentials: "include",
			headers: []diagnose.Header{{Name: "x-api-key", Value: `k"1`}, {Name: "Content-Type", Value: "application/json"}},
			body:    `{"a":1}`, dropped: []string{"Cookie", "User-Agent", "accept", "origin"}},
		{name: "chromium fetch", in: chromiumFetch, source: SourceFetch, url: "https://api.example.com/v1/items", origin: "https://app.example.com", method: "DELETE", credentials: "include", mode: "cors",
			headers: []diagnose.Header{{Name: "content-type", Value: "application/json"}, {Name: "x-api-key", Value: "k1"}},
			body:    `{"a":1}`, dropped: []string{"accept", "sec-ch-ua", "Referer"}},
		{name: "firefox fetch", in: firefoxFetch, source: SourceFetch, url: "https://api.example.com/v1/items", origin: "http://localhost:5173", method: "GET", credentials: "omit", mode: "cors",
			headers: []diagnose.Header{{Name: "Accept", Value: "application/json"}, {Name: "Authorization", Value: "Bearer t"}},
			dropped: []string{"User-Agent", "Accept-Language", "Sec-Fetch-Mode", "Referer"}},
		{name: "chromium fetch (Node.js)", in: "fetch(\"https://api.example.com/v1/items\", {\n  \"headers\": {\n    \"cookie\": \"sid=1\",\n    \"x-api-key\": \"k1\"\n  },\n  \"body\": null,\n  \"method\": \"GET\"\n});",
			source: SourceFetch, url: "https://api.example.com/v1/items", method: "GET", credentials: "include",
			headers: []diagnose.Header{{Name: "x-api-key", Value: "k1"}}, dropped: []string{"cookie"}, missing: []string{"origin"}},
		{name: "devtools h2", in: devtoolsH2, source: SourceDevtools, url: "https://api.example.com/v1/items?x=1", origin: "https://app.example.com", method: "PUT",
			headers: []diagnose.Header{{Name: "content-type", Value: "application/json"}, {Name: "x-api-key", Value: "k1"}},
			dropped: []string{"accept", "origin", "sec-fetch-mode"}, missing: []string{"credentials"}},
		{name: "devtools raw", in: devtoolsRaw, source: SourceDevtools, url: "http://api.example.com/v1/items", origin: "http://localhost:3000", method: "PUT", credentials: "include",
			headers: []diagnose.Header{{Name: "Content-Type", Value: "application/json"}},
			dropped: []string{"Host", "Origin", "Cookie", "Accept"}},
		{name: "devtools panel", in: devtoolsPanel, source: SourceDevtools, origin: "https://app.example.com",
			headers: []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "X-Api-Key", Value: "k1"}},
			dropped: []string{"Origin"}, missing: []string{"url", "credentials"}},
		{name: "devtools preflight", in: devtoolsPreflight, source: SourceDevtools, url: "https://api.example.com/v1/items", origin: "https://app.example.com", method: "PUT",
			headers: []diagnose.Header{{Name: "content-type"}, {Name: "x-api-key"}},
			dropped: []string{"Host", "Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}, missing: []string{"headers", "credentials"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			r := res.Request
			if res.Source != tc.source || r.URL != tc.url || r.Origin != tc.origin || r.Method != tc.method || r.Credentials != tc.credentials || r.Mode != tc.mode || r.Body != tc.body {
				t.Errorf("got source %s url %q origin %q method %q credentials %q mode %q body %q", res.Source, r.URL, r.Origin, r.Method, r.Credentials, r.Mode, r.Body)
			}
			if !equalHeaders(r.Headers, tc.headers) {
				t.Errorf("headers %+v\nwant %+v", r.Headers, tc.headers)
			}
			var dropped []string
			for _, d := range res.Dropped {
				dropped = append(dropped, d.Name)
				if d.Why == "" {
					t.Errorf("dropped %s without a why", d.Name)
				}
				if strings.EqualFold(d.Name, "cookie") && d.Value != "" {
					t.Errorf("cookie value echoed: %q", d.Value)
				}
			}
			if strings.Join(dropped, ",") != strings.Join(tc.dropped, ",") {
				t.Errorf("dropped %v\nwant %v", dropped, tc.dropped)
			}
			var missing []string
			for _, m := range res.Missing {
				missing = append(missing, m.Field)
			}
			if strings.Join(missing, ",") != strings.Join(tc.missing, ",") {
				t.Errorf("missing %v, want %v", missing, tc.missing)
			}
			// What Parse gives must be a request the engine accepts
			// whenever nothing is missing but credentials.
			if tc.url != "" && tc.origin != "" {
				if _, err := diagnose.Prepare(r); err != nil {
					t.Errorf("Prepare: %v", err)
				}
			}
		})
	}
}

func equalHeaders(a, b []diagnose.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestMixed pastes a console line and a command together: the command
// gives the request, the line the reason.
func TestMixed(t *testing.T) {
	in := "Access to fetch at 'https://api.example.com/v1/items' from origin 'https://app.example.com' has been blocked by CORS policy: Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.\n\n" + chromiumFetch
	res, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != SourceFetch || res.Reason != "CORSMethodNotFound" || res.Request.Method != "DELETE" || res.Request.Origin != "https://app.example.com" || len(res.Console) != 1 {
		t.Errorf("got %+v", res)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty", " \n ", "nothing was pasted"},
		{"prose", "my API does not work, please help", "does not recognise"},
		{"too large", strings.Repeat("a", MaxInput+1), "at most"},
		{"not utf-8", "curl '\xff'", "not UTF-8"},
		{"curl without URL", "curl -H 'a: b'", "has no URL"},
		{"open quote", "curl 'https://x", "not closed"},
		{"fetch with variable URL", "fetch(url, {method: 'PUT'})", "expression"},
		{"fetch not closed", `fetch("https://x", {"method": "PUT`, "not closed"},
		{"template literal", "fetch(`https://${host}/x`)", "template literal"},
		{"powershell without uri", "Invoke-WebRequest -Method PUT", "no -Uri"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(tc.in)
			var ie *Error
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %+v, %v; want an *Error containing %q", res, err, tc.want)
			}
			if tc.name == "prose" && !errors.Is(err, ErrUnrecognised) {
				t.Errorf("not ErrUnrecognised")
			}
		})
	}
}

// TestFetchIsNotEvaluated: expressions stay text and land in missing.
func TestFetchIsNotEvaluated(t *testing.T) {
	res, err := Parse(`fetch('https://api.example.com/x', {method: 'POST', headers: {'X-Token': token}, body: JSON.stringify({a: (1, 2)}), credentials: 'include'})`)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Request
	if r.Method != "POST" || r.Body != "" || r.Credentials != "include" || !equalHeaders(r.Headers, []diagnose.Header{{Name: "X-Token"}}) {
		t.Errorf("got %+v", r)
	}
	if !hasMissing(res, "body") || !hasMissing(res, "headers") || !hasMissing(res, "origin") {
		t.Errorf("missing %+v", res.Missing)
	}
}

// BenchmarkParseLarge bounds the time of the largest input.
func BenchmarkParseLarge(b *testing.B) {
	// The most words a command may have, in the largest input.
	in := "curl 'https://api.example.com/' " + strings.Repeat("-H 'x-a: b' ", maxWords/2-3)
	in += "--data-raw '" + strings.Repeat("x", MaxInput-len(in)-20) + "'"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}
