package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ remoteAddr, want string }{
		{"192.0.2.1:5555", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1"}, // an IPv4 client on a dual-stack socket
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:1", "2001:db8:1:2::/64"}, // same /64, same client
		{"[2001:db8:1:3::1]:1", "2001:db8:1:3::/64"},
		{"[fe80::1%eth0]:80", "fe80::/64"},
		{"[::1]:8080", "::/64"},
		{"not an address", "not an address"},
	} {
		if got := clientKey(tc.remoteAddr); got != tc.want {
			t.Errorf("clientKey(%q) = %q, want %q", tc.remoteAddr, got, tc.want)
		}
	}
}

// TestRunningLimitPerClient: a client with MaxProbesPerClient diagnoses in
// flight gets 429 "too_many_running" on both probing routes, without
// probing and without being charged a rate-limit token; once its
// diagnoses finish it may start more.
func TestRunningLimitPerClient(t *testing.T) {
	p := newBlockingProber(t)
	// Three tokens: two for the held diagnoses, one for after the release.
	srv, _ := newTestServer(t, Config{MaxProbesPerClient: 2, RatePerMinute: 3}, p, newMemStore())

	held := make(chan answer, 2)
	go func() { held <- postDiagnosis(t, srv.URL, true) }()
	go func() { held <- postDiagnosis(t, srv.URL, false) }()
	p.waitStarted(t, 2)

	t.Run("api", func(t *testing.T) {
		a := postDiagnosis(t, srv.URL, true)
		if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "5" {
			t.Fatalf("status = %d, Retry-After %q, want 429 and 5: %s", a.status, a.header.Get("Retry-After"), a.body)
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(a.body), &e); err != nil || e.Error.Code != "too_many_running" || !strings.Contains(e.Error.Message, "Nothing was sent") {
			t.Errorf("error = %+v (%v)", e.Error, err)
		}
	})
	t.Run("form", func(t *testing.T) {
		a := postDiagnosis(t, srv.URL, false)
		if a.status != http.StatusTooManyRequests {
			t.Fatalf("status = %d, want 429: %s", a.status, a.body)
		}
		page, err := goquery.NewDocumentFromReader(strings.NewReader(a.body))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(page.Find(`[data-testid="error-title"]`).Text()); got != "Your other diagnoses are still running" {
			t.Errorf("title = %q", got)
		}
	})
	if n := p.calls.Load(); n != 2 {
		t.Errorf("%d probes, want 2: refused requests must not probe", n)
	}

	close(p.release)
	for range 2 {
		if a := <-held; a.status != http.StatusSeeOther && a.status != http.StatusCreated {
			t.Errorf("held request: %d %s", a.status, a.body)
		}
	}
	// The refusals cost no tokens: the third is still there.
	if a := postDiagnosis(t, srv.URL, true); a.status != http.StatusCreated {
		t.Errorf("after release: %d %s", a.status, a.body)
	}
	if a := postDiagnosis(t, srv.URL, true); a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "rate_limited") {
		t.Errorf("fourth diagnosis: %d %s, want 429 rate_limited", a.status, a.body)
	}
}
