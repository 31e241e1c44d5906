package remedy

import (
	"fmt"
	"strings"
)

// stacks is the documented list, in the order the form and the docs show
// it. Verified marks the stacks whose snippets realstack applies to a real
// server and re-checks in browsers.
var stacks = []Stack{
	{ID: Nginx, Name: "nginx", Language: "nginx", Verified: true},
	{ID: Apache, Name: "Apache httpd", Language: "apache", Verified: true},
	{ID: Caddy, Name: "Caddy", Language: "caddyfile", Verified: true},
	{ID: ExpressCors, Name: "Express (cors package)", Language: "javascript", Verified: true},
	{ID: FastifyCors, Name: "Fastify (@fastify/cors)", Language: "javascript", Verified: true},
	{ID: Spring, Name: "Spring (MVC + Security)", Language: "java"},
	{ID: DjangoCorsHeaders, Name: "Django (django-cors-headers)", Language: "python", Verified: true},
	{ID: FlaskCors, Name: "Flask (Flask-CORS)", Language: "python", Verified: true},
	{ID: Starlette, Name: "Starlette / FastAPI (CORSMiddleware)", Language: "python", Verified: true},
	{ID: ASPNetCore, Name: "ASP.NET Core", Language: "csharp"},
	{ID: RackCors, Name: "Rails / Rack (rack-cors)", Language: "ruby"},
	{ID: RsCors, Name: "Go (github.com/rs/cors)", Language: "go", Verified: true},
	{ID: GoChiCors, Name: "Go (github.com/go-chi/cors)", Language: "go", Verified: true},
	// The Go module proxy reachable here refuses jub0bs/cors, so the
	// real-server suite cannot build it: its snippets are unverified.
	{ID: Jub0bsCors, Name: "Go (github.com/jub0bs/cors)", Language: "go", Verified: false},
	{ID: GorillaHandlers, Name: "Go (github.com/gorilla/handlers)", Language: "go", Verified: true},
	{ID: GoNetHTTP, Name: "Go (net/http, hand-written)", Language: "go", Verified: true},
	{ID: AWSS3, Name: "Amazon S3 bucket CORS", Language: "json"},
	{ID: AWSAPIGateway, Name: "Amazon API Gateway", Language: "json"},
	{ID: AWSCloudFront, Name: "Amazon CloudFront", Language: "json"},
	{ID: Cloudflare, Name: "Cloudflare (Workers, Access)", Language: "javascript"},
	{ID: Vercel, Name: "Vercel", Language: "json"},
	{ID: Netlify, Name: "Netlify", Language: "text"},
	{ID: Unknown, Name: "Other server (raw headers)", Language: "http"},
}

// Stacks returns every stack corsdoctor writes fixes for, in display
// order. The slice is a copy: callers may modify it.
func Stacks() []Stack {
	out := make([]Stack, len(stacks))
	copy(out, stacks)
	return out
}

// LookupStack returns the stack with the given ID.
func LookupStack(id StackID) (Stack, bool) {
	for _, s := range stacks {
		if s.ID == id {
			return s, true
		}
	}
	return Stack{}, false
}

// ParseStackID parses a stack ID as typed in the form, the API or the CLI.
// Surrounding spaces and letter case are ignored; anything else must match
// a documented ID exactly, and the error lists them.
func ParseStackID(s string) (StackID, error) {
	id := StackID(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := LookupStack(id); ok {
		return id, nil
	}
	ids := make([]string, len(stacks))
	for i, st := range stacks {
		ids[i] = string(st.ID)
	}
	return "", fmt.Errorf("unknown stack %q: valid stacks are %s", s, strings.Join(ids, ", "))
}
