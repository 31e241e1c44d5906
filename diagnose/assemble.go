package diagnose

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// checkNames labels the timeline rows of a judged exchange, by failure key.
var checkNames = map[string]string{
	"preflight-redirect":   "The preflight is not redirected",
	"allow-origin":         "Access-Control-Allow-Origin allows the origin",
	"allow-credentials":    "Access-Control-Allow-Credentials is true",
	"preflight-status":     "The preflight status is 2xx",
	"allow-methods-syntax": "Access-Control-Allow-Methods parses",
	"allow-methods":        "The method is allowed",
	"allow-headers-syntax": "Access-Control-Allow-Headers parses",
	"allow-headers":        "Every request header is allowed",
	"network":              "A response arrived",
}

func checksFor(keys []string, results map[Browser][]failure) []Check {
	var out []Check
	// A browser that stopped at a redirect or a network failure performed
	// none of the other checks: they are "not checked", never passed.
	stopped := map[Browser]bool{}
	for b, fs := range results {
		for _, f := range fs {
			if f.key == "preflight-redirect" || f.key == "network" {
				stopped[b] = true
			}
		}
	}
	for _, k := range keys {
		c := Check{Name: checkNames[k], Passed: true}
		if k != "preflight-redirect" && k != "network" && len(stopped) > 0 && len(stopped) == len(results) {
			failed := false
			for _, b := range Browsers {
				for _, f := range results[b] {
					failed = failed || f.key == k
				}
			}
			if !failed {
				c.Passed, c.NotChecked = false, true
				out = append(out, c)
				continue
			}
		}
		for _, b := range Browsers {
			for _, f := range results[b] {
				if f.key == k {
					c.Passed = false
					c.FailsIn = append(c.FailsIn, b)
					if c.value == "" {
						c.value = f.value
					}
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// mergeChecks joins each browser's checks of one shared exchange: a check
// passes only if it passes in every browser that made the request.
func mergeChecks(perBrowser map[Browser][]Check) []Check {
	var out []Check
	index := map[string]int{}
	for _, b := range Browsers {
		for _, c := range perBrowser[b] {
			if !c.Passed && !c.NotChecked && len(c.FailsIn) == 0 {
				c.FailsIn = []Browser{b}
			}
			i, ok := index[c.Name]
			if !ok {
				index[c.Name] = len(out)
				c.FailsIn = append([]Browser(nil), c.FailsIn...)
				out = append(out, c)
				continue
			}
			m := &out[i]
			if m.NotChecked && !c.NotChecked {
				m.NotChecked, m.Passed = false, c.Passed
			} else if !c.NotChecked {
				m.Passed = m.Passed && c.Passed
			}
			for _, fb := range c.FailsIn {
				if !slices.Contains(m.FailsIn, fb) {
					m.FailsIn = append(m.FailsIn, fb)
				}
			}
			if m.value == "" {
				m.value = c.value
			}
			if m.Detail == "" {
				m.Detail = c.Detail
			}
		}
	}
	for i := range out {
		c := &out[i]
		if c.Passed || c.NotChecked {
			continue
		}
		var names []string
		for _, b := range c.FailsIn {
			names = append(names, browserName(b))
		}
		d := "fails in " + strings.Join(names, " and ")
		switch {
		case c.value != "":
			d += fmt.Sprintf(" (value %q)", c.value)
		case c.Detail != "":
			d += ": " + c.Detail
		}
		c.Detail = d
	}
	return out
}

func preflightChecks(w *walker, ex *Exchange, results map[Browser][]failure) []Check {
	if ex.Error != nil {
		return []Check{{Name: "A response arrived", Passed: false, Detail: ex.Error.Message}}
	}
	keys := []string{"preflight-redirect", "allow-origin"}
	if w.withCredentials() {
		keys = append(keys, "allow-credentials")
	}
	keys = append(keys, "preflight-status", "allow-methods-syntax", "allow-methods", "allow-headers-syntax", "allow-headers")
	return checksFor(keys, results)
}

func accessChecks(w *walker, ex *Exchange, results map[Browser][]failure) []Check {
	keys := []string{"allow-origin"}
	if w.withCredentials() {
		keys = append(keys, "allow-credentials")
	}
	return checksFor(keys, results)
}

func browserName(b Browser) string {
	if b == Firefox {
		return "Firefox"
	}
	return "Chromium"
}

// buildReport turns the browsers' walks into one Report. Findings, notes
// and warnings are judged over every exchange either browser made, through
// a view that holds each browser's own progress.
func buildReport(ws map[Browser]*walker, union []Exchange) *Report {
	cw := ws[Chromium]
	v := *cw
	v.exchanges = union
	v.runs = map[Browser]*browserRun{Firefox: ws[Firefox].run(), Chromium: cw.run()}
	v.notes = mergeNotes(ws[Firefox].notes, cw.notes)
	r := v.report(ws)
	if fd := ws[Firefox].decision; fd.Required != cw.decision.Required && ws[Firefox].corsTaint {
		f := Finding{Reason: "preflight-differs", Severity: SeverityInfo, Step: Step{Kind: StepPreflight, URL: cw.p.target.String()},
			Title:  "Firefox and Chromium disagree on the need for a preflight",
			Detail: "Chromium combines repeated request headers and applies the 1024-byte limit to the safelisted values together; Firefox judges each header the page set on its own. Here Chromium " + map[bool]string{true: "sends", false: "skips"}[cw.decision.Required] + " the preflight and Firefox " + map[bool]string{true: "sends", false: "skips"}[fd.Required] + " it.",
			Fix:    "Set each header once, with a short value."}
		if slices.Contains(fd.UnsafeHeaders, "user-agent") && !slices.Contains(cw.decision.UnsafeHeaders, "user-agent") {
			f.Detail = "The page sets User-Agent. Chromium drops it (it neither sends nor preflights it); Firefox sends it, and as it is not a CORS-safelisted header, preflights the request for it. Here Chromium " + map[bool]string{true: "sends", false: "skips"}[cw.decision.Required] + " the preflight and Firefox " + map[bool]string{true: "sends", false: "skips"}[fd.Required] + " it."
			f.Fix = "Do not set User-Agent from the page, or list user-agent in Access-Control-Allow-Headers for Firefox."
		}
		r.Findings = append(r.Findings, f)
	}
	applyFraming(r, ws)
	return r
}

// mergeNotes keeps one copy of each note.
func mergeNotes(lists ...[]Finding) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, l := range lists {
		for _, n := range l {
			k := n.Reason + "|" + n.Step.String() + "|" + n.Step.URL
			if !seen[k] {
				seen[k] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// report assembles the Report from the view walker v; ws gives each
// browser's own walk for what JavaScript sees.
func (w *walker) report(ws map[Browser]*walker) *Report {
	r := &Report{
		Engine:    "corsdoctor/" + Version,
		Request:   w.p.Request,
		Dropped:   w.p.dropped,
		Exchanges: w.exchanges,
		Preflight: Preflight{PreflightDecision: w.decision, Sent: ws[Firefox].preflightSent || ws[Chromium].preflightSent},
	}
	if r.Exchanges == nil {
		r.Exchanges = []Exchange{}
	}
	if !w.corsTaint || w.opaque {
		r.Preflight.Required = false
		// Preflights are sent only under "cors" tainting, so none was.
		if w.opaque {
			r.Preflight.Reasons = []PreflightReason{{Kind: "none", Detail: "no-cors requests are never preflighted"}}
		} else if originOf(w.p.target) == w.p.origin && w.p.origin != "null" {
			r.Preflight.Reasons = []PreflightReason{{Kind: "none", Detail: "same-origin requests are never preflighted"}}
		}
	}
	r.Findings = w.findings()
	for _, b := range Browsers {
		run := w.runs[b]
		outcome := Allowed
		if run.blocked {
			outcome = Blocked
		}
		js := ws[b].jsView(b)
		summary := ws[b].summary(b, js)
		console := run.console
		if console == nil {
			console = []string{}
		}
		if b == Firefox {
			r.Verdict.Firefox, r.JS.Firefox, r.Summary.Firefox, r.Console.Firefox = outcome, js, summary, console
		} else {
			r.Verdict.Chromium, r.JS.Chromium, r.Summary.Chromium, r.Console.Chromium = outcome, js, summary, console
		}
	}
	return r
}

// findings merges each browser's failures into one finding per problem,
// then adds warnings and notes.
func (w *walker) findings() []Finding {
	type key struct {
		step Step
		key  string
	}
	var order []key
	byKey := map[key]*Finding{}
	for _, b := range Browsers {
		run := w.runs[b]
		if !run.blocked {
			continue
		}
		for i, f := range run.failures {
			k := key{run.step, f.key}
			fd, ok := byKey[k]
			if !ok {
				fd = &Finding{Severity: SeverityError, Step: run.step, Reason: f.reason, Header: f.header, Value: f.value}
				byKey[k] = fd
				order = append(order, k)
			}
			if b == Firefox {
				fd.Reason, fd.Header, fd.Value = f.reason, f.header, f.value
			}
			fd.Browsers = append(fd.Browsers, b)
			if i == 0 {
				fd.ReportedBy = append(fd.ReportedBy, b)
			}
			if b == Firefox {
				fd.Console.Firefox = f.console
			} else {
				fd.Console.Chromium = f.console
			}
		}
	}
	var out []Finding
	for _, k := range order {
		f := byKey[k]
		if f.Severity == SeverityError {
			header := f.Value
			if f.Reason == "CORSMissingAllowHeaderFromPreflight" {
				header = canonicalRequestName(w.headers, f.Value)
			}
			f.Console.Safari = safariLine(f.Reason, w.originSentAt(f.Step), w.headerAt(f.Step, f.Header), w.method, header, w.statusAt(f.Step))
		}
		w.explain(f)
		f.Role = "fails-next"
		if len(f.ReportedBy) > 0 {
			f.Role = "printed"
		}
		out = append(out, *f)
	}
	// Errors in the order the fetch met them.
	sort.SliceStable(out, func(i, j int) bool { return stepOrder(out[i].Step) < stepOrder(out[j].Step) })
	warnings := w.warnings()
	for i := range warnings {
		w.explain(&warnings[i])
	}
	out = append(out, warnings...)
	for _, n := range w.notes {
		w.explain(&n)
		out = append(out, n)
	}
	for _, d := range w.p.dropped {
		f := Finding{Reason: "header-dropped", Severity: SeverityInfo, Step: Step{Kind: StepActual, URL: w.p.target.String()}, Header: d.Name, Value: d.Value,
			Title: "The browser will not send " + d.Name, Detail: d.Why + "."}
		w.explain(&f)
		out = append(out, f)
	}
	if out == nil {
		out = []Finding{}
	}
	return out
}

// canonicalRequestName finds how the page spelled a lower-cased request
// header name, as WebKit prints it.
func canonicalRequestName(headers []Header, lower string) string {
	for _, h := range headers {
		if strings.EqualFold(h.Name, lower) {
			return h.Name
		}
	}
	return lower
}

func stepOrder(s Step) int {
	n := s.Hop * 2
	if s.Kind == StepActual {
		n++
	}
	return n
}

// jsView is what fetch() gives page JavaScript in browser b.
func (w *walker) jsView(b Browser) JSView {
	run := w.runs[b]
	if run.blocked || w.final == nil || w.final.Response == nil {
		js := JSView{Outcome: "rejected", Error: chromiumFetchError}
		if b == Firefox {
			js.Error = firefoxFetchError
		}
		if len(run.failures) > 0 && run.failures[0].jsError != "" {
			js.Error = run.failures[0].jsError
		}
		return js
	}
	resp := w.final.Response
	if w.opaque {
		return JSView{Outcome: "resolved", Type: "opaque", Status: 0, Hidden: uniqueNames(resp.Headers)}
	}
	js := JSView{Outcome: "resolved", Type: "basic", Status: resp.Status, StatusText: resp.StatusText, URL: w.final.Step.URL, Redirected: w.hop > 0}
	exposed := func(string) bool { return true }
	if w.corsTaint {
		js.Type = "cors"
		exposed = w.exposedNames(resp)
	}
	// Headers iterate sorted by lower-cased name with repeated values
	// combined; Set-Cookie is never exposed to a page.
	combined := map[string][]string{}
	var names []string
	for _, h := range resp.Headers {
		n := strings.ToLower(h.Name)
		if _, ok := combined[n]; !ok {
			names = append(names, n)
		}
		combined[n] = append(combined[n], h.Value)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "set-cookie" || n == "set-cookie2" || !exposed(n) {
			js.Hidden = append(js.Hidden, n)
			continue
		}
		js.Readable = append(js.Readable, HeaderView{Name: n, Value: strings.Join(combined[n], ", ")})
	}
	return js
}

// corsSafelistedResponseHeaders are readable on every CORS response.
var corsSafelistedResponseHeaders = map[string]bool{
	"cache-control": true, "content-language": true, "content-length": true, "content-type": true,
	"expires": true, "last-modified": true, "pragma": true,
}

// exposedNames implements main fetch's CORS-exposed header-name list: the
// safelisted names plus Access-Control-Expose-Headers, where "*" means all
// only when credentials are not included.
func (w *walker) exposedNames(resp *Response) func(string) bool {
	raw, _ := resp.get("Access-Control-Expose-Headers")
	list, invalid := parseTokenList(raw)
	all := false
	set := map[string]bool{}
	if invalid == "" {
		for _, n := range list {
			if n == "*" && !w.withCredentials() {
				all = true
			}
			set[strings.ToLower(n)] = true
		}
	}
	return func(n string) bool { return all || corsSafelistedResponseHeaders[n] || set[n] }
}

func uniqueNames(hs []Header) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range hs {
		n := strings.ToLower(h.Name)
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// summary is the one sentence that leads the report for browser b.
func (w *walker) summary(b Browser, js JSView) string {
	name := browserName(b)
	run := w.runs[b]
	if run.blocked {
		where := "at the " + run.step.String()
		if run.step.Kind == StepActual && run.step.Hop == 0 {
			where = "on the response"
		}
		title := ""
		if len(run.failures) > 0 {
			f := Finding{Reason: run.failures[0].reason, Header: run.failures[0].header, Value: run.failures[0].value, Step: run.step}
			w.explain(&f)
			title = f.Title
		}
		s := fmt.Sprintf("%s blocks this request %s: %s.", name, where, lowerFirst(strings.TrimSuffix(title, ".")))
		if run.step.Kind == StepPreflight {
			s += " The " + w.p.Method + " request itself is never sent."
		}
		return s
	}
	switch js.Type {
	case "opaque":
		return name + " sends the request, but JavaScript gets an opaque response: status 0, no headers, no body."
	case "basic":
		return fmt.Sprintf("%s allows it: the request is same-origin, so JavaScript reads the %d response and all its headers.", name, js.Status)
	}
	return fmt.Sprintf("%s allows it: JavaScript can read the %d response and %d of its %d headers.", name, js.Status, len(js.Readable), len(js.Readable)+len(js.Hidden))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// Keep header names and acronyms as they are.
	if len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' {
		return s
	}
	if strings.HasPrefix(s, "Access-") || strings.HasPrefix(s, "Authorization") {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// warnings are the problems that do not block today but bite later.
func (w *walker) warnings() []Finding {
	var out []Finding
	var preflight *Exchange
	for i := range w.exchanges {
		ex := &w.exchanges[i]
		if ex.Response == nil {
			continue
		}
		resp := ex.Response
		acao, hasACAO := resp.get("Access-Control-Allow-Origin")
		if ex.Step.Kind == StepPreflight {
			preflight = ex
		}
		if resp.IncompleteHead {
			out = append(out, Finding{Reason: "incomplete-head", Severity: SeverityWarning, Step: ex.Step})
		}
		if hasACAO && acao == "null" {
			out = append(out, Finding{Reason: "allow-origin-null", Severity: SeverityWarning, Step: ex.Step, Header: "Access-Control-Allow-Origin", Value: acao})
		}
		if ex.Step.Kind == StepActual && hasACAO && acao != "*" && acao != "null" && acao == w.requestOriginAt(ex) && !varyHasOrigin(resp) {
			out = append(out, Finding{Reason: "vary-origin-missing", Severity: SeverityWarning, Step: ex.Step, Header: "Vary", Value: strings.Join(resp.values("Vary"), ", ")})
		}
	}
	if f, ok := w.localNetworkAccess(); ok {
		out = append(out, f)
	}
	if preflight != nil && preflight.Response != nil {
		pr := preflight.Response
		if _, ok := pr.get("Access-Control-Expose-Headers"); ok && w.final != nil && w.final.Response != nil {
			if _, ok := w.final.Response.get("Access-Control-Expose-Headers"); !ok {
				v, _ := pr.get("Access-Control-Expose-Headers")
				out = append(out, Finding{Reason: "expose-headers-on-preflight", Severity: SeverityWarning, Step: preflight.Step, Header: "Access-Control-Expose-Headers", Value: v})
			}
		}
		if v, ok := pr.get("Access-Control-Max-Age"); ok && !w.runs[Chromium].blocked {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil || n > 7200 {
				out = append(out, Finding{Reason: "max-age-capped", Severity: SeverityWarning, Step: preflight.Step, Header: "Access-Control-Max-Age", Value: v})
			}
		}
		acah, _ := pr.get("Access-Control-Allow-Headers")
		list, bad := parseTokenList(acah)
		if bad == "" && authorizationUnderWildcard(w.decision.UnsafeHeaders, list, w.withCredentials()) {
			f := Finding{Reason: "authorization-wildcard", Severity: SeverityWarning, Step: preflight.Step, Header: "Access-Control-Allow-Headers", Value: acah}
			for _, wf := range w.runs[Firefox].warnings {
				if wf.reason == "authorization-wildcard" {
					f.Console.Firefox = wf.console
				}
			}
			out = append(out, f)
		}
		if pr.Status >= 200 && pr.Status <= 299 && !hasAnyCORSHeader(pr) {
			out = append(out, Finding{Reason: "silent-preflight-refusal", Severity: SeverityWarning, Step: preflight.Step})
		}
		if _, ok := pr.get("Access-Control-Allow-Origin"); ok && w.final != nil && w.final.Response != nil && w.final.Response.Status >= 400 {
			if _, ok := w.final.Response.get("Access-Control-Allow-Origin"); !ok {
				out = append(out, Finding{Reason: "cors-missing-on-error", Severity: SeverityWarning, Step: w.final.Step, Header: "Access-Control-Allow-Origin", Value: strconv.Itoa(w.final.Response.Status)})
			}
		}
	}
	return out
}

// requestOriginAt is the Origin header the browser sent for ex.
func (w *walker) requestOriginAt(ex *Exchange) string {
	for _, h := range ex.Request.Headers {
		if strings.EqualFold(h.Name, "Origin") {
			return h.Value
		}
	}
	return ""
}

func varyHasOrigin(resp *Response) bool {
	for _, v := range resp.values("Vary") {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if strings.EqualFold(item, "origin") || item == "*" {
				return true
			}
		}
	}
	return false
}

func hasAnyCORSHeader(resp *Response) bool {
	for _, h := range resp.Headers {
		if strings.HasPrefix(strings.ToLower(h.Name), "access-control-") {
			return true
		}
	}
	return false
}
