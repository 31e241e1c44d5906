package cli

import (
	"fmt"
	"io"
	"strings"

	"corsdoctor/diagnose"
	"corsdoctor/remedy"
	"corsdoctor/termsafe"
)

// ansi is an escape sequence the report itself emits (a colour). It is the
// only kind of argument printer writes raw, and it cannot be concatenated
// with a plain string by accident: the compiler refuses ansi + string.
type ansi string

// palette holds ANSI codes, empty when colour is off.
type palette struct{ red, green, yellow, dim, bold, reset ansi }

func newPalette(on bool) palette {
	if !on {
		return palette{}
	}
	return palette{red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m"}
}

// printer writes the text report. Everything in it that is not a format
// string or an ansi colour (URLs, status reasons, header values, console
// lines quoting them, JS error texts) came from the target or the user, so
// printf passes every other argument through termsafe.String: a hostile
// server cannot clear the screen, retitle the terminal or reverse text.
// Write the report only through printer; TestTextGoesThroughPrinter keeps
// fmt.Fprint* and io.Writer out of the rest of this file.
type printer struct{ w io.Writer }

// printf formats like fmt.Fprintf, cleaning each argument's formatted text
// (ansi arguments excepted).
func (p printer) printf(format string, args ...any) {
	for i, a := range args {
		if _, ok := a.(ansi); !ok {
			args[i] = cleaned{a}
		}
	}
	fmt.Fprintf(p.w, format, args...)
}

// cleaned formats its value with the caller's verb, width and flags, then
// makes the result safe for a terminal.
type cleaned struct{ v any }

func (c cleaned) Format(f fmt.State, verb rune) {
	io.WriteString(f, termsafe.String(fmt.Sprintf(fmt.FormatString(f, verb), c.v)))
}

// WriteText prints a report for people: "Fix this first" (the root cause
// and the change to make) when there is one, then the verdicts, the steps,
// and the findings: each error a browser prints with both browsers'
// console lines, then the checks that fail next, without any.
func WriteText(w io.Writer, r *diagnose.Report, color bool) {
	c := newPalette(color)
	p := printer{w: w}
	req := r.Request
	if r.RootCause != nil {
		writeRootCause(p, c, r.RootCause)
	}
	p.printf("%s%s %s%s from %s (credentials: %s, mode: %s)\n\n", c.bold, req.Method, req.URL, c.reset, req.Origin, req.Credentials, req.Mode)

	for _, b := range diagnose.Browsers {
		v := r.Verdict.For(b)
		col := c.green
		if v == diagnose.Blocked {
			col = c.red
		}
		summary := r.Summary.Firefox
		name := "Firefox "
		if b == diagnose.Chromium {
			summary, name = r.Summary.Chromium, "Chromium"
		}
		p.printf("  %s %s%-7s%s %s\n", name, col, strings.ToUpper(string(v)), c.reset, summary)
	}

	p.printf("\n%sPreflight%s: ", c.bold, c.reset)
	switch {
	case r.Preflight.Required:
		p.printf("required\n")
	default:
		p.printf("not required\n")
	}
	for _, pr := range r.Preflight.Reasons {
		p.printf("  - %s\n", pr.Detail)
	}

	if len(r.Exchanges) > 0 {
		p.printf("\n%sSteps%s\n", c.bold, c.reset)
	}
	for i, ex := range r.Exchanges {
		result := ""
		var resultCol, resultReset ansi
		switch {
		case ex.Error != nil:
			resultCol, result, resultReset = c.red, "failed: "+ex.Error.Message, c.reset
		case ex.Response != nil:
			result = fmt.Sprintf("%d %s", ex.Response.Status, ex.Response.StatusText)
		}
		step := ex.Step.String()
		if len(ex.Browsers) == 1 {
			// The browsers' paths parted: only one of them sends this.
			step += " (" + joinBrowsers(ex.Browsers) + " only)"
		}
		p.printf("  %d. %-28s %s %s -> %s%s%s %s(%.0f ms)%s\n", i+1, step, ex.Request.Method, ex.Request.URL, resultCol, result, resultReset, c.dim, ex.DurationMS, c.reset)
		for _, ch := range ex.Checks {
			mark := c.green + "ok  " + c.reset
			line := ch.Name
			switch {
			case ch.NotChecked:
				// No browser got this far: neither passed nor failed.
				mark = c.dim + "--  " + c.reset
				line += ": not checked"
			case !ch.Passed:
				mark = c.red + "FAIL" + c.reset
				if ch.Detail != "" {
					line += ": " + ch.Detail
				}
			}
			p.printf("       %s %s\n", mark, line)
		}
	}
	if len(r.Followups) > 0 {
		p.printf("\n%sFollow-up preflights%s %s(sent by corsdoctor only, to see what the server refuses)%s\n", c.bold, c.reset, c.dim, c.reset)
		for _, ex := range r.Followups {
			res := "no response"
			if ex.Response != nil {
				_, ok := headerValue(ex.Response.Headers, "Access-Control-Allow-Origin")
				res = fmt.Sprintf("%d, Access-Control-Allow-Origin %s", ex.Response.Status, map[bool]string{true: "present", false: "absent"}[ok])
			}
			p.printf("  - %s: %s\n", strings.TrimPrefix(string(ex.Step.Kind), "followup: "), res)
		}
	}

	if len(r.Findings) > 0 {
		p.printf("\n%sFindings%s\n", c.bold, c.reset)
	}
	// The symptoms first: the errors a browser prints.
	for _, f := range r.Findings {
		if f.Severity == diagnose.SeverityError && role(f) == "printed" {
			writeFinding(p, c, f, true)
		}
	}
	// Then what fails once those are fixed: no browser prints these yet,
	// so they come without console lines. When the refusing layer does not
	// speak CORS at all, those at its step are one root cause, listed.
	var next, folded []diagnose.Finding
	for _, f := range r.Findings {
		if f.Severity != diagnose.SeverityError || role(f) != "fails-next" {
			continue
		}
		if rc := r.RootCause; rc != nil && rc.Collapses && f.Step == rc.Step {
			folded = append(folded, f)
		} else {
			next = append(next, f)
		}
	}
	if len(next)+len(folded) > 0 {
		p.printf("\n  %sFails next, once this is fixed%s %s(no browser prints these yet)%s\n", c.bold, c.reset, c.dim, c.reset)
	}
	if len(folded) > 0 {
		p.printf("    %sAll follow from the root cause above (Fix this first):%s\n", c.dim, c.reset)
		for _, f := range folded {
			p.printf("    - %s %s[%s, %s]%s\n", f.Title, c.dim, f.Reason, f.Step.String(), c.reset)
		}
	}
	for _, f := range next {
		writeFinding(p, c, f, false)
	}
	for _, f := range r.Findings {
		if f.Severity != diagnose.SeverityError {
			writeFinding(p, c, f, true)
		}
	}

	p.printf("\n%sWhat JavaScript sees%s\n", c.bold, c.reset)
	for _, b := range diagnose.Browsers {
		js := r.JS.Firefox
		name := "Firefox "
		if b == diagnose.Chromium {
			js, name = r.JS.Chromium, "Chromium"
		}
		if js.Outcome == "rejected" {
			p.printf("  %s fetch() rejects: %s\n", name, js.Error)
			continue
		}
		p.printf("  %s response.status %d (type %s)", name, js.Status, js.Type)
		if len(js.Readable) > 0 {
			var names []string
			for _, h := range js.Readable {
				names = append(names, h.Name)
			}
			p.printf("; readable: %s", strings.Join(names, ", "))
		}
		if len(js.Hidden) > 0 {
			p.printf("; hidden: %s", strings.Join(js.Hidden, ", "))
		}
		p.printf("\n")
	}
}

// role is a finding's role, also for reports stored before roles existed.
func role(f diagnose.Finding) string {
	if f.Role != "" || f.Severity != diagnose.SeverityError {
		return f.Role
	}
	if len(f.ReportedBy) > 0 {
		return "printed"
	}
	return "fails-next"
}

// writeFinding prints one finding; console is false for the checks no
// browser prints yet.
func writeFinding(p printer, c palette, f diagnose.Finding, console bool) {
	col, label := c.dim, "info"
	switch f.Severity {
	case diagnose.SeverityError:
		col, label = c.red, "ERROR"
	case diagnose.SeverityWarning:
		col, label = c.yellow, "warning"
	}
	p.printf("\n  %s%s%s %s %s[%s, %s]%s\n", col, label, c.reset, f.Title, c.dim, f.Reason, f.Step.String(), c.reset)
	if len(f.Browsers) > 0 && f.Severity == diagnose.SeverityError {
		p.printf("    Fails in: %s", joinBrowsers(f.Browsers))
		if len(f.ReportedBy) > 0 {
			verb := "reports"
			if len(f.ReportedBy) > 1 {
				verb = "report"
			}
			p.printf("; the first error %s %s", joinBrowsers(f.ReportedBy), verb)
		}
		p.printf("\n")
	}
	if console {
		if f.Console.Firefox != "" {
			p.printf("    Firefox:  %s\n", f.Console.Firefox)
		}
		if f.Console.Chromium != "" {
			p.printf("    Chromium: %s\n", f.Console.Chromium)
		}
	}
	if f.Detail != "" {
		p.printf("    Why: %s\n", f.Detail)
	}
	if f.Fix != "" {
		p.printf("    Fix: %s\n", f.Fix)
	}
	if f.Doc != "" {
		p.printf("    %sMore: %s%s\n", c.dim, f.Doc, c.reset)
	}
}

// writeRootCause prints the "Fix this first" block: the root cause and
// the layer that refused, the stack and why corsdoctor thinks so, the
// evidence, and the change to make with its snippet. Every value came
// from the engine quoting the target or the user (evidence quotes header
// values, snippets carry origins), so all of it goes through printf.
func writeRootCause(p printer, c palette, rc *diagnose.RootCause) {
	p.printf("%sFix this first%s\n", c.bold, c.reset)
	p.printf("  %s\n", rc.Summary)
	if l := layerName(rc.Layer); l != "" {
		p.printf("  Layer:    %s\n", l)
	}
	if rc.Fix.Where == "server" && rc.Layer != diagnose.LayerNetwork {
		writeStack(p, rc.Stack)
	}
	if len(rc.Evidence) > 0 {
		p.printf("  Evidence:\n")
		for _, e := range rc.Evidence {
			p.printf("    - %s\n", e)
		}
	}
	where := "on the server"
	if rc.Fix.Where == "client" {
		where = "in the page's fetch()"
	}
	p.printf("  The change to make, %s:\n", where)
	for i, s := range rc.Fix.Steps {
		p.printf("    %d. %s\n", i+1, s)
	}
	if code := strings.TrimRight(rc.Fix.Snippet.Code, "\n"); code != "" {
		lang := rc.Fix.Snippet.Language
		if lang == "" {
			lang = "text"
		}
		p.printf("  Snippet (%s):\n", lang)
		for _, line := range strings.Split(code, "\n") {
			if line == "" {
				p.printf("\n")
				continue
			}
			p.printf("      %s\n", strings.TrimSuffix(line, "\r"))
		}
	}
	if len(rc.Fix.Notes) > 0 {
		p.printf("  Notes:\n")
		for _, n := range rc.Fix.Notes {
			p.printf("    - %s\n", n)
		}
	}
	if rc.Fix.Where == "server" && rc.Fix.Snippet.Code != "" {
		p.printf("  %sAnother stack? Re-run with --stack ID (see corsdoctor check -h for the IDs).%s\n", c.dim, c.reset)
	}
	p.printf("\n")
}

// writeStack names the stack the fix is written for, how sure detection
// is, and what it rests on.
func writeStack(p printer, st diagnose.StackGuess) {
	name := st.Name
	if s, ok := remedy.LookupStack(st.ID); ok {
		name = s.Name
	}
	var about []string
	if st.Chosen {
		about = append(about, "chosen with --stack")
	}
	switch st.Confidence {
	case "", "chosen":
	case "none":
		about = append(about, "nothing recognisable detected")
	default:
		about = append(about, st.Confidence+" confidence")
	}
	if st.Chosen && st.Detected != "" && st.Detected != remedy.Unknown {
		about = append(about, "detected: "+string(st.Detected))
	}
	if !st.Verified {
		about = append(about, "unverified")
	}
	p.printf("  Stack:    %s", name)
	if name != string(st.ID) {
		p.printf(" [%s]", st.ID)
	}
	if len(about) > 0 {
		p.printf(" (%s)", strings.Join(about, "; "))
	}
	p.printf("\n")
	for _, e := range st.Evidence {
		p.printf("            - %s\n", e)
	}
}

// layerName names a root cause's layer for people; "" when nothing
// refused.
func layerName(layer string) string {
	switch layer {
	case diagnose.LayerCORS:
		return "CORS middleware"
	case diagnose.LayerProxy:
		return "reverse proxy"
	case diagnose.LayerAuth:
		return "authentication layer"
	case diagnose.LayerRouter:
		return "router"
	case diagnose.LayerCDN:
		return "CDN or storage service"
	case diagnose.LayerClient:
		return "the page's own request"
	case diagnose.LayerNetwork:
		return "network (no response)"
	case diagnose.LayerFramework:
		return "framework"
	case diagnose.LayerNone, "":
		return ""
	}
	return layer
}

func joinBrowsers(bs []diagnose.Browser) string {
	var names []string
	for _, b := range bs {
		if b == diagnose.Firefox {
			names = append(names, "Firefox")
		} else {
			names = append(names, "Chromium")
		}
	}
	return strings.Join(names, " and ")
}

func headerValue(hs []diagnose.Header, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}
