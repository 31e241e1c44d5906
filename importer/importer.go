package importer

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"corsdoctor/diagnose"
)

// Source names what the input was.
type Source string

// The inputs Parse recognises.
const (
	SourceChromium Source = "chromium-console"
	SourceFirefox  Source = "firefox-console"
	SourceSafari   Source = "safari-console"
	SourceCurl     Source = "curl"
	SourceFetch    Source = "fetch"
	SourceDevtools Source = "devtools-headers"
)

// Bounds on the work one Parse call does. Every step is linear in the input,
// so these bound its time and memory too.
const (
	// MaxInput is the longest input Parse reads, in bytes: a copied
	// request with a large body still fits.
	MaxInput = 256 << 10
	// maxWords bounds the words of one command.
	maxWords = 4096
	// maxHeaders bounds the headers kept from one input.
	maxHeaders = 200
	// maxDepth bounds the nesting of a fetch() options literal.
	maxDepth = 16
)

// Missing is a field the input does not say, and what to do about it.
type Missing struct {
	Field string `json:"field"` // a diagnose.Request field: "origin", "url", "method", "credentials", "headers", "body"
	Why   string `json:"why"`
}

// Dropped is a header the input carries that the page's fetch() did not
// set (the browser adds it itself, or would refuse it), with why.
type Dropped struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"` // empty for cookies and other secrets
	Why   string `json:"why"`
}

// Result is what Parse understood.
type Result struct {
	// Source is the kind of input the request comes from: the command or
	// snippet when there is one, else the first console line.
	Source Source `json:"source"`
	// Request is the request to diagnose, as far as the input tells it.
	// Method, Credentials and Mode are set only when the input says so.
	Request diagnose.Request `json:"request"`
	// Missing lists what the input could not tell (Firefox's line has no
	// origin, for one).
	Missing []Missing `json:"missing"`
	// Dropped lists headers left out of Request.Headers.
	Dropped []Dropped `json:"dropped"`
	// Reason is the reason ID (diagnose.LookupReason) of the first console
	// line, when there is one.
	Reason string `json:"reason,omitempty"`
	// ReasonText is that line's own words for the reason.
	ReasonText string `json:"reason_text,omitempty"`
	// Console lists the console lines recognised, in input order.
	Console []ConsoleLine `json:"console,omitempty"`
	// Notes say where values came from when that is not obvious (an
	// origin taken from Referer, a method implied by --data).
	Notes []string `json:"notes,omitempty"`
}

// ConsoleLine is one recognised console line.
type ConsoleLine struct {
	Source Source `json:"source"`
	Reason string `json:"reason,omitempty"` // reason ID, "" when the line names none
	Text   string `json:"text"`
	// Preflight is set when the line says the preflight failed.
	Preflight bool `json:"preflight,omitempty"`
}

// ErrUnrecognised is returned (wrapped in an *Error) when no part of the
// input is a form Parse knows.
var ErrUnrecognised = errors.New("unrecognised input")

// Error is a problem with the pasted text: what is wrong and what to paste
// instead.
type Error struct {
	Message string
	Hint    string
	err     error
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " (" + e.Hint + ")"
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.err }

var errEmpty = &Error{Message: "nothing was pasted", Hint: "paste a console error, a curl command, a fetch() call or a block of request headers"}

// Parse reads a console line (or several), a curl command, a fetch()
// snippet or a devtools header block, and returns the request it
// describes. It fails only when it recognises nothing, or the input is
// larger than MaxInput or not UTF-8 text.
func Parse(input string) (*Result, error) {
	if len(input) > MaxInput {
		return nil, &Error{Message: fmt.Sprintf("the pasted text is %d bytes; corsdoctor reads at most %d", len(input), MaxInput), Hint: "paste only the request or the console line"}
	}
	if !utf8.ValidString(input) {
		return nil, &Error{Message: "the pasted text is not UTF-8 text"}
	}
	text := strings.ReplaceAll(strings.ReplaceAll(input, "\r\n", "\n"), "\r", "\n")
	if strings.TrimSpace(text) == "" {
		return nil, errEmpty
	}
	res := &Result{Missing: []Missing{}, Dropped: []Dropped{}}
	b := newBuilder(res)

	// A command or snippet takes the lines from its first word to the end
	// of its last continuation; console lines may come before or after.
	lines := strings.Split(text, "\n")
	cmdStart, cmdEnd, kind := findCommand(lines)
	var err error
	if kind != "" {
		cmd := strings.Join(lines[cmdStart:cmdEnd], "\n")
		switch kind {
		case "curl":
			err = b.curl(cmd)
		case "powershell":
			err = b.powershell(cmd)
		case "fetch":
			err = b.fetch(cmd)
		}
		if err != nil {
			return nil, err
		}
	}
	for i, line := range lines {
		if kind != "" && i >= cmdStart && i < cmdEnd {
			continue
		}
		b.consoleLine(line)
	}
	if kind == "" && len(res.Console) == 0 {
		if !b.devtools(text) {
			return nil, &Error{Message: "corsdoctor does not recognise the pasted text", Hint: "paste a browser console error, a curl command (Copy as cURL), a fetch() call (Copy as fetch) or request headers copied from devtools", err: ErrUnrecognised}
		}
	}
	b.finish()
	return res, nil
}

// findCommand finds the first line that starts a curl command, a
// PowerShell Invoke-WebRequest or a fetch() call, and the line after its
// end: a command runs to the end of the input, except that a curl or
// PowerShell command ends at the first line that does not continue it.
func findCommand(lines []string) (start, end int, kind string) {
	for i, line := range lines {
		t := strings.TrimSpace(line)
		k := ""
		switch {
		case hasWordPrefix(t, "curl"), hasWordPrefix(t, "curl.exe"):
			k = "curl"
		case strings.HasPrefix(t, "$session") || hasWordPrefix(t, "Invoke-WebRequest") || hasWordPrefix(t, "Invoke-RestMethod") || hasWordPrefix(t, "iwr"):
			k = "powershell"
		case strings.HasPrefix(t, "fetch(") || strings.HasPrefix(t, "await fetch(") || strings.HasPrefix(t, "fetch ("):
			k = "fetch"
		}
		if k == "" {
			continue
		}
		if k == "fetch" {
			return i, fetchEnd(lines, i), k
		}
		j := i
		for j < len(lines)-1 && continues(k, lines, j) {
			j++
		}
		return i, j + 1, k
	}
	return 0, 0, ""
}

// continues reports whether line j of a command goes on to the next one.
func continues(kind string, lines []string, j int) bool {
	t := strings.TrimRight(lines[j], " \t")
	switch {
	case strings.HasSuffix(t, "\\"), strings.HasSuffix(t, "^"), strings.HasSuffix(t, "`"):
		return true
	case kind == "powershell":
		// $session set-up lines, and the lines of a -Headers @{…} block.
		next := strings.TrimSpace(lines[j+1])
		return next != "" && !looksLikeConsole(next)
	}
	// An open quote continues the command (a body with line breaks).
	return openQuote(strings.Join(lines[:j+1], "\n"))
}

// openQuote reports whether s ends inside a single- or double-quoted
// string, as bash would read it.
func openQuote(s string) bool {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q == 0 && (c == '\'' || c == '"'):
			q = c
		case q == c:
			q = 0
		case c == '\\' && q != '\'' && i+1 < len(s):
			i++
		}
	}
	return q != 0
}

// fetchEnd is the line after the one closing the fetch( call at line i.
func fetchEnd(lines []string, i int) int {
	depth := 0
	var q byte
	for j := i; j < len(lines); j++ {
		s := lines[j]
		for k := 0; k < len(s); k++ {
			c := s[k]
			switch {
			case q != 0:
				if c == '\\' {
					k++
				} else if c == q {
					q = 0
				}
			case c == '"' || c == '\'' || c == '`':
				q = c
			case c == '(' || c == '{' || c == '[':
				depth++
			case c == ')' || c == '}' || c == ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
	}
	return len(lines)
}

func hasWordPrefix(s, w string) bool {
	if !strings.HasPrefix(strings.ToLower(s), strings.ToLower(w)) {
		return false
	}
	return len(s) == len(w) || s[len(w)] == ' ' || s[len(w)] == '\t' || s[len(w)] == '\\' || s[len(w)] == '^'
}

// builder accumulates what the parts of one input say.
type builder struct {
	res *Result
	// headers as the input names them, before the browser-set ones are
	// taken out.
	headers []diagnose.Header
	// origin and its provenance.
	origin, originFrom string
	referer            string
	cookies            bool
	credentialsSet     bool
	methodSet          bool
	compressed         bool
	// request's own knowledge: a console line asked for a preflight.
	preflight bool
	// headerNames named by console lines (values unknown).
	consoleHeaders []string
	bodyFile       string
}

func newBuilder(res *Result) *builder { return &builder{res: res} }

func (b *builder) setSource(s Source) {
	if b.res.Source == "" {
		b.res.Source = s
	}
}

func (b *builder) note(format string, args ...any) {
	b.res.Notes = append(b.res.Notes, fmt.Sprintf(format, args...))
}

func (b *builder) missing(field, why string) {
	for _, m := range b.res.Missing {
		if m.Field == field {
			return
		}
	}
	b.res.Missing = append(b.res.Missing, Missing{Field: field, Why: why})
}

func (b *builder) addHeader(name, value string) {
	if len(b.headers) < maxHeaders {
		b.headers = append(b.headers, diagnose.Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
}

func (b *builder) setURL(u string) {
	if b.res.Request.URL == "" {
		b.res.Request.URL = u
	}
}

func (b *builder) setOrigin(o, from string) {
	if b.origin == "" && o != "" {
		b.origin, b.originFrom = o, from
	}
}

func (b *builder) setMethod(m string) {
	if !b.methodSet && m != "" {
		b.res.Request.Method = m
		b.methodSet = true
	}
}

func (b *builder) setCredentials(c diagnose.Credentials) {
	if !b.credentialsSet {
		b.res.Request.Credentials = c
		b.credentialsSet = true
	}
}

// finish sorts the headers into kept and dropped, settles the origin and
// lists what is still unknown.
func (b *builder) finish() {
	r := &b.res.Request
	for _, h := range b.headers {
		n := strings.ToLower(h.Name)
		switch n {
		case "origin":
			b.setOrigin(h.Value, "the Origin header")
		case "referer":
			b.referer = h.Value
		case "cookie":
			b.cookies = true
		}
		if strings.ContainsAny(h.Name+h.Value, "\r\n\x00") {
			b.res.Dropped = append(b.res.Dropped, Dropped{Name: strings.NewReplacer("\r", "", "\n", "", "\x00", "").Replace(h.Name), Why: "it holds a line break or NUL byte, which fetch() refuses (TypeError)"})
			continue
		}
		if why, ok := browserSet(n, h.Value, b.compressed); ok {
			d := Dropped{Name: h.Name, Value: h.Value, Why: why}
			if n == "cookie" || n == "proxy-authorization" {
				d.Value = ""
			}
			b.res.Dropped = append(b.res.Dropped, d)
			continue
		}
		r.Headers = append(r.Headers, h)
	}
	for _, n := range b.consoleHeaders {
		if !hasHeader(r.Headers, n) {
			r.Headers = append(r.Headers, diagnose.Header{Name: n})
			b.missing("headers", "the pasted text names the header "+n+" but not its value; type the value your code sends if it matters (a Content-Type, for one)")
		}
	}
	if b.origin == "" && b.referer != "" {
		if o := originOf(b.referer); o != "" {
			b.setOrigin(o, "the page address (Referer)")
		}
	}
	if b.origin != "" {
		r.Origin = b.origin
		if b.originFrom != "the Origin header" && b.originFrom != "" {
			b.note("The origin comes from %s: %s.", b.originFrom, b.origin)
		}
	}
	if b.cookies && !b.credentialsSet {
		b.setCredentials(diagnose.CredentialsInclude)
		b.note("The request carries cookies, so the page sends credentials: 'include' (or withCredentials = true).")
	}
	if r.URL == "" {
		b.missing("url", "the pasted text names no request URL; type the URL the page fetches")
	}
	if r.Origin == "" {
		why := "the pasted text does not say which page made the request; type the origin of that page (scheme, host and port, e.g. https://app.example.com)"
		if b.res.Source == SourceFirefox {
			why = "Firefox's console line does not name the page's origin; type the origin of the page that made the request (scheme, host and port)"
		}
		b.missing("origin", why)
	}
	switch b.res.Source {
	case SourceChromium, SourceFirefox, SourceSafari:
		if !b.methodSet {
			why := "a console line does not name the method; GET is assumed, so type the method your code uses"
			if b.preflight {
				why = "the request was preflighted, so it probably uses a method other than GET, HEAD or POST or a non-safelisted header; type the method and headers your code sends"
			}
			b.missing("method", why)
		}
		if !b.credentialsSet {
			b.missing("credentials", "a console line does not say whether the page sends cookies; choose include if your code sets credentials: 'include' or withCredentials")
		}
	case SourceCurl, SourceDevtools:
		if !b.credentialsSet {
			b.missing("credentials", "the copy shows cookies only when the browser had some to send; choose include if your code sets credentials: 'include' or withCredentials")
		}
	}
	if b.bodyFile != "" {
		b.missing("body", "the body is read from the file "+b.bodyFile+", which corsdoctor cannot see; paste its content if the server needs it")
	}
}

func hasHeader(hs []diagnose.Header, name string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// originOf is the serialised origin of an absolute http(s) URL, or "".
func originOf(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// browserSet says why a header the input carries is not one the page's
// fetch() set, or ok=false when it may well be.
func browserSet(name, value string, compressed bool) (why string, ok bool) {
	v := strings.ToLower(strings.TrimSpace(value))
	switch {
	case name == "cookie":
		return "the browser sends cookies itself (fetch() cannot set Cookie); they mean the page sends credentials, so credentials is include", true
	case name == "origin":
		return "the browser sets Origin itself; it gives the page origin", true
	case name == "referer":
		return "the browser sets Referer itself; it gives the page origin when Origin is absent", true
	case name == "host", name == ":authority":
		return "the browser sets Host from the URL", true
	case name == "accept-encoding":
		if compressed {
			return "curl's --compressed asks for it; the browser sets Accept-Encoding itself", true
		}
		return "a forbidden request header: the browser sets Accept-Encoding itself", true
	case name == "content-length", name == "connection", name == "keep-alive", name == "te", name == "trailer",
		name == "transfer-encoding", name == "upgrade", name == "via", name == "date", name == "expect",
		name == "accept-charset", name == "access-control-request-method", name == "access-control-request-headers",
		name == "cookie2", name == "set-cookie", name == "dnt":
		return "a forbidden request header: fetch() ignores it and the browser sets it itself", true
	case strings.HasPrefix(name, "proxy-"):
		return "a forbidden request header (Proxy-*): the browser never lets a page set it", true
	case strings.HasPrefix(name, "sec-"):
		return "a forbidden request header (Sec-*): the browser adds it itself", true
	case name == "user-agent":
		return "the browser sends its own User-Agent (Chromium ignores one set by the page)", true
	case name == "accept-language":
		return "the browser's default Accept-Language; add it back if your code sets it", true
	case name == "priority", name == "upgrade-insecure-requests", name == "alt-used":
		return "the browser adds it itself", true
	case name == "accept" && v == "*/*":
		return "the browser's default Accept when the page sets none", true
	case (name == "pragma" || name == "cache-control") && v == "no-cache":
		return "devtools' \"Disable cache\" adds it; the page did not set it", true
	case strings.HasPrefix(name, ":"):
		return "an HTTP/2 pseudo-header, not a header the page sets", true
	}
	return "", false
}
