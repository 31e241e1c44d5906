package differential

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"corsdoctor/browsertest"
	"corsdoctor/diagnose"
)

var updateLocationCorpus = flag.Bool("update-location-corpus", false, "regenerate testdata/location-corpus.json")

const locationCorpusFile = "testdata/location-corpus.json"

// locationCorpus is what TestLocationResolutionAgrees resolves: Location
// values, each against each base, as a redirect from that URL would.
type locationCorpus struct {
	Bases     []string `json:"bases"`
	Locations []string `json:"locations"`
}

// generateLocationCorpus builds the corpus from parts: ways to start an
// absolute or scheme-relative URL (slashes, backslashes, odd schemes and
// case, tabs and newlines) times hosts (loopback names and spellings,
// percent-encoded and Unicode hosts, IPv4 and IPv6 forms, user info),
// times tails; plus relative forms and whole oddities. Hosts are loopback
// or reserved names: nothing is fetched, but a corpus should not invite it.
func generateLocationCorpus() locationCorpus {
	starts := []string{
		"http://", "//", "\\\\", "/\\", "\\/", "http:\\\\", "http:/\\", "http:/", "http:", "HTTP://", "hTtP:\\\\",
		"https://", "https:", "https:/", "http:///", "h\tttp://", "\n//", "/\t/", " http://", "\x01//", "ws://", "ftp://",
	}
	hosts := []string{
		"localhost:9", "app.localhost:9", "127.0.0.1:9", "127.1:9", "0x7f.1", "2130706433", "0177.0.0.1", "127.0.0.1.",
		"%31%32%37.0.0.1", "%6c%6f%63%61%6c%68%6f%73%74", "loc%61lhost", "%E2%93%9B%E2%93%9E%E2%93%92%E2%93%90%E2%93%9B%E2%93%97%E2%93%9E%E2%93%A2%E2%93%A3",
		"ⓛⓞⓒⓐⓛⓗⓞⓢⓣ", "ａｐｐ．ｌｏｃａｌｈｏｓｔ", "１２７.０.０.１", "①②⑦.0.0.1", "127。0。0。1", "ＬＯＣＡＬＨＯＳＴ:９",
		"lo\tcal\nhost", "[::1]", "[::ffff:127.0.0.1]:9", "[0:0::1]", "u:p@localhost", "u@localhost", "@localhost", "a@b@localhost",
		"localhost:", "localhost:0080", "localhost:65536", "local host", "localhost%2f.x", "%zz", "xn--ls8h.localhost", "Bücher.localhost",
		"a.localhost.", "0x7f000001", "127.0.0.0x1", "127.0.0.1.1", "a.1", "%30x7f.1",
	}
	tails := []string{"", "/x", "\\x?q#f"}
	seen := map[string]bool{}
	var locs []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			locs = append(locs, s)
		}
	}
	for _, s := range starts {
		for _, h := range hosts {
			add(s + h + tails[len(s+h)%len(tails)])
		}
	}
	for _, s := range []string{
		"", "b", "./b", "../b", "../../../../b", "/b", "?q", "#f", ".", "..", "b\\c", "/b/../c", "%2e%2e/x", "/.%2E/x",
		"/./b", "\\", "/b?x#y", " /b ", "b c", "é", "/ü?ü#ü", "/%zz", "?a b'\"<>`", "/a\"<>`{}|^", "#a b\"<>`",
		"http:b", "HTTP:b", "https:b", "http:/b", "http:?q", "http:#f", "http:", "https:", "//", "///", "////x", "\\\\\\x",
		"data:text/plain,x", "DATA:,x", "javascript:alert(1)", "mailto:a@b", "blob:http://localhost/y", "file:///etc/passwd",
		"file:c:/x", "file://localhost/x", "about:blank", "foo://localhost/x", "foo:bar", "foo:/b/../c", "x:", "a+b.c-d:e",
		"1http://localhost/", "-x:y", "ht tp://localhost/", "http://localhost\\x", "http://localhost#\\x", "http://localhost?\\x",
		"http://[::1", "http://[::1]x", "http://[fe80::1%25eth0]/", "http://[::127.0.0.1]/", "http://[1:2:3:4:5:6:7:8:9]/",
		"http://localhost:9:9/", "http://localhost:a/", "http://\u00ad/", "http://a\u200db/", "http://\ufe38/", "http://a{b/",
		"http://a`b/", "http://a^b/", "http://a|b/", "http://a%2eb/", "http://a%00b/", "http://%ef%bf%bd/", "http://\u0000/",
		"\u3000http://localhost/", "http://localhost/\u3000", "http:\u3000//localhost/", "http://local\u0085host/",
		"/\u00a0/localhost/", "http://user:p@ss@localhost/", "http://:@localhost/", "http://a:b@/", "http://@/",
	} {
		add(s)
	}
	return locationCorpus{
		Bases:     []string{"http://127.0.0.1:8080/a/b?x=1", "https://localhost/p#frag"},
		Locations: locs,
	}
}

func loadLocationCorpus(t *testing.T) locationCorpus {
	t.Helper()
	gen := generateLocationCorpus()
	if *updateLocationCorpus {
		b, err := json.MarshalIndent(gen, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(locationCorpusFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(locationCorpusFile)
	if err != nil {
		t.Fatal(err)
	}
	var c locationCorpus
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLocationCorpusIsCurrent fails when the committed corpus and its
// generator drift apart (regenerate with -update-location-corpus).
func TestLocationCorpusIsCurrent(t *testing.T) {
	c := loadLocationCorpus(t)
	gen := generateLocationCorpus()
	if !slices.Equal(c.Bases, gen.Bases) || !slices.Equal(c.Locations, gen.Locations) {
		t.Errorf("%s is not what generateLocationCorpus makes; run go test -run TestLocationCorpusIsCurrent -update-location-corpus ./differential/", locationCorpusFile)
	}
}

// TestLocationResolutionAgrees resolves every Location of the corpus
// against each base with corsdoctor's resolver and with new URL(location,
// base) in Chromium and Firefox. Nothing is fetched. For each browser,
// corsdoctor's resolution as that browser (each browser's walk follows its
// own redirects) must give the same href, or fail where the browser throws.
// The browsers disagree with each other on a few values (Chromium's
// departures from the URL standard, listed at diagnose.ResolveLocation);
// those are modelled, not excused.
func TestLocationResolutionAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("browser suite skipped in -short mode")
	}
	corpus := loadLocationCorpus(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>parse</title>"))
	}))
	defer page.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	browsers := []string{browsertest.Chromium, browsertest.Firefox}
	parsed := map[string][][]browsertest.ParsedURL{}
	for _, b := range browsers {
		browsertest.Require(t, b)
		var jobs []browsertest.Job
		for i, base := range corpus.Bases {
			jobs = append(jobs, browsertest.Job{ID: "base" + string(rune('0'+i)), PageURL: page.URL + "/", ParseURLs: corpus.Locations, ParseBase: base})
		}
		res, err := browsertest.Run(ctx, b, jobs)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		for i, r := range res {
			if r.HarnessError != "" || len(r.Parsed) != len(corpus.Locations) {
				t.Fatalf("%s base %d: harness error %q, %d results for %d URLs", b, i, r.HarnessError, len(r.Parsed), len(corpus.Locations))
			}
			parsed[b] = append(parsed[b], r.Parsed)
		}
	}

	agree, total := 0, 0
	for bi, base := range corpus.Bases {
		for i, loc := range corpus.Locations {
			for _, b := range browsers {
				total++
				got := parsed[b][bi][i]
				ours, err := diagnose.ResolveLocation(loc, base, diagnose.Browser(b))
				ok := got.Error != "" && err != nil || got.Error == "" && err == nil && ours == got.Href
				if ok {
					agree++
					continue
				}
				t.Errorf("%s: new URL(%q, %q) = %s; corsdoctor: %s", b, loc, base, parseOutcome(got), outcome(ours, err))
			}
		}
	}
	t.Logf("Location resolution: corsdoctor agrees with the browser in %d of %d resolutions (%d Location values, %d bases, 2 browsers)", agree, total, len(corpus.Locations), len(corpus.Bases))
}

func outcome(href string, err error) string {
	if err != nil {
		return "throws (" + err.Error() + ")"
	}
	return href
}

// TestLocationHostsWithoutBrowsers is the smoke test CI runs without browsers: the hosts the
// resolver reaches for the classes issue 10 names.
func TestLocationHostsWithoutBrowsers(t *testing.T) {
	for loc, want := range map[string]string{
		"\\\\localhost:9/x":          "http://localhost:9/x",
		"/\\app.localhost:9/x":       "http://app.localhost:9/x",
		"http://%6c%6fcalhost:9/":    "http://localhost:9/",
		"http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:9/":        "http://localhost:9/",
		"http://１２７.０.０.１:9/":        "http://127.0.0.1:9/",
		"http:\\\\0x7f.1:9\\x":       "http://127.0.0.1:9/x",
		"\t//local\nhost:9/x":        "http://localhost:9/x",
		"https:b":                    "https://b/",
		"http:b":                     "http://127.0.0.1:8080/a/b",
		strings.Repeat("/", 3) + "x": "http://x/",
	} {
		got, err := diagnose.ResolveLocation(loc, "http://127.0.0.1:8080/a/b?x=1", diagnose.Firefox)
		if err != nil || got != want {
			t.Errorf("ResolveLocation(%q) = %q, %v; want %q", loc, got, err, want)
		}
	}
}
