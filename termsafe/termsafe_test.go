package termsafe

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"No Content", "No Content"},
		{"tab\tkept", "tab\tkept"},
		{"caf\u00e9 \u65e5\u672c", "caf\u00e9 \u65e5\u672c"},
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"a\r\nb\x00c\x7f", `a\x0d\x0ab\x00c\x7f`},
		{"\u009b31m \u0085 \u009d", `\u009b31m \u0085 \u009d`},
		{"\x9b31m", `\x9b31m`}, // a lone C1 byte, not UTF-8
		{"evil\u202Etxt.exe", `evil\u202etxt.exe`},
		{"\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069", `\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{"line\u2028sep\u2029", `line\u2028sep\u2029`},
		{"\u200b\u2060 zero widths stay", "\u200b\u2060 zero widths stay"},
		{"\xff\xfe", `\xff\xfe`},
	}
	for _, tc := range tests {
		got := String(tc.in)
		if got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if Safe(tc.in) != (got == tc.in) {
			t.Errorf("Safe(%q) = %v, but String changed it: %v", tc.in, Safe(tc.in), got != tc.in)
		}
		if !Safe(got) {
			t.Errorf("String(%q) = %q is not safe itself", tc.in, got)
		}
	}
}

func TestStringCleanDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("Access-Control-Allow-Origin: https://app.example.com ", 4)
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("String of clean text allocates %v times", n)
	}
}

// hostile holds every kind of character the logs must not write raw.
const hostile = "\x1b]0;pwned\x07\x1b[2J\u009b31m\u202eevil\x7f"

// assertSafe fails when out holds a raw control, C1 or bidi character
// (outside the record-ending newline).
func assertSafe(t *testing.T, out string) {
	t.Helper()
	if !Safe(strings.TrimSuffix(out, "\n")) {
		t.Errorf("log line holds raw control characters: %q", out)
	}
}

type stringer struct{}

func (stringer) String() string { return "str\x1b[31m" }

func TestHandler(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			var base slog.Handler = slog.NewTextHandler(&buf, nil)
			if format == "json" {
				base = slog.NewJSONHandler(&buf, nil)
			}
			logger := slog.New(NewHandler(base)).With("target", hostile).WithGroup("g" + hostile)
			logger.Info("msg "+hostile, "status_text", hostile, "error", errors.New(hostile),
				"stringer", stringer{}, "list", []string{hostile}, "n", 3,
				slog.Group("inner", "v", hostile))
			out := buf.String()
			assertSafe(t, out)
			if n := strings.Count(out, "pwned"); n < 7 {
				t.Errorf("pwned appears %d times, want at least 7 (message, With, group, three values, inner group):\n%s", n, out)
			}
			if format == "json" {
				var m map[string]any
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, out)
				}
				if m["target"] != String(hostile) {
					t.Errorf("target = %q, want %q", m["target"], String(hostile))
				}
			}
		})
	}
}

func TestHandlerPassesCleanRecords(t *testing.T) {
	var buf bytes.Buffer
	slog.New(NewHandler(slog.NewJSONHandler(&buf, nil))).Info("request", "path", "/d/x", "status", 200, "error", errors.New("plain"))
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["msg"] != "request" || m["path"] != "/d/x" || m["status"] != float64(200) || m["error"] != "plain" {
		t.Errorf("clean record changed: %s", buf.String())
	}
}
