package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/audit"
	"corsdoctor/handlers"
)

// reflectingTarget trusts every origin, with credentials: the audit's
// critical finding.
func reflectingTarget(t *testing.T, hits *atomic.Int64) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Vary", "Origin")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/me"
}

func postAudit(t *testing.T, base string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/audit", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestAuditRoute runs a real audit through the dashboard: off by default,
// findings once the box is ticked, and the diagnoses' per-client rate
// limit applies to it.
func TestAuditRoute(t *testing.T) {
	var hits atomic.Int64
	target := reflectingTarget(t, &hits)
	srv, _ := newTestServer(t, Config{RatePerMinute: 2, Auditor: audit.New(audit.Config{})}, proberFunc(nil), newMemStore())

	form := url.Values{"url": {target}, "origin": {"https://app.example.com"}}
	resp := postAudit(t, srv.URL, form)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || hits.Load() != 0 {
		t.Fatalf("without the box: status %d, %d requests sent", resp.StatusCode, hits.Load())
	}

	form.Set("confirm", "on")
	resp = postAudit(t, srv.URL, form)
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	f := doc.Find(`[data-testid="audit-finding"]`)
	if r, _ := f.First().Attr("data-reason"); f.Length() != 1 || r != "origin-reflected" {
		t.Errorf("findings: %d, first %q", f.Length(), r)
	}
	if n := hits.Load(); n == 0 || n > audit.MaxRequests {
		t.Errorf("target saw %d requests, want 1..%d", n, audit.MaxRequests)
	}

	// The rate limit (2 a minute) was charged by both posts.
	resp = postAudit(t, srv.URL, form)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third audit: status %d, want 429", resp.StatusCode)
	}
}

// TestAuditTakesAProbeSlot: an audit waits for one of the shared probe
// slots like a diagnosis, and is refused as busy when none frees up.
func TestAuditTakesAProbeSlot(t *testing.T) {
	slots := newProbeLimiter(proberFunc(nil), 1, 20*time.Millisecond)
	var ran atomic.Int64
	a := newAuditLimiter(auditorFunc(func(context.Context, audit.Request) (*audit.Report, error) {
		ran.Add(1)
		return &audit.Report{}, nil
	}), slots)
	if err := slots.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := a.Audit(context.Background(), audit.Request{})
	if err == nil || ran.Load() != 0 || !strings.HasPrefix(err.Error(), "busy:") {
		t.Errorf("with every slot taken: err %v, ran %d", err, ran.Load())
	}
	slots.release()
	if _, err := a.Audit(context.Background(), audit.Request{}); err != nil || ran.Load() != 1 {
		t.Errorf("with a free slot: err %v, ran %d", err, ran.Load())
	}
	if newAuditLimiter(nil, slots) != nil {
		t.Errorf("no auditor must stay nil so the page says so")
	}
}

type auditorFunc func(context.Context, audit.Request) (*audit.Report, error)

func (f auditorFunc) Audit(ctx context.Context, r audit.Request) (*audit.Report, error) {
	return f(ctx, r)
}

var _ handlers.Auditor = auditorFunc(nil)
