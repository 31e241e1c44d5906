package diagnose

import (
	"fmt"
	"slices"
	"strings"
)

// firefoxMaxHead is Firefox's network.http.max_response_header_size
// (384 KiB): interim responses count towards it with the final head
// (observed in Firefox 153: 15,000 "100 Continue" heads pass, 16,000
// fail the fetch). Chromium counts each head on its own.
const firefoxMaxHead = 393216

// interimFraming records a flood of interim responses that Firefox
// refuses.
func interimFraming(resp *Response, n, bytes int) {
	if n == 0 || bytes+resp.HeaderBytes <= firefoxMaxHead {
		return
	}
	fr := resp.Framing
	if fr == nil {
		fr = &Framing{}
	}
	fr.Issues = append(fr.Issues, FramingIssue{Reason: "interim-flood",
		Line:     fmt.Sprintf("%d interim (1xx) responses, %d bytes of heads, before the final one", n, bytes),
		Firefox:  "fails the fetch: interim heads count towards its 384 KiB limit on a response head",
		Chromium: "skips them and reads the final response",
		Fails:    []Browser{Firefox}})
	fr.Firefox = &BrowserRead{Error: &NetError{Kind: "too-large", Message: fmt.Sprintf("Firefox fails the response: %d interim (1xx) responses add up to more than its 384 KiB limit on a response head", n)}}
	resp.Framing = fr
}

// browserView is ex as browser b reads it: the status and headers b
// parses, or b's network error, when the response's framing makes b read
// it differently from the report's lenient reading.
func browserView(ex Exchange, b Browser) Exchange {
	if ex.Response == nil {
		return ex
	}
	rd := ex.Response.Framing.For(b)
	if rd == nil {
		return ex
	}
	if rd.Error != nil {
		ex.Error, ex.Response = rd.Error, nil
		return ex
	}
	resp := *ex.Response
	resp.Status, resp.StatusText, resp.Headers = rd.Status, rd.StatusText, rd.Headers
	ex.Response = &resp
	return ex
}

// applyFraming names every framing problem of the exchanges in the
// report: an error finding it caused is retitled after it, the others
// become findings of their own, and what JavaScript sees is corrected
// for what the browsers hide or cannot read.
func applyFraming(r *Report, ws map[Browser]*walker) {
	for i := range r.Exchanges {
		ex := &r.Exchanges[i]
		if ex.Response == nil || ex.Response.Framing == nil {
			continue
		}
		for _, is := range ex.Response.Framing.Issues {
			framingFinding(r, ex, is)
		}
	}
	for _, b := range Browsers {
		js := &r.JS.Firefox
		if b == Chromium {
			js = &r.JS.Chromium
		}
		w := ws[b]
		if js.Outcome != "resolved" || w.final == nil || w.final.Response == nil {
			continue
		}
		// The walker judged the browser's own reading; only the body
		// error and JavaScript's Headers filter remain.
		for _, ex := range r.Exchanges {
			if ex.Step == w.final.Step && ex.Response != nil {
				if rd := ex.Response.Framing.For(b); rd != nil {
					js.BodyError = rd.BodyError
				}
			}
		}
		if b == Firefox {
			// Gecko's Headers object skips values it could not set
			// (a CR, LF or NUL inside), though its CORS checks saw them.
			js.Readable = slices.DeleteFunc(js.Readable, func(h HeaderView) bool { return strings.ContainsAny(h.Value, "\r\n\x00") })
		}
		js.Readable = slices.DeleteFunc(js.Readable, func(h HeaderView) bool { return !isToken(h.Name) })
	}
}

// framingFinding reports one issue: it retitles the error finding of the
// same exchange that it explains, or adds a finding of its own.
func framingFinding(r *Report, ex *Exchange, is FramingIssue) {
	info, _ := LookupReason(is.Reason)
	title := info.Title
	sent := is.Line
	if sent != "" {
		sent = "The server sent " + quoteSent(is) + ". "
	}
	detail := fmt.Sprintf("%sFirefox %s. Chromium %s.", sent, is.Firefox, is.Chromium)
	if info.Summary != "" {
		detail += " " + info.Summary
	}
	// Which browsers this issue blocks (the walker's error finding at this
	// step that lists them), if any.
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Severity != SeverityError || f.Step != ex.Step || !explains(is, f) {
			continue
		}
		f.Title, f.Detail, f.Fix = title, detail, info.Fix
		if !slices.Contains(f.Browsers, Firefox) {
			// Firefox has no reason of its own for what only Chromium fails.
			f.Reason = is.Reason
		}
		if f.Value == "" {
			f.Value = is.Line
		}
		for _, b := range f.ReportedBy {
			s := &r.Summary.Firefox
			if b == Chromium {
				s = &r.Summary.Chromium
			}
			if k := strings.Index(*s, ": "); k >= 0 {
				*s = (*s)[:k+2] + lowerFirst(strings.TrimSuffix(title, ".")) + "."
			}
		}
		return
	}
	sev := SeverityWarning
	if len(is.Fails) > 0 {
		sev = SeverityError
	}
	f := Finding{Reason: is.Reason, Severity: sev, Step: ex.Step, Header: is.Header, Value: is.Line,
		Browsers: append(slices.Clone(is.Fails), is.BodyFails...), Title: title, Detail: detail, Fix: info.Fix, Doc: info.Doc, Spec: info.Spec}
	r.Findings = append(r.Findings, f)
}

// explains reports whether issue is what made the error finding f fail.
func explains(is FramingIssue, f *Finding) bool {
	if len(is.Fails) == 0 {
		switch is.Reason {
		case "header-space-before-colon", "header-bare-cr":
			return f.Header == is.Header
		case "allow-origin-lines-case":
			return f.Header == "Access-Control-Allow-Origin" && slices.Contains(f.Browsers, Firefox)
		}
		return false
	}
	for _, b := range is.Fails {
		if slices.Contains(f.Browsers, b) {
			return true
		}
	}
	return false
}

func quoteSent(is FramingIssue) string {
	if strings.HasPrefix(is.Line, "The ") || strings.Contains(is.Line, " responses, ") {
		return lowerFirst(is.Line)
	}
	return fmt.Sprintf("%q", is.Line)
}
