package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"corsdoctor/diagnose"
)

func harPath(name string) string { return filepath.Join("..", "harimport", "testdata", name) }

// TestHarExitCodesAndText runs `corsdoctor har` on each browser's HAR and
// on bad input: the exit status, and the lines the text report must hold.
func TestHarExitCodesAndText(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout []string // substrings, in order
		stderr string
	}{
		{name: "chromium", args: []string{harPath("chromium.har")}, code: ExitBlocked, stdout: []string{
			"#2,#3 PUT https://api.example.com/items", "preflight → actual", "blocked: Firefox blocked, Chromium blocked",
			"CORSMissingAllowHeaderFromPreflight", "Chromium: Access to fetch at 'https://api.example.com/items'", "Fix this first:",
			"#4 GET https://api.example.com/me", "CORSNotSupportingCredentials",
			"#5 GET https://app.example.com/api/local", "inferred from the page URL", "skipped: same-origin",
			"#6,#7 GET https://api.example.com/old", "actual → actual (redirect hop 1)", "allowed by Firefox and Chromium",
			"Judged from a recording (a Chromium HAR written by WebInspector 537.36): corsdoctor sent nothing.",
			"8 entries: 3 cross-origin fetches judged (2 blocked), 1 skipped, 2 not CORS requests."}},
		{name: "safari, flags after the file", args: []string{harPath("safari.har"), "--no-color"}, code: ExitBlocked, stdout: []string{
			"#2 DELETE https://api.example.com/items/7", "skipped: its preflight is not in the recording",
			"#3 GET https://api.example.com/cached", "skipped: served from the browser's cache",
			"a Safari HAR"}},
		{name: "stdin, all allowed", args: []string{"-"}, stdin: `{"log":{"creator":{"name":"Firefox","version":"128.0"},"entries":[{"request":{"method":"GET","url":"https://a.test/x","headers":[{"name":"Origin","value":"https://b.test"}]},"response":{"status":200,"headers":[{"name":"Access-Control-Allow-Origin","value":"*"}]}}]}}`,
			code: ExitAllowed, stdout: []string{"#1 GET https://a.test/x", "allowed", "1 entries: 1 cross-origin fetches judged (0 blocked)"}},
		{name: "no file", args: nil, code: ExitUsage, stderr: "har takes one FILE"},
		{name: "two files", args: []string{"a.har", "b.har"}, code: ExitUsage, stderr: "har takes one FILE"},
		{name: "missing file", args: []string{"no-such.har"}, code: ExitUsage, stderr: "no-such.har"},
		{name: "not a HAR", args: []string{"-"}, stdin: `{"hello": 1}`, code: ExitUsage, stderr: `no "log" object`},
		{name: "bad flag", args: []string{"--nope", "x.har"}, code: ExitUsage, stderr: "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := Har(context.Background(), tc.args, env(nil), strings.NewReader(tc.stdin), &out, &errb)
			code := ExitAllowed
			if err != nil {
				code = ExitCode(err, &errb)
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, errb.String())
			}
			rest := out.String()
			for _, want := range tc.stdout {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in order) in:\n%s", want, out.String())
				}
				rest = rest[i+len(want):]
			}
			if !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", errb.String(), tc.stderr)
			}
			if strings.Contains(out.String(), "\x1b[") {
				t.Errorf("colour on a non-terminal: %q", out.String())
			}
		})
	}
}

// TestHarJSON: --json is one document with a result per fetch (the full
// report when judged) and the summary, and holds no secret of the HAR.
func TestHarJSON(t *testing.T) {
	var out, errb bytes.Buffer
	err := Har(context.Background(), []string{"--json", harPath("firefox.har")}, env(nil), nil, &out, &errb)
	if code := ExitCode(err, &errb); code != ExitBlocked {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var doc struct {
		Results []struct {
			Entries []int            `json:"entries"`
			Method  string           `json:"method"`
			URL     string           `json:"url"`
			Origin  string           `json:"origin"`
			Status  string           `json:"status"`
			Report  *diagnose.Report `json:"report"`
		} `json:"results"`
		Summary struct {
			Browser string `json:"browser"`
			Entries int    `json:"entries"`
			Judged  int    `json:"judged"`
			Blocked int    `json:"blocked"`
			Skipped int    `json:"skipped"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if s := doc.Summary; s.Browser != "firefox" || s.Entries != 3 || s.Judged != 2 || s.Blocked != 1 || s.Skipped != 0 {
		t.Errorf("summary = %+v", s)
	}
	if len(doc.Results) != 2 {
		t.Fatalf("%d results, want 2", len(doc.Results))
	}
	r0, r1 := doc.Results[0], doc.Results[1]
	if r0.Status != "allowed" || r0.Method != "POST" || r0.Origin != "http://localhost:3000" || len(r0.Entries) != 2 || r0.Report == nil || len(r0.Report.Exchanges) != 2 {
		t.Errorf("result 0 = %+v", r0)
	}
	if r1.Status != "blocked" || r1.Report == nil || r1.Report.Findings[0].Reason != "CORSAllowOriginNotMatchingOrigin" {
		t.Errorf("result 1 = %+v", r1)
	}
	raw, _ := os.ReadFile(harPath("firefox.har"))
	const secret = "dXNlcjpwYXNzd29yZA=="
	if !bytes.Contains(raw, []byte(secret)) {
		t.Fatal("the fixture lost its secret: the check below proves nothing")
	}
	if strings.Contains(out.String(), secret) {
		t.Error("--json prints the Authorization value")
	}
}
