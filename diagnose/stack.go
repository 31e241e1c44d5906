package diagnose

import (
	"fmt"
	"net/textproto"
	"slices"
	"strings"

	"corsdoctor/remedy"
)

// Stack detection reads the server's own words: default headers (Server,
// X-Powered-By, platform request IDs), the exact shape CORS middleware gives
// its lists and Vary, default error bodies, and how the server answered the
// follow-up preflights. Each fingerprint is a few points of evidence for one
// stack; the best-scored stack wins, and its score sets the confidence.
// Where the fingerprints come from: peer-survey-2026-12 §1b-1c (middleware
// sources) and the responses of the real servers in realstack.

// fingerprint is one piece of evidence for a stack.
type fingerprint struct {
	stack  remedy.StackID
	points int
	// cors marks evidence about the CORS layer itself (a middleware's list
	// shape or refusal), which beats evidence about the server software
	// when a proxy sits in front of an application.
	cors bool
	// match returns the evidence sentence, or "" when the response does
	// not show it.
	match func(ev *evidenceView) string
}

// evidenceView is every response the diagnosis received, the follow-ups'
// included, with a few derived facts.
type evidenceView struct {
	responses []*Response
	steps     []Step
	// vary and varyLines are each response's Vary items (lower-case) and
	// Vary line count, computed once: four fingerprints read them.
	vary      [][]string
	varyLines []int
}

func newEvidenceView(rep *Report) *evidenceView {
	ev := &evidenceView{}
	for _, list := range [][]Exchange{rep.Exchanges, rep.Followups} {
		for i := range list {
			if list[i].Response != nil {
				ev.responses = append(ev.responses, list[i].Response)
				ev.steps = append(ev.steps, list[i].Step)
				items, lines := varyItems(list[i].Response)
				ev.vary = append(ev.vary, items)
				ev.varyLines = append(ev.varyLines, lines)
			}
		}
	}
	return ev
}

// header finds the first response carrying name whose value satisfies ok,
// and returns that value.
func (ev *evidenceView) header(name string, ok func(v string) bool) (string, bool) {
	for _, r := range ev.responses {
		for _, v := range r.values(name) {
			if ok(v) {
				return v, true
			}
		}
	}
	return "", false
}

func (ev *evidenceView) headerPrefix(name, prefix string) string {
	v, ok := ev.header(name, func(v string) bool {
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), strings.ToLower(prefix))
	})
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s: %s", name, v)
}

func (ev *evidenceView) has(name string) string {
	v, ok := ev.header(name, func(string) bool { return true })
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s: %s", name, clipEvidence(v))
}

// body finds a response body containing s.
func (ev *evidenceView) body(s string) string {
	for i, r := range ev.responses {
		if strings.Contains(r.Body, s) {
			return fmt.Sprintf("the %s response body says %q (status %d)", ev.steps[i].String(), clipEvidence(s), r.Status)
		}
	}
	return ""
}

// exactHeader matches a header value exactly (after trimming).
func (ev *evidenceView) exactHeader(name, value, why string) string {
	if _, ok := ev.header(name, func(v string) bool { return strings.TrimSpace(v) == value }); ok {
		return fmt.Sprintf("%s: %s (%s)", name, value, why)
	}
	return ""
}

// preflightVary calls ok with the Vary items and line count of each
// preflight-like (OPTIONS) response until it returns true.
func (ev *evidenceView) preflightVary(ok func(items []string, lines int) bool) bool {
	for i := range ev.responses {
		if ev.steps[i].Kind != StepActual && ok(ev.vary[i], ev.varyLines[i]) {
			return true
		}
	}
	return false
}

func clipEvidence(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// varyItems flattens a response's Vary lines into lower-case items, and
// counts its lines.
func varyItems(r *Response) ([]string, int) {
	var items []string
	lines := r.values("Vary")
	for _, l := range lines {
		for _, it := range strings.Split(l, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, strings.ToLower(it))
			}
		}
	}
	return items, len(lines)
}

// rsCorsVary is the Vary rs/cors and its fork go-chi/cors put on preflights.
var rsCorsVary = []string{"origin", "access-control-request-method", "access-control-request-headers"}

var fingerprints = []fingerprint{
	// Servers and proxies.
	{stack: remedy.Nginx, points: 3, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "nginx") }},
	{stack: remedy.Nginx, points: 2, match: func(ev *evidenceView) string { return ev.body("<center>nginx") }},
	{stack: remedy.Apache, points: 3, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "Apache") }},
	{stack: remedy.Apache, points: 2, match: func(ev *evidenceView) string { return ev.body("<address>Apache") }},
	{stack: remedy.Caddy, points: 3, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "Caddy") }},
	{stack: remedy.ASPNetCore, points: 3, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "Kestrel") }},
	{stack: remedy.ASPNetCore, points: 1, match: func(ev *evidenceView) string { return ev.headerPrefix("X-Powered-By", "ASP.NET") }},

	// Platforms and clouds.
	{stack: remedy.AWSS3, points: 4, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "AmazonS3") }},
	{stack: remedy.AWSS3, points: 4, cors: true, match: func(ev *evidenceView) string { return ev.body("CORSResponse") }},
	{stack: remedy.AWSS3, points: 2, match: func(ev *evidenceView) string { return ev.has("X-Amz-Request-Id") }},
	{stack: remedy.AWSAPIGateway, points: 4, match: func(ev *evidenceView) string { return ev.has("Apigw-Requestid") }},
	{stack: remedy.AWSAPIGateway, points: 4, match: func(ev *evidenceView) string { return ev.has("X-Amz-Apigw-Id") }},
	{stack: remedy.AWSAPIGateway, points: 2, match: func(ev *evidenceView) string { return ev.has("X-Amzn-Requestid") }},
	{stack: remedy.AWSCloudFront, points: 3, match: func(ev *evidenceView) string { return ev.has("X-Amz-Cf-Id") }},
	{stack: remedy.AWSCloudFront, points: 2, match: func(ev *evidenceView) string {
		if v, ok := ev.header("Via", func(v string) bool { return strings.Contains(strings.ToLower(v), "cloudfront") }); ok {
			return "Via: " + clipEvidence(v)
		}
		return ""
	}},
	{stack: remedy.Cloudflare, points: 3, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "cloudflare") }},
	{stack: remedy.Cloudflare, points: 2, match: func(ev *evidenceView) string { return ev.has("CF-Ray") }},
	{stack: remedy.Cloudflare, points: 3, match: func(ev *evidenceView) string {
		if v, ok := ev.header("Location", func(v string) bool { return strings.Contains(v, "cloudflareaccess.com") }); ok {
			return "a redirect to Cloudflare Access (" + clipEvidence(v) + ")"
		}
		return ""
	}},
	{stack: remedy.Vercel, points: 3, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "Vercel") }},
	{stack: remedy.Vercel, points: 3, match: func(ev *evidenceView) string { return ev.has("X-Vercel-Id") }},
	{stack: remedy.Netlify, points: 3, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "Netlify") }},
	{stack: remedy.Netlify, points: 3, match: func(ev *evidenceView) string { return ev.has("X-Nf-Request-Id") }},

	// Node.
	{stack: remedy.ExpressCors, points: 2, match: func(ev *evidenceView) string { return ev.headerPrefix("X-Powered-By", "Express") }},
	{stack: remedy.ExpressCors, points: 3, cors: true, match: func(ev *evidenceView) string {
		return ev.exactHeader("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE", "the cors package's default methods")
	}},
	{stack: remedy.ExpressCors, points: 3, cors: true, match: func(ev *evidenceView) string { return ev.body("Not allowed by CORS") }},
	{stack: remedy.ExpressCors, points: 2, match: expressAutomaticOptions},
	{stack: remedy.FastifyCors, points: 3, cors: true, match: func(ev *evidenceView) string {
		return ev.exactHeader("Access-Control-Allow-Methods", "GET,HEAD,POST", "@fastify/cors v11's default methods")
	}},
	{stack: remedy.FastifyCors, points: 2, match: func(ev *evidenceView) string { return ev.body(`"statusCode":`) }},
	{stack: remedy.FastifyCors, points: 2, match: func(ev *evidenceView) string {
		return ev.exactHeader("Keep-Alive", "timeout=72", "Fastify's default keep-alive timeout")
	}},
	{stack: remedy.FastifyCors, points: 1, cors: true, match: func(ev *evidenceView) string {
		if ev.preflightVary(func(items []string, _ int) bool {
			return slices.Equal(items, []string{"access-control-request-headers"})
		}) {
			return "Vary: Access-Control-Request-Headers alone on the preflight (@fastify/cors)"
		}
		return ""
	}},

	// Python.
	{stack: remedy.DjangoCorsHeaders, points: 3, cors: true, match: func(ev *evidenceView) string {
		return ev.exactHeader("Access-Control-Allow-Methods", "DELETE, GET, OPTIONS, PATCH, POST, PUT", "django-cors-headers' default methods")
	}},
	{stack: remedy.DjangoCorsHeaders, points: 2, match: func(ev *evidenceView) string {
		if ev.exactHeader("Cross-Origin-Opener-Policy", "same-origin", "") != "" && ev.exactHeader("X-Frame-Options", "DENY", "") != "" {
			return "Cross-Origin-Opener-Policy: same-origin and X-Frame-Options: DENY (Django's security middleware defaults)"
		}
		return ""
	}},
	{stack: remedy.DjangoCorsHeaders, points: 2, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "WSGIServer") }},
	{stack: remedy.FlaskCors, points: 3, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "Werkzeug") }},
	{stack: remedy.Starlette, points: 3, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "uvicorn") }},
	{stack: remedy.Starlette, points: 4, cors: true, match: func(ev *evidenceView) string { return ev.body("Disallowed CORS") }},

	// JVM.
	{stack: remedy.Spring, points: 4, cors: true, match: func(ev *evidenceView) string { return ev.body("Invalid CORS request") }},
	{stack: remedy.Spring, points: 1, match: func(ev *evidenceView) string {
		return ev.exactHeader("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate", "Spring Security's default")
	}},

	// Ruby.
	{stack: remedy.RackCors, points: 1, match: func(ev *evidenceView) string { return ev.has("X-Runtime") }},
	{stack: remedy.RackCors, points: 1, match: func(ev *evidenceView) string { return ev.headerPrefix("Server", "Puma") }},

	// Go.
	{stack: remedy.RsCors, points: 3, cors: true, match: func(ev *evidenceView) string {
		if ev.preflightVary(func(items []string, lines int) bool { return lines == 1 && slices.Equal(items, rsCorsVary) }) {
			return "one Vary line \"Origin, Access-Control-Request-Method, Access-Control-Request-Headers\" on a preflight (rs/cors)"
		}
		return ""
	}},
	{stack: remedy.GoChiCors, points: 3, cors: true, match: func(ev *evidenceView) string {
		if ev.preflightVary(func(items []string, lines int) bool { return lines == 3 && slices.Equal(items, rsCorsVary) }) {
			return "three Vary lines Origin, Access-Control-Request-Method, Access-Control-Request-Headers on a preflight (go-chi/cors)"
		}
		return ""
	}},
	{stack: remedy.Jub0bsCors, points: 3, cors: true, match: func(ev *evidenceView) string {
		if ev.preflightVary(func(items []string, _ int) bool {
			return slices.Contains(items, "access-control-request-private-network")
		}) {
			return "Vary names Access-Control-Request-Private-Network (jub0bs/cors)"
		}
		return ""
	}},
	{stack: remedy.GorillaHandlers, points: 3, cors: true, match: gorillaEmptyRefusal},
	{stack: remedy.GoNetHTTP, points: 2, match: func(ev *evidenceView) string { return ev.body("404 page not found") }},
	{stack: remedy.GoNetHTTP, points: 1, match: goDefaultHeaders},
	{stack: remedy.GoNetHTTP, points: 2, match: goHeaderOrder},
}

// expressAutomaticOptions is Express's own answer to OPTIONS on a route
// without an OPTIONS handler: 200, an Allow header, and the same list as
// the body.
func expressAutomaticOptions(ev *evidenceView) string {
	for i, r := range ev.responses {
		if ev.steps[i].Kind == StepActual || r.Status != 200 {
			continue
		}
		allow, ok := r.get("Allow")
		if ok && strings.TrimSpace(r.Body) == strings.TrimSpace(allow) && !hasAnyCORSHeader(r) {
			return fmt.Sprintf("OPTIONS answered 200 with Allow: %s and the same list as its body, without CORS headers (Express's automatic OPTIONS reply)", clipEvidence(allow))
		}
	}
	return ""
}

// gorillaEmptyRefusal is gorilla/handlers' refusal: 403 (or 405 for a
// method) with an empty body and no header beyond the basics.
func gorillaEmptyRefusal(ev *evidenceView) string {
	for i, r := range ev.responses {
		if ev.steps[i].Kind == StepActual || (r.Status != 403 && r.Status != 405) || strings.TrimSpace(r.Body) != "" || hasAnyCORSHeader(r) {
			continue
		}
		extra := false
		for _, h := range r.Headers {
			switch strings.ToLower(h.Name) {
			case "date", "content-length", "connection", "keep-alive", "content-type":
			default:
				extra = true
			}
		}
		if !extra {
			return fmt.Sprintf("an empty %d to OPTIONS with only Date and Content-Length (gorilla/handlers' refusal)", r.Status)
		}
	}
	return ""
}

// goDefaultHeaders notices net/http's signature: no Server header at all,
// and http.Error's "X-Content-Type-Options: nosniff" with text/plain.
func goDefaultHeaders(ev *evidenceView) string {
	for _, r := range ev.responses {
		if _, ok := r.get("Server"); ok {
			return ""
		}
	}
	for _, r := range ev.responses {
		ct, _ := r.get("Content-Type")
		nosniff, _ := r.get("X-Content-Type-Options")
		if ct == "text/plain; charset=utf-8" && nosniff == "nosniff" {
			return "no Server header, and an error in text/plain; charset=utf-8 with X-Content-Type-Options: nosniff (Go's http.Error)"
		}
	}
	return ""
}

// goHeaderOrder notices how net/http writes a response head: the
// handler's headers in canonical form, sorted by name (Header.Write sorts
// them), then the Date and framing headers the server adds itself, and no
// Server header at all. Node, Python and the proxies all break one of
// these.
func goHeaderOrder(ev *evidenceView) string {
	sortedBlock := false
	for _, r := range ev.responses {
		names := make([]string, 0, len(r.Headers))
		for _, h := range r.Headers {
			names = append(names, h.Name)
		}
		end := len(names)
		for end > 0 {
			switch names[end-1] {
			case "Date", "Content-Length", "Transfer-Encoding", "Connection":
				end--
				continue
			}
			break
		}
		if end == len(names) || !slices.Contains(names[end:], "Date") {
			return ""
		}
		user := names[:end]
		for i, n := range user {
			if n == "Server" || n != textproto.CanonicalMIMEHeaderKey(n) || (i > 0 && user[i-1] > n) {
				return ""
			}
		}
		if len(user) >= 2 {
			sortedBlock = true
		}
	}
	if !sortedBlock {
		return ""
	}
	return "every response lists its headers sorted by name, then Date and Content-Length, with no Server header (Go's net/http)"
}

// proxyStacks are the stacks that usually sit in front of an application.
var proxyStacks = map[remedy.StackID]bool{
	remedy.Nginx: true, remedy.Apache: true, remedy.Caddy: true,
	remedy.AWSCloudFront: true, remedy.Cloudflare: true, remedy.Vercel: true, remedy.Netlify: true,
}

// stackScore is one candidate's evidence.
type stackScore struct {
	id       remedy.StackID
	points   int
	cors     bool
	evidence []string
}

// detectStack scores every fingerprint and names the best candidate. The
// CORS layer's own fingerprints win over the server software's: behind
// nginx, an rs/cors refusal is rs/cors's to fix.
func detectStack(rep *Report) (StackGuess, []stackScore) {
	ev := newEvidenceView(rep)
	scores := map[remedy.StackID]*stackScore{}
	var order []remedy.StackID
	for _, fp := range fingerprints {
		e := fp.match(ev)
		if e == "" {
			continue
		}
		s, ok := scores[fp.stack]
		if !ok {
			s = &stackScore{id: fp.stack}
			scores[fp.stack] = s
			order = append(order, fp.stack)
		}
		s.points += fp.points
		s.cors = s.cors || fp.cors
		s.evidence = append(s.evidence, e)
	}
	var all []stackScore
	for _, id := range order {
		all = append(all, *scores[id])
	}
	slices.SortStableFunc(all, func(a, b stackScore) int {
		if a.cors != b.cors {
			if a.cors {
				return -1
			}
			return 1
		}
		return b.points - a.points
	})
	if len(all) == 0 {
		return guessFor(remedy.Unknown, "none", nil), nil
	}
	best := all[0]
	conf := "low"
	switch {
	case best.points >= 5 || (best.cors && best.points >= 3):
		conf = "high"
	case best.points >= 3:
		conf = "medium"
	}
	return guessFor(best.id, conf, best.evidence), all
}

func guessFor(id remedy.StackID, confidence string, evidence []string) StackGuess {
	g := StackGuess{ID: id, Confidence: confidence, Evidence: evidence}
	if g.Evidence == nil {
		g.Evidence = []string{}
	}
	if s, ok := remedy.LookupStack(id); ok {
		g.Name = s.Name
		g.Verified = s.Verified
	}
	return g
}

// hasProxyInFront reports whether a proxy stack other than the chosen one
// left its fingerprint, e.g. Server: nginx in front of Express.
func hasProxyInFront(scores []stackScore, chosen remedy.StackID) (remedy.StackID, bool) {
	for _, s := range scores {
		if s.id != chosen && proxyStacks[s.id] {
			return s.id, true
		}
	}
	return "", false
}
