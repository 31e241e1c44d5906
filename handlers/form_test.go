package handlers

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"corsdoctor/diagnose"
	"corsdoctor/templates"
)

func TestParseHeaderBlock(t *testing.T) {
	tests := []struct {
		name    string
		block   string
		want    []diagnose.Header
		wantErr string
	}{
		{name: "empty", block: "", want: nil},
		{name: "simple", block: "X-A: 1\nX-B:2", want: []diagnose.Header{{Name: "X-A", Value: "1"}, {Name: "X-B", Value: "2"}}},
		{name: "CRLF and blanks", block: "X-A: 1\r\n\r\n  \r\nX-B: two words \r\n", want: []diagnose.Header{{Name: "X-A", Value: "1"}, {Name: "X-B", Value: "two words"}}},
		{name: "value with colons", block: "Authorization: Basic a:b", want: []diagnose.Header{{Name: "Authorization", Value: "Basic a:b"}}},
		{name: "repeats kept", block: "X-A: 1\nx-a: 2", want: []diagnose.Header{{Name: "X-A", Value: "1"}, {Name: "x-a", Value: "2"}}},
		{name: "devtools HTTP/1.1 copy", block: "PUT /items HTTP/1.1\nHost: api.test\nX-A: 1", want: []diagnose.Header{{Name: "Host", Value: "api.test"}, {Name: "X-A", Value: "1"}}},
		{name: "devtools HTTP/2 copy", block: ":authority: api.test\n:method: PUT\n:path: /x\n:scheme: https\naccept: */*", want: []diagnose.Header{{Name: "accept", Value: "*/*"}}},
		{name: "response status line", block: "HTTP/2 200\nX-A: 1", want: []diagnose.Header{{Name: "X-A", Value: "1"}}},
		{name: "no colon", block: "X-A: 1\nX-B 2", wantErr: `line 2, "X-B 2", has no colon`},
		{name: "no name", block: " : 2", wantErr: "line 1 has no header name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseHeaderBlock(tc.block)
			if tc.wantErr != "" {
				var ie *diagnose.InputError
				if !errors.As(err, &ie) || ie.Field != "headers" || !strings.Contains(ie.Message, tc.wantErr) || ie.Hint == "" {
					t.Fatalf("err = %v, want headers error %q with a hint", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		in, want, wantNote string
		max                int
	}{
		{in: "plain text", want: "plain text"},
		{in: "tab\tok", want: "tab\tok"},
		{in: "esc\x1b[0m bell\x07 nul\x00 del\x7f", want: `esc\x1b[0m bell\x07 nul\x00 del\x7f`},
		{in: "bad \xff utf8", want: `bad \xff utf8`},
		{in: "c1 \u0085", want: `c1 \x85`},
		{in: "bidi \u202eevil", want: `bidi \u202eevil`},
		{in: "héllo ✓", want: "héllo ✓"},
		{in: strings.Repeat("a", 10), max: 4, want: "aaaa", wantNote: "… 6 more bytes not shown"},
		{in: "ééé", max: 3, want: "é", wantNote: "… 4 more bytes not shown"},
	}
	for _, tc := range tests {
		got, note := printable(tc.in, tc.max)
		if got != tc.want || note != tc.wantNote {
			t.Errorf("printable(%q, %d) = %q, %q; want %q, %q", tc.in, tc.max, got, note, tc.want, tc.wantNote)
		}
	}
}

func TestCapitalize(t *testing.T) {
	for in, want := range map[string]string{
		"line 2 has no colon":          "Line 2 has no colon",
		"type https://a.test":          "Type https://a.test",
		"fetch() throws a TypeError":   "fetch() throws a TypeError",
		`"x" has no scheme`:            `"x" has no scheme`,
		"":                             "",
		"remove the body, or use POST": "Remove the body, or use POST",
	} {
		if got := capitalize(in); got != want {
			t.Errorf("capitalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// chromiumPutBlock is a "Request Headers" block as Chromium's devtools
// copies it for a fetch() PUT with one header the page set (X-Api-Key)
// and devtools' "Disable cache" on.
const chromiumPutBlock = `:authority: api.example.test
:method: PUT
:path: /items/7?x=1
:scheme: https
accept: */*
accept-encoding: gzip, deflate, br, zstd
accept-language: en-US,en;q=0.9
cache-control: no-cache
content-length: 13
content-type: application/json
origin: https://app.example.test
pragma: no-cache
priority: u=1, i
referer: https://app.example.test/
sec-ch-ua: "Chromium";v="156", "Not)A;Brand";v="24"
sec-ch-ua-mobile: ?0
sec-ch-ua-platform: "Linux"
sec-fetch-dest: empty
sec-fetch-mode: cors
sec-fetch-site: same-site
user-agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36
x-api-key: 1234`

// firefoxPutBlock is Firefox's raw request headers for the same fetch().
const firefoxPutBlock = `PUT /items/7?x=1 HTTP/1.1
Host: api.example.test
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0
Accept: application/json
Accept-Language: en-US,en;q=0.5
Accept-Encoding: gzip, deflate, br, zstd
Content-Type: application/json
X-Api-Key: 1234
Content-Length: 13
Origin: https://app.example.test
Connection: keep-alive
Referer: https://app.example.test/
Sec-Fetch-Dest: empty
Sec-Fetch-Mode: cors
Sec-Fetch-Site: same-site
Priority: u=0
Pragma: no-cache
Cache-Control: no-cache
TE: trailers`

func TestApplyPaste(t *testing.T) {
	tests := []struct {
		name                    string
		form                    templates.FormView
		wantURL, wantMethod     string
		wantOrigin, wantHeaders string
		wantNotices             []string
		wantNoticeAbsent        string
	}{
		{
			name:    "Chromium HTTP/2 block, empty fields",
			form:    templates.FormView{Headers: chromiumPutBlock},
			wantURL: "https://api.example.test/items/7?x=1", wantMethod: "PUT", wantOrigin: "https://app.example.test",
			wantHeaders: "content-type: application/json|x-api-key: 1234",
			wantNotices: []string{"URL comes from the pasted block", "method comes from the pasted block: PUT", "origin comes from the pasted Origin", "user-agent", "sec-ch-ua-platform", "priority", "pragma", "cache-control", "accept-encoding", "referer"},
		},
		{
			name:    "method field left at GET",
			form:    templates.FormView{Headers: chromiumPutBlock, Method: "GET", URL: "https://api.example.test/items/7?x=1", Origin: "https://app.example.test"},
			wantURL: "https://api.example.test/items/7?x=1", wantMethod: "PUT", wantOrigin: "https://app.example.test",
			wantHeaders: "content-type: application/json|x-api-key: 1234",
			wantNotices: []string{"PUT, not the form's default GET"}, wantNoticeAbsent: "URL comes from",
		},
		{
			name:    "typed URL and method win",
			form:    templates.FormView{Headers: chromiumPutBlock, Method: "PATCH", URL: "https://staging.example.test/items/7", Origin: "https://app.example.test"},
			wantURL: "https://staging.example.test/items/7", wantMethod: "PATCH", wantOrigin: "https://app.example.test",
			wantHeaders: "content-type: application/json|x-api-key: 1234",
			wantNotices: []string{"pasted block is for https://api.example.test/items/7?x=1; diagnosing the URL typed", "pasted block says PUT; diagnosing the method typed in the form, PATCH"},
		},
		{
			name:    "Firefox HTTP/1.1 block",
			form:    templates.FormView{Headers: firefoxPutBlock},
			wantURL: "https://api.example.test/items/7?x=1", wantMethod: "PUT", wantOrigin: "https://app.example.test",
			wantHeaders: "Accept: application/json|Content-Type: application/json|X-Api-Key: 1234",
			wantNotices: []string{"User-Agent", "TE", "Connection", "Host"},
		},
		{
			name:    "a preflight's block",
			form:    templates.FormView{Headers: ":authority: api.example.test\n:method: OPTIONS\n:path: /items\n:scheme: https\naccess-control-request-headers: content-type,x-api-key\naccess-control-request-method: DELETE\norigin: https://app.example.test\nsec-fetch-mode: cors"},
			wantURL: "https://api.example.test/items", wantMethod: "DELETE", wantOrigin: "https://app.example.test",
			wantHeaders: "content-type: |x-api-key: ",
			wantNotices: []string{"is a preflight: diagnosing the DELETE request"},
		},
		{
			name:    "hand-typed headers are kept as typed",
			form:    templates.FormView{Headers: "User-Agent: mine/1\nCache-Control: no-cache\nX-A: 1", Method: "GET", URL: "https://a.test/"},
			wantURL: "https://a.test/", wantMethod: "GET",
			wantHeaders: "User-Agent: mine/1|Cache-Control: no-cache|X-A: 1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, notes := applyPaste(tc.form)
			if f.URL != tc.wantURL || f.Method != tc.wantMethod || f.Origin != tc.wantOrigin {
				t.Errorf("URL, method, origin = %q, %q, %q; want %q, %q, %q", f.URL, f.Method, f.Origin, tc.wantURL, tc.wantMethod, tc.wantOrigin)
			}
			req, _, err := toRequest(tc.form)
			if err != nil {
				t.Fatal(err)
			}
			var hs []string
			for _, h := range req.Headers {
				hs = append(hs, h.Name+": "+h.Value)
			}
			if got := strings.Join(hs, "|"); got != tc.wantHeaders {
				t.Errorf("headers %q, want %q", got, tc.wantHeaders)
			}
			if req.URL != tc.wantURL || req.Method != tc.wantMethod || req.Origin != tc.wantOrigin {
				t.Errorf("request %q %q %q, want the form's values", req.Method, req.URL, req.Origin)
			}
			all := strings.Join(notes, " ")
			for _, n := range tc.wantNotices {
				if !strings.Contains(all, n) {
					t.Errorf("notices %q lack %q", all, n)
				}
			}
			if len(tc.wantNotices) == 0 && all != "" {
				t.Errorf("notices %q, want none", all)
			}
			if tc.wantNoticeAbsent != "" && strings.Contains(all, tc.wantNoticeAbsent) {
				t.Errorf("notices %q should not say %q", all, tc.wantNoticeAbsent)
			}
			if pasteNotice(tc.form) != all {
				t.Errorf("pasteNotice differs from applyPaste's notices")
			}
		})
	}
}
