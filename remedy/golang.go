package remedy

import (
	"fmt"
	"strconv"
	"strings"
)

// indentGo indents generated Go by bracket nesting, one tab a level as
// gofmt does. The snippets are built unindented; running go/format on every
// diagnosis would cost more than the whole judgement, and an editor's gofmt
// on save only aligns the values (TestGoSnippetsAreGofmted checks that
// gofmt changes nothing but spaces within lines).
func indentGo(code string) string {
	var b strings.Builder
	depth := 0
	for _, line := range strings.Split(strings.TrimRight(code, "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			b.WriteByte('\n')
			continue
		}
		d := depth
		if line[0] == '}' || line[0] == ')' {
			d--
		}
		b.WriteString(strings.Repeat("\t", max(d, 0)))
		b.WriteString(line)
		b.WriteByte('\n')
		if strings.HasPrefix(line, "//") {
			continue
		}
		net := strings.Count(line, "{") + strings.Count(line, "(") - strings.Count(line, "}") - strings.Count(line, ")")
		switch {
		case net > 0:
			depth++
		case net < 0:
			depth = max(depth-1, 0)
		}
	}
	return b.String()
}

// goList is a []string literal.
func goList(vals []string) string { return "[]string{" + list(vals, strconv.Quote) + "}" }

// goFix assembles a Go fix: the imports part and the code part, which
// declares func withCORS(next http.Handler) http.Handler and nothing else
// at top level (realstack pastes it into a main package).
func goFix(s *spec, imports []string, body string, steps, notes []string) fix {
	code := "// withCORS answers preflights and adds CORS headers before next (and\n// so before authentication) runs.\nfunc withCORS(next http.Handler) http.Handler {\n" + body + "}\n"
	code = indentGo(code)
	var imp strings.Builder
	for _, p := range imports {
		imp.WriteString(strconv.Quote(p) + "\n")
	}
	steps = append([]string{"Wrap the whole handler, outside routing and authentication: http.ListenAndServe(addr, withCORS(mux)). Remove any other CORS middleware and hand-written Access-Control-* headers."}, steps...)
	switch s.problem {
	case ProblemAuthBeforeCORS:
		steps = append([]string{"Move CORS outside authentication: withCORS must wrap the auth middleware (withCORS(auth(mux))), not the other way round, so preflights are answered before credentials are checked."}, steps...)
	case ProblemNoPreflightHandler:
		steps = append([]string{"Wrap the whole mux, not single handlers: a mux pattern like \"POST /api/items\" answers OPTIONS with 405 before a per-handler CORS wrapper runs."}, steps...)
	case ProblemErrorsWithoutCORS:
		notes = append(notes, "Headers set before next runs stay on error responses the handlers write (http.Error keeps them); a recovery middleware must sit inside withCORS, and a proxy's own 502 has none.")
	case ProblemDuplicateHeaders:
		steps = append([]string{"Keep CORS in one layer: remove the proxy's Access-Control-* headers (nginx add_header, Apache Header set, a CDN rule) or this middleware, never both."}, steps...)
	}
	return fix{
		pieces: []piece{
			{"imports", "Imports:", imp.String()},
			{"code", "Top-level declarations:", code},
		},
		steps: steps,
		notes: notes,
	}
}

func rsCorsFix(s *spec) fix {
	var b strings.Builder
	b.WriteString("c := cors.New(cors.Options{\n")
	if s.any {
		b.WriteString("AllowedOrigins: []string{\"*\"},\n")
	} else {
		fmt.Fprintf(&b, "AllowedOrigins: %s,\n", goList(s.origins))
	}
	fmt.Fprintf(&b, "AllowedMethods: %s,\n", goList(s.methods))
	if len(s.headers) > 0 {
		fmt.Fprintf(&b, "AllowedHeaders: %s,\n", goList(s.headers))
	}
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "ExposedHeaders: %s,\n", goList(s.expose))
	}
	if s.creds {
		b.WriteString("AllowCredentials: true,\n")
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "MaxAge: %d,\n", s.maxAge)
	}
	b.WriteString("})\nreturn c.Handler(next)\n")
	return goFix(s, []string{"net/http", "github.com/rs/cors"}, b.String(),
		[]string{"go get github.com/rs/cors@latest (v1.11 or later)."},
		[]string{
			"AllowedMethods replaces the default (GET, HEAD, POST), so those are listed too. AllowedHeaders left out means accept, content-type and x-requested-with only.",
			"A refused preflight still gets 204, only without Access-Control-* headers: the browser then reports a missing Access-Control-Allow-Origin whatever the real cause (method, header).",
			"rs/cors compares methods case-sensitively; origins containing '*' are wildcards, which this fix never uses.",
		})
}

func chiCorsFix(s *spec) fix {
	var b strings.Builder
	b.WriteString("return cors.Handler(cors.Options{\n")
	if s.any {
		b.WriteString("AllowedOrigins: []string{\"*\"},\n")
	} else {
		fmt.Fprintf(&b, "AllowedOrigins: %s,\n", goList(s.origins))
	}
	fmt.Fprintf(&b, "AllowedMethods: %s,\n", goList(s.methods))
	if len(s.headers) > 0 {
		fmt.Fprintf(&b, "AllowedHeaders: %s,\n", goList(s.headers))
	}
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "ExposedHeaders: %s,\n", goList(s.expose))
	}
	if s.creds {
		b.WriteString("AllowCredentials: true,\n")
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "MaxAge: %d,\n", s.maxAge)
	}
	b.WriteString("})(next)\n")
	notes := []string{
		"go-chi/cors upper-cases methods and echoes the requested method upper-cased in Access-Control-Allow-Methods, so a page sending a lower-case method (\"patch\") fails: send it upper-case.",
		"AllowedMethods replaces the default (GET, HEAD, POST), so those are listed too. A refused preflight gets 200 without Access-Control-* headers.",
		"With chi, r.Use(cors.Handler(...)) must come before other middleware and routes; wrapping the whole router as here also answers OPTIONS for paths with no OPTIONS route.",
	}
	return goFix(s, []string{"net/http", "github.com/go-chi/cors"}, b.String(),
		[]string{"go get github.com/go-chi/cors@latest (v1.2 or later)."}, notes)
}

func jub0bsFix(s *spec) fix {
	var b strings.Builder
	var notes []string
	b.WriteString("m, err := cors.NewMiddleware(cors.Config{\n")
	if s.any {
		b.WriteString("Origins: []string{\"*\"},\n")
	} else {
		fmt.Fprintf(&b, "Origins: %s,\n", goList(s.origins))
	}
	if s.creds {
		b.WriteString("Credentialed: true,\n")
		for _, o := range s.origins {
			if strings.HasPrefix(o, "http://") && !isLoopbackOrigin(o) {
				b.WriteString("DangerouslyTolerateInsecureOrigins: true, // an http:// origin with credentials; serve the page over https instead\n")
				notes = append(notes, "jub0bs/cors refuses http:// origins (other than localhost) with credentials unless DangerouslyTolerateInsecureOrigins is set: a network attacker can impersonate them. Moving the page to https is the real fix.")
				break
			}
		}
	}
	fmt.Fprintf(&b, "Methods: %s,\n", goList(s.methods))
	if len(s.headers) > 0 {
		fmt.Fprintf(&b, "RequestHeaders: %s,\n", goList(s.headers))
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "MaxAgeInSeconds: %d,\n", s.maxAge)
	}
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "ResponseHeaders: %s,\n", goList(s.expose))
	}
	b.WriteString("})\nif err != nil {\n// The configuration is invalid: fail at start-up, not per request.\npanic(err)\n}\nreturn m.Wrap(next)\n")
	notes = append(notes,
		"NewMiddleware validates the configuration and returns an error for unsafe or dysfunctional settings (\"*\" with credentials, forbidden methods or headers); the snippet panics at start-up so it cannot be ignored.",
		"MaxAgeInSeconds 0 means the browser default of 5 s, -1 disables caching, and values above 86400 are refused.",
		"With debug off, a refused preflight gets 204 without Access-Control-* headers; m.SetDebug(true) makes the browser's error message precise while you test.",
	)
	return goFix(s, []string{"net/http", "github.com/jub0bs/cors"}, b.String(),
		[]string{"go get github.com/jub0bs/cors@latest (the Config/NewMiddleware API; checked with v0.14 and v1.0)."}, notes)
}

func isLoopbackOrigin(o string) bool {
	host := strings.TrimPrefix(strings.TrimPrefix(o, "http://"), "https://")
	if i := strings.LastIndex(host, ":"); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasPrefix(host, "127.") || host == "[::1]"
}

func gorillaFix(s *spec) fix {
	var b strings.Builder
	b.WriteString("h := handlers.CORS(\n")
	if s.any {
		b.WriteString("handlers.AllowedOrigins([]string{\"*\"}),\n")
	} else {
		fmt.Fprintf(&b, "handlers.AllowedOrigins(%s),\n", goList(s.origins))
	}
	fmt.Fprintf(&b, "handlers.AllowedMethods(%s),\n", goList(s.methods))
	if len(s.headers) > 0 {
		fmt.Fprintf(&b, "handlers.AllowedHeaders(%s),\n", goList(s.headers))
	}
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "handlers.ExposedHeaders(%s),\n", goList(s.expose))
	}
	if s.creds {
		b.WriteString("handlers.AllowCredentials(),\n")
	}
	maxAge := s.maxAge
	var notes []string
	if maxAge > 600 {
		maxAge = 600
		notes = append(notes, "gorilla/handlers caps MaxAge at 600 seconds.")
	}
	if maxAge > 0 {
		fmt.Fprintf(&b, "handlers.MaxAge(%d),\n", maxAge)
	}
	b.WriteString("handlers.OptionStatusCode(http.StatusNoContent),\n)(next)\n")
	if s.any {
		b.WriteString("return h\n")
	} else {
		b.WriteString("return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {\n// gorilla/handlers sends Vary: Origin only when several origins are allowed.\nw.Header().Add(\"Vary\", \"Origin\")\nh.ServeHTTP(w, r)\n})\n")
	}
	notes = append(notes,
		"AllowedMethods replaces the default (GET, HEAD, POST), so those are listed too; it upper-cases the list while comparing Access-Control-Request-Method as sent, so a lower-case method (\"patch\") can never pass.",
		"A preflight must carry Access-Control-Request-Method (else 400); a disallowed method gets 405 and a disallowed header 403, all without CORS headers.",
		"AllowedHeaders adds to the defaults (Accept, Accept-Language, Content-Language, Origin); Content-Type must be listed for JSON bodies.",
		"Without the wrapper, gorilla/handlers sends no Vary: Origin when one origin is allowed, so a shared cache can serve one origin's answer to another.",
	)
	return goFix(s, []string{"net/http", "github.com/gorilla/handlers"}, b.String(),
		[]string{"go get github.com/gorilla/handlers@latest (v1.5 or later)."}, notes)
}

func netHTTPFix(s *spec) fix {
	var b strings.Builder
	if !s.any {
		b.WriteString("allowed := map[string]bool{\n")
		for _, o := range s.origins {
			fmt.Fprintf(&b, "%s: true,\n", strconv.Quote(o))
		}
		b.WriteString("}\n")
	}
	b.WriteString("return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {\nh := w.Header()\n")
	if s.any {
		b.WriteString("ok := r.Header.Get(\"Origin\") != \"\"\n")
	} else {
		b.WriteString("origin := r.Header.Get(\"Origin\")\nok := allowed[origin]\nh.Add(\"Vary\", \"Origin\")\n")
	}
	b.WriteString("if ok {\n")
	if s.any {
		b.WriteString("h.Set(\"Access-Control-Allow-Origin\", \"*\")\n")
	} else {
		b.WriteString("h.Set(\"Access-Control-Allow-Origin\", origin)\n")
	}
	if s.creds {
		b.WriteString("h.Set(\"Access-Control-Allow-Credentials\", \"true\")\n")
	}
	b.WriteString("}\n")
	b.WriteString("if r.Method == http.MethodOptions && r.Header.Get(\"Access-Control-Request-Method\") != \"\" {\n")
	b.WriteString("// A preflight: answer it here, before authentication and routing.\n")
	b.WriteString("if ok {\n")
	fmt.Fprintf(&b, "h.Set(\"Access-Control-Allow-Methods\", %s)\n", strconv.Quote(s.methodsHeader()))
	if len(s.headers) > 0 {
		fmt.Fprintf(&b, "h.Set(\"Access-Control-Allow-Headers\", %s)\n", strconv.Quote(s.headersHeader()))
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "h.Set(\"Access-Control-Max-Age\", %s)\n", strconv.Quote(strconv.Itoa(s.maxAge)))
	}
	b.WriteString("}\nw.WriteHeader(http.StatusNoContent)\nreturn\n}\n")
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "if ok {\nh.Set(\"Access-Control-Expose-Headers\", %s)\n}\n", strconv.Quote(s.exposeHeader()))
	}
	b.WriteString("next.ServeHTTP(w, r)\n})\n")
	return goFix(s, []string{"net/http"}, b.String(), nil, []string{
		"Access-Control-Allow-Origin is the request's Origin only after an exact map lookup; Vary: Origin goes on every response because the answer depends on it.",
		"Every OPTIONS request with Access-Control-Request-Method is answered 204 here; a handler that serves OPTIONS for other reasons (WebDAV) still gets the others.",
	})
}
