package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseServeFlags(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    serveConfig
		wantErr string
	}{
		{name: "defaults", want: serveConfig{addr: "127.0.0.1:8080", db: "corsdoctor.db", retention: 30 * 24 * time.Hour, logFormat: "text", logLevel: "info", ratePerMinute: 30, maxProbes: 16, probeTimeout: time.Minute}},
		{name: "flags", args: []string{"--addr", ":9000", "--db", "x.db", "--retention", "7d", "--log-format", "json", "--rate-limit", "0", "--max-probes", "4", "--allow-private-targets=false", "--allow-target", "10.0.0.0/8", "--allow-target", "staging.internal", "--deny-target", "10.9.0.0/16", "--base-url", "https://cors.example.com", "--trusted-proxy", "10.1.0.0/16", "--trusted-proxy", "192.0.2.1"},
			want: serveConfig{addr: ":9000", db: "x.db", retention: 7 * 24 * time.Hour, logFormat: "json", logLevel: "info", ratePerMinute: 0, maxProbes: 4, probeTimeout: time.Minute, allowPrivate: &no,
				allow: []string{"10.0.0.0/8", "staging.internal"}, deny: []string{"10.9.0.0/16"}, baseURL: "https://cors.example.com",
				proxies: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.0.2.1/32")}}},
		{name: "environment", env: map[string]string{"CORSDOCTOR_ADDR": "0.0.0.0:80", "CORSDOCTOR_DB": "/data/c.db", "CORSDOCTOR_RETENTION": "48h", "CORSDOCTOR_LOG_FORMAT": "json", "CORSDOCTOR_ALLOW_PRIVATE_TARGETS": "true", "CORSDOCTOR_ALLOW_TARGETS": "a.internal,b.internal", "CORSDOCTOR_MAX_PROBES": "64", "CORSDOCTOR_TRUSTED_PROXIES": "::1, 172.16.0.0/12"},
			want: serveConfig{addr: "0.0.0.0:80", db: "/data/c.db", retention: 48 * time.Hour, logFormat: "json", logLevel: "info", ratePerMinute: 30, maxProbes: 64, probeTimeout: time.Minute, allowPrivate: &yes, allow: []string{"a.internal", "b.internal"},
				proxies: []netip.Prefix{netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("172.16.0.0/12")}}},
		{name: "flag beats environment", args: []string{"--addr", "127.0.0.1:1"}, env: map[string]string{"CORSDOCTOR_ADDR": "0.0.0.0:80"},
			want: serveConfig{addr: "127.0.0.1:1", db: "corsdoctor.db", retention: 30 * 24 * time.Hour, logFormat: "text", logLevel: "info", ratePerMinute: 30, maxProbes: 16, probeTimeout: time.Minute}},
		{name: "bad retention", args: []string{"--retention", "soon"}, wantErr: "exit"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: "--log-format must be text or json"},
		{name: "stray argument", args: []string{"extra"}, wantErr: `serve takes no arguments`},
		{name: "no probe slots", args: []string{"--max-probes", "0"}, wantErr: "--max-probes must be at least 1"},
		{name: "bad max probes in environment", env: map[string]string{"CORSDOCTOR_MAX_PROBES": "many"}, wantErr: "CORSDOCTOR_MAX_PROBES must be a whole number"},
		{name: "bad trusted proxy", args: []string{"--trusted-proxy", "proxy.internal"}, wantErr: `--trusted-proxy or CORSDOCTOR_TRUSTED_PROXIES: invalid IP address or CIDR: proxy.internal`},
		{name: "bad base URL", args: []string{"--base-url", "cors.example.com"}, wantErr: "--base-url must start with"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			got, err := parseServeFlags(tc.args, getenv, io.Discard)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, want %q", tc.wantErr)
				}
				if tc.wantErr != "exit" && !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if ExitCode(err, io.Discard) != ExitUsage {
					t.Errorf("exit code %d, want %d", ExitCode(err, io.Discard), ExitUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tc.want
			if got.addr != w.addr || got.db != w.db || got.retention != w.retention || got.logFormat != w.logFormat || got.logLevel != w.logLevel ||
				got.ratePerMinute != w.ratePerMinute || got.maxProbes != w.maxProbes || got.probeTimeout != w.probeTimeout || got.baseURL != w.baseURL ||
				strings.Join(got.allow, ",") != strings.Join(w.allow, ",") || strings.Join(got.deny, ",") != strings.Join(w.deny, ",") || fmt.Sprint(got.proxies) != fmt.Sprint(w.proxies) ||
				(got.allowPrivate == nil) != (w.allowPrivate == nil) || (got.allowPrivate != nil && *got.allowPrivate != *w.allowPrivate) {
				t.Errorf("got %+v\nwant %+v", *got, w)
			}
		})
	}
}

func TestLoopbackOnly(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.9.9.9:1": true, "[::1]:80": true, "localhost:8080": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:80": false, "192.168.1.2:80": false, "example.com:80": false, "nonsense": false,
	} {
		if got := loopbackOnly(addr); got != want {
			t.Errorf("loopbackOnly(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestParseDays(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "1d": 24 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := parseDays(in); err != nil || got != want {
			t.Errorf("parseDays(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"0d", "-1d", "xd", "0s", "soon"} {
		if _, err := parseDays(bad); err == nil {
			t.Errorf("parseDays(%q) accepted", bad)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the server goroutine and the test.
type lockedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{} // closed and replaced by every Write
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wrote != nil {
		close(l.wrote)
		l.wrote = nil
	}
	return l.b.Write(p)
}

// waitFor waits until the buffer holds substr: it wakes on each write, and
// its timeout only turns a line that never comes into a failure.
func (l *lockedBuffer) waitFor(t testing.TB, substr string) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		l.mu.Lock()
		found := strings.Contains(l.b.String(), substr)
		if l.wrote == nil {
			l.wrote = make(chan struct{})
		}
		wrote := l.wrote
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-wrote:
		case <-timeout:
			t.Fatalf("no %s in: %s", substr, l)
		}
	}
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeLifecycle runs the real server: it prints its URL, serves a
// diagnosis of a loopback target end to end, and on cancellation finishes
// the diagnosis in flight before it returns.
func TestServeLifecycle(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			arrived <- struct{}{}
			<-release
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, "ok")
	}))
	defer target.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	db := filepath.Join(t.TempDir(), "serve.db")
	go func() {
		done <- Serve(ctx, []string{"--addr", "127.0.0.1:0", "--db", db, "--log-format", "json"}, func(string) string { return "" }, pw, stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v; stderr: %s", err, stderr)
	}
	base := strings.TrimSpace(strings.TrimPrefix(line, "corsdoctor listening on "))
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("listening line = %q", line)
	}
	go io.Copy(io.Discard, pr)

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"diagnose", url.Values{"url": {target.URL + "/fast"}, "origin": {"https://app.test"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/d/") {
		t.Fatalf("POST /diagnose: %d %q; stderr: %s", resp.StatusCode, resp.Header.Get("Location"), stderr)
	}
	page, err := http.Get(base + strings.TrimPrefix(resp.Header.Get("Location"), "/"))
	if err != nil || page.StatusCode != 200 {
		t.Fatalf("GET the diagnosis: %v %v", err, page.StatusCode)
	}
	page.Body.Close()

	// A diagnosis in flight when shutdown starts still completes.
	slow := make(chan *http.Response, 1)
	go func() {
		resp, err := client.Post(base+"api/v1/diagnoses", "application/json", strings.NewReader(`{"url":"`+target.URL+`/slow","origin":"https://app.test"}`))
		if err != nil {
			t.Error(err)
			slow <- nil
			return
		}
		slow <- resp
	}()
	<-arrived
	cancel()
	stderr.waitFor(t, `"msg":"shutting down"`) // shutdown has begun, with the diagnosis in flight
	close(release)
	resp = <-slow
	if resp == nil {
		t.Fatal("the in-flight diagnosis failed")
	}
	var out struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || out.ID == "" {
		t.Errorf("in-flight diagnosis: %d %+v", resp.StatusCode, out)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancellation")
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"listening"`, `"msg":"shutting down"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s: %s", want, logs)
		}
	}
}
