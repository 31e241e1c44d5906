package differential

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"corsdoctor/browsertest"
	"corsdoctor/diagnose"
)

// hostSpellings are origins as people type them, and as fuzzing found them:
// names browsers accept although DNS rules would not (underscores, edge
// hyphens), names that UTS #46 mapping turns into dots or digits, names
// whose last label is a number and so must be an IPv4 address, and
// characters browsers refuse or disagree on.
var hostSpellings = []string{
	"http://my_api:8080", "http://a_b.example", "http://-a.example", "http://a-.example", "http://ab--c.example",
	"http://xn--nxasmq6b", "http://xn--a", "http://Bücher.example", "https://EXAMPLE.com.", "http://a..b",
	"http://\uff0e", "http://.", "http://..", "http://a\u3002", "http://a\ufe0f.b", "http://\u00ad",
	"http://8\ufe08", "http://\uff18", "http://0x", "http://0x7f.1", "http://2130706433", "http://127.1.",
	"http://a.1", "http://a.0x1", "http://a.b.0", "http://foo.0x", "http://09.1", "http://a.09",
	"http://1.2.3.999", "http://1.2.3.4.5", "http://[::1]", "http://[::ffff:127.0.0.1]:8080",
	"http://[::]", "http://[1::]", "http://[1:0:0:2:0:0:0:3]", "http://[1:0:1:0:1:0:1:0]", "http://[0:0:0:0:0:0:0:1]:80",
	"http://[2001:DB8::0:1]", "http://[::127.0.0.1]", "http://[fe80::1%25eth0]",
	"http://a$b", "http://a!b", "http://a~b", "http://a&b", "http://a=b", "http://a+b", "http://a,b",
	"http://a;b", "http://a'b", "http://a(b", "http://a*b", "http://a\"b", "http://a^b", "http://a|b",
	"http://a<b", "http://a\\b", "http://a%b", "http://\uff0fa", "http://a\u2044b",
	"http://a{b", "http://\ufe38", "http://a`b", "http://a%2eb",
}

// knownRefusals are spellings both browsers accept and corsdoctor refuses
// with a clear error, and why that is acceptable.
var knownRefusals = map[string]string{
	"http://a{b":    "Go's URL parser refuses { } and ` in hosts; no DNS name holds them",
	"http://\ufe38": "maps to }, as above",
	"http://a`b":    "as above",
	"http://a%2eb":  "Go's URL parser refuses percent-encoded ASCII in hosts; browsers decode it to a.b",
}

// TestOriginParsingAgrees holds ParseOrigin to the URL parsers of both
// browsers: where they agree, corsdoctor must give the same origin or, when
// both throw, refuse it; where they disagree, corsdoctor must refuse it or
// match one of them. Nothing is fetched, so hosts need not exist.
func TestOriginParsingAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("browser suite skipped in -short mode")
	}
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>parse</title>"))
	}))
	defer page.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	browsers := []string{browsertest.Chromium, browsertest.Firefox}
	parsed := map[string][]browsertest.ParsedURL{}
	for _, b := range browsers {
		browsertest.Require(t, b)
		res, err := browsertest.Run(ctx, b, []browsertest.Job{{ID: "parse", PageURL: page.URL + "/", ParseURLs: hostSpellings}})
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if res[0].HarnessError != "" || len(res[0].Parsed) != len(hostSpellings) {
			t.Fatalf("%s: harness error %q, %d results for %d URLs", b, res[0].HarnessError, len(res[0].Parsed), len(hostSpellings))
		}
		parsed[b] = res[0].Parsed
	}

	for i, s := range hostSpellings {
		chromium, firefox := parsed[browsertest.Chromium][i], parsed[browsertest.Firefox][i]
		got, err := diagnose.ParseOrigin(s)
		var ok bool
		switch {
		case chromium.Error != "" && firefox.Error != "":
			ok = err != nil
		case chromium.Error == "" && firefox.Error == "" && chromium.Href == firefox.Href:
			// Both accept it. An origin is only what the URL's origin
			// serialises to; anything more (a path, "\\" read as one) must
			// be refused with a hint.
			if isBareOrigin(chromium) {
				ok = err == nil && got == chromium.Origin
			} else {
				ok = err != nil
			}
		default:
			// They disagree: refusing is safe; otherwise match one.
			ok = err != nil || isBareOrigin(chromium) && got == chromium.Origin || isBareOrigin(firefox) && got == firefox.Origin
		}
		if why, known := knownRefusals[s]; known {
			if err == nil {
				t.Errorf("ParseOrigin(%q) = %s, but it is listed as refused (%s): take it off the list", s, got, why)
			}
			if !isBareOrigin(chromium) || !isBareOrigin(firefox) {
				t.Errorf("%q is listed as accepted by both browsers, but Chromium: %s; Firefox: %s", s, parseOutcome(chromium), parseOutcome(firefox))
			}
			continue
		}
		if !ok {
			ours := got
			if err != nil {
				ours = "refused (" + err.Error() + ")"
			}
			t.Errorf("ParseOrigin(%q) = %s; Chromium: %s; Firefox: %s", s, ours, parseOutcome(chromium), parseOutcome(firefox))
		}
	}
}

func isBareOrigin(p browsertest.ParsedURL) bool {
	return p.Error == "" && p.Href == p.Origin+"/"
}

func parseOutcome(p browsertest.ParsedURL) string {
	if p.Error != "" {
		return "throws " + p.Error
	}
	return p.Href
}
