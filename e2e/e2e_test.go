// Package e2e drives the whole dashboard in a real headless browser: the
// real server (web.NewServer with a SQLite store and the real prober)
// against a loopback target, through dashboard.mjs (puppeteer-core from
// browsertest/harness). Chromium must be present under CI=true
// (scripts/ensure-browsers.sh installs it); elsewhere the test skips when
// it is missing. Firefox runs the same flow when it is installed.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"corsdoctor/browsertest"
	"corsdoctor/diagnose"
	"corsdoctor/handlers"
	"corsdoctor/remedy"
	"corsdoctor/store"
	"corsdoctor/targetpolicy"
	"corsdoctor/web"
)

// target is the loopback server under diagnosis. /slow-blocked holds its
// preflight until dashboard.mjs has seen the progress indicator tick and
// asks /release-slow (an event, not a pause a loaded machine may outlast),
// then allows only GET; /ok allows everything from anywhere.
func target(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	var releaseOnce sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/release-slow":
			releaseOnce.Do(func() { close(release) })
		case "/slow-blocked":
			if r.Method == http.MethodOptions {
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.Header().Set("Access-Control-Allow-Methods", "GET")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Write([]byte(`{"ok":true}`))
		case "/auth":
			// An authentication layer behind nginx that answers every
			// request, preflights included, before CORS: the root cause
			// the "Fix this first" box names.
			w.Header().Set("Server", "nginx/1.24.0")
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			w.WriteHeader(http.StatusUnauthorized)
		case "/ok":
			w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT")
			w.Header().Set("Access-Control-Allow-Headers", "*")
			w.Header().Set("Vary", "Origin")
			w.Write([]byte(`{"ok":true}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() {
		releaseOnce.Do(func() { close(release) })
		srv.Close()
	})
	return srv
}

// dashboard starts the real server with a real store and prober.
func dashboard(t *testing.T) (*httptest.Server, *syncBuffer) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "e2e.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	policy, err := targetpolicy.New(targetpolicy.Config{AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	// The held preflight waits for the browser to show progress, which a
	// loaded machine may take a while to do: exchange limits under the
	// dashboard's 60 s probe timeout, not the default 10 s header timeout.
	limits := diagnose.DefaultLimits
	limits.Timeout, limits.HeaderTimeout = 50*time.Second, 50*time.Second
	prober := diagnose.NewProber(diagnose.ProberConfig{Dial: policy.Dialer(&net.Dialer{}, net.DefaultResolver), Limits: limits})
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	// Wired as serve wires it, so result pages go out in one write here too.
	srv := httptest.NewUnstartedServer(web.NewServer(logger, web.Config{Settings: handlers.DefaultSettings}, prober, st))
	srv.Listener = web.CoalescingListener(srv.Listener)
	srv.Config.ConnContext = web.ConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &logs
}

type verdict struct {
	Headline        string `json:"headline"`
	Firefox         string `json:"firefox"`
	Chromium        string `json:"chromium"`
	FirefoxSummary  string `json:"firefoxSummary"`
	ChromiumSummary string `json:"chromiumSummary"`
}

type result struct {
	Browser                   string   `json:"browser"`
	Version                   string   `json:"version"`
	Steps                     []string `json:"steps"`
	Error                     string   `json:"error"`
	ConsoleErrors             []string `json:"consoleErrors"`
	CSPViolations             []string `json:"cspViolations"`
	PageErrors                []string `json:"pageErrors"`
	Title                     string   `json:"title"`
	AuthorizationAlwaysSecret bool     `json:"authorizationAlwaysSecret"`
	HeadersTextarea           string   `json:"headersTextarea"`
	SecretField               string   `json:"secretField"`
	Progress                  string   `json:"progress"`
	SubmitDisabled            bool     `json:"submitDisabled"`
	DiagnosisURL              string   `json:"diagnosisURL"`
	First                     verdict  `json:"first"`
	Shared                    verdict  `json:"shared"`
	SharedSameHTML            bool     `json:"sharedSameHTML"`
	Redacted                  string   `json:"redacted"`
	PageHasSecret             bool     `json:"pageHasSecret"`
	Findings                  []struct {
		Severity string   `json:"severity"`
		Reason   string   `json:"reason"`
		Console  []string `json:"console"`
	} `json:"findings"`
	LineTarget *struct {
		ID        string `json:"id"`
		Offending bool   `json:"offending"`
		Text      string `json:"text"`
	} `json:"lineTarget"`
	StepClasses   []string `json:"steps_"`
	CopyLabel     string   `json:"copyLabel"`
	Clipboard     string   `json:"clipboard"`
	CurlPreflight string   `json:"curlPreflight"`
	HAR           struct {
		Status      int    `json:"status"`
		Disposition string `json:"disposition"`
		Version     string `json:"version"`
		Entries     int    `json:"entries"`
	} `json:"har"`
	RememberedOrigin string `json:"rememberedOrigin"`
	BadInput         struct {
		Summary    string `json:"summary"`
		FieldError string `json:"fieldError"`
		Invalid    string `json:"invalid"`
		KeptURL    string `json:"keptURL"`
		KeptOrigin string `json:"keptOrigin"`
		Focused    string `json:"focused"`
	} `json:"badInput"`
	NoJS struct {
		TextareaVisible bool    `json:"textareaVisible"`
		URL             string  `json:"url"`
		Verdict         verdict `json:"verdict"`
	} `json:"noJS"`
	FocusTrail         []string `json:"focusTrail"`
	NarrowOverflow     int      `json:"narrowOverflow"`
	NarrowFormOverflow int      `json:"narrowFormOverflow"`
}

func scriptPath(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find the e2e directory")
	}
	return filepath.Join(filepath.Dir(file), "dashboard.mjs")
}

func run(t *testing.T, browser, dashURL, targetURL, origin string, logs *syncBuffer) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", scriptPath(t), "--browser", browser, "--dashboard", dashURL+"/", "--target", targetURL, "--origin", origin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dashboard.mjs: %v\n%s", err, stderr.String())
	}
	var r result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("decode result: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("%s %s: %s", browser, r.Version, strings.Join(r.Steps, "; "))
	if r.Error != "" {
		t.Fatalf("the flow failed after %q: %s\n%s\nserver log:\n%s", r.Steps, r.Error, stderr.String(), logs)
	}
	return r
}

func TestDashboardChromium(t *testing.T) {
	browsertest.Require(t, browsertest.Chromium)
	testDashboard(t, browsertest.Chromium)
}

func TestDashboardFirefox(t *testing.T) {
	if os.Getenv("CORSDOCTOR_E2E_FIREFOX") == "" {
		t.Skip("set CORSDOCTOR_E2E_FIREFOX=1 to run the flow in Firefox ESR too")
	}
	browsertest.Require(t, browsertest.Firefox)
	testDashboard(t, browsertest.Firefox)
}

func testDashboard(t *testing.T, browser string) {
	tgt := target(t)
	dash, logs := dashboard(t)
	const origin = "http://app.localhost:3000"
	r := run(t, browser, dash.URL, tgt.URL, origin, logs)

	if len(r.ConsoleErrors) > 0 {
		t.Errorf("console errors: %q", r.ConsoleErrors)
	}
	if len(r.CSPViolations) > 0 {
		t.Errorf("CSP violations: %q", r.CSPViolations)
	}
	if len(r.PageErrors) > 0 {
		t.Errorf("page errors: %q", r.PageErrors)
	}
	if r.Title != "Diagnose a CORS request · corsdoctor" {
		t.Errorf("title = %q", r.Title)
	}

	// The row editor wrote the raw block and the secret list.
	if r.HeadersTextarea != "Content-Type: application/json\nX-Trace: trace-e2e-secret\nAuthorization: Bearer e2e-secret" {
		t.Errorf("headers textarea = %q", r.HeadersTextarea)
	}
	if r.SecretField != "X-Trace" || !r.AuthorizationAlwaysSecret {
		t.Errorf("secret field = %q, Authorization always secret = %v", r.SecretField, r.AuthorizationAlwaysSecret)
	}
	if !strings.Contains(r.Progress, "Probing the target") || !strings.Contains(r.Progress, "gives up after 60 s") || !r.SubmitDisabled {
		t.Errorf("progress = %q, submit disabled = %v", r.Progress, r.SubmitDisabled)
	}

	// The verdict, in words.
	if !strings.Contains(r.DiagnosisURL, dash.URL+"/d/") {
		t.Fatalf("landed on %q", r.DiagnosisURL)
	}
	if r.First.Headline != "Firefox and Chromium block this request" || r.First.Firefox != "✕ Blocked" || r.First.Chromium != "✕ Blocked" {
		t.Errorf("verdict = %+v", r.First)
	}
	if !strings.Contains(r.First.FirefoxSummary, "preflight") || !strings.Contains(r.First.ChromiumSummary, "never sent") {
		t.Errorf("summaries = %q / %q", r.First.FirefoxSummary, r.First.ChromiumSummary)
	}
	if r.First != r.Shared || !r.SharedSameHTML {
		t.Errorf("the share link shows something else: %+v vs %+v (same HTML %v)", r.First, r.Shared, r.SharedSameHTML)
	}
	if !strings.Contains(r.Redacted, "Authorization") || !strings.Contains(r.Redacted, "X-Trace") || r.PageHasSecret {
		t.Errorf("redacted = %q, page has a secret = %v", r.Redacted, r.PageHasSecret)
	}
	if len(r.Findings) == 0 || r.Findings[0].Severity != "error" || len(r.Findings[0].Console) < 2 {
		t.Fatalf("findings = %+v", r.Findings)
	}
	if !strings.HasPrefix(r.Findings[0].Console[0], "Cross-Origin Request Blocked:") || !strings.HasPrefix(r.Findings[0].Console[1], "Access to fetch at '"+tgt.URL+"/slow-blocked' from origin '"+origin+"'") {
		t.Errorf("console lines = %q", r.Findings[0].Console)
	}
	if r.LineTarget == nil || !r.LineTarget.Offending || !strings.Contains(r.LineTarget.Text, "Access-Control-Allow-") {
		t.Errorf("the finding's link leads to %+v", r.LineTarget)
	}
	if len(r.StepClasses) != 2 || !strings.Contains(r.StepClasses[0], "fail") || !strings.Contains(r.StepClasses[1], "skipped") {
		t.Errorf("timeline = %q", r.StepClasses)
	}
	if browser == browsertest.Chromium {
		if r.CopyLabel != "Copied" || r.Clipboard != r.CurlPreflight || !strings.HasPrefix(r.Clipboard, "curl -i -X OPTIONS '"+tgt.URL+"/slow-blocked'") {
			t.Errorf("copy: label %q, clipboard %q, snippet %q", r.CopyLabel, r.Clipboard, r.CurlPreflight)
		}
	}
	if r.HAR.Status != 200 || !strings.HasPrefix(r.HAR.Disposition, "attachment;") || r.HAR.Version != "1.2" || r.HAR.Entries != 1 {
		t.Errorf("HAR = %+v", r.HAR)
	}

	// Bad input, the remembered origin, the no-JavaScript path.
	if r.RememberedOrigin != origin {
		t.Errorf("remembered origin = %q", r.RememberedOrigin)
	}
	b := r.BadInput
	if !strings.Contains(b.FieldError, "has a path") || !strings.Contains(b.FieldError, "Type "+origin) || b.Invalid != "true" ||
		b.KeptURL != tgt.URL+"/ok" || b.KeptOrigin != origin+"/app/" || b.Focused != "error-summary" {
		t.Errorf("bad input = %+v", b)
	}
	if browser == browsertest.Chromium && (!r.NoJS.TextareaVisible || !strings.Contains(r.NoJS.URL, "/d/") || r.NoJS.Verdict.Headline != "Firefox and Chromium allow this request") {
		t.Errorf("no JavaScript = %+v", r.NoJS)
	}
	if len(r.FocusTrail) < 4 || r.FocusTrail[0] != "skip" {
		t.Errorf("Tab order = %q", r.FocusTrail)
	}
	if r.NarrowOverflow > 0 || r.NarrowFormOverflow > 0 {
		t.Errorf("horizontal overflow at 375 px: results %d px, form %d px", r.NarrowOverflow, r.NarrowFormOverflow)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("server errors:\n%s", logs)
	}
}

// syncBuffer is a bytes.Buffer the server's goroutines may write while the
// test reads it: request lines are logged after the response is sent.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type rootCauseBox struct {
	URL               string `json:"url"`
	Present           bool   `json:"present"`
	FirstAfterVerdict bool   `json:"firstAfterVerdict"`
	Summary           string `json:"summary"`
	Layer             string `json:"layer"`
	Stack             string `json:"stack"`
	StackName         string `json:"stackName"`
	Unverified        bool   `json:"unverified"`
	Selected          string `json:"selected"`
	Snippet           string `json:"snippet"`
	CopyVisible       bool   `json:"copyVisible"`
	Collapsed         int    `json:"collapsed"`
	RedCards          int    `json:"redCards"`
	ShareLink         string `json:"shareLink"`
}

// TestRootCauseBoxChromium opens a diagnosis whose preflight an
// authentication layer answers 401: the page shows "Fix this first" with
// the detected stack's fix, and picking another stack in its select
// re-renders the snippet for that stack, with ?stack= in the URL and in
// the share link, without probing the target again.
func TestRootCauseBoxChromium(t *testing.T) {
	browsertest.Require(t, browsertest.Chromium)
	var probes atomic.Int32
	tgt := target(t)
	counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probes.Add(1)
		tgt.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(counted.Close)
	dash, logs := dashboard(t)

	body, _ := json.Marshal(map[string]any{"url": counted.URL + "/auth", "origin": "https://app.example.com", "method": "PUT",
		"headers": []map[string]string{{"name": "Content-Type", "value": "application/json"}}})
	resp, err := http.Post(dash.URL+"/api/v1/diagnoses", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		URL    string          `json:"url"`
		Report diagnose.Report `json:"report"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || created.Report.RootCause == nil {
		t.Fatalf("create: %d %v %+v", resp.StatusCode, err, created.Report.RootCause)
	}
	sent := probes.Load()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.CommandContext(ctx, "node", filepath.Join(filepath.Dir(file), "rootcause.mjs"), "--browser", "chromium", "--page", created.URL, "--stack", "spring")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rootcause.mjs: %v\n%s", err, stderr.String())
	}
	var r struct {
		Version       string       `json:"version"`
		Error         string       `json:"error"`
		ConsoleErrors []string     `json:"consoleErrors"`
		CSPViolations []string     `json:"cspViolations"`
		PageErrors    []string     `json:"pageErrors"`
		Before        rootCauseBox `json:"before"`
		After         rootCauseBox `json:"after"`
		Clipboard     string       `json:"clipboard"`
		Narrow        int          `json:"narrowOverflow"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("decode: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if r.Error != "" {
		t.Fatalf("the flow failed: %s\nserver log:\n%s", r.Error, logs)
	}
	t.Logf("chromium %s", r.Version)
	if len(r.ConsoleErrors)+len(r.CSPViolations)+len(r.PageErrors) > 0 {
		t.Errorf("console errors %q, CSP violations %q, page errors %q", r.ConsoleErrors, r.CSPViolations, r.PageErrors)
	}

	rc := created.Report.RootCause
	b := r.Before
	if !b.Present || !b.FirstAfterVerdict || b.Summary != rc.Summary || b.Layer != "refused by the authentication layer" {
		t.Errorf("box before = %+v", b)
	}
	if b.Stack != "nginx" || b.Selected != "nginx" || b.StackName != "nginx" || b.Unverified {
		t.Errorf("detected stack: %q selected %q name %q unverified %v", b.Stack, b.Selected, b.StackName, b.Unverified)
	}
	if b.Snippet != rc.Fix.Snippet.Code || !strings.Contains(b.Snippet, "add_header Access-Control-Allow-Origin") || !b.CopyVisible {
		t.Errorf("nginx snippet = %q (copy button visible %v)", b.Snippet, b.CopyVisible)
	}
	if b.Collapsed < 2 || b.RedCards != 0 {
		t.Errorf("collapsed %d, red cards %d", b.Collapsed, b.RedCards)
	}

	a := r.After
	if a.URL != created.URL+"?stack=spring" || a.ShareLink != created.URL+"?stack=spring" {
		t.Errorf("after picking spring: URL %q, share link %q", a.URL, a.ShareLink)
	}
	if a.Stack != "spring" || a.Selected != "spring" || !a.Unverified || a.Summary != b.Summary {
		t.Errorf("box after = %+v", a)
	}
	want := diagnose.Explain(&created.Report, remedy.Spring).Fix.Snippet.Code
	if a.Snippet != want || !strings.Contains(a.Snippet, "CorsConfigurationSource") || a.Snippet == b.Snippet {
		t.Errorf("spring snippet = %q, want %q", a.Snippet, want)
	}
	if r.Clipboard != a.Snippet {
		t.Errorf("the copy button copied %q", r.Clipboard)
	}
	if r.Narrow > 0 {
		t.Errorf("the page overflows by %d px at 375 px", r.Narrow)
	}
	if n := probes.Load(); n != sent {
		t.Errorf("the target got %d more requests: picking a stack must not probe again", n-sent)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("server errors:\n%s", logs)
	}
}
