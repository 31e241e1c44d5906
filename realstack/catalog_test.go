package realstack

import (
	"strings"

	"corsdoctor/remedy"
)

// Case is one real misconfiguration: an app in one stack, the page's
// fetch() that it breaks, and what corsdoctor must say about it.
type Case struct {
	Name  string
	Stack remedy.StackID
	// Why is the misconfiguration in one line, as people make it.
	Why string

	// The page's fetch(): Path on the server (default /api/items),
	// Method exactly as passed to fetch() (default GET), Headers, and
	// Credentials (default same-origin).
	Path        string
	Method      string
	Headers     [][2]string
	Credentials string

	// App holds app features the fix keeps: "auth" (requests without an
	// Authorization header get 401), "upstream" ("cors": the app behind
	// the proxy sends its own CORS headers), "nginx-location", and
	// "method-routes" (Go: method-specific ServeMux patterns).
	App map[string]string
	// Broken is the misconfiguration: text for the stack's places and
	// slots (templates over the same data: {{.Page}}, {{.PagePort}}).
	Broken map[string]string

	// Expected diagnosis. Problems lists the acceptable root causes, the
	// preferred first; Where is "server" or "client".
	Problems []string
	Where    string
	// AlsoStacks are other stacks corsdoctor may name because the
	// evidence cannot tell them apart (the preflight never reaches the
	// middleware); their snippets must fix this app too.
	AlsoStacks []remedy.StackID

	// ClientFix is the corrected request for the reference fix (used
	// only while the engine gives no root cause).
	ClientFix func(r *pageRequest)
}

func (c *Case) path() string {
	if c.Path == "" {
		return "/api/items"
	}
	return c.Path
}

func (c *Case) method() string {
	if c.Method == "" {
		return "GET"
	}
	return c.Method
}

func (c *Case) credentials() string {
	if c.Credentials == "" {
		return "same-origin"
	}
	return c.Credentials
}

var (
	jsonCT = [2]string{"Content-Type", "application/json"}
	bearer = [2]string{"Authorization", "Bearer realstack"}
	apiKey = [2]string{"X-Api-Key", "realstack"}
)

const (
	onServer = "server"
	onClient = "client"
)

func problems(p ...remedy.Problem) []string {
	out := make([]string, len(p))
	for i, x := range p {
		out[i] = string(x)
	}
	return out
}

var (
	policy        = problems(remedy.ProblemPolicy)
	notConfigured = problems(remedy.ProblemNotConfigured)
	authFirst     = problems(remedy.ProblemAuthBeforeCORS)
	noPreflight   = problems(remedy.ProblemNoPreflightHandler)
	onErrors      = problems(remedy.ProblemErrorsWithoutCORS)
	// policyOrSilent: middleware that send nothing at all to an origin
	// they refuse look unconfigured from outside.
	policyOrSilent = problems(remedy.ProblemPolicy, remedy.ProblemNotConfigured)
	// unseenOrNoPreflight: CORS applied to the routes only, with nothing
	// CORS-shaped in any answer to OPTIONS, looks unconfigured from
	// outside; only the actual request, which the failed preflight
	// forbids, would show it. The fix is the same.
	unseenOrNoPreflight = problems(remedy.ProblemNoPreflightHandler, remedy.ProblemNotConfigured)
)

// nginx: a working CORS block for one origin, and the pieces of the usual
// mistakes.
const (
	nginxCredentialed = `            add_header Access-Control-Allow-Origin {{.Page}};
            add_header Access-Control-Allow-Credentials true;
            add_header Vary Origin;`
)

// catalog is every case. Stacks with fewer than four cases have fewer
// real-world ways to break that differ in kind.
var catalog = []*Case{
	// ---- nginx in front of an application ----
	{
		Name: "nginx-no-cors", Stack: remedy.Nginx,
		Why:    "nginx proxies the API and nothing adds CORS headers",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Problems: notConfigured, Where: onServer,
	},
	{
		Name: "nginx-add-header-without-always-404", Stack: remedy.Nginx,
		Why:    "add_header without always: the preflight (204) has CORS headers, the upstream's 404 does not",
		Path:   "/api/missing",
		Method: "PUT", Headers: [][2]string{jsonCT}, Credentials: "include",
		Broken: map[string]string{"location": nginxCredentialed + `
            add_header Access-Control-Allow-Methods "GET, PUT";
            add_header Access-Control-Allow-Headers "Content-Type";
            if ($request_method = OPTIONS) {
                return 204;
            }`},
		Problems: onErrors, Where: onServer,
	},
	{
		Name: "nginx-add-header-without-always-401", Stack: remedy.Nginx,
		Why:  "add_header without always: the upstream's 401 goes out without CORS headers",
		Path: "/api/private", Credentials: "include",
		Broken:   map[string]string{"location": nginxCredentialed},
		Problems: onErrors, Where: onServer,
	},
	{
		Name: "nginx-and-app-both-add-allow-origin", Stack: remedy.Nginx,
		Why:         "nginx adds Access-Control-Allow-Origin and so does the application behind it",
		Credentials: "include",
		App:         map[string]string{"upstream": "cors"},
		Broken: map[string]string{"location": `            add_header Access-Control-Allow-Origin {{.Page}} always;
            add_header Access-Control-Allow-Credentials true always;`},
		Problems: problems(remedy.ProblemDuplicateHeaders), Where: onServer,
	},
	{
		Name: "nginx-if-block-drops-inherited-headers", Stack: remedy.Nginx,
		Why:    "add_header inside `if` replaces the location's add_header, so the 204 preflight has no Allow-Origin",
		Method: "PUT", Headers: [][2]string{jsonCT}, Credentials: "include",
		Broken: map[string]string{"location": `            add_header Access-Control-Allow-Origin {{.Page}} always;
            add_header Access-Control-Allow-Credentials true always;
            if ($request_method = OPTIONS) {
                add_header Access-Control-Allow-Methods "GET, POST, PUT, DELETE" always;
                add_header Access-Control-Allow-Headers "Content-Type, Authorization" always;
                return 204;
            }`},
		Problems: problems(remedy.ProblemNoPreflightHandler, remedy.ProblemPolicy), Where: onServer,
	},
	{
		Name: "nginx-hard-coded-production-origin", Stack: remedy.Nginx,
		Why: "the allowed origin is the production site, not the page's",
		Broken: map[string]string{"location": `            add_header Access-Control-Allow-Origin https://app.example.com always;
            add_header Vary Origin always;`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "nginx-wildcard-with-credentials", Stack: remedy.Nginx,
		Why:         "Access-Control-Allow-Origin: * on a request made with credentials: 'include'",
		Credentials: "include",
		Broken:      map[string]string{"location": `            add_header Access-Control-Allow-Origin * always;`},
		// Allowing the origin with credentials (server) and dropping
		// credentials from a public resource (client) both fix it.
		Problems: problems(remedy.ProblemPolicy, "client"), Where: "",
		ClientFix: func(r *pageRequest) { r.Credentials = "same-origin" },
	},
	{
		Name: "nginx-options-reaches-the-app", Stack: remedy.Nginx,
		Why:    "CORS headers are added with always but OPTIONS is proxied to an app that answers 405",
		Method: "DELETE",
		Broken: map[string]string{"location": `            add_header Access-Control-Allow-Origin {{.Page}} always;
            add_header Access-Control-Allow-Methods "GET, POST, PUT, DELETE" always;
            add_header Vary Origin always;`},
		Problems: noPreflight, Where: onServer,
	},
	{
		Name: "nginx-trailing-slash-redirects-preflight", Stack: remedy.Nginx,
		Why:    "the location is /api/items/, so nginx answers /api/items with a 301, preflight included",
		Method: "PUT", Headers: [][2]string{jsonCT}, Credentials: "include",
		App: map[string]string{"nginx-location": "/api/items/"},
		Broken: map[string]string{"location": `            add_header Access-Control-Allow-Origin {{.Page}} always;
            add_header Access-Control-Allow-Credentials true always;
            add_header Access-Control-Allow-Methods "GET, PUT" always;
            add_header Access-Control-Allow-Headers "Content-Type" always;
            add_header Vary Origin always;
            if ($request_method = OPTIONS) {
                return 204;
            }`},
		Problems: problems("client", remedy.ProblemPreflightRedirect), Where: onClient,
		ClientFix: func(r *pageRequest) { r.URL += "/" },
	},

	// ---- Apache httpd (mod_headers) in front of an application ----
	{
		Name: "apache-header-set-without-always-401", Stack: remedy.Apache,
		Why:  "Header set (no always) covers 2xx only: with ProxyErrorOverride, Apache's own 401 page has no CORS headers",
		Path: "/api/private", Credentials: "include",
		App: map[string]string{"apache-error-override": "1"},
		Broken: map[string]string{"server": `    Header set Access-Control-Allow-Origin "{{.Page}}"
    Header set Access-Control-Allow-Credentials "true"`},
		Problems: onErrors, Where: onServer,
	},
	{
		Name: "apache-no-cors", Stack: remedy.Apache,
		Why:    "Apache proxies the API and nothing adds CORS headers",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Problems: notConfigured, Where: onServer,
	},
	{
		Name: "apache-hard-coded-production-origin", Stack: remedy.Apache,
		Why:      "the allowed origin is the production site, not the page's",
		Broken:   map[string]string{"server": `Header always set Access-Control-Allow-Origin "https://app.example.com"`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "apache-missing-allow-credentials", Stack: remedy.Apache,
		Why:         "the origin is allowed but Access-Control-Allow-Credentials is missing",
		Credentials: "include",
		Broken:      map[string]string{"server": `Header always set Access-Control-Allow-Origin "{{.Page}}"`},
		Problems:    policy, Where: onServer,
	},
	{
		Name: "apache-options-reaches-the-app", Stack: remedy.Apache,
		Why:    "CORS headers are set but nothing answers OPTIONS, so the app's 405 is the preflight answer",
		Method: "DELETE",
		Broken: map[string]string{"server": `Header always set Access-Control-Allow-Origin "{{.Page}}"
Header always set Access-Control-Allow-Methods "GET, POST, PUT, DELETE"`},
		Problems: noPreflight, Where: onServer,
	},

	// ---- Caddy in front of an application ----
	{
		Name: "caddy-no-respond-for-options", Stack: remedy.Caddy,
		Why:    "header directives without `respond` for OPTIONS: the preflight reaches the app (405)",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken: map[string]string{"site": `    header {
        Access-Control-Allow-Origin "{{.Page}}"
        Access-Control-Allow-Methods "GET, PUT"
        Access-Control-Allow-Headers "Content-Type"
    }`},
		Problems: noPreflight, Where: onServer,
	},
	{
		Name: "caddy-no-cors", Stack: remedy.Caddy,
		Why:         "Caddy proxies the API and nothing adds CORS headers",
		Credentials: "include",
		Problems:    notConfigured, Where: onServer,
	},
	{
		Name: "caddy-hard-coded-production-origin", Stack: remedy.Caddy,
		Why: "the allowed origin is the production site, not the page's",
		Broken: map[string]string{"site": `    header Access-Control-Allow-Origin "https://app.example.com"
    @preflight method OPTIONS
    respond @preflight 204`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "caddy-method-not-listed", Stack: remedy.Caddy,
		Why:    "the preflight answer lists GET and POST; the page sends DELETE",
		Method: "DELETE",
		Broken: map[string]string{"site": `    header {
        Access-Control-Allow-Origin "{{.Page}}"
        Access-Control-Allow-Methods "GET, POST"
    }
    @preflight method OPTIONS
    respond @preflight 204`},
		Problems: policy, Where: onServer,
	},

	// ---- Express 5 + cors ----
	{
		Name: "express-cors-on-routes-only", Stack: remedy.ExpressCors,
		Why:    "cors() is passed to the routes only, so OPTIONS gets Express's automatic 200 with Allow and no CORS",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken: map[string]string{
			"before-auth": `const cors = require('cors');`,
			"route":       `cors({ origin: '{{.Page}}' }), `,
		},
		Problems: unseenOrNoPreflight, Where: onServer,
	},
	{
		Name: "express-auth-before-cors", Stack: remedy.ExpressCors,
		Why:     "the authentication middleware runs before cors(), so the preflight gets 401",
		Headers: [][2]string{bearer},
		App:     map[string]string{"auth": "1"},
		Broken: map[string]string{"after-auth": `const cors = require('cors');
app.use(cors({ origin: '{{.Page}}' }));`},
		Problems: authFirst, Where: onServer,
	},
	{
		Name: "express-origin-callback-throws", Stack: remedy.ExpressCors,
		Why: "the origin callback rejects with new Error('Not allowed by CORS'): Express answers 500",
		Broken: map[string]string{"before-auth": `const cors = require('cors');
const allowed = ['https://app.example.com'];
app.use(cors({
  origin(origin, callback) {
    if (!origin || allowed.includes(origin)) callback(null, true);
    else callback(new Error('Not allowed by CORS'));
  },
}));`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "express-default-origin-with-credentials", Stack: remedy.ExpressCors,
		Why:         "cors({ credentials: true }) keeps the default origin '*', which credentials forbid",
		Credentials: "include",
		Broken: map[string]string{"before-auth": `const cors = require('cors');
app.use(cors({ credentials: true }));`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "express-missing-credentials", Stack: remedy.ExpressCors,
		Why:         "the origin is allowed but credentials: true is missing",
		Credentials: "include",
		Broken: map[string]string{"before-auth": `const cors = require('cors');
app.use(cors({ origin: '{{.Page}}' }));`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "express-localhost-but-page-on-127", Stack: remedy.ExpressCors,
		Why:    "the origin list has http://localhost:PORT but the page runs on http://127.0.0.1:PORT",
		Method: "PATCH", Headers: [][2]string{jsonCT}, Credentials: "include",
		Broken: map[string]string{"before-auth": `const cors = require('cors');
app.use(cors({ origin: ['http://localhost:{{.PagePort}}'], credentials: true }));`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "express-no-cors", Stack: remedy.ExpressCors,
		Why:      "the cors package is not used",
		Method:   "DELETE",
		Problems: notConfigured, Where: onServer,
	},

	// ---- Fastify 5 + @fastify/cors 11 ----
	{
		Name: "fastify-cors-v11-default-methods", Stack: remedy.FastifyCors,
		Why:    "@fastify/cors v11 allows only GET, HEAD and POST by default: PUT breaks after the upgrade",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken:   map[string]string{"before-auth": `app.register(require('@fastify/cors'), { origin: '{{.Page}}' });`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "fastify-hard-coded-production-origin", Stack: remedy.FastifyCors,
		Why:      "the allowed origin is the production site, not the page's",
		Broken:   map[string]string{"before-auth": `app.register(require('@fastify/cors'), { origin: 'https://app.example.com' });`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "fastify-missing-credentials", Stack: remedy.FastifyCors,
		Why:         "the origin is allowed but credentials: true is missing",
		Credentials: "include",
		Broken:      map[string]string{"before-auth": `app.register(require('@fastify/cors'), { origin: ['{{.Page}}'] });`},
		Problems:    policy, Where: onServer,
	},
	{
		Name: "fastify-allowed-headers-without-authorization", Stack: remedy.FastifyCors,
		Why:    "allowedHeaders lists Content-Type only; the page also sends Authorization",
		Method: "PUT", Headers: [][2]string{jsonCT, bearer},
		Broken: map[string]string{"before-auth": `app.register(require('@fastify/cors'), {
  origin: '{{.Page}}',
  methods: ['GET', 'PUT'],
  allowedHeaders: ['Content-Type'],
});`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "fastify-auth-hook-before-cors", Stack: remedy.FastifyCors,
		Why:      "an onRequest authentication hook registered before the plugin answers the preflight with 401",
		Headers:  [][2]string{bearer},
		App:      map[string]string{"auth": "1"},
		Broken:   map[string]string{"after-auth": `app.register(require('@fastify/cors'), { origin: '{{.Page}}' });`},
		Problems: authFirst, Where: onServer,
	},

	// ---- rs/cors ----
	{
		Name: "rs-cors-default-refuses-put", Stack: remedy.RsCors,
		Why:    "cors.Default() allows GET, POST and HEAD only",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken:   rsCors(`cors.Default()`),
		Problems: policy, Where: onServer,
	},
	{
		Name: "rs-cors-missing-allow-credentials", Stack: remedy.RsCors,
		Why:         "AllowCredentials is not set",
		Credentials: "include",
		Broken:      rsCors(`cors.New(cors.Options{AllowedOrigins: []string{"{{.Page}}"}})`),
		Problems:    policy, Where: onServer,
	},
	{
		Name: "rs-cors-authorization-not-allowed", Stack: remedy.RsCors,
		Why:      "AllowedHeaders defaults to Accept, Content-Type and X-Requested-With; the page sends Authorization",
		Headers:  [][2]string{bearer},
		Broken:   rsCors(`cors.New(cors.Options{AllowedOrigins: []string{"{{.Page}}"}})`),
		Problems: policy, Where: onServer,
	},
	{
		Name: "rs-cors-auth-before-cors", Stack: remedy.RsCors,
		Why:     "the authentication wrapper runs outside the CORS handler, so the preflight gets 401",
		Headers: [][2]string{bearer},
		App:     map[string]string{"auth": "1"},
		Broken: withServe(rsCors(`cors.New(cors.Options{AllowedOrigins: []string{"{{.Page}}"}, AllowedHeaders: []string{"Authorization"}})`),
			"requireAuth(withCORS(mux))"),
		Problems: authFirst, Where: onServer,
		// The 401 comes from the app's own Go code; rs/cors never runs.
		AlsoStacks: []remedy.StackID{remedy.GoNetHTTP},
	},

	// ---- go-chi/cors ----
	{
		Name: "go-chi-cors-lower-case-patch", Stack: remedy.GoChiCors,
		Why:    "fetch() sends `patch` as written; go-chi/cors answers PATCH, which browsers compare case-sensitively",
		Method: "patch", Headers: [][2]string{jsonCT},
		Broken: goChiCors(`cors.Options{
		AllowedOrigins: []string{"{{.Page}}"},
		AllowedMethods: []string{"GET", "POST", "PATCH"},
		AllowedHeaders: []string{"Content-Type"},
	}`),
		Problems: []string{"client"}, Where: onClient,
		ClientFix: func(r *pageRequest) { r.Method = "PATCH" },
	},
	{
		Name: "go-chi-cors-hard-coded-production-origin", Stack: remedy.GoChiCors,
		Why:      "the allowed origin is the production site, not the page's",
		Method:   "DELETE",
		Broken:   goChiCors(`cors.Options{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "DELETE"}}`),
		Problems: policyOrSilent, Where: onServer,
	},
	{
		Name: "go-chi-cors-content-type-not-allowed", Stack: remedy.GoChiCors,
		Why:    "AllowedHeaders lists Accept only; the page sends Content-Type: application/json",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken: goChiCors(`cors.Options{
		AllowedOrigins: []string{"{{.Page}}"},
		AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"Accept"},
	}`),
		Problems: policy, Where: onServer,
	},

	// ---- gorilla/handlers ----
	{
		Name: "gorilla-handlers-defaults-refuse-put", Stack: remedy.GorillaHandlers,
		Why:    "handlers.CORS() allows GET, HEAD and POST and a few headers",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken:   gorilla(`handlers.CORS()`),
		Problems: policy, Where: onServer,
	},
	{
		Name: "gorilla-handlers-missing-allow-credentials", Stack: remedy.GorillaHandlers,
		Why:         "AllowCredentials() is missing",
		Credentials: "include",
		Broken:      gorilla(`handlers.CORS(handlers.AllowedOrigins([]string{"{{.Page}}"}))`),
		Problems:    policy, Where: onServer,
	},
	{
		Name: "gorilla-handlers-authorization-not-allowed", Stack: remedy.GorillaHandlers,
		Why:      "AllowedHeaders lists Content-Type; the page sends Authorization (gorilla answers an empty 403)",
		Headers:  [][2]string{bearer},
		Broken:   gorilla(`handlers.CORS(handlers.AllowedOrigins([]string{"{{.Page}}"}), handlers.AllowedHeaders([]string{"Content-Type"}))`),
		Problems: policy, Where: onServer,
	},

	// ---- plain net/http ----
	{
		Name: "net-http-no-cors", Stack: remedy.GoNetHTTP,
		Why:    "a plain net/http server (method patterns) without any CORS handling",
		Method: "PUT", Headers: [][2]string{jsonCT},
		App:      map[string]string{"method-routes": "1"},
		Broken:   map[string]string{"serve": "app"},
		Problems: notConfigured, Where: onServer,
	},
	{
		Name: "net-http-no-options-handler", Stack: remedy.GoNetHTTP,
		Why:    "a wrapper adds CORS headers, but the method-specific routes answer OPTIONS with 405",
		Method: "DELETE",
		App:    map[string]string{"method-routes": "1"},
		Broken: netHTTP(`		h.Set("Access-Control-Allow-Origin", "{{.Page}}")
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")`),
		Problems: noPreflight, Where: onServer,
	},
	{
		Name: "net-http-wildcard-with-credentials", Stack: remedy.GoNetHTTP,
		Why:         "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true",
		Credentials: "include",
		Broken: netHTTP(`		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Credentials", "true")`),
		Problems: policy, Where: onServer,
	},
	{
		Name: "net-http-auth-before-cors", Stack: remedy.GoNetHTTP,
		Why:     "the authentication wrapper runs before the CORS wrapper, so the preflight gets 401",
		Headers: [][2]string{bearer},
		App:     map[string]string{"auth": "1"},
		Broken: withServe(netHTTP(`		h.Set("Access-Control-Allow-Origin", "{{.Page}}")
		h.Set("Access-Control-Allow-Headers", "Authorization")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}`), "requireAuth(withCORS(mux))"),
		Problems: authFirst, Where: onServer,
	},

	// ---- Django + django-cors-headers ----
	{
		Name: "django-cors-middleware-after-common", Stack: remedy.DjangoCorsHeaders,
		Why:    "CorsMiddleware is listed after CommonMiddleware, whose APPEND_SLASH redirect goes out without CORS headers",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken: django("", `    'corsheaders.middleware.CorsMiddleware',`, `CORS_ALLOWED_ORIGINS = ['{{.Page}}']`),
		// The preflight is redirected: moving the middleware (server) or
		// calling the URL with its slash (client) both fix it.
		Problems: problems(remedy.ProblemPreflightRedirect, "client"), Where: "",
		ClientFix: func(r *pageRequest) { r.URL += "/" },
	},
	{
		Name: "django-custom-header-not-allowed", Stack: remedy.DjangoCorsHeaders,
		Why:      "CORS_ALLOW_HEADERS keeps its defaults; the page sends X-Api-Key",
		Path:     "/api/items/",
		Headers:  [][2]string{apiKey},
		Broken:   django(`    'corsheaders.middleware.CorsMiddleware',`, "", `CORS_ALLOWED_ORIGINS = ['{{.Page}}']`),
		Problems: policy, Where: onServer,
	},
	{
		Name: "django-hard-coded-production-origin", Stack: remedy.DjangoCorsHeaders,
		Why:    "CORS_ALLOWED_ORIGINS has the production site, not the page's origin",
		Path:   "/api/items/",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken:   django(`    'corsheaders.middleware.CorsMiddleware',`, "", `CORS_ALLOWED_ORIGINS = ['https://app.example.com']`),
		Problems: policyOrSilent, Where: onServer,
	},
	{
		Name: "django-missing-allow-credentials", Stack: remedy.DjangoCorsHeaders,
		Why:         "CORS_ALLOW_CREDENTIALS is not set",
		Path:        "/api/items/",
		Credentials: "include",
		Broken:      django(`    'corsheaders.middleware.CorsMiddleware',`, "", `CORS_ALLOWED_ORIGINS = ['{{.Page}}']`),
		Problems:    policy, Where: onServer,
	},

	// ---- Flask + Flask-CORS ----
	{
		Name: "flask-cors-resource-pattern-misses-path", Stack: remedy.FlaskCors,
		Why:         "resources={r'/v1/*': ...} does not match /api/items, so Flask-CORS adds nothing",
		Credentials: "include",
		Broken: map[string]string{"after-app": `from flask_cors import CORS
CORS(app, resources={r"/v1/*": {"origins": ["{{.Page}}"]}}, supports_credentials=True)`},
		Problems: problems(remedy.ProblemNotConfigured, remedy.ProblemPolicy), Where: onServer,
	},
	{
		Name: "flask-cors-missing-credentials", Stack: remedy.FlaskCors,
		Why:         "supports_credentials=True is missing",
		Credentials: "include",
		Broken: map[string]string{"after-app": `from flask_cors import CORS
CORS(app, origins=["{{.Page}}"])`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "flask-cors-hard-coded-production-origin", Stack: remedy.FlaskCors,
		Why:    "origins has the production site, not the page's origin",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken: map[string]string{"after-app": `from flask_cors import CORS
CORS(app, origins=["https://app.example.com"])`},
		Problems: policyOrSilent, Where: onServer,
	},
	{
		Name: "flask-cors-methods-restricted", Stack: remedy.FlaskCors,
		Why:    "methods=['GET', 'POST']; the page sends DELETE",
		Method: "DELETE",
		Broken: map[string]string{"after-app": `from flask_cors import CORS
CORS(app, origins=["{{.Page}}"], methods=["GET", "POST"])`},
		Problems: policy, Where: onServer,
	},

	// ---- Starlette CORSMiddleware ----
	{
		Name: "starlette-defaults-get-only", Stack: remedy.Starlette,
		Why:    "CORSMiddleware defaults to allow_methods=('GET',) and no extra headers",
		Method: "PUT", Headers: [][2]string{jsonCT},
		Broken: map[string]string{"after-auth": `from starlette.middleware.cors import CORSMiddleware
app.add_middleware(CORSMiddleware, allow_origins=['{{.Page}}'])`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "starlette-auth-middleware-outermost", Stack: remedy.Starlette,
		Why:     "the authentication middleware is added last, so it runs first and answers the preflight with 401",
		Headers: [][2]string{bearer},
		App:     map[string]string{"auth": "1"},
		Broken: map[string]string{"before-auth": `from starlette.middleware.cors import CORSMiddleware
app.add_middleware(CORSMiddleware, allow_origins=['{{.Page}}'], allow_methods=['*'], allow_headers=['*'])`},
		Problems: authFirst, Where: onServer,
	},
	{
		Name: "starlette-missing-allow-credentials", Stack: remedy.Starlette,
		Why:         "allow_credentials=True is missing",
		Credentials: "include",
		Broken: map[string]string{"after-auth": `from starlette.middleware.cors import CORSMiddleware
app.add_middleware(CORSMiddleware, allow_origins=['{{.Page}}'], allow_methods=['*'])`},
		Problems: policy, Where: onServer,
	},
	{
		Name: "starlette-authorization-not-allowed", Stack: remedy.Starlette,
		Why:     "allow_headers is empty; the page sends Authorization (400 Disallowed CORS headers)",
		Method:  "DELETE",
		Headers: [][2]string{bearer},
		Broken: map[string]string{"after-auth": `from starlette.middleware.cors import CORSMiddleware
app.add_middleware(CORSMiddleware, allow_origins=['{{.Page}}'], allow_methods=['*'])`},
		Problems: policy, Where: onServer,
	},
}

// rsCors is a broken Go app whose withCORS wraps the app in expr, an
// rs/cors handler.
func rsCors(expr string) map[string]string {
	return map[string]string{
		"imports": `"github.com/rs/cors"`,
		"code": `func withCORS(next http.Handler) http.Handler {
	return ` + expr + `.Handler(next)
}`,
	}
}

func goChiCors(opts string) map[string]string {
	return map[string]string{
		"imports": `"github.com/go-chi/cors"`,
		"code": `func withCORS(next http.Handler) http.Handler {
	return cors.Handler(` + opts + `)(next)
}`,
	}
}

func gorilla(expr string) map[string]string {
	return map[string]string{
		"imports": `"github.com/gorilla/handlers"`,
		"code": `func withCORS(next http.Handler) http.Handler {
	return ` + expr + `(next)
}`,
	}
}

// netHTTP is a hand-written CORS wrapper; body sets headers on h.
func netHTTP(body string) map[string]string {
	return map[string]string{
		"code": `func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
` + body + `
		next.ServeHTTP(w, r)
	})
}`,
	}
}

func withServe(m map[string]string, serve string) map[string]string {
	m["serve"] = serve
	return m
}

// django is a broken settings.py: CorsMiddleware first or last in
// MIDDLEWARE (one of them empty), and the CORS_* settings.
func django(first, last, settings string) map[string]string {
	return map[string]string{
		"installed-apps":   `    'corsheaders',`,
		"middleware-first": first,
		"middleware-last":  last,
		"settings-broken":  settings,
	}
}

// casesFor filters the catalogue by CORSDOCTOR_REALSTACK (substring).
func casesFor(only string) []*Case {
	var out []*Case
	for _, c := range catalog {
		if only == "" || strings.Contains(c.Name, only) || string(c.Stack) == only {
			out = append(out, c)
		}
	}
	return out
}
