package remedy

import (
	"fmt"
	"strings"
)

// pyList is a Python list literal of strings.
func pyList(vals []string) string { return "[" + list(vals, dq) + "]" }

func flaskFix(s *spec) fix {
	var b strings.Builder
	if !s.any {
		// Registered before CORS(app), so it runs after Flask-CORS's own
		// after_request hook and finds its Vary (when there is one).
		b.WriteString("@app.after_request\ndef _cors_vary_origin(response):\n    # Flask-CORS adds Vary: Origin only to answers for an allowed origin\n    # (and only when several are allowed); caches need it on every answer.\n    response.vary.add(\"Origin\")\n    return response\n\n\n")
	}
	b.WriteString("from flask_cors import CORS\n\nCORS(\n    app,\n")
	if s.any {
		b.WriteString("    origins=\"*\",\n    send_wildcard=True,\n")
	} else {
		// Exact strings with none of '*', '\\' or ']' are compared with ==
		// by Flask-CORS; originRE guarantees that.
		fmt.Fprintf(&b, "    origins=%s,\n", pyList(s.origins))
	}
	fmt.Fprintf(&b, "    methods=%s,\n", pyList(s.methods))
	fmt.Fprintf(&b, "    allow_headers=%s,\n", pyList(s.headers))
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "    expose_headers=%s,\n", pyList(s.expose))
	}
	if s.creds {
		b.WriteString("    supports_credentials=True,\n")
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "    max_age=%d,\n", s.maxAge)
	}
	b.WriteString(")\n")
	if s.preflight() {
		b.WriteString("\n\n@app.before_request\ndef _cors_answer_preflight():\n    # Registered first, so it runs before any auth hook; Flask-CORS then\n    # adds the CORS headers to this answer.\n    from flask import request\n\n    if request.method == \"OPTIONS\" and \"Access-Control-Request-Method\" in request.headers:\n        return app.make_default_options_response()\n")
	}
	f := fix{
		pieces: []piece{{"app", "Right after `app = Flask(__name__)`:", b.String()}},
		steps: []string{
			"Run pip install flask-cors if it is not installed, and add it to your requirements.",
			"Put the lines right after app = Flask(__name__), and remove any @cross_origin decorator, other CORS(...) call or hand-written Access-Control-* headers.",
		},
		notes: []string{
			"origins lists exact strings: Flask-CORS turns a string containing *, \\ or ] into a regex matched with re.match (start-anchored only, case-insensitive), and the default origins='*' echoes the request's Origin, so CORS(app, supports_credentials=True) alone reflects any origin with credentials.",
			"allow_headers is an explicit list: the default '*' allows any requested header.",
			"Flask runs before_request hooks (where auth usually lives) before its automatic OPTIONS answer, and Flask-CORS only decorates the result, so a 401 would stay a 401: _cors_answer_preflight, registered first, answers preflights itself.",
		},
	}
	switch s.problem {
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"Keep the lines above every other before_request registration: the _cors_answer_preflight hook then answers preflights before any auth hook."}, f.steps...)
	case ProblemErrorsWithoutCORS:
		f.notes = append(f.notes, "Keep intercept_exceptions at its default (True) so error responses from Flask's handlers get the headers; errors from the WSGI server or a proxy in front do not.")
	case ProblemNoPreflightHandler:
		f.notes = append(f.notes, "Keep automatic_options at its default (True): Flask-CORS then answers OPTIONS for every route that exists.")
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: remove the proxy's Access-Control-* headers (nginx add_header, Apache Header set) or this CORS(app), and any response.headers['Access-Control-Allow-Origin'] in views."}, f.steps...)
	}
	return f
}

func djangoFix(s *spec) fix {
	var b strings.Builder
	b.WriteString("from corsheaders.defaults import default_headers, default_methods\n\n")
	b.WriteString("if \"corsheaders\" not in INSTALLED_APPS:\n    INSTALLED_APPS = [*INSTALLED_APPS, \"corsheaders\"]\n")
	b.WriteString("MIDDLEWARE = [\n    \"corsheaders.middleware.CorsMiddleware\",\n    *(m for m in MIDDLEWARE if m != \"corsheaders.middleware.CorsMiddleware\"),\n]\n")
	if s.any {
		b.WriteString("CORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOWED_ORIGINS = []\n")
	} else {
		fmt.Fprintf(&b, "CORS_ALLOWED_ORIGINS = %s\n", pyList(s.origins))
		b.WriteString("CORS_ALLOW_ALL_ORIGINS = False\n")
	}
	b.WriteString("CORS_ALLOWED_ORIGIN_REGEXES = []\n")
	fmt.Fprintf(&b, "CORS_ALLOW_METHODS = [*default_methods, *(m for m in %s if m not in default_methods)]\n", pyList(s.methods))
	fmt.Fprintf(&b, "CORS_ALLOW_HEADERS = [*default_headers, *(h for h in %s if h not in default_headers)]\n", pyList(s.headers))
	fmt.Fprintf(&b, "CORS_EXPOSE_HEADERS = %s\n", pyList(s.expose))
	if s.creds {
		b.WriteString("CORS_ALLOW_CREDENTIALS = True\n")
	} else {
		b.WriteString("CORS_ALLOW_CREDENTIALS = False\n")
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "CORS_PREFLIGHT_MAX_AGE = %d\n", s.maxAge)
	}
	f := fix{
		pieces: []piece{{"settings", "At the end of settings.py:", b.String()}},
		steps: []string{
			"Run pip install django-cors-headers if it is not installed, and add it to your requirements.",
			"Append the block at the end of settings.py (it overrides earlier CORS_* settings and moves CorsMiddleware to the top of MIDDLEWARE), then restart the server.",
		},
		notes: []string{
			"CorsMiddleware must come before CommonMiddleware, WhiteNoiseMiddleware and authentication middleware, or they answer the preflight (redirect, 401) first: the block puts it first.",
			"CORS_ALLOW_HEADERS = ('*',) is not supported; the block extends corsheaders.defaults.default_headers instead.",
		},
	}
	if s.creds {
		f.notes = append(f.notes, "Unsafe methods with cookies also need CSRF_TRUSTED_ORIGINS to list the page's origin, and session cookies sent cross-site need SESSION_COOKIE_SAMESITE = \"None\" with SESSION_COOKIE_SECURE = True.")
	}
	switch s.problem {
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"Moving CorsMiddleware first makes it answer preflights before authentication middleware; a login_required view is then never reached by OPTIONS."}, f.steps...)
	case ProblemErrorsWithoutCORS:
		f.notes = append(f.notes, "With CorsMiddleware first, Django's own error responses pass through it; a 500 produced outside the middleware chain (handler500 failing, the WSGI server, a proxy's 502) still has no CORS headers (django-cors-headers #512).")
	case ProblemPreflightRedirect:
		f.notes = append(f.notes, "APPEND_SLASH redirects /api/items to /api/items/: call the URL with the trailing slash, since CommonMiddleware's redirect is not a preflight answer.")
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: remove the proxy's Access-Control-* headers (nginx add_header, Apache Header set) or django-cors-headers, and any response[\"Access-Control-Allow-Origin\"] set in views."}, f.steps...)
	}
	return f
}

func starletteFix(s *spec) fix {
	var b strings.Builder
	if s.problem == ProblemErrorsWithoutCORS {
		b.WriteString(`import logging

from starlette.responses import PlainTextResponse


class CatchServerErrors:
    """Turns unhandled exceptions into a 500 inside CORSMiddleware, so the
    500 carries CORS headers (ServerErrorMiddleware is outermost)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def send_tracking(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            if started:
                raise
            logging.getLogger(__name__).exception("unhandled error")
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)


app.add_middleware(CatchServerErrors)

`)
	}
	b.WriteString("from starlette.middleware.cors import CORSMiddleware\n\napp.add_middleware(\n    CORSMiddleware,\n")
	if s.any {
		b.WriteString("    allow_origins=[\"*\"],\n")
	} else {
		fmt.Fprintf(&b, "    allow_origins=%s,\n", pyList(s.origins))
	}
	fmt.Fprintf(&b, "    allow_methods=%s,\n", pyList(s.methods))
	fmt.Fprintf(&b, "    allow_headers=%s,\n", pyList(s.headers))
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "    expose_headers=%s,\n", pyList(s.expose))
	}
	if s.creds {
		b.WriteString("    allow_credentials=True,\n")
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "    max_age=%d,\n", s.maxAge)
	}
	b.WriteString(")\n")
	if !s.any {
		b.WriteString(starletteVary)
	}
	f := fix{
		pieces: []piece{{"app", "After `app = FastAPI()` (or Starlette()) and after every other app.add_middleware call:", b.String()}},
		steps: []string{
			"Put the lines after the app is created and after every other add_middleware call: the middleware added last is the outermost, so it answers preflights before authentication middleware.",
			"Remove any other CORSMiddleware and hand-written Access-Control-* headers, then restart the server.",
		},
		notes: []string{
			"CORSMiddleware's defaults are allow_methods=(\"GET\",) and no extra headers, so PUT, PATCH, DELETE and Authorization fail until listed, as here.",
			"allow_origins=[\"*\"] with allow_credentials=True echoes any origin on preflights; the fix lists exact origins instead.",
		},
	}
	switch s.problem {
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"If authentication is a middleware, it must be added before this block (inner); FastAPI dependencies (Depends) run after routing, so CORSMiddleware already answers the preflight first."}, f.steps...)
	case ProblemErrorsWithoutCORS:
		f.steps = append([]string{"Unhandled exceptions become a 500 in ServerErrorMiddleware, which sits outside CORSMiddleware and so has no CORS headers; CatchServerErrors (added first, so it is inside CORSMiddleware) turns them into a 500 that does."}, f.steps...)
	case ProblemPreflightRedirect:
		f.notes = append(f.notes, "redirect_slashes (default True) answers /items/ vs /items with a 307: call the exact route path.")
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: remove the proxy's Access-Control-* headers or this middleware."}, f.steps...)
	}
	return f
}

// starletteVary is added after CORSMiddleware (so outside it):
// CORSMiddleware sends Vary: Origin only with an allowed origin's answer,
// and a shared cache needs it on the others too.
const starletteVary = `

from starlette.datastructures import MutableHeaders


class VaryOrigin:
    """Adds Vary: Origin to every response: the CORS answer depends on it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_vary(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "origin" not in headers.get("vary", "").lower():
                    headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_vary)


app.add_middleware(VaryOrigin)
`
