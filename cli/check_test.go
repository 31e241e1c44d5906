package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"corsdoctor/diagnose"
	"corsdoctor/fixture"
	"corsdoctor/remedy"
	"corsdoctor/termsafe"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func startFixture(t *testing.T) *fixture.Server {
	t.Helper()
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.Close() })
	fx.Handle(
		fixture.Route{Method: "GET", Path: "/ok", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *"}, Body: "ok"}},
		fixture.Route{Method: "GET", Path: "/blocked", Response: fixture.Response{Body: "no cors"}},
		fixture.Route{Method: "OPTIONS", Path: "/put", Response: fixture.Response{Status: 204, Headers: []string{"Access-Control-Allow-Origin: {{origin}}", "Access-Control-Allow-Methods: GET"}}},
	)
	return fx
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestCheckExitCodes(t *testing.T) {
	fx := startFixture(t)
	origin := fx.URL("page")
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
	}{
		{"allowed", []string{fx.URL("target") + "/ok", "--origin", origin}, nil, ExitAllowed, "Firefox  ALLOWED", ""},
		{"blocked", []string{fx.URL("target") + "/blocked", "--origin", origin}, nil, ExitBlocked, "CORSMissingAllowOrigin", ""},
		{"flags after URL and -X", []string{fx.URL("target") + "/put", "-X", "PUT", "--origin", origin}, nil, ExitBlocked, "PUT is not in Access-Control-Allow-Methods", ""},
		{"origin from env", []string{fx.URL("target") + "/ok"}, map[string]string{"CORSDOCTOR_ORIGIN": origin}, ExitAllowed, "ALLOWED", ""},
		{"origin with trailing slash", []string{fx.URL("target") + "/ok", "--origin", origin + "/"}, nil, ExitUsage, "", "trailing slash"},
		{"missing origin", []string{fx.URL("target") + "/ok"}, nil, ExitUsage, "", "--origin is required"},
		{"no URL", []string{"--origin", origin}, nil, ExitUsage, "", "exactly one URL"},
		{"two URLs", []string{"http://a.test/", "http://b.test/", "--origin", origin}, nil, ExitUsage, "", "exactly one URL"},
		{"header without colon", []string{fx.URL("target") + "/ok", "--origin", origin, "-H", "X-Foo"}, nil, ExitUsage, "", "has no colon"},
		{"bad method", []string{fx.URL("target") + "/ok", "--origin", origin, "-X", "GE T"}, nil, ExitUsage, "", "not a valid HTTP method"},
		{"URL without scheme", []string{"api.example.com/items", "--origin", origin}, nil, ExitUsage, "", "has no scheme"},
		{"unknown credentials", []string{fx.URL("target") + "/ok", "--origin", origin, "--credentials", "yes"}, nil, ExitUsage, "", "unknown credentials mode"},
		{"every bad field at once", []string{"api.example.com/items", "--origin", origin + "/", "-X", "GE T"}, nil, ExitUsage, "", "corsdoctor: url: \"api.example.com/items\" has no scheme"},
		{"every bad field, one line each", []string{"api.example.com/items", "--origin", origin + "/", "-X", "GE T"}, nil, ExitUsage, "", "\ncorsdoctor: origin: "},
		{"CR in header value", []string{fx.URL("target") + "/ok", "--origin", origin, "-H", "X-A: a\rb"}, nil, ExitUsage, "", "CR, LF or NUL"},
		{"unknown stack", []string{fx.URL("target") + "/blocked", "--origin", origin, "--stack", "iis"}, nil, ExitUsage, "", `--stack: unknown stack "iis": valid stacks are nginx, apache, caddy`},
		{"fix this first comes first", []string{fx.URL("target") + "/blocked", "--origin", origin}, nil, ExitBlocked, "Fix this first\n  ", ""},
		{"chosen stack", []string{fx.URL("target") + "/blocked", "--origin", origin, "--stack", "Spring"}, nil, ExitBlocked, "Stack:    Spring (MVC + Security) [spring] (chosen with --stack; unverified)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Check(context.Background(), tc.args, env(tc.env), strings.NewReader(""), &stdout, &stderr)
			code := ExitAllowed
			if err != nil {
				code = ExitCode(err, &stderr)
			}
			if code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			if tc.wantCode == ExitBlocked && !strings.HasPrefix(stdout.String(), "Fix this first\n") {
				t.Errorf("a blocked report does not start with Fix this first:\n%.300s", stdout.String())
			}
			if !strings.Contains(stdout.String(), tc.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantOut, stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, stderr.String())
			}
			if strings.Contains(stdout.String(), "\x1b[") {
				t.Errorf("colour escape codes written to a non-terminal")
			}
		})
	}
}

// TestCheckJSONSchema pins the documented field names of --json.
func TestCheckJSONSchema(t *testing.T) {
	fx := startFixture(t)
	var stdout, stderr bytes.Buffer
	err := Check(context.Background(), []string{fx.URL("target") + "/put", "--origin", fx.URL("page"), "-X", "PUT", "--json"}, env(nil), nil, &stdout, &stderr)
	if ExitCode(err, &stderr) != ExitBlocked {
		t.Fatalf("want exit 1, got %v (%s)", err, stderr.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout.String())
	}
	get := func(path string) any {
		var cur any = doc
		for _, p := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[p]
		}
		return cur
	}
	for path, want := range map[string]any{
		"verdict.firefox":    "blocked",
		"verdict.chromium":   "blocked",
		"preflight.required": true,
		"preflight.sent":     true,
		"js.firefox.outcome": "rejected",
		"js.chromium.error":  "TypeError: Failed to fetch",
		"request.method":     "PUT",
	} {
		if got := get(path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	for path, want := range map[string]any{
		"root_cause.layer":            "cors-middleware",
		"root_cause.fix.where":        "server",
		"root_cause.stack.confidence": "none",
		"root_cause.stack.id":         "unknown",
	} {
		if got := get(path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if code, _ := get("root_cause.fix.snippet.code").(string); !strings.Contains(code, "Access-Control-Allow-Methods") {
		t.Errorf("root_cause.fix.snippet.code = %q", code)
	}
	reasons, _ := get("preflight.reasons").([]any)
	if len(reasons) == 0 {
		t.Errorf("preflight.reasons is empty")
	}
	findings, _ := doc["findings"].([]any)
	if len(findings) == 0 {
		t.Fatalf("no findings")
	}
	f := findings[0].(map[string]any)
	for _, k := range []string{"reason", "severity", "step", "header", "console", "fix", "doc", "title", "detail"} {
		if _, ok := f[k]; !ok {
			t.Errorf("findings[0] lacks %q: %v", k, f)
		}
	}
	if f["reason"] != "CORSMethodNotFound" || f["severity"] != "error" {
		t.Errorf("findings[0] = %v %v, want CORSMethodNotFound error", f["reason"], f["severity"])
	}
	console := f["console"].(map[string]any)
	if !strings.Contains(console["firefox"].(string), "Did not find method") || !strings.Contains(console["chromium"].(string), "Method PUT is not allowed") {
		t.Errorf("console lines: %v", console)
	}
	exchanges, _ := doc["exchanges"].([]any)
	if len(exchanges) != 1 {
		t.Errorf("want only the preflight exchange (the PUT must not be sent), got %d", len(exchanges))
	}
	// Only preflights reach the server: the browser's, and the follow-ups
	// that find what it refused. The PUT itself is never sent.
	for _, r := range fx.RequestsTo("/put") {
		if r.Method != "OPTIONS" {
			t.Errorf("the server saw a %s, want preflights only", r.Method)
		}
	}
}

// TestCheckJSONStack: --stack writes root_cause for the chosen stack and
// keeps what detection found.
func TestCheckJSONStack(t *testing.T) {
	fx := startFixture(t)
	var stdout, stderr bytes.Buffer
	err := Check(context.Background(), []string{fx.URL("target") + "/put", "--origin", fx.URL("page"), "-X", "PUT", "--json", "--stack", "express-cors"}, env(nil), nil, &stdout, &stderr)
	if ExitCode(err, &stderr) != ExitBlocked {
		t.Fatalf("want exit 1, got %v (%s)", err, stderr.String())
	}
	var rep diagnose.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	rc := rep.RootCause
	if rc == nil {
		t.Fatal("no root_cause")
	}
	if rc.Stack.ID != remedy.ExpressCors || !rc.Stack.Chosen || !rc.Stack.Verified || rc.Stack.Detected != remedy.Unknown {
		t.Errorf("stack = %+v", rc.Stack)
	}
	if rc.Fix.Snippet.Stack != remedy.ExpressCors || !strings.Contains(rc.Fix.Snippet.Code, "cors(") {
		t.Errorf("snippet = %+v", rc.Fix.Snippet)
	}
	if len(fx.RequestsTo("/put")) == 0 {
		t.Error("nothing was probed")
	}
}

// TestTextReportGolden checks the text report of a recorded exchange,
// judged offline by diagnose.Evaluate so the output is deterministic.
func TestTextReportGolden(t *testing.T) {
	req := diagnose.Request{
		URL:         "https://api.example.com/items",
		Origin:      "https://app.example.com",
		Method:      "PUT",
		Headers:     []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer x"}},
		Credentials: diagnose.CredentialsInclude,
	}
	exchanges := []diagnose.Exchange{{
		Step:    diagnose.Step{Kind: diagnose.StepPreflight, URL: "https://api.example.com/items"},
		Request: diagnose.SentRequest{Method: "OPTIONS", URL: "https://api.example.com/items", Proto: "HTTP/1.1"},
		Response: &diagnose.Response{Proto: "HTTP/1.1", Status: 204, StatusText: "No Content", Headers: []diagnose.Header{
			{Name: "Access-Control-Allow-Origin", Value: "*"},
			{Name: "Access-Control-Allow-Methods", Value: "GET, POST, PUT"},
			{Name: "Access-Control-Allow-Headers", Value: "*"},
		}},
	}}
	rep, err := diagnose.Evaluate(req, exchanges)
	if err != nil {
		t.Fatal(err)
	}
	for _, color := range []bool{false, true} {
		name := "text-report.golden"
		if color {
			name = "text-report-color.golden"
		}
		var out bytes.Buffer
		WriteText(&out, rep, color)
		golden := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./cli -update)", err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s differs; got:\n%s", name, out.String())
		}
	}
}

// TestTextReportRootCauseGolden checks the report of a preflight that an
// authentication layer behind nginx answers 401, with the fix written for
// a chosen, unverified stack: the "Fix this first" block comes first, the
// checks that fail only because of it are listed once under the printed
// error, without console lines.
func TestTextReportRootCauseGolden(t *testing.T) {
	req := diagnose.Request{
		URL:     "https://api.example.com/items",
		Origin:  "https://app.example.com",
		Method:  "PUT",
		Headers: []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer x"}},
	}
	exchanges := []diagnose.Exchange{{
		Step:    diagnose.Step{Kind: diagnose.StepPreflight, URL: "https://api.example.com/items"},
		Request: diagnose.SentRequest{Method: "OPTIONS", URL: "https://api.example.com/items", Proto: "HTTP/1.1"},
		Response: &diagnose.Response{Proto: "HTTP/1.1", Status: 401, StatusText: "Unauthorized", Headers: []diagnose.Header{
			{Name: "Server", Value: "nginx/1.24.0"},
			{Name: "WWW-Authenticate", Value: "Bearer realm=\"api\"\x1b]0;pwned\x07"},
		}},
	}}
	rep, err := diagnose.Evaluate(req, exchanges)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RootCause == nil || !rep.RootCause.Collapses {
		t.Fatalf("root cause = %+v, want a collapsing one", rep.RootCause)
	}
	rep.RootCause = diagnose.Explain(rep, remedy.Spring)
	var out bytes.Buffer
	WriteText(&out, rep, false)
	assertTerminalSafe(t, "text report", out.String())
	for _, want := range []string{
		`WWW-Authenticate: Bearer realm="api"\x1b]0;pwned\x07`,
		"Stack:    Spring (MVC + Security) [spring] (chosen with --stack; detected: nginx; unverified)",
		"  Fails next, once this is fixed (no browser prints these yet)\n    All follow from the root cause above",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Console lines only for the error the browsers print.
	if n := strings.Count(out.String(), "    Chromium: "); n != 1 {
		t.Errorf("%d Chromium console lines, want 1 (the printed error's)", n)
	}
	golden := filepath.Join("testdata", "text-report-root-cause.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cli -update)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("%s differs; got:\n%s", golden, out.String())
	}
}

// TestTextNotChecked: checks no browser got to (after a redirected
// preflight) read "not checked", never "ok".
func TestTextNotChecked(t *testing.T) {
	req := diagnose.Request{URL: "https://api.example.com/items", Origin: "https://app.example.com", Method: "PUT"}
	rep, err := diagnose.Evaluate(req, []diagnose.Exchange{{
		Step:     diagnose.Step{Kind: diagnose.StepPreflight, URL: "https://api.example.com/items"},
		Request:  diagnose.SentRequest{Method: "OPTIONS", URL: "https://api.example.com/items", Proto: "HTTP/1.1"},
		Response: &diagnose.Response{Proto: "HTTP/1.1", Status: 301, Headers: []diagnose.Header{{Name: "Location", Value: "https://api.example.com/items/"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	WriteText(&out, rep, false)
	n := 0
	for _, c := range rep.Exchanges[0].Checks {
		if !c.NotChecked {
			continue
		}
		n++
		if want := "       --   " + c.Name + ": not checked\n"; !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
		if strings.Contains(out.String(), "ok   "+c.Name+"\n") {
			t.Errorf("%s reads ok", c.Name)
		}
	}
	if n == 0 {
		t.Fatal("fixture: no check is not checked")
	}
}

// TestReadmeListsEveryStack keeps README's stack table in step with
// remedy.Stacks(): every ID --stack takes, its name, and whether it is
// verified.
func TestReadmeListsEveryStack(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, s := range remedy.Stacks() {
		verified := "no (marked `unverified`)"
		if s.Verified {
			verified = "yes"
		}
		row := "| `" + string(s.ID) + "` | " + s.Name + " | " + s.Language + " | " + verified + " |\n"
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row %q", row)
		}
	}
	if n := strings.Count(readme, "(marked `unverified`) |\n") + strings.Count(readme, " | yes |\n"); n != len(remedy.Stacks()) {
		t.Errorf("README's stack table has %d rows, want %d", n, len(remedy.Stacks()))
	}
}

// TestTextGoesThroughPrinter keeps every write of the text report behind
// printer.printf, which cleans target and user text for the terminal: a
// new block that called fmt.Fprintf(w, …) directly would print a hostile
// server's escape sequences raw.
func TestTextGoesThroughPrinter(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "text.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		if fn.Recv != nil && len(fn.Recv.List) == 1 {
			if id, ok := fn.Recv.List[0].Type.(*ast.Ident); ok && (id.Name == "printer" || id.Name == "cleaned") {
				continue
			}
		}
		ast.Inspect(fn, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, _ := sel.X.(*ast.Ident)
			direct := pkg != nil && (pkg.Name == "fmt" && strings.HasPrefix(sel.Sel.Name, "Fprint") || pkg.Name == "io" && sel.Sel.Name == "WriteString")
			if direct || sel.Sel.Name == "Write" || sel.Sel.Name == "WriteString" {
				t.Errorf("%s: %s writes around printer; use p.printf so target text is cleaned (termsafe)", fset.Position(call.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

// TestCheckHostileTarget points check at a loopback server whose status
// reason and header values carry terminal escape sequences (screen clear,
// OSC window title, colours), C1 controls, a bidi override and a byte that
// is not UTF-8. The text report, with or without colour, must show them as
// visible escapes and emit no control character but its own colours; --json
// must keep the values exactly.
func TestCheckHostileTarget(t *testing.T) {
	const (
		reason = "OK\x1b[2J\x1b[H\x1b]0;pwned\x07\u009b31m\u202eevil"
		acao   = "https://app.example\x1b[8m\u202ehidden\u2066"
		ctl    = "a\x1b]2;title\x1b\\b\u0085c\u061cd\x7f"
	)
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.Close() })
	fx.Handle(fixture.Route{Method: "GET", Path: "/hostile", Response: fixture.Response{
		Reason:  reason,
		Headers: []string{"Access-Control-Allow-Origin: " + acao, "X-Ctl: " + ctl, "X-Latin1: caf\xe9\x9b"},
		Body:    "\x1b[2Jbody",
	}})
	args := []string{fx.URL("target") + "/hostile", "--origin", fx.URL("page")}

	var stdout, stderr bytes.Buffer
	if code := ExitCode(Check(context.Background(), args, env(nil), nil, &stdout, &stderr), &stderr); code != ExitBlocked {
		t.Fatalf("exit %d, want %d (a junk Access-Control-Allow-Origin blocks); stderr: %s", code, ExitBlocked, stderr.String())
	}
	text := stdout.String()
	assertTerminalSafe(t, "text report", text)
	for _, want := range []string{
		`OK\x1b[2J\x1b[H\x1b]0;pwned\x07\u009b31m\u202eevil`, // the status reason on the steps line
		`https://app.example\x1b[8m\u202ehidden\u2066`,       // the console lines quote the header
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %s:\n%s", want, text)
		}
	}

	stdout.Reset()
	Check(context.Background(), append(args, "--json"), env(nil), nil, &stdout, &stderr)
	var rep diagnose.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("--json: %v\n%.2000s", err, stdout.String())
	}
	resp := rep.Exchanges[0].Response
	if resp.StatusText != reason {
		t.Errorf("--json status_text = %q, want the raw %q", resp.StatusText, reason)
	}
	for name, want := range map[string]string{"Access-Control-Allow-Origin": acao, "X-Ctl": ctl} {
		if got, _ := headerValue(resp.Headers, name); got != want {
			t.Errorf("--json %s = %q, want the raw %q", name, got, want)
		}
	}
	if !strings.Contains(stdout.String(), `\u001b]0;pwned\u0007`) {
		t.Errorf("--json does not JSON-escape the raw ESC and BEL as usual")
	}

	// The colour report of the same diagnosis: its only escapes are its own.
	var color bytes.Buffer
	WriteText(&color, &rep, true)
	p := newPalette(true)
	own := strings.NewReplacer(string(p.red), "", string(p.green), "", string(p.yellow), "", string(p.dim), "", string(p.bold), "", string(p.reset), "")
	assertTerminalSafe(t, "colour report", own.Replace(color.String()))
	if !strings.Contains(color.String(), string(p.red)) {
		t.Error("the colour report has no colour")
	}
}

// assertTerminalSafe fails when any line of out holds a character a
// terminal would act on (termsafe's set), and shows where.
func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if !termsafe.Safe(line) {
			t.Errorf("%s line %d is not terminal-safe: %q", what, i+1, line)
		}
	}
}

// TestServeLogsAreTerminalSafe checks the logger serve builds, in both
// formats: a target's escape sequences in a message or value are written
// as visible escapes.
func TestServeLogsAreTerminalSafe(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		logger, err := newLogger(format, "info", &buf)
		if err != nil {
			t.Fatal(err)
		}
		logger.Info("target refused \x1b]0;pwned\x07", "url", "http://x.test/\x1b[2J\u202e", "error", errors.New("bad \u009b31m"))
		out := strings.TrimSuffix(buf.String(), "\n")
		if !termsafe.Safe(out) || !strings.Contains(out, "pwned") {
			t.Errorf("%s log line is not terminal-safe: %q", format, out)
		}
	}
}
