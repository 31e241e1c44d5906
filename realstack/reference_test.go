package realstack

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"corsdoctor/remedy"
)

// referenceParts is the suite's own fix for a stack, in the snippet
// contract's places. It is the control: while the engine gives no root
// cause it proves the templates, servers and browser runs; when an engine
// snippet fails where the reference passes, the snippet is at fault.
func referenceParts(id remedy.StackID, p remedy.Policy, problem string) ([]remedy.Part, error) {
	o := p.Origins
	methods := p.Methods
	headers := p.Headers
	js := func(list []string) string {
		q := make([]string, len(list))
		for i, s := range list {
			q[i] = "'" + s + "'"
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	goList := func(list []string) string {
		q := make([]string, len(list))
		for i, s := range list {
			q[i] = strconv.Quote(s)
		}
		return "[]string{" + strings.Join(q, ", ") + "}"
	}
	pyBool := map[bool]string{true: "True", false: "False"}
	// Every method list keeps the simple methods too: several middleware
	// refuse an actual GET whose method is not listed.
	all := append([]string{"GET", "HEAD", "POST"}, methods...)
	switch id {
	case remedy.Nginx:
		var httpPart, loc strings.Builder
		fmt.Fprintf(&httpPart, "    map $http_origin $cors_origin {\n        default \"\";\n")
		for _, x := range o {
			fmt.Fprintf(&httpPart, "        %q $http_origin;\n", x)
		}
		httpPart.WriteString("    }\n")
		if p.Credentials {
			httpPart.WriteString("    map $cors_origin $cors_credentials {\n        default \"true\";\n        \"\" \"\";\n    }\n")
		}
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
			fmt.Fprintf(&loc, "            proxy_hide_header %s;\n", h)
		}
		loc.WriteString("            add_header Access-Control-Allow-Origin $cors_origin always;\n")
		if p.Credentials {
			loc.WriteString("            add_header Access-Control-Allow-Credentials $cors_credentials always;\n")
		}
		loc.WriteString("            add_header Vary Origin always;\n")
		fmt.Fprintf(&loc, "            add_header Access-Control-Allow-Methods %q always;\n", strings.Join(all, ", "))
		if len(headers) > 0 {
			fmt.Fprintf(&loc, "            add_header Access-Control-Allow-Headers %q always;\n", strings.Join(headers, ", "))
		}
		loc.WriteString("            if ($request_method = OPTIONS) {\n                return 204;\n            }")
		return []remedy.Part{{Where: "http", Code: httpPart.String()}, {Where: "location", Code: loc.String()}}, nil
	case remedy.Apache:
		var b strings.Builder
		alts := make([]string, len(o))
		for i, x := range o {
			alts[i] = regexp.QuoteMeta(x)
		}
		fmt.Fprintf(&b, "SetEnvIf Origin \"^(%s)$\" CORS_ORIGIN=$0\n", strings.Join(alts, "|"))
		b.WriteString("Header always set Access-Control-Allow-Origin \"%{CORS_ORIGIN}e\" env=CORS_ORIGIN\n")
		if p.Credentials {
			b.WriteString("Header always set Access-Control-Allow-Credentials \"true\" env=CORS_ORIGIN\n")
		}
		fmt.Fprintf(&b, "Header always set Access-Control-Allow-Methods %q env=CORS_ORIGIN\n", strings.Join(all, ", "))
		if len(headers) > 0 {
			fmt.Fprintf(&b, "Header always set Access-Control-Allow-Headers %q env=CORS_ORIGIN\n", strings.Join(headers, ", "))
		}
		b.WriteString("Header always merge Vary Origin\n")
		b.WriteString("RewriteEngine On\nRewriteCond %{REQUEST_METHOD} OPTIONS\nRewriteCond %{HTTP:Access-Control-Request-Method} !^$\nRewriteRule ^ - [R=204,L]\n")
		return []remedy.Part{{Where: "server", Code: b.String()}}, nil
	case remedy.Caddy:
		var b strings.Builder
		fmt.Fprintf(&b, "    @cors_origin header Origin %s\n", strings.Join(o, " "))
		b.WriteString("    header @cors_origin {\n        Access-Control-Allow-Origin {http.request.header.Origin}\n")
		if p.Credentials {
			b.WriteString("        Access-Control-Allow-Credentials true\n")
		}
		fmt.Fprintf(&b, "        Access-Control-Allow-Methods %q\n", strings.Join(all, ", "))
		if len(headers) > 0 {
			fmt.Fprintf(&b, "        Access-Control-Allow-Headers %q\n", strings.Join(headers, ", "))
		}
		b.WriteString("        Vary Origin\n        defer\n    }\n")
		fmt.Fprintf(&b, "    @cors_preflight {\n        method OPTIONS\n        header Origin %s\n        header Access-Control-Request-Method *\n    }\n    respond @cors_preflight 204\n", strings.Join(o, " "))
		return []remedy.Part{{Where: "site", Code: b.String()}}, nil
	case remedy.ExpressCors:
		code := fmt.Sprintf("const cors = require('cors');\napp.use(cors({ origin: %s, credentials: %t, methods: %s, allowedHeaders: %s }));",
			js(o), p.Credentials, js(all), js(headers))
		return []remedy.Part{{Where: "app", Code: code}}, nil
	case remedy.FastifyCors:
		code := fmt.Sprintf("app.register(require('@fastify/cors'), { origin: %s, credentials: %t, methods: %s, allowedHeaders: %s });",
			js(o), p.Credentials, js(all), js(headers))
		return []remedy.Part{{Where: "app", Code: code}}, nil
	case remedy.FlaskCors:
		code := fmt.Sprintf("from flask_cors import CORS\nCORS(app, resources={r\"/api/*\": {\"origins\": %s}}, supports_credentials=%s, methods=%s, allow_headers=%s)",
			js(o), pyBool[p.Credentials], js(all), js(headers))
		return []remedy.Part{{Where: "app", Code: code}}, nil
	case remedy.DjangoCorsHeaders:
		code := fmt.Sprintf(`INSTALLED_APPS += ['corsheaders']
MIDDLEWARE.insert(0, 'corsheaders.middleware.CorsMiddleware')
from corsheaders.defaults import default_headers
CORS_ALLOWED_ORIGINS = %s
CORS_ALLOW_CREDENTIALS = %s
CORS_ALLOW_METHODS = %s
CORS_ALLOW_HEADERS = (*default_headers, *%s)`, js(o), pyBool[p.Credentials], js(append(all, "OPTIONS")), js(headers))
		return []remedy.Part{{Where: "settings", Code: code}}, nil
	case remedy.Starlette:
		code := fmt.Sprintf("from starlette.middleware.cors import CORSMiddleware\napp.add_middleware(CORSMiddleware, allow_origins=%s, allow_credentials=%s, allow_methods=%s, allow_headers=%s)",
			js(o), pyBool[p.Credentials], js(all), js(headers))
		return []remedy.Part{{Where: "app", Code: code}}, nil
	case remedy.RsCors:
		return goParts(`"github.com/rs/cors"`, fmt.Sprintf(`	return cors.New(cors.Options{
		AllowedOrigins:   %s,
		AllowedMethods:   %s,
		AllowedHeaders:   %s,
		AllowCredentials: %t,
	}).Handler(next)`, goList(o), goList(all), goList(headers), p.Credentials)), nil
	case remedy.GoChiCors:
		return goParts(`"github.com/go-chi/cors"`, fmt.Sprintf(`	return cors.Handler(cors.Options{
		AllowedOrigins:   %s,
		AllowedMethods:   %s,
		AllowedHeaders:   %s,
		AllowCredentials: %t,
	})(next)`, goList(o), goList(all), goList(headers), p.Credentials)), nil
	case remedy.GorillaHandlers:
		cred := ""
		if p.Credentials {
			cred = ", handlers.AllowCredentials()"
		}
		return goParts(`"github.com/gorilla/handlers"`, fmt.Sprintf(`	return handlers.CORS(handlers.AllowedOrigins(%s), handlers.AllowedMethods(%s), handlers.AllowedHeaders(%s)%s)(next)`,
			goList(o), goList(all), goList(headers), cred)), nil
	case remedy.GoNetHTTP:
		cred := ""
		if p.Credentials {
			cred = "\n\t\t\th.Set(\"Access-Control-Allow-Credentials\", \"true\")"
		}
		return goParts("", fmt.Sprintf(`	allowed := map[string]bool{}
	for _, o := range %s {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		if o := r.Header.Get("Origin"); allowed[o] {
			h.Set("Access-Control-Allow-Origin", o)%s
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", %q)
				h.Set("Access-Control-Allow-Headers", %q)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})`, goList(o), cred, strings.Join(all, ", "), strings.Join(headers, ", "))), nil
	}
	return nil, fmt.Errorf("no reference fix for stack %q", id)
}

func goParts(imp, body string) []remedy.Part {
	return []remedy.Part{
		{Where: "imports", Code: strings.TrimSpace(`"net/http"` + "\n" + imp)},
		{Where: "code", Code: "func withCORS(next http.Handler) http.Handler {\n" + body + "\n}"},
	}
}

// referencePolicy is the smallest policy that allows the page's request.
func referencePolicy(r pageRequest, page string) remedy.Policy {
	p := remedy.Policy{Origins: []string{page}, Credentials: r.Credentials == "include"}
	switch r.Method {
	case "GET", "HEAD", "POST":
	default:
		p.Methods = []string{r.Method}
	}
	for _, h := range r.Headers {
		name := strings.ToLower(h[0])
		if name == "content-type" && !strings.HasPrefix(h[1], "application/json") {
			continue
		}
		p.Headers = append(p.Headers, name)
	}
	return p
}
