package remedy

import (
	"fmt"
	"regexp"
	"strings"
)

// corsResponseHeaders are the headers a second CORS layer would duplicate.
var corsResponseHeaders = []string{
	"Access-Control-Allow-Origin",
	"Access-Control-Allow-Credentials",
	"Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers",
	"Access-Control-Expose-Headers",
	"Access-Control-Max-Age",
}

// nginxFix maps each listed origin to itself (an empty value for the
// rest, which makes add_header send nothing), answers OPTIONS in the
// location with return 204, and adds every header with always, at
// location level only: an add_header inside the if block would stop the
// location's own add_header from being inherited there.
func nginxFix(s *spec) fix {
	var http, loc strings.Builder
	if s.any {
		http.WriteString("# Nothing needed here: the answer is the same for every origin.\n")
	} else {
		http.WriteString("map $http_origin $cors_allow_origin {\n    default \"\";\n")
		for _, o := range s.origins {
			fmt.Fprintf(&http, "    %s %s;\n", dq(o), dq(o))
		}
		http.WriteString("}\n")
		if s.creds {
			http.WriteString("map $http_origin $cors_allow_credentials {\n    default \"\";\n")
			for _, o := range s.origins {
				fmt.Fprintf(&http, "    %s \"true\";\n", dq(o))
			}
			http.WriteString("}\n")
		}
	}
	if s.problem == ProblemDuplicateHeaders {
		loc.WriteString("# The upstream app sends CORS headers too: drop its copies.\n")
		for _, h := range corsResponseHeaders {
			fmt.Fprintf(&loc, "proxy_hide_header %s;\n", h)
		}
	}
	if s.preflight() {
		loc.WriteString("# Answer preflights here, before auth, redirects or the app.\nif ($request_method = OPTIONS) {\n    return 204;\n}\n")
	}
	if s.any {
		loc.WriteString("add_header Access-Control-Allow-Origin \"*\" always;\n")
	} else {
		loc.WriteString("add_header Access-Control-Allow-Origin $cors_allow_origin always;\n")
		if s.creds {
			loc.WriteString("add_header Access-Control-Allow-Credentials $cors_allow_credentials always;\n")
		}
	}
	fmt.Fprintf(&loc, "add_header Access-Control-Allow-Methods %s always;\n", dq(s.methodsHeader()))
	if len(s.headers) > 0 {
		fmt.Fprintf(&loc, "add_header Access-Control-Allow-Headers %s always;\n", dq(s.headersHeader()))
	}
	if len(s.expose) > 0 {
		fmt.Fprintf(&loc, "add_header Access-Control-Expose-Headers %s always;\n", dq(s.exposeHeader()))
	}
	if s.maxAge > 0 && s.preflight() {
		fmt.Fprintf(&loc, "add_header Access-Control-Max-Age %d always;\n", s.maxAge)
	}
	if !s.any {
		loc.WriteString("add_header Vary Origin always;\n")
	}
	f := fix{
		pieces: []piece{
			{"http", "In the http {} block:", http.String()},
			{"location", fmt.Sprintf("In the location that serves %s, before its proxy_pass, return or root:", s.apiPrefix()), loc.String()},
		},
		steps: []string{
			"Add the map blocks to the http {} block (nginx.conf or a file in conf.d/).",
			"Add the location lines to the location that serves the API, and remove every other add_header Access-Control-* line for that path (server level, other includes, the if block).",
			"Run nginx -t, then nginx -s reload.",
		},
		notes: []string{
			"Without always, add_header only applies to 200, 201, 204, 206, 301, 302, 303, 304, 307 and 308 responses: errors lose CORS and the browser hides their status.",
			"add_header is inherited from the server or http level only when the location has none of its own: once these lines are in the location, repeat any server-level add_header (security headers) there, or use add_header_inherit merge (nginx 1.29.3+).",
			"Never put add_header inside the if block: that block then loses the location's add_header lines.",
		},
	}
	switch s.problem {
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: these lines make nginx the only one (proxy_hide_header drops the app's copies). Alternatively remove the CORS middleware from the app and leave nginx without CORS lines; never both."}, f.steps...)
		f.notes = append(f.notes, "For fastcgi or uwsgi upstreams use fastcgi_hide_header or uwsgi_hide_header instead of proxy_hide_header.")
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"The OPTIONS answer runs in the rewrite phase, before auth_basic, auth_request and the upstream: keep it in the same location as the auth, not in a location the request never reaches."}, f.steps...)
	case ProblemErrorsWithoutCORS:
		f.notes = append(f.notes, "An error_page that jumps to another location uses that location's add_header lines: repeat the CORS lines there too, or 502/504 pages from nginx itself stay without CORS.")
	case ProblemNoPreflightHandler:
		f.steps = append([]string{"The if ($request_method = OPTIONS) block answers preflights with 204 so they never reach an upstream that answers 404 or 405."}, f.steps...)
	case ProblemPreflightRedirect:
		f.notes = append(f.notes, "A server-level return 301 (http to https, trailing slash) runs before this location: the page must call the final URL.")
	}
	return f
}

// apacheFix matches each origin with a fully anchored, escaped regex and
// stores the literal origin (no reflection); "Header always" covers error
// responses; mod_rewrite in the virtual host answers preflights before
// authentication.
func apacheFix(s *spec) fix {
	var b strings.Builder
	cond := ""
	if s.any {
		b.WriteString("Header always set Access-Control-Allow-Origin \"*\"\n")
	} else {
		cond = " env=CORS_ORIGIN"
		for _, o := range s.origins {
			fmt.Fprintf(&b, "SetEnvIf Origin \"^%s$\" CORS_ORIGIN=%s\n", regexp.QuoteMeta(o), o)
		}
		if s.problem == ProblemDuplicateHeaders {
			for _, h := range corsResponseHeaders {
				fmt.Fprintf(&b, "Header unset %s\n", h)
			}
		}
		b.WriteString("Header always set Access-Control-Allow-Origin \"%{CORS_ORIGIN}e\" env=CORS_ORIGIN\n")
		if s.creds {
			b.WriteString("Header always set Access-Control-Allow-Credentials \"true\" env=CORS_ORIGIN\n")
		}
	}
	fmt.Fprintf(&b, "Header always set Access-Control-Allow-Methods %s%s\n", dq(s.methodsHeader()), cond)
	if len(s.headers) > 0 {
		fmt.Fprintf(&b, "Header always set Access-Control-Allow-Headers %s%s\n", dq(s.headersHeader()), cond)
	}
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "Header always set Access-Control-Expose-Headers %s%s\n", dq(s.exposeHeader()), cond)
	}
	if s.maxAge > 0 && s.preflight() {
		fmt.Fprintf(&b, "Header always set Access-Control-Max-Age \"%d\"%s\n", s.maxAge, cond)
	}
	if !s.any {
		b.WriteString("Header always merge Vary Origin\n")
	}
	if s.preflight() {
		b.WriteString("# Answer preflights here, before authentication and the application.\n")
		b.WriteString("RewriteEngine On\nRewriteCond %{REQUEST_METHOD} =OPTIONS\nRewriteCond %{HTTP:Access-Control-Request-Method} !=\"\"\nRewriteRule ^ - [R=204,L]\n")
	}
	f := fix{
		pieces: []piece{{"server", "Inside the <VirtualHost> that serves the API (not .htaccess):", b.String()}},
		steps: []string{
			"Run a2enmod headers rewrite setenvif (or load mod_headers, mod_rewrite and mod_setenvif).",
			"Put the lines in the <VirtualHost>, and remove every other Header ... Access-Control-* line for that path.",
			"Run apachectl configtest, then apachectl graceful.",
		},
		notes: []string{
			"Header set without always only touches 2xx responses (the onsuccess table); always also covers redirects and errors. Setting the same header in both tables sends it twice.",
			"The origin regexes are anchored (^...$) with escaped dots: the popular ^https?://[^/]*example\\.com$ also matches https://evilexample.com.",
		},
	}
	if s.preflight() {
		f.notes = append(f.notes, "Keep the RewriteRule in the <VirtualHost>: in .htaccess or <Directory>, mod_rewrite runs after authentication, so a protected path would still answer the preflight with 401.")
	}
	switch s.problem {
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: the Header unset lines drop the proxied app's copies so Apache's are the only ones. Alternatively remove CORS from the app and these lines from Apache; never both."}, f.steps...)
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"The RewriteRule answers OPTIONS before Require valid-user or any auth module runs."}, f.steps...)
	case ProblemErrorsWithoutCORS:
		f.steps = append([]string{"Replace every Header set Access-Control-* (onsuccess) with the Header always set lines below."}, f.steps...)
	}
	return f
}

// caddyFix writes one named matcher per origin with the literal origin as
// the header value (no placeholder), answers matching preflights with
// respond 204 inside a handle block (so it also wins over the site's own
// handle blocks). The headers are not deferred: deferred headers are lost
// when a handler such as basicauth returns an error, immediate ones stay.
func caddyFix(s *spec) fix {
	var b strings.Builder
	write := func(block string, lines ...string) {
		b.WriteString(block + " {\n")
		for _, l := range lines {
			if l != "" {
				b.WriteString("\t" + l + "\n")
			}
		}
		b.WriteString("}\n")
	}
	opt := func(cond bool, l string) string {
		if cond {
			return l
		}
		return ""
	}
	common := func() []string {
		return []string{
			opt(s.creds, "Access-Control-Allow-Credentials true"),
			opt(len(s.expose) > 0, "Access-Control-Expose-Headers "+dq(s.exposeHeader())),
		}
	}
	if s.any {
		write("header", append([]string{"Access-Control-Allow-Origin *"}, common()...)...)
	} else {
		for i, o := range s.origins {
			name := fmt.Sprintf("@cors_origin_%d", i+1)
			fmt.Fprintf(&b, "%s header Origin %s\n", name, o)
			write("header "+name, append([]string{"Access-Control-Allow-Origin " + o}, common()...)...)
		}
		b.WriteString("header +Vary Origin\n")
	}
	if s.preflight() {
		// One line per origin: values of the same field are OR'ed (Caddy
		// 2.6 reads only one value per line).
		lines := []string{"method OPTIONS"}
		for _, o := range s.originList() {
			lines = append(lines, "header Origin "+o)
		}
		lines = append(lines, "header Access-Control-Request-Method *")
		b.WriteString("# Answer preflights here, before authentication and reverse_proxy.\n")
		write("@cors_preflight", lines...)
		write("header @cors_preflight",
			"Access-Control-Allow-Methods "+dq(s.methodsHeader()),
			opt(len(s.headers) > 0, "Access-Control-Allow-Headers "+dq(s.headersHeader())),
			opt(s.maxAge > 0, fmt.Sprintf("Access-Control-Max-Age %d", s.maxAge)))
		write("handle @cors_preflight", "respond 204")
		if s.problem == ProblemAuthBeforeCORS {
			b.WriteString("# Use as the matcher of basicauth / forward_auth: they run before handle in Caddy's order.\n")
			b.WriteString("@cors_not_preflight {\n\tnot {\n\t\tmethod OPTIONS\n\t\theader Access-Control-Request-Method *\n\t}\n}\n")
		}
	} else {
		b.WriteString("header Access-Control-Allow-Methods " + dq(s.methodsHeader()) + "\n")
	}
	f := fix{
		pieces: []piece{{"site", "Inside the site block that serves the API (Caddy 2.6+):", b.String()}},
		steps: []string{
			"Add the lines to the site block, and remove any other header Access-Control-* lines or CORS snippets for that site.",
			"Run caddy validate --config Caddyfile (or caddy adapt), then caddy reload.",
		},
		notes: []string{
			"Caddy has no CORS directive. Each origin has its own matcher and the header value is the literal origin: the popular {header.origin} copy reflects any origin, with credentials too.",
			"Without the respond, OPTIONS falls through to reverse_proxy and whatever the upstream answers.",
			"The header lines are not deferred on purpose: deferred headers are dropped from error responses (a 401 from basicauth), immediate ones stay.",
		},
	}
	switch s.problem {
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: remove it from the app, or strip the app's copies in reverse_proxy with header_down -Access-Control-Allow-Origin (and the other Access-Control-* headers). Without that, reverse_proxy adds the app's copies next to these."}, f.steps...)
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"In Caddy's directive order basicauth and forward_auth run before handle, so they answer the preflight with 401 first: give them the @cors_not_preflight matcher (basicauth @cors_not_preflight { ... }; if the auth was scoped to a path, add that path line inside the matcher)."}, f.steps...)
	case ProblemErrorsWithoutCORS:
		f.notes = append(f.notes, "Errors Caddy generates itself (502 from reverse_proxy, 404 from file_server) go through handle_errors: repeat the @cors_origin matchers and header blocks inside handle_errors.")
	}
	return f
}
