package cli

import (
	"bytes"
	"context"
	"encoding/json"
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
	if n := len(fx.RequestsTo("/put")); n != 1 {
		t.Errorf("the server saw %d requests, want 1 (the preflight only)", n)
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
