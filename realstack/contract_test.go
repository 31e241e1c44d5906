package realstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"corsdoctor/contract"
	"corsdoctor/diagnose"
	"corsdoctor/remedy"
)

// contractPage is the page origin of the contract tests' policy files.
const contractPage = "https://app.example.com"

// contractStack runs one real server with a CORS policy (GET and PUT from
// the page, Authorization and Content-Type, credentials, X-Total exposed)
// or, regressed, the same without PUT and without exposing X-Total.
type contractStack struct {
	id    remedy.StackID
	start func(ctx context.Context, dir string, port int, regressed bool) (*process, error)
	// deleteReason is what each browser prints for the DELETE the policy
	// does not allow (the servers answer that preflight differently).
	deleteReason map[string]string
}

var contractStacks = []contractStack{
	{remedy.Nginx, startContractNginx, map[string]string{"firefox": "CORSMethodNotFound", "chromium": "CORSMethodNotFound"}},
	{remedy.ExpressCors, startContractExpress, map[string]string{"firefox": "CORSMethodNotFound", "chromium": "CORSMethodNotFound"}},
}

func startContractNginx(ctx context.Context, dir string, port int, regressed bool) (*process, error) {
	methods, expose := "GET, PUT", "\n            add_header Access-Control-Expose-Headers \"X-Total\" always;"
	if regressed {
		methods, expose = "GET", ""
	}
	conf := fmt.Sprintf(`daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    default_type application/json;
    server {
        listen 127.0.0.1:%[2]d;
        location / {
            if ($request_method = OPTIONS) {
                add_header Access-Control-Allow-Origin "%[3]s" always;
                add_header Access-Control-Allow-Credentials "true" always;
                add_header Access-Control-Allow-Methods "%[4]s" always;
                add_header Access-Control-Allow-Headers "Authorization, Content-Type" always;
                add_header Vary "Origin" always;
                return 204;
            }
            add_header Access-Control-Allow-Origin "%[3]s" always;
            add_header Access-Control-Allow-Credentials "true" always;
            add_header Vary "Origin" always;
            add_header X-Total "3" always;%[5]s
            return 200 '{"items":[]}';
        }
    }
}
`, dir, port, contractPage, methods, expose)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return startProcess(ctx, "nginx", port, launch{argv: []string{"/usr/sbin/nginx", "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log")},
		dir: dir, logs: []string{filepath.Join(dir, "error.log")}})
}

func startContractExpress(ctx context.Context, dir string, port int, regressed bool) (*process, error) {
	methods, expose := "['GET', 'PUT']", "exposedHeaders: ['X-Total'], "
	if regressed {
		methods, expose = "['GET']", ""
	}
	app := fmt.Sprintf(`'use strict';
const express = require('express');
const cors = require('cors');
const app = express();
app.use(cors({origin: '%s', methods: %s, allowedHeaders: ['Authorization', 'Content-Type'], %scredentials: true}));
app.all('/api/items', (req, res) => { res.set('X-Total', '3'); res.json({items: []}); });
app.listen(%d, '127.0.0.1');
`, contractPage, methods, expose, port)
	if err := os.WriteFile(filepath.Join(dir, "app.js"), []byte(app), 0o644); err != nil {
		return nil, err
	}
	return startProcess(ctx, "express", port, launch{argv: []string{"node", "app.js"}, env: []string{"NODE_PATH=" + nodeModules}, dir: dir})
}

// contractPolicy passes on the healthy server but for "delete item",
// which it expects allowed and every server refuses.
const contractPolicy = `origin: %s
base_url: %s
cases:
  - name: save item
    url: /api/items
    method: PUT
    headers: {Authorization: Bearer x, Content-Type: application/json}
    credentials: include
    expect: {exposed: [X-Total]}
  - name: list from another site
    url: /api/items
    origin: https://evil.example
    expect: {verdict: blocked, reason: CORSAllowOriginNotMatchingOrigin}
  - name: delete item
    url: /api/items
    method: DELETE
    expect: allowed
matrix:
  - name: reads
    paths: [/api/items]
    credentials: [omit, include]
    expect: {exposed: [X-Total]}
`

// TestContractRealServers runs `corsdoctor test`'s engine (contract.Parse,
// Execute, Record, Diff) against real nginx and Express + cors: a passing
// file, a failing case in the engine's words, a recording that passes on
// rerun, and the regression the recording catches once the server's
// configuration loses PUT and Access-Control-Expose-Headers.
func TestContractRealServers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts real servers")
	}
	ci := os.Getenv("CI") == "true"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	prober := diagnose.NewProber(diagnose.ProberConfig{})
	for _, st := range contractStacks {
		t.Run(string(st.id), func(t *testing.T) {
			if err := stacks[st.id].check(); err != nil {
				if ci {
					t.Fatalf("CI=true and %s is missing (scripts/ensure-stacks.sh installs %s): %v", st.id, stacks[st.id].tool, err)
				}
				t.Skipf("%s is missing: %v", st.id, err)
			}
			dir := t.TempDir()
			port, err := freePort()
			if err != nil {
				t.Fatal(err)
			}
			p, err := st.start(ctx, dir, port, false)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.stop)
			base := "http://127.0.0.1:" + strconv.Itoa(port)

			pol, err := contract.Parse("cors.yaml", fmt.Appendf(nil, contractPolicy, contractPage, base), contract.Options{})
			if err != nil {
				t.Fatal(err)
			}
			run, err := contract.Execute(ctx, prober, pol, contract.DefaultParallel)
			if err != nil {
				t.Fatal(err)
			}
			var passed []string
			for _, r := range run.Cases {
				if r.Passed {
					passed = append(passed, r.Name)
					continue
				}
				if r.Name != "delete item" {
					t.Errorf("%s failed: %s", r.Name, r.Reason)
					continue
				}
				for _, b := range contract.KnownBrowsers() {
					g := r.Got[b]
					if g.Verdict != diagnose.Blocked || g.Reason != st.deleteReason[b] || !strings.Contains(r.Reason, b+": want allowed, got blocked ("+g.Reason+"): "+g.Summary) {
						t.Errorf("delete item, %s: got %+v; reason %q", b, g, r.Reason)
					}
				}
			}
			if want := []string{"save item", "list from another site", "reads: GET " + base + "/api/items from " + contractPage + " (omit)",
				"reads: GET " + base + "/api/items from " + contractPage + " (include)"}; !reflect.DeepEqual(passed, want) {
				t.Errorf("passed %q, want %q", passed, want)
			}

			// Record today's behaviour; the recording passes on rerun.
			data, skipped, err := contract.Record(run)
			if err != nil || len(skipped) > 0 {
				t.Fatalf("record: %v (skipped %v)", err, skipped)
			}
			rec, err := contract.Parse("recorded.yaml", data, contract.Options{})
			if err != nil {
				t.Fatalf("recording: %v\n%s", err, data)
			}
			again, err := contract.Execute(ctx, prober, rec, contract.DefaultParallel)
			if err != nil {
				t.Fatal(err)
			}
			if !again.OK() {
				t.Fatalf("the recording fails on the same server: %+v\n%s", again.Cases, data)
			}

			// The regression: the server restarts on the same port without
			// PUT and without exposing X-Total.
			p.stop()
			p, err = st.start(ctx, dir, port, true)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.stop)
			later, err := contract.Execute(ctx, prober, rec, contract.DefaultParallel)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, r := range later.Cases {
				if !r.Passed {
					failed = append(failed, r.Name)
				}
			}
			wantFailed := []string{"save item", "reads: GET " + base + "/api/items from " + contractPage + " (omit)", "reads: GET " + base + "/api/items from " + contractPage + " (include)"}
			if !reflect.DeepEqual(failed, wantFailed) {
				t.Errorf("after the regression, failed %q, want %q", failed, wantFailed)
			}
			for _, c := range contract.Diff(again, later) {
				var want string
				switch c.Case {
				case "save item":
					want = c.Browser + ": allowed → blocked (" + c.Now.Reason + "): " + c.Now.Summary
					if !strings.Contains(c.Now.Summary, "PUT") {
						t.Errorf("save item: summary %q does not name PUT", c.Now.Summary)
					}
				default:
					want = c.Browser + ": JavaScript can no longer read x-total"
				}
				if c.Why != want {
					t.Errorf("%s: why %q, want %q", c.Case, c.Why, want)
				}
			}
			if n := len(contract.Diff(again, later)); n != len(wantFailed)*len(contract.KnownBrowsers()) {
				t.Errorf("%d changes, want one per failed case and browser", n)
			}
		})
	}
}
