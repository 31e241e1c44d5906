package diagnose

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// inputErr asserts that err is an *InputError for field whose message
// contains msg and whose hint contains hint.
func inputErr(t *testing.T, err error, field, msg, hint string) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error = %v (%T), want *InputError", err, err)
	}
	if ie.Field != field || !strings.Contains(ie.Message, msg) || !strings.Contains(ie.Hint, hint) {
		t.Errorf("InputError{Field: %q, Message: %q, Hint: %q}, want field %q, message containing %q, hint containing %q",
			ie.Field, ie.Message, ie.Hint, field, msg, hint)
	}
	if !IsInputError(err) {
		t.Errorf("IsInputError(%v) = false", err)
	}
}

func TestParseOrigin(t *testing.T) {
	tests := []struct {
		in   string
		want string
		// For errors: a part of the message and of the hint.
		errMsg, errHint string
	}{
		{in: "https://app.example.com", want: "https://app.example.com"},
		{in: "  https://app.example.com\t", want: "https://app.example.com"},
		{in: "https://app.example.com/", errMsg: "has a trailing slash", errHint: "type https://app.example.com"},
		{in: "https://app.example.com/login", errMsg: "has a path", errHint: "type https://app.example.com"},
		{in: "https://app.example.com?x=1", errMsg: "has a path", errHint: "type https://app.example.com"},
		{in: "https://app.example.com#top", errMsg: "has a path", errHint: "type https://app.example.com"},
		{in: "app.example.com", errMsg: "has no scheme", errHint: "https://app.example.com"},
		{in: "app.example.com/", errMsg: "has no scheme", errHint: "https://app.example.com"},
		{in: "HTTPS://App.Example.COM", want: "https://app.example.com"},
		{in: "http://example.com:80", want: "http://example.com"},
		{in: "https://example.com:443", want: "https://example.com"},
		{in: "https://example.com:0443", want: "https://example.com"},
		{in: "https://example.com:80", want: "https://example.com:80"},
		{in: "http://localhost:3000", want: "http://localhost:3000"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://[::1]:3000", want: "http://[::1]:3000"},
		{in: "http://[0:0:0:0:0:0:0:1]", want: "http://[::1]"},
		{in: "http://[2001:DB8::1]", want: "http://[2001:db8::1]"},
		{in: "https://bücher.example", want: "https://xn--bcher-kva.example"},
		{in: "https://BÜCHER.example", want: "https://xn--bcher-kva.example"},
		{in: "https://xn--bcher-kva.example", want: "https://xn--bcher-kva.example"},
		{in: "https://example.com.", want: "https://example.com."},
		// Hosts browsers accept although DNS rules would not, and more;
		// the rows were checked with new URL() in Chromium 156 and Firefox
		// 153 (the 253-character cap aside, which browsers do not apply),
		// and differential's TestOriginParsingAgrees re-checks them.
		{in: "http://my_api:8080", want: "http://my_api:8080"},
		{in: "http://-a.example", want: "http://-a.example"},
		{in: "http://ab--c.example", want: "http://ab--c.example"},
		{in: "http://a$b", want: "http://a$b"},
		{in: "http://\uff0e", want: "http://."},
		{in: "http://a\u3002", want: "http://a."},
		// A last label that is a number makes the host an IPv4 address,
		// after mapping ("8\ufe08" is "8").
		{in: "http://8\ufe08", want: "http://0.0.0.8"},
		{in: "http://a.1", errMsg: "not a valid one"},
		{in: "http://1.2.3.999", errMsg: "not a valid one"},
		{in: "http://foo.0x", errMsg: "not a valid one"},
		{in: "http://a*b", errMsg: "contains \"*\""},
		{in: "http://\ufe38", errMsg: "contains \"}\""},
		{in: "http://" + strings.Repeat("a", 250) + ".example", errMsg: "a DNS name has at most 253"},
		{in: "http://" + strings.Repeat("a", 245) + ".example.", want: "http://" + strings.Repeat("a", 245) + ".example."},
		{in: "http://xn--a", errMsg: "not a valid domain name"},
		{in: "http://[::ffff:127.0.0.1]:8080", want: "http://[::ffff:7f00:1]:8080"},
		{in: "http://[1:0:0:2:0:0:0:3]", want: "http://[1:0:0:2::3]"},
		{in: "http://[1:0:1:0:1:0:1:0]", want: "http://[1:0:1:0:1:0:1:0]"},
		{in: "http://[::]", want: "http://[::]"},
		{in: "http://[1::]", want: "http://[1::]"},
		{in: "null", want: "null"},
		{in: "file:///home/me/index.html", errMsg: "opaque origin", errHint: "type null"},
		{in: "ftp://files.example", errMsg: "not a web origin", errHint: "http:// or https://"},
		{in: "https://user:pw@app.example.com", errMsg: "no user name or password", errHint: "remove the user:pass@ part"},
		{in: "http://example.com:0", errMsg: "out of range"},
		{in: "http://example.com:65536", errMsg: "out of range"},
		{in: "", errMsg: "empty", errHint: "https://app.example.com"},
		{in: "   ", errMsg: "empty"},
		{in: "https://", errMsg: "the host is empty"},
		{in: "https://" + strings.Repeat("a", 2100) + ".example", errMsg: "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseOrigin(tc.in)
			if tc.errMsg != "" {
				if err == nil {
					t.Fatalf("ParseOrigin(%q) = %q, want an error containing %q", tc.in, got, tc.errMsg)
				}
				inputErr(t, err, "origin", tc.errMsg, tc.errHint)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			// A serialised origin parses to itself.
			if again, err := ParseOrigin(got); err != nil || again != got {
				t.Errorf("ParseOrigin(%q) = %q, %v; want it unchanged", got, again, err)
			}
		})
	}
}

func TestNormalizeMethod(t *testing.T) {
	tests := []struct {
		in, want string
		errMsg   string
	}{
		// fetch() upper-cases only these six (#concept-method-normalize).
		{in: "get", want: "GET"},
		{in: "Get", want: "GET"},
		{in: "head", want: "HEAD"},
		{in: "post", want: "POST"},
		{in: "put", want: "PUT"},
		{in: "Delete", want: "DELETE"},
		{in: "options", want: "OPTIONS"},
		// Everything else is sent as written.
		{in: "patch", want: "patch"},
		{in: "PATCH", want: "PATCH"},
		{in: "Patch", want: "Patch"},
		{in: "M-SEARCH", want: "M-SEARCH"},
		{in: " PUT ", want: "PUT"},
		// Forbidden methods make fetch() throw.
		{in: "CONNECT", errMsg: "forbidden method CONNECT"},
		{in: "connect", errMsg: "forbidden method CONNECT"},
		{in: "trace", errMsg: "forbidden method TRACE"},
		{in: "TRACK", errMsg: "forbidden method TRACK"},
		// Not a token.
		{in: "GE T", errMsg: "not a valid HTTP method token"},
		{in: "GET(", errMsg: "not a valid HTTP method token"},
		{in: "PÜT", errMsg: "not a valid HTTP method token"},
		{in: "", errMsg: "not a valid HTTP method token"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizeMethod(tc.in)
			if tc.errMsg != "" {
				if err == nil {
					t.Fatalf("NormalizeMethod(%q) = %q, want an error", tc.in, got)
				}
				inputErr(t, err, "method", tc.errMsg, "")
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("NormalizeMethod(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestDecidePreflight(t *testing.T) {
	h := func(kv ...string) []Header {
		var out []Header
		for i := 0; i < len(kv); i += 2 {
			out = append(out, Header{kv[i], kv[i+1]})
		}
		return out
	}
	// Nine separate Accept-Language entries of 120 bytes: each safelisted,
	// 1080 bytes together.
	var nine []Header
	for range 9 {
		nine = append(nine, Header{"Accept-Language", strings.Repeat("a", 120)})
	}
	tests := []struct {
		name    string
		method  string
		headers []Header
		flag    bool
		// reasons as "kind:name"; the decision requires a preflight unless
		// it is exactly "none:".
		reasons string
		unsafe  []string
	}{
		{name: "simple GET", method: "GET", reasons: "none:"},
		{name: "simple HEAD", method: "HEAD", reasons: "none:"},
		{name: "POST with a form type", method: "POST", headers: h("Content-Type", "application/x-www-form-urlencoded"), reasons: "none:"},
		{name: "POST multipart with a boundary", method: "POST", headers: h("Content-Type", "multipart/form-data; boundary=x"), reasons: "none:"},
		{name: "text/plain with charset", method: "POST", headers: h("Content-Type", "text/plain;charset=UTF-8"), reasons: "none:"},
		{name: "PUT", method: "PUT", reasons: "method:PUT"},
		{name: "patch stays lower-case", method: "patch", reasons: "method:patch"},
		{name: "custom header", method: "GET", headers: h("X-Custom", "1"), reasons: "header:x-custom", unsafe: []string{"x-custom"}},
		{name: "Authorization", method: "GET", headers: h("Authorization", "Bearer t"), reasons: "header:authorization", unsafe: []string{"authorization"}},
		{name: "method and headers, names sorted", method: "PUT", headers: h("X-B", "1", "X-A", "1"),
			reasons: "method:PUT,header:x-b,header:x-a", unsafe: []string{"x-a", "x-b"}},
		{name: "the same header twice counts once", method: "GET", headers: h("X-A", "1", "x-a", "2"), reasons: "header:x-a", unsafe: []string{"x-a"}},
		{name: "use-CORS-preflight flag", method: "GET", flag: true, reasons: "flag:"},
		{name: "Accept of 128 bytes", method: "GET", headers: h("Accept", strings.Repeat("a", 128)), reasons: "none:"},
		{name: "Accept of 129 bytes", method: "GET", headers: h("Accept", strings.Repeat("a", 129)), reasons: "header:accept", unsafe: []string{"accept"}},
		{name: "Accept with a CORS-unsafe byte", method: "GET", headers: h("Accept", "text/{x}"), reasons: "header:accept", unsafe: []string{"accept"}},
		{name: "separate entries over 1024 bytes in total", method: "GET", headers: nine, reasons: "total-size:accept-language", unsafe: []string{"accept-language"}},
		{name: "total of exactly 1024 bytes is fine", method: "GET",
			headers: h("Accept", strings.Repeat("a", 128), "Accept", strings.Repeat("a", 128), "Accept", strings.Repeat("a", 128), "Accept", strings.Repeat("a", 128),
				"Accept", strings.Repeat("a", 128), "Accept", strings.Repeat("a", 128), "Accept", strings.Repeat("a", 128), "Accept", strings.Repeat("a", 128)),
			reasons: "none:"},
		{name: "application/json", method: "POST", headers: h("Content-Type", "application/json"), reasons: "header:content-type", unsafe: []string{"content-type"}},
		{name: "Content-Type with a quote", method: "POST", headers: h("Content-Type", `text/plain; charset="utf-8"`), reasons: "header:content-type", unsafe: []string{"content-type"}},
		{name: "Content-Type that is not a MIME type", method: "POST", headers: h("Content-Type", "text"), reasons: "header:content-type", unsafe: []string{"content-type"}},
		{name: "Accept-Language with a colon", method: "GET", headers: h("Accept-Language", "en:US"), reasons: "header:accept-language", unsafe: []string{"accept-language"}},
		{name: "Content-Language with safe bytes", method: "GET", headers: h("Content-Language", "en-US, fr;q=0.5"), reasons: "none:"},
		{name: "Range bytes=0-", method: "GET", headers: h("Range", "bytes=0-"), reasons: "none:"},
		{name: "Range bytes=0-10", method: "GET", headers: h("Range", "bytes=0-10"), reasons: "none:"},
		{name: "Range bytes=10-5", method: "GET", headers: h("Range", "bytes=10-5"), reasons: "header:range", unsafe: []string{"range"}},
		{name: "Range bytes=-5", method: "GET", headers: h("Range", "bytes=-5"), reasons: "header:range", unsafe: []string{"range"}},
		{name: "Range with two ranges", method: "GET", headers: h("Range", "bytes=0-1,3-4"), reasons: "header:range", unsafe: []string{"range"}},
		{name: "Range with a space", method: "GET", headers: h("Range", "bytes= 0-1"), reasons: "header:range", unsafe: []string{"range"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DecidePreflight(tc.method, tc.headers, tc.flag)
			var got []string
			for _, r := range d.Reasons {
				got = append(got, r.Kind+":"+r.Name)
				if r.Detail == "" {
					t.Errorf("reason %s:%s has no detail", r.Kind, r.Name)
				}
			}
			if strings.Join(got, ",") != tc.reasons {
				t.Errorf("reasons = %q, want %q", strings.Join(got, ","), tc.reasons)
			}
			if wantReq := tc.reasons != "none:"; d.Required != wantReq {
				t.Errorf("Required = %v, want %v", d.Required, wantReq)
			}
			if !slices.Equal(d.UnsafeHeaders, tc.unsafe) && (len(d.UnsafeHeaders) != 0 || len(tc.unsafe) != 0) {
				t.Errorf("UnsafeHeaders = %q, want %q", d.UnsafeHeaders, tc.unsafe)
			}
		})
	}
}

func TestParseTokenList(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		invalid string
	}{
		{in: "", want: nil},
		{in: "GET", want: []string{"GET"}},
		{in: "GET, POST,PUT", want: []string{"GET", "POST", "PUT"}},
		{in: " , ,PUT,, \t", want: []string{"PUT"}},
		{in: "a,\tb", want: []string{"a", "b"}},
		{in: "*", want: []string{"*"}},
		{in: "GET POST", invalid: "GET POST"},
		{in: "PUT, xyz;", want: []string{"PUT"}, invalid: "xyz;"},
		{in: `"PUT"`, invalid: `"PUT"`},
		{in: "X-A, X B, X;C", want: []string{"X-A"}, invalid: "X B"},
		{in: "X-Ä", invalid: "X-Ä"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, invalid := parseTokenList(tc.in)
			if !slices.Equal(got, tc.want) || invalid != tc.invalid {
				t.Errorf("parseTokenList(%q) = %q, %q; want %q, %q", tc.in, got, invalid, tc.want, tc.invalid)
			}
		})
	}
}

// bigList is a header value of n tokens "t00000000, t00000001, …".
func bigList(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "t%08d", i)
	}
	return b.String()
}

// TestParseTokenListLinear checks parsing stays linear: a 1 MB value of
// 100,000 tokens keeps every member (dropping one could change a verdict)
// and allocates only for growing the slice, never per member.
func TestParseTokenListLinear(t *testing.T) {
	v := bigList(100_000)
	if len(v) < 1_000_000 {
		t.Fatalf("test value is %d bytes, want at least 1 MB", len(v))
	}
	tokens, invalid := parseTokenList(v)
	if len(tokens) != 100_000 || invalid != "" || tokens[0] != "t00000000" || tokens[99_999] != "t00099999" {
		t.Fatalf("parseTokenList(1 MB) = %d tokens (first %q), invalid %q; want 100000, none invalid", len(tokens), tokens[0], invalid)
	}
	// Appending 100k members grows the slice by doubling: about 30 times.
	if allocs := testing.AllocsPerRun(5, func() { parseTokenList(v) }); allocs > 40 {
		t.Errorf("parseTokenList(1 MB, 100k tokens) allocates %.0f times, want at most 40", allocs)
	}
	// Invalid members cost nothing either: only the first one is kept.
	bad := strings.Repeat("a b,", 250_000)
	if allocs := testing.AllocsPerRun(5, func() { parseTokenList(bad) }); allocs > 0 {
		t.Errorf("parseTokenList(250k invalid members) allocates %.0f times, want 0", allocs)
	}
	if _, inv := parseTokenList(bad); inv != "a b" {
		t.Errorf("invalid = %q, want %q", inv, "a b")
	}
	// One 1 MB member is a single token, parsed without copying.
	one := strings.Repeat("x", 1<<20)
	if allocs := testing.AllocsPerRun(5, func() { parseTokenList(one) }); allocs > 1 {
		t.Errorf("parseTokenList(one 1 MB token) allocates %.0f times, want at most 1", allocs)
	}
}

func TestPrepareErrors(t *testing.T) {
	many := make([]Header, maxInputHeaders+1)
	for i := range many {
		many[i] = Header{"X-H", "1"}
	}
	base := Request{URL: "https://api.example.com/items", Origin: "https://app.example.com"}
	with := func(f func(*Request)) Request { r := base; f(&r); return r }
	tests := []struct {
		name   string
		req    Request
		field  string
		errMsg string
		hint   string
	}{
		{name: "LF inside a value", req: with(func(r *Request) { r.Headers = []Header{{"X-A", "a\nb"}} }), field: "headers", errMsg: "CR, LF or NUL"},
		{name: "CR inside a value", req: with(func(r *Request) { r.Headers = []Header{{"X-A", "a\rb"}} }), field: "headers", errMsg: "CR, LF or NUL"},
		{name: "CRLF injection", req: with(func(r *Request) { r.Headers = []Header{{"X-A", "a\r\nSet-Cookie: x=1"}} }), field: "headers", errMsg: "CR, LF or NUL"},
		{name: "NUL inside a value", req: with(func(r *Request) { r.Headers = []Header{{"X-A", "a\x00b"}} }), field: "headers", errMsg: "CR, LF or NUL"},
		{name: "space in a name", req: with(func(r *Request) { r.Headers = []Header{{"X Foo", "1"}} }), field: "headers", errMsg: "not a valid header name", hint: "Name: value"},
		{name: "colon in a name", req: with(func(r *Request) { r.Headers = []Header{{"X-Foo:", "1"}} }), field: "headers", errMsg: "not a valid header name"},
		{name: "empty name", req: with(func(r *Request) { r.Headers = []Header{{"", "1"}} }), field: "headers", errMsg: "has no name"},
		{name: "too many headers", req: with(func(r *Request) { r.Headers = many }), field: "headers", errMsg: "at most 100"},
		{name: "value too long", req: with(func(r *Request) { r.Headers = []Header{{"X-A", strings.Repeat("a", maxInputHeaderValue+1)}} }), field: "headers", errMsg: "accepts at most"},
		{name: "body with GET", req: with(func(r *Request) { r.Body = "x" }), field: "body", errMsg: "GET/HEAD method cannot have body", hint: "POST"},
		{name: "body with HEAD", req: with(func(r *Request) { r.Method = "head"; r.Body = "x" }), field: "body", errMsg: "cannot have body"},
		{name: "body too large", req: with(func(r *Request) { r.Method = "POST"; r.Body = strings.Repeat("x", maxInputBody+1) }), field: "body", errMsg: "at most"},
		{name: "forbidden method", req: with(func(r *Request) { r.Method = "CONNECT" }), field: "method", errMsg: "forbidden method"},
		{name: "method not a token", req: with(func(r *Request) { r.Method = "GE T" }), field: "method", errMsg: "not a valid HTTP method token"},
		{name: "unknown credentials", req: with(func(r *Request) { r.Credentials = "always" }), field: "credentials", errMsg: "unknown credentials mode", hint: "include"},
		{name: "navigate mode", req: with(func(r *Request) { r.Mode = "navigate" }), field: "mode", errMsg: "unknown request mode", hint: "navigate is not a fetch() mode"},
		{name: "PUT in no-cors", req: with(func(r *Request) { r.Mode = ModeNoCORS; r.Method = "PUT" }), field: "mode", errMsg: "not allowed in no-cors mode"},
		{name: "empty URL", req: with(func(r *Request) { r.URL = "" }), field: "url", errMsg: "empty"},
		{name: "URL without scheme", req: with(func(r *Request) { r.URL = "api.example.com/items" }), field: "url", errMsg: "has no scheme", hint: "https://api.example.com/items"},
		{name: "host:port without scheme", req: with(func(r *Request) { r.URL = "localhost:3000/items" }), field: "url", errMsg: "has no scheme"},
		{name: "URL without host", req: with(func(r *Request) { r.URL = "http:///items" }), field: "url", errMsg: "has no host"},
		{name: "URL with a newline", req: with(func(r *Request) { r.URL = "https://a.example/\nx" }), field: "url", errMsg: "CR, LF or NUL"},
		{name: "URL with a bad port", req: with(func(r *Request) { r.URL = "https://a.example:99999/" }), field: "url", errMsg: "out of range"},
		{name: "origin with a path", req: with(func(r *Request) { r.Origin = "https://app.example.com/x" }), field: "origin", errMsg: "has a path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Prepare(tc.req)
			if err == nil {
				t.Fatalf("Prepare = %+v, want an error", got)
			}
			inputErr(t, err, tc.field, tc.errMsg, tc.hint)
			if got.URL != "" || got.Method != "" || got.Headers != nil {
				t.Errorf("Prepare returned %+v alongside the error, want the zero Request", got)
			}
		})
	}
}

// TestPrepareReportsEveryField: with several fields wrong, Prepare names
// each of them, in the form's order, so a form can mark them all at once.
func TestPrepareReportsEveryField(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  Request
		want []string
	}{
		{name: "everything", req: Request{URL: "api.example.com/items", Origin: "https://app.example.com/x", Method: "GE T",
			Credentials: "always", Headers: []Header{{"X Foo", "1"}}, Mode: "navigate"},
			want: []string{"url", "origin", "method", "credentials", "headers", "mode"}},
		{name: "body and mode follow the method", req: Request{URL: "https://a.example/", Origin: "https://b.example", Method: "PUT", Mode: ModeNoCORS, Body: strings.Repeat("x", maxInputBody+1)},
			want: []string{"body", "mode"}},
		{name: "GET with a body and a bad origin", req: Request{URL: "https://a.example/", Origin: "", Body: "x"},
			want: []string{"origin", "body"}},
		{name: "one field", req: Request{URL: "https://a.example/", Origin: "https://b.example", Headers: []Header{{"", "1"}, {"X Y", "2"}}},
			want: []string{"headers"}}, // one error per field: the first bad header
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Prepare(tc.req)
			var fields []string
			for _, ie := range InputErrors(err) {
				fields = append(fields, ie.Field)
			}
			if !slices.Equal(fields, tc.want) {
				t.Fatalf("fields %v, want %v (error %v)", fields, tc.want, err)
			}
			var first *InputError
			if !errors.As(err, &first) || first.Field != tc.want[0] {
				t.Errorf("errors.As finds %+v, want the %s error first", first, tc.want[0])
			}
		})
	}
	if got := InputErrors(nil); got != nil {
		t.Errorf("InputErrors(nil) = %v", got)
	}
	if got := InputErrors(fmt.Errorf("wrapped: %w", &InputError{Field: "url"})); len(got) != 1 || got[0].Field != "url" {
		t.Errorf("InputErrors of a wrapped error = %v", got)
	}
}

func TestPrepareNormalises(t *testing.T) {
	got, err := Prepare(Request{
		URL:    "HTTPS://API.Example.com:443#frag",
		Origin: "HTTPS://App.Example.com:443",
		Method: "delete",
		Headers: []Header{
			{"X-Trace", "  abc\t"},
			{"Cookie", "s=1"},
			{"Sec-Fetch-Mode", "navigate"},
			{"Proxy-Authorization", "x"},
			{"X-HTTP-Method-Override", "TRACE"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Request{
		URL:         "https://api.example.com/",
		Origin:      "https://app.example.com",
		Method:      "DELETE",
		Headers:     []Header{{"X-Trace", "abc"}},
		Credentials: CredentialsSameOrigin,
		Mode:        ModeCORS,
	}
	if got.URL != want.URL || got.Origin != want.Origin || got.Method != want.Method || !slices.Equal(got.Headers, want.Headers) ||
		got.Credentials != want.Credentials || got.Mode != want.Mode || got.Body != "" || got.UseCORSPreflight {
		t.Errorf("Prepare =\n %+v\nwant\n %+v", got, want)
	}

	p, err := prepare(Request{URL: "ftp://files.example/x", Origin: "null", Method: "POST", Body: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.notHTTP || p.origin != "null" || !slices.Equal(p.headers, []Header{{"Content-Type", "text/plain;charset=UTF-8"}}) {
		t.Errorf("prepare(ftp, null, string body) = notHTTP %v, origin %q, headers %q; want true, null, the fetch() default Content-Type", p.notHTTP, p.origin, p.headers)
	}
	var dropped []string
	pd, err := prepare(Request{URL: "https://a.example/", Origin: "https://b.example", Mode: ModeNoCORS,
		Headers: []Header{{"Accept", "text/plain"}, {"Content-Type", "application/json"}, {"X-A", "1"}, {"Origin", "https://evil.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range pd.dropped {
		dropped = append(dropped, d.Name)
	}
	if !slices.Equal(dropped, []string{"Origin", "Content-Type", "X-A"}) || !slices.Equal(pd.headers, []Header{{"Accept", "text/plain"}}) {
		t.Errorf("no-cors prepare dropped %q and kept %q; want Origin, Content-Type, X-A dropped and Accept kept", dropped, pd.headers)
	}
}

func TestRedact(t *testing.T) {
	rep := &Report{
		Request: Request{Headers: []Header{{"Authorization", "Bearer secret"}, {"X-Api-Key", "k1"}, {"Accept", "*/*"}}},
		Dropped: []DroppedHeader{{Header: Header{"Cookie", "s=1"}, Why: "forbidden"}},
		Exchanges: []Exchange{
			{Request: SentRequest{Headers: []Header{{"Host", "api.example"}, {"Access-Control-Request-Headers", "authorization,x-api-key"}}}},
			{Request: SentRequest{Headers: []Header{{"Host", "api.example"}, {"authorization", "Bearer secret"}, {"x-api-key", "k1"}}}},
		},
		Followups: []Exchange{{Request: SentRequest{Headers: []Header{{"Proxy-Authorization", "Basic x"}, {"Origin", "https://a.example"}}}}},
	}
	names := Redact(rep, []string{" X-API-KEY ", ""})
	if want := []string{"Authorization", "X-Api-Key", "Cookie", "Proxy-Authorization"}; !slices.Equal(names, want) {
		t.Errorf("Redact names = %q, want %q", names, want)
	}
	wantReq := []Header{{"Authorization", Redacted}, {"X-Api-Key", Redacted}, {"Accept", "*/*"}}
	if !slices.Equal(rep.Request.Headers, wantReq) {
		t.Errorf("Request.Headers = %q, want %q", rep.Request.Headers, wantReq)
	}
	if rep.Dropped[0].Value != Redacted || rep.Dropped[0].Why != "forbidden" {
		t.Errorf("Dropped[0] = %+v, want the value redacted and Why kept", rep.Dropped[0])
	}
	// The names listed in Access-Control-Request-Headers are not secrets.
	if want := []Header{{"Host", "api.example"}, {"Access-Control-Request-Headers", "authorization,x-api-key"}}; !slices.Equal(rep.Exchanges[0].Request.Headers, want) {
		t.Errorf("preflight headers = %q, want %q", rep.Exchanges[0].Request.Headers, want)
	}
	if want := []Header{{"Host", "api.example"}, {"authorization", Redacted}, {"x-api-key", Redacted}}; !slices.Equal(rep.Exchanges[1].Request.Headers, want) {
		t.Errorf("actual headers = %q, want %q", rep.Exchanges[1].Request.Headers, want)
	}
	if want := []Header{{"Proxy-Authorization", Redacted}, {"Origin", "https://a.example"}}; !slices.Equal(rep.Followups[0].Request.Headers, want) {
		t.Errorf("follow-up headers = %q, want %q", rep.Followups[0].Request.Headers, want)
	}
	// Redacting again finds nothing new.
	if again := Redact(rep, []string{"x-api-key"}); len(again) != 0 {
		t.Errorf("second Redact = %q, want none", again)
	}
}

// TestParseTargetHosts: the endpoint URL's host goes through the same host
// parser as the origin, and comes out as browsers would request it.
func TestParseTargetHosts(t *testing.T) {
	for _, tc := range []struct{ in, want, errMsg string }{
		{in: "http://my_api:8080/x", want: "http://my_api:8080/x"},
		{in: "http://[::ffff:127.0.0.1]/", want: "http://[::ffff:7f00:1]/"},
		{in: "http://8\ufe08/x", want: "http://0.0.0.8/x"},
		{in: "http://0x7f.1:8080", want: "http://127.0.0.1:8080/"},
		// Browsers accept "." as a host and then fail to resolve it; the
		// target policy's dialer answers "no such host" the same way.
		{in: "http://./", want: "http://./"},
		{in: "http://a.1/", errMsg: "not a valid one"},
		{in: "http://%2531.2.3.4/", errMsg: `contains "%"`},
		{in: "a#://0000", errMsg: "has no scheme"},
		{in: "/x?u=http://a", errMsg: "has no scheme"},
	} {
		u, err := parseTarget(tc.in)
		switch {
		case tc.errMsg != "" && (err == nil || !strings.Contains(err.Error(), tc.errMsg)):
			t.Errorf("parseTarget(%q) = %v, %v; want an error containing %q", tc.in, u, err, tc.errMsg)
		case tc.errMsg == "" && (err != nil || u.String() != tc.want):
			t.Errorf("parseTarget(%q) = %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
}
