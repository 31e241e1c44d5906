package contract

import (
	"reflect"
	"testing"
	"time"

	"corsdoctor/diagnose"
)

// FuzzParse feeds arbitrary files to the policy parser. It must never
// panic; every error must be a located *ParseError; and every file it
// accepts must survive a recording: the file Record writes for its cases
// parses back into the same requests under the same names.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"origin: https://app.example.com\ncases:\n  - name: save item\n    url: https://api.example.com/items/42\n    method: PUT\n    headers: {Authorization: Bearer x, Content-Type: application/json}\n    credentials: include\n    expect: allowed\n",
		"origin: https://app.example.com\ncases:\n  - url: https://a.example/\n    expect: {firefox: allowed, chromium: {reason: CORSMissingAllowOrigin}}\n",
		"base_url: https://api.example.com\nendpoints: {cdn: https://cdn.example.com}\ndefaults: {origin: null, method: POST, headers: {X-A: \"1\"}, expect: blocked}\ncases:\n  - {url: /x, headers: {X-A: ~}, body: \"a\\r\\nb\"}\n  - {url: y, endpoint: cdn, mode: no-cors, use_preflight: true}\n",
		"origin: https://app.example.com\nmatrix:\n  - name: m\n    paths: [https://a.example/, https://b.example/]\n    origins: [https://app.example.com, https://evil.example]\n    methods: [GET, patch]\n    headers: [{}, {Authorization: x}]\n    credentials: [omit, include]\n    expect: {exposed: [X-Total]}\n    where:\n      - {origin: https://evil.example, expect: blocked}\n",
		"origin: &o https://a.example\ncases: [{url: https://b.example, origin: *o, expect: allowed}]\n",
		"cases:\n\t- url: x\n",
		"origin: https://app.example.com\ncases:\n  - {url: \"https://a.example/\\u0000\", expect: alowed, methd: GET}\n---\nx: 1\n",
		"",
		"[",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pol, err := Parse("f.yaml", data, Options{})
		if err != nil {
			pes := ParseErrors(err)
			if len(pes) == 0 {
				t.Fatalf("error %v has no *ParseError", err)
			}
			for _, pe := range pes {
				if pe.File != "f.yaml" || pe.Line < 0 || pe.Msg == "" {
					t.Fatalf("bad ParseError %+v", pe)
				}
			}
			return
		}
		if len(pol.Cases) == 0 || len(pol.Cases) > MaxCases {
			t.Fatalf("%d cases accepted", len(pol.Cases))
		}
		// A run that found exactly what each case expects (allowed where
		// the case did not say), recorded and parsed back.
		run := &Run{File: "f.yaml", RanAt: time.Unix(0, 0)}
		for _, c := range pol.Cases {
			if c.Name == "" || c.Line < 1 {
				t.Fatalf("case without a name or line: %+v", c)
			}
			r := newResult(c)
			for _, b := range KnownBrowsers() {
				g := Got{Verdict: diagnose.Allowed}
				if e, ok := c.Expect[b]; ok {
					g = Got{Verdict: e.Verdict, Reason: e.Reason, Exposed: e.Exposed}
				}
				r.Got[b] = g
			}
			r.Passed, _ = Check(c.Expect, r.Got)
			if !r.Passed {
				t.Fatalf("a case fails against what it expects: %+v", c)
			}
			run.Cases = append(run.Cases, r)
		}
		rec, _, err := Record(run)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("r.yaml", rec, Options{})
		if err != nil {
			t.Fatalf("the recording does not parse: %v\n%s", err, rec)
		}
		if len(back.Cases) != len(pol.Cases) {
			t.Fatalf("%d cases recorded, %d read back", len(pol.Cases), len(back.Cases))
		}
		for i, c := range pol.Cases {
			b := back.Cases[i]
			if b.Name != c.Name || !reflect.DeepEqual(b.prep.Request(), c.prep.Request()) {
				t.Fatalf("case %d:\nparsed   %q %+v\nrecorded %q %+v\n%s", i, c.Name, c.prep.Request(), b.Name, b.prep.Request(), rec)
			}
		}
	})
}
