package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"corsdoctor/diagnose"
	"corsdoctor/templates"
)

// Form field names shared by the template, the parser and the tests.
const (
	fieldURL       = "url"
	fieldOrigin    = "origin"
	fieldMethod    = "method"
	fieldHeaders   = "headers"
	fieldSecret    = "secret"
	fieldBody      = "body"
	fieldCreds     = "credentials"
	fieldMode      = "mode"
	fieldPreflight = "use_cors_preflight"
)

// formFromValues reads the diagnose form as typed, without judging it.
func formFromValues(v url.Values) templates.FormView {
	return templates.FormView{
		URL:              v.Get(fieldURL),
		Origin:           v.Get(fieldOrigin),
		Method:           v.Get(fieldMethod),
		Headers:          v.Get(fieldHeaders),
		Secret:           v.Get(fieldSecret),
		Body:             v.Get(fieldBody),
		Credentials:      v.Get(fieldCreds),
		Mode:             v.Get(fieldMode),
		UseCORSPreflight: isOn(v.Get(fieldPreflight)),
	}
}

func isOn(s string) bool {
	switch strings.ToLower(s) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}

// startLine matches an HTTP request or status line in a pasted block.
var startLine = regexp.MustCompile(`^(?:[A-Za-z]+ \S+ HTTP/\d(?:\.\d)?|HTTP/\d(?:\.\d)?(?: .*)?)$`)

// pseudoHeader matches an HTTP/2 pseudo-header line (":authority: x").
var pseudoHeader = regexp.MustCompile(`^:[a-z]+:`)

// parseHeaderBlock reads one "Name: value" per line. It accepts a block
// pasted from devtools: blank lines, the request or status line and HTTP/2
// pseudo-headers (":authority: …") are skipped. A line without a colon is
// an error that says which line and what to type instead. Lines end at LF,
// CRLF or a lone CR, as in a textarea's value, so no name or value it
// returns holds a CR or LF.
func parseHeaderBlock(block string) ([]diagnose.Header, error) {
	block = strings.ReplaceAll(block, "\r\n", "\n")
	block = strings.ReplaceAll(block, "\r", "\n")
	var hs []diagnose.Header
	for i, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || startLine.MatchString(trimmed) || pseudoHeader.MatchString(trimmed) {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, &diagnose.InputError{Field: fieldHeaders,
				Message: fmt.Sprintf("line %d, %q, has no colon", i+1, clip(trimmed, 60)),
				Hint:    "write each header as Name: value, e.g. X-Api-Key: 1234"}
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, &diagnose.InputError{Field: fieldHeaders,
				Message: fmt.Sprintf("line %d has no header name before the colon", i+1),
				Hint:    "write each header as Name: value"}
		}
		hs = append(hs, diagnose.Header{Name: name, Value: strings.TrimSpace(value)})
	}
	return hs, nil
}

// parseSecretNames reads the "also redact" list: names separated by
// commas, spaces or new lines.
func parseSecretNames(s string) ([]string, error) {
	var names []string
	for _, n := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		for i := 0; i < len(n); i++ {
			c := n[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
				return nil, &diagnose.InputError{Field: fieldSecret,
					Message: fmt.Sprintf("%q is not a header name", clip(n, 60)),
					Hint:    "list header names only, separated by commas, e.g. X-Api-Key, X-Session"}
			}
		}
		names = append(names, n)
	}
	return names, nil
}

// toRequest turns the form into the engine's input and the extra secret
// names. Errors are *diagnose.InputError naming the form field, joined
// when both the header block and the secret names are wrong; the request
// is returned all the same (without headers when their block is wrong),
// so that Prepare can check the other fields too.
func toRequest(f templates.FormView) (diagnose.Request, []string, error) {
	hs, headersErr := parseHeaderBlock(f.Headers)
	secret, secretErr := parseSecretNames(f.Secret)
	return diagnose.Request{
		URL:              strings.TrimSpace(f.URL),
		Origin:           strings.TrimSpace(f.Origin),
		Method:           strings.TrimSpace(f.Method),
		Headers:          hs,
		Body:             normalizeNewlines(f.Body),
		Credentials:      diagnose.Credentials(f.Credentials),
		Mode:             diagnose.Mode(f.Mode),
		UseCORSPreflight: f.UseCORSPreflight,
	}, secret, errors.Join(headersErr, secretErr)
}

// normalizeNewlines undoes the CRLF that browsers submit for textarea
// line breaks, so the body is what the user typed.
func normalizeNewlines(s string) string {
	return strings.ReplaceAll(s, "\r\n", "\n")
}

// formFromRequest pre-fills the form from a stored request (re-run).
// Redacted values are left empty: the user must type them again.
func formFromRequest(r diagnose.Request, redacted []string) (templates.FormView, []string) {
	var lines []string
	var reenter []string
	seen := map[string]bool{}
	for _, h := range r.Headers {
		v := h.Value
		if v == diagnose.Redacted {
			v = ""
			if k := strings.ToLower(h.Name); !seen[k] {
				seen[k] = true
				reenter = append(reenter, h.Name)
			}
		}
		lines = append(lines, h.Name+": "+v)
	}
	var extra []string
	for _, n := range redacted {
		always := false
		for _, a := range diagnose.AlwaysSecret {
			if strings.EqualFold(a, n) {
				always = true
			}
		}
		if !always {
			extra = append(extra, n)
		}
	}
	return templates.FormView{
		URL:              r.URL,
		Origin:           r.Origin,
		Method:           r.Method,
		Headers:          strings.Join(lines, "\n"),
		Secret:           strings.Join(extra, ", "),
		Body:             r.Body,
		Credentials:      string(r.Credentials),
		Mode:             string(r.Mode),
		UseCORSPreflight: r.UseCORSPreflight,
	}, reenter
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// formOrder lists the form's fields top to bottom.
var formOrder = []string{fieldURL, fieldOrigin, fieldMethod, fieldCreds, fieldHeaders, fieldBody, fieldMode, fieldSecret}

// fieldErrors converts input errors for the form view: one per field (the
// first found for it), in the form's order, any other field last.
func fieldErrors(ies []*diagnose.InputError) []*templates.FieldError {
	rank := func(field string) int {
		for i, f := range formOrder {
			if f == field {
				return i
			}
		}
		return len(formOrder)
	}
	var out []*templates.FieldError
	seen := map[string]bool{}
	for _, ie := range ies {
		if seen[ie.Field] {
			continue
		}
		seen[ie.Field] = true
		out = append(out, &templates.FieldError{Field: ie.Field, Message: capitalize(ie.Message), Hint: capitalize(ie.Hint)})
	}
	slices.SortStableFunc(out, func(a, b *templates.FieldError) int { return rank(a.Field) - rank(b.Field) })
	return out
}

// capitalize upper-cases the first letter of a sentence, unless its first
// word is code such as fetch() or a header name.
func capitalize(s string) string {
	word, _, _ := strings.Cut(s, " ")
	for i := 0; i < len(word); i++ {
		if c := word[i]; c < 'a' || c > 'z' {
			if i == len(word)-1 && (c == ',' || c == ':') {
				break
			}
			return s
		}
	}
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
