package handlers

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"corsdoctor/diagnose"
)

func TestParseHeaderBlock(t *testing.T) {
	tests := []struct {
		name    string
		block   string
		want    []diagnose.Header
		wantErr string
	}{
		{name: "empty", block: "", want: nil},
		{name: "simple", block: "X-A: 1\nX-B:2", want: []diagnose.Header{{Name: "X-A", Value: "1"}, {Name: "X-B", Value: "2"}}},
		{name: "CRLF and blanks", block: "X-A: 1\r\n\r\n  \r\nX-B: two words \r\n", want: []diagnose.Header{{Name: "X-A", Value: "1"}, {Name: "X-B", Value: "two words"}}},
		{name: "value with colons", block: "Authorization: Basic a:b", want: []diagnose.Header{{Name: "Authorization", Value: "Basic a:b"}}},
		{name: "repeats kept", block: "X-A: 1\nx-a: 2", want: []diagnose.Header{{Name: "X-A", Value: "1"}, {Name: "x-a", Value: "2"}}},
		{name: "devtools HTTP/1.1 copy", block: "PUT /items HTTP/1.1\nHost: api.test\nX-A: 1", want: []diagnose.Header{{Name: "Host", Value: "api.test"}, {Name: "X-A", Value: "1"}}},
		{name: "devtools HTTP/2 copy", block: ":authority: api.test\n:method: PUT\n:path: /x\n:scheme: https\naccept: */*", want: []diagnose.Header{{Name: "accept", Value: "*/*"}}},
		{name: "response status line", block: "HTTP/2 200\nX-A: 1", want: []diagnose.Header{{Name: "X-A", Value: "1"}}},
		{name: "no colon", block: "X-A: 1\nX-B 2", wantErr: `line 2, "X-B 2", has no colon`},
		{name: "no name", block: " : 2", wantErr: "line 1 has no header name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseHeaderBlock(tc.block)
			if tc.wantErr != "" {
				var ie *diagnose.InputError
				if !errors.As(err, &ie) || ie.Field != "headers" || !strings.Contains(ie.Message, tc.wantErr) || ie.Hint == "" {
					t.Fatalf("err = %v, want headers error %q with a hint", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		in, want, wantNote string
		max                int
	}{
		{in: "plain text", want: "plain text"},
		{in: "tab\tok", want: "tab\tok"},
		{in: "esc\x1b[0m bell\x07 nul\x00 del\x7f", want: `esc\x1b[0m bell\x07 nul\x00 del\x7f`},
		{in: "bad \xff utf8", want: `bad \xff utf8`},
		{in: "c1 \u0085", want: `c1 \x85`},
		{in: "bidi \u202eevil", want: `bidi \u202eevil`},
		{in: "héllo ✓", want: "héllo ✓"},
		{in: strings.Repeat("a", 10), max: 4, want: "aaaa", wantNote: "… 6 more bytes not shown"},
		{in: "ééé", max: 3, want: "é", wantNote: "… 4 more bytes not shown"},
	}
	for _, tc := range tests {
		got, note := printable(tc.in, tc.max)
		if got != tc.want || note != tc.wantNote {
			t.Errorf("printable(%q, %d) = %q, %q; want %q, %q", tc.in, tc.max, got, note, tc.want, tc.wantNote)
		}
	}
}

func TestCapitalize(t *testing.T) {
	for in, want := range map[string]string{
		"line 2 has no colon":          "Line 2 has no colon",
		"type https://a.test":          "Type https://a.test",
		"fetch() throws a TypeError":   "fetch() throws a TypeError",
		`"x" has no scheme`:            `"x" has no scheme`,
		"":                             "",
		"remove the body, or use POST": "Remove the body, or use POST",
	} {
		if got := capitalize(in); got != want {
			t.Errorf("capitalize(%q) = %q, want %q", in, got, want)
		}
	}
}
