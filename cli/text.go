package cli

import (
	"fmt"
	"io"
	"strings"

	"corsdoctor/diagnose"
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

// WriteText prints a report for people: verdicts first, then the steps,
// then each finding with both browsers' console lines and the fix.
func WriteText(w io.Writer, r *diagnose.Report, color bool) {
	c := newPalette(color)
	p := printer{w: w}
	req := r.Request
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
			if !ch.Passed {
				mark = c.red + "FAIL" + c.reset
			}
			line := ch.Name
			if !ch.Passed && ch.Detail != "" {
				line += ": " + ch.Detail
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
	for _, f := range r.Findings {
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
				p.printf("; the first error %s reports", joinBrowsers(f.ReportedBy))
			}
			p.printf("\n")
		}
		if f.Console.Firefox != "" {
			p.printf("    Firefox:  %s\n", f.Console.Firefox)
		}
		if f.Console.Chromium != "" {
			p.printf("    Chromium: %s\n", f.Console.Chromium)
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
