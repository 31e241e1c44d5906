// Package export turns a diagnosis into things other tools open: curl
// commands for the exact preflight and actual request, the page's fetch()
// call, and a HAR 1.2 document for browser devtools.
//
// It is its own package, not part of handlers or diagnose, because it is
// pure formatting with its own correctness concerns (shell quoting, HAR's
// required fields) that deserve table tests independent of HTTP, and
// because the CLI can offer the same exports without importing the web
// layer. It imports only diagnose and the standard library.
package export

import (
	"net/url"
	"strings"

	"corsdoctor/diagnose"
)

// ShellQuote quotes s for a POSIX shell: single quotes around it, and every
// single quote inside closed, escaped and reopened ('\”), so nothing in a
// header value (quotes, $, backticks, ;, newlines) is ever interpreted.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellWord leaves a plain word (letters, digits, - and _) bare and quotes
// anything else: a method token may contain $, |, ` and friends.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0 {
		return s
	}
	return ShellQuote(s)
}

// skipInCurl lists request headers curl writes itself from the command
// line (and would duplicate or get wrong if passed with -H).
var skipInCurl = map[string]bool{"host": true, "content-length": true}

// Curl returns a curl command that sends req as the prober sent it: the
// same method, URL, headers in order and body, with -i so the response
// head is printed. Lines are joined with " \" for readability.
func Curl(req diagnose.SentRequest) string {
	var parts []string
	parts = append(parts, "curl -i")
	switch req.Method {
	case "GET":
		if req.Body != "" {
			parts[0] += " -X GET"
		}
	case "HEAD":
		parts[0] += " --head"
	case "POST":
		if req.Body == "" {
			parts[0] += " -X POST"
		}
	default:
		parts[0] += " -X " + shellWord(req.Method)
	}
	parts[0] += " " + ShellQuote(req.URL)
	var redacted []string
	for _, h := range req.Headers {
		if skipInCurl[strings.ToLower(h.Name)] {
			if strings.EqualFold(h.Name, "host") && h.Value != hostOf(req.URL) {
				parts = append(parts, "-H "+ShellQuote(h.Name+": "+h.Value))
			}
			continue
		}
		if h.Value == diagnose.Redacted {
			redacted = append(redacted, h.Name)
		}
		parts = append(parts, "-H "+ShellQuote(h.Name+": "+h.Value))
	}
	if req.Body != "" {
		parts = append(parts, "--data-raw "+ShellQuote(req.Body))
	}
	cmd := strings.Join(parts, " \\\n  ")
	if len(redacted) > 0 {
		cmd = "# " + strings.Join(redacted, ", ") + ": replace " + diagnose.Redacted + " with the real value\n" + cmd
	}
	return cmd
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// FindExchange returns the first exchange of kind at redirect hop 0, or nil.
func FindExchange(rep *diagnose.Report, kind diagnose.StepKind) *diagnose.Exchange {
	for i := range rep.Exchanges {
		if ex := &rep.Exchanges[i]; ex.Step.Kind == kind && ex.Step.Hop == 0 {
			return ex
		}
	}
	return nil
}

// PreflightRequest returns the preflight the browser sends for rep's
// request: the one the prober sent, or, when none was sent (the browser
// would refuse the request earlier), the one it would send. ok is false
// when the request needs no preflight.
func PreflightRequest(rep *diagnose.Report) (req diagnose.SentRequest, ok bool) {
	if ex := FindExchange(rep, diagnose.StepPreflight); ex != nil {
		return ex.Request, true
	}
	if !rep.Preflight.Required {
		return diagnose.SentRequest{}, false
	}
	method := rep.Request.Method
	if method == "" {
		method = "GET"
	}
	hs := []diagnose.Header{{Name: "Accept", Value: "*/*"}, {Name: "Access-Control-Request-Method", Value: method}}
	if len(rep.Preflight.UnsafeHeaders) > 0 {
		hs = append(hs, diagnose.Header{Name: "Access-Control-Request-Headers", Value: strings.Join(rep.Preflight.UnsafeHeaders, ",")})
	}
	hs = append(hs, diagnose.Header{Name: "Origin", Value: rep.Request.Origin})
	return diagnose.SentRequest{Method: "OPTIONS", URL: rep.Request.URL, Proto: "HTTP/1.1", Headers: hs}, true
}

// ActualRequest returns the actual request: the one the prober sent, or,
// when a failed preflight stopped it, the one the browser would have sent
// next (the page's method, headers and body, plus Origin).
func ActualRequest(rep *diagnose.Report) diagnose.SentRequest {
	if ex := FindExchange(rep, diagnose.StepActual); ex != nil {
		return ex.Request
	}
	method := rep.Request.Method
	if method == "" {
		method = "GET"
	}
	hs := append([]diagnose.Header(nil), rep.Request.Headers...)
	if !hasHeader(hs, "Accept") {
		hs = append(hs, diagnose.Header{Name: "Accept", Value: "*/*"})
	}
	if rep.Request.Mode != diagnose.ModeNoCORS || (method != "GET" && method != "HEAD") {
		hs = append(hs, diagnose.Header{Name: "Origin", Value: rep.Request.Origin})
	}
	if rep.Request.Body != "" && !hasHeader(hs, "Content-Type") {
		hs = append(hs, diagnose.Header{Name: "Content-Type", Value: "text/plain;charset=UTF-8"})
	}
	return diagnose.SentRequest{Method: method, URL: rep.Request.URL, Proto: "HTTP/1.1", Headers: hs, Body: rep.Request.Body}
}

func hasHeader(hs []diagnose.Header, name string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}
