package realstack

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"corsdoctor/remedy"
)

// Debian's python3, not PATH's (often a pyenv shim without the packages).
const python = "/usr/bin/python3"

// nodeModules is where scripts/ensure-stacks.sh installs the npm packages.
var nodeModules, _ = filepath.Abs(filepath.Join("node", "node_modules"))

// stackDef is how to build and run one stack's app.
type stackDef struct {
	id remedy.StackID
	// tool names what to install when check fails.
	tool  string
	check func() error
	// files is the app: file name → template. The templates see a
	// *server: {{place "x"}} is the broken configuration's text for place
	// x, or the snippet's parts for x once fixed; {{slot "x"}} is a
	// case-specific piece of the broken app that the fix removes; {{opt
	// "x"}} is an app feature (authentication, routes) that stays.
	files map[string]string
	// launch says how to run the rendered app in s.dir (Go stacks are
	// built first, into s.binary).
	launch func(s *server) launch
	isGo   bool
	// bundle names a host that serves all of a phase's apps of this kind
	// in one process ("node"): starting a runtime per app costs seconds
	// of CPU on a loaded CI machine. The apps stay separate (own module,
	// own app object, own port).
	bundle string
}

// bundles are the shared hosts: the launcher file and how to run it for a
// phase's apps. A launcher prints failMarker(dir) when an app fails.
var bundles = map[string]struct {
	file, text string
	launch     func(launcher string, apps []*server) launch
}{
	"node": {
		file: "launch.js",
		text: nodeLauncher,
		launch: func(launcher string, apps []*server) launch {
			argv := []string{"node", launcher}
			for _, a := range apps {
				argv = append(argv, filepath.Join(a.dir, "app.js"))
			}
			return launch{argv: argv, env: []string{"NODE_PATH=" + nodeModules}, dir: filepath.Dir(launcher)}
		},
	},
}

func init() {
	bundles["python"] = struct {
		file, text string
		launch     func(launcher string, apps []*server) launch
	}{
		file: "launch.py",
		text: pythonLauncher,
		launch: func(launcher string, apps []*server) launch {
			argv := []string{python, launcher}
			for _, a := range apps {
				kind := "flask"
				if a.c.Stack == remedy.Starlette {
					kind = "asgi"
				}
				argv = append(argv, fmt.Sprintf("%s:%d:%s", kind, a.port, filepath.Join(a.dir, "app.py")))
			}
			return launch{argv: argv, env: []string{"PYTHONDONTWRITEBYTECODE=1"}, dir: filepath.Dir(launcher)}
		},
	}
}

// pythonLauncher imports each app.py of a phase as a module (so its
// __main__ block does not run) and serves it as that block would, one
// thread per app: Flask apps with Werkzeug's server, ASGI apps with
// uvicorn (which installs no signal handlers outside the main thread).
const pythonLauncher = `import asyncio
import importlib.util
import os
import sys
import threading
import traceback


def serve(kind, port, path):
    try:
        spec = importlib.util.spec_from_file_location('realstack_app_%d' % port, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        if kind == 'flask':
            from werkzeug.serving import make_server
            make_server('127.0.0.1', port, mod.app, threaded=True).serve_forever()
        else:
            import uvicorn
            server = uvicorn.Server(uvicorn.Config(mod.app, host='127.0.0.1', port=port, log_level='warning'))
            asyncio.run(server.serve())
            raise RuntimeError('uvicorn stopped')
    except BaseException:
        print('realstack-failed %s: %s' % (os.path.dirname(path), traceback.format_exc()), flush=True)


threads = []
for arg in sys.argv[1:]:
    kind, port, path = arg.split(':', 2)
    t = threading.Thread(target=serve, args=(kind, int(port), path), daemon=True)
    t.start()
    threads.append(t)
for t in threads:
    t.join()
`

func failMarker(dir string) string { return "realstack-failed " + dir + ":" }

// nodeLauncher loads each app.js of a phase (each calls listen itself) and
// reports an app that fails without stopping the others.
const nodeLauncher = `'use strict';
const path = require('path');
process.on('uncaughtException', (err) => console.error('realstack: uncaught:', err));
process.on('unhandledRejection', (err) => console.error('realstack: unhandled rejection:', err));
for (const file of process.argv.slice(2)) {
  try {
    require(file);
  } catch (err) {
    console.error('realstack-failed ' + path.dirname(file) + ': ' + (err && err.stack || err));
  }
}
`

// server is one rendering of a case's app: broken or fixed.
type server struct {
	c      *Case
	fixed  bool
	port   int
	dir    string
	binary string // Go stacks: the built executable
	env    *env
	parts  map[string][]string // fixed: the snippet's parts by place
}

// env is what every app can refer to: the page origins and upstreams.
type env struct {
	Page     string // the page's origin, http://127.0.0.1:P
	PagePort int
	// Upstream is a plain application behind nginx, Apache or Caddy;
	// CORSUpstream is one that sends CORS headers of its own.
	Upstream     string
	CORSUpstream string
}

// Data seen by templates.
func (s *server) Port() int     { return s.port }
func (s *server) Dir() string   { return s.dir }
func (s *server) Fixed() bool   { return s.fixed }
func (s *server) Env() *env     { return s.env }
func (s *server) Page() string  { return s.env.Page }
func (s *server) PagePort() int { return s.env.PagePort }
func (s *server) IsRoot() bool  { return os.Geteuid() == 0 }
func (s *server) Case() *Case   { return s.c }
func (s *server) Upstream() string {
	if s.c.App["upstream"] == "cors" {
		return s.env.CORSUpstream
	}
	return s.env.Upstream
}

func (s *server) funcs() template.FuncMap {
	return template.FuncMap{
		"place": func(name string) (string, error) {
			if s.fixed {
				return strings.Join(s.parts[name], "\n"), nil
			}
			return s.brokenText(name)
		},
		"slot": func(name string) (string, error) {
			if s.fixed {
				return "", nil
			}
			return s.brokenText(name)
		},
		"opt": func(name string) string { return s.c.App[name] },
		// goImports merges the app's own imports with the "imports"
		// place, one quoted path per line, without duplicates.
		"goImports": func(base ...string) (string, error) {
			var extra string
			if s.fixed {
				extra = strings.Join(s.parts["imports"], "\n")
			} else {
				var err error
				if extra, err = s.brokenText("imports"); err != nil {
					return "", err
				}
			}
			seen := map[string]bool{}
			var lines []string
			add := func(l string) {
				l = strings.TrimSpace(l)
				if l == "" || strings.HasPrefix(l, "//") {
					return
				}
				if !strings.ContainsAny(l, "\"`") {
					l = strconv.Quote(l)
				}
				if !seen[l] {
					seen[l] = true
					lines = append(lines, "\t"+l)
				}
			}
			for _, b := range base {
				add(b)
			}
			for _, l := range strings.Split(extra, "\n") {
				add(l)
			}
			return strings.Join(lines, "\n"), nil
		},
	}
}

// brokenText renders the case's broken text for a place or slot: itself a
// template over the same data, so it can name the page origin or a port.
func (s *server) brokenText(name string) (string, error) {
	src, ok := s.c.Broken[name]
	if !ok {
		return "", nil
	}
	return s.render("broken:"+name, src)
}

func (s *server) render(name, src string) (string, error) {
	t, err := template.New(name).Funcs(s.funcs()).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, s); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return b.String(), nil
}

// write renders the stack's files into s.dir.
func (s *server) write(def *stackDef) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(def.files))
	for n := range def.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		text, err := s.render(n, def.files[n])
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(s.dir, n), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func needFile(path string) func() error {
	return func() error {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s is missing", path)
		}
		return nil
	}
}

func needPython(modules ...string) func() error {
	return func() error {
		if _, err := os.Stat(python); err != nil {
			return fmt.Errorf("%s is missing", python)
		}
		code := "import " + strings.Join(modules, ", ")
		if out, err := exec.Command(python, "-c", code).CombinedOutput(); err != nil {
			return fmt.Errorf("%s -c %q: %v: %s", python, code, err, tailString(string(out), 300))
		}
		return nil
	}
}

func needNode(pkgs ...string) func() error {
	return func() error {
		if _, err := exec.LookPath("node"); err != nil {
			return errors.New("node is not on PATH")
		}
		for _, p := range pkgs {
			if _, err := os.Stat(filepath.Join(nodeModules, p, "package.json")); err != nil {
				return fmt.Errorf("%s is not installed in %s", p, nodeModules)
			}
		}
		return nil
	}
}

func needGo() error {
	if _, err := exec.LookPath("go"); err != nil {
		return errors.New("go is not on PATH")
	}
	return nil
}

// The stacks. Their apps serve /api/items (JSON for GET, POST, PUT, DELETE
// and PATCH); the proxies forward /api/ to an upstream application.
var stacks = map[remedy.StackID]*stackDef{
	remedy.Nginx: {
		id: remedy.Nginx, tool: "nginx (apt-get install nginx)", check: needFile("/usr/sbin/nginx"),
		files: map[string]string{"nginx.conf": nginxConf},
		launch: func(s *server) launch {
			return launch{
				argv: []string{"/usr/sbin/nginx", "-p", s.dir, "-c", filepath.Join(s.dir, "nginx.conf"), "-e", filepath.Join(s.dir, "error.log")},
				dir:  s.dir, logs: []string{filepath.Join(s.dir, "error.log")},
			}
		},
	},
	remedy.Apache: {
		id: remedy.Apache, tool: "Apache httpd (apt-get install apache2-bin)", check: needFile("/usr/sbin/apache2"),
		files: map[string]string{"httpd.conf": apacheConf},
		launch: func(s *server) launch {
			return launch{
				argv: []string{"/usr/sbin/apache2", "-d", s.dir, "-f", filepath.Join(s.dir, "httpd.conf"), "-DFOREGROUND"},
				dir:  s.dir, logs: []string{filepath.Join(s.dir, "error.log")},
			}
		},
	},
	remedy.Caddy: {
		id: remedy.Caddy, tool: "Caddy (apt-get install caddy)", check: needFile("/usr/bin/caddy"),
		files: map[string]string{"Caddyfile": caddyfile},
		launch: func(s *server) launch {
			return launch{
				argv: []string{"/usr/bin/caddy", "run", "--config", filepath.Join(s.dir, "Caddyfile"), "--adapter", "caddyfile"},
				env:  []string{"HOME=" + s.dir, "XDG_CONFIG_HOME=" + s.dir, "XDG_DATA_HOME=" + s.dir},
				dir:  s.dir,
			}
		},
	},
	remedy.ExpressCors: {
		id: remedy.ExpressCors, tool: "Express and cors (scripts/ensure-stacks.sh: npm ci in realstack/node)",
		check: needNode("express", "cors"),
		files: map[string]string{"app.js": expressApp}, bundle: "node",
		launch: func(s *server) launch {
			return launch{argv: []string{"node", "app.js"}, env: []string{"NODE_PATH=" + nodeModules}, dir: s.dir}
		},
	},
	remedy.FastifyCors: {
		id: remedy.FastifyCors, tool: "Fastify and @fastify/cors (scripts/ensure-stacks.sh: npm ci in realstack/node)",
		check: needNode("fastify", "@fastify/cors"),
		files: map[string]string{"app.js": fastifyApp}, bundle: "node",
		launch: func(s *server) launch {
			return launch{argv: []string{"node", "app.js"}, env: []string{"NODE_PATH=" + nodeModules}, dir: s.dir}
		},
	},
	remedy.FlaskCors: {
		id: remedy.FlaskCors, tool: "Flask and Flask-CORS (apt-get install python3-flask python3-flask-cors)",
		check: needPython("flask", "flask_cors"),
		files: map[string]string{"app.py": flaskApp}, bundle: "python",
		launch: func(s *server) launch {
			return launch{argv: []string{python, "app.py"}, env: []string{"PYTHONDONTWRITEBYTECODE=1"}, dir: s.dir}
		},
	},
	remedy.DjangoCorsHeaders: {
		id: remedy.DjangoCorsHeaders, tool: "Django and django-cors-headers (apt-get install python3-django python3-django-cors-headers)",
		check: needPython("django", "corsheaders"),
		files: map[string]string{"settings.py": djangoSettings, "urls.py": djangoURLs},
		launch: func(s *server) launch {
			return launch{
				argv: []string{python, "-m", "django", "runserver", "--noreload", "127.0.0.1:" + strconv.Itoa(s.port)},
				env:  []string{"DJANGO_SETTINGS_MODULE=settings", "PYTHONPATH=" + s.dir, "PYTHONDONTWRITEBYTECODE=1"},
				dir:  s.dir,
			}
		},
	},
	remedy.Starlette: {
		id: remedy.Starlette, tool: "Starlette and uvicorn (apt-get install python3-starlette python3-uvicorn)",
		check: needPython("starlette", "uvicorn"),
		files: map[string]string{"app.py": starletteApp}, bundle: "python",
		launch: func(s *server) launch {
			return launch{argv: []string{python, "app.py"}, env: []string{"PYTHONDONTWRITEBYTECODE=1"}, dir: s.dir}
		},
	},
	remedy.RsCors:          goStack(remedy.RsCors),
	remedy.GoChiCors:       goStack(remedy.GoChiCors),
	remedy.GorillaHandlers: goStack(remedy.GorillaHandlers),
	remedy.GoNetHTTP:       goStack(remedy.GoNetHTTP),
}

func goStack(id remedy.StackID) *stackDef {
	return &stackDef{
		id: id, tool: "go (the middleware come through go.mod)", check: needGo, isGo: true,
		files: map[string]string{"app.go": goApp},
		launch: func(s *server) launch {
			return launch{argv: []string{s.binary, s.c.Name, strconv.Itoa(s.port)}, dir: s.dir}
		},
	}
}

const nginxConf = `# realstack: {{.Case.Name}} ({{if .Fixed}}fixed{{else}}broken{{end}})
daemon off;
master_process on;
worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path {{.Dir}}/client_body;
    proxy_temp_path {{.Dir}}/proxy;
    fastcgi_temp_path {{.Dir}}/fastcgi;
    uwsgi_temp_path {{.Dir}}/uwsgi;
    scgi_temp_path {{.Dir}}/scgi;
    default_type application/octet-stream;

{{place "http"}}

    server {
        listen 127.0.0.1:{{.Port}};
        server_name localhost;
{{slot "server"}}
        location {{or (opt "nginx-location") "/api/"}} {
{{place "location"}}
            proxy_pass {{.Upstream}};
        }
    }
}
`

const apacheConf = `# realstack: {{.Case.Name}} ({{if .Fixed}}fixed{{else}}broken{{end}})
ServerRoot "{{.Dir}}"
ServerName 127.0.0.1
Listen 127.0.0.1:{{.Port}}
PidFile "{{.Dir}}/httpd.pid"
DefaultRuntimeDir "{{.Dir}}"
ErrorLog "{{.Dir}}/error.log"
LogLevel warn
{{if .IsRoot}}User nobody
Group nogroup
{{end}}
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so
LoadModule setenvif_module /usr/lib/apache2/modules/mod_setenvif.so
LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so
LoadModule env_module /usr/lib/apache2/modules/mod_env.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
DocumentRoot "{{.Dir}}"
<Directory />
    Require all granted
</Directory>

<VirtualHost 127.0.0.1:{{.Port}}>
{{place "server"}}

    ProxyPass "/api/" "{{.Upstream}}/api/"
{{- if opt "apache-error-override"}}
    ProxyErrorOverride On
{{- end}}
</VirtualHost>
`

const caddyfile = `# realstack: {{.Case.Name}} ({{if .Fixed}}fixed{{else}}broken{{end}})
{
    admin off
    auto_https off
    storage file_system {{.Dir}}/data
}

http://127.0.0.1:{{.Port}} {
    bind 127.0.0.1
{{place "site"}}
    reverse_proxy {{.Upstream}}
}
`

const expressApp = `// realstack: {{.Case.Name}} ({{if .Fixed}}fixed{{else}}broken{{end}})
'use strict';
const express = require('express');
const app = express();
{{place "app"}}
{{slot "before-auth"}}
{{- if opt "auth"}}
app.use('/api', (req, res, next) => {
  if (!req.get('Authorization')) {
    res.status(401).json({ error: 'unauthorized' });
    return;
  }
  next();
});
{{- end}}
{{slot "after-auth"}}
const ok = (req, res) => res.json({ ok: true });
for (const m of ['get', 'post', 'put', 'delete', 'patch']) {
  app[m]('/api/items', {{slot "route"}}ok);
}
app.listen({{.Port}}, '127.0.0.1').on('error', (err) => {
  console.error('realstack-failed ' + __dirname + ': ' + err);
});
`

const fastifyApp = `// realstack: {{.Case.Name}} ({{if .Fixed}}fixed{{else}}broken{{end}})
'use strict';
const app = require('fastify')();
{{place "app"}}
{{slot "before-auth"}}
{{- if opt "auth"}}
app.addHook('onRequest', async (req, reply) => {
  if (!req.headers.authorization) {
    reply.code(401).send({ error: 'unauthorized' });
    return reply;
  }
});
{{- end}}
{{slot "after-auth"}}
app.route({
  method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'],
  url: '/api/items',
  handler: async () => ({ ok: true }),
});
app.listen({ port: {{.Port}}, host: '127.0.0.1' }).catch((err) => {
  console.error('realstack-failed ' + __dirname + ': ' + err);
});
`

const flaskApp = `# realstack: {{.Case.Name}} ({{if .Fixed}}fixed{{else}}broken{{end}})
from flask import Flask, jsonify

app = Flask(__name__)
{{place "app"}}
{{slot "after-app"}}


@app.route('/api/items', methods=['GET', 'POST', 'PUT', 'DELETE', 'PATCH'])
def items():
    return jsonify(ok=True)


if __name__ == '__main__':
    app.run(host='127.0.0.1', port={{.Port}})
`

const djangoSettings = `# realstack: {{.Case.Name}} ({{if .Fixed}}fixed{{else}}broken{{end}})
SECRET_KEY = 'realstack-not-a-secret'
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
ROOT_URLCONF = 'urls'
USE_TZ = True
INSTALLED_APPS = [
{{slot "installed-apps"}}
]
MIDDLEWARE = [
{{slot "middleware-first"}}
    'django.middleware.common.CommonMiddleware',
{{slot "middleware-last"}}
]
{{slot "settings-broken"}}
{{place "settings"}}
`

const djangoURLs = `from django.http import JsonResponse
from django.urls import path


def items(request):
    return JsonResponse({'ok': True})


urlpatterns = [path('api/items/', items)]
`

const starletteApp = `# realstack: {{.Case.Name}} ({{if .Fixed}}fixed{{else}}broken{{end}})
import uvicorn
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse
from starlette.routing import Route


async def items(request):
    return JSONResponse({'ok': True})


class RequireAuth(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        if 'authorization' not in request.headers:
            return JSONResponse({'error': 'unauthorized'}, status_code=401)
        return await call_next(request)


app = Starlette(routes=[Route('/api/items', items, methods=['GET', 'POST', 'PUT', 'DELETE', 'PATCH'])])
{{slot "before-auth"}}
{{- if opt "auth"}}
app.add_middleware(RequireAuth)
{{- end}}
{{slot "after-auth"}}
{{place "app"}}

if __name__ == '__main__':
    uvicorn.run(app, host='127.0.0.1', port={{.Port}}, log_level='warning')
`

// goApp is one Go case as a package: the suite links every case of a phase
// into one server binary (one link instead of one per case), which serves
// the case named on its command line.
const goApp = `// realstack: {{.Case.Name}} ({{if .Fixed}}fixed{{else}}broken{{end}})
package app

import (
{{goImports "io" "net/http"}}
)

func items(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, ` + "`" + `{"ok":true}` + "`" + `)
}

func requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Handler is what the server serves.
func Handler() http.Handler {
	mux := http.NewServeMux()
{{- if opt "method-routes"}}
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
		mux.HandleFunc(m+" /api/items", items)
	}
{{- else}}
	mux.HandleFunc("/api/items", items)
{{- end}}
	var app http.Handler = mux
{{- if opt "auth"}}
	app = requireAuth(app)
{{- end}}
	_ = app
{{- if .Fixed}}
	return withCORS(app)
{{- else}}
	return {{or (slot "serve") "withCORS(app)"}}
{{- end}}
}

{{place "code"}}
`

// goServer is the main package that serves one of the phase's Go apps:
// goServer NAME PORT.
const goServer = `package main

import (
	"net/http"
	"os"
	"time"
{{range $i, $p := .}}
	c{{$i}} "corsdoctor/realstack/{{$p.Dir}}"
{{- end}}
)

var apps = map[string]func() http.Handler{
{{- range $i, $p := .}}
	{{printf "%q" $p.Name}}: c{{$i}}.Handler,
{{- end}}
}

func main() {
	srv := &http.Server{Addr: "127.0.0.1:" + os.Args[2], Handler: apps[os.Args[1]](), ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		panic(err)
	}
}
`
