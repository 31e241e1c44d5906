package remedy

import (
	"fmt"
	"strings"
)

// jsList is a JavaScript (or Python, or JSON) array literal of strings.
func jsList(vals []string) string { return "[" + list(vals, dq) + "]" }

// jsOriginOption is the origin option of express cors and @fastify/cors:
// always an array of exact strings (a single string would be sent to
// every origin, without Vary), or "*" for AnyOrigin.
func (s *spec) jsOriginOption() string {
	if s.any {
		return `"*"`
	}
	return jsList(s.origins)
}

// jsCorsOptions renders the option object shared by express cors and
// @fastify/cors (same names for the fields used here).
func (s *spec) jsCorsOptions(indent string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sorigin: %s,\n", indent, s.jsOriginOption())
	fmt.Fprintf(&b, "%smethods: %s,\n", indent, jsList(s.methods))
	// An explicit list, even empty: left out, both packages echo whatever
	// the preflight asks for.
	fmt.Fprintf(&b, "%sallowedHeaders: %s,\n", indent, jsList(s.headers))
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "%sexposedHeaders: %s,\n", indent, jsList(s.expose))
	}
	if s.creds {
		fmt.Fprintf(&b, "%scredentials: true,\n", indent)
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "%smaxAge: %d,\n", indent, s.maxAge)
	}
	return b.String()
}

func expressFix(s *spec) fix {
	code := "const cors = require('cors');\n\napp.use(cors({\n" + s.jsCorsOptions("  ") + "}));\n"
	f := fix{
		pieces: []piece{{"app", "Right after `const app = express();`, before any other middleware, authentication or route:", code}},
		steps: []string{
			"Run npm install cors if it is not a dependency yet. If the file already has const cors = require('cors'), leave that line out of the snippet (a second const cors is a SyntaxError).",
			"Put the lines right after const app = express(), above every app.use, router, authentication middleware and error handler, and remove any other cors() call or hand-written Access-Control-* headers.",
		},
		notes: []string{
			"origin is an array of exact strings: origin: true or a callback that always says yes reflects any origin, and the default '*' with credentials: true sends * with credentials, which browsers refuse.",
			"app.use(cors()) answers preflights for every path itself (status 204), so no app.options route is needed.",
		},
	}
	switch s.problem {
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"Move CORS before authentication: cors() placed after passport, express-jwt or a session check lets them answer the preflight with 401 or a redirect."}, f.steps...)
	case ProblemNoPreflightHandler:
		f.steps = append([]string{"Replace per-route cors() calls (app.get('/x', cors(), ...)) with the global app.use(cors(...)) above: per-route cors never sees OPTIONS for that path, so Express answers it with its automatic 200 Allow reply or 404."}, f.steps...)
		f.notes = append(f.notes, "Express 5: app.options('*', cors()) throws \"Missing parameter name\" at start-up; if you need an explicit OPTIONS route, use app.options('/{*splat}', cors(...)). The global app.use(cors(...)) needs none.")
	case ProblemErrorsWithoutCORS:
		f.steps = append([]string{"Keep cors() first: headers it sets stay on responses written by later error handlers, but an error handler registered before it (or a proxy's own error page) has none."}, f.steps...)
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: remove the proxy's Access-Control-* headers (nginx add_header, Apache Header set, a CDN rule) or drop cors() here; res.header('Access-Control-Allow-Origin', ...) lines elsewhere in the app must go too."}, f.steps...)
	case ProblemPreflightRedirect:
		f.notes = append(f.notes, "With app.set('strict routing', true) or a trailing-slash redirect middleware, make sure cors() comes first so OPTIONS is answered before any redirect.")
	}
	return f
}

func fastifyFix(s *spec) fix {
	code := "app.register(require('@fastify/cors'), {\n" + s.jsCorsOptions("  ") + "});\n"
	f := fix{
		pieces: []piece{{"app", "Right after `const app = require('fastify')();`, before any route or auth hook:", code}},
		steps: []string{
			"Run npm install @fastify/cors if it is not a dependency yet (v11 for Fastify 5).",
			"Register it right after creating the app, before routes, plugins that add auth hooks (@fastify/jwt, @fastify/auth) and anything else; remove other CORS code.",
		},
		notes: []string{
			"@fastify/cors v11 (Feb 2025) allows only GET, HEAD and POST by default; methods is therefore listed explicitly (an upgrade from v10 silently broke PUT, PATCH and DELETE).",
			"origin is an array even for one origin: a plain string is sent to every origin without Vary: Origin, and a RegExp like /example\\.com$/ also admits evilexample.com.",
			"With the default strictPreflight: true, an OPTIONS request without Origin or Access-Control-Request-Method gets 400; browsers always send both.",
		},
	}
	switch s.problem {
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"Register @fastify/cors before any onRequest auth hook: its own onRequest hook answers the preflight only if it runs first."}, f.steps...)
	case ProblemNoPreflightHandler:
		f.steps = append([]string{"The plugin adds an OPTIONS * route that answers every preflight (preflight: true is the default); remove hand-written OPTIONS routes that answer without CORS headers."}, f.steps...)
	case ProblemErrorsWithoutCORS:
		f.notes = append(f.notes, "Headers set in onRequest stay on error replies from setErrorHandler; a reply sent from a proxy in front (502) has none.")
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: remove the proxy's Access-Control-* headers or drop this plugin, and any reply.header('Access-Control-Allow-Origin', ...) in routes."}, f.steps...)
	}
	return f
}

// jsHeaderObject writes the JS statements that set the CORS headers on a
// Headers object named h, for the allowed origin held in variable origin
// (already checked against the exact list).
func (s *spec) jsSetHeaders(h, indent string, preflight bool) string {
	var b strings.Builder
	acao := "origin"
	if s.any {
		acao = `"*"`
	}
	fmt.Fprintf(&b, "%s%s.set(\"Access-Control-Allow-Origin\", %s);\n", indent, h, acao)
	if s.creds {
		fmt.Fprintf(&b, "%s%s.set(\"Access-Control-Allow-Credentials\", \"true\");\n", indent, h)
	}
	if preflight {
		fmt.Fprintf(&b, "%s%s.set(\"Access-Control-Allow-Methods\", %s);\n", indent, h, dq(s.methodsHeader()))
		if len(s.headers) > 0 {
			fmt.Fprintf(&b, "%s%s.set(\"Access-Control-Allow-Headers\", %s);\n", indent, h, dq(s.headersHeader()))
		}
		if s.maxAge > 0 {
			fmt.Fprintf(&b, "%s%s.set(\"Access-Control-Max-Age\", \"%d\");\n", indent, h, s.maxAge)
		}
	} else if len(s.expose) > 0 {
		fmt.Fprintf(&b, "%s%s.set(\"Access-Control-Expose-Headers\", %s);\n", indent, h, dq(s.exposeHeader()))
	}
	return b.String()
}

// jsFetchCORS is the body shared by the Cloudflare Worker and the Netlify
// Edge Function: answer preflights, otherwise call next() and decorate
// its response.
func (s *spec) jsFetchCORS(next string) string {
	var b strings.Builder
	if !s.any {
		fmt.Fprintf(&b, "  const origin = request.headers.get(\"Origin\");\n")
		fmt.Fprintf(&b, "  const allowed = origin !== null && ALLOWED_ORIGINS.has(origin);\n")
	} else {
		b.WriteString("  const allowed = true;\n")
	}
	b.WriteString("  if (request.method === \"OPTIONS\" && request.headers.has(\"Access-Control-Request-Method\")) {\n")
	b.WriteString("    const headers = new Headers();\n")
	if !s.any {
		b.WriteString("    headers.set(\"Vary\", \"Origin\");\n")
	}
	b.WriteString("    if (allowed) {\n")
	b.WriteString(s.jsSetHeaders("headers", "      ", true))
	b.WriteString("    }\n    return new Response(null, { status: 204, headers });\n  }\n")
	fmt.Fprintf(&b, "  const upstream = await %s;\n", next)
	b.WriteString("  const response = new Response(upstream.body, upstream);\n")
	if s.problem == ProblemDuplicateHeaders {
		b.WriteString("  for (const name of [")
		for i, h := range corsResponseHeaders {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(dq(h))
		}
		b.WriteString("]) {\n    response.headers.delete(name); // the origin's own copies\n  }\n")
	}
	if !s.any {
		b.WriteString("  response.headers.append(\"Vary\", \"Origin\");\n")
	}
	b.WriteString("  if (allowed) {\n")
	b.WriteString(s.jsSetHeaders("response.headers", "    ", false))
	b.WriteString("  }\n  return response;\n")
	return b.String()
}

func (s *spec) jsAllowedSet() string {
	if s.any {
		return ""
	}
	return "const ALLOWED_ORIGINS = new Set(" + jsList(s.origins) + ");\n\n"
}

func cloudflareFix(s *spec) fix {
	code := s.jsAllowedSet() + "export default {\n  async fetch(request, env, ctx) {\n" +
		indentLines(s.jsFetchCORS("fetch(request)"), "  ") + "  },\n};\n"
	f := fix{
		pieces: []piece{{"worker", "A module Worker on the API's route (wrangler.toml routes), in front of the origin:", code}},
		steps: []string{
			"Deploy it as a Worker on the API's route (wrangler deploy); it answers preflights itself and adds the headers to the origin's responses.",
			"Remove Transform Rules that set Access-Control-* headers for the same path, so only one layer sends them.",
		},
		notes: []string{"Workers have no built-in CORS: OPTIONS must be answered in fetch(), as here."},
	}
	switch s.problem {
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"Cloudflare Access answers the preflight (it carries no CF_Authorization cookie) before the Worker or origin: in Zero Trust > Access > Applications > your app > Settings, turn on \"Bypass options requests to origin\" (options_preflight_bypass), which cannot be combined with Access's own CORS settings (cors_headers). Then this Worker or the origin answers the preflight."}, f.steps...)
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"The Worker deletes the origin's Access-Control-* copies before adding its own; better still, remove CORS from the origin too."}, f.steps...)
	}
	return f
}

func vercelFix(s *spec) fix {
	src := s.apiPrefix()
	if strings.HasSuffix(src, "/") {
		src += "(.*)"
	}
	var f fix
	if s.single() {
		type kv struct{ k, v string }
		hs := []kv{{"Access-Control-Allow-Origin", s.acao()}}
		if s.creds {
			hs = append(hs, kv{"Access-Control-Allow-Credentials", "true"})
		}
		hs = append(hs, kv{"Access-Control-Allow-Methods", s.methodsHeader()})
		if len(s.headers) > 0 {
			hs = append(hs, kv{"Access-Control-Allow-Headers", s.headersHeader()})
		}
		if len(s.expose) > 0 {
			hs = append(hs, kv{"Access-Control-Expose-Headers", s.exposeHeader()})
		}
		if s.maxAge > 0 && s.preflight() {
			hs = append(hs, kv{"Access-Control-Max-Age", fmt.Sprint(s.maxAge)})
		}
		if !s.any {
			hs = append(hs, kv{"Vary", "Origin"})
		}
		var b strings.Builder
		fmt.Fprintf(&b, "{\n  \"headers\": [\n    {\n      \"source\": %s,\n      \"headers\": [\n", dq(src))
		for i, h := range hs {
			sep := ","
			if i == len(hs)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "        { \"key\": %s, \"value\": %s }%s\n", dq(h.k), dq(h.v), sep)
		}
		b.WriteString("      ]\n    }\n  ]\n}\n")
		f = fix{
			pieces: []piece{{"vercel.json", "", b.String()}},
			steps: []string{
				"Merge this \"headers\" entry into vercel.json at the project root (keep your other keys), and remove CORS headers set in code for the same paths.",
				"The functions must still answer OPTIONS with a 2xx (Next.js route handlers do so automatically; a plain function must return 204 for OPTIONS); vercel.json adds the headers to that answer.",
				"Redeploy.",
			},
			notes: []string{"vercel.json headers are static: they fit one origin (or \"*\"). With several origins use Routing Middleware instead."},
		}
	} else {
		var b strings.Builder
		b.WriteString("import { NextRequest, NextResponse } from \"next/server\";\n\n")
		b.WriteString(s.jsAllowedSet())
		b.WriteString("export function middleware(request: NextRequest) {\n")
		b.WriteString("  const origin = request.headers.get(\"Origin\");\n")
		b.WriteString("  const allowed = origin !== null && ALLOWED_ORIGINS.has(origin);\n")
		b.WriteString("  if (request.method === \"OPTIONS\" && request.headers.has(\"Access-Control-Request-Method\")) {\n")
		b.WriteString("    const response = new NextResponse(null, { status: 204 });\n")
		b.WriteString("    response.headers.set(\"Vary\", \"Origin\");\n    if (allowed) {\n")
		b.WriteString(s.jsSetHeaders("response.headers", "      ", true))
		b.WriteString("    }\n    return response;\n  }\n")
		b.WriteString("  const response = NextResponse.next();\n  response.headers.append(\"Vary\", \"Origin\");\n  if (allowed) {\n")
		b.WriteString(s.jsSetHeaders("response.headers", "    ", false))
		b.WriteString("  }\n  return response;\n}\n\n")
		fmt.Fprintf(&b, "export const config = { matcher: %s };\n", dq(strings.TrimSuffix(s.apiPrefix(), "/")+"/:path*"))
		f = fix{
			lang:   "typescript",
			pieces: []piece{{"middleware.ts", "middleware.ts at the project root (next to app/ or pages/):", b.String()}},
			steps: []string{
				"Save it as middleware.ts at the project root (Next.js; other frameworks use Vercel Routing Middleware with the same logic), and remove CORS headers from vercel.json and from the functions for these paths.",
				"Redeploy.",
			},
			notes: []string{"vercel.json headers are static, so they cannot pick one of several origins: the middleware checks the exact list and answers preflights itself."},
		}
	}
	if s.problem == ProblemAuthBeforeCORS {
		f.steps = append([]string{"Deployment Protection answers preflights with 401 unless their path is on the OPTIONS Allowlist: Project Settings > Deployment Protection > OPTIONS Allowlist, add " + s.apiPrefix() + " (before the allowlist existed, every OPTIONS request bypassed protection; now only listed paths do)."}, f.steps...)
	}
	if s.problem == ProblemDuplicateHeaders {
		f.steps = append([]string{"Keep CORS in one place: either vercel.json/middleware or the function code, not both."}, f.steps...)
	}
	return f
}

func netlifyFix(s *spec) fix {
	var f fix
	if s.single() {
		var b strings.Builder
		fmt.Fprintf(&b, "%s*\n", s.apiPrefix())
		fmt.Fprintf(&b, "  Access-Control-Allow-Origin: %s\n", s.acao())
		if s.creds {
			b.WriteString("  Access-Control-Allow-Credentials: true\n")
		}
		fmt.Fprintf(&b, "  Access-Control-Allow-Methods: %s\n", s.methodsHeader())
		if len(s.headers) > 0 {
			fmt.Fprintf(&b, "  Access-Control-Allow-Headers: %s\n", s.headersHeader())
		}
		if len(s.expose) > 0 {
			fmt.Fprintf(&b, "  Access-Control-Expose-Headers: %s\n", s.exposeHeader())
		}
		if s.maxAge > 0 && s.preflight() {
			fmt.Fprintf(&b, "  Access-Control-Max-Age: %d\n", s.maxAge)
		}
		if !s.any {
			b.WriteString("  Vary: Origin\n")
		}
		f = fix{
			pieces: []piece{{"_headers", "_headers in the publish directory:", b.String()}},
			steps: []string{
				"Add the block to _headers in the publish directory (or the same headers as [[headers]] in netlify.toml), then redeploy.",
			},
			notes: []string{
				"_headers applies only to files Netlify serves from its own store: Functions, Edge Functions, SSR and proxied (redirected) paths must set these headers themselves and answer OPTIONS with 204.",
				"_headers is static: it fits one origin (or \"*\"). With several origins use an Edge Function.",
			},
		}
	} else {
		code := s.jsAllowedSet() + "export default async (request, context) => {\n" +
			s.jsFetchCORS("context.next()") + "};\n\n" +
			fmt.Sprintf("export const config = { path: %s };\n", dq(s.apiPrefix()+"*"))
		f = fix{
			lang:   "javascript",
			pieces: []piece{{"netlify/edge-functions/cors.js", "netlify/edge-functions/cors.js:", code}},
			steps: []string{
				"Save it as netlify/edge-functions/cors.js and redeploy; remove Access-Control-* lines from _headers and netlify.toml for these paths.",
			},
			notes: []string{"_headers is static and cannot pick one of several origins; the Edge Function checks the exact list, answers preflights and decorates every response, functions included."},
		}
	}
	if s.problem == ProblemDuplicateHeaders {
		f.steps = append([]string{"Keep CORS in one place: _headers/Edge Function or the function code, not both."}, f.steps...)
	}
	return f
}

func indentLines(s, indent string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" && l != "\n" {
			b.WriteString(indent)
		}
		b.WriteString(l)
	}
	return b.String()
}
