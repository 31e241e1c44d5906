package contract

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	chicors "github.com/go-chi/cors"
	"github.com/gorilla/handlers"
	"github.com/rs/cors"

	"corsdoctor/diagnose"
	"corsdoctor/targetpolicy"
)

const page = "https://app.example.com"

// app is the API behind the middleware: it exposes X-Total.
var app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Total", "3")
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, "ok")
})

// middleware builds each real Go CORS library with the same policy: the
// page's origin, GET and PUT, Authorization and Content-Type, credentials,
// X-Total exposed.
var middleware = []struct {
	name string
	wrap func(http.Handler) http.Handler
}{
	{"rs/cors", cors.New(cors.Options{AllowedOrigins: []string{page}, AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"Authorization", "Content-Type"}, AllowCredentials: true, ExposedHeaders: []string{"X-Total"}}).Handler},
	{"go-chi/cors", chicors.Handler(chicors.Options{AllowedOrigins: []string{page}, AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"Authorization", "Content-Type"}, AllowCredentials: true, ExposedHeaders: []string{"X-Total"}})},
	{"gorilla/handlers", handlers.CORS(handlers.AllowedOrigins([]string{page}), handlers.AllowedMethods([]string{"GET", "PUT"}),
		handlers.AllowedHeaders([]string{"Authorization", "Content-Type"}), handlers.AllowCredentials(), handlers.ExposedHeaders([]string{"X-Total"}))},
}

// swappable serves through whichever handler was stored last, so a test
// can change a server's CORS policy without changing its URL.
type swappable struct{ h atomic.Pointer[http.Handler] }

func (s *swappable) set(h http.Handler) { s.h.Store(&h) }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }

func startServer(t *testing.T, h http.Handler) (*httptest.Server, *swappable) {
	t.Helper()
	sw := &swappable{}
	sw.set(h)
	srv := httptest.NewServer(sw) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv, sw
}

func prober() *diagnose.Prober {
	return diagnose.NewProber(diagnose.ProberConfig{})
}

// policyFile is a file exercising one server: cases that pass and one that
// fails (DELETE is not allowed, but the file expects it to be).
func policyFile(base string) string {
	return fmt.Sprintf(`origin: %s
base_url: %s
cases:
  - name: save item
    url: /items/42
    method: PUT
    headers: {Authorization: Bearer x, Content-Type: application/json}
    credentials: include
    expect: {verdict: allowed, exposed: [X-Total]}
  - name: list from another site
    url: /items
    origin: https://evil.example
    expect: blocked
  - name: delete item
    url: /items/42
    method: DELETE
    expect: allowed
matrix:
  - name: reads
    paths: [/items]
    origins: [%s, https://evil.example]
    credentials: [omit, include]
    expect: {verdict: allowed, exposed: [X-Total]}
    where:
      - {origin: https://evil.example, expect: blocked}
`, page, base, page)
}

func TestExecuteRealMiddleware(t *testing.T) {
	for _, mw := range middleware {
		t.Run(mw.name, func(t *testing.T) {
			srv, _ := startServer(t, mw.wrap(app))
			pol, err := Parse("cors.yaml", []byte(policyFile(srv.URL)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			run, err := Execute(context.Background(), prober(), pol, 4)
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				name    string
				passed  bool
				verdict diagnose.Outcome // both browsers
			}
			want := []row{
				{"save item", true, diagnose.Allowed},
				{"list from another site", true, diagnose.Blocked},
				{"delete item", false, diagnose.Blocked},
				{"reads: GET " + srv.URL + "/items from " + page + " (omit)", true, diagnose.Allowed},
				{"reads: GET " + srv.URL + "/items from " + page + " (include)", true, diagnose.Allowed},
				{"reads: GET " + srv.URL + "/items from https://evil.example (omit)", true, diagnose.Blocked},
				{"reads: GET " + srv.URL + "/items from https://evil.example (include)", true, diagnose.Blocked},
			}
			if len(run.Cases) != len(want) {
				t.Fatalf("%d results, want %d", len(run.Cases), len(want))
			}
			for i, w := range want {
				r := run.Cases[i]
				if r.Name != w.name || r.Passed != w.passed {
					t.Errorf("case %d: %q passed=%v, want %q passed=%v (reason %q)", i, r.Name, r.Passed, w.name, w.passed, r.Reason)
				}
				for _, b := range KnownBrowsers() {
					if r.Got[b].Verdict != w.verdict {
						t.Errorf("%s: %s got %s, want %s", r.Name, b, r.Got[b].Verdict, w.verdict)
					}
				}
			}
			if run.Passed != 6 || run.Failed != 1 || run.OK() {
				t.Errorf("passed %d failed %d OK %v, want 6, 1, false", run.Passed, run.Failed, run.OK())
			}
			// The failure is in the engine's words, per browser, with the root cause.
			del := run.Cases[2]
			for _, b := range KnownBrowsers() {
				line := b + ": want allowed, got " + describeGot(del.Got[b]) + ": " + del.Got[b].Summary
				if !strings.Contains(del.Reason, line) {
					t.Errorf("reason %q lacks %q", del.Reason, line)
				}
				if del.Got[b].Reason == "" || !strings.Contains(del.Got[b].Summary, "DELETE") {
					t.Errorf("%s: got %+v, want a reason and a summary naming DELETE", b, del.Got[b])
				}
			}
			if !strings.Contains(del.Reason, "\nroot cause: ") || !strings.Contains(del.RootCause, "DELETE") {
				t.Errorf("root cause %q (reason %q), want one naming DELETE", del.RootCause, del.Reason)
			}
			if got := run.Cases[0].Got["firefox"].Exposed; !containsFold(got, "X-Total") {
				t.Errorf("save item: readable %v, want X-Total among them", got)
			}
		})
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// TestRecordRoundTripAndRegression records a server's behaviour, reruns
// the recording (every case passes, with the same results), then changes
// the server's CORS policy: the recording fails exactly the cases that
// changed, and Diff says which and why, in the engine's words.
func TestRecordRoundTripAndRegression(t *testing.T) {
	for _, mw := range middleware {
		t.Run(mw.name, func(t *testing.T) {
			srv, sw := startServer(t, mw.wrap(app))
			pol, err := Parse("cors.yaml", []byte(policyFile(srv.URL)), Options{NoExpect: true})
			if err != nil {
				t.Fatal(err)
			}
			first, err := Execute(context.Background(), prober(), pol, 4)
			if err != nil {
				t.Fatal(err)
			}
			data, skipped, err := Record(first)
			if err != nil || len(skipped) > 0 {
				t.Fatalf("record: %v, skipped %v", err, skipped)
			}
			rec, err := Parse("recorded.yaml", data, Options{})
			if err != nil {
				t.Fatalf("the recording does not parse: %v\n%s", err, data)
			}
			again, err := Execute(context.Background(), prober(), rec, 4)
			if err != nil {
				t.Fatal(err)
			}
			if !again.OK() || len(again.Cases) != len(first.Cases) {
				t.Fatalf("rerun of the recording: %d passed, %d failed of %d (first run %d cases)\n%s", again.Passed, again.Failed, len(again.Cases), len(first.Cases), data)
			}
			for i := range first.Cases {
				a, b := first.Cases[i], again.Cases[i]
				a.Expect, b.Expect, a.DurationMS, b.DurationMS, a.Line, b.Line = nil, nil, 0, 0, 0, 0
				a.Passed, a.Reason = b.Passed, b.Reason // the first run checked nothing
				if !reflect.DeepEqual(a, b) {
					t.Errorf("case %d differs on rerun:\nfirst %+v\nagain %+v", i, a, b)
				}
			}
			if d := Diff(first, again); len(d) != 0 {
				t.Errorf("diff of identical runs: %+v", d)
			}

			// The regression: PUT is dropped and X-Total no longer exposed.
			sw.set(cors.New(cors.Options{AllowedOrigins: []string{page}, AllowedMethods: []string{"GET"},
				AllowedHeaders: []string{"Authorization", "Content-Type"}, AllowCredentials: true}).Handler(app))
			later, err := Execute(context.Background(), prober(), rec, 4)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, r := range later.Cases {
				if !r.Passed {
					failed = append(failed, r.Name)
				}
			}
			wantFailed := []string{"save item", "reads: GET " + srv.URL + "/items from " + page + " (omit)", "reads: GET " + srv.URL + "/items from " + page + " (include)"}
			if !reflect.DeepEqual(failed, wantFailed) {
				t.Errorf("failed %q, want %q", failed, wantFailed)
			}
			changes := Diff(again, later)
			var got []string
			for _, c := range changes {
				got = append(got, c.Case+" | "+c.Browser+" | "+c.Kind)
				switch c.Case {
				case "save item":
					want := "allowed → blocked (" + c.Now.Reason + "): " + c.Now.Summary
					if !strings.HasSuffix(c.Why, want) || !strings.Contains(c.Now.Summary, "PUT") {
						t.Errorf("why %q, want it to end %q naming PUT", c.Why, want)
					}
				default:
					if c.Why != c.Browser+": JavaScript can no longer read x-total" {
						t.Errorf("%s: why %q", c.Case, c.Why)
					}
				}
			}
			var want []string
			for _, n := range wantFailed {
				for _, b := range KnownBrowsers() {
					want = append(want, n+" | "+b+" | changed")
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("changes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestExecuteUnprobeable: a server that is down fails its case with the
// engine's verdict (the fetch fails in every browser), and a target the
// dial policy refuses fails its case with the engine's words; neither
// stops the run.
func TestExecuteUnprobeable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/x"
	ln.Close() // nothing listens there now
	srv, _ := startServer(t, cors.AllowAll().Handler(app))
	src := fmt.Sprintf("origin: %s\ncases:\n  - {name: down, url: %q, expect: allowed}\n  - {name: up, url: %q, expect: allowed}\n", page, down, srv.URL+"/ok")
	pol, err := Parse("p.yaml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	run, err := Execute(context.Background(), prober(), pol, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, up := run.Cases[0], run.Cases[1]
	if d.Passed || d.Error != "" || d.Got["firefox"].Verdict != diagnose.Blocked || d.Got["firefox"].Reason != "CORSDidNotSucceed" {
		t.Errorf("down: %+v, want failed with firefox blocked (CORSDidNotSucceed)", d)
	}
	if !strings.Contains(d.Reason, "firefox: want allowed, got blocked (CORSDidNotSucceed): "+d.Got["firefox"].Summary) {
		t.Errorf("down: reason %q", d.Reason)
	}
	if !up.Passed {
		t.Errorf("up: %+v", up)
	}

	// A prober whose policy refuses loopback, as a public dashboard's does.
	policy, err := targetpolicy.New(targetpolicy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	strict := diagnose.NewProber(diagnose.ProberConfig{Dial: policy.Dialer(&net.Dialer{}, nil)})
	run, err = Execute(context.Background(), strict, pol, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range run.Cases {
		if r.Passed || r.Error == "" || len(r.Got) != 0 || r.Reason != "not probed: "+r.Error || !strings.HasPrefix(r.Error, "url: ") {
			t.Errorf("%s: %+v, want failed, not probed, with the engine's url error", r.Name, r)
		}
	}
	if run.Failed != 2 {
		t.Errorf("failed %d, want 2", run.Failed)
	}
}

func TestExecuteCancelled(t *testing.T) {
	srv, _ := startServer(t, app)
	pol, err := Parse("p.yaml", []byte(fmt.Sprintf("origin: %s\ncases:\n  - {url: %q, expect: allowed}\n", page, srv.URL)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Execute(ctx, prober(), pol, 1); err != context.Canceled {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// barrierProber holds each probe until size probes have arrived, then
// lets them through together, and records the most in flight at once.
// With a correct bound of size, exactly size are ever in flight; a looser
// bound shows more, and a tighter one never fills the barrier (the test
// then hangs until go test's timeout fails it).
type barrierProber struct {
	inner   Prober
	size    int
	mu      sync.Mutex
	now     int
	max     int
	arrived int
	release chan struct{}
}

func (b *barrierProber) ProbePrepared(ctx context.Context, r diagnose.Prepared) (*diagnose.Report, error) {
	b.mu.Lock()
	b.now++
	b.max = max(b.max, b.now)
	if b.release == nil {
		b.release = make(chan struct{})
	}
	ch := b.release
	if b.arrived++; b.arrived == b.size {
		close(ch)
		b.release, b.arrived = nil, 0
	}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.now--
		b.mu.Unlock()
	}()
	select {
	case <-ch:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.inner.ProbePrepared(ctx, r)
}

func TestExecuteBoundedConcurrency(t *testing.T) {
	const parallel = 3
	srv, _ := startServer(t, cors.AllowAll().Handler(app))
	var b bytes.Buffer
	fmt.Fprintf(&b, "origin: %s\nmatrix:\n  - paths: [", page)
	for i := range 7 * parallel {
		fmt.Fprintf(&b, "%s/%d,", srv.URL, i)
	}
	b.WriteString("]\n    expect: allowed\n")
	pol, err := Parse("p.yaml", b.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	bp := &barrierProber{inner: prober(), size: parallel}
	run, err := Execute(context.Background(), bp, pol, parallel)
	if err != nil {
		t.Fatal(err)
	}
	if !run.OK() || len(run.Cases) != 7*parallel {
		t.Fatalf("%d passed of %d", run.Passed, len(run.Cases))
	}
	if bp.max != parallel {
		t.Errorf("at most %d probes in flight, want %d", bp.max, parallel)
	}
}

// TestCheckBrowsersAreData: Check judges whatever browsers the
// expectation and the report name, a third one included.
func TestCheckBrowsersAreData(t *testing.T) {
	got := map[string]Got{
		"firefox": {Verdict: "allowed", Exposed: []string{"x-total"}, Summary: "Firefox allows it."},
		"safari":  {Verdict: "blocked", Reason: "CORSMissingAllowOrigin", Summary: "Safari blocks it."},
	}
	tests := []struct {
		name   string
		want   Expect
		passed bool
		reason string
	}{
		{"all match", Expect{"firefox": {Verdict: "allowed", Exposed: []string{"X-Total"}}, "safari": {Verdict: "blocked", Reason: "CORSMissingAllowOrigin"}}, true, ""},
		{"unnamed browsers are not checked", Expect{"safari": {Verdict: "blocked"}}, true, ""},
		{"verdict differs", Expect{"safari": {Verdict: "allowed"}}, false, "safari: want allowed, got blocked (CORSMissingAllowOrigin): Safari blocks it."},
		{"reason differs", Expect{"safari": {Verdict: "blocked", Reason: "CORSMethodNotFound"}}, false, "safari: want blocked with CORSMethodNotFound, got blocked (CORSMissingAllowOrigin): Safari blocks it."},
		{"header not readable", Expect{"firefox": {Verdict: "allowed", Exposed: []string{"X-Total", "X-Id"}}}, false, "firefox: JavaScript cannot read X-Id (readable: x-total)"},
		{"browser not judged", Expect{"chromium": {Verdict: "allowed"}}, false, "chromium: the engine did not judge chromium (it judged firefox, safari)"},
		{"one line per browser", Expect{"firefox": {Verdict: "blocked"}, "safari": {Verdict: "allowed"}}, false,
			"firefox: want blocked, got allowed: Firefox allows it.\nsafari: want allowed, got blocked (CORSMissingAllowOrigin): Safari blocks it."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			passed, reason := Check(tc.want, got)
			if passed != tc.passed || reason != tc.reason {
				t.Errorf("Check = %v, %q; want %v, %q", passed, reason, tc.passed, tc.reason)
			}
		})
	}
}
