package diagnose_test

import (
	"context"
	"crypto/tls"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/fixture"
)

// TestHostileTargets points the prober at broken and hostile servers: each
// must end in a precise finding within the limits, never a crash, a hang or
// unbounded memory, and the prober must keep working afterwards.
func TestHostileTargets(t *testing.T) {
	fx, err := fixture.Start(fixture.Options{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	// Two probers. quick's short limits are what the timeout cases test;
	// every other case ends on an event of the server's (an answer, a
	// close, a certificate), so its prober gets limits no loaded machine
	// reaches: a TLS handshake or a 10 MB reply that is merely slow must
	// not turn into a timeout finding.
	limits := diagnose.Limits{Timeout: time.Minute, ConnectTimeout: time.Minute, HeaderTimeout: time.Minute, MaxHeaderBytes: 256 << 10, MaxBodyBytes: 8 << 10}
	quickLimits := limits
	quickLimits.Timeout, quickLimits.ConnectTimeout, quickLimits.HeaderTimeout = 1500*time.Millisecond, time.Second, 1500*time.Millisecond
	tlsConfig := &tls.Config{RootCAs: fx.RootCAs()}
	prober := diagnose.NewProber(diagnose.ProberConfig{Limits: limits, TLSConfig: tlsConfig})
	quick := diagnose.NewProber(diagnose.ProberConfig{Limits: quickLimits, TLSConfig: tlsConfig})
	target := fx.URL("target")
	loop := fixture.Response{Status: 302, Headers: []string{"Location: /loop", "Access-Control-Allow-Origin: *"}}
	fx.Handle(
		fixture.Route{Path: "/healthy", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *"}}},
		fixture.Route{Path: "/garbage", Response: fixture.Response{Raw: "\x00\x01\x02 not http at all\r\n\r\n"}},
		fixture.Route{Path: "/mid-headers", Response: fixture.Response{Raw: "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nX-Cut: "}},
		fixture.Route{Path: "/drop", Response: fixture.Response{Drop: true}},
		fixture.Route{Path: "/reset", Response: fixture.Response{Reset: true}},
		fixture.Route{Path: "/loop", Response: loop},
		fixture.Route{Path: "/huge-header", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *"}, Fill: []fixture.Fill{{Line: "X-Big: ", Pad: 10 << 20}}}},
		fixture.Route{Path: "/many-lines", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *"}, Fill: []fixture.Fill{{Line: "X-Many: v", Count: 5000}}}},
		fixture.Route{Method: "OPTIONS", Path: "/many-tokens", Response: fixture.Response{Status: 204, Headers: []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: " + strings.Repeat("GET, ", 40000) + "PUT"}}},
		fixture.Route{Method: "PUT", Path: "/many-tokens", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *"}}},
		fixture.Route{Path: "/binary-values", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: \xff\xfe<script>alert(1)</script>", "X-Ctl: a\x01b\x7fc"}}},
		fixture.Route{Path: "/drip", Response: fixture.Response{Drip: fixture.Duration(50 * time.Millisecond), Headers: []string{"Access-Control-Allow-Origin: *"}, Body: strings.Repeat("x", 1000)}},
		fixture.Route{Path: "/hang", Response: fixture.Response{Hang: true}},
		fixture.Route{Path: "/gzip-bomb", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *", "Content-Encoding: gzip"}, Fill: nil, Body: strings.Repeat("\x1f\x8b", 50000)}},
	)
	tlsPath := func(l string) string { return fx.URL(l) + "/healthy" }

	cases := []struct {
		name     string
		url      string
		method   string
		timeout  bool   // the case is about a limit: probe with quick
		ffReason string // Firefox's reported reason
		netKind  string // the exchange's error kind, when a network failure
		detail   string // substring of the finding detail or error message
	}{
		{"refused", closedURL(t), "GET", false, "CORSDidNotSucceed", "refused", "refused"},
		{"TLS expired", tlsPath("tls-expired"), "GET", false, "CORSDidNotSucceed", "tls", "expired"},
		{"TLS self-signed", tlsPath("tls-selfsigned"), "GET", false, "CORSDidNotSucceed", "tls", "self-signed"},
		{"TLS wrong host", tlsPath("tls-wronghost"), "GET", false, "CORSDidNotSucceed", "tls", "different host"},
		{"TLS to plain http port", strings.Replace(target, "http://", "https://", 1) + "/healthy", "GET", false, "CORSDidNotSucceed", "tls", "plain http"},
		{"TLS server silent in the handshake", "https://" + silentAddr(t) + "/", "GET", true, "CORSDidNotSucceed", "timeout", "TLS handshake"},
		{"garbage reply (HTTP/0.9 to Firefox)", target + "/garbage", "GET", false, "CORSMissingAllowOrigin", "http09", "did not answer with HTTP"},
		{"closed without reply", target + "/drop", "GET", false, "CORSDidNotSucceed", "closed", "without sending a response"},
		{"reset", target + "/reset", "GET", false, "CORSDidNotSucceed", "", ""},
		{"redirect loop", target + "/loop", "GET", false, "CORSDidNotSucceed", "", ""},
		{"10 MB header", target + "/huge-header", "GET", false, "CORSDidNotSucceed", "too-large", "256 KiB"},
		{"slow drip ends at the deadline", target + "/drip", "GET", true, "CORSDidNotSucceed", "timeout", "in time"},
		{"never answers", target + "/hang", "GET", true, "CORSDidNotSucceed", "timeout", "in time"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := prober
			if tc.timeout {
				p = quick
			}
			start := time.Now()
			rep, err := p.Probe(context.Background(), diagnose.Request{URL: tc.url, Origin: fx.URL("page"), Method: tc.method})
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			// The drip would take 50 s and the hang forever: ending within
			// 20 s proves the 1.5 s limit held, with room for any load.
			if d := time.Since(start); tc.timeout && d > 20*time.Second {
				t.Errorf("took %v, far beyond the %v limit", d, quickLimits.Timeout)
			}
			if rep.Verdict.Firefox != diagnose.Blocked || rep.Verdict.Chromium != diagnose.Blocked {
				t.Errorf("verdict = %+v, want both blocked", rep.Verdict)
			}
			got := ""
			for _, f := range rep.Findings {
				for _, b := range f.ReportedBy {
					if b == diagnose.Firefox {
						got = f.Reason
					}
				}
			}
			if got != tc.ffReason {
				t.Errorf("Firefox reason = %q, want %q", got, tc.ffReason)
			}
			last := rep.Exchanges[len(rep.Exchanges)-1]
			if tc.netKind != "" {
				if last.Error == nil || last.Error.Kind != tc.netKind || !strings.Contains(last.Error.Message, tc.detail) {
					t.Errorf("last exchange error = %+v, want kind %q mentioning %q", last.Error, tc.netKind, tc.detail)
				}
			}
		})
	}

	t.Run("the header timeout ends a silent server before the total timeout", func(t *testing.T) {
		// The error text names the timeout that fired; the clock check
		// only backs it up, with a total timeout no load can reach.
		p := diagnose.NewProber(diagnose.ProberConfig{Limits: diagnose.Limits{Timeout: time.Minute, HeaderTimeout: 300 * time.Millisecond}})
		start := time.Now()
		rep, err := p.Probe(context.Background(), diagnose.Request{URL: target + "/hang", Origin: fx.URL("page")})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("took %v: the 1 min total timeout fired, not the 300 ms header timeout", d)
		}
		if e := rep.Exchanges[0].Error; e == nil || e.Kind != "timeout" || !strings.Contains(e.Message, "header timeout") {
			t.Errorf("error = %+v, want a header timeout", e)
		}
	})
	t.Run("thousands of header lines and tokens stay linear", func(t *testing.T) {
		rep, err := prober.Probe(context.Background(), diagnose.Request{URL: target + "/many-lines", Origin: fx.URL("page")})
		if err != nil || rep.Verdict.Firefox != diagnose.Allowed {
			t.Fatalf("many lines: %v %+v", err, rep.Verdict)
		}
		if n := len(rep.Exchanges[0].Response.Headers); n != 5003 {
			t.Errorf("recorded %d header lines, want all 5003", n)
		}
		rep, err = prober.Probe(context.Background(), diagnose.Request{URL: target + "/many-tokens", Origin: fx.URL("page"), Method: "PUT"})
		if err != nil || rep.Verdict.Chromium != diagnose.Allowed {
			t.Fatalf("many tokens: %v %+v", err, rep.Verdict)
		}
	})
	t.Run("binary and control bytes are kept as data", func(t *testing.T) {
		rep, err := prober.Probe(context.Background(), diagnose.Request{URL: target + "/binary-values", Origin: fx.URL("page")})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict.Firefox != diagnose.Blocked {
			t.Errorf("a junk ACAO must not match")
		}
		if !strings.Contains(rep.Findings[0].Console.Chromium, "<script>") {
			t.Errorf("the value is reported verbatim for the UI to escape: %q", rep.Findings[0].Console.Chromium)
		}
	})
	t.Run("compressed bodies are never inflated", func(t *testing.T) {
		rep, err := prober.Probe(context.Background(), diagnose.Request{URL: target + "/gzip-bomb", Origin: fx.URL("page")})
		if err != nil {
			t.Fatal(err)
		}
		resp := rep.Exchanges[0].Response
		if len(resp.Body) > limits.MaxBodyBytes || !resp.BodyTruncated {
			t.Errorf("body kept %d bytes (truncated %v), want at most %d raw bytes", len(resp.Body), resp.BodyTruncated, limits.MaxBodyBytes)
		}
	})
	t.Run("a head cut off mid-line is used as received, as browsers do", func(t *testing.T) {
		rep, err := prober.Probe(context.Background(), diagnose.Request{URL: target + "/mid-headers", Origin: fx.URL("page")})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Blocked() || !rep.Exchanges[0].Response.IncompleteHead {
			t.Errorf("verdict %+v, incomplete %v; want allowed from the partial head", rep.Verdict, rep.Exchanges[0].Response.IncompleteHead)
		}
		warned := false
		for _, f := range rep.Findings {
			warned = warned || (f.Reason == "incomplete-head" && f.Severity == diagnose.SeverityWarning)
		}
		if !warned {
			t.Error("no incomplete-head warning")
		}
	})
	t.Run("memory stays bounded and the prober keeps working", func(t *testing.T) {
		// A fixture of its own, closed before measuring, so only what the
		// prober keeps is counted, not the server's 10 MB replies.
		big, err := fixture.Start(fixture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		big.Handle(fixture.Route{Path: "/huge-header", Response: fixture.Response{Fill: []fixture.Fill{{Line: "X-Big: ", Pad: 10 << 20}}}})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var kept []*diagnose.Report
		for i := 0; i < 5; i++ {
			rep, err := prober.Probe(context.Background(), diagnose.Request{URL: big.URL("target") + "/huge-header", Origin: fx.URL("page")})
			if err != nil {
				t.Fatal(err)
			}
			kept = append(kept, rep)
		}
		big.Close()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(kept)
		if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
			t.Errorf("heap grew by %d bytes after five 10 MB headers", grown)
		}
		rep, err := prober.Probe(context.Background(), diagnose.Request{URL: target + "/healthy", Origin: fx.URL("page")})
		if err != nil || rep.Blocked() {
			t.Errorf("healthy target after the battery: %v %+v", err, rep.Verdict)
		}
	})
}

// silentAddr is a loopback address that accepts connections and never
// writes a byte, until the test ends: a TLS client waits for the server's
// hello until its handshake timeout.
func silentAddr(t *testing.T) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn // the accept loop's until done is closed
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// closedURL is an http URL on a loopback port where nothing listens.
func closedURL(t *testing.T) string {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := fx.URL("target") + "/"
	fx.Close()
	return u
}
