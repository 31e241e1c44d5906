package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
	"corsdoctor/handlers"
)

// blockingProber holds every probe until release is closed, and says on
// started when each one begins, so a test can fill the slots.
type blockingProber struct {
	t       testing.TB
	started chan struct{}
	release chan struct{}
	calls   atomic.Int32
}

func newBlockingProber(t testing.TB) *blockingProber {
	return &blockingProber{t: t, started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (b *blockingProber) Probe(ctx context.Context, _ diagnose.Request) (*diagnose.Report, error) {
	b.calls.Add(1)
	b.started <- struct{}{}
	select {
	case <-b.release:
		return hostileReport(b.t), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (b *blockingProber) waitStarted(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-b.started:
		case <-time.After(30 * time.Second):
			t.Fatal("probe did not start")
		}
	}
}

type answer struct {
	status int
	header http.Header
	body   string
	took   time.Duration
}

func postDiagnosis(t *testing.T, base string, api bool) answer {
	t.Helper()
	var req *http.Request
	if api {
		req, _ = http.NewRequest("POST", base+"/api/v1/diagnoses", strings.NewReader(`{"url":"http://api.test/x","origin":"https://app.test"}`))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, _ = http.NewRequest("POST", base+"/diagnose", strings.NewReader(url.Values{"url": {"http://api.test/x"}, "origin": {"https://app.test"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	resp, err := (&http.Client{CheckRedirect: noRedirect, Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b), took: time.Since(start)}
}

// TestProbeLimit fills every probe slot, then checks that both probing
// routes wait the queue timeout and answer 503 with Retry-After (a
// friendly page for the form, a JSON error for the API) without probing,
// that a waiting request gets the next free slot, and that the slots are
// all given back.
func TestProbeLimit(t *testing.T) {
	const wait = 300 * time.Millisecond
	p := newBlockingProber(t)
	srv, _ := newTestServer(t, Config{MaxProbes: 2, ProbeQueueTimeout: wait}, p, newMemStore())

	held := make(chan answer, 2)
	go func() { held <- postDiagnosis(t, srv.URL, false) }()
	go func() { held <- postDiagnosis(t, srv.URL, true) }()
	p.waitStarted(t, 2)

	t.Run("form", func(t *testing.T) {
		a := postDiagnosis(t, srv.URL, false)
		if a.status != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, want 503: %s", a.status, a.body)
		}
		// Only the lower bound is exact; the upper one is far above any
		// load and still far below "never" (the held probes never end).
		if a.took < wait || a.took > wait+30*time.Second {
			t.Errorf("answered after %v, want about %v", a.took, wait)
		}
		if got := a.header.Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After = %q, want 1", got)
		}
		if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		page, err := goquery.NewDocumentFromReader(strings.NewReader(a.body))
		if err != nil {
			t.Fatal(err)
		}
		errPage := page.Find(`[data-testid="error-page"]`)
		if st, _ := errPage.Attr("data-status"); st != "503" {
			t.Errorf("data-status = %q", st)
		}
		if got := strings.TrimSpace(page.Find(`[data-testid="error-title"]`).Text()); got != "corsdoctor is busy" {
			t.Errorf("title = %q", got)
		}
		msg := page.Find(`[data-testid="error-message"]`).Text()
		if !strings.Contains(msg, "none finished within 1 second") || !strings.Contains(msg, "Nothing was sent to your target") {
			t.Errorf("message = %q", msg)
		}
		if !strings.Contains(errPage.Text(), "Wait a few seconds and submit again") {
			t.Errorf("no hint: %q", errPage.Text())
		}
		if href, _ := errPage.Find("a.btn").Attr("href"); href != "/" {
			t.Errorf("no way back to the form: %q", href)
		}
		if a.header.Get("Content-Security-Policy") == "" {
			t.Error("the 503 page lacks the security headers")
		}
	})
	t.Run("api", func(t *testing.T) {
		a := postDiagnosis(t, srv.URL, true)
		if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "1" {
			t.Fatalf("status = %d, Retry-After %q: %s", a.status, a.header.Get("Retry-After"), a.body)
		}
		var e struct {
			Error struct {
				Status  int
				Code    string
				Message string
				Hint    string
			}
		}
		if err := json.Unmarshal([]byte(a.body), &e); err != nil {
			t.Fatalf("not JSON: %v: %s", err, a.body)
		}
		if e.Error.Status != 503 || e.Error.Code != "busy" || !strings.Contains(e.Error.Message, "Nothing was sent") || e.Error.Hint == "" {
			t.Errorf("error = %+v", e.Error)
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
	// Every slot is free again.
	for i := range 3 {
		if a := postDiagnosis(t, srv.URL, true); a.status != http.StatusCreated {
			t.Errorf("request %d after release: %d", i, a.status)
		}
	}
}

// TestProbeLimitQueue: a request waiting in the queue gets the slot the
// first finisher frees. Its queue timeout is one no load reaches, so the
// outcome does not depend on when the request arrives: the pause before
// the release only makes it likely that the request is already queued.
func TestProbeLimitQueue(t *testing.T) {
	p := newBlockingProber(t)
	srv, _ := newTestServer(t, Config{MaxProbes: 2, ProbeQueueTimeout: time.Minute}, p, newMemStore())
	held := make(chan answer, 2)
	go func() { held <- postDiagnosis(t, srv.URL, false) }()
	go func() { held <- postDiagnosis(t, srv.URL, true) }()
	p.waitStarted(t, 2)

	queued := make(chan answer, 1)
	go func() { queued <- postDiagnosis(t, srv.URL, true) }()
	time.Sleep(100 * time.Millisecond)
	close(p.release) // every held probe finishes; the queued one starts and finishes
	for range 2 {
		if a := <-held; a.status != http.StatusSeeOther && a.status != http.StatusCreated {
			t.Errorf("held request: %d %s", a.status, a.body)
		}
	}
	if a := <-queued; a.status != http.StatusCreated {
		t.Errorf("queued request: %d %s", a.status, a.body)
	}
	if n := p.calls.Load(); n != 3 {
		t.Errorf("%d probes, want 3", n)
	}
}

// TestProbeLimitQueueWithinProbeTimeout: when the probe timeout is shorter
// than the queue timeout, a request still waiting for a slot is "busy"
// (503), not a slow target (504): nothing was sent.
func TestProbeLimitQueueWithinProbeTimeout(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	// This probe ignores its deadline, so the slot stays taken past the
	// probe timeout of the request that waits for it.
	p := proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) {
		close(started)
		<-release
		return hostileReport(t), nil
	})
	cfg := Config{MaxProbes: 1, ProbeQueueTimeout: time.Minute, Settings: handlers.Settings{ProbeTimeout: 200 * time.Millisecond}}
	srv, _ := newTestServer(t, cfg, p, newMemStore())
	held := make(chan answer, 1)
	go func() { held <- postDiagnosis(t, srv.URL, true) }()
	<-started
	a := postDiagnosis(t, srv.URL, true)
	close(release)
	<-held
	// The held probe ignores its deadline until released, after this
	// answer: only the 200 ms probe timeout can end the wait.
	if a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, `"busy"`) || a.took > 30*time.Second {
		t.Errorf("queued: %d after %v: %s", a.status, a.took, a.body)
	}
}

// TestProbeLimiterReleasesOnPanic: a panicking probe gives its slot back
// (recoverPanics turns the panic into a 500; the slot must not leak).
func TestProbeLimiterReleasesOnPanic(t *testing.T) {
	boom := proberFunc(func(context.Context, diagnose.Request) (*diagnose.Report, error) { panic("boom") })
	l := newProbeLimiter(boom, 1, 10*time.Millisecond)
	for range 3 {
		func() {
			defer func() {
				if v := recover(); v != "boom" {
					t.Fatalf("recovered %v, want the probe's panic (a busy error means the slot leaked)", v)
				}
			}()
			_, _ = l.Probe(context.Background(), diagnose.Request{})
		}()
	}
	if len(l.slots) != 0 {
		t.Errorf("%d slots still taken", len(l.slots))
	}
}

// preparedOnly records which method the limiter called.
type preparedOnly struct{ probes, prepared int }

func (p *preparedOnly) Probe(ctx context.Context, r diagnose.Request) (*diagnose.Report, error) {
	p.probes++
	return &diagnose.Report{}, nil
}

func (p *preparedOnly) ProbePrepared(ctx context.Context, r diagnose.Prepared) (*diagnose.Report, error) {
	p.prepared++
	return &diagnose.Report{}, nil
}

// TestProbeLimiterPassesPreparedThrough: the handlers validate once and
// probe the prepared request; the limiter must not turn that back into a
// second validation, and must still hold and release a slot.
func TestProbeLimiterPassesPreparedThrough(t *testing.T) {
	next := &preparedOnly{}
	l := newProbeLimiter(next, 1, time.Second)
	prep, err := diagnose.NewPrepared(diagnose.Request{URL: "http://127.0.0.1:1/", Origin: "http://127.0.0.1:2"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := l.ProbePrepared(context.Background(), prep); err != nil {
			t.Fatal(err)
		}
	}
	if next.prepared != 3 || next.probes != 0 {
		t.Fatalf("ProbePrepared %d, Probe %d; want 3 and 0", next.prepared, next.probes)
	}
	if len(l.slots) != 0 {
		t.Fatalf("%d slots still held", len(l.slots))
	}
}
