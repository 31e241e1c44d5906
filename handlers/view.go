package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"corsdoctor/diagnose"
	"corsdoctor/export"
	"corsdoctor/remedy"
	"corsdoctor/store"
	"corsdoctor/templates"
)

// maxShownValue bounds how much of one header value the page shows; a
// hostile target may send a quarter megabyte in one line. The raw JSON and
// the HAR keep it whole.
const maxShownValue = 1024

// printable makes a received string safe to show as text: invalid UTF-8
// becomes U+FFFD, control bytes other than tab become visible escapes
// (\x1b, \x00), and anything past max bytes is cut with a note saying how
// much was left out. HTML escaping is templ's job; this is about text that
// would otherwise be invisible or misleading.
func printable(s string, max int) (string, string) {
	note := ""
	if max > 0 && len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		note = fmt.Sprintf("… %d more bytes not shown", len(s)-cut)
		s = s[:cut]
	}
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s, note
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == '\u2028' || r == '\u2029' || r == '\u202e' || r == '\u202d' || r == '\u2066' || r == '\u2067' || r == '\u2068' || r == '\u2069' || r == '\u200e' || r == '\u200f':
			// Line separators and bidirectional overrides could make a
			// value look like something it is not.
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String(), note
}

func show(s string) string {
	v, note := printable(s, maxShownValue)
	if note != "" {
		return v + " " + note
	}
	return v
}

// browserLabel names a browser for people.
func browserLabel(b diagnose.Browser) string {
	switch b {
	case diagnose.Firefox:
		return "Firefox"
	case diagnose.Chromium:
		return "Chromium"
	}
	return string(b)
}

func browserList(bs []diagnose.Browser) string {
	var names []string
	for _, b := range bs {
		names = append(names, browserLabel(b))
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func formatMS(ms float64) string {
	switch {
	case ms < 1:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.1f s", ms/1000)
}

func stepLabel(s diagnose.Step) string {
	var label string
	switch s.Kind {
	case diagnose.StepPreflight:
		label = "Preflight"
	case diagnose.StepActual:
		label = "Actual request"
	default:
		label = capitalize(string(s.Kind))
	}
	if s.Hop > 0 {
		label += " · redirect hop " + strconv.Itoa(s.Hop)
	}
	return label
}

func statusLine(resp *diagnose.Response) string {
	text := resp.StatusText
	if text == "" {
		text = http.StatusText(resp.Status)
	}
	proto := resp.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	return strings.TrimSpace(proto + " " + strconv.Itoa(resp.Status) + " " + show(text))
}

// absoluteURL makes path absolute with the configured base URL, or with
// the request's own scheme and Host.
func absoluteURL(r *http.Request, set Settings, path string) string {
	if set.BaseURL != "" {
		return strings.TrimSuffix(set.BaseURL, "/") + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: path}).String()
}

// headline is the verdict in one sentence.
func headline(v diagnose.Verdicts) string {
	ff, cr := v.Firefox == diagnose.Allowed, v.Chromium == diagnose.Allowed
	switch {
	case ff && cr:
		return "Firefox and Chromium allow this request"
	case !ff && !cr:
		return "Firefox and Chromium block this request"
	case ff:
		return "Chromium blocks this request; Firefox allows it"
	}
	return "Firefox blocks this request; Chromium allows it"
}

// severityRank orders findings: failures, then warnings, then notes.
func severityRank(s diagnose.Severity) int {
	switch s {
	case diagnose.SeverityError:
		return 0
	case diagnose.SeverityWarning:
		return 1
	}
	return 2
}

// exchangeMarks collects the header lines findings point at, so the raw
// exchange can highlight them and findings can link to them.
type exchangeMarks struct {
	// response and request map "exchange index/lower-case name" to true.
	response map[string]bool
	request  map[string]bool
	// missing lists, per exchange, names of absent response headers a
	// finding is about, in first-seen order.
	missing map[int][]string
}

func markKey(i int, name string) string { return strconv.Itoa(i) + "/" + strings.ToLower(name) }

func lineID(i int, part string, name string) string {
	var b strings.Builder
	b.WriteString("ex-")
	b.WriteString(strconv.Itoa(i + 1))
	b.WriteString("-")
	b.WriteString(part)
	b.WriteString("-")
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	return b.String()
}

// locate finds the exchange a finding is about and the line it points to,
// records the mark and returns the link ("" when there is none).
func (m *exchangeMarks) locate(exs []diagnose.Exchange, f diagnose.Finding) string {
	if f.Header == "" {
		return ""
	}
	idx := -1
	for i, ex := range exs {
		if ex.Step.Kind == f.Step.Kind && ex.Step.Hop == f.Step.Hop {
			idx = i
			break
		}
	}
	if idx < 0 {
		return ""
	}
	ex := exs[idx]
	if ex.Response != nil {
		for _, h := range ex.Response.Headers {
			if strings.EqualFold(h.Name, f.Header) {
				m.response[markKey(idx, f.Header)] = true
				return "#" + lineID(idx, "res", f.Header)
			}
		}
	}
	for _, h := range ex.Request.Headers {
		if strings.EqualFold(h.Name, f.Header) {
			m.request[markKey(idx, f.Header)] = true
			return "#" + lineID(idx, "req", f.Header)
		}
	}
	if ex.Response == nil {
		return ""
	}
	k := markKey(idx, f.Header)
	if !m.response[k] {
		m.response[k] = true
		m.missing[idx] = append(m.missing[idx], f.Header)
	}
	return "#" + lineID(idx, "res", f.Header)
}

// diagnosisView builds the results page's view model from a stored
// diagnosis, its fix written for stack ("" : the stack stored with it). It
// is pure: everything it needs is in d, r (for the absolute share link)
// and the settings.
func diagnosisView(r *http.Request, set Settings, d *store.Diagnosis, stack remedy.StackID) templates.DiagnosisView {
	rep := &d.Report
	sharePath := "/d/" + d.ID
	v := templates.DiagnosisView{
		ID:        d.ID,
		SharePath: withStack(sharePath, stack),
		ShareURL:  withStack(absoluteURL(r, set, sharePath), stack),
		RerunURL:  "/?from=" + url.QueryEscape(d.ID),
		Engine:    rep.Engine,
		RanAt:     rep.RanAt.UTC().Format("2 Jan 2006 15:04:05 UTC"),
		RanAtISO:  rep.RanAt.UTC().Format(time.RFC3339),
		Duration:  formatMS(rep.DurationMS),
		ExpiresOn: d.CreatedAt.Add(set.Retention).UTC().Format("2 Jan 2006"),
		Redacted:  d.Redacted,
		Blocked:   rep.Blocked(),
		Headline:  headline(rep.Verdict),
	}
	if v.Engine == "" {
		v.Engine = "corsdoctor"
	}
	if d.Source == store.SourceHAR {
		v.Recorded = true
		v.ExtraNotes = append(v.ExtraNotes, recordedNote)
	}
	if rep.RanAt.IsZero() {
		v.RanAt = d.CreatedAt.UTC().Format("2 Jan 2006 15:04:05 UTC")
		v.RanAtISO = d.CreatedAt.UTC().Format(time.RFC3339)
	}

	req := rep.Request
	v.Request = templates.RequestView{
		Method: show(req.Method), URL: show(req.URL), Origin: show(req.Origin),
		Credentials: string(req.Credentials), Mode: string(req.Mode),
		UseCORSPreflight: req.UseCORSPreflight, Body: show(req.Body),
	}
	if v.Request.Credentials == "" {
		v.Request.Credentials = string(diagnose.CredentialsSameOrigin)
	}
	if v.Request.Mode == "" {
		v.Request.Mode = string(diagnose.ModeCORS)
	}
	for _, h := range req.Headers {
		v.Request.Headers = append(v.Request.Headers, templates.HeaderLine{Name: show(h.Name), Value: show(h.Value), Redacted: h.Value == diagnose.Redacted})
	}
	for _, dh := range rep.Dropped {
		v.Dropped = append(v.Dropped, templates.DroppedView{Name: show(dh.Name), Value: show(dh.Value), Why: dh.Why})
	}

	v.Verdicts = []templates.VerdictView{
		{Browser: "Firefox", Key: "firefox", Allowed: rep.Verdict.Firefox == diagnose.Allowed, Summary: rep.Summary.Firefox},
		{Browser: "Chromium", Key: "chromium", Allowed: rep.Verdict.Chromium == diagnose.Allowed, Summary: rep.Summary.Chromium},
	}

	v.Preflight = templates.PreflightView{Required: rep.Preflight.Required, Sent: rep.Preflight.Sent, UnsafeHeaders: rep.Preflight.UnsafeHeaders}
	for _, pr := range rep.Preflight.Reasons {
		v.Preflight.Reasons = append(v.Preflight.Reasons, show(pr.Detail))
	}

	rc := rootCauseFor(rep, stack)
	if rc != nil {
		v.RootCause = rootCauseView(rep, rc, d.ID)
	}

	marks := &exchangeMarks{response: map[string]bool{}, request: map[string]bool{}, missing: map[int][]string{}}
	order := make([]int, 0, len(rep.Findings))
	for i := range rep.Findings {
		order = append(order, i)
	}
	// Stable by severity: the engine already orders each severity.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && severityRank(rep.Findings[order[j]].Severity) < severityRank(rep.Findings[order[j-1]].Severity); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for n, i := range order {
		f := rep.Findings[i]
		fv := templates.FindingView{
			Anchor:   "finding-" + strconv.Itoa(n+1),
			Reason:   f.Reason,
			Severity: string(f.Severity),
			Title:    show(f.Title),
			Detail:   show(f.Detail),
			Fix:      show(f.Fix),
			Doc:      safeLink(f.Doc),
			Spec:     safeLink(f.Spec),
			Step:     f.Step.String(),
			Header:   show(f.Header),
			Value:    show(f.Value),
			Browsers: browserList(f.Browsers),
			Role:     f.Role,
			LineHref: marks.locate(rep.Exchanges, f),
		}
		if f.Severity == diagnose.SeverityError && fv.Role == "" {
			// Stored before roles existed: the browsers' first errors are
			// the ones they report.
			fv.Role = "fails-next"
			if len(f.ReportedBy) > 0 {
				fv.Role = "printed"
			}
		}
		switch f.Severity {
		case diagnose.SeverityError:
			fv.Label = "Failure"
			v.Errors++
		case diagnose.SeverityWarning:
			fv.Label = "Warning"
			v.Warnings++
		default:
			fv.Severity = string(diagnose.SeverityInfo)
			fv.Label = "Note"
			v.Notes++
		}
		if _, ok := diagnose.LookupReason(f.Reason); ok {
			fv.ReasonURL = "/reasons/" + url.PathEscape(f.Reason)
		}
		switch {
		case collapses(rc, f):
			// Folded into the root cause box (RootCause.Collapsed).
		case fv.Role == "printed":
			fv.Console = consoleLines(f)
			v.Printed = append(v.Printed, fv)
		case fv.Role == "fails-next":
			// No browser prints it yet, so it gets no console lines.
			v.FailsNext = append(v.FailsNext, fv)
		default:
			fv.Console = consoleLines(f)
			v.Other = append(v.Other, fv)
		}
	}

	for i, ex := range rep.Exchanges {
		v.Steps = append(v.Steps, stepView(i, ex))
		v.Exchanges = append(v.Exchanges, exchangeView(i, "ex", ex, marks))
	}
	if n := len(rep.Exchanges); n > 0 && rep.Exchanges[n-1].Step.Kind == diagnose.StepPreflight && rep.Blocked() {
		// The walk ended on a failed preflight: show the request the page
		// asked for as the step that never happened.
		last := rep.Exchanges[n-1].Step
		v.Steps = append(v.Steps, templates.StepView{
			Anchor:  "step-" + strconv.Itoa(n+1),
			Label:   stepLabel(diagnose.Step{Kind: diagnose.StepActual, Hop: last.Hop}),
			Method:  show(req.Method),
			URL:     show(last.URL),
			Status:  "not sent: the browser stops after a failed preflight",
			Skipped: true,
		})
	}
	for i, ex := range rep.Followups {
		e := exchangeView(i, "fu", ex, nil)
		e.Title = "Follow-up preflight: " + strings.TrimPrefix(string(ex.Step.Kind), "followup: ")
		v.Followups = append(v.Followups, e)
	}

	v.JS = []templates.JSView{jsView("Firefox", "firefox", rep.JS.Firefox), jsView("Chromium", "chromium", rep.JS.Chromium)}
	v.Console = []templates.ConsoleView{
		{Browser: "Firefox", Key: "firefox", Lines: printableAll(rep.Console.Firefox)},
		{Browser: "Chromium", Key: "chromium", Lines: printableAll(rep.Console.Chromium)},
	}

	v.Export = templates.ExportView{
		CurlActual: export.Curl(export.ActualRequest(rep)),
		Fetch:      export.Fetch(rep.Request),
		HARURL:     sharePath + "/har",
		JSONURL:    withStack("/api/v1/diagnoses/"+url.PathEscape(d.ID), stack),
	}
	if pf, ok := export.PreflightRequest(rep); ok {
		v.Export.CurlPreflight = export.Curl(pf)
	}
	return v
}

// safeLink keeps only http(s) links; a stored report is data, and data
// must not be able to put a javascript: URL on the page.
func safeLink(s string) string {
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		return s
	}
	return ""
}

func printableAll(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		p, _ := printable(l, 0)
		out = append(out, p)
	}
	return out
}

func stepView(i int, ex diagnose.Exchange) templates.StepView {
	s := templates.StepView{
		Anchor:      "step-" + strconv.Itoa(i+1),
		ExchangeRef: "#ex-" + strconv.Itoa(i+1),
		Label:       stepLabel(ex.Step) + onlyIn(ex.Browsers),
		Method:      show(ex.Request.Method),
		URL:         show(ex.Request.URL),
		Duration:    formatMS(ex.DurationMS),
		OK:          ex.Response != nil && ex.Error == nil,
	}
	switch {
	case ex.Response != nil:
		s.Status = strconv.Itoa(ex.Response.Status) + " " + show(statusText(ex.Response))
	case ex.Error != nil:
		s.Status = "no response: " + show(ex.Error.Message)
	default:
		s.Status = "no response"
	}
	for _, c := range ex.Checks {
		s.Checks = append(s.Checks, templates.CheckView{Name: c.Name, Passed: c.Passed && !c.NotChecked, NotChecked: c.NotChecked, Detail: show(c.Detail)})
		if !c.Passed && !c.NotChecked {
			s.OK = false
		}
	}
	return s
}

// onlyIn marks a request only one browser sends: their paths can part,
// as when Firefox preflights a redirected request again.
func onlyIn(bs []diagnose.Browser) string {
	if len(bs) != 1 {
		return ""
	}
	if bs[0] == diagnose.Firefox {
		return " (Firefox only)"
	}
	return " (Chromium only)"
}

func statusText(resp *diagnose.Response) string {
	if resp.StatusText != "" {
		return resp.StatusText
	}
	return http.StatusText(resp.Status)
}

// exchangeView renders one exchange; prefix keeps anchors of follow-ups
// apart from the browser's exchanges. marks is nil for follow-ups.
func exchangeView(i int, prefix string, ex diagnose.Exchange, marks *exchangeMarks) templates.ExchangeView {
	e := templates.ExchangeView{
		Anchor:      prefix + "-" + strconv.Itoa(i+1),
		Title:       stepLabel(ex.Step),
		Step:        ex.Step.String(),
		RequestLine: show(ex.Request.Method) + " " + show(export.RequestTarget(ex.Request.URL)) + " " + ex.Request.Proto,
		RequestBody: show(ex.Request.Body),
		RemoteAddr:  ex.RemoteAddr,
		Started:     ex.Started.UTC().Format("15:04:05.000 UTC"),
		Duration:    formatMS(ex.DurationMS),
		Curl:        export.Curl(ex.Request),
	}
	seenReq := map[string]bool{}
	for _, h := range ex.Request.Headers {
		l := templates.LineView{Name: show(h.Name)}
		l.Value, l.Note = printable(h.Value, maxShownValue)
		k := markKey(i, h.Name)
		if marks != nil && marks.request[k] {
			l.Offending = true
			if !seenReq[k] { // the anchor goes on the first line only
				l.ID = lineID(i, "req", h.Name)
				seenReq[k] = true
			}
		}
		e.RequestLines = append(e.RequestLines, l)
	}
	if resp := ex.Response; resp != nil {
		e.StatusLine = statusLine(resp)
		seen := map[string]bool{}
		for _, h := range resp.Headers {
			l := templates.LineView{Name: show(h.Name)}
			l.Value, l.Note = printable(h.Value, maxShownValue)
			k := markKey(i, h.Name)
			if marks != nil && marks.response[k] {
				l.Offending = true
				if !seen[k] {
					l.ID = lineID(i, "res", h.Name)
					seen[k] = true
				}
			}
			e.ResponseLines = append(e.ResponseLines, l)
		}
		if marks != nil {
			for _, name := range marks.missing[i] {
				e.ResponseLines = append(e.ResponseLines, templates.LineView{ID: lineID(i, "res", name), Name: show(name), Missing: true, Offending: true})
			}
		}
		for _, m := range resp.Malformed {
			e.Malformed = append(e.Malformed, show(m))
		}
		e.Body, _ = printable(resp.Body, 4096)
		e.BodyTruncated = resp.BodyTruncated || len(resp.Body) > 4096
	}
	if ex.Error != nil {
		e.Error = show(ex.Error.Message)
		e.ErrorCode = ex.Error.Chromium
	}
	if t := ex.TLS; t != nil {
		e.TLS = "TLS: " + t.Version + ", " + t.CipherSuite + ", server name " + show(t.ServerName)
		if t.PeerSubject != "" {
			e.TLS += ", certificate " + show(t.PeerSubject)
		}
		if t.PeerIssuer != "" {
			e.TLS += " issued by " + show(t.PeerIssuer)
		}
		if !t.NotAfter.IsZero() {
			e.TLS += ", valid until " + t.NotAfter.UTC().Format("2 Jan 2006")
		}
	}
	return e
}

func jsView(browser, key string, j diagnose.JSView) templates.JSView {
	v := templates.JSView{Browser: browser, Key: key, Resolved: j.Outcome == "resolved", Error: show(j.Error), Type: j.Type, URL: show(j.URL), Redirected: j.Redirected}
	v.Status = strconv.Itoa(j.Status)
	if j.StatusText != "" {
		v.Status += " " + show(j.StatusText)
	}
	for _, h := range j.Readable {
		v.Readable = append(v.Readable, templates.HeaderLine{Name: show(h.Name), Value: show(h.Value)})
	}
	for _, h := range j.Hidden {
		v.Hidden = append(v.Hidden, show(h))
	}
	return v
}
