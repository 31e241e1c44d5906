package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

// fakeProber is a func-field Prober.
type fakeProber struct {
	ProbeFn func(ctx context.Context, r diagnose.Request) (*diagnose.Report, error)
	mu      sync.Mutex
	calls   []diagnose.Request
}

func (p *fakeProber) Probe(ctx context.Context, r diagnose.Request) (*diagnose.Report, error) {
	p.mu.Lock()
	p.calls = append(p.calls, r)
	p.mu.Unlock()
	return p.ProbeFn(ctx, r)
}

// fakeStore is a func-field Store; newMemStore fills it with a map that
// redacts on Create, as the real store does.
type fakeStore struct {
	CreateFn func(ctx context.Context, d *store.Diagnosis, extra []string) error
	GetFn    func(ctx context.Context, id string) (*store.Diagnosis, error)
	PingFn   func(ctx context.Context) error
}

func (s *fakeStore) Create(ctx context.Context, d *store.Diagnosis, extra []string) error {
	return s.CreateFn(ctx, d, extra)
}
func (s *fakeStore) Get(ctx context.Context, id string) (*store.Diagnosis, error) {
	return s.GetFn(ctx, id)
}
func (s *fakeStore) Ping(ctx context.Context) error { return s.PingFn(ctx) }

type memStore struct {
	fakeStore
	mu   sync.Mutex
	rows map[string]store.Diagnosis
}

func newMemStore() *memStore {
	m := &memStore{rows: map[string]store.Diagnosis{}}
	m.CreateFn = func(_ context.Context, d *store.Diagnosis, extra []string) error {
		d.Redacted = append(d.Redacted, diagnose.Redact(&d.Report, extra)...)
		if d.CreatedAt.IsZero() {
			d.CreatedAt = time.Now().UTC()
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		d.ID = store.NewID()
		m.rows[d.ID] = *d
		return nil
	}
	m.GetFn = func(_ context.Context, id string) (*store.Diagnosis, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		d, ok := m.rows[id]
		if !ok {
			return nil, store.ErrNotFound
		}
		return &d, nil
	}
	m.PingFn = func(context.Context) error { return nil }
	return m
}

func (m *memStore) put(d store.Diagnosis) string {
	if err := m.CreateFn(context.Background(), &d, nil); err != nil {
		panic(err)
	}
	return d.ID
}

func (m *memStore) only(t *testing.T) store.Diagnosis {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.rows) != 1 {
		t.Fatalf("store holds %d diagnoses, want 1", len(m.rows))
	}
	for _, d := range m.rows {
		return d
	}
	panic("unreachable")
}

// discard is a logger for tests that do not look at logs.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// bufLogger returns a logger writing text into a buffer.
func bufLogger() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

// doc parses a recorded HTML response.
func doc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return d
}

func testid(d *goquery.Document, id string) *goquery.Selection {
	return d.Find(`[data-testid="` + id + `"]`)
}

func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// withPath sets chi-style path values the way the router does.
func withPath(r *http.Request, kv ...string) *http.Request {
	for i := 0; i+1 < len(kv); i += 2 {
		r.SetPathValue(kv[i], kv[i+1])
	}
	return r
}

var errBoom = errors.New("boom: database on fire")

// Recorded exchanges for diagnose.Evaluate, so tests get real reports
// without a network.

const (
	testTarget = "http://api.test/items"
	testOrigin = "https://app.test"
)

func resp(status int, hs ...string) *diagnose.Response {
	r := &diagnose.Response{Proto: "HTTP/1.1", Status: status, StatusText: http.StatusText(status)}
	for i := 0; i+1 < len(hs); i += 2 {
		r.Headers = append(r.Headers, diagnose.Header{Name: hs[i], Value: hs[i+1]})
	}
	return r
}

func exchange(kind diagnose.StepKind, method string, r *diagnose.Response) diagnose.Exchange {
	return diagnose.Exchange{
		Step:       diagnose.Step{Kind: kind, URL: testTarget},
		Request:    diagnose.SentRequest{Method: method, URL: testTarget, Proto: "HTTP/1.1", Headers: []diagnose.Header{{Name: "Host", Value: "api.test"}, {Name: "Origin", Value: testOrigin}}},
		Response:   r,
		RemoteAddr: "192.0.2.1:80",
		Started:    time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		DurationMS: 12.5,
	}
}

// blockedPreflight is a PUT with a bearer token whose preflight answers
// 204 without Access-Control-Allow-Origin.
func blockedPreflight(t testing.TB) *diagnose.Report {
	t.Helper()
	req := diagnose.Request{URL: testTarget, Origin: testOrigin, Method: "PUT",
		Headers: []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer s3cret"}, {Name: "X-Api-Key", Value: "k-123"}},
		Body:    `{"a":1}`}
	rep, err := diagnose.Evaluate(req, []diagnose.Exchange{
		exchange(diagnose.StepPreflight, "OPTIONS", resp(204, "Access-Control-Allow-Methods", "GET, PUT", "Date", "Fri, 02 Jan 2026 03:04:05 GMT")),
	})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	rep.DurationMS = 25
	return rep
}

// allowedGET is a simple GET the server allows, with one header hidden
// from JavaScript.
func allowedGET(t testing.TB) *diagnose.Report {
	t.Helper()
	req := diagnose.Request{URL: testTarget, Origin: testOrigin}
	rep, err := diagnose.Evaluate(req, []diagnose.Exchange{
		exchange(diagnose.StepActual, "GET", resp(200, "Access-Control-Allow-Origin", testOrigin, "Vary", "Origin", "Content-Type", "application/json", "X-Internal", "1")),
	})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return rep
}

// hostile is a response whose header values try to break out of the page.
func hostile(t testing.TB) *diagnose.Report {
	t.Helper()
	req := diagnose.Request{URL: testTarget, Origin: testOrigin}
	rep, err := diagnose.Evaluate(req, []diagnose.Exchange{
		exchange(diagnose.StepActual, "GET", resp(200,
			"Access-Control-Allow-Origin", `<script>alert(1)</script>"onerror=alert(2)`,
			"X-Evil", "\"><img src=x onerror=alert(3)>\x1b[31m\x00\x07",
			"X-Quote", `' onmouseover='alert(4)`,
			"X-Big", strings.Repeat("A", 1<<20),
			"X-Bidi", "abc\u202edcba",
		)),
	})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	rep.Exchanges[0].Response.Body = `<script>alert("body")</script>`
	rep.Exchanges[0].Response.Malformed = []string{`<style>body{display:none}</style>`}
	return rep
}
