package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"corsdoctor/cli"
)

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"version", []string{"corsdoctor", "version"}, 0, "corsdoctor 0.", ""},
		{"help", []string{"corsdoctor", "help"}, 0, "check URL --origin O", ""},
		{"--help lists the commands", []string{"corsdoctor", "--help"}, 0, "import [FILE]", ""},
		{"-h lists the commands", []string{"corsdoctor", "-h"}, 0, "serve [flags]", ""},
		{"import from stdin", []string{"corsdoctor", "import"}, cli.ExitUsage, "", "nothing was pasted"},
		{"unknown command", []string{"corsdoctor", "frobnicate"}, cli.ExitUsage, "", "unknown command"},
		{"check without URL", []string{"corsdoctor", "check", "--origin", "https://a.example"}, cli.ExitUsage, "", "exactly one URL"},
		{"check with a bad origin", []string{"corsdoctor", "check", "http://127.0.0.1:9/", "--origin", "a.example"}, cli.ExitUsage, "", "has no scheme"},
		{"test without a file", []string{"corsdoctor", "test"}, cli.ExitUsage, "", "exactly one policy file"},
		{"test with a missing file", []string{"corsdoctor", "test", "/nonexistent/cors.yaml"}, cli.ExitUsage, "", "no such file"},
		{"serve with a bad flag", []string{"corsdoctor", "serve", "--no-such-flag"}, cli.ExitUsage, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tc.args, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
			code := 0
			if err != nil {
				code = cli.ExitCode(err, &stderr)
			}
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.wantOut) || !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", stdout.String(), tc.wantOut, stderr.String(), tc.wantErr)
			}
		})
	}
}
