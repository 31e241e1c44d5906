package diagnose_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/remedy"
)

// corsLike is a small CORS middleware imitation with the knobs the root
// cause tests need: which origins, methods and headers it allows, how it
// refuses (silently, or with a status), and what else the server adds.
type corsLike struct {
	origins      []string
	methods      []string // besides GET, HEAD, POST
	headers      []string // lower-case
	credentials  bool
	upperMethods bool // go-chi/cors: compare methods upper-cased
	refuseStatus int  // 0: 204 without CORS headers (rs/cors)
	vary         string
	extra        http.Header
}

func (c corsLike) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, vs := range c.extra {
		w.Header()[k] = vs
	}
	origin := r.Header.Get("Origin")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		if c.vary != "" {
			w.Header().Set("Vary", c.vary)
		}
		m := r.Header.Get("Access-Control-Request-Method")
		if c.upperMethods {
			m = strings.ToUpper(m)
		}
		ok := slices.Contains(c.origins, origin) && (m == "GET" || m == "HEAD" || m == "POST" || slices.Contains(c.methods, m))
		if hs := r.Header.Get("Access-Control-Request-Headers"); hs != "" {
			for _, h := range strings.Split(hs, ",") {
				ok = ok && slices.Contains(c.headers, strings.TrimSpace(h))
			}
		}
		if !ok {
			status := c.refuseStatus
			if status == 0 {
				status = 204
			}
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Methods", m)
		if hs := r.Header.Get("Access-Control-Request-Headers"); hs != "" {
			w.Header().Set("Access-Control-Allow-Headers", hs)
		}
		if c.credentials {
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		w.WriteHeader(204)
		return
	}
	if slices.Contains(c.origins, origin) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		if c.credentials {
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
	}
	w.Write([]byte("ok"))
}

const page = "http://127.0.0.1:3000"

func TestExplain(t *testing.T) {
	type want struct {
		blocked  bool
		noRoot   bool
		layer    string
		problem  string
		stack    remedy.StackID
		where    string
		summary  string   // substring
		policy   []string // substrings of the policy's methods+headers+origins
		fixURL   string   // a client fix's URL suffix
		fixMeth  string
		collapse bool
	}
	cases := []struct {
		name    string
		handler http.Handler
		req     diagnose.Request
		want    want
	}{
		{
			name:    "rs/cors defaults refuse PUT silently",
			handler: corsLike{origins: []string{page}, vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
			req:     diagnose.Request{Method: "PUT"},
			want:    want{blocked: true, layer: "cors-middleware", problem: "policy", stack: remedy.RsCors, where: "server", summary: "refuses the method PUT", policy: []string{"PUT", page}},
		},
		{
			name:    "silent refusal names the one refused header",
			handler: corsLike{origins: []string{page}, headers: []string{"content-type"}, vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
			req:     diagnose.Request{Method: "POST", Headers: []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "X-Trace", Value: "1"}}},
			want:    want{blocked: true, layer: "cors-middleware", problem: "policy", stack: remedy.RsCors, where: "server", summary: "the header x-trace", policy: []string{"x-trace", "content-type"}},
		},
		{
			name:    "gorilla's empty 403 for a refused header",
			handler: corsLike{origins: []string{page}, methods: []string{"PUT"}, refuseStatus: 403},
			req:     diagnose.Request{Method: "PUT", Headers: []diagnose.Header{{Name: "Authorization", Value: "Bearer x"}}},
			want:    want{blocked: true, layer: "cors-middleware", problem: "policy", stack: remedy.GorillaHandlers, where: "server", summary: "the header authorization", policy: []string{"authorization", "PUT"}},
		},
		{
			name: "authentication before CORS: 401 preflight",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
			}),
			req:  diagnose.Request{Method: "GET", Headers: []diagnose.Header{{Name: "Authorization", Value: "Bearer x"}}, Credentials: diagnose.CredentialsInclude},
			want: want{blocked: true, layer: "authentication", problem: "auth-before-cors", where: "server", summary: "Authentication answers the preflight with 401", policy: []string{"authorization"}, collapse: true},
		},
		{
			name: "Express answers OPTIONS itself: 200 Allow without CORS",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Powered-By", "Express")
				if r.Method == http.MethodOptions {
					w.Header().Set("Allow", "GET,HEAD,PUT")
					w.Write([]byte("GET,HEAD,PUT"))
					return
				}
				w.Header().Set("Access-Control-Allow-Origin", "*")
			}),
			req:  diagnose.Request{Method: "PUT"},
			want: want{blocked: true, layer: "framework", problem: "not-configured", stack: remedy.ExpressCors, where: "server", summary: "No response carries a CORS header", collapse: true},
		},
		{
			name: "CORS headers are added but nothing ends the preflight: the route's 405",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", page)
				w.Header().Set("Vary", "Origin")
				if r.Method == http.MethodOptions {
					w.Header().Set("Allow", "GET, HEAD, PUT")
					http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
				}
			}),
			req:  diagnose.Request{Method: "PUT"},
			want: want{blocked: true, layer: "router", problem: "no-preflight-handler", where: "server", summary: "nothing ends the preflight", policy: []string{"PUT"}},
		},
		{
			name: "trailing-slash redirect: call the final URL",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/items" {
					http.Redirect(w, r, "/api/items/", http.StatusMovedPermanently)
					return
				}
				corsLike{origins: []string{page}, methods: []string{"PUT"}}.ServeHTTP(w, r)
			}),
			req:  diagnose.Request{Method: "PUT"},
			want: want{blocked: true, layer: "client", problem: "client", where: "client", summary: "call it directly", fixURL: "/api/items/"},
		},
		{
			name: "origin list has localhost, the page runs on 127.0.0.1",
			handler: corsLike{origins: []string{"http://localhost:3000"}, methods: []string{"PUT"},
				extra: http.Header{"X-Powered-By": {"Express"}}, refuseStatus: 204},
			req:  diagnose.Request{Method: "PUT"},
			want: want{blocked: true, layer: "cors-middleware", problem: "policy", stack: remedy.ExpressCors, where: "server", summary: "allows http://localhost:3000 but not " + page, policy: []string{page}},
		},
		{
			name:    "lowercase patch against a middleware that upper-cases",
			handler: corsLike{origins: []string{page}, methods: []string{"PATCH"}, upperMethods: true},
			req:     diagnose.Request{Method: "patch"},
			want:    want{blocked: true, layer: "client", problem: "client", where: "client", summary: "in lower case", fixMeth: "PATCH"},
		},
		{
			name: "nginx without always: the 401 has no CORS headers",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Server", "nginx/1.22.1")
				if r.Method == http.MethodOptions {
					corsLike{origins: []string{page}, headers: []string{"authorization"}, credentials: true}.ServeHTTP(w, r)
					return
				}
				http.Error(w, "<html><center>nginx</center></html>", http.StatusUnauthorized)
			}),
			req:  diagnose.Request{Headers: []diagnose.Header{{Name: "Authorization", Value: "Bearer x"}}, Credentials: diagnose.CredentialsInclude},
			want: want{blocked: true, layer: "authentication", problem: "errors-without-cors", stack: remedy.Nginx, where: "server", summary: "401 and no CORS headers", collapse: true},
		},
		{
			name: "proxy and application both add Access-Control-Allow-Origin",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Server", "nginx")
				w.Header().Set("X-Powered-By", "Express")
				w.Header().Add("Access-Control-Allow-Origin", page)
				w.Header().Add("Access-Control-Allow-Origin", "*")
			}),
			req:  diagnose.Request{},
			want: want{blocked: true, layer: "reverse-proxy", problem: "duplicate-headers", where: "server", summary: "Two layers add"},
		},
		{
			name: "credentials against a public * API: drop credentials",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
			}),
			req:  diagnose.Request{Credentials: diagnose.CredentialsInclude},
			want: want{blocked: true, layer: "client", problem: "client", where: "client", summary: "Drop credentials"},
		},
		{
			name: "credentials against * whose preflight also refuses the method: a server fix",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.Header().Set("Access-Control-Allow-Methods", "GET")
			}),
			req:  diagnose.Request{Method: "PUT", Credentials: diagnose.CredentialsInclude},
			want: want{blocked: true, layer: "cors-middleware", problem: "policy", where: "server", summary: "must name the origin", policy: []string{"PUT", page}},
		},
		{
			name: "* with Allow-Credentials: true means credentials: a server fix",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}),
			req:  diagnose.Request{Credentials: diagnose.CredentialsInclude},
			want: want{blocked: true, layer: "cors-middleware", problem: "policy", where: "server", summary: "must name the origin", policy: []string{page}},
		},
		{
			name:    "a simple credentialed GET without Allow-Credentials: the fingerprint follow-up names rs/cors",
			handler: corsLike{origins: []string{page}, vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
			req:     diagnose.Request{Credentials: diagnose.CredentialsInclude},
			want:    want{blocked: true, layer: "cors-middleware", problem: "policy", stack: remedy.RsCors, where: "server", summary: "does not allow them", policy: []string{page}},
		},
		{
			name:    "no CORS anywhere",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) }),
			req:     diagnose.Request{},
			want:    want{blocked: true, layer: "cors-middleware", problem: "not-configured", where: "server", summary: "no CORS header at all", policy: []string{page}},
		},
		{
			name:    "allowed, nothing to say",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Access-Control-Allow-Origin", "*") }),
			req:     diagnose.Request{},
			want:    want{noRoot: true},
		},
		{
			name: "allowed, but the echo lacks Vary: Origin",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			}),
			req:  diagnose.Request{},
			want: want{layer: "cors-middleware", problem: "policy", where: "server", summary: "Vary: Origin"},
		},
	}
	prober := diagnose.NewProber(diagnose.ProberConfig{Limits: diagnose.Limits{Timeout: 5 * time.Second}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			req := tc.req
			req.URL = srv.URL + "/api/items"
			req.Origin = page
			rep, err := prober.Probe(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Blocked(); got != tc.want.blocked {
				t.Fatalf("blocked = %v, want %v", got, tc.want.blocked)
			}
			rc := rep.RootCause
			if tc.want.noRoot {
				if rc != nil {
					t.Fatalf("root cause %+v, want none", rc)
				}
				return
			}
			if rc == nil {
				t.Fatal("no root cause")
			}
			if rc.Layer != tc.want.layer || rc.Problem != tc.want.problem || rc.Fix.Where != tc.want.where {
				t.Errorf("layer/problem/where = %s/%s/%s, want %s/%s/%s\nsummary: %s\nevidence: %q", rc.Layer, rc.Problem, rc.Fix.Where, tc.want.layer, tc.want.problem, tc.want.where, rc.Summary, rc.Evidence)
			}
			if tc.want.stack != "" && rc.Stack.ID != tc.want.stack {
				t.Errorf("stack = %s (%s, %q), want %s", rc.Stack.ID, rc.Stack.Confidence, rc.Stack.Evidence, tc.want.stack)
			}
			if !strings.Contains(rc.Summary, tc.want.summary) {
				t.Errorf("summary %q does not say %q", rc.Summary, tc.want.summary)
			}
			if rc.Collapses != tc.want.collapse {
				t.Errorf("collapses = %v, want %v", rc.Collapses, tc.want.collapse)
			}
			pol := strings.Join(append(append(append([]string{}, rc.Fix.Policy.Methods...), rc.Fix.Policy.Headers...), rc.Fix.Policy.Origins...), " ")
			for _, p := range tc.want.policy {
				if !strings.Contains(pol, p) {
					t.Errorf("policy %q lacks %q", pol, p)
				}
			}
			if rc.Fix.Policy.Credentials != (req.Credentials == diagnose.CredentialsInclude) {
				t.Errorf("policy credentials = %v", rc.Fix.Policy.Credentials)
			}
			for _, o := range rc.Fix.Policy.Origins {
				if o == "*" || o == "https://evil.example" {
					t.Errorf("policy origin %q", o)
				}
			}
			if tc.want.where == "server" && rc.Layer != "network" && rc.Fix.Snippet.Code == "" {
				t.Errorf("no snippet for a server fix")
			}
			if tc.want.fixURL != "" && (rc.Fix.Request == nil || !strings.HasSuffix(rc.Fix.Request.URL, tc.want.fixURL)) {
				t.Errorf("client fix request %+v, want URL ending %s", rc.Fix.Request, tc.want.fixURL)
			}
			if tc.want.fixMeth != "" && (rc.Fix.Request == nil || rc.Fix.Request.Method != tc.want.fixMeth) {
				t.Errorf("client fix request %+v, want method %s", rc.Fix.Request, tc.want.fixMeth)
			}
			if rc.Fix.Request != nil {
				// A client fix is proven on the same server: probing the
				// corrected request must be allowed.
				fixed, err := prober.Probe(context.Background(), *rc.Fix.Request)
				if err != nil {
					t.Fatal(err)
				}
				if fixed.Blocked() {
					t.Errorf("the client fix is still blocked: %s", fixed.Summary.Chromium)
				}
			}
			// Re-explaining for another stack keeps the cause and changes
			// only the fix.
			again := diagnose.Explain(rep, remedy.Nginx)
			if again.Summary != rc.Summary || again.Stack.ID != remedy.Nginx || (rc.Stack.ID != remedy.Nginx && !again.Stack.Chosen) {
				t.Errorf("Explain for nginx: %+v", again.Stack)
			}
		})
	}
}

// TestPreflightDiffersNamesUserAgent: when only Firefox preflights because
// the page set User-Agent (Chromium drops it), the finding says so.
func TestPreflightDiffersNamesUserAgent(t *testing.T) {
	srv := httptest.NewServer(corsLike{origins: []string{page}})
	defer srv.Close()
	rep, err := diagnose.NewProber(diagnose.ProberConfig{NoFollowups: true}).Probe(context.Background(),
		diagnose.Request{URL: srv.URL + "/api", Origin: page, Headers: []diagnose.Header{{Name: "User-Agent", Value: "my-app/1.0"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Reason == "preflight-differs" {
			if !strings.Contains(f.Detail, "User-Agent") {
				t.Errorf("preflight-differs says %q, not User-Agent", f.Detail)
			}
			return
		}
	}
	t.Errorf("no preflight-differs finding; findings: %+v", rep.Findings)
}
