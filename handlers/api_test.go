package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

func TestAPICreateDiagnosis(t *testing.T) {
	m := newMemStore()
	p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) { return blockedPreflight(t), nil }}
	body := `{"url": "http://api.test/items", "origin": "https://app.test", "method": "PUT",
		"headers": [{"name": "Authorization", "value": "Bearer s3cret"}, {"name": "X-Api-Key", "value": "k-123"}],
		"credentials": "include", "secret_headers": ["X-Api-Key"]}`
	req := httptest.NewRequest("POST", "/api/v1/diagnoses", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	APICreateDiagnosis(discard(), p, m, DefaultSettings)(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	d := m.only(t)
	if loc := rec.Header().Get("Location"); loc != "http://example.com/d/"+d.ID {
		t.Errorf("Location = %q", loc)
	}
	var out struct {
		ID       string          `json:"id"`
		URL      string          `json:"url"`
		HARURL   string          `json:"har_url"`
		Redacted []string        `json:"redacted"`
		Report   diagnose.Report `json:"report"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.ID != d.ID || out.URL != "http://example.com/d/"+d.ID || out.HARURL != out.URL+"/har" {
		t.Errorf("id/url = %q %q %q", out.ID, out.URL, out.HARURL)
	}
	if strings.Join(out.Redacted, ",") != "Authorization,X-Api-Key" {
		t.Errorf("redacted = %v", out.Redacted)
	}
	if out.Report.Verdict.Firefox != diagnose.Blocked {
		t.Errorf("verdict = %+v", out.Report.Verdict)
	}
	if strings.Contains(rec.Body.String(), "s3cret") || strings.Contains(rec.Body.String(), "k-123") {
		t.Errorf("a secret reached the API response: %s", rec.Body)
	}
	if got := p.calls[0].Headers; len(got) != 2 || got[0].Value != "Bearer s3cret" || p.calls[0].Credentials != "include" {
		t.Errorf("probe input = %+v", p.calls[0])
	}

	// The same diagnosis, read back.
	rec = httptest.NewRecorder()
	APIGetDiagnosis(discard(), m, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/api/v1/diagnoses/"+d.ID, nil), "id", d.ID))
	if rec.Code != http.StatusOK {
		t.Fatalf("get status = %d", rec.Code)
	}
	var got struct {
		ID     string          `json:"id"`
		Report diagnose.Report `json:"report"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.ID != d.ID || len(got.Report.Findings) != len(d.Report.Findings) {
		t.Errorf("get = %+v, %v", got, err)
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		probeErr    error
		wantStatus  int
		wantCode    string
		wantField   string
		wantMessage string
	}{
		{name: "not JSON", contentType: "application/json", body: `{"url":`, wantStatus: 400, wantCode: "invalid_json", wantMessage: "not valid JSON"},
		{name: "unknown field", contentType: "application/json", body: `{"url":"http://a.test/","origin":"https://b.test","credential":"include"}`, wantStatus: 400, wantCode: "invalid_json", wantMessage: `unknown field "credential"`},
		{name: "trailing data", contentType: "application/json", body: `{"url":"http://a.test/","origin":"https://b.test"} {}`, wantStatus: 400, wantCode: "invalid_json", wantMessage: "unexpected data"},
		{name: "form encoded", contentType: "application/x-www-form-urlencoded", body: `url=x`, wantStatus: 415, wantCode: "unsupported_media_type", wantMessage: "Content-Type: application/json"},
		{name: "bad origin", contentType: "application/json", body: `{"url":"http://a.test/","origin":"https://b.test/app"}`, wantStatus: 400, wantCode: "invalid_input", wantField: "origin", wantMessage: "has a path"},
		{name: "bad secret name", contentType: "application/json", body: `{"url":"http://a.test/","origin":"https://b.test","secret_headers":["a b:"]}`, wantStatus: 400, wantCode: "invalid_input", wantField: "secret_headers", wantMessage: "is not a header name"},
		{name: "policy", contentType: "application/json", body: `{"url":"http://10.0.0.1/","origin":"https://b.test"}`, probeErr: &diagnose.InputError{Field: "url", Message: "10.0.0.1 is private"}, wantStatus: 400, wantCode: "invalid_input", wantField: "url", wantMessage: "is private"},
		{name: "timeout", contentType: "application/json", body: `{"url":"http://a.test/","origin":"https://b.test"}`, probeErr: context.DeadlineExceeded, wantStatus: 504, wantCode: "probe_timeout", wantField: "url", wantMessage: "The diagnosis did not finish within 60 seconds: the target answers too slowly or redirects too often."},
		{name: "bug", contentType: "application/json", body: `{"url":"http://a.test/","origin":"https://b.test"}`, probeErr: errBoom, wantStatus: 500, wantCode: "internal", wantMessage: "Internal error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) {
				if tc.probeErr == nil {
					t.Error("probed")
				}
				return nil, tc.probeErr
			}}
			req := httptest.NewRequest("POST", "/api/v1/diagnoses", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			rec := httptest.NewRecorder()
			APICreateDiagnosis(discard(), p, newMemStore(), DefaultSettings)(rec, req)
			checkAPIError(t, rec, tc.wantStatus, tc.wantCode, tc.wantField, tc.wantMessage)
		})
	}
	t.Run("not found", func(t *testing.T) {
		rec := httptest.NewRecorder()
		APIGetDiagnosis(discard(), newMemStore(), DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/api/v1/diagnoses/nope", nil), "id", "nope"))
		checkAPIError(t, rec, 404, "not_found", "", "does not exist")
	})
	t.Run("store failure", func(t *testing.T) {
		st := &fakeStore{GetFn: func(context.Context, string) (*store.Diagnosis, error) { return nil, errBoom }}
		rec := httptest.NewRecorder()
		APIGetDiagnosis(discard(), st, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/api/v1/diagnoses/x", nil), "id", "x"))
		checkAPIError(t, rec, 500, "internal", "", "Internal error")
	})
}

func checkAPIError(t *testing.T, rec *httptest.ResponseRecorder, status int, code, field, message string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var e apiError
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, rec.Body)
	}
	if e.Error.Status != status || e.Error.Code != code || e.Error.Field != field || !strings.Contains(e.Error.Message, message) {
		t.Errorf("error = %+v, want status %d code %q field %q message ~%q", e.Error, status, code, field, message)
	}
	if status == 500 && e.Error.Ref == "" {
		t.Error("500 without a reference")
	}
	if strings.Contains(rec.Body.String(), "boom") {
		t.Error("internal error text leaked")
	}
}

func TestHealthz(t *testing.T) {
	for _, tc := range []struct {
		err        error
		wantStatus int
		wantBody   string
	}{{nil, 200, `"ok"`}, {errBoom, 503, `"unavailable"`}} {
		rec := httptest.NewRecorder()
		Healthz(discard(), &fakeStore{PingFn: func(context.Context) error { return tc.err }})(rec, httptest.NewRequest("GET", "/healthz", nil))
		if rec.Code != tc.wantStatus || !strings.Contains(rec.Body.String(), tc.wantBody) {
			t.Errorf("ping %v: %d %s", tc.err, rec.Code, rec.Body)
		}
	}
}

func TestReasonPages(t *testing.T) {
	rec := httptest.NewRecorder()
	ListReasons(discard())(rec, httptest.NewRequest("GET", "/reasons", nil))
	page := doc(t, rec)
	all := diagnose.Reasons()
	if n := testid(page, "reason-item").Length(); n != len(all) || n == 0 {
		t.Errorf("%d reasons listed, want %d", n, len(all))
	}
	for _, ri := range all {
		rec := httptest.NewRecorder()
		ShowReason(discard())(rec, withPath(httptest.NewRequest("GET", "/reasons/"+ri.ID, nil), "id", ri.ID))
		if rec.Code != 200 {
			t.Errorf("%s: status %d", ri.ID, rec.Code)
			continue
		}
		p := doc(t, rec)
		if got := text(testid(p, "reason-id")); got != ri.ID {
			t.Errorf("%s: id = %q", ri.ID, got)
		}
		if got := text(testid(p, "reason-title")); got != ri.Title {
			t.Errorf("%s: title = %q", ri.ID, got)
		}
		if ri.Fix != "" && !strings.Contains(text(testid(p, "reason-fix")), strings.Join(strings.Fields(ri.Fix), " ")) {
			t.Errorf("%s: fix missing", ri.ID)
		}
		if href, _ := testid(p, "reason-doc").Attr("href"); href != ri.Doc {
			t.Errorf("%s: MDN link = %q, want %q", ri.ID, href, ri.Doc)
		}
		if ri.Firefox != "" && !strings.Contains(testid(p, "reason-console").Text(), ri.Firefox) {
			t.Errorf("%s: Firefox line missing", ri.ID)
		}
	}
	rec = httptest.NewRecorder()
	ShowReason(discard())(rec, withPath(httptest.NewRequest("GET", "/reasons/Nope", nil), "id", "Nope"))
	if rec.Code != 404 {
		t.Errorf("unknown reason: %d", rec.Code)
	}
}

// TestAPIListsEveryBadField: with several fields wrong, the error's top
// level is the first and "fields" lists them all; with one, "fields" is
// absent (the shape every client already reads).
func TestAPIListsEveryBadField(t *testing.T) {
	post := func(body string) apiError {
		t.Helper()
		req := httptest.NewRequest("POST", "/api/v1/diagnoses", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		APICreateDiagnosis(discard(), &fakeProber{}, newMemStore(), DefaultSettings)(rec, req)
		var e apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != 400 {
			t.Fatalf("%d %s (%v)", rec.Code, rec.Body, err)
		}
		return e
	}
	e := post(`{"url":"api.test/items","origin":"https://b.test/app","method":"GE T"}`)
	var fields []string
	for _, f := range e.Error.Fields {
		fields = append(fields, f.Field)
		if f.Message == "" {
			t.Errorf("field %s has no message", f.Field)
		}
	}
	if want := []string{"url", "origin", "method"}; !slices.Equal(fields, want) || e.Error.Field != "url" || !strings.Contains(e.Error.Message, "has no scheme") {
		t.Errorf("fields %v, top level %q %q; want %v with url first", fields, e.Error.Field, e.Error.Message, want)
	}
	if e := post(`{"url":"http://a.test/","origin":"https://b.test/app"}`); e.Error.Fields != nil || e.Error.Field != "origin" {
		t.Errorf("one bad field: %+v", e.Error)
	}
}
