package cli

import (
	"fmt"
	"io"
	"strings"

	"corsdoctor/diagnose"
)

// palette holds ANSI codes, empty when colour is off.
type palette struct{ red, green, yellow, dim, bold, reset string }

func newPalette(on bool) palette {
	if !on {
		return palette{}
	}
	return palette{red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m"}
}

// WriteText prints a report for people: verdicts first, then the steps,
// then each finding with both browsers' console lines and the fix.
func WriteText(w io.Writer, r *diagnose.Report, color bool) {
	c := newPalette(color)
	req := r.Request
	fmt.Fprintf(w, "%s%s %s%s from %s (credentials: %s, mode: %s)\n\n", c.bold, req.Method, req.URL, c.reset, req.Origin, req.Credentials, req.Mode)

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
		fmt.Fprintf(w, "  %s %s%-7s%s %s\n", name, col, strings.ToUpper(string(v)), c.reset, summary)
	}

	fmt.Fprintf(w, "\n%sPreflight%s: ", c.bold, c.reset)
	switch {
	case r.Preflight.Required:
		fmt.Fprintln(w, "required")
	default:
		fmt.Fprintln(w, "not required")
	}
	for _, pr := range r.Preflight.Reasons {
		fmt.Fprintf(w, "  - %s\n", pr.Detail)
	}

	if len(r.Exchanges) > 0 {
		fmt.Fprintf(w, "\n%sSteps%s\n", c.bold, c.reset)
	}
	for i, ex := range r.Exchanges {
		result := ""
		switch {
		case ex.Error != nil:
			result = c.red + "failed: " + ex.Error.Message + c.reset
		case ex.Response != nil:
			result = fmt.Sprintf("%d %s", ex.Response.Status, ex.Response.StatusText)
		}
		step := ex.Step.String()
		if len(ex.Browsers) == 1 {
			// The browsers' paths parted: only one of them sends this.
			step += " (" + joinBrowsers(ex.Browsers) + " only)"
		}
		fmt.Fprintf(w, "  %d. %-28s %s %s -> %s %s(%.0f ms)%s\n", i+1, step, ex.Request.Method, ex.Request.URL, result, c.dim, ex.DurationMS, c.reset)
		for _, ch := range ex.Checks {
			mark := c.green + "ok  " + c.reset
			if !ch.Passed {
				mark = c.red + "FAIL" + c.reset
			}
			line := ch.Name
			if !ch.Passed && ch.Detail != "" {
				line += ": " + ch.Detail
			}
			fmt.Fprintf(w, "       %s %s\n", mark, line)
		}
	}
	if len(r.Followups) > 0 {
		fmt.Fprintf(w, "\n%sFollow-up preflights%s %s(sent by corsdoctor only, to see what the server refuses)%s\n", c.bold, c.reset, c.dim, c.reset)
		for _, ex := range r.Followups {
			res := "no response"
			if ex.Response != nil {
				_, ok := headerValue(ex.Response.Headers, "Access-Control-Allow-Origin")
				res = fmt.Sprintf("%d, Access-Control-Allow-Origin %s", ex.Response.Status, map[bool]string{true: "present", false: "absent"}[ok])
			}
			fmt.Fprintf(w, "  - %s: %s\n", strings.TrimPrefix(string(ex.Step.Kind), "followup: "), res)
		}
	}

	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "\n%sFindings%s\n", c.bold, c.reset)
	}
	for _, f := range r.Findings {
		col, label := c.dim, "info"
		switch f.Severity {
		case diagnose.SeverityError:
			col, label = c.red, "ERROR"
		case diagnose.SeverityWarning:
			col, label = c.yellow, "warning"
		}
		fmt.Fprintf(w, "\n  %s%s%s %s %s[%s, %s]%s\n", col, label, c.reset, f.Title, c.dim, f.Reason, f.Step.String(), c.reset)
		if len(f.Browsers) > 0 && f.Severity == diagnose.SeverityError {
			fmt.Fprintf(w, "    Fails in: %s", joinBrowsers(f.Browsers))
			if len(f.ReportedBy) > 0 {
				fmt.Fprintf(w, "; the first error %s reports", joinBrowsers(f.ReportedBy))
			}
			fmt.Fprintln(w)
		}
		if f.Console.Firefox != "" {
			fmt.Fprintf(w, "    Firefox:  %s\n", f.Console.Firefox)
		}
		if f.Console.Chromium != "" {
			fmt.Fprintf(w, "    Chromium: %s\n", f.Console.Chromium)
		}
		if f.Detail != "" {
			fmt.Fprintf(w, "    Why: %s\n", f.Detail)
		}
		if f.Fix != "" {
			fmt.Fprintf(w, "    Fix: %s\n", f.Fix)
		}
		if f.Doc != "" {
			fmt.Fprintf(w, "    %sMore: %s%s\n", c.dim, f.Doc, c.reset)
		}
	}

	fmt.Fprintf(w, "\n%sWhat JavaScript sees%s\n", c.bold, c.reset)
	for _, b := range diagnose.Browsers {
		js := r.JS.Firefox
		name := "Firefox "
		if b == diagnose.Chromium {
			js, name = r.JS.Chromium, "Chromium"
		}
		if js.Outcome == "rejected" {
			fmt.Fprintf(w, "  %s fetch() rejects: %s\n", name, js.Error)
			continue
		}
		fmt.Fprintf(w, "  %s response.status %d (type %s)", name, js.Status, js.Type)
		if len(js.Readable) > 0 {
			var names []string
			for _, h := range js.Readable {
				names = append(names, h.Name)
			}
			fmt.Fprintf(w, "; readable: %s", strings.Join(names, ", "))
		}
		if len(js.Hidden) > 0 {
			fmt.Fprintf(w, "; hidden: %s", strings.Join(js.Hidden, ", "))
		}
		fmt.Fprintln(w)
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
