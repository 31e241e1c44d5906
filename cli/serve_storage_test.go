package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

// startServeAs is startServe for a given binary (a copy of this test
// binary) run with the given credentials (nil: this process's).
func startServeAs(t *testing.T, bin string, cred *syscall.Credential, args ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CORSDOCTOR_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, serveHelperEnv+"=1")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	p := &serveProcess{cmd: cmd, stderr: &lockedBuffer{}, waited: make(chan error, 1)}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.waited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // this test's own child, by its pid
		<-p.waited
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		base := strings.TrimSpace(strings.TrimPrefix(s, "corsdoctor listening on "))
		if !strings.HasPrefix(base, "http://127.0.0.1:") {
			t.Fatalf("listening line = %q; stderr: %s", s, p.stderr)
		}
		p.base = base
	case <-time.After(30 * time.Second):
		t.Fatalf("serve printed no URL within 30 s; stderr: %s", p.stderr)
	}
	return p
}

// storageAnswer is what a test reads back from the server.
type storageAnswer struct {
	status int
	body   string
	err    struct {
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	health map[string]string
}

func call(t *testing.T, req *http.Request) storageAnswer {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := storageAnswer{status: resp.StatusCode, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var e struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != nil {
			_ = json.Unmarshal(e.Error, &a.err)
		} else {
			_ = json.Unmarshal(b, &a.health)
		}
	}
	return a
}

func postAPI(t *testing.T, base, target string) storageAnswer {
	req, _ := http.NewRequest("POST", base+"api/v1/diagnoses", strings.NewReader(`{"url":"`+target+`/x","origin":"https://app.test"}`))
	req.Header.Set("Content-Type", "application/json")
	return call(t, req)
}

func postForm(t *testing.T, base, target string) storageAnswer {
	req, _ := http.NewRequest("POST", base+"diagnose", strings.NewReader(url.Values{"url": {target + "/x"}, "origin": {"https://app.test"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return call(t, req)
}

func get(t *testing.T, u string) storageAnswer {
	req, _ := http.NewRequest("GET", u, nil)
	return call(t, req)
}

// wantStorage503 checks a creation's answer when the database cannot be
// written: 503 storage_unavailable naming the file, not its directory.
func wantStorage503(t *testing.T, what string, a storageAnswer, dir string, isJSON bool) {
	t.Helper()
	const msg = "The diagnosis database (corsdoctor.db) cannot be written, so nothing was stored"
	if a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, msg) {
		t.Errorf("%s: %d %s, want 503 saying %q", what, a.status, a.body, msg)
	}
	if isJSON && a.err.Code != "storage_unavailable" {
		t.Errorf("%s: code %q, want storage_unavailable", what, a.err.Code)
	}
	if strings.Contains(a.body, dir) {
		t.Errorf("%s: the answer leaks the database's directory: %s", what, a.body)
	}
}

func corsTarget(t *testing.T) *httptest.Server {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, "ok")
	}))
	t.Cleanup(target.Close)
	return target
}

// TestServeReadOnlyDatabase runs the real server on a database file it
// may not write: creations get the storage 503 on both faces, /healthz
// says writing fails, and the diagnoses already stored are still served.
// Root writes read-only files regardless, so as root the server runs as
// nobody (uid 65534).
func TestServeReadOnlyDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	target := corsTarget(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "corsdoctor.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	d := &store.Diagnosis{Report: diagnose.Report{Request: diagnose.Request{URL: target.URL + "/old", Origin: "https://app.test"}}}
	if err := st.Create(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o444); err != nil {
		t.Fatal(err)
	}

	bin, cred := os.Args[0], (*syscall.Credential)(nil)
	if os.Geteuid() == 0 {
		const nobody = 65534
		cred = &syscall.Credential{Uid: nobody, Gid: nobody}
		// nobody must reach the binary and the directory, and may create
		// the -wal and -shm files next to the database, as the owner of a
		// data directory whose database file is read-only could.
		binDir := t.TempDir()
		bin = filepath.Join(binDir, "corsdoctor.test")
		copyFile(t, os.Args[0], bin, 0o755)
		for _, d := range []string{binDir, filepath.Dir(binDir), filepath.Dir(dir)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(dir, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	srv := startServeAs(t, bin, cred, "--db", db, "--rate-limit", "0")

	health := get(t, srv.base+"healthz")
	if health.status != http.StatusServiceUnavailable || health.health["read"] != "ok" || health.health["write"] != "failed" {
		t.Errorf("healthz: %d %s, want 503 with read ok and write failed", health.status, health.body)
	}
	wantStorage503(t, "API", postAPI(t, srv.base, target.URL), dir, true)
	wantStorage503(t, "form", postForm(t, srv.base, target.URL), dir, false)

	if a := get(t, srv.base+"d/"+d.ID); a.status != http.StatusOK {
		t.Errorf("GET /d/{id}: %d", a.status)
	}
	if a := get(t, srv.base+"api/v1/diagnoses/"+d.ID); a.status != http.StatusOK || !strings.Contains(a.body, d.ID) {
		t.Errorf("GET /api/v1/diagnoses/{id}: %d %s", a.status, a.body)
	}
	if logs := srv.stderr.String(); !strings.Contains(logs, "readonly") {
		t.Errorf("the log does not say why: %s", logs)
	}
}

func copyFile(t *testing.T, from, to string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, perm); err != nil {
		t.Fatal(err)
	}
}

// TestServeDatabaseGone runs the real server and takes its database away
// while it runs: deleted (with its -wal and -shm), or replaced by another
// file. The next creations must not be acknowledged, since a restart
// would not find them, and /healthz must turn unhealthy.
func TestServeDatabaseGone(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	target := corsTarget(t)
	for _, tc := range []struct {
		name      string
		breakFile func(t *testing.T, db string)
	}{
		{"deleted", func(t *testing.T, db string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(db + suffix); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"replaced", func(t *testing.T, db string) {
			other := filepath.Join(t.TempDir(), "other")
			if err := os.WriteFile(other, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, db); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "corsdoctor.db")
			srv := startServe(t, "--db", db, "--rate-limit", "0")
			if a := postAPI(t, srv.base, target.URL); a.status != http.StatusCreated {
				t.Fatalf("POST before: %d %s", a.status, a.body)
			}
			if a := get(t, srv.base+"healthz"); a.status != http.StatusOK || a.health["write"] != "ok" {
				t.Fatalf("healthz before: %d %s", a.status, a.body)
			}

			tc.breakFile(t, db)
			wantStorage503(t, "API", postAPI(t, srv.base, target.URL), dir, true)
			wantStorage503(t, "form", postForm(t, srv.base, target.URL), dir, false)
			if a := get(t, srv.base+"healthz"); a.status != http.StatusServiceUnavailable || a.health["write"] != "failed" {
				t.Errorf("healthz after: %d %s, want 503 with write failed", a.status, a.body)
			}
		})
	}
}
