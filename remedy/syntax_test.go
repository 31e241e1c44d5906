package remedy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The tests in this file check that every snippet is valid in its own
// language, with the real tools when they are installed (and skip when
// they are not: realstack installs them and runs the servers for real).

// eachAdvice calls fn for every policy and problem of the invariant table,
// once per distinct snippet (the external tools are slow to start).
func eachAdvice(id StackID, fn func(name string, a Advice)) {
	seen := map[string]bool{}
	for _, pc := range policies {
		for _, pr := range problems {
			a := Advise(Request{Stack: id, Problem: pr, Policy: pc.p, Path: "/api/items"})
			if seen[a.Snippet.Code] {
				continue
			}
			seen[a.Snippet.Code] = true
			fn(pc.name+"/"+string(pr), a)
		}
	}
}

func partsOf(a Advice) map[string]string {
	m := map[string]string{}
	for _, p := range a.Snippet.Parts {
		m[p.Where] = p.Code
	}
	return m
}

func need(t *testing.T, bin string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		t.Skipf("%s not installed", bin)
	}
	return p
}

func TestJSONPartsAreValid(t *testing.T) {
	for _, id := range []StackID{AWSS3, AWSAPIGateway, AWSCloudFront, Vercel} {
		eachAdvice(id, func(name string, a Advice) {
			for _, p := range a.Snippet.Parts {
				if strings.HasSuffix(p.Where, ".ts") {
					continue
				}
				if !json.Valid([]byte(p.Code)) {
					t.Errorf("%s %s: part %q is not JSON:\n%s", id, name, p.Where, p.Code)
				}
			}
		})
	}
}

func TestNginxSyntax(t *testing.T) {
	nginx := need(t, "nginx")
	t.Parallel()
	dir := t.TempDir()
	eachAdvice(Nginx, func(name string, a Advice) {
		p := partsOf(a)
		conf := fmt.Sprintf(`pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
    access_log off;
%[2]s
    server {
        listen 127.0.0.1:8080;
        location /api/ {
%[3]s
            proxy_pass http://127.0.0.1:9;
        }
    }
}
`, dir, p["http"], p["location"])
		file := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-c", file).CombinedOutput(); err != nil {
			t.Errorf("%s: nginx -t: %v\n%s\n%s", name, err, out, conf)
		}
	})
}

func TestApacheSyntax(t *testing.T) {
	apache := need(t, "apache2")
	modules := "/usr/lib/apache2/modules"
	if _, err := os.Stat(filepath.Join(modules, "mod_headers.so")); err != nil {
		t.Skip("apache2 modules not in " + modules)
	}
	t.Parallel()
	dir := t.TempDir()
	var load strings.Builder
	for _, m := range []string{"mpm_event", "authz_core", "headers", "rewrite", "setenvif"} {
		fmt.Fprintf(&load, "LoadModule %s_module %s/mod_%s.so\n", m, modules, m)
	}
	eachAdvice(Apache, func(name string, a Advice) {
		conf := fmt.Sprintf("ServerRoot %s\n%sPidFile %[1]s/httpd.pid\nErrorLog %[1]s/error.log\nListen 127.0.0.1:8080\nServerName localhost\n<VirtualHost 127.0.0.1:8080>\n%s</VirtualHost>\n",
			dir, load.String(), partsOf(a)["server"])
		file := filepath.Join(dir, "httpd.conf")
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(apache, "-t", "-f", file).CombinedOutput(); err != nil {
			t.Errorf("%s: apache2 -t: %v\n%s\n%s", name, err, out, conf)
		}
	})
}

func TestCaddySyntax(t *testing.T) {
	caddy := need(t, "caddy")
	t.Parallel()
	dir := t.TempDir()
	eachAdvice(Caddy, func(name string, a Advice) {
		site := partsOf(a)["site"]
		conf := "http://127.0.0.1:8080 {\n" + site + "\tbasicauth @cors_not_preflight {\n\t\tbob $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG\n\t}\n\treverse_proxy 127.0.0.1:9\n}\n"
		if !strings.Contains(site, "@cors_not_preflight {") {
			conf = strings.Replace(conf, "basicauth @cors_not_preflight", "basicauth", 1)
		}
		file := filepath.Join(dir, "Caddyfile")
		if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(caddy, "adapt", "--config", file, "--adapter", "caddyfile").CombinedOutput(); err != nil {
			t.Errorf("%s: caddy adapt: %v\n%s\n%s", name, err, out, conf)
		}
	})
}

// TestPythonSyntax compiles every Python snippet (in one interpreter).
func TestPythonSyntax(t *testing.T) {
	python := need(t, "python3")
	t.Parallel()
	var srcs []string
	for _, id := range []StackID{FlaskCors, DjangoCorsHeaders, Starlette} {
		eachAdvice(id, func(name string, a Advice) {
			for _, p := range a.Snippet.Parts {
				srcs = append(srcs, p.Code)
			}
		})
	}
	in, _ := json.Marshal(srcs)
	cmd := exec.Command(python, "-c", "import json, sys\nfor s in json.load(sys.stdin):\n    compile(s, 'snippet', 'exec')\n")
	cmd.Stdin = strings.NewReader(string(in))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("python snippets do not compile: %v\n%s", err, out)
	}
}

// TestJavaScriptSyntax parses the JavaScript snippets in one node
// process (CommonJS as a function body, ES modules with vm.SourceTextModule).
func TestJavaScriptSyntax(t *testing.T) {
	node := need(t, "node")
	t.Parallel()
	type src struct {
		Name string `json:"name"`
		Code string `json:"code"`
		ESM  bool   `json:"esm"`
	}
	var srcs []src
	for _, id := range []StackID{ExpressCors, FastifyCors, Cloudflare, Netlify} {
		eachAdvice(id, func(name string, a Advice) {
			for _, p := range a.Snippet.Parts {
				if p.Where != "_headers" {
					srcs = append(srcs, src{string(id) + " " + name, p.Code, strings.Contains(p.Code, "export ")})
				}
			}
		})
	}
	in, _ := json.Marshal(srcs)
	script := `
const vm = require("vm");
let failed = 0;
for (const s of JSON.parse(require("fs").readFileSync(0, "utf8"))) {
  try {
    if (s.esm) new vm.SourceTextModule(s.code);
    else new vm.Script("(function (require, module, exports, app) {\n" + s.code + "\n})");
  } catch (e) {
    failed++;
    console.log(s.name + ": " + e + "\n" + s.code);
  }
}
process.exit(failed ? 1 : 0);
`
	cmd := exec.Command(node, "--experimental-vm-modules", "--no-warnings", "-e", script)
	cmd.Stdin = strings.NewReader(string(in))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("JavaScript snippets do not parse: %v\n%s", err, out)
	}
}
