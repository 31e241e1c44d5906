// Package remedy turns a required CORS policy into the change to make in one
// server stack: a ready-to-paste snippet with that stack's real option or
// directive names, the steps around it, and the stack's known traps.
//
// It is its own package because it is a large, pure table of per-stack
// knowledge (23 stacks) that changes for reasons of its own (a framework
// renames an option, a default changes in a new major version), and because
// the real-server suite (realstack) applies its snippets to real servers
// without going through the engine. diagnose decides what the policy must
// be and which stack answered; remedy only renders. It imports nothing of
// corsdoctor.
package remedy

// StackID names a server stack. The list is documented and stable: it is
// part of the JSON schema (root_cause.stack.id, root_cause.fix.snippet.stack)
// and of the `stack` input of the API, the form and the CLI.
type StackID string

// The stacks corsdoctor can detect and write fixes for.
const (
	Nginx             StackID = "nginx"
	Apache            StackID = "apache"
	Caddy             StackID = "caddy"
	ExpressCors       StackID = "express-cors"
	FastifyCors       StackID = "fastify-cors"
	Spring            StackID = "spring"
	DjangoCorsHeaders StackID = "django-cors-headers"
	FlaskCors         StackID = "flask-cors"
	Starlette         StackID = "starlette"
	ASPNetCore        StackID = "aspnetcore"
	RackCors          StackID = "rack-cors"
	RsCors            StackID = "rs-cors"
	GoChiCors         StackID = "go-chi-cors"
	Jub0bsCors        StackID = "jub0bs-cors"
	GorillaHandlers   StackID = "gorilla-handlers"
	GoNetHTTP         StackID = "go-net-http"
	AWSS3             StackID = "aws-s3"
	AWSAPIGateway     StackID = "aws-apigateway"
	AWSCloudFront     StackID = "aws-cloudfront"
	Cloudflare        StackID = "cloudflare"
	Vercel            StackID = "vercel"
	Netlify           StackID = "netlify"
	// Unknown is "raw headers": the exact response headers to send, for any
	// server corsdoctor cannot name.
	Unknown StackID = "unknown"
)

// Stack describes one stack.
type Stack struct {
	ID   StackID `json:"id"`
	Name string  `json:"name"`
	// Language is the snippet's language, for highlighting and file names:
	// nginx, apache, caddyfile, javascript, typescript, python, go, java,
	// csharp, ruby, json, toml, http, text. A Snippet's Language may differ
	// from its Stack's when the fix needs another file kind (Vercel with
	// several origins needs middleware.ts, not vercel.json).
	Language string `json:"language"`
	// Verified is true when the real-server suite (realstack) applies this
	// stack's snippets to a real server and re-checks them in real
	// browsers. The page marks the others "unverified".
	Verified bool `json:"verified"`
}

// Policy is the CORS policy the server must implement for the page's
// request to be allowed: the smallest secure one, computed by diagnose from
// what the page sends and what the server already allows.
type Policy struct {
	// Origins are exact serialised origins ("https://app.example.com").
	// Never "*" when Credentials is set, never a pattern.
	Origins []string `json:"origins"`
	// Methods are the methods to allow, exactly as the page sends them
	// (case matters: fetch() upper-cases only the six standard names).
	Methods []string `json:"methods"`
	// Headers are the request header names to allow, lower-cased.
	Headers []string `json:"headers"`
	// Credentials is true when the page sends credentials: 'include'.
	Credentials bool `json:"credentials"`
	// ExposeHeaders are response header names page JavaScript must read.
	ExposeHeaders []string `json:"expose_headers"`
	// MaxAge is the preflight cache lifetime in seconds; 0 leaves it out.
	MaxAge int `json:"max_age"`
	// AnyOrigin is true for a public, credential-less resource whose
	// server already answers "*": the fix keeps "*" instead of naming
	// origins. Never set together with Credentials.
	AnyOrigin bool `json:"any_origin,omitempty"`
}

// Problem is the root cause the fix must address. It selects the steps and
// traps that accompany the snippet (auth before CORS needs the CORS layer
// moved, not only configured).
type Problem string

// The problems remedy knows how to fix.
const (
	// ProblemPolicy: the CORS layer runs but its configuration refuses the
	// origin, a method, a header or credentials.
	ProblemPolicy Problem = "policy"
	// ProblemNotConfigured: no layer sends CORS headers at all.
	ProblemNotConfigured Problem = "not-configured"
	// ProblemAuthBeforeCORS: authentication answers the preflight (401,
	// 403, or a redirect to a login page) before CORS handling runs.
	ProblemAuthBeforeCORS Problem = "auth-before-cors"
	// ProblemNoPreflightHandler: CORS is applied to the route's methods but
	// nothing answers OPTIONS with CORS headers (404, 405, or a framework's
	// automatic "200 Allow: ..." reply).
	ProblemNoPreflightHandler Problem = "no-preflight-handler"
	// ProblemErrorsWithoutCORS: error responses (4xx, 5xx) skip the CORS
	// headers (nginx add_header without always, Apache Header set without
	// always, a 500 handler outside the middleware).
	ProblemErrorsWithoutCORS Problem = "errors-without-cors"
	// ProblemDuplicateHeaders: two layers (a proxy and the application)
	// both add Access-Control-Allow-Origin.
	ProblemDuplicateHeaders Problem = "duplicate-headers"
	// ProblemPreflightRedirect: the preflight is redirected (http to https,
	// trailing slash, login redirect).
	ProblemPreflightRedirect Problem = "preflight-redirect"
)

// Request is what to write a fix for.
type Request struct {
	Stack   StackID
	Problem Problem
	Policy  Policy
	// Path is the URL path the page calls ("/api/items"), for stacks whose
	// configuration is scoped by path (nginx location, rack-cors resource).
	Path string
}

// Snippet is the ready-to-paste change. Code is the whole text a person
// reads (parts joined, each under a comment saying where it goes); Parts
// are the same pieces with machine-readable places, which realstack uses to
// apply the snippet to a real server. Each stack documents its places in
// Advise's table.
type Snippet struct {
	Stack    StackID `json:"stack"`
	Language string  `json:"language"`
	Code     string  `json:"code"`
	Parts    []Part  `json:"parts,omitempty"`
}

// Part is one piece of a snippet and where it goes.
type Part struct {
	// Where is the stack's place for this piece, e.g. nginx "http" and
	// "location", Express "app" (after `const app = express()`, before any
	// route, authentication or error handler), Go "imports" and "code".
	Where string `json:"where"`
	Code  string `json:"code"`
}

// Advice is the fix for one stack.
type Advice struct {
	Snippet Snippet `json:"snippet"`
	// Steps say what to do with the snippet, in order, including what to
	// remove (a second CORS layer, a misplaced middleware).
	Steps []string `json:"steps"`
	// Notes are the stack's traps and version notes that apply here (for
	// example @fastify/cors v11 allowing only GET, HEAD and POST).
	Notes []string `json:"notes,omitempty"`
}
