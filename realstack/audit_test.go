package realstack

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	chicors "github.com/go-chi/cors"
	"github.com/gorilla/handlers"
	"github.com/rs/cors"

	"corsdoctor/audit"
	"corsdoctor/remedy"
)

// auditPage is the origin every catalogued server is meant to trust; the
// audit builds its crafted origins from it. It is only ever sent as an
// Origin value: every server listens on loopback.
const auditPage = "https://app.example.com"

// auditCase is one real server configuration and the findings the audit
// must report on it, exactly ("reason severity"): a missing one is a
// recall failure, an extra one a precision failure.
type auditCase struct {
	stack string // the middleware, as the table prints it
	name  string
	want  []string
	// Exactly one of these starts the server.
	handler   http.Handler // Go middleware, served in process
	nginx     string       // an nginx location body
	express   string       // the options passed to cors(), a JS expression
	flask     string       // the keyword arguments passed to CORS(app, …)
	fastify   string       // the options registered with @fastify/cors, a JS expression
	starlette string       // the keyword arguments of CORSMiddleware
	django    string       // django-cors-headers settings lines

	url string
}

// okHandler is the application behind the Go middleware.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"items":[]}` + "\n"))
})

// handWritten is a CORS layer as people write it with net/http: allowed
// decides the origin, the answer always varies on Origin.
func handWritten(allowed func(string) bool, creds bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		if o := r.Header.Get("Origin"); o != "" && allowed(o) {
			w.Header().Set("Access-Control-Allow-Origin", o)
			if creds {
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
		}
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		okHandler(w, r)
	})
}

func rsCORS(o cors.Options) http.Handler { return cors.New(o).Handler(okHandler) }
func chiCORS(o chicors.Options) http.Handler {
	return chicors.Handler(o)(okHandler)
}
func gorillaCORS(opts ...handlers.CORSOption) http.Handler { return handlers.CORS(opts...)(okHandler) }

// auditCatalogue: each weakness in at least one real configuration
// (the Go ones alone cover all nine reasons), and safe configurations
// in every stack.
func auditCatalogue() []*auditCase {
	yes := func(string) bool { return true }
	return []*auditCase{
		// rs/cors v1.11.1
		{stack: "rs/cors", name: "exact list, credentials", handler: rsCORS(cors.Options{AllowedOrigins: []string{auditPage}, AllowCredentials: true})},
		{stack: "rs/cors", name: "plain *", handler: rsCORS(cors.Options{AllowedOrigins: []string{"*"}})},
		{stack: "rs/cors", name: "AllowOriginFunc true, credentials", want: []string{"origin-reflected critical"},
			handler: rsCORS(cors.Options{AllowOriginFunc: yes, AllowCredentials: true})},
		{stack: "rs/cors", name: "AllowOriginFunc true, no credentials", want: []string{"origin-reflected low"},
			handler: rsCORS(cors.Options{AllowOriginFunc: yes})},
		{stack: "rs/cors", name: "https://*.example.com, credentials", want: []string{"any-subdomain medium"},
			handler: rsCORS(cors.Options{AllowedOrigins: []string{"https://*.example.com"}, AllowCredentials: true})},
		{stack: "rs/cors", name: "list with null, credentials", want: []string{"null-origin critical"},
			handler: rsCORS(cors.Options{AllowedOrigins: []string{auditPage, "null"}, AllowCredentials: true})},
		{stack: "rs/cors", name: "list with http://, credentials", want: []string{"insecure-origin medium"},
			handler: rsCORS(cors.Options{AllowedOrigins: []string{auditPage, "http://app.example.com"}, AllowCredentials: true})},
		{stack: "rs/cors", name: "https://app.example.com* (trailing wildcard), credentials", want: []string{"prefix-match critical"},
			handler: rsCORS(cors.Options{AllowedOrigins: []string{"https://app.example.com*"}, AllowCredentials: true})},

		// go-chi/cors v1.2.2
		{stack: "go-chi/cors", name: "exact list, credentials", handler: chiCORS(chicors.Options{AllowedOrigins: []string{auditPage}, AllowCredentials: true})},
		{stack: "go-chi/cors", name: "plain *", handler: chiCORS(chicors.Options{AllowedOrigins: []string{"*"}})},
		{stack: "go-chi/cors", name: "AllowOriginFunc true, credentials", want: []string{"origin-reflected critical"},
			handler: chiCORS(chicors.Options{AllowOriginFunc: func(*http.Request, string) bool { return true }, AllowCredentials: true})},
		{stack: "go-chi/cors", name: "https://*.example.com, credentials", want: []string{"any-subdomain medium"},
			handler: chiCORS(chicors.Options{AllowedOrigins: []string{"https://*.example.com"}, AllowCredentials: true})},
		{stack: "go-chi/cors", name: "list with null, credentials", want: []string{"null-origin critical"},
			handler: chiCORS(chicors.Options{AllowedOrigins: []string{auditPage, "null"}, AllowCredentials: true})},

		// gorilla/handlers v1.5.2: Vary: Origin only with two or more origins.
		{stack: "gorilla/handlers", name: "two exact origins, credentials",
			handler: gorillaCORS(handlers.AllowedOrigins([]string{auditPage, "https://admin.example.com"}), handlers.AllowCredentials())},
		{stack: "gorilla/handlers", name: "one exact origin, credentials", want: []string{"vary-missing low"},
			handler: gorillaCORS(handlers.AllowedOrigins([]string{auditPage}), handlers.AllowCredentials())},
		{stack: "gorilla/handlers", name: "plain *", handler: gorillaCORS(handlers.AllowedOrigins([]string{"*"}))},
		{stack: "gorilla/handlers", name: "AllowedOriginValidator true, credentials", want: []string{"origin-reflected critical", "vary-missing low"},
			handler: gorillaCORS(handlers.AllowedOriginValidator(yes), handlers.AllowCredentials())},

		// net/http, hand-written checks
		{stack: "net/http", name: "exact comparison, credentials", handler: handWritten(func(o string) bool { return o == auditPage }, true)},
		{stack: "net/http", name: `strings.HasSuffix(o, "example.com")`, want: []string{"suffix-match critical", "insecure-origin medium"},
			handler: handWritten(func(o string) bool { return strings.HasSuffix(o, "example.com") }, true)},
		{stack: "net/http", name: `strings.HasPrefix(o, "https://app.example.com")`, want: []string{"prefix-match critical"},
			handler: handWritten(func(o string) bool { return strings.HasPrefix(o, auditPage) }, true)},
		{stack: "net/http", name: `strings.Contains(o, "app.example.com")`, want: []string{"prefix-match critical", "any-subdomain medium", "insecure-origin medium"},
			handler: handWritten(func(o string) bool { return strings.Contains(o, "app.example.com") }, true)},
		{stack: "net/http", name: "regexp ^https://app.example.com$ (dots unescaped)", want: []string{"unescaped-dot high"},
			handler: handWritten(regexp.MustCompile(`^https://app.example.com$`).MatchString, true)},
		{stack: "net/http", name: `regexp ^https://app\.example\.com([^.\-a-z0-9].*)?$ (meant for a port)`, want: []string{"special-characters medium"},
			handler: handWritten(regexp.MustCompile(`^https://app\.example\.com([^.\-a-z0-9].*)?$`).MatchString, true)},
		{stack: "net/http", name: "regexp any subdomain, no credentials", want: []string{"any-subdomain info"},
			handler: handWritten(regexp.MustCompile(`^https://([a-z0-9-]+\.)*example\.com$`).MatchString, false)},

		// nginx
		{stack: "nginx", name: "map, anchored and escaped, credentials", nginx: nginxMap(`~^https://app\.example\.com$`, true)},
		{stack: "nginx", name: `map "~https://app.example.com" (unanchored), credentials`, want: []string{"prefix-match critical", "unescaped-dot high"},
			nginx: nginxMap(`~https://app.example.com`, true)},
		{stack: "nginx", name: "map any subdomain, credentials", want: []string{"any-subdomain medium"},
			nginx: nginxMap(`~^https://[a-z0-9.-]+\.example\.com$`, true)},
		{stack: "nginx", name: "add_header ACAO $http_origin, credentials", want: []string{"origin-reflected critical", "vary-missing low"},
			nginx: "add_header Access-Control-Allow-Origin $http_origin always;\n add_header Access-Control-Allow-Credentials true always;"},
		{stack: "nginx", name: "plain *", nginx: `add_header Access-Control-Allow-Origin "*" always;`},

		// Express + cors
		{stack: "express+cors", name: "exact origin string, credentials", express: `{origin: 'https://app.example.com', credentials: true}`},
		{stack: "express+cors", name: "cors() (plain *)", express: `undefined`},
		{stack: "express+cors", name: "origin: true, credentials", want: []string{"origin-reflected critical"}, express: `{origin: true, credentials: true}`},
		{stack: "express+cors", name: `origin: /example\.com$/, credentials`, want: []string{"suffix-match critical", "insecure-origin medium"},
			express: `{origin: /example\.com$/, credentials: true}`},
		{stack: "express+cors", name: `origin: [/\.example\.com$/], credentials`, want: []string{"any-subdomain medium", "insecure-origin medium"},
			express: `{origin: [/\.example\.com$/], credentials: true}`},
		{stack: "express+cors", name: "list with null, credentials", want: []string{"null-origin critical"},
			express: `{origin: ['https://app.example.com', 'null'], credentials: true}`},
		{stack: "express+cors", name: "list with http://, credentials", want: []string{"insecure-origin medium"},
			express: `{origin: ['https://app.example.com', 'http://app.example.com'], credentials: true}`},

		// Flask-CORS
		// Flask-CORS 3.0.10, like gorilla, sends Vary: Origin only when
		// more than one origin can match.
		{stack: "flask-cors", name: "two exact origins, credentials", flask: `origins=["https://app.example.com", "https://admin.example.com"], supports_credentials=True`},
		{stack: "flask-cors", name: "one exact origin, credentials", want: []string{"vary-missing low"},
			flask: `origins=["https://app.example.com"], supports_credentials=True`},
		{stack: "flask-cors", name: "defaults with supports_credentials=True", want: []string{"origin-reflected critical"},
			flask: `supports_credentials=True`},
		{stack: "flask-cors", name: `origins=[r"https://.*\.example\.com"] (re.match: unanchored end), credentials`,
			want: []string{"prefix-match critical", "any-subdomain medium"}, flask: `origins=[r"https://.*\.example\.com"], supports_credentials=True`},

		// Fastify + @fastify/cors
		{stack: "fastify+cors", name: "exact origin, credentials", fastify: `{origin: ['https://app.example.com'], credentials: true}`},
		{stack: "fastify+cors", name: "defaults (plain *)", fastify: `{}`},
		{stack: "fastify+cors", name: "origin: true, credentials", want: []string{"origin-reflected critical"}, fastify: `{origin: true, credentials: true}`},
		{stack: "fastify+cors", name: `origin: [/\.example\.com$/], credentials`, want: []string{"any-subdomain medium", "insecure-origin medium"},
			fastify: `{origin: [/\.example\.com$/], credentials: true}`},

		// django-cors-headers
		{stack: "django-cors-headers", name: "exact list, credentials", django: "CORS_ALLOWED_ORIGINS = ['https://app.example.com']\nCORS_ALLOW_CREDENTIALS = True"},
		{stack: "django-cors-headers", name: "CORS_ALLOW_ALL_ORIGINS (plain *)", django: "CORS_ALLOW_ALL_ORIGINS = True"},
		{stack: "django-cors-headers", name: "CORS_ALLOW_ALL_ORIGINS with credentials (reflects)", want: []string{"origin-reflected critical"},
			django: "CORS_ALLOW_ALL_ORIGINS = True\nCORS_ALLOW_CREDENTIALS = True"},
		{stack: "django-cors-headers", name: `CORS_ALLOWED_ORIGIN_REGEXES [r"^https://\w+\.example\.com$"], credentials`, want: []string{"any-subdomain medium"},
			django: "CORS_ALLOWED_ORIGIN_REGEXES = [r'^https://\\w+\\.example\\.com$']\nCORS_ALLOW_CREDENTIALS = True"},

		// Starlette CORSMiddleware (regexes are full matches)
		{stack: "starlette", name: "exact list, credentials", starlette: `allow_origins=["https://app.example.com"], allow_credentials=True`},
		{stack: "starlette", name: "plain *", starlette: `allow_origins=["*"]`},
		{stack: "starlette", name: `allow_origins=["*"], allow_credentials=True (echoes the origin to preflights and to requests with cookies)`,
			want: []string{"origin-reflected critical"}, starlette: `allow_origins=["*"], allow_credentials=True`},
		{stack: "starlette", name: `allow_origin_regex=r"https://app.example.com" (dots unescaped), credentials`, want: []string{"unescaped-dot high"},
			starlette: `allow_origin_regex=r"https://app.example.com", allow_credentials=True`},
		{stack: "starlette", name: `allow_origin_regex=r"https://.*\.example\.com", credentials`, want: []string{"any-subdomain medium"},
			starlette: `allow_origin_regex=r"https://.*\.example\.com", allow_credentials=True`},
	}
}

func nginxMap(key string, creds bool) string {
	s := "map:" + key + "\nadd_header Access-Control-Allow-Origin $cors_origin always;\nadd_header Vary Origin always;"
	if creds {
		s += "\nadd_header Access-Control-Allow-Credentials true always;"
	}
	return s
}

// TestAuditCatalogue runs `corsdoctor audit` against every configuration
// of auditCatalogue on real middleware and requires exactly the expected
// findings (100 % precision and recall on the catalogue). The Go
// middleware run in process in every mode; nginx, Express, Fastify,
// Flask-CORS, Starlette and Django are real processes, skipped in -short mode and when missing (a failure
// under CI=true).
func TestAuditCatalogue(t *testing.T) {
	cases := auditCatalogue()
	ci := os.Getenv("CI") == "true"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()

	var run []*auditCase
	for _, c := range cases {
		if c.handler != nil {
			srv := httptest.NewServer(c.handler)
			t.Cleanup(srv.Close)
			c.url = srv.URL + "/api/items"
			run = append(run, c)
		}
	}
	external := []struct {
		id    remedy.StackID
		pick  func(*auditCase) bool
		start func(context.Context, string, []*auditCase) (stop func(), err error)
	}{
		{remedy.Nginx, func(c *auditCase) bool { return c.nginx != "" }, startAuditNginx},
		{remedy.ExpressCors, func(c *auditCase) bool { return c.express != "" }, startAuditExpress},
		{remedy.FlaskCors, func(c *auditCase) bool { return c.flask != "" }, startAuditFlask},
		{remedy.FastifyCors, func(c *auditCase) bool { return c.fastify != "" }, startAuditFastify},
		{remedy.Starlette, func(c *auditCase) bool { return c.starlette != "" }, startAuditStarlette},
		{remedy.DjangoCorsHeaders, func(c *auditCase) bool { return c.django != "" }, startAuditDjango},
	}
	// The stacks start at once (Django alone takes seconds per process).
	var (
		startMu sync.Mutex
		starts  sync.WaitGroup
	)
	for _, e := range external {
		group := slices.DeleteFunc(slices.Clone(cases), func(c *auditCase) bool { return !e.pick(c) })
		if testing.Short() {
			t.Logf("-short: %d %s configurations not run", len(group), e.id)
			continue
		}
		if err := stacks[e.id].check(); err != nil {
			if ci {
				t.Errorf("CI=true and %s is missing (scripts/ensure-stacks.sh installs %s): %v", e.id, stacks[e.id].tool, err)
			} else {
				t.Logf("skipping %d %s configurations: %v", len(group), e.id, err)
			}
			continue
		}
		starts.Add(1)
		go func() {
			defer starts.Done()
			began := time.Now()
			stop, err := e.start(ctx, filepath.Join(dir, string(e.id)), group)
			startMu.Lock()
			defer startMu.Unlock()
			t.Logf("%s: %d servers up in %v", e.id, len(group), time.Since(began).Round(time.Millisecond))
			if err != nil {
				t.Errorf("start %s: %v", e.id, err)
				return
			}
			t.Cleanup(stop)
			run = append(run, group...)
		}()
	}
	starts.Wait()
	// The table follows the catalogue's order, whatever order they started in.
	slices.SortStableFunc(run, func(a, b *auditCase) int { return slices.Index(cases, a) - slices.Index(cases, b) })

	// Every reason is proven by some configuration that ran (the Go
	// middleware alone cover all nine).
	covered := map[string]bool{}
	for _, c := range run {
		for _, w := range c.want {
			covered[strings.Fields(w)[0]] = true
		}
	}
	for _, r := range audit.Reasons() {
		if !covered[string(r)] {
			t.Errorf("no configuration in the catalogue produces %s", r)
		}
	}

	began := time.Now()
	defer func() { t.Logf("audits took %v", time.Since(began).Round(time.Millisecond)) }()
	a := audit.New(audit.Config{})
	type result struct {
		got      []string
		requests int
		err      error
	}
	results := make([]result, len(run))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, c := range run {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rep, err := a.Audit(ctx, audit.Request{URL: c.url, Origin: auditPage})
			if err != nil {
				results[i].err = err
				return
			}
			results[i].requests = rep.Requests
			for _, f := range rep.Findings {
				results[i].got = append(results[i].got, string(f.Reason)+" "+string(f.Severity))
			}
			for _, p := range rep.Probes {
				if p.Error != "" {
					results[i].err = fmt.Errorf("probe %s: %s", p.Origin, p.Error)
				}
			}
		}()
	}
	wg.Wait()

	var tp, fp, fn, safeOK, safe int
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "stack\tconfiguration\texpected\tfound\trequests\tverdict")
	for i, c := range run {
		r := results[i]
		if r.err != nil {
			t.Errorf("%s / %s: %v", c.stack, c.name, r.err)
			continue
		}
		want, got := slices.Sorted(slices.Values(c.want)), slices.Sorted(slices.Values(r.got))
		verdict := "ok"
		for _, w := range want {
			if slices.Contains(got, w) {
				tp++
			} else {
				fn++
				verdict = "MISSED " + w
				t.Errorf("%s / %s: missed %q (found %q)", c.stack, c.name, w, got)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				fp++
				verdict = "FALSE ALARM " + g
				t.Errorf("%s / %s: false alarm %q (expected %q)", c.stack, c.name, g, want)
			}
		}
		if len(want) == 0 {
			safe++
			if len(got) == 0 {
				safeOK++
			}
		}
		if r.requests > audit.MaxRequests {
			t.Errorf("%s / %s: %d requests > %d", c.stack, c.name, r.requests, audit.MaxRequests)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", c.stack, c.name, orNone(want), orNone(got), r.requests, verdict)
	}
	tw.Flush()
	precision, recall := ratio(tp, tp+fp), ratio(tp, tp+fn)
	fmt.Fprintf(&table, "\n%d configurations (%d safe, %d without findings); %d expected findings: %d found, %d missed, %d false alarms; precision %s, recall %s\n",
		len(run), safe, safeOK, tp+fn, tp, fn, fp, precision, recall)
	t.Log("\n" + table.String())
	if d := os.Getenv("CORSDOCTOR_REPORT_DIR"); d != "" {
		if err := os.WriteFile(filepath.Join(d, "audit.txt"), []byte(table.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func ratio(n, d int) string {
	if d == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(100*float64(n)/float64(d), 'f', 1, 64) + " %"
}

// startAuditHost runs one process serving every case of a group on its
// own port and waits for each port.
func startAuditHost(ctx context.Context, name string, l launch, group []*auditCase, ports []int) (func(), error) {
	host, err := startHost(name, l)
	if err != nil {
		return nil, err
	}
	for i, c := range group {
		if _, err := startApp(ctx, host, name+" "+c.name, ports[i], failMarker(l.dir)); err != nil {
			host.stop()
			return nil, err
		}
		c.url = "http://127.0.0.1:" + strconv.Itoa(ports[i]) + "/api/items"
	}
	return host.stop, nil
}

func freePorts(n int) ([]int, error) {
	out := make([]int, n)
	for i := range out {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// startAuditNginx serves each case as one server block of one nginx.
// A case body starting with "map:KEY\n" declares a map from the Origin to
// $cors_origin, with KEY mapping to the origin itself, scoped to its port.
func startAuditNginx(ctx context.Context, dir string, group []*auditCase) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ports, err := freePorts(len(group))
	if err != nil {
		return nil, err
	}
	var maps, servers strings.Builder
	for i, c := range group {
		body := c.nginx
		if key, rest, ok := strings.Cut(strings.TrimPrefix(body, "map:"), "\n"); ok && strings.HasPrefix(body, "map:") {
			v := fmt.Sprintf("$cors_origin_%d", i)
			fmt.Fprintf(&maps, "    map $http_origin %s {\n        default \"\";\n        \"%s\" $http_origin;\n    }\n", v, key)
			body = strings.ReplaceAll(rest, "$cors_origin", v)
		}
		fmt.Fprintf(&servers, "    server {\n        listen 127.0.0.1:%d;\n        location / {\n            %s\n            return 200 '{\"items\":[]}';\n        }\n    }\n",
			ports[i], strings.ReplaceAll(body, "\n", "\n            "))
	}
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    default_type application/json;
%[2]s
%[3]s}
`, dir, maps.String(), servers.String())
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	l := launch{argv: []string{"/usr/sbin/nginx", "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log")}, dir: dir, logs: []string{filepath.Join(dir, "error.log")}}
	return startAuditHost(ctx, "nginx", l, group, ports)
}

// startAuditExpress serves each case as its own Express app (cors as the
// first middleware) in one node process.
func startAuditExpress(ctx context.Context, dir string, group []*auditCase) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ports, err := freePorts(len(group))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("'use strict';\nconst express = require('express');\nconst cors = require('cors');\nconst apps = [\n")
	for i, c := range group {
		fmt.Fprintf(&b, "  [%d, %s],\n", ports[i], c.express)
	}
	fmt.Fprintf(&b, `];
for (const [port, options] of apps) {
  const app = express();
  app.use(cors(options));
  app.get('/api/items', (req, res) => res.json({items: []}));
  app.listen(port, '127.0.0.1').on('error', (err) => console.error('realstack-failed %s: ' + err));
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "apps.js"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	l := launch{argv: []string{"node", "apps.js"}, env: []string{"NODE_PATH=" + nodeModules}, dir: dir}
	return startAuditHost(ctx, "express", l, group, ports)
}

// startAuditFlask serves each case as its own Flask app with Flask-CORS
// in one python process, one thread per app.
func startAuditFlask(ctx context.Context, dir string, group []*auditCase) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ports, err := freePorts(len(group))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("import threading\nfrom flask import Flask, jsonify\nfrom flask_cors import CORS\nfrom werkzeug.serving import make_server\n\n\ndef make(port, configure):\n    app = Flask('app%d' % port)\n    configure(app)\n\n    @app.route('/api/items')\n    def items():\n        return jsonify(items=[])\n    return make_server('127.0.0.1', port, app, threaded=True)\n\n\nservers = []\n")
	for i, c := range group {
		fmt.Fprintf(&b, "servers.append(make(%d, lambda app: CORS(app, %s)))\n", ports[i], c.flask)
	}
	b.WriteString("threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]\nfor t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n")
	if err := os.WriteFile(filepath.Join(dir, "apps.py"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	l := launch{argv: []string{python, "apps.py"}, env: []string{"PYTHONDONTWRITEBYTECODE=1"}, dir: dir}
	return startAuditHost(ctx, "flask", l, group, ports)
}

// startAuditFastify serves each case as its own Fastify app with
// @fastify/cors in one node process.
func startAuditFastify(ctx context.Context, dir string, group []*auditCase) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ports, err := freePorts(len(group))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("'use strict';\nconst Fastify = require('fastify');\nconst cors = require('@fastify/cors');\nconst apps = [\n")
	for i, c := range group {
		fmt.Fprintf(&b, "  [%d, %s],\n", ports[i], c.fastify)
	}
	fmt.Fprintf(&b, `];
for (const [port, options] of apps) {
  const app = Fastify();
  app.register(cors, options);
  app.get('/api/items', async () => ({items: []}));
  app.listen({port, host: '127.0.0.1'}).catch((err) => console.error('realstack-failed %s: ' + err));
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "apps.js"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	l := launch{argv: []string{"node", "apps.js"}, env: []string{"NODE_PATH=" + nodeModules}, dir: dir}
	return startAuditHost(ctx, "fastify", l, group, ports)
}

// startAuditStarlette serves each case as its own Starlette app with
// CORSMiddleware in one python process, one uvicorn server per thread.
func startAuditStarlette(ctx context.Context, dir string, group []*auditCase) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ports, err := freePorts(len(group))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(`import asyncio
import threading
import traceback
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Route


async def items(request):
    return JSONResponse({'items': []})


def serve(port, options):
    try:
        app = Starlette(routes=[Route('/api/items', items)], middleware=[Middleware(CORSMiddleware, **options)])
        server = uvicorn.Server(uvicorn.Config(app, host='127.0.0.1', port=port, log_level='warning'))
        asyncio.run(server.serve())
    except BaseException:
        print('realstack-failed ` + dir + `: ' + traceback.format_exc(), flush=True)


apps = [
`)
	for i, c := range group {
		fmt.Fprintf(&b, "    (%d, dict(%s)),\n", ports[i], c.starlette)
	}
	b.WriteString("]\nthreads = [threading.Thread(target=serve, args=a, daemon=True) for a in apps]\nfor t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n")
	if err := os.WriteFile(filepath.Join(dir, "apps.py"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	l := launch{argv: []string{python, "apps.py"}, env: []string{"PYTHONDONTWRITEBYTECODE=1"}, dir: dir}
	return startAuditHost(ctx, "starlette", l, group, ports)
}

// startAuditDjango runs one Django (runserver) per case, since settings
// are per process; the function returned stops them all.
func startAuditDjango(ctx context.Context, dir string, group []*auditCase) (func(), error) {
	procs := make([]*process, len(group))
	errs := make([]error, len(group))
	var wg sync.WaitGroup
	for i, c := range group {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs[i], errs[i] = startAuditDjangoApp(ctx, filepath.Join(dir, strconv.Itoa(i)), c)
		}()
	}
	wg.Wait()
	stopAll := func() {
		for _, p := range procs {
			if p != nil {
				p.stop()
			}
		}
	}
	for _, err := range errs {
		if err != nil {
			stopAll()
			return nil, err
		}
	}
	return stopAll, nil
}

func startAuditDjangoApp(ctx context.Context, d string, c *auditCase) (*process, error) {
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, err
	}
	settings := `SECRET_KEY = 'realstack-not-a-secret'
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
ROOT_URLCONF = 'urls'
USE_TZ = True
INSTALLED_APPS = ['corsheaders']
MIDDLEWARE = [
    'corsheaders.middleware.CorsMiddleware',
    'django.middleware.common.CommonMiddleware',
]
` + c.django + "\n"
	urls := "from django.http import JsonResponse\nfrom django.urls import path\n\n\ndef items(request):\n    return JsonResponse({'items': []})\n\n\nurlpatterns = [path('api/items/', items)]\n"
	if err := os.WriteFile(filepath.Join(d, "settings.py"), []byte(settings), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(d, "urls.py"), []byte(urls), 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p, err := startProcess(ctx, "django "+c.name, port, launch{
		argv: []string{python, "-m", "django", "runserver", "--noreload", "127.0.0.1:" + strconv.Itoa(port)},
		env:  []string{"DJANGO_SETTINGS_MODULE=settings", "PYTHONPATH=" + d, "PYTHONDONTWRITEBYTECODE=1"},
		dir:  d,
	})
	if err != nil {
		return nil, err
	}
	c.url = "http://127.0.0.1:" + strconv.Itoa(port) + "/api/items/"
	return p, nil
}
