package diagnose

import (
	"net/url"
	"strconv"
	"strings"
)

// maxRedirects is the Fetch standard's redirect limit (HTTP-redirect fetch
// step 5), which Firefox and Chromium both apply.
const maxRedirects = 20

// failure is one failed check as one browser sees it. Failures of the
// same problem in different browsers share a key, so one finding can carry
// both browsers' console lines even when they word it differently.
type failure struct {
	key     string
	reason  string
	header  string
	value   string
	console string
	// jsError overrides the browser's usual TypeError text.
	jsError string
}

// browserRun is one browser's progress through the fetch.
type browserRun struct {
	blocked  bool
	step     Step
	failures []failure // at the blocking step; the first is the one printed
	console  []string
	// warnings are non-blocking console lines (Firefox's deprecation
	// warning), kept with the step that produced them.
	warnings []failure
	warnStep []Step
}

// walker follows one fetch as a browser does. The prober feeds it real
// exchanges; Evaluate feeds it recorded ones; both get the same judgement.
type walker struct {
	p *prepared

	cur       *url.URL
	method    string
	headers   []Header
	body      string
	tainted   bool // origin serialises as "null" after a cross-origin hop
	corsTaint bool // response tainting is "cors": CORS checks apply
	opaque    bool // a no-cors cross-origin fetch: no checks, opaque result
	hop       int

	// only is the browser this walk judges: the browsers can send
	// different requests (Firefox re-preflights after a 303 of a
	// preflighted request, and safelists repeated headers one by one), so
	// each walks on its own, sharing identical requests through the prober.
	only Browser

	decision      PreflightDecision // at the URL the page asked for
	hopDecision   PreflightDecision // at the current hop
	preflightSent bool

	runs      map[Browser]*browserRun
	exchanges []Exchange
	pending   *outgoing
	final     *Exchange // the response the page finally gets, if any
	notes     []Finding // info findings found while walking
}

func newWalker(p *prepared, b Browser) *walker {
	w := &walker{
		p:       p,
		only:    b,
		cur:     p.target,
		method:  p.Method,
		headers: p.headers,
		body:    p.Body,
		runs:    map[Browser]*browserRun{Firefox: {}, Chromium: {}},
	}
	if b == Firefox {
		// Gecko keeps each appended header as its own entry when it
		// decides on a preflight; they are combined only on the wire.
		w.headers = p.entries
	}
	if b == Chromium {
		var dropped []Header
		w.headers, dropped = chromiumDrops(w.headers)
		for _, h := range dropped {
			w.notes = append(w.notes, chromiumDropNote(p, h))
		}
	}
	w.start()
	return w
}

// run is this walk's browser's progress.
func (w *walker) run() *browserRun { return w.runs[w.only] }

func (w *walker) alive() []Browser {
	if w.runs[w.only].blocked {
		return nil
	}
	return []Browser{w.only}
}

// decide applies the preflight rule as this walk's browser does.
func (w *walker) decide() PreflightDecision {
	if w.only == Chromium {
		return DecidePreflight(w.method, w.headers, w.p.UseCORSPreflight)
	}
	// Observed in Firefox 153: each header entry is safelisted on its own,
	// with no 1024-byte total across repeats.
	d := decidePreflight(w.method, w.headers, w.p.UseCORSPreflight, false)
	if w.hop > 0 && !d.Required && w.decision.Required {
		// Gecko records the preflight requirement when the fetch starts and
		// keeps it across redirects, so a 303 that turns a preflighted PUT
		// into a GET is preflighted again (observed in Firefox 153).
		d.Required = true
		d.UnsafeHeaders = w.decision.UnsafeHeaders
		d.Reasons = []PreflightReason{{Kind: "redirect", Detail: "Firefox keeps the original request's need for a preflight across redirects, so it preflights the redirected request too"}}
	}
	return d
}

// requestOrigin is the Origin the browser sends now.
func (w *walker) requestOrigin() string {
	if w.tainted {
		return "null"
	}
	return w.p.origin
}

func (w *walker) withCredentials() bool { return w.p.Credentials == CredentialsInclude }

func (w *walker) step(kind StepKind) Step {
	return Step{Kind: kind, Hop: w.hop, URL: w.cur.String()}
}

func (w *walker) start() {
	w.decision = w.decide()
	w.hopDecision = w.decision
	if w.p.notHTTP {
		w.blockAll(w.step(StepActual), notHTTPTarget(w, w.cur.String()))
		return
	}
	crossOrigin := originOf(w.cur) != w.p.origin || w.p.origin == "null"
	if w.p.Mode == ModeSameOrigin && crossOrigin {
		msg := "Fetch API cannot load " + w.cur.String() + ". Request mode is \"same-origin\" but the URL's origin is not same as the request origin " + w.p.origin + "."
		w.blockAll(w.step(StepActual), map[Browser][]failure{
			// Gecko's security manager refuses the load and names the
			// document URL, which corsdoctor approximates by the origin.
			Firefox:  {{key: "mode", reason: "disallowed-by-mode", console: "Security Error: Content at " + w.p.origin + "/ may not load data from " + w.cur.String() + "."}},
			Chromium: {{key: "mode", reason: "disallowed-by-mode", console: msg}},
		})
		return
	}
	if !crossOrigin {
		w.notes = append(w.notes, Finding{Reason: "same-origin", Severity: SeverityInfo, Step: w.step(StepActual),
			Title:  "Same-origin request: CORS does not apply",
			Detail: "The URL has the same origin as the page, so the browser sends it as a plain request and JavaScript can read the whole response. CORS only starts if a redirect leaves the origin."})
	}
	if w.p.Mode == ModeNoCORS && crossOrigin {
		w.opaque = true
		w.notes = append(w.notes, Finding{Reason: "no-cors-opaque", Severity: SeverityInfo, Step: w.step(StepActual),
			Title:  "no-cors mode: the response is opaque",
			Detail: "fetch() resolves, but with an opaque response: status 0, no readable headers and an empty body. no-cors never lets JavaScript read a cross-origin response; it is only useful for fire-and-forget requests or for caching.",
			Fix:    "Use mode 'cors' and make the server send the CORS headers."})
	}
	if w.p.Credentials == CredentialsInclude && crossOrigin && !w.opaque {
		w.notes = append(w.notes, Finding{Reason: "cookies-not-sent", Severity: SeverityInfo, Step: w.step(StepActual),
			Title:  "corsdoctor cannot send your browser's cookies",
			Detail: "With credentials: 'include' the browser attaches the user's cookies for the target site (if its SameSite and third-party-cookie rules allow). corsdoctor judges the CORS headers the server sends without them; if the server answers differently when logged in, check that response too (cookies need SameSite=None; Secure to be sent cross-site)."})
	}
	w.beginHop()
}

// beginHop decides what the browser sends to the current URL.
func (w *walker) beginHop() {
	if !w.corsTaint && !w.opaque && (originOf(w.cur) != w.p.origin || w.p.origin == "null") {
		w.corsTaint = true
	}
	if w.corsTaint {
		d := w.decide()
		if w.hop == 0 {
			w.decision = d
		}
		w.hopDecision = d
		if d.Required {
			w.pending = w.preflightRequest(d)
			return
		}
	}
	w.pending = w.actualRequest()
}

func (w *walker) preflightRequest(d PreflightDecision) *outgoing {
	hs := []Header{
		{"Accept", "*/*"},
		{"Access-Control-Request-Method", w.method},
	}
	if len(d.UnsafeHeaders) > 0 {
		hs = append(hs, Header{"Access-Control-Request-Headers", strings.Join(d.UnsafeHeaders, ",")})
	}
	hs = append(hs,
		Header{"Origin", w.requestOrigin()},
		Header{"User-Agent", userAgent},
		Header{"Sec-Fetch-Mode", "cors"},
		Header{"Sec-Fetch-Site", w.fetchSite()},
		Header{"Sec-Fetch-Dest", "empty"},
	)
	return &outgoing{step: w.step(StepPreflight), method: "OPTIONS", url: w.cur, headers: hs}
}

// userAgent identifies the prober honestly; servers that vary on
// User-Agent are rare enough that pretending would mislead more than help.
const userAgent = "corsdoctor/" + Version + " (CORS prober)"

func (w *walker) actualRequest() *outgoing {
	hs := combineHeaders(w.headers)
	if !hasHeader(hs, "Accept") {
		hs = append(hs, Header{"Accept", "*/*"})
	}
	// Origin is sent on every CORS request, and on other requests whose
	// method is neither GET nor HEAD (Fetch "append a request Origin header").
	if w.corsTaint || (w.method != "GET" && w.method != "HEAD") {
		hs = append(hs, Header{"Origin", w.requestOrigin()})
	}
	if !hasHeader(hs, "User-Agent") {
		// Firefox sends the page's User-Agent instead of its own.
		hs = append(hs, Header{"User-Agent", userAgent})
	}
	mode := string(w.p.Mode)
	hs = append(hs, Header{"Sec-Fetch-Mode", mode}, Header{"Sec-Fetch-Site", w.fetchSite()}, Header{"Sec-Fetch-Dest", "empty"})
	if w.body != "" || w.method == "POST" || w.method == "PUT" {
		hs = append(hs, Header{"Content-Length", strconv.Itoa(len(w.body))})
	}
	return &outgoing{step: w.step(StepActual), method: w.method, url: w.cur, headers: hs, body: w.body}
}

// fetchSite approximates Sec-Fetch-Site without a public-suffix list:
// same-origin, same-site when only the port differs, else cross-site.
func (w *walker) fetchSite() string {
	target := originOf(w.cur)
	switch {
	case w.tainted || w.p.origin == "null":
		return "cross-site"
	case target == w.p.origin:
		return "same-origin"
	}
	pu, err := url.Parse(w.p.origin)
	if err == nil && pu.Scheme == w.cur.Scheme && strings.EqualFold(pu.Hostname(), w.cur.Hostname()) {
		return "same-site"
	}
	return "cross-site"
}

// next returns the request to send, or nil when the fetch is over.
func (w *walker) next() *outgoing {
	if len(w.alive()) == 0 {
		return nil
	}
	return w.pending
}

// observe judges one exchange and decides what comes next.
func (w *walker) observe(ex Exchange) {
	w.pending = nil
	idx := len(w.exchanges)
	w.exchanges = append(w.exchanges, ex)
	exp := &w.exchanges[idx]
	switch ex.Step.Kind {
	case StepPreflight:
		w.observePreflight(exp)
	default:
		w.observeActual(exp)
	}
}

func (w *walker) observePreflight(ex *Exchange) {
	w.preflightSent = true
	st := ex.Step
	results := map[Browser][]failure{}
	for _, b := range w.alive() {
		results[b] = w.judgePreflight(b, ex)
	}
	ex.Checks = preflightChecks(w, ex, results)
	w.blockFailed(st, results)
	if fr := w.runs[Firefox]; fr.blocked && fr.step == st {
		if ex.Response.isRedirect() {
			// Gecko vetoes the redirect, then the preflight channel
			// completes with the 3xx: after an ACAO failure it logs reason
			// 2 for the failed channel; after the redirect veto itself the
			// preflight listener logs the non-2xx status (observed in
			// Firefox 153).
			if fr.failures[0].key == "preflight-redirect" {
				line := ffPreflightDidNotSucceed(st.URL, ex.Response.Status)
				// A cross-origin redirect taints the preflight's origin, and
				// Gecko re-runs its ACAO check on the 3xx with origin null.
				if loc, _, err := resolveRedirect(fr.failures[0].value, w.cur, Firefox); err == nil && originOf(loc) != originOf(w.cur) {
					if fs := w.firefoxAccessWithOrigin(ex, "null"); len(fs) > 0 && fs[0].key == "allow-origin" {
						line = fs[0].console
					}
				}
				fr.console = append(fr.console, line)
			} else {
				fr.console = append(fr.console, ffDidNotSucceed(st.URL))
			}
		}
		// Gecko then fails the actual channel too and logs a line for it
		// without a status (cors-reference §2).
		fr.console = append(fr.console, ffDidNotSucceed(st.URL))
	}
	if len(w.alive()) > 0 {
		w.pending = w.actualRequest()
	}
}

func (w *walker) observeActual(ex *Exchange) {
	st := ex.Step
	if ex.Error != nil {
		w.blockAll(st, networkFailures(w, ex))
		ex.Checks = []Check{{Name: "A response arrived", Passed: false, Detail: ex.Error.Message}}
		return
	}
	resp := ex.Response
	if resp.isRedirect() {
		if w.corsTaint {
			results := map[Browser][]failure{}
			for _, b := range w.alive() {
				results[b] = w.judgeAccess(b, ex, false)
			}
			ex.Checks = accessChecks(w, ex, results)
			w.blockFailed(st, results)
			w.firefoxChannelFailed(st)
			if len(w.alive()) == 0 {
				return
			}
		}
		w.followRedirect(ex)
		return
	}
	w.final = ex
	if w.corsTaint {
		results := map[Browser][]failure{}
		for _, b := range w.alive() {
			results[b] = w.judgeAccess(b, ex, false)
		}
		ex.Checks = accessChecks(w, ex, results)
		w.blockFailed(st, results)
	} else {
		ex.Checks = []Check{{Name: "A response arrived", Passed: true, Detail: "no CORS check applies to this response"}}
	}
}

// followRedirect is HTTP-redirect fetch: limits, Location checks, method
// rewriting, tainting and header removal, then the next hop.
func (w *walker) followRedirect(ex *Exchange) {
	st := ex.Step
	locRaw, _ := ex.Response.get("Location")
	if w.hop >= maxRedirects {
		w.blockAll(st, map[Browser][]failure{
			Firefox:  {{key: "redirect-limit", reason: "CORSDidNotSucceed", value: "more than 20 redirects", console: ffDidNotSucceed(st.URL)}},
			Chromium: {{key: "redirect-limit", reason: "too-many-redirects"}},
		})
		ex.Checks = append(ex.Checks, Check{Name: "At most 20 redirects", Passed: false})
		return
	}
	// The Location is resolved with the browser's own URL parser, not
	// net/url's: "\\host/", percent-encoded and Unicode hosts, tabs and
	// IPv4 spellings lead where the browser goes, and the next hop's host
	// is what the dial policy judges.
	loc, href, err := resolveRedirect(locRaw, w.cur, w.only)
	if err != nil {
		// Both browsers fail the fetch; Gecko logs reason 2 for it.
		w.blockAll(st, map[Browser][]failure{
			Firefox:  {{key: "redirect-location", reason: "CORSDidNotSucceed", header: "Location", value: locRaw, console: ffDidNotSucceed(st.URL)}},
			Chromium: {{key: "redirect-location", reason: "invalid-redirect-location", header: "Location", value: locRaw}},
		})
		ex.Checks = append(ex.Checks, Check{Name: "Location is a valid URL", Passed: false, Detail: locRaw})
		return
	}
	if loc.Scheme != "http" && loc.Scheme != "https" {
		w.blockAll(st, notHTTPFailures(w, loc.Scheme, href))
		w.firefoxChannelFailed(st)
		ex.Checks = append(ex.Checks, Check{Name: "Location is http or https", Passed: false, Detail: href})
		return
	}
	if loc.User != nil && (w.corsTaint || w.p.Mode == ModeCORS && originOf(loc) != w.p.origin) {
		// Firefox's reason is "CORS request did not succeed"; the finding
		// keeps it, and its explanation names the user info.
		w.blockAll(st, map[Browser][]failure{
			Firefox:  {{key: "redirect-userinfo", reason: "CORSDidNotSucceed", header: "Location", value: locRaw, console: ffDidNotSucceed(st.URL)}},
			Chromium: {{key: "redirect-userinfo", reason: "redirect-userinfo", header: "Location", value: locRaw, console: chromiumLine(w.p.target.String(), st.URL, w.p.origin, false, crRedirectCredentials(""))}},
		})
		ex.Checks = append(ex.Checks, Check{Name: "Location has no user name or password", Passed: false, Detail: locRaw})
		return
	}
	ex.Checks = append(ex.Checks, Check{Name: "Redirect can be followed", Passed: true, Detail: "to " + loc.String()})

	status := ex.Response.Status
	if ((status == 301 || status == 302) && w.method == "POST") || (status == 303 && w.method != "GET" && w.method != "HEAD") {
		w.method = "GET"
		w.body = ""
		var kept []Header
		for _, h := range w.headers {
			switch strings.ToLower(h.Name) {
			case "content-encoding", "content-language", "content-location", "content-type":
				continue
			}
			kept = append(kept, h)
		}
		w.headers = kept
	}
	if originOf(loc) != originOf(w.cur) {
		var kept []Header
		for _, h := range w.headers {
			if strings.EqualFold(h.Name, "Authorization") {
				w.notes = append(w.notes, Finding{Reason: "authorization-dropped", Severity: SeverityInfo, Step: st, Header: "Authorization",
					Title:  "Authorization is removed on a cross-origin redirect",
					Detail: "The redirect leaves " + originOf(w.cur) + " for " + originOf(loc) + ", so the browser drops the Authorization header (Fetch, HTTP-redirect fetch). The next hop is sent without it.",
					Fix:    "Call the final URL directly, or keep redirects of authenticated requests on one origin."})
				continue
			}
			kept = append(kept, h)
		}
		w.headers = kept
		if w.p.origin != originOf(w.cur) && !w.tainted {
			w.tainted = true
			w.notes = append(w.notes, Finding{Reason: "origin-tainted", Severity: SeverityInfo, Step: st,
				Title:  "The Origin becomes null after this redirect",
				Detail: "A cross-origin server redirected to another origin, so the browser sends Origin: null from now on, and later responses must allow the origin null (or *).",
				Fix:    "Avoid cross-origin redirect chains for CORS requests; let the page call the final URL."})
		}
	}
	w.cur = loc
	w.hop++
	w.beginHop()
}

// blockFailed blocks every browser that has failures.
func (w *walker) blockFailed(st Step, results map[Browser][]failure) {
	for _, b := range Browsers {
		fs := results[b]
		r := w.runs[b]
		var hard []failure
		for _, f := range fs {
			if f.key == "warn" {
				r.warnings = append(r.warnings, f)
				r.warnStep = append(r.warnStep, st)
				if f.console != "" {
					r.console = append(r.console, f.console)
				}
				continue
			}
			hard = append(hard, f)
		}
		if len(hard) == 0 || r.blocked {
			continue
		}
		r.blocked, r.step, r.failures = true, st, hard
		if hard[0].console != "" {
			r.console = append(r.console, hard[0].console)
		}
	}
}

func (w *walker) blockAll(st Step, fs map[Browser][]failure) {
	for _, b := range w.alive() {
		w.blockFailed(st, map[Browser][]failure{b: fs[b]})
	}
}

// firefoxChannelFailed adds the reason-2 line Gecko logs when it vetoes a
// redirect: the vetoed channel then fails as a whole (observed in Firefox
// 153 after a 3xx hop fails its CORS check or leads to a non-http URL).
func (w *walker) firefoxChannelFailed(st Step) {
	if fr := w.runs[Firefox]; fr.blocked && fr.step == st {
		fr.console = append(fr.console, ffDidNotSucceed(st.URL))
	}
}

// Redirect targets browsers refuse before any CORS code runs (observed in
// Firefox 153 and Chromium 156): Gecko vetoes them and logs only reason 2;
// Chromium fails with net::ERR_UNSAFE_REDIRECT and no CORS line. Other
// non-http(s) schemes get the CORS scheme errors.
var (
	firefoxVetoedSchemes  = map[string]bool{"data": true, "file": true, "ws": true, "wss": true, "javascript": true, "blob": true}
	chromiumUnsafeSchemes = map[string]bool{"data": true, "file": true, "about": true, "blob": true, "filesystem": true}
)

// notHTTPFailures: a redirect to a non-http(s) URL fails the CORS request.
// Where Gecko vetoes the scheme it prints only reason 2, so that is the
// Firefox reason; the finding's explanation names the scheme.
func notHTTPFailures(w *walker, scheme, target string) map[Browser][]failure {
	ff := failure{key: "not-http", reason: "CORSRequestNotHttp", header: "Location", value: target, console: ffRequestNotHTTP(target)}
	if firefoxVetoedSchemes[scheme] {
		ff.reason, ff.console = "CORSDidNotSucceed", ""
	}
	cr := failure{key: "not-http", reason: "CORSRequestNotHttp", header: "Location", value: target, console: chromiumLine(w.p.target.String(), target, w.p.origin, false, crCORSDisabledScheme)}
	if chromiumUnsafeSchemes[scheme] {
		cr.console = ""
	}
	return map[Browser][]failure{Firefox: {ff}, Chromium: {cr}}
}

// notHTTPTarget: fetch() of a non-http(s) URL. Blink refuses the scheme
// before any CORS code runs; Gecko reports reason 5.
func notHTTPTarget(w *walker, target string) map[Browser][]failure {
	scheme := w.p.target.Scheme
	return map[Browser][]failure{
		Firefox:  {{key: "not-http", reason: "CORSRequestNotHttp", value: target, console: ffRequestNotHTTP(target)}},
		Chromium: {{key: "not-http", reason: "CORSRequestNotHttp", value: target, console: "Fetch API cannot load " + target + ". URL scheme \"" + scheme + "\" is not supported."}},
	}
}

func networkFailures(w *walker, ex *Exchange) map[Browser][]failure {
	ff := failure{key: "network", reason: "CORSDidNotSucceed", value: ex.Error.Message, console: ffDidNotSucceed(ex.Step.URL)}
	if ex.Error.Kind == "http09" {
		// Gecko still accepts a reply without a status line as an HTTP/0.9
		// 200 with no headers, so it fails the CORS check instead.
		ff = failure{key: "allow-origin", reason: "CORSMissingAllowOrigin", header: "Access-Control-Allow-Origin", console: ffMissingAllowOrigin(ex.Step.URL, "200")}
	}
	return map[Browser][]failure{
		Firefox:  {ff},
		Chromium: {{key: "network", reason: "CORSDidNotSucceed", value: ex.Error.Message}},
	}
}
