package diagnose

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"corsdoctor/fixture"
)

// BenchmarkEvaluate measures the judgement alone: a realistic preflighted,
// credentialed PUT with custom headers and one same-origin redirect is
// probed once against the fixture, and its recording is re-judged in the
// loop without touching the network.
func BenchmarkEvaluate(b *testing.B) {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer fx.Close()
	cors := []string{
		"Access-Control-Allow-Origin: {{origin}}", "Vary: Origin", "Access-Control-Allow-Credentials: true",
	}
	preflight := append([]string{
		"Access-Control-Allow-Methods: GET, POST, PUT, PATCH, DELETE",
		"Access-Control-Allow-Headers: Content-Type, Authorization, X-Request-Id, X-Trace",
		"Access-Control-Max-Age: 600",
	}, cors...)
	route := func(method, path string, status int, headers ...string) fixture.Route {
		return fixture.Route{Listener: "target", Method: method, Path: path, Response: fixture.Response{Status: status, Headers: headers, Body: `{"ok":true}`}}
	}
	fx.Handle(
		route("OPTIONS", "/v1/items/7", 204, preflight...),
		route("PUT", "/v1/items/7", 307, append([]string{"Location: /v2/items/7"}, cors...)...),
		route("OPTIONS", "/v2/items/7", 204, preflight...),
		route("PUT", "/v2/items/7", 200, append([]string{
			"Content-Type: application/json", "Cache-Control: no-store", "X-Total-Count: 1",
			"Access-Control-Expose-Headers: X-Total-Count", "Set-Cookie: s=1; Secure; SameSite=None",
		}, cors...)...),
	)
	req := Request{
		URL:         fx.URL("target") + "/v1/items/7",
		Origin:      fx.URL("page"),
		Method:      "PUT",
		Body:        `{"name":"seven"}`,
		Credentials: CredentialsInclude,
		Headers: []Header{
			{"Content-Type", "application/json"}, {"Authorization", "Bearer t0k3n"},
			{"X-Request-Id", "42"}, {"X-Trace", "abc"}, {"Accept", "application/json"},
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := NewProber(ProberConfig{NoFollowups: true}).Probe(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	if len(rep.Exchanges) != 4 || rep.Blocked() {
		b.Fatalf("setup: %d exchanges, blocked %v; want 4 exchanges, allowed", len(rep.Exchanges), rep.Blocked())
	}
	exchanges := rep.Exchanges

	// The same request against a server whose CORS middleware refuses PUT
	// silently (rs/cors's shape), with the follow-ups it earns: the
	// blocked path, where root-cause detection and fix generation do real
	// work. "judge" is the judgement alone; "judge+root-cause" is Evaluate
	// as callers get it; the difference is what Explain adds.
	blockedFx, err := fixture.Start(fixture.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer blockedFx.Close()
	blockedFx.Handle(fixture.Route{Listener: "target", Method: "OPTIONS", Path: "/v1/items/7", Response: fixture.Response{Status: 204,
		Headers: []string{"Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}}})
	blockedReq := req
	blockedReq.URL = blockedFx.URL("target") + "/v1/items/7"
	blockedReq.Origin = blockedFx.URL("page")
	blockedRep, err := NewProber(ProberConfig{}).Probe(ctx, blockedReq)
	if err != nil {
		b.Fatal(err)
	}
	if !blockedRep.Blocked() || blockedRep.RootCause == nil || len(blockedRep.Followups) == 0 {
		b.Fatalf("setup: blocked %v, root cause %v, %d follow-ups", blockedRep.Blocked(), blockedRep.RootCause != nil, len(blockedRep.Followups))
	}

	for _, bc := range []struct {
		name      string
		req       Request
		exchanges []Exchange
		followups []Exchange
		blocked   bool
	}{
		{"allowed", req, exchanges, nil, false},
		{"blocked", blockedReq, blockedRep.Exchanges, blockedRep.Followups, true},
	} {
		b.Run(bc.name+"/judge", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := evaluate(bc.req, bc.exchanges)
				if err != nil {
					b.Fatal(err)
				}
				if r.Blocked() != bc.blocked {
					b.Fatal("Evaluate disagrees with Probe")
				}
			}
		})
		b.Run(bc.name+"/judge+root-cause", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := evaluate(bc.req, bc.exchanges)
				if err != nil {
					b.Fatal(err)
				}
				r.Followups = bc.followups
				r.RootCause = Explain(r, "")
				if r.Blocked() != bc.blocked || (bc.blocked && r.RootCause == nil) {
					b.Fatal("Evaluate disagrees with Probe")
				}
			}
		})
	}
}

// BenchmarkFollowupLatency measures what the follow-up preflights cost a
// diagnosis in time, against a loopback target that takes 20 ms to answer
// each request: a PUT with two custom headers whose preflight an rs/cors
// style middleware refuses silently. The follow-ups go out with the
// browser's preflight, so "with-followups" should cost about one round
// trip, like "without"; ratio is with/without, reported by the second.
func BenchmarkFollowupLatency(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		w.Header().Set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	req := Request{URL: srv.URL + "/api", Origin: "http://127.0.0.1:3000", Method: "PUT",
		Headers: []Header{{"Content-Type", "application/json"}, {"X-Request-Id", "1"}}}
	var without float64
	for _, bc := range []struct {
		name      string
		followups bool
	}{{"without", false}, {"with-followups", true}} {
		b.Run(bc.name, func(b *testing.B) {
			p := NewProber(ProberConfig{NoFollowups: !bc.followups})
			start := time.Now()
			n := 0
			for b.Loop() {
				rep, err := p.Probe(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				if bc.followups && len(rep.Followups) == 0 {
					b.Fatal("no follow-ups")
				}
				n++
			}
			per := float64(time.Since(start).Nanoseconds()) / float64(n)
			if !bc.followups {
				without = per
			} else if without > 0 {
				b.ReportMetric(per/without, "ratio")
			}
		})
	}
}

// BenchmarkParseTokenList measures a large Access-Control-Allow-Headers
// value: 64 KiB of names, and the 1 MB, 100,000-name worst case that
// maxListTokens bounds.
func BenchmarkParseTokenList(b *testing.B) {
	for _, bc := range []struct {
		name  string
		value string
	}{
		{"64KiB", bigList(6000)[:64<<10]},
		{"1MB-100k-tokens", bigList(100_000)},
		{"1MB-invalid", strings.Repeat("a b,", 1<<18)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.value)))
			b.ReportAllocs()
			for b.Loop() {
				parseTokenList(bc.value)
			}
		})
	}
}
