package diagnose

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"corsdoctor/remedy"
)

// Explain finds the root cause of a diagnosis and the one change that makes
// the browsers allow the request, written for stack (remedy.Unknown or ""
// means: the stack detected from the evidence). It reads only the report,
// follow-ups included, so a stored diagnosis can be re-explained for
// another stack without probing again. It returns nil when the browsers
// allow the request and no warning says something will bite later.
func Explain(rep *Report, stack remedy.StackID) *RootCause {
	if rep == nil {
		return nil
	}
	x := newExplainer(rep)
	// Detection runs first: some causes depend on whether a CORS
	// middleware left its fingerprint.
	if rep.Blocked() || hasWarning(rep) {
		x.guess, x.scores = detectStack(rep)
	}
	var rc *RootCause
	if rep.Blocked() {
		rc = x.blocked()
	} else {
		rc = x.warned()
	}
	if rc == nil {
		return nil
	}
	guess, scores := x.guess, x.scores
	if stack != "" {
		if s, ok := remedy.LookupStack(stack); ok && stack != guess.ID {
			chosen := guessFor(s.ID, "chosen", nil)
			chosen.Chosen = true
			chosen.Detected = guess.ID
			guess = chosen
		} else if ok {
			guess.Chosen = true
		}
	}
	rc.Stack = guess
	x.finish(rc, scores)
	return rc
}

func hasWarning(rep *Report) bool {
	for i := range rep.Findings {
		if rep.Findings[i].Severity == SeverityWarning {
			return true
		}
	}
	return false
}

// explainer holds what Explain derives from a report.
type explainer struct {
	rep     *Report
	origin  string
	method  string
	creds   bool
	unsafe  []string
	target  *url.URL
	first   *Finding  // the first error a browser prints
	ex      *Exchange // the exchange it is about
	fu      followupFacts
	guess   StackGuess
	scores  []stackScore
	policy  remedy.Policy
	refused []string // what the server refused, for the summary
}

// followupFacts are the follow-up preflights' answers, judged.
type followupFacts struct {
	sent        bool
	minimal     *Exchange
	minimalPass bool
	methods     map[string]bool // method alone -> accepted
	headers     map[string]bool // header alone -> accepted
	origins     map[string]bool // other origin -> accepted
	redirect    *Exchange
	redirectOK  bool
	anyCORS     bool // some follow-up answer carried a CORS header
	statuses    []int
}

func newExplainer(rep *Report) *explainer {
	x := &explainer{
		rep:    rep,
		origin: rep.Request.Origin,
		method: rep.Request.Method,
		creds:  rep.Request.Credentials == CredentialsInclude,
		unsafe: rep.Preflight.UnsafeHeaders,
	}
	if x.method == "" {
		x.method = "GET"
	}
	x.target, _ = url.Parse(rep.Request.URL)
	for i := range rep.Findings {
		f := &rep.Findings[i]
		if f.Severity != SeverityError || len(f.ReportedBy) == 0 {
			continue
		}
		if x.first == nil || stepOrder(f.Step) < stepOrder(x.first.Step) {
			x.first = f
		}
	}
	if x.first != nil {
		for i := range rep.Exchanges {
			if rep.Exchanges[i].Step == x.first.Step {
				x.ex = &rep.Exchanges[i]
			}
		}
	}
	x.fu = x.judgeFollowups()
	return x
}

func (x *explainer) judgeFollowups() followupFacts {
	fu := followupFacts{methods: map[string]bool{}, headers: map[string]bool{}, origins: map[string]bool{}}
	for i := range x.rep.Followups {
		ex := &x.rep.Followups[i]
		verb, arg, ok := followupKind(ex.Step)
		if !ok {
			continue
		}
		fu.sent = true
		if ex.Response == nil {
			continue
		}
		r := ex.Response
		fu.statuses = append(fu.statuses, r.Status)
		if hasAnyCORSHeader(r) {
			fu.anyCORS = true
		}
		switch verb {
		case "minimal":
			fu.minimal = ex
			fu.minimalPass = preflightPasses(r, x.origin, requestMethodOf(ex, "GET"), nil, x.creds)
		case "method":
			fu.methods[arg] = preflightPasses(r, x.origin, arg, nil, x.creds)
		case "header":
			fu.headers[arg] = preflightPasses(r, x.origin, "GET", []string{arg}, x.creds)
		case "origin":
			fu.origins[arg] = preflightPasses(r, arg, requestMethodOf(ex, x.method), requestHeadersOf(ex), x.creds)
		case "redirect":
			fu.redirect = ex
			fu.redirectOK = preflightPasses(r, x.origin, x.method, x.unsafe, x.creds)
		}
	}
	return fu
}

func requestMethodOf(ex *Exchange, def string) string {
	for _, h := range ex.Request.Headers {
		if strings.EqualFold(h.Name, "Access-Control-Request-Method") {
			return h.Value
		}
	}
	return def
}

func requestHeadersOf(ex *Exchange) []string {
	for _, h := range ex.Request.Headers {
		if strings.EqualFold(h.Name, "Access-Control-Request-Headers") && h.Value != "" {
			return strings.Split(h.Value, ",")
		}
	}
	return nil
}

// acceptedOrigin returns another origin a follow-up found accepted.
func (fu followupFacts) acceptedOrigin() (string, bool) {
	var os []string
	for o, ok := range fu.origins {
		if ok {
			os = append(os, o)
		}
	}
	slices.Sort(os)
	if len(os) == 0 {
		return "", false
	}
	return os[0], true
}

// blocked explains a request some browser blocks.
func (x *explainer) blocked() *RootCause {
	if x.first == nil {
		return nil
	}
	rc := &RootCause{Step: x.first.Step, Evidence: []string{}}
	verb := "prints"
	if len(x.first.ReportedBy) > 1 {
		verb = "print"
	}
	x.evidence(rc, "%s %s: %s", printedBy(x.first), verb, x.first.Title)
	if x.ex == nil || x.ex.Response == nil {
		return x.network(rc)
	}
	if x.first.Step.Kind == StepActual && x.ex.Response.isRedirect() && redirectRefusal[x.first.Reason] {
		return x.badRedirect(rc)
	}
	if x.first.Step.Kind == StepPreflight {
		x.preflight(rc)
	} else {
		x.actual(rc)
	}
	return rc
}

// redirectRefusal are the reasons a browser gives for refusing to follow a
// redirect itself (not its CORS headers): Firefox words them all as
// "CORS request did not succeed".
var redirectRefusal = map[string]bool{
	"CORSDidNotSucceed": true, "redirect-userinfo": true, "too-many-redirects": true,
	"invalid-redirect-location": true, "CORSRequestNotHttp": true,
}

// badRedirect explains a redirect the browsers refuse to follow: to a URL
// with a user name or password, to a non-http(s) scheme, or in a loop.
func (x *explainer) badRedirect(rc *RootCause) *RootCause {
	loc, _ := x.ex.Response.get("Location")
	x.evidence(rc, "the %s got %d with Location: %s", x.first.Step, x.ex.Response.Status, clipEvidence(loc))
	rc.Layer, rc.Problem = LayerRouter, "redirect"
	rc.Summary = fmt.Sprintf("The server redirects the request in a way browsers refuse to follow (%s): %s", x.first.Title, x.first.Detail)
	return rc
}

func printedBy(f *Finding) string {
	var names []string
	for _, b := range f.ReportedBy {
		names = append(names, browserName(b))
	}
	return strings.Join(names, " and ")
}

func (x *explainer) evidence(rc *RootCause, format string, args ...any) {
	rc.Evidence = append(rc.Evidence, fmt.Sprintf(format, args...))
}

func (x *explainer) network(rc *RootCause) *RootCause {
	rc.Layer, rc.Problem = LayerNetwork, "network"
	msg := x.first.Value
	if x.ex != nil && x.ex.Error != nil {
		msg = x.ex.Error.Message
	}
	switch x.first.Reason {
	case "CORSRequestNotHttp", "redirect-userinfo", "too-many-redirects", "invalid-redirect-location", "disallowed-by-mode":
		rc.Layer, rc.Problem = LayerClient, "client"
		if x.first.Step.Hop > 0 {
			rc.Layer, rc.Problem = LayerRouter, string(remedy.ProblemPolicy)
		}
		rc.Summary = x.first.Title + "."
		return rc
	}
	rc.Summary = fmt.Sprintf("The %s never got a response (%s): this is not a CORS header problem, the server is unreachable from the browser.", x.first.Step, msg)
	x.evidence(rc, "the %s failed: %s", x.first.Step, msg)
	return rc
}

// status line evidence.
func statusEvidence(ex *Exchange) string {
	r := ex.Response
	s := fmt.Sprintf("the %s got %d %s", ex.Step, r.Status, r.StatusText)
	if !hasAnyCORSHeader(r) {
		s += " without any Access-Control-* header"
	}
	return s
}

func (x *explainer) preflight(rc *RootCause) {
	r := x.ex.Response
	x.evidence(rc, "%s", statusEvidence(x.ex))
	if r.isRedirect() {
		x.preflightRedirect(rc)
		return
	}
	cors := hasAnyCORSHeader(r)
	authLike := r.Status == 401 || r.Status == 407 || (r.Status == 403 && hasHeader(r.Headers, "WWW-Authenticate"))
	if v, ok := r.get("WWW-Authenticate"); ok {
		x.evidence(rc, "WWW-Authenticate: %s", clipEvidence(v))
	}
	x.followupEvidence(rc)
	switch {
	case authLike:
		rc.Layer, rc.Problem = LayerAuth, string(remedy.ProblemAuthBeforeCORS)
		rc.Summary = fmt.Sprintf("Authentication answers the preflight with %d before CORS handling runs: browsers never send cookies or Authorization on a preflight, so it can never pass.", r.Status)
		rc.Collapses = !cors
	case !cors && x.fu.minimalPass:
		x.pinpoint(rc)
	case !cors && !x.fu.minimalPass && x.originAcceptedElsewhere(rc):
	case !cors && (r.Status == 404 || r.Status == 405 || hasHeader(r.Headers, "Allow")):
		rc.Layer, rc.Problem = LayerRouter, string(remedy.ProblemNoPreflightHandler)
		if hasHeader(r.Headers, "Allow") {
			rc.Layer = LayerFramework
			allow, _ := r.get("Allow")
			x.evidence(rc, "Allow: %s", allow)
		}
		rc.Summary = fmt.Sprintf("Nothing answers OPTIONS with CORS headers at this URL: the %s replied %d itself, so CORS handling is not applied to preflights for this route.", layerName(rc.Layer), r.Status)
		if !x.fu.anyCORS && !x.corsFingerprint() {
			// No answer, follow-ups included, carries a CORS header: CORS
			// may be missing altogether, or applied to the routes only;
			// only the actual request, which a failed preflight forbids
			// sending, could tell. The fix is the same.
			rc.Problem = string(remedy.ProblemNotConfigured)
			rc.Summary = fmt.Sprintf("No response carries a CORS header: the %s answers OPTIONS with %d itself, and the follow-up preflights got no Access-Control-* header either. CORS is not configured for this URL (or only for its routes, not for preflights).", layerName(rc.Layer), r.Status)
		}
		rc.Collapses = true
	case !cors && r.Status >= 500:
		rc.Layer, rc.Problem = LayerFramework, string(remedy.ProblemNoPreflightHandler)
		rc.Summary = fmt.Sprintf("The server fails with %d on the OPTIONS preflight before any CORS header is added: the application crashes or refuses OPTIONS instead of letting CORS middleware answer it.", r.Status)
		rc.Collapses = true
	case !cors && r.Status == 403 && !x.corsFingerprint():
		rc.Layer, rc.Problem = LayerAuth, string(remedy.ProblemAuthBeforeCORS)
		rc.Summary = "Every OPTIONS request is refused with 403 and no CORS header: an authentication or firewall layer answers preflights before CORS handling runs."
		rc.Collapses = true
	case !cors:
		rc.Layer = LayerCORS
		if x.corsFingerprint() || x.fu.anyCORS {
			rc.Problem = string(remedy.ProblemPolicy)
			x.refused = append(x.refused, "the origin "+x.origin)
			rc.Summary = fmt.Sprintf("The CORS middleware refuses the origin %s: even a minimal preflight from it gets no CORS header.", x.origin)
		} else {
			rc.Problem = string(remedy.ProblemNotConfigured)
			rc.Summary = fmt.Sprintf("The server sends no CORS header at all (the preflight got %d and nothing else): no layer handles CORS for this URL.", r.Status)
		}
	default:
		x.corsSpoken(rc, r)
	}
}

// corsFingerprint reports whether the evidence names a CORS middleware.
func (x *explainer) corsFingerprint() bool {
	for _, s := range x.scores {
		if s.cors {
			return true
		}
	}
	return false
}

func layerName(l string) string {
	switch l {
	case LayerRouter:
		return "router"
	case LayerFramework:
		return "framework"
	case LayerAuth:
		return "authentication layer"
	case LayerProxy:
		return "reverse proxy"
	case LayerCDN:
		return "CDN or storage service"
	}
	return "server"
}

// followupEvidence lists what the follow-ups found.
func (x *explainer) followupEvidence(rc *RootCause) {
	if !x.fu.sent {
		return
	}
	yes := map[bool]string{true: "accepted", false: "refused"}
	if x.fu.minimal != nil {
		x.evidence(rc, "follow-up: a minimal preflight (GET, no headers) from %s was %s (status %d)", x.origin, yes[x.fu.minimalPass], x.fu.minimal.Response.Status)
	}
	for _, m := range sortedKeys(x.fu.methods) {
		x.evidence(rc, "follow-up: %s alone was %s", m, yes[x.fu.methods[m]])
	}
	for _, h := range sortedKeys(x.fu.headers) {
		x.evidence(rc, "follow-up: header %s alone was %s", h, yes[x.fu.headers[h]])
	}
	for _, o := range sortedKeys(x.fu.origins) {
		x.evidence(rc, "follow-up: the same preflight from %s was %s", o, yes[x.fu.origins[o]])
	}
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// pinpoint names what a silently refusing middleware refused, from the
// follow-ups: the server accepts the origin, so it is the method's case,
// the method, or some headers.
func (x *explainer) pinpoint(rc *RootCause) {
	rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemPolicy)
	up := strings.ToUpper(x.method)
	if up != x.method && !x.fu.methods[x.method] && x.fu.methods[up] {
		x.clientMethodCase(rc)
		return
	}
	if ok, tried := x.fu.methods[x.method]; tried && !ok {
		x.refused = append(x.refused, "the method "+x.method)
	}
	for _, h := range x.unsafe {
		if ok, tried := x.fu.headers[h]; tried && !ok {
			x.refused = append(x.refused, "the header "+h)
		}
	}
	if len(x.refused) == 0 {
		x.refused = append(x.refused, "this combination of method and headers")
	}
	rc.Summary = fmt.Sprintf("The CORS middleware accepts the origin %s but refuses %s, and says so only by leaving out every CORS header.", x.origin, strings.Join(x.refused, " and "))
}

// originAcceptedElsewhere explains a refusal that another spelling of the
// origin does not get.
func (x *explainer) originAcceptedElsewhere(rc *RootCause) bool {
	other, ok := x.fu.acceptedOrigin()
	body := x.ex.Response != nil && strings.Contains(x.ex.Response.Body, "Not allowed by CORS")
	if !ok && !body {
		return false
	}
	rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemPolicy)
	x.refused = append(x.refused, "the origin "+x.origin)
	if ok {
		rc.Summary = fmt.Sprintf("The CORS configuration allows %s but not %s: its origin list lacks the page's exact origin.", other, x.origin)
	} else {
		rc.Summary = fmt.Sprintf("The CORS middleware's origin check rejects %s and answers with an error instead of CORS headers.", x.origin)
		x.evidence(rc, "the response body says \"Not allowed by CORS\" (the cors package's origin callback error)")
	}
	return true
}

// clientMethodCase is the fix for a lower-case method that the server
// only accepts upper-cased (go-chi/cors upper-cases both sides).
func (x *explainer) clientMethodCase(rc *RootCause) {
	up := strings.ToUpper(x.method)
	rc.Layer, rc.Problem = LayerClient, "client"
	rc.Summary = fmt.Sprintf("The page sends the method %q in lower case; fetch() does not upper-case it, and the server accepts only %s. Write %s in the page.", x.method, up, up)
	req := x.rep.Request
	req.Method = up
	rc.Fix.Request = &req
}

// corsSpoken explains a preflight answered with CORS headers that refuse.
func (x *explainer) corsSpoken(rc *RootCause, r *Response) {
	rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemPolicy)
	f := x.first
	switch {
	case (r.Status < 200 || r.Status > 299) && (x.fu.minimalPass || strings.Contains(r.Body, "Disallowed CORS")):
		// The CORS layer itself refuses with a status (Starlette's 400
		// "Disallowed CORS method"): a minimal preflight passes, so it is
		// the method or a header.
		if strings.Contains(r.Body, "Disallowed CORS") {
			x.evidence(rc, "the preflight's body says %q", clipEvidence(strings.TrimSpace(r.Body)))
		}
		x.pinpoint(rc)
		if strings.Contains(r.Body, "Disallowed CORS origin") && !x.fu.minimalPass {
			x.refused = []string{"the origin " + x.origin}
			rc.Summary = fmt.Sprintf("The CORS middleware refuses the origin %s (it answers the preflight %d: %q).", x.origin, r.Status, clipEvidence(strings.TrimSpace(r.Body)))
		}
	case r.Status < 200 || r.Status > 299:
		if r.Status == 401 || r.Status == 403 {
			rc.Layer, rc.Problem = LayerAuth, string(remedy.ProblemAuthBeforeCORS)
			rc.Summary = fmt.Sprintf("CORS headers are added, but authentication then answers the preflight with %d: preflights carry no credentials, so OPTIONS must be answered before authentication.", r.Status)
		} else {
			rc.Layer, rc.Problem = LayerRouter, string(remedy.ProblemNoPreflightHandler)
			rc.Summary = fmt.Sprintf("CORS headers are added, but nothing ends the preflight: the request goes on to the route, which answers OPTIONS with %d.", r.Status)
		}
		return
	}
	x.policyFinding(rc, f, r)
}

// policyFinding explains an explicit CORS refusal (wrong origin, missing
// method or header, credentials).
func (x *explainer) policyFinding(rc *RootCause, f *Finding, r *Response) {
	switch f.Reason {
	case "CORSMultipleAllowOriginNotAllowed":
		x.duplicates(rc, r)
	case "CORSAllowOriginNotMatchingOrigin":
		if len(r.values("Access-Control-Allow-Origin")) > 1 {
			x.duplicates(rc, r)
			return
		}
		acao, _ := r.get("Access-Control-Allow-Origin")
		x.refused = append(x.refused, "the origin "+x.origin)
		rc.Summary = fmt.Sprintf("The CORS configuration allows %q, not the page's origin %s.", acao, x.origin)
		x.evidence(rc, "Access-Control-Allow-Origin: %s", acao)
	case "CORSMissingAllowOrigin":
		x.refused = append(x.refused, "the origin "+x.origin)
		rc.Summary = fmt.Sprintf("The response carries CORS headers but no Access-Control-Allow-Origin for %s.", x.origin)
	case "CORSNotSupportingCredentials":
		if x.clientDropCredentials(rc, r) {
			return
		}
		x.refused = append(x.refused, "credentials")
		rc.Summary = fmt.Sprintf("The server answers Access-Control-Allow-Origin: *, which browsers refuse for a request with credentials; it must name the origin %s and allow credentials.", x.origin)
	case "CORSMissingAllowCredentials":
		v, _ := r.get("Access-Control-Allow-Credentials")
		rc.Summary = fmt.Sprintf("The request sends credentials, but the server's CORS configuration does not allow them (Access-Control-Allow-Credentials is %q, not true).", v)
		x.refused = append(x.refused, "credentials")
	case "CORSMethodNotFound":
		acam, _ := r.get("Access-Control-Allow-Methods")
		up := strings.ToUpper(x.method)
		list, _ := parseTokenList(acam)
		if up != x.method && (slices.Contains(list, up) || x.fu.methods[up]) {
			x.evidence(rc, "Access-Control-Allow-Methods: %s", acam)
			x.clientMethodCase(rc)
			return
		}
		x.refused = append(x.refused, "the method "+x.method)
		rc.Summary = fmt.Sprintf("The CORS configuration does not allow the method %s (Access-Control-Allow-Methods: %q).", x.method, acam)
		x.evidence(rc, "Access-Control-Allow-Methods: %s", acam)
	case "CORSMissingAllowHeaderFromPreflight":
		acah, _ := r.get("Access-Control-Allow-Headers")
		list, _ := parseTokenList(acah)
		missing := missingHeaders(x.unsafe, list, x.creds)
		x.refused = append(x.refused, "the header(s) "+strings.Join(missing, ", "))
		rc.Summary = fmt.Sprintf("The CORS configuration does not allow the request header(s) %s (Access-Control-Allow-Headers: %q).", strings.Join(missing, ", "), acah)
		x.evidence(rc, "Access-Control-Allow-Headers: %s", acah)
	case "CORSInvalidAllowMethod", "CORSInvalidAllowHeader":
		rc.Summary = fmt.Sprintf("The server writes %s in a form browsers cannot parse (%q).", f.Header, f.Value)
	default:
		rc.Summary = f.Title + "."
	}
	if rc.Summary == "" {
		rc.Summary = f.Title + "."
	}
}

// duplicates explains two layers adding Access-Control-Allow-Origin.
func (x *explainer) duplicates(rc *RootCause, r *Response) {
	vs := r.values("Access-Control-Allow-Origin")
	rc.Problem = string(remedy.ProblemDuplicateHeaders)
	rc.Summary = fmt.Sprintf("Two layers add Access-Control-Allow-Origin (%d header lines: %s); browsers accept exactly one.", len(vs), strings.Join(vs, " | "))
	if len(vs) == 1 {
		rc.Summary = fmt.Sprintf("Access-Control-Allow-Origin holds several origins (%q); browsers accept exactly one.", vs[0])
	}
	x.evidence(rc, "Access-Control-Allow-Origin lines: %s", strings.Join(vs, " | "))
	for _, s := range x.scores {
		if proxyStacks[s.id] {
			rc.Layer = LayerProxy
		}
	}
}

// clientDropCredentials: a server that answers "*" serves public data and
// does not do credentialed CORS; the page's credentials: 'include' is the
// change to make, unless the endpoint needs the cookies.
func (x *explainer) clientDropCredentials(rc *RootCause, r *Response) bool {
	// Only when the same request without credentials passes as answered:
	// otherwise dropping them is not enough, and the server must change.
	if x.first.Step.Kind == StepPreflight && !preflightPasses(r, x.origin, x.method, x.unsafe, false) {
		return false
	}
	if acac, _ := r.get("Access-Control-Allow-Credentials"); strings.TrimSpace(acac) == "true" {
		// The server says it means credentials: its "*" is the mistake.
		x.evidence(rc, "Access-Control-Allow-Credentials: true next to Access-Control-Allow-Origin: *")
		return false
	}
	rc.Layer, rc.Problem = LayerClient, "client"
	rc.Summary = "The server allows any origin with *, which means public data without credentials, but the page sends credentials: 'include'. Drop credentials from the fetch() unless the endpoint needs the user's cookies."
	req := x.rep.Request
	req.Credentials = CredentialsSameOrigin
	rc.Fix.Request = &req
	x.evidence(rc, "Access-Control-Allow-Origin: * with credentials: 'include'")
	return true
}

func (x *explainer) preflightRedirect(rc *RootCause) {
	r := x.ex.Response
	loc, _ := r.get("Location")
	x.evidence(rc, "Location: %s", loc)
	target, _, err := resolveRedirect(loc, x.target, Chromium)
	rc.Problem = string(remedy.ProblemPreflightRedirect)
	rc.Layer = LayerRouter
	if err == nil && looksLikeLogin(target) {
		rc.Layer, rc.Problem = LayerAuth, string(remedy.ProblemAuthBeforeCORS)
		rc.Summary = "Authentication redirects the preflight to a login page: preflights carry no cookies, so OPTIONS must be let through before the login check."
		rc.Collapses = true
		return
	}
	if x.fu.redirect != nil {
		yes := map[bool]string{true: "passes", false: "fails too"}
		x.evidence(rc, "follow-up: the same preflight sent to %s %s", target, yes[x.fu.redirectOK])
	}
	if err == nil && x.fu.redirectOK {
		rc.Layer, rc.Problem = LayerClient, "client"
		rc.Summary = fmt.Sprintf("The URL redirects (%d to %s), and browsers never follow a preflight's redirect; the final URL answers the preflight correctly, so call it directly.", r.Status, target)
		req := x.rep.Request
		req.URL = target.String()
		rc.Fix.Request = &req
		return
	}
	rc.Summary = fmt.Sprintf("The preflight is redirected (%d to %s), and browsers never follow a preflight's redirect: OPTIONS must be answered at the URL the page calls.", r.Status, loc)
}

// looksLikeLogin recognises the usual login and single-sign-on redirects.
func looksLikeLogin(u *url.URL) bool {
	s := strings.ToLower(u.Host + u.Path)
	for _, w := range []string{"login", "signin", "sign-in", "auth", "sso", "oauth", "cloudflareaccess.com", "/saml"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// actual explains a failure on the actual request (or a redirect hop).
func (x *explainer) actual(rc *RootCause) {
	r := x.ex.Response
	x.evidence(rc, "%s", statusEvidence(x.ex))
	x.followupEvidence(rc)
	_, acaoSent := r.get("Access-Control-Allow-Origin")
	preflightCORS := false
	for i := range x.rep.Exchanges {
		ex := &x.rep.Exchanges[i]
		if ex.Step.Kind == StepPreflight && ex.Response != nil && hasAnyCORSHeader(ex.Response) {
			preflightCORS = true
		}
	}
	if r.isRedirect() && !acaoSent {
		loc, _ := r.get("Location")
		rc.Layer, rc.Problem = LayerRouter, string(remedy.ProblemErrorsWithoutCORS)
		rc.Summary = fmt.Sprintf("The request is redirected (%d to %s) without CORS headers on the redirect; browsers check CORS on every hop. Call the final URL, or add the CORS headers to the redirect.", r.Status, loc)
		if target, _, err := resolveRedirect(loc, x.target, Chromium); err == nil && sameResource(x.target, target) {
			rc.Layer, rc.Problem = LayerClient, "client"
			rc.Summary = fmt.Sprintf("The URL redirects (%d to %s) without CORS headers on the redirect. Call the final URL directly.", r.Status, target)
			req := x.rep.Request
			req.URL = target.String()
			rc.Fix.Request = &req
		}
		return
	}
	if !acaoSent && !hasAnyCORSHeader(r) {
		switch {
		case r.Status >= 400 && (preflightCORS || x.fu.minimalPass || x.fu.anyCORS):
			rc.Problem = string(remedy.ProblemErrorsWithoutCORS)
			rc.Layer = layerForStatus(r.Status)
			rc.Summary = fmt.Sprintf("The %s answers the request with %d and no CORS headers: CORS headers are added to successful responses only, so the page cannot even read the error.", layerName(rc.Layer), r.Status)
			if preflightCORS {
				x.evidence(rc, "the preflight carried CORS headers, the %d did not", r.Status)
			}
			rc.Collapses = true
			return
		case x.originAcceptedElsewhere(rc):
			return
		case r.Status == 401 || r.Status == 403:
			rc.Layer, rc.Problem = LayerAuth, string(remedy.ProblemErrorsWithoutCORS)
			rc.Summary = fmt.Sprintf("Authentication refuses the request with %d before CORS headers are added.", r.Status)
			rc.Collapses = true
			return
		case x.corsFingerprint() || x.fu.anyCORS:
			rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemPolicy)
			x.refused = append(x.refused, "the origin "+x.origin)
			rc.Summary = fmt.Sprintf("The CORS middleware does not allow the origin %s, so the response carries no Access-Control-Allow-Origin.", x.origin)
			return
		default:
			rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemNotConfigured)
			rc.Summary = fmt.Sprintf("The response (%d) carries no CORS header at all: no layer of the server handles CORS for %s.", r.Status, x.origin)
			if r.Status >= 400 {
				rc.Layer = layerForStatus(r.Status)
				rc.Collapses = true
			}
			return
		}
	}
	rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemPolicy)
	if r.Status >= 400 && !acaoSent && preflightCORS {
		rc.Problem = string(remedy.ProblemErrorsWithoutCORS)
		rc.Layer = layerForStatus(r.Status)
	}
	x.policyFinding(rc, x.first, r)
}

func layerForStatus(status int) string {
	switch {
	case status == 401 || status == 403 || status == 407:
		return LayerAuth
	case status == 404 || status == 405:
		return LayerRouter
	case status == 502 || status == 503 || status == 504:
		return LayerProxy
	}
	return LayerFramework
}

// sameResource reports whether to is from the same place as from with only
// a trailing slash, the scheme or a "www." differing: a redirect the page
// avoids by calling the final URL.
func sameResource(from, to *url.URL) bool {
	if from == nil || to == nil {
		return false
	}
	fh, th := strings.TrimPrefix(from.Hostname(), "www."), strings.TrimPrefix(to.Hostname(), "www.")
	return fh == th && strings.TrimSuffix(from.Path, "/") == strings.TrimSuffix(to.Path, "/")
}

// warned explains an allowed request that has a warning that will bite.
func (x *explainer) warned() *RootCause {
	for i := range x.rep.Findings {
		f := &x.rep.Findings[i]
		if f.Severity != SeverityWarning {
			continue
		}
		rc := &RootCause{Step: f.Step, Layer: LayerNone, Evidence: []string{f.Title}}
		switch f.Reason {
		case "vary-origin-missing":
			rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemPolicy)
			rc.Summary = "Allowed today, but the server echoes the origin without Vary: Origin, so a cache can serve one origin's answer to another and break it."
		case "cors-missing-on-error":
			rc.Layer, rc.Problem = layerForStatus(x.statusAt(f.Step)), string(remedy.ProblemErrorsWithoutCORS)
			rc.Summary = "Allowed today, but error responses carry no CORS headers, so the page cannot read its own errors."
		case "authorization-wildcard":
			rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemPolicy)
			rc.Summary = "Allowed today, but Authorization is allowed only through Access-Control-Allow-Headers: *, which the standard forbids and Firefox already warns about: list Authorization by name."
		case "max-age-capped":
			rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemPolicy)
			rc.Summary = "Allowed, but Access-Control-Max-Age is above what browsers honour (Chromium caps it at 2 hours), so preflights repeat more often than the server intends."
		case "silent-preflight-refusal", "expose-headers-on-preflight", "allow-origin-null":
			rc.Layer, rc.Problem = LayerCORS, string(remedy.ProblemPolicy)
			rc.Summary = "Allowed today, but " + lowerFirst(f.Title) + "."
		default:
			continue
		}
		return rc
	}
	return nil
}

func (x *explainer) statusAt(s Step) int {
	for i := range x.rep.Exchanges {
		if x.rep.Exchanges[i].Step == s && x.rep.Exchanges[i].Response != nil {
			return x.rep.Exchanges[i].Response.Status
		}
	}
	return 0
}

// finish computes the policy and the fix for the chosen stack.
func (x *explainer) finish(rc *RootCause, scores []stackScore) {
	x.policy = x.requiredPolicy()
	rc.Fix.Policy = x.policy
	if rc.Problem == "redirect" {
		rc.Fix.Where = "server"
		rc.Fix.Steps = []string{"Redirect to a plain http(s) URL, without a user name or password in it, and end redirect chains within 20 hops; or let the page call the final URL directly."}
		rc.Fix.Snippet = remedy.Snippet{Stack: rc.Stack.ID, Language: "text"}
		return
	}
	if rc.Problem == "network" || rc.Layer == LayerNetwork {
		rc.Fix.Where = "server"
		rc.Fix.Steps = []string{"Make the server reachable from the browser: check the host name, the port, that the server is running, and its TLS certificate. Then diagnose again."}
		rc.Fix.Snippet = remedy.Snippet{Stack: rc.Stack.ID, Language: "text", Code: ""}
		return
	}
	if rc.Problem == "client" && rc.Fix.Request != nil {
		rc.Fix.Where = "client"
		rc.Fix.Snippet = clientSnippet(*rc.Fix.Request)
		rc.Fix.Steps = []string{"Change the page's fetch() as shown: the server already allows that request, so nothing needs to change on the server."}
		return
	}
	if rc.Problem == "client" {
		rc.Fix.Where = "client"
		rc.Fix.Steps = []string{rc.Summary}
		rc.Fix.Snippet = remedy.Snippet{Language: "text"}
		return
	}
	rc.Fix.Where = "server"
	path := "/"
	if x.target != nil && x.target.Path != "" {
		path = x.target.Path
	}
	adv := remedy.Advise(remedy.Request{Stack: rc.Stack.ID, Problem: remedy.Problem(rc.Problem), Policy: x.policy, Path: path})
	rc.Fix.Snippet = adv.Snippet
	rc.Fix.Steps = adv.Steps
	rc.Fix.Notes = adv.Notes
	if proxy, ok := hasProxyInFront(scores, rc.Stack.ID); ok && rc.Problem != string(remedy.ProblemDuplicateHeaders) {
		if s, ok := remedy.LookupStack(proxy); ok {
			rc.Fix.Notes = append(rc.Fix.Notes, fmt.Sprintf("%s sits in front of the application: configure CORS in one layer only, or the browser gets two Access-Control-Allow-Origin lines.", s.Name))
		}
	}
}

// requiredPolicy is the smallest secure policy that allows the page's
// request, keeping what the server already allows so the fix breaks no
// other client: the page's exact origin (plus an exact origin the server
// already names), its method and headers, credentials when sent.
func (x *explainer) requiredPolicy() remedy.Policy {
	p := remedy.Policy{Origins: []string{x.origin}, Methods: []string{}, Headers: []string{}, ExposeHeaders: []string{}, Credentials: x.creds}
	anyOrigin := false
	for _, list := range [][]Exchange{x.rep.Exchanges, x.rep.Followups} {
		for i := range list {
			r := list[i].Response
			if r == nil {
				continue
			}
			vs := r.values("Access-Control-Allow-Origin")
			if len(vs) == 1 {
				v := strings.TrimSpace(vs[0])
				switch {
				case v == "*":
					anyOrigin = true
				case v != x.origin && isPlainOrigin(v) && list[i].Step.Kind != StepKind(FollowupLabel+": origin "+v):
					if !slices.Contains(p.Origins, v) {
						p.Origins = append(p.Origins, v)
					}
				}
			}
			if list[i].Step.Kind == StepActual {
				if v, ok := r.get("Access-Control-Expose-Headers"); ok {
					items, bad := parseTokenList(v)
					if bad == "" {
						for _, it := range items {
							if it != "*" && !slices.Contains(p.ExposeHeaders, it) {
								p.ExposeHeaders = append(p.ExposeHeaders, it)
							}
						}
					}
				}
			}
			if list[i].Step.Kind == StepActual || list[i].Step.Kind == StepKind(FollowupLabel+": fingerprint") {
				continue
			}
			acam, _ := r.get("Access-Control-Allow-Methods")
			if ms, bad := parseTokenList(acam); bad == "" {
				for _, m := range ms {
					if m != "*" && !isSafelistedMethod(m) && m != "OPTIONS" && !slices.Contains(p.Methods, m) && !strings.EqualFold(m, x.method) {
						p.Methods = append(p.Methods, m)
					}
				}
			}
			acah, _ := r.get("Access-Control-Allow-Headers")
			if hs, bad := parseTokenList(acah); bad == "" {
				for _, h := range hs {
					h = strings.ToLower(h)
					if h != "*" && !slices.Contains(p.Headers, h) {
						p.Headers = append(p.Headers, h)
					}
				}
			}
		}
	}
	if !isSafelistedMethod(x.method) {
		p.Methods = append([]string{x.method}, p.Methods...)
	}
	for _, h := range x.unsafe {
		if !slices.Contains(p.Headers, h) {
			p.Headers = append(p.Headers, h)
		}
	}
	if anyOrigin && !x.creds && len(p.Origins) == 1 {
		p.AnyOrigin = true
	}
	if x.rep.Preflight.Required {
		p.MaxAge = 600
		if pf := x.preflightExchange(); pf != nil {
			if v, ok := pf.Response.get("Access-Control-Max-Age"); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 && n <= 7200 {
					p.MaxAge = n
				}
			}
		}
	}
	return p
}

func (x *explainer) preflightExchange() *Exchange {
	for i := range x.rep.Exchanges {
		ex := &x.rep.Exchanges[i]
		if ex.Step.Kind == StepPreflight && ex.Response != nil {
			return ex
		}
	}
	return nil
}

// isPlainOrigin reports whether v is one serialised http(s) origin.
func isPlainOrigin(v string) bool {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return false
	}
	return !strings.ContainsAny(v, " ,*")
}

// clientSnippet is the page's corrected fetch() call.
func clientSnippet(r Request) remedy.Snippet {
	var b strings.Builder
	fmt.Fprintf(&b, "fetch(%s, {\n", jsString(r.URL))
	if r.Method != "" && r.Method != "GET" {
		fmt.Fprintf(&b, "  method: %s,\n", jsString(r.Method))
	}
	if len(r.Headers) > 0 {
		b.WriteString("  headers: {\n")
		for _, h := range r.Headers {
			fmt.Fprintf(&b, "    %s: %s,\n", jsString(h.Name), jsString(h.Value))
		}
		b.WriteString("  },\n")
	}
	if r.Body != "" {
		fmt.Fprintf(&b, "  body: %s,\n", jsString(r.Body))
	}
	if r.Credentials != "" && r.Credentials != CredentialsSameOrigin {
		fmt.Fprintf(&b, "  credentials: %s,\n", jsString(string(r.Credentials)))
	}
	if r.Mode != "" && r.Mode != ModeCORS {
		fmt.Fprintf(&b, "  mode: %s,\n", jsString(string(r.Mode)))
	}
	b.WriteString("});\n")
	return remedy.Snippet{Language: "javascript", Code: b.String(), Parts: []remedy.Part{{Where: "page", Code: b.String()}}}
}

func jsString(s string) string {
	q := strconv.Quote(s)
	return "'" + strings.ReplaceAll(strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`), "'", `\'`) + "'"
}
