package realstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// freePort returns a loopback port that was free a moment ago and that
// this test has not handed out before: servers bind their port only once
// started, and a port handed out twice would let one server answer for
// another. A clash with another process shows up as a server that exits
// early, and startServer then retries with a new port.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !portsUsed[port] {
			portsUsed[port] = true
			return port, nil
		}
	}
	return 0, errors.New("no fresh loopback port after 100 tries")
}

var (
	portsMu   sync.Mutex
	portsUsed = map[int]bool{}
)

// lockedBuffer collects a process's output; the process writes while the
// test may read it for an error message.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		return len(p), nil // enough to explain a failure
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// process is one running server: a process group, so that nginx's and
// Apache's workers and uvicorn's children go with it.
type process struct {
	name   string
	port   int
	dir    string
	cmd    *exec.Cmd
	out    *lockedBuffer
	done   chan struct{}
	err    error // set when done is closed
	logs   []string
	closed sync.Once
	// host is the process that serves this app when several apps share
	// one process (bundle); it owns the process, output and exit.
	host       *process
	failMarker string
}

// launch describes how to run one server once its files are written.
type launch struct {
	argv []string
	env  []string // added to the test's environment
	dir  string   // working directory
	logs []string // log files worth showing when the server fails
}

// startProcess runs l and waits, bounded by ctx and a 60 s deadline (Django
// under a loaded CI machine is slow), until
// 127.0.0.1:port accepts connections.
func startProcess(ctx context.Context, name string, port int, l launch) (*process, error) {
	p := &process{name: name, port: port, dir: l.dir, out: &lockedBuffer{}, done: make(chan struct{}), logs: l.logs}
	cmd := exec.Command(l.argv[0], l.argv[1:]...)
	cmd.Dir = l.dir
	cmd.Env = append(os.Environ(), l.env...)
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd = cmd
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, l.argv[0], err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(ctx, 60*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// startHost runs a process that serves several apps (see bundle) without
// waiting for any port; startApp then waits for each app.
func startHost(name string, l launch) (*process, error) {
	p := &process{name: name, dir: l.dir, out: &lockedBuffer{}, done: make(chan struct{}), logs: l.logs}
	cmd := exec.Command(l.argv[0], l.argv[1:]...)
	cmd.Dir = l.dir
	cmd.Env = append(os.Environ(), l.env...)
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd = cmd
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, l.argv[0], err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// startApp waits until the app that host serves on port listens; the
// host prints failMarker when that app failed to load or listen.
func startApp(ctx context.Context, host *process, name string, port int, failMarker string) (*process, error) {
	p := &process{name: name, port: port, host: host, failMarker: failMarker}
	if err := p.waitReady(ctx, 60*time.Second); err != nil {
		return nil, err
	}
	return p, nil
}

// waitReady polls the port until it accepts a connection, the process
// exits (or reports that this app failed), or the deadline passes.
func (p *process) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
	owner := p
	if p.host != nil {
		owner = p.host
	}
	for {
		select {
		case <-owner.done:
			return &exitedError{fmt.Errorf("%s exited before listening on %s: %v\n%s", p.name, addr, owner.err, p.output())}
		default:
		}
		if p.failMarker != "" && strings.Contains(owner.out.String(), p.failMarker) {
			return fmt.Errorf("%s failed before listening on %s:\n%s", p.name, addr, p.output())
		}
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("%s: nothing listening on %s after %v: %v\n%s", p.name, addr, limit, err, p.output())
		}
		select {
		case <-owner.done:
		case <-ctx.Done():
		case <-time.After(25 * time.Millisecond): // poll interval, not synchronisation
		}
	}
}

// exitedError marks a server that exited before listening, which may be a
// port clash worth one retry.
type exitedError struct{ error }

func (e *exitedError) Unwrap() error { return e.error }

// output is the process's stdout and stderr plus the tails of its logs.
func (p *process) output() string {
	if p.host != nil {
		return p.host.output()
	}
	var b strings.Builder
	b.WriteString(tailString(p.out.String(), 3000))
	for _, f := range p.logs {
		if data, err := os.ReadFile(f); err == nil && len(data) > 0 {
			fmt.Fprintf(&b, "\n--- %s\n%s", filepath.Base(f), tailString(string(data), 3000))
		}
	}
	return b.String()
}

// stop kills the whole process group and waits (bounded) for the leader.
// An app in a shared host is stopped with its host.
func (p *process) stop() {
	if p.host != nil {
		return
	}
	p.closed.Do(func() {
		if p.cmd.Process != nil {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
	})
}

func tailString(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// isExited reports whether err says the server exited before listening.
func isExited(err error) bool {
	var e *exitedError
	return errors.As(err, &e)
}
