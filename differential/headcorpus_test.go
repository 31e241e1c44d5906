package differential

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"corsdoctor/browsertest"
	"corsdoctor/diagnose"
	"corsdoctor/fixture"
)

// headCase is one generated response head: its status line, the CORS lines
// (Access-Control-Allow-Origin: * and Access-Control-Expose-Headers: *
// unless CORS overrides them) and field lines, then Content-Length, a
// close and the body "ok"; "{{xN}}" in a line stands for N bytes of x.
// Known excuses a reviewed disagreement, by
// browser.
type headCase struct {
	Name   string            `json:"name"`
	Status string            `json:"status"`
	CORS   []string          `json:"cors,omitempty"`
	Lines  []string          `json:"lines"`
	Known  map[string]string `json:"known,omitempty"`
}

const corpusFile = "testdata/head-corpus.json"

// corpusPerRun bounds one run: the corpus is split into shards of this
// size and a run takes one (by day, so every shard runs within a few
// days), or CORSDOCTOR_CORPUS_SHARD=k or "all".
const corpusPerRun = 60

var updateCorpus = flag.Bool("update-corpus", false, "regenerate "+corpusFile)

func (c headCase) raw() string {
	var b strings.Builder
	b.WriteString(c.Status + "\r\n")
	cors := c.CORS
	if cors == nil {
		cors = []string{"Access-Control-Allow-Origin: *", "Access-Control-Expose-Headers: *"}
	}
	for _, l := range append(slices.Clone(cors), c.Lines...) {
		// "{{xN}}" stands for N bytes of x: long lines without a huge file.
		if i := strings.Index(l, "{{x"); i >= 0 {
			if j := strings.Index(l[i:], "}}"); j > 0 {
				n, _ := strconv.Atoi(l[i+3 : i+j])
				l = l[:i] + strings.Repeat("x", n) + l[i+j+2:]
			}
		}
		b.WriteString(l + "\r\n")
	}
	b.WriteString("Content-Length: 2\r\nConnection: close\r\n\r\nok")
	return b.String()
}

// TestHeadCorpus holds corsdoctor's per-browser head parsing to both
// browsers' on a generated corpus of odd status and field lines (odd
// whitespace, control bytes, obs-fold, repeated names in odd casing,
// missing colons, long lines): the verdict, the status and every header
// JavaScript can read, name and value, must agree.
func TestHeadCorpus(t *testing.T) {
	if *updateCorpus {
		b, _ := json.MarshalIndent(generateCorpus(), "", " ")
		if err := os.WriteFile(corpusFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if testing.Short() {
		t.Skip("browser suite skipped in -short mode")
	}
	b, err := os.ReadFile(corpusFile)
	if err != nil {
		t.Fatal(err)
	}
	var corpus []headCase
	if err := json.Unmarshal(b, &corpus); err != nil {
		t.Fatal(err)
	}
	cases := corpusShard(t, corpus)
	browsers := []string{browsertest.Chromium, browsertest.Firefox}
	for _, br := range browsers {
		browsertest.Require(t, br)
	}
	fx, err := fixture.Start(fixture.Options{ReadTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	prober := diagnose.NewProber(diagnose.ProberConfig{NoFollowups: true, Limits: diagnose.Limits{Timeout: 5 * time.Second, BodyIdleTimeout: time.Second}})
	type outcome struct {
		verdict string
		status  int
		headers []string
	}
	want := map[string]map[string]outcome{}
	for _, c := range cases {
		p := "/cd/" + c.Name
		fx.Handle(fixture.Route{Path: p, Response: fixture.Response{Raw: c.raw()}})
		rep, err := prober.Probe(ctx, diagnose.Request{URL: fx.URL("target") + p, Origin: fx.URL("page"), Credentials: diagnose.CredentialsSameOrigin})
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		want[c.Name] = map[string]outcome{}
		for _, br := range browsers {
			js := rep.JS.Firefox
			if br == browsertest.Chromium {
				js = rep.JS.Chromium
			}
			o := outcome{verdict: string(rep.Verdict.For(diagnose.Browser(br)))}
			if o.verdict == "allowed" {
				o.status = js.Status
				for _, h := range js.Readable {
					o.headers = append(o.headers, h.Name+"="+strconv.Quote(h.Value))
				}
			}
			want[c.Name][br] = o
		}
	}
	for _, br := range browsers {
		var jobs []browsertest.Job
		for _, c := range cases {
			p := "/" + br + "/" + c.Name
			fx.Handle(fixture.Route{Path: p, Response: fixture.Response{Raw: c.raw()}})
			jobs = append(jobs, browsertest.Job{ID: c.Name, PageURL: fx.URL("page") + "/", Fetch: browsertest.Fetch{URL: fx.URL("target") + p}})
		}
		rep, err := browsertest.Runner{}.Run(ctx, br, jobs)
		if err != nil {
			t.Fatalf("%s harness: %v", br, err)
		}
		agree := 0
		for i, res := range rep.Results {
			c := cases[i]
			got := outcome{verdict: "blocked"}
			switch {
			case res.HarnessError != "":
				got.verdict = "harness-error: " + res.HarnessError
			case res.TimedOut:
				got.verdict = "timeout"
			case res.Resolved:
				got.verdict, got.status = "allowed", res.Status
				for _, h := range res.Headers {
					got.headers = append(got.headers, h[0]+"="+strconv.Quote(byteString(h[1])))
				}
			}
			w := want[c.Name][br]
			same := w.verdict == got.verdict && w.status == got.status && slices.Equal(w.headers, got.headers)
			if same {
				agree++
				continue
			}
			if why := c.Known[br]; why != "" {
				continue
			}
			t.Errorf("%s [%s] %q:\n  corsdoctor: %s %d %v\n  %-10s: %s %d %v", c.Name, br, c.raw(), w.verdict, w.status, w.headers, br, got.verdict, got.status, got.headers)
		}
		t.Logf("%s (%s): corsdoctor agrees on %d of %d corpus cases", br, rep.Version, agree, len(cases))
	}
}

// corpusShard picks this run's cases.
func corpusShard(t *testing.T, corpus []headCase) []headCase {
	shards := (len(corpus) + corpusPerRun - 1) / corpusPerRun
	k := time.Now().UTC().YearDay() % shards
	switch v := os.Getenv("CORSDOCTOR_CORPUS_SHARD"); v {
	case "":
	case "all":
		return corpus
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n >= shards {
			t.Fatalf("CORSDOCTOR_CORPUS_SHARD=%q: want all or 0..%d", v, shards-1)
		}
		k = n
	}
	t.Logf("corpus shard %d of %d", k, shards)
	return corpus[k*corpusPerRun : min((k+1)*corpusPerRun, len(corpus))]
}

// generateCorpus builds the corpus: each status line the browsers parse
// differently, then field lines mixing odd whitespace, control bytes,
// obs-fold, duplicate names in odd casing, missing colons and long lines,
// from a fixed seed so regenerating gives the same file.
func generateCorpus() []headCase {
	var out []headCase
	for i, s := range []string{
		"HTTP/1.1 200 OK", "HTTP/1.1 2xx OK", "HTTP/1.1 abc OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 200OK",
		"HTTP/1.1 99 OK", "HTTP/1.1 600 Odd", "HTTP/1.1 200", "HTTP/1.1  200 OK", "HTTP/1.1 2 OK", "HTTP/1.1 +200 OK",
		"HTTP/1.1 0200 OK", "HTTP/1.1 201x OK", "HTTP/1.1 200\tOK", "HTTP/1.1\t200 OK", "HTTP/1.0 200 OK", "HTTP/2 200 OK",
		"HTTP/1.2 200 OK", "http/1.1 200 OK", "Http/1.1 200 OK", "HTTP/0.9 200 OK", "HTTPS/1.1 200 OK", "HTTP 200 OK",
		" HTTP/1.1 200 OK", "xHTTP/1.1 200 OK", "HTTP/1.1 0 OK", "HTTP/1.1 -1 OK", "HTTP/1.1 200 \x01OK", "HTTP/1.1 204 No Content",
	} {
		out = append(out, headCase{Name: fmt.Sprintf("status-%02d", i), Status: s, Lines: []string{"X-Case: status"}})
	}
	for i, cors := range [][]string{
		{"Access-Control-Allow-Origin : *", "Access-Control-Expose-Headers: *"},
		{"Access-Control-Allow-Origin\t: *", "Access-Control-Expose-Headers: *"},
		{"Access-Control-Allow-Origin:*", "Access-Control-Expose-Headers:*"},
		{"Access-Control-Allow-Origin: *\r", "Access-Control-Expose-Headers: *"},
		{"Access-Control-Allow-Origin: *", "access-control-allow-origin: *", "Access-Control-Expose-Headers: *"},
		{"access-control-allow-origin: *", "ACCESS-CONTROL-ALLOW-ORIGIN: *", "Access-Control-Expose-Headers: *"},
		{"Access-Control-Allow-Origin:", " *", "Access-Control-Expose-Headers: *"},
		{"Access-Control-Allow-Origin: \t*\t ", "Access-Control-Expose-Headers: *"},
		{"Access-Control-Allow-Origin: *", "Access-Control-Expose-Headers : *"},
		{"Access-Control-Allow-Origin: *", "Access-Control-Expose-Headers: x-a", "Access-Control-Expose-Headers: x-b"},
	} {
		out = append(out, headCase{Name: fmt.Sprintf("cors-%02d", i), Status: "HTTP/1.1 200 OK", CORS: cors, Lines: []string{"X-A: a", "X-B: b"}})
	}
	rng := rand.New(rand.NewPCG(10, 2026))
	names := []string{"X-A", "x-a", "X-a", "X-B", "Cache-Control", "content-type", "X-Long"}
	values := []string{"v", " v ", "\tv\t", "a, b", "", "é", "a\x01b", "a\x7fb", "a\x0bb", "a\x0cb", "a\rb", "a\x00b", `"q"`}
	for i := 0; len(out) < 120; i++ {
		var lines []string
		for n := 1 + rng.IntN(4); n > 0; n-- {
			name := names[rng.IntN(len(names))]
			value := values[rng.IntN(len(values))]
			switch rng.IntN(10) {
			case 0:
				lines = append(lines, name+" : "+value)
			case 1:
				lines = append(lines, name+" "+value) // no colon
			case 2:
				lines = append(lines, name+": "+value, strings.Repeat(" \t"[rng.IntN(2):rng.IntN(2)+1], 1+rng.IntN(3))+"more")
			case 3:
				lines = append(lines, fmt.Sprintf("%s: {{x%d}}", name, []int{8 << 10, 100 << 10}[rng.IntN(2)]))
			case 4:
				lines = append(lines, name+"\x01: "+value)
			default:
				lines = append(lines, name+":"+value)
			}
		}
		out = append(out, headCase{Name: fmt.Sprintf("mix-%03d", i), Status: "HTTP/1.1 200 OK", Lines: lines})
	}
	return out
}

// byteString turns a header value from JavaScript back into the bytes
// sent: header values are ByteStrings, each byte one code point.
func byteString(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return s
		}
		b = append(b, byte(r))
	}
	return string(b)
}
