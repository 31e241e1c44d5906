package contract

import (
	"reflect"
	"strings"
	"testing"

	"corsdoctor/diagnose"
)

// both is an expectation for every browser the engine judges.
func both(be BrowserExpect) Expect {
	out := Expect{}
	for _, b := range KnownBrowsers() {
		out[b] = be
	}
	return out
}

func TestParseSimplestForm(t *testing.T) {
	// The example, exactly as written there.
	src := `origin: https://app.example.com          # the page origin for every case unless a case sets its own
cases:
  - name: save item                      # optional
    url: https://api.example.com/items/42
    method: PUT
    headers: {Authorization: Bearer x, Content-Type: application/json}
    credentials: include                 # omit | same-origin | include
    expect: allowed                      # or blocked, or per browser: {firefox: allowed, chromium: blocked}
`
	pol, err := Parse("policy.yaml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Case{{
		Name: "save item", Line: 3,
		Request: diagnose.Request{URL: "https://api.example.com/items/42", Origin: "https://app.example.com", Method: "PUT",
			Headers:     []diagnose.Header{{Name: "Authorization", Value: "Bearer x"}, {Name: "Content-Type", Value: "application/json"}},
			Credentials: "include"},
		Expect: both(BrowserExpect{Verdict: diagnose.Allowed}),
	}}
	assertCases(t, pol.Cases, want)
}

// assertCases compares every field a case has but the prepared request,
// which is checked to hold the same request.
func assertCases(t *testing.T, got, want []Case) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d cases, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if g.prep.Request().URL != g.Request.URL {
			t.Errorf("case %d: prepared URL %q, request URL %q", i, g.prep.Request().URL, g.Request.URL)
		}
		g.prep = diagnose.Prepared{}
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("case %d:\ngot  %+v\nwant %+v", i, g, want[i])
		}
	}
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Case
	}{
		{
			name: "per-browser expect, reason and exposed",
			src: `origin: https://app.example.com
cases:
  - url: https://api.example.com/a
    expect: {firefox: allowed, chromium: blocked}
  - url: https://api.example.com/b
    expect: {verdict: blocked, reason: CORSMissingAllowOrigin}
  - url: https://api.example.com/c
    expect: {exposed: [X-Total]}
  - url: https://api.example.com/d
    expect:
      chromium: {reason: CORSAllowOriginNotMatchingOrigin}
  - url: https://api.example.com/e
    expect: {verdict: allowed, firefox: blocked}
`,
			want: []Case{
				{Name: "GET https://api.example.com/a from https://app.example.com", Line: 3,
					Request: diagnose.Request{URL: "https://api.example.com/a", Origin: "https://app.example.com"},
					Expect:  Expect{"firefox": {Verdict: "allowed"}, "chromium": {Verdict: "blocked"}}},
				{Name: "GET https://api.example.com/b from https://app.example.com", Line: 5,
					Request: diagnose.Request{URL: "https://api.example.com/b", Origin: "https://app.example.com"},
					Expect:  both(BrowserExpect{Verdict: "blocked", Reason: "CORSMissingAllowOrigin"})},
				{Name: "GET https://api.example.com/c from https://app.example.com", Line: 7,
					Request: diagnose.Request{URL: "https://api.example.com/c", Origin: "https://app.example.com"},
					Expect:  both(BrowserExpect{Verdict: "allowed", Exposed: []string{"X-Total"}})},
				{Name: "GET https://api.example.com/d from https://app.example.com", Line: 9,
					Request: diagnose.Request{URL: "https://api.example.com/d", Origin: "https://app.example.com"},
					Expect:  Expect{"chromium": {Verdict: "blocked", Reason: "CORSAllowOriginNotMatchingOrigin"}}},
				{Name: "GET https://api.example.com/e from https://app.example.com", Line: 12,
					Request: diagnose.Request{URL: "https://api.example.com/e", Origin: "https://app.example.com"},
					Expect:  Expect{"firefox": {Verdict: "blocked"}, "chromium": {Verdict: "allowed"}}},
			},
		},
		{
			name: "defaults, base_url, endpoints, header merge and removal, origin null",
			src: `base_url: https://api.example.com/v1/
endpoints:
  cdn: https://cdn.example.com
defaults:
  origin: https://app.example.com
  method: POST
  headers: {Authorization: Bearer x, X-Trace: "1"}
  credentials: include
  expect: blocked
cases:
  - url: /items
    headers: {X-Trace: ~, Content-Type: text/plain}
  - url: img.png
    endpoint: cdn
    method: GET
    origin: null
    headers: {Authorization: "", X-Trace: "2"}
    expect: allowed
`,
			want: []Case{
				{Name: "POST https://api.example.com/v1/items from https://app.example.com (include; Authorization, Content-Type)", Line: 11,
					Request: diagnose.Request{URL: "https://api.example.com/v1/items", Origin: "https://app.example.com", Method: "POST",
						Headers: []diagnose.Header{{Name: "Authorization", Value: "Bearer x"}, {Name: "Content-Type", Value: "text/plain"}}, Credentials: "include"},
					Expect: both(BrowserExpect{Verdict: "blocked"})},
				{Name: "GET https://cdn.example.com/img.png from null (include; Authorization, X-Trace)", Line: 13,
					Request: diagnose.Request{URL: "https://cdn.example.com/img.png", Origin: "null", Method: "GET",
						Headers: []diagnose.Header{{Name: "Authorization", Value: ""}, {Name: "X-Trace", Value: "2"}}, Credentials: "include"},
					Expect: both(BrowserExpect{Verdict: "allowed"})},
			},
		},
		{
			name: "matrix with where overrides",
			src: `origin: https://app.example.com
endpoints:
  api: https://api.example.com
matrix:
  - name: items
    endpoints: [api]
    paths: [/items]
    origins: [https://app.example.com, https://evil.example]
    methods: [GET, PUT]
    headers: [{}, {Authorization: Bearer x}]
    expect: allowed
    where:
      - {origin: https://evil.example, expect: blocked}
      - {origin: https://evil.example, method: GET, expect: {chromium: blocked}}
`,
			want: func() []Case {
				var out []Case
				for _, o := range []string{"https://app.example.com", "https://evil.example"} {
					for _, m := range []string{"GET", "PUT"} {
						for _, h := range [][]diagnose.Header{nil, {{Name: "Authorization", Value: "Bearer x"}}} {
							r := diagnose.Request{URL: "https://api.example.com/items", Origin: o, Method: m, Headers: h}
							e := both(BrowserExpect{Verdict: "allowed"})
							if o == "https://evil.example" {
								e = both(BrowserExpect{Verdict: "blocked"})
								if m == "GET" {
									e = Expect{"chromium": {Verdict: "blocked"}}
								}
							}
							out = append(out, Case{Name: "items: " + describe(r), Line: 5, Request: r, Expect: e})
						}
					}
				}
				return out
			}(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := Parse("p.yaml", []byte(tc.src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			assertCases(t, pol.Cases, tc.want)
		})
	}
}

func TestParseErrors(t *testing.T) {
	const head = "origin: https://app.example.com\ncases:\n"
	tests := []struct {
		name string
		src  string
		opt  Options
		want []string // every error, in order
	}{
		{"misspelt verdict", head + "  - url: https://a.example/\n    expect: alowed\n",
			Options{}, []string{`p.yaml:4: cases[0].expect: want allowed, blocked or a per-browser map, got "alowed" (did you mean allowed?)`}},
		{"unknown browser lists the known ones", head + "  - url: https://a.example/\n    expect: {safri: allowed}\n",
			Options{}, []string{`p.yaml:4: cases[0].expect.safri: unknown browser; known browsers: ` + strings.Join(KnownBrowsers(), ", ") + ` (or verdict:, reason:, exposed: for all of them)`}},
		{"unknown key with suggestion", head + "  - url: https://a.example/\n    methd: PUT\n    expect: allowed\n",
			Options{}, []string{`p.yaml:4: cases[0].methd: unknown key (did you mean method?); known keys here: name, url, endpoint, origin, method, headers, credentials, mode, body, use_preflight, expect`}},
		{"unknown top-level key", "orign: https://app.example.com\ncases: []\n",
			Options{}, []string{`p.yaml:1: orign: unknown key (did you mean origin?); known keys here: origin, base_url, endpoints, defaults, cases, matrix`}},
		{"YAML syntax error names the line", head + "  - url: https://a.example/\n    expect: [allowed\n",
			Options{}, []string{`p.yaml:3: not valid YAML: did not find expected ',' or ']' (on this line or the next)`}},
		{"tab indentation", head + "  - url: https://a.example/\n\texpect: allowed\n",
			Options{}, []string{`p.yaml:4: not valid YAML: found a tab character that violates indentation (indent with spaces)`}},
		{"empty file", "", Options{}, []string{`p.yaml: the file is empty; it needs at least cases: or matrix:`}},
		{"not a mapping", "- a\n- b\n", Options{}, []string{`p.yaml:1: the file must be a mapping with cases: or matrix: at the top, got a list`}},
		{"no cases", "origin: https://app.example.com\n", Options{}, []string{`p.yaml:1: no cases: and no matrix:; a policy file needs at least one case`}},
		{"missing expect", head + "  - url: https://a.example/\n",
			Options{}, []string{`p.yaml:3: cases[0]: no expect: (allowed, blocked or per browser), here or under defaults; or write one with --record`}},
		{"bad origin from the engine, on the origin's line", "cases:\n  - url: https://a.example/\n    origin: https://app.example.com/\n    expect: allowed\n",
			Options{}, []string{`p.yaml:3: cases[0]: origin: "https://app.example.com/" has a trailing slash; an origin is only scheme, host and port (type https://app.example.com)`}},
		{"bad method on its line", head + "  - url: https://a.example/\n    method: GE T\n    expect: allowed\n",
			Options{}, []string{`p.yaml:4: cases[0]: method: "GE T" is not a valid HTTP method token (use a method such as GET, POST, PUT, PATCH or DELETE)`}},
		{"unknown reason", head + "  - url: https://a.example/\n    expect: {reason: CORSMissingAllowOrign}\n",
			Options{}, []string{`p.yaml:4: cases[0].expect.reason: unknown reason "CORSMissingAllowOrign" (did you mean CORSMissingAllowOrigin?) (the reasons are listed in README, e.g. CORSMissingAllowOrigin)`}},
		{"reason with allowed", head + "  - url: https://a.example/\n    expect: {verdict: allowed, reason: CORSMissingAllowOrigin}\n",
			Options{}, []string{`p.yaml:4: cases[0].expect.reason: a reason goes with blocked, not allowed`}},
		{"relative url without base", head + "  - url: /items\n    expect: allowed\n",
			Options{}, []string{`p.yaml:3: cases[0]: url "/items" is not absolute and the file has no base_url: or endpoints:; write https://host/items or set base_url`}},
		{"unknown endpoint", "origin: https://app.example.com\nendpoints: {api: https://api.example.com}\ncases:\n  - {url: /x, endpoint: apj, expect: allowed}\n",
			Options{}, []string{`p.yaml:4: cases[0]: endpoint "apj" is not defined (did you mean api?); endpoints: api`}},
		{"bad credentials", head + "  - url: https://a.example/\n    credentials: yes\n    expect: allowed\n",
			Options{}, []string{`p.yaml:4: cases[0]: credentials: unknown credentials mode "yes" (use omit, same-origin or include)`}},
		{"duplicate names", head + "  - {name: a, url: https://a.example/, expect: allowed}\n  - {name: a, url: https://b.example/, expect: allowed}\n",
			Options{}, []string{`p.yaml:4: two cases are named "a" (the other is on line 3); names must be unique so runs can be compared`}},
		{"duplicate key", head + "  - url: https://a.example/\n    url: https://b.example/\n    expect: allowed\n",
			Options{}, []string{`p.yaml:4: cases[0].url: given twice`}},
		{"aliases refused", "origin: &o https://app.example.com\ncases:\n  - {url: https://a.example/, origin: *o, expect: allowed}\n",
			Options{}, []string{`p.yaml:3: YAML aliases (*o) are not supported; put shared values under defaults:`}},
		{"two documents", head + "  - {url: https://a.example/, expect: allowed}\n---\ncases: []\n",
			Options{}, []string{`p.yaml:4: a second YAML document (---); a policy file holds one`}},
		{"matrix too big", "origin: https://app.example.com\nmatrix:\n  - paths: [" + strings.Repeat("https://a.example/,", 50) + "]\n    origins: [" + strings.Repeat("https://b.example,", 50) + "]\n    expect: allowed\n",
			Options{}, []string{`p.yaml:3: matrix[0]: expands to 2500 cases; the limit is 2000`}},
		{"matrix without paths", "origin: https://app.example.com\nmatrix:\n  - {origins: [https://b.example], expect: allowed}\n",
			Options{}, []string{`p.yaml:3: matrix[0]: no paths: (the URLs or paths every combination is sent to)`}},
		{"empty expect", head + "  - url: https://a.example/\n    expect: {}\n",
			Options{}, []string{`p.yaml:4: cases[0].expect: an empty expect checks nothing; want allowed, blocked or a per-browser map`}},
		{"where that matches nothing", "origin: https://app.example.com\nmatrix:\n  - paths: [https://a.example/]\n    origins: [https://b.example]\n    expect: allowed\n    where:\n      - {origin: https://b.example/, expect: blocked}\n",
			Options{}, []string{`p.yaml:7: matrix[0].where[0]: matches no combination of this matrix (check its values against the lists)`}},
		{"several errors at once", head + "  - {url: https://a.example/, expect: alowed}\n  - {url: https://a.example/, expect: blockd}\n",
			Options{}, []string{`p.yaml:3: cases[0].expect: want allowed, blocked or a per-browser map, got "alowed" (did you mean allowed?)`,
				`p.yaml:4: cases[1].expect: want allowed, blocked or a per-browser map, got "blockd" (did you mean blocked?)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := Parse("p.yaml", []byte(tc.src), tc.opt)
			if err == nil {
				t.Fatalf("no error; cases %+v", pol.Cases)
			}
			var got []string
			for _, pe := range ParseErrors(err) {
				got = append(got, pe.Error())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors:\ngot  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestParseRecordAllowsNoExpect(t *testing.T) {
	pol, err := Parse("p.yaml", []byte("origin: https://app.example.com\ncases:\n  - url: https://a.example/\n"), Options{NoExpect: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pol.Cases) != 1 || pol.Cases[0].Expect != nil {
		t.Fatalf("cases %+v, want one without expect", pol.Cases)
	}
}
