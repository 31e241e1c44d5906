package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"corsdoctor/browsertest"
)

// TestPasteBoxChromium pastes a Chromium console line into the home
// page's paste box in headless Chromium, with JavaScript and without: the
// box fills the diagnose form (URL and origin from the line, the method
// asked for, the reason linked), and Diagnose then goes through the one
// create path to a results page. CORSDOCTOR_SCREENSHOT=FILE saves that
// page (the README's picture).
func TestPasteBoxChromium(t *testing.T) {
	browsertest.Require(t, browsertest.Chromium)
	tgt := target(t)
	dash, logs := dashboard(t)
	line := "localhost/:1 Access to fetch at '" + tgt.URL + "/ok' from origin 'http://localhost:3000' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, file, _, _ := runtime.Caller(0)
	args := []string{filepath.Join(filepath.Dir(file), "paste.mjs"), "--browser", "chromium", "--dashboard", dash.URL + "/", "--paste", line}
	if shot := os.Getenv("CORSDOCTOR_SCREENSHOT"); shot != "" {
		args = append(args, "--screenshot", shot)
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("paste.mjs: %v\n%s", err, stderr.String())
	}
	var r struct {
		Version       string   `json:"version"`
		Error         string   `json:"error"`
		ConsoleErrors []string `json:"consoleErrors"`
		CSPViolations []string `json:"cspViolations"`
		PageErrors    []string `json:"pageErrors"`
		Runs          []struct {
			JS         bool `json:"js"`
			AfterPaste struct {
				Path, URL, Origin, Method, Credentials, Summary, ReasonHref string
				Missing                                                     []string
			} `json:"afterPaste"`
			Result struct{ Path, Headline string } `json:"result"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("paste.mjs output: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("browser %s", r.Version)
	if r.Error != "" {
		t.Fatalf("paste.mjs: %s", r.Error)
	}
	if len(r.ConsoleErrors)+len(r.CSPViolations)+len(r.PageErrors) > 0 {
		t.Errorf("console %q, CSP %q, page errors %q", r.ConsoleErrors, r.CSPViolations, r.PageErrors)
	}
	if len(r.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(r.Runs))
	}
	for _, run := range r.Runs {
		a := run.AfterPaste
		if a.Path != "/import" || a.URL != tgt.URL+"/ok" || a.Origin != "http://localhost:3000" || a.Method != "" || a.Credentials != "same-origin" {
			t.Errorf("js=%v: form after paste = %+v", run.JS, a)
		}
		if a.ReasonHref != "/reasons/CORSMissingAllowOrigin" || !strings.Contains(a.Summary, "Chromium console error") || strings.Join(a.Missing, ",") != "missing-method,missing-credentials" {
			t.Errorf("js=%v: summary %q, reason %q, missing %q", run.JS, a.Summary, a.ReasonHref, a.Missing)
		}
		if !strings.HasPrefix(run.Result.Path, "/d/") || run.Result.Headline != "Firefox and Chromium allow this request" {
			t.Errorf("js=%v: result %+v", run.JS, run.Result)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("server errors:\n%s", logs)
	}
}
