package diagnose

import (
	"context"
	"slices"
	"testing"
	"time"

	"corsdoctor/fixture"
)

func TestChunkSizes(t *testing.T) {
	for _, tc := range []struct {
		line           string
		cr, ff         int64
		crValid, ffVal bool
	}{
		{"2", 2, 2, true, true},
		{"2;ext=1", 2, 2, true, true},
		{"2 ", 2, 2, true, true},
		{" 2", 0, 2, false, true},
		{"zz", 0, 0, false, false},
		{"0x2", 0, 2, false, true},
		{"2zz", 0, 2, false, true},
		{"-2", 0, 0, false, false},
		{"fffffffff", 0xfffffffff, 0, true, false},
		{"ffffffffffffffffffff", 0, 0, false, false},
		{"", 0, 0, false, false},
	} {
		cr, crOK := chromiumChunkSize(tc.line)
		ff, ffOK := firefoxChunkSize(tc.line)
		if cr != tc.cr || crOK != tc.crValid || ff != tc.ff || ffOK != tc.ffVal {
			t.Errorf("%q: chromium %d %v, firefox %d %v; want %d %v, %d %v", tc.line, cr, crOK, ff, ffOK, tc.cr, tc.crValid, tc.ff, tc.ffVal)
		}
	}
}

func TestStatusLines(t *testing.T) {
	for _, tc := range []struct {
		line     string
		cr       int
		ff       int // -1: refused, -9: HTTP/0.9
		ffReason string
	}{
		{"HTTP/1.1 200 OK", 200, 200, ""},
		{"HTTP/1.1 2xx OK", 2, -1, ""},
		{"HTTP/1.1 abc OK", 200, -1, ""},
		{"HTTP/1.1 20 OK", 20, 20, ""},
		{"HTTP/1.1 2000 OK", 2000, -1, ""},
		{"HTTP/1.1 200\tOK", 200, 200, ""},
		{"HTTP/1.1\t200 OK", 200, -1, ""},
		{"http/1.1 200 OK", 200, -9, ""},
		{"xHTTP/1.1 200 OK", 200, 200, ""},
		{"HTTP/1.1", 200, 200, ""},
	} {
		raw := tc.line + "\r\nA: b\r\n\r\n"
		cr, ff := chromiumRead(raw), firefoxRead(raw)
		if cr.err != nil || cr.status != tc.cr {
			t.Errorf("%q: chromium %d %v, want %d", tc.line, cr.status, cr.err, tc.cr)
		}
		got := ff.status
		if ff.http09 {
			got = -9
		} else if ff.err != nil {
			got = -1
		}
		if got != tc.ff {
			t.Errorf("%q: firefox %d (%v), want %d", tc.line, got, ff.err, tc.ff)
		}
	}
}

// TestFramingVerdicts probes responses the browsers read differently and
// checks each browser's verdict, what JavaScript sees and the finding
// that names the problem (behaviour observed in Firefox 153 and Chromium
// 156, see differential/scenarios/60-framing.json).
func TestFramingVerdicts(t *testing.T) {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	const A = "Access-Control-Allow-Origin: *"
	for _, tc := range []struct {
		name     string
		resp     fixture.Response
		firefox  Outcome
		chromium Outcome
		reason   string // the finding that names it
		ffBody   string
		crBody   string
		crStatus int
	}{
		{"nul", fixture.Response{Headers: []string{A, "X-A: a\x00b"}, Body: "ok"}, Blocked, Blocked, "CORSDidNotSucceed", "", "", 0},
		{"nul-name", fixture.Response{Headers: []string{A, "X-\x00A: b"}, Body: "ok"}, Allowed, Blocked, "header-nul", "", "", 0},
		{"cl-conflict", fixture.Response{Headers: []string{A, "Content-Length: 2", "Content-Length: 3"}, Body: "ok"}, Blocked, Blocked, "CORSDidNotSucceed", "", "", 0},
		{"space-colon", fixture.Response{Headers: []string{"Access-Control-Allow-Origin : *"}, Body: "ok"}, Blocked, Allowed, "CORSMissingAllowOrigin", "", "", 200},
		{"case-pair", fixture.Response{Headers: []string{A, "access-control-allow-origin: *"}, Body: "ok"}, Blocked, Blocked, "CORSAllowOriginNotMatchingOrigin", "", "", 0},
		{"status-2xx", fixture.Response{Raw: "HTTP/1.1 2xx OK\r\n" + A + "\r\nContent-Length: 2\r\n\r\nok"}, Blocked, Allowed, "CORSDidNotSucceed", "", "", 2},
		{"chunk-bogus", fixture.Response{Headers: []string{A, "Transfer-Encoding: chunked"}, Body: "zz\r\nok\r\n0\r\n\r\n"}, Blocked, Allowed, "CORSDidNotSucceed", "", chromiumBodyError, 200},
		{"short", fixture.Response{Headers: []string{A, "Content-Length: 10"}, Body: "ok"}, Allowed, Allowed, "body-short", firefoxBodyError, chromiumBodyError, 200},
		{"stall", fixture.Response{Raw: "HTTP/1.1 200 OK\r\n" + A + "\r\nContent-Length: 10\r\n\r\nok-and-more", StallAfter: 71}, Allowed, Allowed, "body-stalled", firefoxBodyError, chromiumBodyError, 200},
		{"bare-cr", fixture.Response{Headers: []string{A, "X-A: a\rb"}, Body: "ok"}, Allowed, Allowed, "header-bare-cr", "", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx.Handle(fixture.Route{Path: "/" + tc.name, Response: tc.resp})
			p := NewProber(ProberConfig{NoFollowups: true, Limits: Limits{Timeout: 20 * time.Second, BodyIdleTimeout: 200 * time.Millisecond}})
			rep, err := p.Probe(context.Background(), Request{URL: fx.URL("target") + "/" + tc.name, Origin: fx.URL("page"), Credentials: CredentialsSameOrigin})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verdict.Firefox != tc.firefox || rep.Verdict.Chromium != tc.chromium {
				t.Errorf("verdicts %+v, want firefox %s chromium %s", rep.Verdict, tc.firefox, tc.chromium)
			}
			if rep.JS.Firefox.BodyError != tc.ffBody || rep.JS.Chromium.BodyError != tc.crBody {
				t.Errorf("body errors %q / %q, want %q / %q", rep.JS.Firefox.BodyError, rep.JS.Chromium.BodyError, tc.ffBody, tc.crBody)
			}
			if tc.chromium == Allowed && rep.JS.Chromium.Status != tc.crStatus {
				t.Errorf("chromium status %d, want %d", rep.JS.Chromium.Status, tc.crStatus)
			}
			i := slices.IndexFunc(rep.Findings, func(f Finding) bool { return f.Reason == tc.reason })
			if i < 0 {
				t.Fatalf("no %s finding in %+v", tc.reason, rep.Findings)
			}
			f := rep.Findings[i]
			if f.Title == "" || f.Detail == "" || f.Fix == "" {
				t.Errorf("finding %s lacks title, detail or fix: %+v", tc.reason, f)
			}
		})
	}
}
