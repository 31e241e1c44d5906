package diagnose_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/fixture"
)

// TestPageUserAgent: Chromium drops a User-Agent set by the page (neither
// sent nor in Access-Control-Request-Headers); Firefox sends it and so
// preflights the request.
func TestPageUserAgent(t *testing.T) {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	fx.Handle(
		fixture.Route{Method: "OPTIONS", Path: "/ua", Response: fixture.Response{Status: 204, Headers: []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Headers: x-custom"}}},
		fixture.Route{Method: "GET", Path: "/ua", Response: fixture.Response{Headers: []string{"Access-Control-Allow-Origin: *"}}},
	)
	prober := diagnose.NewProber(diagnose.ProberConfig{NoFollowups: true, Limits: diagnose.Limits{Timeout: 3 * time.Second}})
	tests := []struct {
		name       string
		headers    []diagnose.Header
		crACRH     string // "" when Chromium sends no preflight
		ffBlocked  bool
		ffACRH     string
		crNoteSent bool
	}{
		{"user-agent only", []diagnose.Header{{Name: "User-Agent", Value: "page/1"}}, "", true, "user-agent", true},
		{"with a custom header", []diagnose.Header{{Name: "X-Custom", Value: "1"}, {Name: "user-agent", Value: "page/1"}}, "x-custom", true, "user-agent,x-custom", true},
		{"no user-agent", []diagnose.Header{{Name: "X-Custom", Value: "1"}}, "x-custom", false, "x-custom", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := prober.Probe(context.Background(), diagnose.Request{URL: fx.URL("target") + "/ua", Origin: fx.URL("page"), Headers: tc.headers})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verdict.Chromium != diagnose.Allowed {
				t.Errorf("Chromium verdict %s, want allowed", rep.Verdict.Chromium)
			}
			if got := rep.Verdict.Firefox == diagnose.Blocked; got != tc.ffBlocked {
				t.Errorf("Firefox blocked = %v, want %v", got, tc.ffBlocked)
			}
			var crPreflight, ffPreflight string
			crSent := false
			for _, ex := range rep.Exchanges {
				acrh := ""
				ua := []string{}
				for _, h := range ex.Request.Headers {
					switch strings.ToLower(h.Name) {
					case "access-control-request-headers":
						acrh = h.Value
					case "user-agent":
						ua = append(ua, h.Value)
					}
				}
				if len(ua) != 1 {
					t.Errorf("%s %s carries User-Agent %q, want exactly one", ex.Step, ex.Request.Method, ua)
				}
				for _, b := range ex.Browsers {
					if ex.Request.Method == "OPTIONS" {
						if b == diagnose.Chromium {
							crPreflight = acrh
						} else {
							ffPreflight = acrh
						}
					}
					if b == diagnose.Chromium && ex.Request.Method == "GET" {
						crSent = true
						if ua[0] == "page/1" {
							t.Errorf("Chromium's GET carries the page's User-Agent")
						}
					}
				}
			}
			if crPreflight != tc.crACRH || ffPreflight != tc.ffACRH || !crSent {
				t.Errorf("ACRH Chromium %q, Firefox %q, Chromium GET sent %v; want %q, %q, true", crPreflight, ffPreflight, crSent, tc.crACRH, tc.ffACRH)
			}
			noted := slices.ContainsFunc(rep.Findings, func(f diagnose.Finding) bool {
				return f.Reason == "header-dropped" && strings.EqualFold(f.Header, "User-Agent") && strings.Contains(f.Title, "Chromium")
			})
			if noted != tc.crNoteSent {
				t.Errorf("Chromium User-Agent note present = %v, want %v", noted, tc.crNoteSent)
			}
		})
	}
}
