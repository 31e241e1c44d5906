package remedy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Advise writes the fix for one stack: the snippet that implements
// r.Policy there, the steps around it and the traps that apply to
// r.Problem. It never returns a snippet that reflects an arbitrary origin,
// sends "*" with credentials or matches origins by pattern: origins are
// listed exactly, and "*" appears only for Policy.AnyOrigin without
// credentials. Values that cannot be a serialised origin, a method or a
// header name are left out (and a note says so), so nothing in a snippet
// comes from the policy unchecked.
//
// Snippet.Parts places, per stack (realstack applies them literally):
//
//	nginx               "http" (map blocks, http{} context), "location" (inside the API's location, before its proxy_pass/return/root)
//	apache              "server" (inside <VirtualHost>; mod_headers, mod_setenvif, mod_rewrite)
//	caddy               "site" (inside one site block, Caddy 2.6+)
//	express-cors        "app" (CommonJS, right after `const app = express();`, before any other middleware)
//	fastify-cors        "app" (CommonJS, right after `const app = require('fastify')();`, before routes)
//	django-cors-headers "settings" (appended at the end of settings.py)
//	flask-cors          "app" (right after `app = Flask(__name__)`)
//	starlette           "app" (after the app object and after its other add_middleware calls)
//	rs-cors, go-chi-cors, jub0bs-cors, gorilla-handlers, go-net-http
//	                    "imports" (quoted import paths, one a line) and "code" (declares func withCORS(next http.Handler) http.Handler)
//	spring              "java" (members of a @Configuration @EnableWebSecurity class)
//	aspnetcore          "services" (before builder.Build()) and "pipeline" (after UseRouting, before UseAuthentication)
//	rack-cors           "initializer" (config/initializers/cors.rb)
//	aws-s3              "cors.json" (put-bucket-cors input)
//	aws-apigateway      "cors-configuration" (HTTP API CorsConfiguration JSON)
//	aws-cloudfront      "response-headers-policy" (ResponseHeadersPolicyConfig JSON)
//	cloudflare          "worker" (a module Worker in front of the origin)
//	vercel              "vercel.json" for one origin or "*"; "middleware.ts" for several origins
//	netlify             "_headers" for one origin or "*"; "netlify/edge-functions/cors.js" for several origins
//	unknown             "preflight-response" and "actual-response" (raw header lines)
func Advise(r Request) Advice {
	st, ok := LookupStack(r.Stack)
	s := newSpec(r)
	if !ok {
		st, _ = LookupStack(Unknown)
		s.notes = append(s.notes, fmt.Sprintf("Stack %q is not one corsdoctor knows; these are the raw headers to send.", r.Stack))
	}
	f := renderers[st.ID](s)
	lang := f.lang
	if lang == "" {
		lang = st.Language
	}
	a := Advice{
		Snippet: Snippet{Stack: st.ID, Language: lang},
		Steps:   append(f.steps, commonSteps(s)...),
		Notes:   append(s.notes, f.notes...),
	}
	prefix := commentPrefix(lang)
	var code strings.Builder
	for i, p := range f.pieces {
		body := strings.TrimRight(p.code, "\n") + "\n"
		a.Snippet.Parts = append(a.Snippet.Parts, Part{Where: p.where, Code: body})
		if i > 0 {
			code.WriteString("\n")
		}
		if prefix != "" && p.about != "" {
			fmt.Fprintf(&code, "%s %s\n", prefix, p.about)
		}
		code.WriteString(body)
	}
	a.Snippet.Code = code.String()
	return a
}

// spec is the policy after validation, in the shapes every renderer needs.
type spec struct {
	stack   StackID
	problem Problem
	path    string

	origins []string // exact origins; empty when anyOrigin
	any     bool     // answer "*" (never with creds)
	methods []string // GET, HEAD, POST, then the policy's other methods, exact case
	extra   []string // the policy's methods other than GET, HEAD and POST
	headers []string // lower-case request header names
	creds   bool
	expose  []string
	maxAge  int // 0: leave it out

	notes []string // what validation changed
}

// preflight reports whether the page's request needs a preflight at all
// (the problems about preflights say it does, whatever the policy).
func (s *spec) preflight() bool {
	switch s.problem {
	case ProblemNoPreflightHandler, ProblemAuthBeforeCORS, ProblemPreflightRedirect:
		return true
	}
	return len(s.extra) > 0 || len(s.headers) > 0
}

// single reports whether one fixed ACAO value fits every allowed origin,
// so static header files (Vercel, Netlify, API Gateway REST) can hold it.
func (s *spec) single() bool { return s.any || len(s.origins) == 1 }

// acao is the static Access-Control-Allow-Origin value for single().
func (s *spec) acao() string {
	if s.any {
		return "*"
	}
	return s.origins[0]
}

var (
	originRE = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$`)
	// tokenRE is stricter than RFC 9110's tchar on purpose: every name
	// that appears in practice fits, and none of '$', '%', '{', quotes or
	// '#' can reach an nginx, Apache or Caddy string.
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
)

var safelistedMethods = []string{"GET", "HEAD", "POST"}

// forbiddenMethods cannot be sent by fetch(), so allowing them is noise
// (and jub0bs/cors rejects the configuration).
var forbiddenMethods = []string{"CONNECT", "TRACE", "TRACK"}

// forbiddenRequestHeaders are the Fetch standard's forbidden request-header
// names: the browser sets them, a page cannot, so they never need allowing.
var forbiddenRequestHeaders = []string{
	"accept-charset", "accept-encoding", "access-control-request-headers",
	"access-control-request-method", "connection", "content-length", "cookie",
	"cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer",
	"set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via",
}

func newSpec(r Request) *spec {
	p := r.Policy
	s := &spec{stack: r.Stack, problem: r.Problem, path: r.Path, creds: p.Credentials}
	if s.problem == "" {
		s.problem = ProblemPolicy
	}
	if p.AnyOrigin && !p.Credentials {
		s.any = true
	} else {
		if p.AnyOrigin {
			s.notes = append(s.notes, `Credentials rule out "*": the fix lists the page's origins instead.`)
		}
		for _, o := range p.Origins {
			switch {
			case o == "*" || o == "null" || !originRE.MatchString(o):
				s.notes = append(s.notes, fmt.Sprintf("Left out %q: only exact serialised origins (scheme://host[:port]) are safe to allow.", o))
			case !slices.Contains(s.origins, o):
				s.origins = append(s.origins, o)
			}
		}
		if len(s.origins) == 0 {
			s.origins = []string{"https://app.example.com"}
			s.notes = append(s.notes, "No usable origin was given: replace https://app.example.com with the page's exact origin.")
		}
	}
	s.methods = append(s.methods, safelistedMethods...)
	for _, m := range p.Methods {
		switch {
		case !tokenRE.MatchString(m):
			s.notes = append(s.notes, fmt.Sprintf("Left out method %q: not a method name.", m))
		case slices.Contains(forbiddenMethods, strings.ToUpper(m)):
			s.notes = append(s.notes, fmt.Sprintf("Left out method %s: browsers never send it.", m))
		case !slices.Contains(s.methods, m):
			s.methods = append(s.methods, m)
			s.extra = append(s.extra, m)
		}
	}
	for _, h := range p.Headers {
		h = strings.ToLower(h)
		switch {
		case !tokenRE.MatchString(h):
			s.notes = append(s.notes, fmt.Sprintf("Left out request header %q: not a header name.", h))
		case slices.Contains(forbiddenRequestHeaders, h) || strings.HasPrefix(h, "proxy-") || strings.HasPrefix(h, "sec-"):
			s.notes = append(s.notes, fmt.Sprintf("Left out request header %s: the browser sets it, so it never needs allowing.", h))
		case !slices.Contains(s.headers, h):
			s.headers = append(s.headers, h)
		}
	}
	for _, h := range p.ExposeHeaders {
		switch {
		case !tokenRE.MatchString(h):
			s.notes = append(s.notes, fmt.Sprintf("Left out exposed header %q: not a header name.", h))
		case strings.EqualFold(h, "set-cookie") || strings.EqualFold(h, "set-cookie2"):
			s.notes = append(s.notes, "Left out Set-Cookie: browsers never expose it to scripts.")
		case !slices.ContainsFunc(s.expose, func(e string) bool { return strings.EqualFold(e, h) }):
			s.expose = append(s.expose, h)
		}
	}
	switch {
	case p.MaxAge > 86400:
		s.maxAge = 86400
		s.notes = append(s.notes, "Max-Age is capped at 86400 s (Firefox's limit; Chromium caps it at 7200 s).")
	case p.MaxAge > 0:
		s.maxAge = p.MaxAge
	}
	for _, m := range s.extra {
		if up := strings.ToUpper(m); m != up && slices.Contains([]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"}, up) {
			s.notes = append(s.notes, fmt.Sprintf("The page sends %q in lower case; fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT, and the method check is case-sensitive. Sending %q from the page is simpler.", m, up))
		}
	}
	return s
}

// commonSteps are the steps that do not depend on the stack.
func commonSteps(s *spec) []string {
	var steps []string
	if s.problem == ProblemPreflightRedirect {
		steps = append(steps, "Make the page call the final URL (scheme, host and trailing slash exactly as the server wants them): browsers do not follow redirects on preflights, and a redirect to a login page is never a CORS answer.")
	}
	if s.creds {
		steps = append(steps, "Cookies sent cross-site also need SameSite=None; Secure on the cookie itself; CORS does not change that.")
	}
	return append(steps, "Run corsdoctor again with the same URL and origin to confirm the fix.")
}

type piece struct {
	where string // Part.Where
	about string // the comment above it in Code: where it goes
	code  string
}

type fix struct {
	lang   string // Snippet.Language when it differs from the stack's
	pieces []piece
	steps  []string
	notes  []string
}

var renderers map[StackID]func(*spec) fix

func init() {
	renderers = map[StackID]func(*spec) fix{
		Nginx:             nginxFix,
		Apache:            apacheFix,
		Caddy:             caddyFix,
		ExpressCors:       expressFix,
		FastifyCors:       fastifyFix,
		Spring:            springFix,
		DjangoCorsHeaders: djangoFix,
		FlaskCors:         flaskFix,
		Starlette:         starletteFix,
		ASPNetCore:        aspnetFix,
		RackCors:          rackFix,
		RsCors:            rsCorsFix,
		GoChiCors:         chiCorsFix,
		Jub0bsCors:        jub0bsFix,
		GorillaHandlers:   gorillaFix,
		GoNetHTTP:         netHTTPFix,
		AWSS3:             s3Fix,
		AWSAPIGateway:     apiGatewayFix,
		AWSCloudFront:     cloudFrontFix,
		Cloudflare:        cloudflareFix,
		Vercel:            vercelFix,
		Netlify:           netlifyFix,
		Unknown:           unknownFix,
	}
}

func commentPrefix(lang string) string {
	switch lang {
	case "javascript", "typescript", "go", "java", "csharp":
		return "//"
	case "json":
		return "" // JSON has no comments: the steps say where it goes
	default:
		return "#"
	}
}

// Quoting helpers. Every value has passed originRE or tokenRE, so none
// contains a quote, a backslash or a newline; the helpers still quote
// properly so that stays true if the checks ever loosen.

// dq quotes s in double quotes with JSON escapes, valid in JavaScript,
// TypeScript, Python, Java, C#, Ruby and JSON.
func dq(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// list joins quoted values with ", ".
func list(vals []string, quote func(string) string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = quote(v)
	}
	return strings.Join(q, ", ")
}

// methodsHeader is the Access-Control-Allow-Methods value.
func (s *spec) methodsHeader() string { return strings.Join(s.methods, ", ") }

// headersHeader is the Access-Control-Allow-Headers value ("" when none).
func (s *spec) headersHeader() string { return strings.Join(s.headers, ", ") }

// exposeHeader is the Access-Control-Expose-Headers value ("" when none).
func (s *spec) exposeHeader() string { return strings.Join(s.expose, ", ") }

// apiPrefix turns the page's path into a prefix pattern for the stacks
// scoped by path: "/api/items" gives "/api/", "/items" gives "/items", ""
// gives "/".
func (s *spec) apiPrefix() string {
	p := s.path
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p == "" || p[0] != '/' || !tokenPathRE.MatchString(p) {
		return "/"
	}
	if i := strings.Index(p[1:], "/"); i >= 0 {
		return p[:i+2]
	}
	return p
}

var tokenPathRE = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)
