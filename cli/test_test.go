package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/cors"
)

const testPage = "https://app.example.com"

// corsServer is a loopback API behind real rs/cors whose policy a test
// can change without changing its URL.
type corsServer struct {
	*httptest.Server
	h atomic.Pointer[http.Handler]
}

func (s *corsServer) policy(methods ...string) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Total", "3")
		fmt.Fprint(w, "ok")
	})
	h := cors.New(cors.Options{AllowedOrigins: []string{testPage}, AllowedMethods: methods,
		AllowedHeaders: []string{"Authorization", "Content-Type"}, AllowCredentials: true, ExposedHeaders: []string{"X-Total"}}).Handler(api)
	s.h.Store(&h)
}

func startCORSServer(t *testing.T) *corsServer {
	t.Helper()
	s := &corsServer{}
	s.policy("GET", "PUT")
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(s.Close)
	return s
}

// runTest runs `corsdoctor test` in-process and returns the exit code.
func runTest(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Test(context.Background(), args, env(nil), strings.NewReader(stdin), &out, &errb)
	code = ExitAllowed
	if err != nil {
		code = ExitCode(err, &errb)
	}
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTestExitCodes(t *testing.T) {
	srv := startCORSServer(t)
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", fmt.Sprintf(`origin: %s
cases:
  - name: save item
    url: %s/items/42
    method: PUT
    headers: {Authorization: Bearer x, Content-Type: application/json}
    credentials: include
    expect: allowed
`, testPage, srv.URL))
	failing := writeFile(t, dir, "failing.yaml", fmt.Sprintf(`origin: %s
cases:
  - name: save item
    url: %s/items/42
    method: PUT
    expect: allowed
  - name: delete item
    url: %s/items/42
    method: DELETE
    expect: allowed
`, testPage, srv.URL, srv.URL))
	malformed := writeFile(t, dir, "bad.yaml", fmt.Sprintf(`origin: %s
cases:
  - url: %s/items
    expect: alowed
`, testPage, srv.URL))
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  []string // substrings of stdout
		wantErr  string   // substring of stderr
	}{
		{"passing file", []string{good}, "", ExitAllowed, []string{"RESULT  CASE       FIREFOX  CHROMIUM\npass    save item  allowed  allowed\n", "1 passed, 0 failed, 1 case (" + good + ")"}, ""},
		{"failing case", []string{failing}, "", ExitBlocked, []string{"FAIL    delete item  blocked (CORSMissingAllowOrigin)", "Failures:\n  " + failing + ":7: delete item\n    firefox: want allowed, got blocked (CORSMissingAllowOrigin): Firefox blocks this request at the preflight", "root cause: ", "1 passed, 1 failed, 2 cases"}, ""},
		{"malformed file names the line", []string{malformed}, "", ExitUsage, nil, "corsdoctor: " + malformed + `:4: cases[0].expect: want allowed, blocked or a per-browser map, got "alowed" (did you mean allowed?)`},
		{"policy from stdin", []string{"-"}, "origin: " + testPage + "\ncases:\n  - {url: " + srv.URL + "/x, expect: allowed}\n", ExitAllowed, []string{"1 passed, 0 failed, 1 case (<stdin>)"}, ""},
		{"malformed stdin", []string{"-"}, "cases: [", ExitUsage, nil, "corsdoctor: <stdin>:1: not valid YAML: "},
		{"no file", nil, "", ExitUsage, nil, "exactly one policy file, got 0"},
		{"two files", []string{good, good}, "", ExitUsage, nil, "exactly one policy file, got 2"},
		{"missing file", []string{filepath.Join(dir, "nope.yaml")}, "", ExitUsage, nil, "nope.yaml: no such file or directory"},
		{"record with diff", []string{good, "--record", filepath.Join(dir, "r.yaml"), "--diff", good}, "", ExitUsage, nil, "--record and --diff do not go together"},
		{"bad parallel", []string{good, "--parallel", "0"}, "", ExitUsage, nil, "--parallel must be between 1 and 64, got 0"},
		{"diff with a file that is not a run", []string{good, "--diff", good}, "", ExitUsage, nil, "--diff " + good + ": "},
		{"unknown flag", []string{good, "--recrod", "x"}, "", ExitUsage, nil, "flag provided but not defined: -recrod"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runTest(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tc.wantOut == nil && out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, errOut)
			}
		})
	}
}

// TestTestJSONAndJUnit checks the --json schema and the JUnit file.
func TestTestJSONAndJUnit(t *testing.T) {
	srv := startCORSServer(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "cors.yaml", fmt.Sprintf(`origin: %s
base_url: %s
cases:
  - {name: save item, url: /items/42, method: PUT, credentials: include, expect: {exposed: [X-Total]}}
  - {name: delete item, url: /items/42, method: DELETE, expect: {firefox: allowed, chromium: allowed}}
`, testPage, srv.URL))
	junit := filepath.Join(dir, "junit.xml")
	code, out, errOut := runTest(t, "", file, "--json", "--junit", junit)
	if code != ExitBlocked {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
	}
	var run struct {
		Engine string `json:"engine"`
		File   string `json:"file"`
		Passed int    `json:"passed"`
		Failed int    `json:"failed"`
		Cases  []struct {
			Name   string                    `json:"name"`
			URL    string                    `json:"url"`
			Method string                    `json:"method"`
			Expect map[string]map[string]any `json:"expect"`
			Got    map[string]map[string]any `json:"got"`
			Passed bool                      `json:"passed"`
			Reason string                    `json:"reason"`
		} `json:"cases"`
	}
	if err := json.Unmarshal([]byte(out), &run); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if !strings.HasPrefix(run.Engine, "corsdoctor/") || run.File != file || run.Passed != 1 || run.Failed != 1 || len(run.Cases) != 2 {
		t.Fatalf("run %+v", run)
	}
	save, del := run.Cases[0], run.Cases[1]
	if save.Name != "save item" || save.URL != srv.URL+"/items/42" || save.Method != "PUT" || !save.Passed || save.Reason != "" {
		t.Errorf("save item: %+v", save)
	}
	for _, b := range []string{"firefox", "chromium"} {
		if save.Expect[b]["verdict"] != "allowed" || fmt.Sprint(save.Expect[b]["exposed"]) != "[X-Total]" {
			t.Errorf("save item expect[%s] = %v", b, save.Expect[b])
		}
		if save.Got[b]["verdict"] != "allowed" || !strings.Contains(fmt.Sprint(save.Got[b]["exposed"]), "x-total") || save.Got[b]["summary"] == "" {
			t.Errorf("save item got[%s] = %v", b, save.Got[b])
		}
		if del.Got[b]["verdict"] != "blocked" || del.Got[b]["reason"] != "CORSMissingAllowOrigin" {
			t.Errorf("delete item got[%s] = %v", b, del.Got[b])
		}
	}
	if del.Passed || !strings.Contains(del.Reason, "chromium: want allowed, got blocked (CORSMissingAllowOrigin): Chromium blocks") {
		t.Errorf("delete item: passed %v, reason %q", del.Passed, del.Reason)
	}

	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Line    int    `xml:"line,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
				} `xml:"failure"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit: %v\n%s", err, data)
	}
	if doc.Tests != 2 || doc.Failures != 1 || len(doc.Suites) != 1 || doc.Suites[0].Name != file || len(doc.Suites[0].Cases) != 2 {
		t.Fatalf("junit %+v", doc)
	}
	jc := doc.Suites[0].Cases
	if jc[0].Name != "save item" || jc[0].Line != 4 || jc[0].Failure != nil || !strings.Contains(jc[0].SystemOut, "firefox: allowed: Firefox allows it") {
		t.Errorf("junit save item: %+v", jc[0])
	}
	if jc[1].Name != "delete item" || jc[1].Line != 5 || jc[1].Failure == nil || jc[1].Failure.Type != "cors" || jc[1].Failure.Message != del.Reason {
		t.Errorf("junit delete item: %+v", jc[1])
	}
}

// TestTestRecordRegressionDiff is the CI story: record today's behaviour,
// rerun it (passes), keep the JSON, break the server, rerun (fails, exit
// 1) and diff against the kept JSON (names the case and says why).
func TestTestRecordRegressionDiff(t *testing.T) {
	srv := startCORSServer(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "cors.yaml", fmt.Sprintf(`origin: %s
base_url: %s
matrix:
  - name: items
    paths: [/items]
    methods: [GET, PUT, DELETE]
    origins: [%s, https://evil.example]
`, testPage, srv.URL, testPage))
	recorded := filepath.Join(dir, "recorded.yaml")
	code, out, errOut := runTest(t, "", file, "--record", recorded)
	if code != ExitAllowed || !strings.Contains(errOut, "corsdoctor: recorded 6 cases to "+recorded) || !strings.Contains(out, "\nrec     items: GET ") || !strings.Contains(out, "\n6 recorded (") {
		t.Fatalf("record: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	// Without --record, the same file has no expectations: exit 2.
	if code, _, errOut := runTest(t, "", file); code != ExitUsage || !strings.Contains(errOut, file+":4: matrix[0]: no expect:") {
		t.Errorf("unrecorded file: exit %d, stderr %s", code, errOut)
	}

	code, before, errOut := runTest(t, "", recorded, "--json")
	if code != ExitAllowed {
		t.Fatalf("rerun of the recording: exit %d\n%s\n%s", code, before, errOut)
	}
	last := writeFile(t, dir, "last.json", before)

	srv.policy("GET") // PUT is no longer allowed
	code, out, errOut = runTest(t, "", recorded, "--diff", last)
	if code != ExitBlocked {
		t.Fatalf("after the regression: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	name := "items: PUT " + srv.URL + "/items from " + testPage
	for _, want := range []string{
		"FAIL    " + name,
		"Changed since the earlier run:\n  " + name + ": firefox: allowed → blocked (CORSMissingAllowOrigin): Firefox blocks this request at the preflight",
		"  " + name + ": chromium: allowed → blocked (CORSMissingAllowOrigin): Chromium blocks",
		"5 passed, 1 failed, 6 cases",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, ": firefox: ") != 1 {
		t.Errorf("only the PUT case changed:\n%s", out)
	}
}
