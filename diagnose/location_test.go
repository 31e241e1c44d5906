package diagnose_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/fixture"
	"corsdoctor/targetpolicy"
)

func TestResolveLocation(t *testing.T) {
	const base = "http://127.0.0.1:8080/a/b?x=1"
	tests := []struct{ loc, firefox, chromium string }{
		{"b", "http://127.0.0.1:8080/a/b", ""},
		{"\\\\localhost:9/x", "http://localhost:9/x", ""},
		{"/\\app.localhost:9\\x", "http://app.localhost:9/x", ""},
		{"http:\\\\%6c%6f%63alhost:9", "http://localhost:9/", ""},
		{"http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:9/", "http://localhost:9/", ""},
		{"http://１２７.０.０.１:９/", "error", ""}, // the port must be ASCII digits
		{"http://0x7f.1:9/", "http://127.0.0.1:9/", ""},
		{" \t//local\nhost:9/x ", "http://localhost:9/x", ""},
		{"http:b", "http://127.0.0.1:8080/a/b", ""},
		{"https:b", "https://b/", ""},
		{"http://u:p@localhost/", "http://u:p@localhost/", ""},
		{"data:text/plain,x", "data:text/plain,x", ""},
		{"http://local host/", "error", "http://local%20host/"},
		{"/a|b", "http://127.0.0.1:8080/a|b", "http://127.0.0.1:8080/a%7Cb"},
		{"http://a.1/", "error", ""},
		{"//", "error", ""},
	}
	for _, tc := range tests {
		for _, b := range diagnose.Browsers {
			want := tc.firefox
			if b == diagnose.Chromium && tc.chromium != "" {
				want = tc.chromium
			}
			got, err := diagnose.ResolveLocation(tc.loc, base, b)
			if err != nil {
				got = "error"
			}
			if got != want {
				t.Errorf("%s: ResolveLocation(%q) = %q (%v), want %q", b, tc.loc, got, err, want)
			}
		}
	}
}

func fixturePort(fx *fixture.Server, l string) string {
	return fx.URL(l)[strings.LastIndexByte(fx.URL(l), ':')+1:]
}

// TestRedirectFollowsBrowserResolution: Location values that net/url reads
// as a path or refuses lead where the browsers go.
func TestRedirectFollowsBrowserResolution(t *testing.T) {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	op := fixturePort(fx, "other")
	fx.Handle(fixture.Route{Listener: "other", Method: "GET", Path: "/b", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *"}, Body: "ok"}})
	prober := diagnose.NewProber(diagnose.ProberConfig{NoFollowups: true, Limits: diagnose.Limits{Timeout: 3 * time.Second}})
	for i, loc := range []string{
		"\\\\127.0.0.1:" + op + "/b",
		"/\\localhost:" + op + "\\b",
		"http:\\\\app.localhost:" + op + "/b",
		"http://%31%32%37.0.0.1:" + op + "/b",
		"http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:" + op + "/b",
		"http://１２７.０.０.１:" + op + "/b",
		"//0x7f.1:" + op + "/b",
		"\t//127.0.0.1:" + op + "/b", // leading and trailing whitespace aside, no tab
	} {
		path := "/loc" + string(rune('a'+i))
		fx.Handle(fixture.Route{Method: "GET", Path: path, Response: fixture.Response{Status: 302, Headers: []string{"Access-Control-Allow-Origin: *", "Location: " + loc}}})
		rep, err := prober.Probe(context.Background(), diagnose.Request{URL: fx.URL("target") + path, Origin: fx.URL("page")})
		if err != nil {
			t.Fatalf("%q: %v", loc, err)
		}
		if rep.Verdict.Firefox != diagnose.Allowed || rep.Verdict.Chromium != diagnose.Allowed || len(rep.Exchanges) != 2 {
			t.Errorf("Location %q: verdict %+v, %d exchanges, want allowed after one hop", loc, rep.Verdict, len(rep.Exchanges))
			continue
		}
		if ex := rep.Exchanges[1]; ex.Response == nil || ex.Response.Status != 200 || !strings.HasSuffix(ex.Request.URL, ":"+op+"/b") {
			t.Errorf("Location %q: second hop %s, want the other listener's /b", loc, ex.Request.URL)
		}
	}
}

// TestRedirectSpellingsJudgedAfterResolution: a public instance refuses a
// redirect to loopback however the Location spells it, before any byte
// reaches the loopback listener.
func TestRedirectSpellingsJudgedAfterResolution(t *testing.T) {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	op := fixturePort(fx, "other")
	policy, err := targetpolicy.New(targetpolicy.Config{Allow: []string{"public.test"}})
	if err != nil {
		t.Fatal(err)
	}
	safety := &safetyNet{}
	resolver := stubResolver{"public.test": {mustAddr("127.0.0.1")}}
	prober := diagnose.NewProber(diagnose.ProberConfig{Dial: policy.Dialer(safety.dialer(), resolver), NoFollowups: true, Limits: diagnose.Limits{Timeout: 3 * time.Second}})
	for i, loc := range []string{
		"\\\\127.0.0.1:" + op + "/",
		"/\\localhost:" + op + "/",
		"\\/app.localhost:" + op + "/",
		"http:\\\\2130706433:" + op + "/",
		"http://%6c%6f%63%61%6c%68%6f%73%74:" + op + "/",
		"http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:" + op + "/",
		"http://１２７.０.０.１:" + op + "/",
		"http://ａｐｐ．ｌｏｃａｌｈｏｓｔ:" + op + "/",
		"\t//[::ffff:127.0.0.1]:" + op + "/",
		"https:0177.1:" + op + "/", // "http:0177.1" would be a relative path here
	} {
		path := "/spell" + string(rune('a'+i))
		fx.Handle(fixture.Route{Method: "GET", Path: path, Response: fixture.Response{Status: 302, Headers: []string{"Access-Control-Allow-Origin: *", "Location: " + loc}}})
		_, err := prober.Probe(context.Background(), diagnose.Request{URL: "http://public.test:" + fixturePort(fx, "target") + path, Origin: "https://app.example"})
		if !diagnose.IsInputError(err) || !strings.Contains(err.Error(), "does not probe") {
			t.Errorf("Location %q: err = %v, want the policy's refusal", loc, err)
		}
	}
	if n := countTo(fx, "other"); n != 0 {
		t.Errorf("%d requests reached the loopback listener", n)
	}
	if len(safety.attempts) != 0 {
		t.Errorf("dials to %v got past the policy", safety.attempts)
	}
	// A .localhost target itself is refused like any loopback.
	_, err = prober.Probe(context.Background(), diagnose.Request{URL: "http://app.localhost:" + op + "/", Origin: "https://app.example"})
	if !diagnose.IsInputError(err) || !strings.Contains(err.Error(), "does not probe") {
		t.Errorf("app.localhost target: err = %v, want the policy's refusal", err)
	}
}

// TestLocalhostTargetIsLoopback: without a policy (the CLI), a name under
// .localhost reaches loopback as in the browsers, not the system resolver.
func TestLocalhostTargetIsLoopback(t *testing.T) {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	fx.Handle(fixture.Route{Method: "GET", Path: "/x", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *"}}})
	prober := diagnose.NewProber(diagnose.ProberConfig{NoFollowups: true, Limits: diagnose.Limits{Timeout: 3 * time.Second}})
	rep, err := prober.Probe(context.Background(), diagnose.Request{URL: "http://app.localhost:" + fixturePort(fx, "target") + "/x", Origin: fx.URL("page")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict.Firefox != diagnose.Allowed || rep.Verdict.Chromium != diagnose.Allowed {
		t.Errorf("verdict %+v, findings %+v; want allowed", rep.Verdict, rep.Findings)
	}
}

// TestRefusedRedirectReasons: where Firefox prints only "CORS request did
// not succeed", the finding's reason is that, and the explanation names
// the real cause.
func TestRefusedRedirectReasons(t *testing.T) {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	prober := diagnose.NewProber(diagnose.ProberConfig{NoFollowups: true, Limits: diagnose.Limits{Timeout: 3 * time.Second}})
	for _, tc := range []struct{ loc, title, detail string }{
		{"http://u:p@127.0.0.1:" + fixturePort(fx, "other") + "/b", "user name or password", "contains a user name or password"},
		{"data:text/plain,hello", "data: URL", "browsers refuse data: targets"},
		{"http://a.1/", "not a valid URL", "URL parser refuses"},
	} {
		path := "/r" + string(rune('a'+len(tc.title)%26))
		fx.Handle(fixture.Route{Method: "GET", Path: path, Response: fixture.Response{Status: 302, Headers: []string{"Access-Control-Allow-Origin: *", "Location: " + tc.loc}}})
		rep, err := prober.Probe(context.Background(), diagnose.Request{URL: fx.URL("target") + path, Origin: fx.URL("page")})
		if err != nil {
			t.Fatal(err)
		}
		var f *diagnose.Finding
		for i := range rep.Findings {
			if rep.Findings[i].Severity == diagnose.SeverityError {
				f = &rep.Findings[i]
				break
			}
		}
		if f == nil || f.Reason != "CORSDidNotSucceed" || !strings.Contains(f.Title, tc.title) || !strings.Contains(f.Detail, tc.detail) || !strings.Contains(f.Detail, "CORS request did not succeed") || f.Fix == "" {
			t.Errorf("Location %q: finding %+v; want reason CORSDidNotSucceed, a title with %q and a detail with %q", tc.loc, f, tc.title, tc.detail)
		}
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestRedirectLocationWithTab: Chromium removes a tab from a Location, as
// new URL() does; Firefox's network layer keeps it, so a tab in the host
// fails the redirect and one in the path is sent as %09.
func TestRedirectLocationWithTab(t *testing.T) {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	op := fixturePort(fx, "other")
	fx.Handle(
		fixture.Route{Listener: "other", Method: "GET", Path: "/b", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *"}}},
		fixture.Route{Method: "GET", Path: "/host", Response: fixture.Response{Status: 302, Headers: []string{"Access-Control-Allow-Origin: *", "Location: //local\thost:" + op + "/b"}}},
		fixture.Route{Method: "GET", Path: "/path", Response: fixture.Response{Status: 302, Headers: []string{"Access-Control-Allow-Origin: *", "Location: //127.0.0.1:" + op + "/\tb"}}},
	)
	prober := diagnose.NewProber(diagnose.ProberConfig{NoFollowups: true, Limits: diagnose.Limits{Timeout: 3 * time.Second}})
	for path, ffURL := range map[string]string{"/host": "", "/path": "http://127.0.0.1:" + op + "/%09b"} {
		rep, err := prober.Probe(context.Background(), diagnose.Request{URL: fx.URL("target") + path, Origin: fx.URL("page")})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict.Chromium != diagnose.Allowed || rep.Verdict.Firefox != diagnose.Blocked {
			t.Errorf("%s: verdict %+v, want Chromium allowed and Firefox blocked", path, rep.Verdict)
		}
		var sent []string
		for _, ex := range rep.Exchanges {
			if slices.Contains(ex.Browsers, diagnose.Firefox) && ex.Step.Hop == 1 {
				sent = append(sent, ex.Request.URL)
			}
		}
		if ffURL == "" && len(sent) != 0 || ffURL != "" && (len(sent) != 1 || sent[0] != ffURL) {
			t.Errorf("%s: Firefox's second hop %v, want %q", path, sent, ffURL)
		}
	}
}
