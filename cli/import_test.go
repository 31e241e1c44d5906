package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImport(t *testing.T) {
	const firefox = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.test/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.\n"
	const curl = "curl 'https://api.example.test/items' -X PUT -H 'Origin: https://app.example.test' -H 'X-Api-Key: it'\\''s' -H 'Cookie: s=1' --compressed\n"
	file := filepath.Join(t.TempDir(), "paste.txt")
	if err := os.WriteFile(file, []byte(curl), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		out, err []string
	}{
		{"firefox line from stdin", nil, firefox, 0,
			[]string{"Read from: firefox-console", "Reason:    CORSMissingAllowOrigin", "origin       Firefox's console line does not name", "corsdoctor check https://api.example.test/items\n", "add --origin"}, nil},
		{"--origin fills it", []string{"--origin", "http://localhost:3000"}, firefox, 0,
			[]string{"corsdoctor check https://api.example.test/items --origin http://localhost:3000\n"}, nil},
		{"curl from a file", []string{file}, "", 0,
			[]string{"Read from: curl", "header       X-Api-Key: it's", "Cookie", "credentials  include",
				`corsdoctor check https://api.example.test/items --origin https://app.example.test -X PUT -H 'X-Api-Key: it'\''s' --credentials include`}, nil},
		{"json", []string{"--json", "-"}, curl, 0, []string{`"source": "curl"`, `"dropped": [`}, nil},
		{"unreadable", nil, "help me", ExitUsage, nil, []string{"does not recognise"}},
		{"missing file", []string{"/no/such/file"}, "", ExitUsage, nil, []string{"no such file"}},
		{"two files", []string{"a", "b"}, "", ExitUsage, nil, []string{"one file"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Import(context.Background(), tc.args, func(string) string { return "" }, strings.NewReader(tc.stdin), &stdout, &stderr)
			code := 0
			if err != nil {
				code = ExitCode(err, &stderr)
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			for _, w := range tc.out {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tc.err {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q: %s", w, stderr.String())
				}
			}
			if strings.Contains(stdout.String(), "s=1") {
				t.Error("the cookie's value is printed")
			}
			if strings.Contains(tc.name, "json") {
				var v map[string]any
				if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestImportCheck runs the diagnosis through check against a loopback
// server that allows nothing: exit 1 and check's report.
func TestImportCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	line := "Access to fetch at '" + srv.URL + "/x' from origin 'https://app.example.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."
	var stdout, stderr bytes.Buffer
	err := Import(context.Background(), []string{"--check", "--json"}, func(string) string { return "" }, strings.NewReader(line), &stdout, &stderr)
	if code := ExitCode(err, &stderr); code != ExitBlocked {
		t.Fatalf("exit %d, want %d; stderr %s", code, ExitBlocked, stderr.String())
	}
	var rep struct {
		Verdict struct{ Chromium string }
		Request struct{ URL, Origin string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Verdict.Chromium != "blocked" || rep.Request.URL != srv.URL+"/x" || rep.Request.Origin != "https://app.example.test" {
		t.Errorf("report %+v", rep)
	}
}

// TestCheckSendsPastesToImport: a console line as check's URL gets a
// pointer to import, not Go's URL parser error.
func TestCheckSendsPastesToImport(t *testing.T) {
	for _, arg := range []string{
		"Access to fetch at 'https://a.test/' from origin 'https://b.test' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
		"curl 'https://a.test/' -H 'X-A: 1'",
	} {
		var stdout, stderr bytes.Buffer
		err := Check(context.Background(), []string{arg, "--origin", "https://b.test"}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
		if code := ExitCode(err, &stderr); code != ExitUsage || !strings.Contains(stderr.String(), "corsdoctor import") {
			t.Errorf("%.30q: exit %d, stderr %s", arg, code, stderr.String())
		}
	}
}
