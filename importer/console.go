package importer

import (
	"regexp"
	"strings"
	"sync"

	"corsdoctor/diagnose"
)

// The fixed parts of the console lines (see /work/shared/cors-reference.md
// §1 and diagnose/console.go).
const (
	chromiumPreflight = "Response to preflight request doesn't pass access control check: "
	firefoxPrefix     = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "
	firefoxWarning    = "Cross-Origin Request Warning: The Same Origin Policy will disallow reading the remote resource at "
)

// chromiumHead matches Blink's prefix: the resource kind, the URL that
// failed, the URL first asked for when it was redirected, and the origin.
var chromiumHead = regexp.MustCompile(`Access to ([A-Za-z]+) at '([^']*)' (?:\(redirected from '([^']*)'\) )?from origin '([^']*)' has been blocked by CORS policy: `)

// chromiumNetError matches the line Chromium prints after a blocked
// fetch: "POST https://api.example.com/x net::ERR_FAILED 200 (OK)".
var chromiumNetError = regexp.MustCompile(`(?:^|\s)([A-Z]+) (https?://\S+) net::ERR_[A-Z_]+`)

// safariLoad matches WebKit's closing line for a blocked fetch or XHR.
var safariLoad = regexp.MustCompile(`(?:Fetch API|XMLHttpRequest) cannot load (\S+?)\.? due to access control checks\.?`)

// safariOrigin matches WebKit's ACAO line.
var safariOrigin = regexp.MustCompile(`Origin (\S+) is not allowed by Access-Control-Allow-Origin\.`)

// Suffixes Chromium appended to some bodies over the years, and the XHR
// one; a body is matched with them removed.
var chromiumSuffixes = []string{
	" Have the server send the header with a valid value",
	" If an opaque response serves your needs",
	" The credentials mode of requests initiated by the XMLHttpRequest",
}

// matcher recognises one reason's body text in one browser's words.
type matcher struct {
	reason string
	re     *regexp.Regexp
	// groups names what each capture is: "value", "name", "method", "status", "url", "origin".
	groups []string
}

var (
	matchersOnce sync.Once
	crMatchers   []matcher // bodies after Blink's prefix
	ffMatchers   []matcher // the text inside "(Reason: …)"
	sfMatchers   []matcher // whole WebKit lines
)

var placeholder = regexp.MustCompile(`<([A-Za-z]+)>`)

// compile turns a reason table text, with <url>, <value>… standing for what
// each case fills in, into a regexp that matches it at the start of a text.
func compile(reason, text string) matcher {
	m := matcher{reason: reason}
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, loc := range placeholder.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(regexp.QuoteMeta(text[last:loc[0]]))
		b.WriteString(`(.*?)`)
		m.groups = append(m.groups, strings.ToLower(text[loc[2]:loc[3]]))
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(text[last:]))
	m.re = regexp.MustCompile(b.String())
	return m
}

// loadMatchers builds the matchers from diagnose's reason table, so the
// importer reads exactly the texts the engine prints.
func loadMatchers() {
	for _, ri := range diagnose.Reasons() {
		if body, ok := strings.CutPrefix(ri.Chromium, "Access to fetch at '<url>' from origin '<origin>' has been blocked by CORS policy: "); ok {
			body = strings.TrimPrefix(body, chromiumPreflight)
			body = trimChromiumSuffix(body)
			crMatchers = append(crMatchers, compile(ri.ID, body))
		}
		if i := strings.Index(ri.Firefox, "(Reason: "); i >= 0 && strings.HasPrefix(ri.Firefox, "Cross-Origin Request") {
			ffMatchers = append(ffMatchers, compile(ri.ID, firefoxWords(normaliseQuotes(ri.Firefox[i+len("(Reason: "):]))))
		}
		if ri.Safari != "" && !strings.Contains(ri.Safari, "cannot load") {
			// The status code is optional in pasted lines.
			s, _, _ := strings.Cut(ri.Safari, " Status code:")
			sfMatchers = append(sfMatchers, compile(ri.ID, s))
		}
	}
	// Bodies the table folds into another reason.
	crMatchers = append(crMatchers, compile("CORSAllowOriginNotMatchingOrigin", "The 'Access-Control-Allow-Origin' header contains the invalid value '<value>'."))
}

func trimChromiumSuffix(body string) string {
	for _, s := range chromiumSuffixes {
		if i := strings.Index(body, s); i >= 0 {
			body = body[:i]
		}
	}
	return body
}

// normaliseQuotes turns Gecko's typographic quotes into ASCII ones, as
// MDN and some copies print them.
func normaliseQuotes(s string) string {
	return strings.NewReplacer("‘", "'", "’", "'", "“", "\"", "”", "\"").Replace(s)
}

// match runs ms against text and returns the first reason that matches
// and what its placeholders captured.
func match(ms []matcher, text string) (string, map[string]string) {
	for _, m := range ms {
		sm := m.re.FindStringSubmatch(text)
		if sm == nil {
			continue
		}
		got := map[string]string{}
		for i, g := range m.groups {
			got[g] = sm[i+1]
		}
		return m.reason, got
	}
	return "", nil
}

// looksLikeConsole reports whether a line is a browser console line Parse
// knows.
func looksLikeConsole(line string) bool {
	return chromiumHead.MatchString(line) || strings.Contains(line, "Cross-Origin Request Blocked:") ||
		strings.Contains(line, "Cross-Origin Request Warning:") || safariLoad.MatchString(line) ||
		safariOrigin.MatchString(line) || chromiumNetError.MatchString(line)
}

// MatchReason returns the reason ID a pasted console line names (a line
// from any of the three browsers), and the line's own words for it; ok is
// false when the text holds no console line Parse recognises with a
// reason.
func MatchReason(text string) (reason, words string, ok bool) {
	if len(text) > MaxInput {
		text = text[:MaxInput]
	}
	res := &Result{}
	b := newBuilder(res)
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r", "\n"), "\n") {
		b.consoleLine(line)
		if res.Reason != "" {
			return res.Reason, res.ReasonText, true
		}
	}
	return "", "", false
}

// consoleLine reads one line; lines that are no console line Parse knows
// are ignored.
func (b *builder) consoleLine(line string) {
	matchersOnce.Do(loadMatchers)
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	switch {
	case chromiumHead.MatchString(line):
		b.chromium(line)
	case strings.Contains(line, firefoxPrefix) || strings.Contains(normaliseQuotes(line), firefoxPrefix) || strings.Contains(line, firefoxWarning):
		b.firefox(line)
	case safariLoad.MatchString(line) || safariOrigin.MatchString(line):
		b.safari(line)
	default:
		if r, _ := match(sfMatchers, stripSafariLevel(line)); r != "" {
			b.safari(line)
			return
		}
		if m := chromiumNetError.FindStringSubmatch(line); m != nil {
			// Chromium's network line says the method; the URL is the
			// same request's.
			b.setMethod(m[1])
			b.setURL(m[2])
		}
	}
}

func (b *builder) record(src Source, reason, words, line string, preflight bool) {
	b.setSource(src)
	b.res.Console = append(b.res.Console, ConsoleLine{Source: src, Reason: reason, Text: line, Preflight: preflight})
	if b.res.Reason == "" && reason != "" {
		b.res.Reason, b.res.ReasonText = reason, words
	}
	if preflight {
		b.preflight = true
	}
}

func (b *builder) chromium(line string) {
	loc := chromiumHead.FindStringSubmatchIndex(line)
	sm := chromiumHead.FindStringSubmatch(line)
	kind, failed, initial, origin := sm[1], sm[2], sm[3], sm[4]
	body := line[loc[1]:]
	preflight := strings.HasPrefix(body, chromiumPreflight)
	body = strings.TrimPrefix(body, chromiumPreflight)
	words := body
	reason, got := match(crMatchers, trimChromiumSuffix(body))
	if initial == "" {
		initial = failed
	} else {
		b.note("Chromium's line says %s was redirected to %s; the diagnosis starts from the URL the page asked for.", initial, failed)
	}
	b.setURL(initial)
	b.setOrigin(origin, "Chromium's console line")
	if strings.EqualFold(kind, "XMLHttpRequest") {
		b.note("The request was made with XMLHttpRequest: its withCredentials = true is credentials: 'include'.")
	}
	if strings.HasPrefix(body, "Redirect is not allowed for a preflight request") || strings.HasPrefix(body, "It does not have HTTP ok status") {
		preflight = true
	}
	b.fromCaptures(reason, got)
	b.record(SourceChromium, reason, words, line, preflight || isPreflightOnly(reason))
}

func (b *builder) firefox(line string) {
	n := normaliseQuotes(line)
	i := strings.Index(n, firefoxPrefix)
	if i < 0 {
		i = strings.Index(n, firefoxWarning)
		if i < 0 {
			return
		}
		n = n[i+len(firefoxWarning):]
	} else {
		n = n[i+len(firefoxPrefix):]
	}
	// n is "URL. (Reason: R). Status code: N." or "'URL'. (Reason: …".
	u, rest, ok := strings.Cut(n, ". (Reason: ")
	if !ok {
		u, rest, _ = strings.Cut(n, " soon. (Reason: ")
	}
	u = strings.Trim(u, "'")
	words := firefoxWords(rest)
	reason, got := match(ffMatchers, words)
	b.setURL(u)
	b.fromCaptures(reason, got)
	b.record(SourceFirefox, reason, words, line, isPreflightOnly(reason) || strings.Contains(words, "preflight"))
}

// firefoxWords is the reason text of a Firefox line, from what follows
// "(Reason: ": without the status code, the closing parenthesis, or the
// "Learn More" link the console adds.
func firefoxWords(rest string) string {
	rest = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "[Learn More]"))
	if i := strings.Index(rest, ". Status code:"); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimSuffix(rest, ".")
	return strings.TrimSuffix(rest, ")")
}

func stripSafariLevel(line string) string {
	for _, p := range []string{"[Error] ", "[Warning] ", "[Log] "} {
		line = strings.TrimPrefix(line, p)
	}
	return line
}

func (b *builder) safari(line string) {
	s := stripSafariLevel(line)
	if m := safariLoad.FindStringSubmatch(s); m != nil {
		b.setURL(m[1])
		b.record(SourceSafari, "", s, line, false)
		return
	}
	reason, got := match(sfMatchers, s)
	if m := safariOrigin.FindStringSubmatch(s); m != nil {
		b.setOrigin(m[1], "Safari's console line")
	}
	b.fromCaptures(reason, got)
	b.record(SourceSafari, reason, s, line, isPreflightOnly(reason))
}

// fromCaptures fills the request from what a reason's text names.
func (b *builder) fromCaptures(reason string, got map[string]string) {
	switch reason {
	case "CORSNotSupportingCredentials", "CORSMissingAllowCredentials":
		b.setCredentials(diagnose.CredentialsInclude)
	case "CORSMethodNotFound":
		if m := got["method"]; m != "" {
			b.setMethod(m)
		}
	case "CORSMissingAllowHeaderFromPreflight":
		if n := got["name"]; n != "" && len(b.consoleHeaders) < maxHeaders && !containsFold(b.consoleHeaders, n) {
			b.consoleHeaders = append(b.consoleHeaders, n)
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// isPreflightOnly reports whether a reason is only ever a preflight's.
func isPreflightOnly(reason string) bool {
	switch reason {
	case "CORSPreflightDidNotSucceed", "CORSMethodNotFound", "CORSMissingAllowHeaderFromPreflight",
		"CORSInvalidAllowMethod", "CORSInvalidAllowHeader", "CORSExternalRedirectNotAllowed":
		return true
	}
	return false
}
