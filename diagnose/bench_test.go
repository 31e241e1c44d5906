package diagnose

import (
	"context"
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

	b.ReportAllocs()
	for b.Loop() {
		r, err := Evaluate(req, exchanges)
		if err != nil {
			b.Fatal(err)
		}
		if r.Blocked() {
			b.Fatal("Evaluate blocks what Probe allowed")
		}
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
