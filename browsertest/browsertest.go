// Package browsertest runs fetch() in real headless browsers and records what
// happened, so corsdoctor's predictions can be checked against the judges.
//
// The browsers are driven by a small Node program, harness/harness.mjs, which
// uses puppeteer-core: Chromium over CDP and Firefox ESR over WebDriver BiDi.
// Run starts one harness process (one browser process) per call, sends it the
// jobs as JSON on stdin and reads one JSON report from stdout. Every job runs in
// a fresh browser context, so caches (the CORS preflight cache included) and
// cookies never leak from one job to another. scripts/ensure-browsers.sh
// installs the browsers and the harness's node_modules; Available and Require
// only check.
//
// How console lines are captured, and why Firefox needs a parent-process
// console listener, is explained at the top of harness/harness.mjs.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// Browser names accepted by Run.
const (
	Chromium = "chromium"
	Firefox  = "firefox"
)

// Fetch is the fetch() call a job makes from its page: fetch(URL, {method,
// headers, body, credentials, mode}). Empty strings and a nil Body leave the
// option out, so the browser's default applies.
type Fetch struct {
	URL         string      `json:"url"`
	Method      string      `json:"method,omitempty"`
	Headers     [][2]string `json:"headers,omitempty"` // name, value; order and duplicates kept
	Body        *string     `json:"body"`
	Credentials string      `json:"credentials,omitempty"` // "omit", "same-origin", "include"
	Mode        string      `json:"mode,omitempty"`        // "cors", "no-cors", "same-origin"
}

// Job opens PageURL (a loopback http page, which sets the request's origin)
// in a fresh browser context and runs Fetch in it. A job with ParseURLs
// instead runs new URL(s) on each and records the results in
// Result.Parsed; nothing is fetched, so the URLs may name any host.
// With ParseBase, each is resolved against it: new URL(s, ParseBase).
type Job struct {
	ID        string   `json:"id"`
	PageURL   string   `json:"pageURL"`
	Fetch     Fetch    `json:"fetch,omitzero"`
	ParseURLs []string `json:"parseURLs,omitempty"`
	ParseBase string   `json:"parseBase,omitempty"`
}

// ConsoleMessage is one line the browser printed for the job's page.
//
// Source says where it came from, so callers can filter:
//   - Chromium: the CDP Log.entryAdded source ("javascript" for "Access to
//     fetch at ... has been blocked by CORS policy", "network" for "Failed to
//     load resource: ...", also "security", "deprecation", "violation"...),
//     "console-api" for console.* calls, "exception" for uncaught exceptions,
//     and "issue" for DevTools issues (not console lines; Text is the issue
//     code and its JSON details, e.g. the AuthorizationCoveredByWildcard
//     deprecation, which Chromium no longer prints).
//   - Firefox: "script-error" for nsIScriptError messages from the console
//     service ("Cross-Origin Request Blocked: ...", CSP, exceptions),
//     "console-api" for console.* calls, and "bidi-javascript" when the
//     harness could only use WebDriver BiDi (errors only; see Report).
//
// Level is "error", "warning", "info", "log", "debug" or "verbose".
// Category is the browser's own tag: Chromium's Log category (e.g. "cors") or
// issue code; Firefox's nsIScriptError category, which for CORS lines is the
// security.properties key (e.g. "CORSMissingAllowOrigin2").
type ConsoleMessage struct {
	Source   string `json:"source"`
	Level    string `json:"level"`
	Text     string `json:"text"`
	Category string `json:"category"`
}

// Result is what one job saw. When the fetch resolved, Status, Type, URL
// (response.url), Redirected, Headers (what JavaScript can read, as the
// Headers iterator yields them: lower-case, sorted, duplicates combined) and
// Body (at most 64 KiB of characters; BodyTruncated says so) are set, and
// Error holds a failure to read the body, if any. When it rejected, Error is
// String(err), e.g. "TypeError: Failed to fetch". TimedOut means the fetch
// neither resolved nor rejected within the job timeout. Console holds every
// line the browser printed for the job, in order. HarnessError is set when
// the harness itself could not run the job (the page did not load, the
// browser crashed); the other fields are then unreliable.
type Result struct {
	ID            string           `json:"id"`
	Resolved      bool             `json:"resolved"`
	Status        int              `json:"status"`
	Type          string           `json:"type"`
	URL           string           `json:"url"`
	Redirected    bool             `json:"redirected"`
	Headers       [][2]string      `json:"headers"`
	Body          string           `json:"body"`
	BodyTruncated bool             `json:"bodyTruncated"`
	Error         string           `json:"error"`
	TimedOut      bool             `json:"timedOut"`
	Console       []ConsoleMessage `json:"console"`
	HarnessError  string           `json:"harnessError"`
	// Parsed holds, for a ParseURLs job, what new URL(s) gave for each.
	Parsed []ParsedURL `json:"parsed"`
}

// ParsedURL is the URL constructor's answer for one string: the URL's
// origin and href, or Error (String(err)) when it threw.
type ParsedURL struct {
	Origin string `json:"origin"`
	Href   string `json:"href"`
	Error  string `json:"error"`
}

// Report is everything one harness run returns.
type Report struct {
	Browser string `json:"browser"`
	Version string `json:"version"` // e.g. "Chrome/156.0.8078.79", "firefox/153.7.0"
	// ConsoleCapture is how console lines were collected: "cdp" (Chromium),
	// "chrome-console-listener" (Firefox, all levels) or "bidi-errors-only"
	// (Firefox without system access: warnings are missing).
	ConsoleCapture string   `json:"consoleCapture"`
	LaunchMS       int64    `json:"launchMs"` // browser start-up
	TotalMS        int64    `json:"totalMs"`  // start-up plus all jobs
	Results        []Result `json:"results"`
}

// Runner holds the settings of a harness run. The zero value is ready to use.
type Runner struct {
	// Node is the node executable; "" means "node" on PATH.
	Node string
	// HarnessDir holds harness.mjs and node_modules; "" means
	// $CORSDOCTOR_HARNESS_DIR, else browsertest/harness in this source tree.
	HarnessDir string
	// Executable is the browser binary; "" lets the harness choose
	// ($CORSDOCTOR_CHROMIUM / $CORSDOCTOR_FIREFOX, then the Debian paths).
	Executable string
	// JobTimeout bounds each page load and each fetch; 0 means 10 s.
	JobTimeout time.Duration
	// Settle is how long the console must stay quiet after the fetch settles
	// before the job ends; 0 means 150 ms.
	Settle time.Duration
}

// Run drives one browser ("chromium" or "firefox") through all jobs via the
// node harness and returns one Result per job, in job order.
func Run(ctx context.Context, browser string, jobs []Job) ([]Result, error) {
	rep, err := Runner{}.Run(ctx, browser, jobs)
	return rep.Results, err
}

// Run drives one browser through all jobs and returns the whole report.
// A CORS failure is data in a Result; an error means bad input, a missing
// harness or browser, or a harness crash.
func (r Runner) Run(ctx context.Context, browser string, jobs []Job) (Report, error) {
	if err := checkBrowser(browser); err != nil {
		return Report{}, err
	}
	seen := make(map[string]bool, len(jobs))
	for i, j := range jobs {
		if j.ID == "" || seen[j.ID] {
			return Report{}, fmt.Errorf("job %d: ID %q is empty or repeated", i, j.ID)
		}
		seen[j.ID] = true
		if (j.Fetch.URL == "") == (len(j.ParseURLs) == 0) || len(j.ParseURLs) > 0 && !reflect.ValueOf(j.Fetch).IsZero() {
			return Report{}, fmt.Errorf("job %q: set either Fetch or ParseURLs", j.ID)
		}
	}
	if len(jobs) == 0 {
		return Report{Browser: browser}, nil
	}
	input, err := json.Marshal(jobs)
	if err != nil {
		return Report{}, fmt.Errorf("encode jobs: %w", err)
	}
	args := []string{"--browser", browser}
	if r.JobTimeout > 0 {
		args = append(args, "--timeout-ms", strconv.FormatInt(r.JobTimeout.Milliseconds(), 10))
	}
	if r.Settle > 0 {
		args = append(args, "--settle-ms", strconv.FormatInt(r.Settle.Milliseconds(), 10))
	}
	cmd, err := r.command(ctx, args...)
	if err != nil {
		return Report{}, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdin = bytes.NewReader(input)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Report{}, fmt.Errorf("harness %s: %w (%w)", browser, ctx.Err(), err)
		}
		return Report{}, fmt.Errorf("harness %s: %w: %s", browser, err, tail(stderr.Bytes()))
	}
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return Report{}, fmt.Errorf("harness %s: decode report: %w: %s", browser, err, tail(stderr.Bytes()))
	}
	if len(rep.Results) != len(jobs) {
		return Report{}, fmt.Errorf("harness %s: %d results for %d jobs", browser, len(rep.Results), len(jobs))
	}
	for i := range jobs {
		if rep.Results[i].ID != jobs[i].ID {
			return Report{}, fmt.Errorf("harness %s: result %d is for job %q, want %q", browser, i, rep.Results[i].ID, jobs[i].ID)
		}
	}
	return rep, nil
}

// command builds a harness invocation. On cancellation the harness gets
// SIGTERM, closes its browser and exits; it is killed if it has not within
// ten seconds.
func (r Runner) command(ctx context.Context, args ...string) (*exec.Cmd, error) {
	dir, err := r.harnessDir()
	if err != nil {
		return nil, err
	}
	node := r.Node
	if node == "" {
		node = "node"
	}
	if r.Executable != "" {
		args = append(args, "--executable", r.Executable)
	}
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join(dir, "harness.mjs")}, args...)...)
	cmd.Dir = dir
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	return cmd, nil
}

func (r Runner) harnessDir() (string, error) {
	dir := r.HarnessDir
	if dir == "" {
		dir = os.Getenv("CORSDOCTOR_HARNESS_DIR")
	}
	if dir == "" {
		dir = sourceHarnessDir()
	}
	if _, err := os.Stat(filepath.Join(dir, "harness.mjs")); err != nil {
		return "", fmt.Errorf("harness not found (set CORSDOCTOR_HARNESS_DIR): %w", err)
	}
	return dir, nil
}

// sourceHarnessDir finds browsertest/harness next to this file, which is
// where it is when tests or `go run` build from the source tree.
func sourceHarnessDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "harness"
	}
	return filepath.Join(filepath.Dir(file), "harness")
}

func checkBrowser(browser string) error {
	if browser != Chromium && browser != Firefox {
		return fmt.Errorf("browser %q: want %q or %q", browser, Chromium, Firefox)
	}
	return nil
}

// tail returns the end of the harness's stderr for error messages.
func tail(b []byte) string {
	const max = 2000
	b = bytes.TrimSpace(b)
	if len(b) > max {
		b = append([]byte("…"), b[len(b)-max:]...)
	}
	if len(b) == 0 {
		return "(no stderr)"
	}
	return string(b)
}

// errUnavailable marks a missing browser, node or node_modules.
var errUnavailable = errors.New("browser harness unavailable")
