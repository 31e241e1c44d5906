package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/audit"
	"corsdoctor/diagnose"
	"corsdoctor/remedy"
)

// fakeAuditor is a func-field Auditor that counts its calls.
type fakeAuditor struct {
	AuditFn func(ctx context.Context, req audit.Request) (*audit.Report, error)
	calls   int
}

func (a *fakeAuditor) Audit(ctx context.Context, req audit.Request) (*audit.Report, error) {
	a.calls++
	return a.AuditFn(ctx, req)
}

func TestShowAudit(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name        string
		auditor     Auditor
		query       string
		unavailable bool
	}{
		{"enabled", &fakeAuditor{}, "?url=https%3A%2F%2Fapi.example.com%2Fme&origin=https%3A%2F%2Fapp.example.com", false},
		{"not enabled", nil, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ShowAudit(logger, tc.auditor)(rec, httptest.NewRequest("GET", "/audit"+tc.query, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			doc, err := goquery.NewDocumentFromReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			box := doc.Find(`[data-testid="field-confirm"] input[name="confirm"]`)
			if box.Length() != 1 {
				t.Fatalf("no confirm box")
			}
			if _, checked := box.Attr("checked"); checked {
				t.Errorf("the audit box is ticked by default")
			}
			if !strings.Contains(doc.Find(`[data-testid="field-confirm"]`).Text(), "up to 24 requests") {
				t.Errorf("the form does not say how many requests it sends")
			}
			if got := doc.Find(`[data-testid="audit-unavailable"]`).Length() == 1; got != tc.unavailable {
				t.Errorf("unavailable notice shown = %v, want %v", got, tc.unavailable)
			}
			if tc.query != "" {
				if v, _ := doc.Find("#f-url").Attr("value"); v != "https://api.example.com/me" {
					t.Errorf("url prefilled %q", v)
				}
			}
		})
	}
}

func TestRunAudit(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	report := &audit.Report{
		URL: "https://api.example.com/me", Origin: "https://app.example.com", Requests: 20,
		Findings: []audit.Finding{{
			Reason: audit.ReasonOriginReflected, Severity: audit.Critical, OriginSent: "https://evil.net",
			Evidence: audit.Evidence{Summary: "GET with Origin: https://evil.net answered 200 with Access-Control-Allow-Origin: https://evil.net"},
			Title:    "Any origin is trusted", Risk: "Any web site can read", Fix: "Compare the Origin header",
		}},
		Notes: []string{"a note"},
		Stack: diagnose.StackGuess{ID: "nginx", Name: "nginx", Confidence: "high", Verified: true},
		Fix:   &remedy.Advice{Snippet: remedy.Snippet{Code: "add_header Access-Control-Allow-Origin $cors_allow_origin always;"}},
	}
	tests := []struct {
		name       string
		form       url.Values
		auditFn    func(context.Context, audit.Request) (*audit.Report, error)
		wantStatus int
		wantCalls  int
		wantError  string // data-testid of a field error
		wantFind   int    // findings shown
	}{
		{"box not ticked sends nothing", url.Values{"url": {"https://api.example.com/me"}, "origin": {"https://app.example.com"}}, nil,
			http.StatusBadRequest, 0, "summary-confirm", 0},
		{"findings", url.Values{"url": {"https://api.example.com/me"}, "origin": {"https://app.example.com"}, "confirm": {"on"}},
			func(_ context.Context, req audit.Request) (*audit.Report, error) {
				if req.URL != "https://api.example.com/me" || req.Origin != "https://app.example.com" {
					t.Errorf("request %+v", req)
				}
				return report, nil
			}, http.StatusOK, 1, "", 1},
		{"bad origin", url.Values{"url": {"https://api.example.com/me"}, "origin": {"null"}, "confirm": {"on"}},
			func(context.Context, audit.Request) (*audit.Report, error) {
				return nil, &diagnose.InputError{Field: "origin", Message: "the audit needs the origin"}
			}, http.StatusBadRequest, 1, "error-origin", 0},
		{"bad url is refused before any probe", url.Values{"url": {""}, "origin": {"https://app.example.com"}, "confirm": {"on"}}, nil,
			http.StatusBadRequest, 0, "error-url", 0},
		{"timeout", url.Values{"url": {"https://api.example.com/me"}, "origin": {"https://app.example.com"}, "confirm": {"on"}},
			func(context.Context, audit.Request) (*audit.Report, error) { return nil, context.DeadlineExceeded },
			http.StatusGatewayTimeout, 1, "error-url", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &fakeAuditor{AuditFn: tc.auditFn}
			req := httptest.NewRequest("POST", "/audit", strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			RunAudit(logger, a, Settings{})(rec, req)
			if rec.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if a.calls != tc.wantCalls {
				t.Errorf("audits run %d, want %d", a.calls, tc.wantCalls)
			}
			doc, err := goquery.NewDocumentFromReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantError != "" && doc.Find(`[data-testid="`+tc.wantError+`"]`).Length() == 0 {
				t.Errorf("no %s on the page", tc.wantError)
			}
			fs := doc.Find(`[data-testid="audit-finding"]`)
			if fs.Length() != tc.wantFind {
				t.Errorf("%d findings shown, want %d", fs.Length(), tc.wantFind)
			}
			if tc.wantFind > 0 {
				f := fs.First()
				if r, _ := f.Attr("data-reason"); r != "origin-reflected" {
					t.Errorf("reason %q", r)
				}
				if s, _ := f.Attr("data-severity"); s != "critical" {
					t.Errorf("severity %q", s)
				}
				if got := f.Find(`[data-testid="audit-origin-sent"]`).Text(); got != "https://evil.net" {
					t.Errorf("origin sent %q", got)
				}
				if !strings.Contains(f.Find(`[data-testid="audit-evidence"]`).Text(), "Access-Control-Allow-Origin: https://evil.net") {
					t.Errorf("evidence missing")
				}
				if !strings.Contains(f.Text(), "Any web site can read") || !strings.Contains(f.Text(), "Compare the Origin header") {
					t.Errorf("risk or fix missing: %s", f.Text())
				}
				if doc.Find(`[data-testid="audit-note"]`).Text() != "a note" {
					t.Errorf("note missing")
				}
				if !strings.Contains(doc.Find(`[data-testid="audit-snippet"]`).Text(), "add_header Access-Control-Allow-Origin") {
					t.Errorf("snippet missing")
				}
				if !strings.Contains(doc.Find(`[data-testid="audit-fix-title"]`).Text(), "The fix for nginx") {
					t.Errorf("fix title %q", doc.Find(`[data-testid="audit-fix-title"]`).Text())
				}
			}
		})
	}
}

// TestRunAuditNotEnabled: a server without an auditor answers 503 with
// the notice and never panics.
func TestRunAuditNotEnabled(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	req := httptest.NewRequest("POST", "/audit", strings.NewReader("url=x&origin=y&confirm=on"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	RunAudit(logger, nil, Settings{})(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "not enabled on this server") {
		t.Errorf("status %d", rec.Code)
	}
}
