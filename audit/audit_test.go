package audit

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"corsdoctor/diagnose"
	"corsdoctor/targetpolicy"
)

const page = "https://app.example.com"

func TestPlan(t *testing.T) {
	tests := []struct {
		origin string
		want   []string // every origin, plan order (preflights marked "P ")
	}{
		{page, []string{
			page, "https://evil.net", "null", "P https://evil.net", "P null",
			"https://app.example.com.evil.net", "https://evil-example.com", "https://evil.example.com", "https://evil.app.example.com",
			"https://appxexample.com", "https://app.examplexcom", "http://app.example.com",
			"https://app.example.com_.evil.net", "https://app.example.com!.evil.net", "https://app.example.com$.evil.net",
			"https://app.example.com&.evil.net", "https://app.example.com+.evil.net", "https://app.example.com~.evil.net",
		}},
		{"http://localhost:3000", []string{
			"http://localhost:3000", "http://evil.net", "null", "P http://evil.net", "P null",
			"http://localhost.evil.net",
			"http://localhost_.evil.net", "http://localhost!.evil.net", "http://localhost$.evil.net",
			"http://localhost&.evil.net", "http://localhost+.evil.net", "http://localhost~.evil.net",
		}},
		{"https://127.0.0.1:8443", []string{
			"https://127.0.0.1:8443", "https://evil.net", "null", "P https://evil.net", "P null", "http://127.0.0.1:8443",
		}},
		{"https://example.co.uk", []string{
			"https://example.co.uk", "https://evil.net", "null", "P https://evil.net", "P null",
			"https://example.co.uk.evil.net", "https://evil-example.co.uk", "https://evil.example.co.uk",
			"https://examplexco.uk", "https://example.coxuk", "http://example.co.uk",
			"https://example.co.uk_.evil.net", "https://example.co.uk!.evil.net", "https://example.co.uk$.evil.net",
			"https://example.co.uk&.evil.net", "https://example.co.uk+.evil.net", "https://example.co.uk~.evil.net",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.origin, func(t *testing.T) {
			var got []string
			requests := 0
			for _, p := range plan(tc.origin) {
				s := p.origin
				requests++
				if p.preflight {
					s = "P " + s
					requests++ // the actual GET after a passing preflight
				}
				got = append(got, s)
				// Every crafted origin is one a browser could send: it
				// survives the engine's origin parser unchanged.
				if n, err := diagnose.ParseOrigin(p.origin); err != nil || n != p.origin {
					t.Errorf("ParseOrigin(%q) = %q, %v", p.origin, n, err)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("plan:\n got %q\nwant %q", got, tc.want)
			}
			if requests > MaxRequests {
				t.Errorf("%d requests > MaxRequests %d", requests, MaxRequests)
			}
		})
	}
	// The largest plan (three dots, a subdomain of the registrable
	// domain, https) stays within the budget without redirects.
	n := 0
	for _, p := range plan("https://a.b.c.example.com") {
		n++
		if p.preflight {
			n++
		}
	}
	if n > MaxRequests {
		t.Errorf("largest plan: %d requests > %d", n, MaxRequests)
	}
}

// policyServer answers like a hand-written CORS layer: allow decides an
// origin, creds adds ACAC, vary adds Vary: Origin, star answers "*".
type policyServer struct {
	allow func(origin string) bool
	creds bool
	vary  bool
	star  bool
	fixed string // always this ACAO, whatever the Origin (a static header)
}

func (ps policyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o := r.Header.Get("Origin")
	h := w.Header()
	if ps.vary {
		h.Add("Vary", "Origin")
	}
	switch {
	case ps.fixed != "":
		h.Set("Access-Control-Allow-Origin", ps.fixed)
	case ps.star:
		h.Set("Access-Control-Allow-Origin", "*")
	case o != "" && ps.allow(o):
		h.Set("Access-Control-Allow-Origin", o)
		if ps.creds {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET")
		}
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Write([]byte(`{"ok":true}`))
}

func exact(list ...string) func(string) bool {
	return func(o string) bool { return slices.Contains(list, o) }
}

func re(expr string) func(string) bool {
	rx := regexp.MustCompile(expr)
	return func(o string) bool { return rx.MatchString(o) }
}

// TestClassify runs the audit against hand-written policies on loopback;
// realstack's TestAuditCatalogue does the same against real middleware.
func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		srv  policyServer
		want []string // "reason severity origin_sent"
		note string   // a substring of some note, when set
		fail bool
	}{
		{"exact list with credentials", policyServer{allow: exact(page), creds: true, vary: true}, nil, "", false},
		{"plain star", policyServer{star: true}, nil, "right choice for a public API", false},
		{"star with credentials header", policyServer{fixed: "*"}, nil, "not a finding", false},
		{"static single origin without Vary", policyServer{fixed: page}, nil, "", false},
		{"reflect with credentials", policyServer{allow: func(string) bool { return true }, creds: true, vary: true},
			[]string{"origin-reflected critical https://evil.net"}, "", true},
		{"reflect without credentials", policyServer{allow: func(string) bool { return true }, vary: true},
			[]string{"origin-reflected low https://evil.net"}, "", false},
		{"null in the list", policyServer{allow: exact(page, "null"), creds: true, vary: true},
			[]string{"null-origin critical null"}, "", true},
		{"suffix regex", policyServer{allow: re(`example\.com$`), creds: true, vary: true},
			[]string{"suffix-match critical https://evil-example.com", "insecure-origin medium http://app.example.com"}, "", true},
		{"unanchored regex", policyServer{allow: re(`https://app.example.com`), creds: true, vary: true},
			[]string{"prefix-match critical https://app.example.com.evil.net", "unescaped-dot high https://appxexample.com"}, "", true},
		{"anchored regex with unescaped dots", policyServer{allow: re(`^https://app.example.com$`), creds: true, vary: true},
			[]string{"unescaped-dot high https://appxexample.com"}, "", true},
		{"any subdomain", policyServer{allow: re(`^https://([a-z0-9-]+\.)*example\.com$`), creds: true, vary: true},
			[]string{"any-subdomain medium https://evil.example.com"}, "", true},
		{"any subdomain without credentials", policyServer{allow: re(`^https://([a-z0-9-]+\.)*example\.com$`), vary: true},
			[]string{"any-subdomain info https://evil.example.com"}, "", false},
		{"http allowed", policyServer{allow: exact(page, "http://app.example.com"), creds: true, vary: true},
			[]string{"insecure-origin medium http://app.example.com"}, "", true},
		{"port-tolerant regex", policyServer{allow: re(`^https://app\.example\.com([^.\-a-z0-9].*)?$`), creds: true, vary: true},
			[]string{"special-characters medium https://app.example.com_.evil.net"}, "", true},
		{"exact list without Vary", policyServer{allow: exact(page), creds: true},
			[]string{"vary-missing low https://app.example.com"}, "", false},
		{"page origin refused", policyServer{allow: exact("https://other.example.org"), vary: true}, nil, "did not allow the page's own origin", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.srv)
			defer srv.Close()
			rep, err := New(Config{}).Audit(context.Background(), Request{URL: srv.URL + "/api/items", Origin: page})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, string(f.Reason)+" "+string(f.Severity)+" "+f.OriginSent)
				if f.Title == "" || f.Risk == "" || f.Fix == "" || f.Evidence.Summary == "" || !strings.Contains(f.Evidence.Summary, f.OriginSent) {
					t.Errorf("finding %s lacks words or evidence: %+v", f.Reason, f)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings:\n got %q\nwant %q", got, tc.want)
			}
			if rep.Failed() != tc.fail {
				t.Errorf("Failed() = %v, want %v", rep.Failed(), tc.fail)
			}
			if tc.note != "" && !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, tc.note) }) {
				t.Errorf("no note containing %q in %q", tc.note, rep.Notes)
			}
			if rep.Requests < len(plan(page)) || rep.Requests > MaxRequests {
				t.Errorf("requests = %d, want %d..%d", rep.Requests, len(plan(page)), MaxRequests)
			}
			if rep.Fix == nil || rep.Fix.Snippet.Code == "" {
				t.Errorf("no fix snippet")
			}
		})
	}
}

// TestBudget: a server that redirects every request to itself costs at
// most MaxRequests requests, and every one of them reaches the server.
func TestBudget(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		http.Redirect(w, r, "/next"+r.URL.Path, http.StatusFound)
	}))
	defer srv.Close()
	rep, err := New(Config{}).Audit(context.Background(), Request{URL: srv.URL + "/a", Origin: page})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != MaxRequests || hits.Load() != MaxRequests {
		t.Errorf("requests = %d, server saw %d; want %d each", rep.Requests, hits.Load(), MaxRequests)
	}
}

// TestTargetPolicy: a target the policy refuses is an input error and
// nothing is sent.
func TestTargetPolicy(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	pol, err := targetpolicy.New(targetpolicy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a := New(Config{Dial: pol.Dialer(&net.Dialer{}, net.DefaultResolver)})
	_, err = a.Audit(context.Background(), Request{URL: srv.URL, Origin: page})
	if ies := diagnose.InputErrors(err); len(ies) != 1 || ies[0].Field != "url" {
		t.Fatalf("err = %v, want one url input error", err)
	}
	if hits.Load() != 0 {
		t.Errorf("server saw %d requests", hits.Load())
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct{ url, origin, field string }{
		{"http://127.0.0.1:1/", "null", "origin"},
		{"http://127.0.0.1:1/", "", "origin"},
		{"http://127.0.0.1:1/", "https://app.example.com/", "origin"},
		{"ftp://x/", page, "url"},
		{"", page, "url"},
	}
	for _, tc := range tests {
		_, err := New(Config{}).Audit(context.Background(), Request{URL: tc.url, Origin: tc.origin})
		ies := diagnose.InputErrors(err)
		if len(ies) == 0 || ies[0].Field != tc.field {
			t.Errorf("Audit(%q, %q) = %v, want an input error on %s", tc.url, tc.origin, err, tc.field)
		}
	}
}

// TestPreflightNeedsOKStatus: a preflight answered 400 fails in browsers
// whatever its ACAO, so an echoed origin on it is no finding; answered
// 204, it is.
func TestPreflightNeedsOKStatus(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   []string
	}{
		{http.StatusBadRequest, nil},
		{http.StatusNoContent, []string{"origin-reflected critical"}},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o := r.Header.Get("Origin")
			w.Header().Set("Vary", "Origin")
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Origin", o)
				w.Header().Set("Access-Control-Allow-Credentials", "true")
				w.WriteHeader(tc.status)
				return
			}
			if o == page {
				w.Header().Set("Access-Control-Allow-Origin", o)
			}
		}))
		rep, err := New(Config{}).Audit(context.Background(), Request{URL: srv.URL, Origin: page})
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range rep.Findings {
			got = append(got, string(f.Reason)+" "+string(f.Severity))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("preflight %d: findings %q, want %q", tc.status, got, tc.want)
		}
	}
}
