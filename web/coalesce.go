package web

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// Sending a diagnosis page in one write.
//
// net/http's HTTP/1 server writes a response through a 4 KiB buffer: the
// header block goes into it, and a body that does not fit the rest is
// written in a second write(2) (a results page is ~5 KiB gzipped, plus
// ~0.6 KiB of headers). On loopback a write costs about as much as a
// whole hello-world request: with scripts/render-bench (PIN=1), sending
// the page in one write instead of two took a page view from 0.41 to 0.56
// of hello world's rate. So the dashboard's connections can hold a
// response's writes and send them as one: the listener wraps each
// connection in a holdingConn, and the coalesceWrites middleware holds
// writes while its handler runs, flushes net/http's buffers into the
// hold, and releases it in a single write.
//
// Only handlers that set Content-Length themselves and do not stream
// should run under coalesceWrites: it flushes before net/http has seen
// the handler return, so a handler relying on net/http to count a small
// body would get a chunked response instead (correct, but not what it
// asked for), and it holds a streaming handler's flushes (up to maxHeld)
// until the handler returns.

// maxHeld bounds what a connection holds; a larger response is passed on
// as it comes (it needs several writes anyway).
const maxHeld = 64 << 10

// CoalescingListener wraps ln so that handlers under coalesceWrites can
// send their response in one write. http.Server.ConnContext must be
// ConnContext for them to find the connection. Wrap the plain TCP
// listener only, with any TLS listener outside it: net/http recognises
// TLS connections by their type, which this wrapper would hide.
func CoalescingListener(ln net.Listener) net.Listener { return coalescingListener{ln} }

type coalescingListener struct{ net.Listener }

func (l coalescingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &holdingConn{Conn: c}, nil
}

type heldConnKey struct{}

// ConnContext makes the connection reachable from coalesceWrites; it is
// the http.Server.ConnContext to use with CoalescingListener.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if hc, ok := c.(*holdingConn); ok {
		return context.WithValue(ctx, heldConnKey{}, hc)
	}
	return ctx
}

// holdingConn is a connection whose writes can be held back and then sent
// in one write. For HTTP/1, net/http writes a response from the goroutine
// that serves the connection and runs the handler, except for a
// "100 Continue", which whichever goroutine reads the request body
// writes; the mutex orders those.
type holdingConn struct {
	net.Conn
	mu      sync.Mutex
	holding bool
	held    *[]byte // from heldBuffers while holding
	err     error   // a failed release: every later write fails too
}

var heldBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func (c *holdingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.holding {
		if len(*c.held)+len(p) <= maxHeld {
			*c.held = append(*c.held, p...)
			return len(p), nil
		}
		// Too big to be worth holding: send what is held, then stop.
		if err := c.releaseLocked(); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

// CloseWrite passes on a half-close: net/http uses it to let a client
// read a final response (a 413 with Connection: close) before the
// connection goes, instead of meeting a reset.
func (c *holdingConn) CloseWrite() error {
	if err := c.release(); err != nil {
		return err
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// hold starts holding writes.
func (c *holdingConn) hold() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.holding && c.err == nil {
		c.holding = true
		c.held = heldBuffers.Get().(*[]byte)
	}
}

// release sends what is held in one write and stops holding.
func (c *holdingConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.releaseLocked()
}

func (c *holdingConn) releaseLocked() error {
	if !c.holding {
		return c.err
	}
	c.holding = false
	buf := c.held
	c.held = nil
	defer func() {
		*buf = (*buf)[:0]
		heldBuffers.Put(buf)
	}()
	if len(*buf) == 0 {
		return nil
	}
	if _, err := c.Conn.Write(*buf); err != nil {
		// net/http believes these bytes were sent; closing makes sure the
		// connection is not reused with a response cut short.
		c.err = err
		_ = c.Conn.Close()
		return err
	}
	return nil
}

// coalesceWrites sends the response of next in one write when the
// connection supports it (see CoalescingListener); otherwise, and for
// anything but HTTP/1 GET and HEAD, it just calls next.
func coalesceWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := r.Context().Value(heldConnKey{}).(*holdingConn)
		if !ok || r.ProtoMajor != 1 || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			next.ServeHTTP(w, r)
			return
		}
		c.hold()
		// Deferred so that a panicking handler's output is not stuck.
		defer func() { _ = c.release() }()
		next.ServeHTTP(w, r)
		// Push net/http's buffered header and body into the hold.
		_ = http.NewResponseController(w).Flush()
	})
}
