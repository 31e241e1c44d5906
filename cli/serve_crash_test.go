package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// serveHelperEnv makes the test binary run `corsdoctor serve` with its
// arguments instead of the tests (see TestMain), so a test can start the
// real server as a separate process and kill it.
const serveHelperEnv = "CORSDOCTOR_TEST_SERVE_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(serveHelperEnv) == "1" {
		// As main.go does.
		if err := Serve(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
			os.Exit(ExitCode(err, os.Stderr))
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveProcess is `corsdoctor serve` running in a child process.
type serveProcess struct {
	cmd    *exec.Cmd
	base   string // "http://127.0.0.1:PORT/"
	stderr *lockedBuffer
	waited chan error
}

// startServe runs the test binary as `corsdoctor serve --addr
// 127.0.0.1:0 args...` and reads the URL it prints. The child gets no
// CORSDOCTOR_* variables from this environment, so only args configure it.
func startServe(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--addr", "127.0.0.1:0", "--log-format", "json"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CORSDOCTOR_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, serveHelperEnv+"=1")
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
		_ = cmd.Process.Kill() // this test's own child, by its pid; a no-op once it has exited
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
		if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/") {
			t.Fatalf("listening line = %q; stderr: %s", s, p.stderr)
		}
		p.base = base
	case <-time.After(30 * time.Second):
		t.Fatalf("serve printed no URL within 30 s; stderr: %s", p.stderr)
	}
	return p
}

// TestServeSurvivesSIGKILL is the dashboard's crash-durability promise: a
// diagnosis whose 201 reached the client is on disk, even when the
// process is killed without warning in the middle of a burst of writes.
// It runs the real serve command in a child process against a loopback
// target, SIGKILLs it mid-burst, restarts it on the same database and
// reads back every id that was answered.
func TestServeSurvivesSIGKILL(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond) // keep probes in flight when the kill comes
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, "ok")
	}))
	defer target.Close()
	db := filepath.Join(t.TempDir(), "crash.db")
	srv := startServe(t, "--db", db, "--rate-limit", "0", "--max-probes-per-client", "0")

	const (
		clients   = 24
		perClient = 200 // bound on each client's loop
		killAfter = 60  // answered diagnoses before the kill
	)
	var (
		mu       sync.Mutex
		answered []string
		failed   atomic.Int32 // requests cut off by the kill
		killed   = make(chan struct{})
		kill     sync.Once
	)
	client := &http.Client{Timeout: time.Minute} // a bound for a hung server, not for a slow one
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				body := fmt.Sprintf(`{"url":"%s/items/%d/%d","origin":"https://app.test","method":"PUT","headers":[{"name":"Content-Type","value":"application/json"}],"body":"{}"}`, target.URL, c, i)
				resp, err := client.Post(srv.base+"api/v1/diagnoses", "application/json", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					return // the server is gone
				}
				var out struct{ ID string }
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if err != nil {
					failed.Add(1) // cut off mid-body: not an answer the client can rely on
					return
				}
				if resp.StatusCode != http.StatusCreated || out.ID == "" {
					t.Errorf("POST: %d %+v", resp.StatusCode, out)
					return
				}
				mu.Lock()
				answered = append(answered, out.ID)
				n := len(answered)
				mu.Unlock()
				if n >= killAfter {
					kill.Do(func() {
						if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
							t.Errorf("kill: %v", err)
						}
						close(killed)
					})
				}
			}
		}()
	}
	// The kill comes from the 60th answer, however long a loaded machine
	// takes to give it; if every client stops first, that is the failure.
	burstOver := make(chan struct{})
	go func() { wg.Wait(); close(burstOver) }()
	select {
	case <-killed:
	case <-burstOver:
		kill.Do(func() { _ = srv.cmd.Process.Signal(syscall.SIGKILL); close(killed) })
		t.Error("every client stopped before the burst reached the kill")
	}
	wg.Wait()
	if err := <-srv.waited; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("serve exited with %v, want killed", err)
	}
	srv.waited <- nil // for the cleanup
	mu.Lock()
	ids := append([]string(nil), answered...)
	mu.Unlock()
	t.Logf("%d diagnoses answered 201 before SIGKILL, %d requests cut off", len(ids), failed.Load())
	if len(ids) < killAfter {
		t.Fatalf("only %d diagnoses answered", len(ids))
	}

	// Same database, new process: every answered id is there.
	again := startServe(t, "--db", db, "--rate-limit", "0", "--max-probes-per-client", "0")
	for _, id := range ids {
		resp, err := client.Get(again.base + "api/v1/diagnoses/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ ID string }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || out.ID != id {
			t.Errorf("GET %s after the crash: %d %v %q", id, resp.StatusCode, err, out.ID)
		}
	}
	resp, err := client.Get(again.base + "healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("healthz after the crash: %v %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	// It still takes new diagnoses.
	resp, err = client.Post(again.base+"api/v1/diagnoses", "application/json", strings.NewReader(`{"url":"`+target.URL+`/after","origin":"https://app.test"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST after the crash: %d", resp.StatusCode)
	}
	// And the restarted server stops cleanly.
	if err := again.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-again.waited:
		if err != nil {
			t.Errorf("restarted serve exited with %v; stderr: %s", err, again.stderr)
		}
		again.waited <- nil
	case <-time.After(30 * time.Second):
		t.Errorf("restarted serve did not stop on SIGTERM")
	}
}
