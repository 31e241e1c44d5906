package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

func postForm(h http.HandlerFunc, v url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/diagnose", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec
}

func TestCreateDiagnosisStoresAndRedirects(t *testing.T) {
	m := newMemStore()
	p := &fakeProber{ProbeFn: func(_ context.Context, r diagnose.Request) (*diagnose.Report, error) {
		return blockedPreflight(t), nil
	}}
	rec := postForm(CreateDiagnosis(discard(), p, m, DefaultSettings), url.Values{
		"url":         {" " + testTarget + " "},
		"origin":      {testOrigin},
		"method":      {"PUT"},
		"headers":     {"GET /items HTTP/1.1\r\n:authority: api.test\r\nContent-Type: application/json\r\nAuthorization: Bearer s3cret\r\n\r\nX-Api-Key:k-123"},
		"secret":      {"X-Api-Key"},
		"body":        {"{\r\n\"a\":1}"},
		"credentials": {"include"},
		"mode":        {"cors"},
	})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status = %d, want 303; body: %s", rec.Code, rec.Body)
	}
	d := m.only(t)
	if loc := rec.Header().Get("Location"); loc != "/d/"+d.ID {
		t.Errorf("Location = %q, want /d/%s", loc, d.ID)
	}
	// The prober got the real secrets; the store did not.
	if len(p.calls) != 1 {
		t.Fatalf("%d probes, want 1", len(p.calls))
	}
	got := p.calls[0]
	want := diagnose.Request{URL: testTarget, Origin: testOrigin, Method: "PUT",
		Headers:     []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer s3cret"}, {Name: "X-Api-Key", Value: "k-123"}},
		Body:        "{\n\"a\":1}",
		Credentials: "include", Mode: "cors"}
	if got.URL != want.URL || got.Origin != want.Origin || got.Method != want.Method || got.Body != want.Body || got.Credentials != want.Credentials || got.Mode != want.Mode || got.UseCORSPreflight {
		t.Errorf("probe request = %+v, want %+v", got, want)
	}
	if len(got.Headers) != len(want.Headers) {
		t.Fatalf("probe headers = %v, want %v", got.Headers, want.Headers)
	}
	for i := range want.Headers {
		if got.Headers[i] != want.Headers[i] {
			t.Errorf("probe header %d = %v, want %v", i, got.Headers[i], want.Headers[i])
		}
	}
	for _, h := range d.Report.Request.Headers {
		if (h.Name == "Authorization" || h.Name == "X-Api-Key") && h.Value != diagnose.Redacted {
			t.Errorf("stored %s = %q, want it redacted", h.Name, h.Value)
		}
	}
	if strings.Join(d.Redacted, ",") != "Authorization,X-Api-Key" {
		t.Errorf("redacted = %v", d.Redacted)
	}
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == originCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != url.QueryEscape(testOrigin) || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("origin cookie = %+v", cookie)
	}
}

func TestCreateDiagnosisRefusesBadInput(t *testing.T) {
	valid := url.Values{"url": {testTarget}, "origin": {testOrigin}, "method": {"POST"}, "headers": {"X-A: 1"}, "body": {"b"}, "credentials": {"include"}, "mode": {"cors"}, "secret": {"X-A"}}
	tests := []struct {
		name      string
		field     string
		value     string
		wantField string
		wantMsg   string
		wantHint  string
	}{
		{name: "origin with a path", field: "origin", value: "https://app.test/dashboard", wantField: "origin",
			wantMsg: "has a path", wantHint: "Type https://app.test"},
		{name: "origin with a trailing slash", field: "origin", value: "https://app.test/", wantField: "origin",
			wantMsg: "has a trailing slash", wantHint: "Type https://app.test"},
		{name: "URL without a scheme", field: "url", value: "api.test/items", wantField: "url",
			wantMsg: "has no scheme", wantHint: "https://api.test/items"},
		{name: "header without a colon", field: "headers", value: "X-A: 1\nAuthorization Bearer x", wantField: "headers",
			wantMsg: `Line 2, "Authorization Bearer x", has no colon`, wantHint: "Name: value"},
		{name: "bad method", field: "method", value: "GET /", wantField: "method", wantMsg: "not a valid HTTP method"},
		{name: "bad credentials", field: "credentials", value: "always", wantField: "credentials", wantMsg: "Unknown credentials mode", wantHint: "Use omit, same-origin or include"},
		{name: "bad mode", field: "mode", value: "navigate", wantField: "mode", wantMsg: "Unknown request mode", wantHint: "Use cors, no-cors or same-origin"},
		{name: "GET with a body", field: "method", value: "GET", wantField: "body", wantMsg: "cannot have body"},
		{name: "bad secret name", field: "secret", value: "X-A, not:a:name", wantField: "secret", wantMsg: "is not a header name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) {
				t.Fatal("probed despite bad input")
				return nil, nil
			}}
			m := newMemStore()
			v := url.Values{}
			for k, vs := range valid {
				v[k] = vs
			}
			v.Set(tc.field, tc.value)
			rec := postForm(CreateDiagnosis(discard(), p, m, DefaultSettings), v)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400", rec.Code)
			}
			if len(m.rows) != 0 {
				t.Error("bad input was stored")
			}
			d := doc(t, rec)
			summary := text(testid(d, "form-error"))
			if !strings.Contains(summary, tc.wantMsg) {
				t.Errorf("summary = %q, want it to contain %q", summary, tc.wantMsg)
			}
			fieldErr := testid(d, "error-"+tc.wantField)
			if fieldErr.Length() != 1 {
				t.Fatalf("no error message at field %q", tc.wantField)
			}
			if got := text(fieldErr); !strings.Contains(got, tc.wantMsg) || !strings.Contains(got, tc.wantHint) {
				t.Errorf("field error = %q, want %q and hint %q", got, tc.wantMsg, tc.wantHint)
			}
			errID, _ := fieldErr.Attr("id")
			input := d.Find("#f-" + tc.wantField)
			if tc.wantField == "credentials" {
				input = testid(d, "field-credentials")
			} else if inv, _ := input.Attr("aria-invalid"); inv != "true" {
				t.Errorf("field %q is not aria-invalid", tc.wantField)
			}
			if desc, _ := input.Attr("aria-describedby"); !strings.Contains(desc, errID) {
				t.Errorf("aria-describedby = %q, want it to name %q", desc, errID)
			}
			// Nothing the user typed is lost.
			val := func(sel string) string { s, _ := d.Find(sel).Attr("value"); return s }
			for _, f := range []string{"url", "origin", "method", "secret"} {
				if got := val("#f-" + f); got != v.Get(f) {
					t.Errorf("%s = %q, want %q kept", f, got, v.Get(f))
				}
			}
			if got := d.Find("#f-headers").Text(); got != v.Get("headers") {
				t.Errorf("headers = %q, want %q kept", got, v.Get("headers"))
			}
			if got := d.Find("#f-body").Text(); got != v.Get("body") {
				t.Errorf("body = %q, want %q kept", got, v.Get("body"))
			}
			if tc.wantField != "credentials" {
				if got := val(`input[name="credentials"][checked]`); got != "include" {
					t.Errorf("credentials = %q, want include kept", got)
				}
			}
			if tc.wantField != "mode" {
				if got, _ := d.Find(`#f-mode option[selected]`).Attr("value"); got != "cors" {
					t.Errorf("mode = %q, want cors kept", got)
				}
			}
		})
	}
}

func TestCreateDiagnosisProbeFailures(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantMsg    string
		wantLogged bool
	}{
		{name: "policy refusal", err: &diagnose.InputError{Field: "url", Message: "127.0.0.1 is a loopback address, which this server may not probe"},
			wantStatus: http.StatusBadRequest, wantMsg: "loopback address"},
		{name: "timeout", err: context.DeadlineExceeded, wantStatus: http.StatusGatewayTimeout, wantMsg: "The diagnosis did not finish within 60 seconds: the target answers too slowly or redirects too often."},
		{name: "bug", err: errBoom, wantStatus: http.StatusInternalServerError, wantMsg: "Internal error", wantLogged: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := bufLogger()
			p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) { return nil, tc.err }}
			rec := postForm(CreateDiagnosis(logger, p, newMemStore(), DefaultSettings), url.Values{"url": {testTarget}, "origin": {testOrigin}})
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if !strings.Contains(rec.Body.String(), tc.wantMsg) {
				t.Errorf("body lacks %q", tc.wantMsg)
			}
			if logged := strings.Contains(logs.String(), "boom"); logged != tc.wantLogged {
				t.Errorf("logged = %v, want %v: %s", logged, tc.wantLogged, logs)
			}
			if strings.Count(logs.String(), "\n") > 1 {
				t.Errorf("logged more than once: %s", logs)
			}
		})
	}
}

func TestCreateDiagnosisStoreFailure(t *testing.T) {
	logger, logs := bufLogger()
	p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) { return allowedGET(t), nil }}
	st := &fakeStore{CreateFn: func(context.Context, *store.Diagnosis, []string) error { return errBoom }}
	rec := postForm(CreateDiagnosis(logger, p, st, DefaultSettings), url.Values{"url": {testTarget}, "origin": {testOrigin}})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	d := doc(t, rec)
	if got := text(testid(d, "error-message")); !strings.Contains(got, "Internal error") {
		t.Errorf("message = %q", got)
	}
	if strings.Contains(rec.Body.String(), "boom") {
		t.Error("the 500 page leaks the error")
	}
	ref := text(d.Find(".error-page code"))
	if ref == "" || !strings.Contains(logs.String(), "ref="+ref) || !strings.Contains(logs.String(), "boom") {
		t.Errorf("log %q does not carry ref %q and the error", logs, ref)
	}
}

// TestCreateDiagnosisMarksEveryBadField: with several fields wrong, the
// form comes back once with all of them marked and listed in the summary
// (in the form's order, each linking to its field), and nothing is lost.
func TestCreateDiagnosisMarksEveryBadField(t *testing.T) {
	p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) {
		t.Fatal("probed despite bad input")
		return nil, nil
	}}
	v := url.Values{"url": {"api.test/items"}, "origin": {"https://app.test/dashboard"}, "method": {"POST"},
		"headers": {"X-A: 1\nAuthorization Bearer x"}, "body": {"b"}, "credentials": {"include"}, "mode": {"navigate"}, "secret": {"X-A"}}
	rec := postForm(CreateDiagnosis(discard(), p, newMemStore(), DefaultSettings), v)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400", rec.Code)
	}
	d := doc(t, rec)
	summary := testid(d, "form-error")
	if got := text(summary.Find("h2")); got != "Check 4 fields" {
		t.Errorf("summary heading = %q", got)
	}
	var listed []string
	summary.Find("li").Each(func(_ int, li *goquery.Selection) {
		href, _ := li.Find("a").Attr("href")
		listed = append(listed, href)
	})
	if want := []string{"#f-url", "#f-origin", "#f-headers", "#f-mode"}; !slices.Equal(listed, want) {
		t.Errorf("summary links %v, want %v", listed, want)
	}
	for field, msg := range map[string]string{"url": "has no scheme", "origin": "has a path", "headers": "has no colon", "mode": "Unknown request mode"} {
		if got := text(testid(d, "error-"+field)); !strings.Contains(got, msg) {
			t.Errorf("field %s error = %q, want %q", field, got, msg)
		}
		if inv, _ := d.Find("#f-" + field).Attr("aria-invalid"); inv != "true" {
			t.Errorf("field %s is not aria-invalid", field)
		}
	}
	for _, field := range []string{"method", "body", "secret"} {
		if testid(d, "error-"+field).Length() != 0 {
			t.Errorf("field %s marked although it is fine", field)
		}
	}
	if got, _ := d.Find("#f-url").Attr("value"); got != "api.test/items" {
		t.Errorf("url = %q, want it kept", got)
	}
	if got := d.Find("#f-headers").Text(); got != v.Get("headers") {
		t.Errorf("headers = %q, want them kept", got)
	}
}
