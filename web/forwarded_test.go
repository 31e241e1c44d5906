package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"corsdoctor/diagnose"
)

func TestForwardedClient(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"10.0.0.0/8", "::1", "192.0.2.10"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct client keeps its address", "203.0.113.9:5000", nil, "203.0.113.9:5000"},
		{"direct client cannot pick its key", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9:5000"},
		{"trusted proxy without the header", "10.0.0.1:5000", nil, "10.0.0.1:5000"},
		{"one proxy", "10.0.0.1:5000", []string{"203.0.113.7"}, "203.0.113.7:0"},
		{"a spoofed entry on the left is ignored", "10.0.0.1:5000", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7:0"},
		{"two proxies", "10.0.0.1:5000", []string{"198.51.100.1, 203.0.113.7, 10.0.0.2"}, "203.0.113.7:0"},
		{"header lines in order", "10.0.0.1:5000", []string{"198.51.100.1", "203.0.113.7,10.0.0.2"}, "203.0.113.7:0"},
		{"all trusted: the leftmost", "10.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3:0"},
		{"junk stops the walk", "10.0.0.1:5000", []string{"203.0.113.7, unknown"}, "10.0.0.1:5000"},
		{"junk after a vouched hop", "10.0.0.1:5000", []string{"junk, 10.0.0.2"}, "10.0.0.2:0"},
		{"entries with ports", "10.0.0.1:5000", []string{"[2001:db8::1]:4433"}, "[2001:db8::1]:0"},
		{"mapped IPv4 entry", "10.0.0.1:5000", []string{"::ffff:203.0.113.7"}, "203.0.113.7:0"},
		{"IPv6 loopback proxy", "[::1]:5000", []string{"203.0.113.7"}, "203.0.113.7:0"},
		{"dual-stack peer", "[::ffff:192.0.2.10]:5000", []string{"203.0.113.7"}, "203.0.113.7:0"},
		{"single trusted IP is /32", "192.0.2.11:5000", []string{"203.0.113.7"}, "192.0.2.11:5000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			h := forwardedClient(trusted, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tc.want {
				t.Errorf("RemoteAddr = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies([]string{" 10.1.2.3/8 ", "2001:db8::1", "", "::ffff:192.0.2.1", "::ffff:172.16.0.0/108"})
	if err != nil {
		t.Fatal(err)
	}
	want := "[10.0.0.0/8 2001:db8::1/128 192.0.2.1/32 172.16.0.0/12]"
	if s := fmt.Sprint(got); s != want {
		t.Errorf("got %s, want %s", s, want)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "fe80::1%eth0"} {
		if _, err := ParseTrustedProxies([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseTrustedProxies(%q) error = %v, want one naming it", bad, err)
		}
	}
}

// TestRateLimitBehindTrustedProxy: two visitors behind the same trusted
// proxy get a rate budget each; behind an untrusted one, they share it.
func TestRateLimitBehindTrustedProxy(t *testing.T) {
	p := proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) { return hostileReport(t), nil })
	post := func(base, client string) int {
		req, _ := http.NewRequest("POST", base+"/diagnose", strings.NewReader(url.Values{"url": {"http://api.test/x"}, "origin": {"https://app.test"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", client)
		resp, err := (&http.Client{CheckRedirect: noRedirect}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name    string
		trusted []string
		secondB int
	}{
		{"trusted", []string{"127.0.0.0/8", "::1"}, http.StatusSeeOther},
		{"untrusted", nil, http.StatusTooManyRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxies, err := ParseTrustedProxies(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			srv, logs := newTestServer(t, Config{RatePerMinute: 1, TrustedProxies: proxies}, p, newMemStore())
			if got := post(srv.URL, "198.51.100.1"); got != http.StatusSeeOther {
				t.Fatalf("A's first diagnosis: %d", got)
			}
			if got := post(srv.URL, "198.51.100.1"); got != http.StatusTooManyRequests {
				t.Fatalf("A's second diagnosis: %d, want 429", got)
			}
			if got := post(srv.URL, "198.51.100.2"); got != tc.secondB {
				t.Fatalf("B's first diagnosis: %d, want %d", got, tc.secondB)
			}
			// All three request lines, however late the server writes them.
			text := logs.waitFor(t, "msg=request method=POST", 3)
			if trusted := len(proxies) > 0; strings.Contains(text, "remote=198.51.100.2:0") != trusted {
				t.Errorf("log names the visitor: %v, want %v:\n%s", !trusted, trusted, text)
			}
		})
	}
}
