package differential

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"corsdoctor/browsertest"
	"corsdoctor/diagnose"
	"corsdoctor/fixture"
)

// run is one browser's (or corsdoctor's) outcome for one scenario, in
// comparable form.
type run struct {
	verdict  string   // allowed, blocked, timeout, harness-error
	console  []string // CORS console lines, URLs normalised
	reason   string   // Firefox reason of the first blocking line
	status   int
	readable []string // header names JavaScript can read
	requests []string // "METHOD /path" that reached the server
	bodyErr  string   // what res.text() rejected with, when fetch() resolved
}

func TestCatalogIsValid(t *testing.T) {
	scenarios, err := LoadCatalog("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	if len(scenarios) < 80 {
		t.Errorf("the catalog has %d scenarios; the suite promises at least 80", len(scenarios))
	}
	known, err := LoadKnownDifferences("known-differences.json")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range scenarios {
		names[s.Name] = true
	}
	for _, k := range known {
		if !names[k.Scenario] {
			t.Errorf("known difference names unknown scenario %q", k.Scenario)
		}
	}
}

// TestBrowsersAgree runs every scenario through Chromium, Firefox ESR and
// corsdoctor, and fails on any disagreement not in known-differences.json.
func TestBrowsersAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("browser suite skipped in -short mode")
	}
	browsers := []string{browsertest.Chromium, browsertest.Firefox}
	for _, b := range browsers {
		browsertest.Require(t, b)
	}
	scenarios, err := LoadCatalog("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	if only := os.Getenv("CORSDOCTOR_SCENARIO"); only != "" {
		// "name" matches names containing it; "prefix*" names starting with it.
		scenarios = slices.DeleteFunc(scenarios, func(s Scenario) bool {
			if p, ok := strings.CutSuffix(only, "*"); ok {
				return !strings.HasPrefix(s.Name, p)
			}
			return !strings.Contains(s.Name, only)
		})
	}
	known, err := LoadKnownDifferences("known-differences.json")
	if err != nil {
		t.Fatal(err)
	}
	fx, err := fixture.Start(fixture.Options{ReadTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	closed := closedOrigin(t)

	// Bounded well inside scripts/test's 20-minute go test timeout; the
	// catalog (and its stalls and 1xx floods) outgrew 8 minutes on a loaded
	// 2-core machine.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	// corsdoctor's verdicts.
	prober := diagnose.NewProber(diagnose.ProberConfig{NoFollowups: true, Limits: diagnose.Limits{Timeout: 5 * time.Second, BodyIdleTimeout: time.Second}})
	predicted := map[string]*diagnose.Report{}
	for _, s := range scenarios {
		prefix := "/cd/" + s.Name
		fx.Handle(s.routesFor(prefix)...)
		req := diagnose.Request{
			URL:         s.url(fx, prefix, closed),
			Origin:      fx.URL("page"),
			Method:      s.Fetch.Method,
			Credentials: diagnose.Credentials(s.Fetch.Credentials),
			Mode:        diagnose.Mode(s.Fetch.Mode),
		}
		if req.Credentials == "" {
			req.Credentials = diagnose.CredentialsSameOrigin
		}
		for _, h := range s.Fetch.Headers {
			req.Headers = append(req.Headers, diagnose.Header{Name: h[0], Value: h[1]})
		}
		if s.Fetch.Body != nil {
			req.Body = *s.Fetch.Body
		}
		rep, err := prober.Probe(ctx, req)
		if err != nil {
			t.Fatalf("%s: corsdoctor: %v", s.Name, err)
		}
		predicted[s.Name] = rep
	}

	// The browsers' verdicts, each in one harness run.
	observed := map[string]map[string]browsertest.Result{}
	versions := map[string]string{}
	for _, b := range browsers {
		var jobs []browsertest.Job
		for _, s := range scenarios {
			prefix := "/" + b + "/" + s.Name
			fx.Handle(s.routesFor(prefix)...)
			f := browsertest.Fetch{
				URL:         s.url(fx, prefix, closed),
				Method:      s.Fetch.Method,
				Headers:     s.Fetch.Headers,
				Body:        s.Fetch.Body,
				Credentials: s.Fetch.Credentials,
				Mode:        s.Fetch.Mode,
			}
			jobs = append(jobs, browsertest.Job{ID: s.Name, PageURL: fx.URL("page") + "/", Fetch: f})
		}
		rep, err := browsertest.Runner{}.Run(ctx, b, jobs)
		if err != nil {
			t.Fatalf("%s harness: %v", b, err)
		}
		versions[b] = rep.Version
		observed[b] = map[string]browsertest.Result{}
		for _, r := range rep.Results {
			observed[b][r.ID] = r
		}
	}

	// Compare.
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s\t%s\tcorsdoctor (%s)\tagree?\n", browsers[0], browsers[1], strings.Join(browsers, " / "))
	agree := map[string]int{}
	for _, s := range scenarios {
		rep := predicted[s.Name]
		row := []string{s.Name}
		var cd []string
		allAgree := true
		for _, b := range browsers {
			prefix := "/" + b + "/" + s.Name
			want := fromReport(rep, b, fx, "/cd/"+s.Name, prefix)
			got := fromBrowser(observed[b][s.Name], b, fx, prefix)
			diffs := compare(want, got)
			row = append(row, describe(got, b))
			cd = append(cd, describe(want, b))
			ok := true
			for _, d := range diffs {
				if k := findKnown(known, s.Name, b, d.field); k != nil {
					continue
				}
				ok = false
				t.Errorf("%s [%s] %s differs:\n  corsdoctor: %s\n  %-10s: %s", s.Name, b, d.field, d.want, b, d.got)
			}
			if ok {
				agree[b]++
			} else {
				allAgree = false
			}
		}
		row = append(row, strings.Join(cd, " / "), map[bool]string{true: "yes", false: "NO"}[allAgree])
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	summary := fmt.Sprintf("\nagreement: firefox %d/%d (%s), chromium %d/%d (%s), known differences listed: %d\n",
		agree[browsertest.Firefox], len(scenarios), versions[browsertest.Firefox],
		agree[browsertest.Chromium], len(scenarios), versions[browsertest.Chromium], len(known))
	t.Log("\n" + table.String() + summary)
	if dir := os.Getenv("CORSDOCTOR_REPORT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "agreement.txt"), []byte(table.String()+summary), 0o644)
	}
}

func (s Scenario) url(fx *fixture.Server, prefix, closed string) string {
	if s.Fetch.RawURL != "" {
		u := strings.ReplaceAll(s.Fetch.RawURL, "{{closed}}", closed)
		u = strings.ReplaceAll(u, "{{s}}", prefix)
		for _, l := range []string{"target", "other", "host", "page"} {
			u = strings.ReplaceAll(u, "{{"+l+"}}", fx.URL(l))
			u = strings.ReplaceAll(u, "{{"+l+":port}}", fx.URL(l)[strings.LastIndexByte(fx.URL(l), ':')+1:])
		}
		return u
	}
	target := s.Fetch.Target
	if target == "" {
		target = "target"
	}
	return fx.URL(target) + prefix + s.Fetch.Path
}

// closedOrigin is an origin where nothing listens: connections are refused.
func closedOrigin(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func fromReport(rep *diagnose.Report, browser string, fx *fixture.Server, cdPrefix, prefix string) run {
	b := diagnose.Browser(browser)
	r := run{verdict: string(rep.Verdict.For(b))}
	lines := rep.Console.Firefox
	js := rep.JS.Firefox
	if b == diagnose.Chromium {
		lines, js = rep.Console.Chromium, rep.JS.Chromium
	}
	for _, l := range lines {
		r.console = append(r.console, strings.ReplaceAll(l, cdPrefix, prefix))
	}
	if b == diagnose.Firefox && len(rep.Console.Firefox) > 0 {
		r.reason = firefoxReason(rep.Console.Firefox[0])
	}
	if js.Outcome == "resolved" {
		r.status = js.Status
		r.bodyErr = js.BodyError
		for _, h := range js.Readable {
			r.readable = append(r.readable, h.Name)
		}
	}
	for _, ex := range rep.Exchanges {
		if !slices.Contains(ex.Browsers, b) {
			continue
		}
		if ex.Response == nil && ex.Error != nil && (ex.Error.Kind == "refused" || ex.Error.Kind == "dns") {
			continue
		}
		r.requests = append(r.requests, ex.Request.Method+" "+strings.ReplaceAll(pathOf(ex.Request.URL), cdPrefix, ""))
	}
	_ = fx
	return r
}

func fromBrowser(res browsertest.Result, browser string, fx *fixture.Server, prefix string) run {
	r := run{verdict: "blocked"}
	switch {
	case res.HarnessError != "":
		r.verdict = "harness-error: " + res.HarnessError
	case res.TimedOut:
		r.verdict = "timeout"
	case res.Resolved:
		r.verdict = "allowed"
		r.status = res.Status
		r.bodyErr = res.Error
		for _, h := range res.Headers {
			r.readable = append(r.readable, h[0])
		}
	}
	for _, m := range res.Console {
		if isCORSLine(browser, m) {
			r.console = append(r.console, m.Text)
		}
	}
	if browser == browsertest.Firefox && len(r.console) > 0 {
		r.reason = firefoxReason(r.console[0])
	}
	for _, req := range fx.RequestsTo(prefix + "/") {
		r.requests = append(r.requests, req.Method+" "+strings.TrimPrefix(req.Path(), prefix))
	}
	return r
}

// isCORSLine keeps the console lines corsdoctor predicts: the CORS lines,
// not network-level or unrelated messages.
func isCORSLine(browser string, m browsertest.ConsoleMessage) bool {
	if browser == browsertest.Firefox {
		return strings.HasPrefix(m.Text, "Cross-Origin Request Blocked") || strings.HasPrefix(m.Text, "Cross-Origin Request Warning")
	}
	return strings.Contains(m.Text, "has been blocked by CORS policy") || strings.HasPrefix(m.Text, "Fetch API cannot load")
}

var reasonRE = regexp.MustCompile(`\(Reason: (.*?)\)(\.|$| Status)`)

// firefoxReasons maps the text inside "(Reason: …)" to Firefox's ID.
var firefoxReasons = []struct{ prefix, id string }{
	{"CORS disabled", "CORSDisabled"},
	{"CORS request did not succeed", "CORSDidNotSucceed"},
	{"CORS header ‘Origin’ cannot be added", "CORSOriginHeaderNotAdded"},
	{"CORS request external redirect not allowed", "CORSExternalRedirectNotAllowed"},
	{"CORS request not http", "CORSRequestNotHttp"},
	{"CORS header ‘Access-Control-Allow-Origin’ missing", "CORSMissingAllowOrigin"},
	{"CORS header ‘Access-Control-Allow-Origin’ does not match", "CORSAllowOriginNotMatchingOrigin"},
	{"Credential is not supported", "CORSNotSupportingCredentials"},
	{"Did not find method", "CORSMethodNotFound"},
	{"expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’", "CORSMissingAllowCredentials"},
	{"CORS preflight", "CORSPreflightDidNotSucceed"},
	{"invalid token ‘", "invalid-token"},
	{"header ‘", "CORSMissingAllowHeaderFromPreflight"},
	{"missing token", "CORSMissingAllowHeaderFromPreflight"},
	{"Multiple CORS header", "CORSMultipleAllowOriginNotAllowed"},
	{"When the `Access-Control-Allow-Headers` is `*`", "authorization-wildcard"},
}

func firefoxReason(line string) string {
	m := reasonRE.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	for _, r := range firefoxReasons {
		if strings.HasPrefix(m[1], r.prefix) {
			if r.id == "invalid-token" {
				if strings.Contains(m[1], "Allow-Methods") {
					return "CORSInvalidAllowMethod"
				}
				return "CORSInvalidAllowHeader"
			}
			return r.id
		}
	}
	return "unknown: " + m[1]
}

type diff struct{ field, want, got string }

func compare(want, got run) []diff {
	var out []diff
	if want.verdict != got.verdict {
		out = append(out, diff{"verdict", want.verdict, got.verdict})
	}
	if want.reason != got.reason {
		out = append(out, diff{"reason", want.reason, got.reason})
	}
	if !slices.Equal(want.console, got.console) {
		out = append(out, diff{"console", strings.Join(want.console, "\n              "), strings.Join(got.console, "\n              ")})
	}
	if want.verdict == "allowed" && got.verdict == "allowed" && (want.status != got.status || !slices.Equal(want.readable, got.readable)) {
		out = append(out, diff{"js", fmt.Sprintf("%d %v", want.status, want.readable), fmt.Sprintf("%d %v", got.status, got.readable)})
	}
	if want.verdict == "allowed" && got.verdict == "allowed" && want.bodyErr != got.bodyErr {
		out = append(out, diff{"body", want.bodyErr, got.bodyErr})
	}
	if !slices.Equal(want.requests, got.requests) {
		out = append(out, diff{"requests", strings.Join(want.requests, ", "), strings.Join(got.requests, ", ")})
	}
	return out
}

func describe(r run, browser string) string {
	if r.verdict != "blocked" {
		return r.verdict
	}
	if browser == browsertest.Firefox && r.reason != "" {
		return "blocked " + r.reason
	}
	if len(r.console) > 0 {
		msg := r.console[0]
		if i := strings.Index(msg, "CORS policy: "); i >= 0 {
			msg = msg[i+len("CORS policy: "):]
		}
		msg = strings.TrimPrefix(msg, "Response to preflight request doesn't pass access control check: ")
		if len(msg) > 48 {
			msg = msg[:48] + "…"
		}
		return "blocked: " + msg
	}
	return "blocked"
}

func findKnown(known []KnownDifference, scenario, browser, field string) *KnownDifference {
	for i, k := range known {
		if k.Scenario == scenario && k.Browser == browser && k.Field == field {
			return &known[i]
		}
	}
	return nil
}

func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return u
}
