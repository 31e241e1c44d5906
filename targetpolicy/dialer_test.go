package targetpolicy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The only real connections in these tests go to a listener on 127.0.0.1.
// Tests whose stub resolver returns a non-loopback address dial through
// loopbackOnly, which refuses (and fails the test) before any socket is
// created for a non-loopback address, so a broken guard still cannot send
// traffic off the machine.

// stubResolver answers every lookup with addrs, recording the calls.
type stubResolver struct {
	mu    sync.Mutex
	addrs []netip.Addr
	calls []string
}

func (r *stubResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, network+" "+host)
	return r.addrs, nil
}

func resolverOf(addrs ...string) *stubResolver {
	r := &stubResolver{}
	for _, a := range addrs {
		r.addrs = append(r.addrs, netip.MustParseAddr(a))
	}
	return r
}

// recorder is a dialFunc that records each address it is asked to dial.
// It really dials only loopback addresses; anything else fails the test
// and returns an error without touching the network.
type recorder struct {
	t     *testing.T
	mu    sync.Mutex
	dials []string
	fail  map[string]bool // addresses to fail as if the connection were refused
}

func (r *recorder) dial(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error) {
	r.mu.Lock()
	r.dials = append(r.dials, address)
	r.mu.Unlock()
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		r.t.Errorf("dialer asked to dial %q: a non-loopback address got past the policy", address)
		return nil, errors.New("test: refusing to leave loopback")
	}
	if r.fail[address] {
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	return d.DialContext(ctx, network, address)
}

func (r *recorder) dialed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.dials...)
}

// testListener accepts connections on 127.0.0.1 and hands them over in
// arrival order.
type testListener struct {
	addr  netip.AddrPort
	conns chan net.Conn
}

func startListener(t *testing.T) *testListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &testListener{addr: netip.MustParseAddrPort(ln.Addr().String()), conns: make(chan net.Conn, 16)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(l.conns)
		for c := range l.conns {
			c.Close()
		}
	})
	return l
}

func (l *testListener) port() string { return strings.TrimPrefix(l.addr.String(), "127.0.0.1:") }

// assertNoConnections proves nothing reached the listener: it connects a
// sentinel, and the first connection the listener accepted must be it.
func (l *testListener) assertNoConnections(t *testing.T) {
	t.Helper()
	sentinel, err := net.Dial("tcp", l.addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer sentinel.Close()
	select {
	case c := <-l.conns:
		defer c.Close()
		if c.RemoteAddr().String() != sentinel.LocalAddr().String() {
			t.Errorf("listener accepted a connection from %v before the sentinel", c.RemoteAddr())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("sentinel connection never arrived")
	}
}

func (l *testListener) assertConnection(t *testing.T) {
	t.Helper()
	select {
	case c := <-l.conns:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("no connection reached the listener")
	}
}

func assertRefused(t *testing.T, err error, category string, addr string) *RefusedError {
	t.Helper()
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a *RefusedError", err)
	}
	if re.Category != category {
		t.Errorf("Category = %q, want %q", re.Category, category)
	}
	if addr == "" && re.Addr.IsValid() || addr != "" && re.Addr != netip.MustParseAddr(addr) {
		t.Errorf("Addr = %v, want %q", re.Addr, addr)
	}
	return re
}

func TestDialerRefusesResolvedAddresses(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		addrs    []string
		category string
		addr     string // the refused address: the first answer
	}{
		{"private", Config{}, []string{"10.0.0.5"}, CategoryPrivate, "10.0.0.5"},
		{"all private", Config{}, []string{"192.168.1.1", "172.16.0.1", "fd00::1"}, CategoryPrivate, "192.168.1.1"},
		{"metadata", Config{}, []string{"169.254.169.254"}, CategoryMetadata, "169.254.169.254"},
		{"metadata under allow private", Config{AllowPrivate: true}, []string{"169.254.169.254", "fd00:ec2::254"}, CategoryMetadata, "169.254.169.254"},
		{"mapped loopback", Config{}, []string{"::ffff:127.0.0.1"}, CategoryLoopback, "::ffff:127.0.0.1"},
		{"nat64 private", Config{}, []string{"64:ff9b::a00:5"}, CategoryPrivate, "64:ff9b::a00:5"},
		{"denied public", Config{Deny: []string{"93.184.215.0/24"}}, []string{"93.184.215.14"}, CategoryDenied, "93.184.215.14"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustNew(t, tc.cfg)
			res := resolverOf(tc.addrs...)
			rec := &recorder{t: t}
			_, err := p.dialer(nil, res, rec.dial)(context.Background(), "tcp", "target.example:443")
			assertRefused(t, err, tc.category, tc.addr)
			if got := rec.dialed(); len(got) != 0 {
				t.Errorf("dialled %v, want no dial at all", got)
			}
			if want := []string{"ip target.example"}; len(res.calls) != 1 || res.calls[0] != want[0] {
				t.Errorf("resolver calls = %v, want %v", res.calls, want)
			}
		})
	}
}

// TestDialerMixedAnswerNeverReachesListener is the DNS answer an attacker
// would craft: a private address first and loopback second, both refused.
func TestDialerMixedAnswerNeverReachesListener(t *testing.T) {
	l := startListener(t)
	p := mustNew(t, Config{})
	rec := &recorder{t: t}
	base := &net.Dialer{Timeout: 5 * time.Second}
	_, err := p.dialer(base, resolverOf("10.0.0.5", "127.0.0.1"), rec.dial)(context.Background(), "tcp", "rebind.example:"+l.port())
	re := assertRefused(t, err, CategoryPrivate, "10.0.0.5")
	if re.Host != "rebind.example" {
		t.Errorf("Host = %q, want rebind.example", re.Host)
	}
	if got := rec.dialed(); len(got) != 0 {
		t.Errorf("dialled %v, want no dial at all", got)
	}
	l.assertNoConnections(t)
}

func TestDialerRefusesLoopbackAnswer(t *testing.T) {
	// Only loopback is ever resolved here, so the exported Dialer is safe
	// to use as is.
	l := startListener(t)
	var controlCalls int
	base := &net.Dialer{Timeout: 5 * time.Second, Control: func(string, string, syscall.RawConn) error {
		controlCalls++
		return nil
	}}
	_, err := mustNew(t, Config{}).Dialer(base, resolverOf("127.0.0.1"))(context.Background(), "tcp", "rebind.example:"+l.port())
	assertRefused(t, err, CategoryLoopback, "127.0.0.1")
	if controlCalls != 0 {
		t.Errorf("base Control called %d times, want 0: a socket was created", controlCalls)
	}
	l.assertNoConnections(t)
}

func TestDialerAllowPrivateReachesListener(t *testing.T) {
	l := startListener(t)
	var controlAddrs []string
	base := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		controlAddrs = append(controlAddrs, address)
		return nil
	}}
	conn, err := mustNew(t, Config{AllowPrivate: true}).Dialer(base, resolverOf("127.0.0.1"))(context.Background(), "tcp", "app.example:"+l.port())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	conn.Close()
	l.assertConnection(t)
	if want := l.addr.String(); len(controlAddrs) != 1 || controlAddrs[0] != want {
		t.Errorf("base Control saw %v, want [%s]: the policy's hook must chain to it", controlAddrs, want)
	}
}

func TestDialerTriesNextAllowedAddress(t *testing.T) {
	l := startListener(t)
	p := mustNew(t, Config{AllowPrivate: true})
	first := "127.0.0.2:" + l.port()
	rec := &recorder{t: t, fail: map[string]bool{first: true}}
	res := resolverOf("169.254.169.254", "127.0.0.2", "127.0.0.1")
	conn, err := p.dialer(nil, res, rec.dial)(context.Background(), "tcp", "app.example:"+l.port())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	conn.Close()
	l.assertConnection(t)
	if got, want := strings.Join(rec.dialed(), " "), first+" "+l.addr.String(); got != want {
		t.Errorf("dialled %q, want %q (metadata skipped, then in order)", got, want)
	}
}

func TestDialerReturnsFirstDialError(t *testing.T) {
	p := mustNew(t, Config{AllowPrivate: true})
	rec := &recorder{t: t, fail: map[string]bool{"127.0.0.2:9": true, "127.0.0.3:9": true}}
	_, err := p.dialer(nil, resolverOf("127.0.0.2", "127.0.0.3"), rec.dial)(context.Background(), "tcp", "app.example:9")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("err = %v, want ECONNREFUSED", err)
	}
	var re *RefusedError
	if errors.As(err, &re) {
		t.Errorf("err = %v, want a connection error, not a refusal", err)
	}
	if got := len(rec.dialed()); got != 2 {
		t.Errorf("dialled %d addresses, want 2", got)
	}
}

func TestDialerLiteralHosts(t *testing.T) {
	l := startListener(t)
	tests := []struct {
		name     string
		cfg      Config
		host     string
		category string // "" means the dial must reach the listener
		addr     string
	}{
		{"dotted", Config{}, "127.0.0.1", CategoryLoopback, "127.0.0.1"},
		{"decimal", Config{}, "2130706433", CategoryLoopback, "127.0.0.1"},
		{"octal", Config{}, "0177.0.0.1", CategoryLoopback, "127.0.0.1"},
		{"hex", Config{}, "0x7f.0.0.1", CategoryLoopback, "127.0.0.1"},
		{"short", Config{}, "127.1", CategoryLoopback, "127.0.0.1"},
		{"mapped", Config{}, "[::ffff:127.0.0.1]", CategoryLoopback, "::ffff:127.0.0.1"},
		{"empty host", Config{}, "", CategoryUnspecified, "0.0.0.0"},
		{"localhost", Config{}, "localhost", CategoryLoopback, ""},
		{"localhost dot", Config{}, "LOCALHOST.", CategoryLoopback, ""},
		{"denied name", Config{Deny: []string{"*.evil.example"}}, "a.evil.example", CategoryDenied, ""},
		{"hex allowed privately", Config{AllowPrivate: true}, "0x7f.1", "", ""},
		{"mapped allowed privately", Config{AllowPrivate: true}, "[::ffff:127.0.0.1]", "", ""},
		{"localhost allowed by name", Config{Allow: []string{"localhost"}}, "localhost", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := resolverOf("127.0.0.1")
			rec := &recorder{t: t}
			conn, err := mustNew(t, tc.cfg).dialer(nil, res, rec.dial)(context.Background(), "tcp", tc.host+":"+l.port())
			if tc.category == "" {
				if err != nil {
					t.Fatalf("dial %q: %v", tc.host, err)
				}
				conn.Close()
				l.assertConnection(t)
				return
			}
			assertRefused(t, err, tc.category, tc.addr)
			if got := rec.dialed(); len(got) != 0 {
				t.Errorf("dialled %v, want no dial", got)
			}
			if len(res.calls) != 0 {
				t.Errorf("resolver called %v, want no lookup for a refused or literal host", res.calls)
			}
			l.assertNoConnections(t)
		})
	}
}

func TestDialerRejectsBadInput(t *testing.T) {
	tests := []struct{ network, address, want string }{
		{"udp", "example.com:53", "only tcp is allowed"},
		{"unix", "/var/run/docker.sock", "only tcp is allowed"},
		{"ip4:icmp", "example.com", "only tcp is allowed"},
		{"tcp", "example.com", "missing port"},
		{"tcp", "example.com:http", "port must be a number"},
		{"tcp", "example.com:+80", "port must be a number"},
		{"tcp", "example.com:65536", "port must be a number"},
	}
	for _, tc := range tests {
		t.Run(tc.network+" "+tc.address, func(t *testing.T) {
			res := resolverOf("93.184.215.14")
			rec := &recorder{t: t}
			_, err := mustNew(t, Config{}).dialer(nil, res, rec.dial)(context.Background(), tc.network, tc.address)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
			if len(rec.dialed()) != 0 || len(res.calls) != 0 {
				t.Errorf("dialled %v and resolved %v, want neither", rec.dialed(), res.calls)
			}
		})
	}
}

func TestDialerLookupNetwork(t *testing.T) {
	for network, want := range map[string]string{"tcp": "ip", "tcp4": "ip4", "tcp6": "ip6"} {
		res := resolverOf("10.0.0.1")
		_, err := mustNew(t, Config{}).dialer(nil, res, (&recorder{t: t}).dial)(context.Background(), network, "Target.Example.:80")
		assertRefused(t, err, CategoryPrivate, "10.0.0.1")
		if len(res.calls) != 1 || res.calls[0] != want+" target.example" {
			t.Errorf("%s: resolver calls = %v, want [%s target.example]", network, res.calls, want)
		}
	}
}

// TestDialerControlRefusesRebind simulates an address that changes between
// the decision and the connect: the policy approves a public address, but
// the connection is made to 127.0.0.1. The control hook must refuse it
// before connect, and the error must carry the *RefusedError.
func TestDialerControlRefusesRebind(t *testing.T) {
	l := startListener(t)
	var baseCalled bool
	base := &net.Dialer{Timeout: 5 * time.Second, Control: func(string, string, syscall.RawConn) error {
		baseCalled = true
		return nil
	}}
	rebind := func(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error) {
		if address != "93.184.215.14:"+l.port() {
			t.Errorf("asked to dial %q, want the approved public address", address)
		}
		return d.DialContext(ctx, network, l.addr.String()) // always loopback
	}
	_, err := mustNew(t, Config{}).dialer(base, resolverOf("93.184.215.14"), rebind)(context.Background(), "tcp", "example.com:"+l.port())
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("err = %#v, want a *net.OpError", err)
	}
	re := assertRefused(t, err, CategoryLoopback, "127.0.0.1")
	if re.Host != "example.com" {
		t.Errorf("Host = %q, want example.com", re.Host)
	}
	if baseCalled {
		t.Error("base Control ran although the policy refused the address")
	}
	l.assertNoConnections(t)
}

func TestControl(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		host     string
		network  string
		address  string
		category string
		addr     string
	}{
		{"loopback", Config{}, "example.com", "tcp4", "127.0.0.1:80", CategoryLoopback, "127.0.0.1"},
		{"mapped loopback", Config{}, "example.com", "tcp6", "[::ffff:127.0.0.1]:80", CategoryLoopback, "::ffff:127.0.0.1"},
		{"v6 loopback", Config{}, "example.com", "tcp6", "[::1]:80", CategoryLoopback, "::1"},
		{"zoned link-local", Config{}, "example.com", "tcp6", "[fe80::1%eth0]:80", CategoryLinkLocal, "fe80::1%eth0"},
		{"metadata", Config{AllowPrivate: true}, "example.com", "tcp4", "169.254.169.254:80", CategoryMetadata, "169.254.169.254"},
		{"public", Config{}, "example.com", "tcp4", "93.184.215.14:443", "", ""},
		{"public v6", Config{}, "example.com", "tcp6", "[2606:4700::1]:443", "", ""},
		{"allowed name", Config{Allow: []string{"staging.internal"}}, "staging.internal", "tcp4", "10.1.2.3:443", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := mustNew(t, tc.cfg).control(tc.host)(tc.network, tc.address, nil)
			if tc.category == "" {
				if err != nil {
					t.Fatalf("control(%q) = %v, want nil", tc.address, err)
				}
				return
			}
			assertRefused(t, err, tc.category, tc.addr)
		})
	}
	if err := mustNew(t, Config{}).control("example.com")("tcp4", "not an address", nil); err == nil {
		t.Error("control accepted an unparsable address")
	}
}

func TestControlContextChains(t *testing.T) {
	p := mustNew(t, Config{})
	var plain, withCtx int
	next := func(string, string, syscall.RawConn) error { plain++; return nil }
	nextCtx := func(context.Context, string, string, syscall.RawConn) error { withCtx++; return nil }
	ctx := context.Background()

	if err := p.controlContext("example.com", next, nextCtx)(ctx, "tcp4", "127.0.0.1:80", nil); err == nil {
		t.Error("refused address passed the hook")
	}
	if plain != 0 || withCtx != 0 {
		t.Errorf("base hooks ran %d/%d times after a refusal, want 0/0", plain, withCtx)
	}
	if err := p.controlContext("example.com", next, nextCtx)(ctx, "tcp4", "93.184.215.14:80", nil); err != nil {
		t.Fatal(err)
	}
	if plain != 0 || withCtx != 1 {
		t.Errorf("Control/ControlContext ran %d/%d times, want 0/1 (ControlContext wins, as in net.Dialer)", plain, withCtx)
	}
	if err := p.controlContext("example.com", next, nil)(ctx, "tcp4", "93.184.215.14:80", nil); err != nil {
		t.Fatal(err)
	}
	if plain != 1 {
		t.Errorf("Control ran %d times, want 1", plain)
	}
}

// TestDialerWithHTTPTransport shows the intended wiring: an http.Transport
// with no proxy, dialling through the policy. Only loopback is involved.
func TestDialerWithHTTPTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	for _, tc := range []struct {
		name     string
		cfg      Config
		url      string
		category string // "" means the request must succeed
		addr     string // the refused address; "" for a name refused before lookup
	}{
		{"refused name", Config{}, "http://app.example:" + port + "/", CategoryLoopback, "127.0.0.1"},
		{"refused legacy spelling", Config{}, "http://0x7f.1:" + port + "/", CategoryLoopback, "127.0.0.1"},
		{"refused localhost", Config{}, "http://localhost:" + port + "/", CategoryLoopback, ""},
		{"allowed privately", Config{AllowPrivate: true}, "http://app.example:" + port + "/", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := &http.Client{Transport: &http.Transport{
				Proxy:       nil,
				DialContext: mustNew(t, tc.cfg).Dialer(&net.Dialer{Timeout: 5 * time.Second}, resolverOf("127.0.0.1")),
			}}
			defer client.CloseIdleConnections()
			resp, err := client.Get(tc.url)
			if tc.category == "" {
				if err != nil {
					t.Fatalf("GET %s: %v", tc.url, err)
				}
				resp.Body.Close()
				if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
				}
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s succeeded, want refusal", tc.url)
			}
			assertRefused(t, err, tc.category, tc.addr)
		})
	}
}

// TestDialerDotsAreNoSuchHost: "." and ".." are names to a browser, which
// no resolver finds; trimmed of dots they must not become the empty host,
// which dials the local machine.
func TestDialerDotsAreNoSuchHost(t *testing.T) {
	for _, host := range []string{".", "..", "\uff0e"} {
		res := resolverOf("127.0.0.1")
		rec := &recorder{t: t}
		_, err := mustNew(t, Config{AllowPrivate: true}).dialer(nil, res, rec.dial)(context.Background(), "tcp", host+":80")
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			t.Errorf("dial %q: err = %v, want no such host", host, err)
		}
		if len(rec.dialed()) != 0 || len(res.calls) != 0 {
			t.Errorf("dial %q: dialled %v and resolved %v, want neither", host, rec.dialed(), res.calls)
		}
	}
}
