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

// formFromValues reads the diagnose form as typed, without judging it,
// except that a request block pasted from devtools fills the URL, method
// and origin it names (see applyPaste).
func formFromValues(v url.Values) templates.FormView {
	f, _ := applyPaste(rawFormFromValues(v))
	return f
}

func rawFormFromValues(v url.Values) templates.FormView {
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
	f, _ = applyPaste(f)
	p, headersErr := readPaste(f.Headers)
	hs := p.headers
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

// pastedRequest is what a block copied from devtools says about the
// request, beyond the header lines the page set.
type pastedRequest struct {
	headers []diagnose.Header // the headers the page set, as far as one can tell
	method  string            // :method, or the request line's
	url     string            // :scheme://:authority:path, or the request line's target with Host
	origin  string            // the Origin the browser sent
	dropped []string          // browser-added headers removed, as pasted
	// preflight is set when the block is a preflight's: method and
	// headers are then the ones it asks permission for.
	preflight bool
}

// browserAdded are the request headers Chromium and Firefox add to a
// fetch() themselves (devtools shows them among the request headers), so
// a pasted devtools block holds them although the page never set them.
// Most are forbidden request headers, which fetch() would ignore anyway;
// User-Agent (Chromium ignores the page's; Firefox's own is in the block),
// Priority, TE and DNT are not, and would count as CORS-unsafe.
var browserAdded = map[string]bool{
	"user-agent": true, "accept-encoding": true, "accept-language": true, "referer": true, "cookie": true,
	"connection": true, "keep-alive": true, "priority": true, "origin": true, "host": true, "content-length": true,
	"te": true, "dnt": true, "alt-used": true, "upgrade-insecure-requests": true, "sec-gpc": true,
	"access-control-request-method": true, "access-control-request-headers": true,
}

// isBrowserAdded reports whether a header line of a devtools block is one
// the browser added: those above, every Sec-CH-* and Sec-Fetch-* header,
// Accept: */* (the default when the page sets none), and Pragma and
// Cache-Control: no-cache, which devtools' "Disable cache" adds.
func isBrowserAdded(h diagnose.Header) bool {
	n := strings.ToLower(h.Name)
	v := strings.ToLower(strings.TrimSpace(h.Value))
	switch {
	case browserAdded[n], strings.HasPrefix(n, "sec-ch-"), strings.HasPrefix(n, "sec-fetch-"):
		return true
	case n == "accept":
		return v == "*/*"
	case n == "pragma", n == "cache-control":
		return v == "no-cache"
	}
	return false
}

// readPaste reads a header block. A block copied from devtools (it has
// HTTP/2 pseudo-headers, a request line, or Sec-Fetch-* headers) also
// gives the method and URL, and loses the headers the browser added.
func readPaste(block string) (pastedRequest, error) {
	var p pastedRequest
	hs, err := parseHeaderBlock(block)
	if err != nil {
		return p, err
	}
	pseudo := map[string]string{}
	target := ""
	devtools := false
	for _, line := range strings.FieldsFunc(block, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if pseudoHeader.MatchString(line) {
			name, value, _ := strings.Cut(line[1:], ":")
			pseudo[strings.ToLower(name)] = strings.TrimSpace(value)
			devtools = true
		} else if m := requestLine.FindStringSubmatch(line); m != nil {
			p.method, target = m[1], m[2]
			devtools = true
		}
	}
	for _, h := range hs {
		if strings.HasPrefix(strings.ToLower(h.Name), "sec-fetch-") {
			devtools = true
		}
	}
	if !devtools {
		p.headers = hs
		return p, nil
	}
	if m := pseudo["method"]; m != "" {
		p.method = m
	}
	host := pseudo["authority"]
	for _, h := range hs {
		switch strings.ToLower(h.Name) {
		case "host":
			if host == "" {
				host = h.Value
			}
		case "origin":
			p.origin = h.Value
		}
	}
	scheme := pseudo["scheme"]
	if scheme == "" {
		scheme = "https"
		if strings.HasPrefix(p.origin, "http://") {
			scheme = "http"
		}
	}
	if path := pseudo["path"]; path != "" {
		target = path
	}
	switch {
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		p.url = target // absolute-form request line
	case host != "" && strings.HasPrefix(target, "/"):
		p.url = scheme + "://" + host + target
	}
	var acrm, acrh string
	for _, h := range hs {
		switch strings.ToLower(h.Name) {
		case "access-control-request-method":
			acrm = h.Value
		case "access-control-request-headers":
			acrh = h.Value
		}
		if isBrowserAdded(h) {
			p.dropped = append(p.dropped, h.Name)
			continue
		}
		p.headers = append(p.headers, h)
	}
	if strings.EqualFold(p.method, "OPTIONS") && acrm != "" {
		// A preflight's block: diagnose the request it was sent for. Its
		// header values are unknown; the names are what a preflight asks.
		p.preflight, p.method = true, acrm
		p.headers = nil
		for _, n := range strings.Split(acrh, ",") {
			if n = strings.TrimSpace(n); n != "" {
				p.headers = append(p.headers, diagnose.Header{Name: n, Value: ""})
			}
		}
	}
	return p, nil
}

// requestLine matches an HTTP/1.x request line in a pasted block.
var requestLine = regexp.MustCompile(`^([A-Za-z]+) (\S+) HTTP/\d(?:\.\d)?$`)

// applyPaste fills the form from a devtools block: an empty URL or origin
// field takes the pasted request's, and the method field takes the pasted
// method when it is empty or GET (the form's default, which a pasted PUT
// must not silently become). A URL or method typed in the form otherwise
// wins: the user may be aiming the same request at another server. The
// notices say what was taken, what was dropped and what conflicted.
func applyPaste(f templates.FormView) (templates.FormView, []string) {
	p, err := readPaste(f.Headers)
	if err != nil {
		return f, nil
	}
	var notes []string
	if p.preflight {
		notes = append(notes, fmt.Sprintf("The pasted block is a preflight: diagnosing the %s request it asks for, with the headers it names (their values are unknown, so type them if they matter).", p.method))
	}
	if p.url != "" {
		switch typed := strings.TrimSpace(f.URL); {
		case typed == "":
			f.URL = p.url
			notes = append(notes, "The URL comes from the pasted block: "+clip(p.url, 200)+".")
		case typed != p.url:
			notes = append(notes, fmt.Sprintf("The pasted block is for %s; diagnosing the URL typed in the form, %s.", clip(p.url, 200), clip(typed, 200)))
		}
	}
	if p.method != "" {
		typed := strings.TrimSpace(f.Method)
		switch {
		case typed == "":
			f.Method = p.method
			notes = append(notes, "The method comes from the pasted block: "+clip(p.method, 40)+".")
		case strings.EqualFold(typed, p.method):
		case strings.EqualFold(typed, "GET"):
			f.Method = p.method
			notes = append(notes, fmt.Sprintf("The method comes from the pasted block: %s, not the form's default GET.", clip(p.method, 40)))
		default:
			notes = append(notes, fmt.Sprintf("The pasted block says %s; diagnosing the method typed in the form, %s.", clip(p.method, 40), clip(typed, 40)))
		}
	}
	if p.origin != "" && strings.TrimSpace(f.Origin) == "" {
		f.Origin = p.origin
		notes = append(notes, "The page origin comes from the pasted Origin header: "+clip(p.origin, 200)+".")
	}
	if len(p.dropped) > 0 {
		notes = append(notes, "Left out the headers the browser adds itself, which the page did not set: "+clip(strings.Join(p.dropped, ", "), 400)+". If your code sets one of them, add it as its own line without the devtools block around it.")
	}
	return f, notes
}

// pasteNotice is the form's notice about a pasted devtools block, or "".
func pasteNotice(f templates.FormView) string {
	_, notes := applyPaste(f)
	return strings.Join(notes, " ")
}
