package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

func TestHomeRendersForm(t *testing.T) {
	h := Home(discard(), newMemStore(), DefaultSettings)
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	d := doc(t, rec)
	form := testid(d, "diagnose-form")
	if form.Length() != 1 {
		t.Fatal("no diagnose form")
	}
	if m, _ := form.Attr("method"); m != "post" {
		t.Errorf("form method = %q, want post", m)
	}
	if a, _ := form.Attr("action"); a != "/diagnose" {
		t.Errorf("form action = %q, want /diagnose", a)
	}
	for _, name := range []string{"url", "origin", "method", "headers", "body", "credentials", "mode", "use_cors_preflight", "secret"} {
		if form.Find(`[name="`+name+`"]`).Length() == 0 {
			t.Errorf("form has no %q field", name)
		}
	}
	// Every input is labelled.
	form.Find("input[id], textarea[id], select[id]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if d.Find(`label[for="`+id+`"]`).Length() == 0 {
			t.Errorf("input #%s has no label", id)
		}
	})
	if got := text(testid(d, "timeout-note")); !strings.Contains(got, "15 s") || !strings.Contains(got, "60 s") {
		t.Errorf("timeout note = %q, want both timeouts stated", got)
	}
	if n := testid(d, "presets").Find("a[data-preset]").Length(); n != len(presets) {
		t.Errorf("%d presets shown, want %d", n, len(presets))
	}
	if testid(d, "form-error").Length() != 0 {
		t.Error("a fresh form shows an error")
	}
	if c, _ := form.Find(`input[name="credentials"][checked]`).Attr("value"); c != "same-origin" {
		t.Errorf("default credentials = %q, want same-origin", c)
	}
}

func TestHomePrefills(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: diagnose.Report{Request: diagnose.Request{
		URL: "https://api.example.com/x", Origin: "https://app.example.com", Method: "PATCH",
		Headers:     []diagnose.Header{{Name: "Authorization", Value: "Bearer t"}, {Name: "X-Api-Key", Value: "k"}, {Name: "X-Trace", Value: "1"}},
		Body:        "hello",
		Credentials: diagnose.CredentialsInclude, Mode: diagnose.ModeCORS, UseCORSPreflight: true,
	}}})
	// Make X-Api-Key a user-marked secret, as Create would have.
	d := m.rows[id]
	diagnose.Redact(&d.Report, []string{"X-Api-Key"})
	d.Redacted = []string{"Authorization", "X-Api-Key"}
	m.rows[id] = d

	tests := []struct {
		name        string
		target      string
		cookie      string
		wantURL     string
		wantOrigin  string
		wantMethod  string
		wantHeaders string
		wantBody    string
		wantCreds   string
		wantSecret  string
		wantFlag    bool
		wantNotice  string
		wantReenter string
	}{
		{name: "cookie origin", target: "/", cookie: url.QueryEscape("https://remembered.example"),
			wantOrigin: "https://remembered.example", wantCreds: "same-origin"},
		{name: "query", target: "/?url=https%3A%2F%2Fa.example%2Fv1&origin=https%3A%2F%2Fb.example&method=DELETE", cookie: "https%3A%2F%2Fignored.example",
			wantURL: "https://a.example/v1", wantOrigin: "https://b.example", wantMethod: "DELETE", wantCreds: "same-origin"},
		{name: "preset", target: "/?preset=json-bearer",
			wantMethod: "POST", wantHeaders: "Content-Type: application/json\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.token", wantBody: `{"name": "example"}`, wantCreds: "same-origin"},
		{name: "unknown preset", target: "/?preset=nope", wantCreds: "same-origin", wantNotice: "There is no preset called nope."},
		{name: "re-run", target: "/?from=" + id,
			wantURL: "https://api.example.com/x", wantOrigin: "https://app.example.com", wantMethod: "PATCH",
			wantHeaders: "Authorization: \nX-Api-Key: \nX-Trace: 1", wantBody: "hello", wantCreds: "include", wantSecret: "X-Api-Key", wantFlag: true,
			wantReenter: "Re-enter the redacted value of Authorization and X-Api-Key"},
		{name: "re-run of a missing diagnosis", target: "/?from=aaaaaaaaaaaaaaaaaaaaaaaaaa", wantCreds: "same-origin",
			wantNotice: "That diagnosis does not exist or has expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.target, nil)
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: originCookie, Value: tc.cookie})
			}
			rec := httptest.NewRecorder()
			Home(discard(), m, DefaultSettings)(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d", rec.Code)
			}
			d := doc(t, rec)
			val := func(sel string) string { v, _ := d.Find(sel).Attr("value"); return v }
			if got := val("#f-url"); got != tc.wantURL {
				t.Errorf("url = %q, want %q", got, tc.wantURL)
			}
			if got := val("#f-origin"); got != tc.wantOrigin {
				t.Errorf("origin = %q, want %q", got, tc.wantOrigin)
			}
			if got := val("#f-method"); got != tc.wantMethod {
				t.Errorf("method = %q, want %q", got, tc.wantMethod)
			}
			if got := d.Find("#f-headers").Text(); got != tc.wantHeaders {
				t.Errorf("headers = %q, want %q", got, tc.wantHeaders)
			}
			if got := d.Find("#f-body").Text(); got != tc.wantBody {
				t.Errorf("body = %q, want %q", got, tc.wantBody)
			}
			if got := val(`input[name="credentials"][checked]`); got != tc.wantCreds {
				t.Errorf("credentials = %q, want %q", got, tc.wantCreds)
			}
			if got := val("#f-secret"); got != tc.wantSecret {
				t.Errorf("secret = %q, want %q", got, tc.wantSecret)
			}
			if _, got := d.Find("#f-use_cors_preflight").Attr("checked"); got != tc.wantFlag {
				t.Errorf("preflight flag = %v, want %v", got, tc.wantFlag)
			}
			if got := text(testid(d, "notice")); !strings.Contains(got, tc.wantNotice) || (tc.wantNotice == "") != (got == "") {
				t.Errorf("notice = %q, want %q", got, tc.wantNotice)
			}
			if got := text(testid(d, "rerun-notice")); !strings.Contains(got, tc.wantReenter) || (tc.wantReenter == "") != (got == "") {
				t.Errorf("re-run notice = %q, want it to contain %q", got, tc.wantReenter)
			}
		})
	}
}
