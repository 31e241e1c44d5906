package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"corsdoctor/store"
)

// recordingConn is a net.Conn that keeps every Write it is given.
type recordingConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
	fail   error
	closed bool
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return 0, c.fail
	}
	c.writes = append(c.writes, bytes.Clone(p))
	if c.Conn != nil {
		return c.Conn.Write(p)
	}
	return len(p), nil
}

func (c *recordingConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if c.Conn != nil {
		return c.Conn.Close()
	}
	return nil
}

func (c *recordingConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

func TestHoldingConn(t *testing.T) {
	rec := &recordingConn{}
	c := &holdingConn{Conn: rec}

	// Not holding: every write goes through.
	c.Write([]byte("a"))
	c.Write([]byte("b"))
	if rec.count() != 2 {
		t.Fatalf("%d writes without a hold, want 2", rec.count())
	}

	// Holding: nothing goes out until release, then one write.
	c.hold()
	c.Write([]byte("HTTP/1.1 200 OK\r\n\r\n"))
	c.Write(bytes.Repeat([]byte("x"), 5000))
	if rec.count() != 2 {
		t.Fatalf("a held write went out")
	}
	if err := c.release(); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 3 || len(rec.writes[2]) != 19+5000 {
		t.Fatalf("release: %d writes, last %d bytes; want one write of %d", rec.count(), len(rec.writes[len(rec.writes)-1]), 19+5000)
	}
	if err := c.release(); err != nil || rec.count() != 3 {
		t.Errorf("a second release wrote again (%v)", err)
	}

	// More than maxHeld: what is held goes first, then the rest as it comes.
	c.hold()
	c.Write([]byte("head"))
	c.Write(make([]byte, maxHeld))
	if rec.count() != 5 || string(rec.writes[3]) != "head" || len(rec.writes[4]) != maxHeld {
		t.Fatalf("oversized response: %d writes", rec.count())
	}
	c.Write([]byte("tail"))
	if rec.count() != 6 {
		t.Errorf("writes after the overflow are still held")
	}
	c.release()

	// A failed release closes the connection and fails later writes.
	c.hold()
	c.Write([]byte("lost"))
	rec.fail = errors.New("broken pipe")
	if err := c.release(); err == nil || !rec.closed {
		t.Errorf("release error %v, closed %v", err, rec.closed)
	}
	rec.fail = nil
	if _, err := c.Write([]byte("more")); err == nil {
		t.Error("a write after a failed release succeeded")
	}
}

// countingListener records every connection's writes under the
// CoalescingListener, so a test sees the write(2) calls a response costs.
type countingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*recordingConn
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recordingConn{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, rc)
	l.mu.Unlock()
	return rc, nil
}

func (l *countingListener) writes() (conns, writes int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		writes += c.count()
	}
	return len(l.conns), writes
}

// TestResultPageInOneWrite serves /d/{id} as serve does and checks that a
// result page (bigger than net/http's 4 KiB write buffer) costs one write
// per response, that keep-alive still works, and that bodies, 304s and
// HEAD answers are intact. A plain route under the same listener still
// takes two writes, which shows the count can tell the difference.
func TestResultPageInOneWrite(t *testing.T) {
	st := newMemStore()
	d := store.Diagnosis{Report: *hostileReport(t)}
	_ = st.Create(context.Background(), &d, nil)
	big := strings.Repeat("x", 6000)
	mux := http.NewServeMux()
	mux.Handle("/", NewServer(slog.New(slog.DiscardHandler), Config{}, proberFunc(nil), st))
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		io.WriteString(w, big)
	})
	srv := httptest.NewUnstartedServer(mux)
	counting := &countingListener{Listener: srv.Listener}
	srv.Listener = CoalescingListener(counting)
	srv.Config.ConnContext = ConnContext
	srv.Start()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxConnsPerHost: 1}}
	defer client.CloseIdleConnections()

	get := func(path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if path == "HEAD" {
			req, _ = http.NewRequest("HEAD", srv.URL+"/d/"+d.ID, nil)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	writesFor := func(do func()) int {
		_, before := counting.writes()
		do()
		_, after := counting.writes()
		return after - before
	}

	var page []byte
	if n := writesFor(func() {
		resp, body := get("/d/" + d.ID)
		page = body
		if resp.StatusCode != 200 || len(body) < 4096 || !bytes.HasSuffix(bytes.TrimSpace(body), []byte("</html>")) {
			t.Fatalf("page: %d, %d bytes", resp.StatusCode, len(body))
		}
	}); n > 2 { // the first view renders; it may take more
		t.Logf("first view: %d writes", n)
	}
	if n := writesFor(func() {
		_, body := get("/d/" + d.ID)
		if !bytes.Equal(body, page) {
			t.Error("the cached page differs")
		}
	}); n != 1 {
		t.Errorf("cached page: %d writes, want 1", n)
	}
	if n := writesFor(func() {
		resp, body := get("/d/"+d.ID, "Accept-Encoding", "gzip")
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("gzip page: %v, %q", err, resp.Header.Get("Content-Encoding"))
		}
		if inflated, _ := io.ReadAll(zr); !bytes.Equal(inflated, page) {
			t.Error("the gzip page differs")
		}
	}); n != 1 {
		t.Errorf("gzip page: %d writes, want 1", n)
	}
	etag := ""
	writesFor(func() { resp, _ := get("/d/" + d.ID); etag = resp.Header.Get("ETag") })
	if n := writesFor(func() {
		if resp, body := get("/d/"+d.ID, "If-None-Match", etag); resp.StatusCode != 304 || len(body) != 0 {
			t.Errorf("revalidation: %d, %d bytes", resp.StatusCode, len(body))
		}
	}); n != 1 {
		t.Errorf("304: %d writes, want 1", n)
	}
	if n := writesFor(func() {
		if resp, body := get("HEAD"); resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength != int64(len(page)) {
			t.Errorf("HEAD: %d, %d bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
		}
	}); n != 1 {
		t.Errorf("HEAD: %d writes, want 1", n)
	}
	if n := writesFor(func() { get("/plain") }); n != 2 {
		t.Errorf("a route without coalescing: %d writes, want 2 (header+body over 4 KiB)", n)
	}
	if conns, _ := counting.writes(); conns != 1 {
		t.Errorf("%d connections for sequential requests, want 1 (keep-alive)", conns)
	}
}
