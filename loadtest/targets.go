package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// corsTarget is a well-behaved API on 127.0.0.1: it answers preflights for
// any origin, method and headers, and actual requests with a small JSON
// body readable from that origin. net/http's server is enough here: the
// load test measures the dashboard, not odd wire formats.
type corsTarget struct {
	srv   *http.Server
	url   string
	done  chan struct{}
	close sync.Once
}

func startCORSTarget() (*corsTarget, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		if o := r.Header.Get("Origin"); o != "" {
			hd.Set("Access-Control-Allow-Origin", o)
			hd.Set("Access-Control-Allow-Credentials", "true")
			hd.Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			hd.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
			if acrh := r.Header.Get("Access-Control-Request-Headers"); acrh != "" {
				hd.Set("Access-Control-Allow-Headers", acrh)
			}
			hd.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		hd.Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":[1,2,3]}`)
	})
	t := &corsTarget{
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second},
		url:  "http://" + ln.Addr().String(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(t.done)
		_ = t.srv.Serve(ln)
	}()
	return t, nil
}

// Close stops the target and waits for its goroutines; it is idempotent.
func (t *corsTarget) Close() {
	t.close.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if t.srv.Shutdown(ctx) != nil {
			_ = t.srv.Close()
		}
		<-t.done
	})
}

// hangTarget accepts connections on 127.0.0.1, reads whatever arrives and
// never answers: the costliest target for a prober, which must give up on
// its own timeout. A connection ends when the client closes it or at Close.
type hangTarget struct {
	ln    net.Listener
	url   string
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	total int
	close sync.Once
}

func startHangTarget() (*hangTarget, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &hangTarget{ln: ln, url: "http://" + ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	t.wg.Add(1)
	go t.accept()
	return t, nil
}

func (t *hangTarget) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: back off, do not spin
			continue
		}
		t.mu.Lock()
		t.conns[c] = struct{}{}
		t.total++
		t.mu.Unlock()
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			_, _ = io.Copy(io.Discard, c) // until the prober gives up and closes
			c.Close()
			t.mu.Lock()
			delete(t.conns, c)
			t.mu.Unlock()
		}()
	}
}

// Connections reports how many connections the target accepted.
func (t *hangTarget) Connections() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// Close stops the target and waits for its goroutines; it is idempotent.
func (t *hangTarget) Close() {
	t.close.Do(func() {
		t.ln.Close()
		t.mu.Lock()
		for c := range t.conns {
			c.Close()
		}
		t.mu.Unlock()
		t.wg.Wait()
	})
}
