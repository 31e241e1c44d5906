package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
)

const chromiumPreflightLine = "Access to fetch at 'https://api.test/items' from origin 'https://app.test' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."

func postPaste(paste string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/import", strings.NewReader(url.Values{"paste": {paste}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	ImportPaste(discard(), DefaultSettings)(rec, req)
	return rec
}

func formValue(form *goquery.Selection, name string) string {
	if ta := form.Find(`textarea[name="` + name + `"]`); ta.Length() > 0 {
		return ta.Text()
	}
	if r := form.Find(`input[type="radio"][name="` + name + `"][checked]`); r.Length() > 0 {
		v, _ := r.Attr("value")
		return v
	}
	if o := form.Find(`select[name="` + name + `"] option[selected]`); o.Length() > 0 {
		v, _ := o.Attr("value")
		return v
	}
	v, _ := form.Find(`input[name="` + name + `"]`).Attr("value")
	return v
}

func TestImportPasteFillsTheForm(t *testing.T) {
	cases := []struct {
		name                                      string
		paste                                     string
		url, origin, method, headers, credentials string
		reason                                    string
		missing                                   []string
		dropped                                   int
	}{
		{name: "chromium preflight line", paste: chromiumPreflightLine, url: "https://api.test/items", origin: "https://app.test", credentials: "same-origin",
			reason: "CORSMissingAllowOrigin", missing: []string{"method", "credentials"}},
		{name: "firefox line asks for the origin", paste: "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.test/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.",
			url: "https://api.test/items", credentials: "same-origin", reason: "CORSMissingAllowOrigin", missing: []string{"origin", "method", "credentials"}},
		{name: "curl", paste: "curl 'https://api.test/items' -X PUT -H 'Origin: https://app.test' -H 'Content-Type: application/json' -H 'Cookie: a=b' --data-raw '{}' --compressed",
			url: "https://api.test/items", origin: "https://app.test", method: "PUT", headers: "Content-Type: application/json", credentials: "include", dropped: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := postPaste(tc.paste)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			d := doc(t, rec)
			form := testid(d, "diagnose-form")
			got := [...]string{formValue(form, "url"), formValue(form, "origin"), formValue(form, "method"), formValue(form, "headers"), formValue(form, "credentials")}
			want := [...]string{tc.url, tc.origin, tc.method, tc.headers, tc.credentials}
			if got != want {
				t.Errorf("form = %q, want %q", got, want)
			}
			sum := testid(d, "import-summary")
			if sum.Length() != 1 {
				t.Fatal("no import summary")
			}
			if tc.reason != "" {
				if href, _ := testid(d, "import-reason").Find("a").Attr("href"); href != "/reasons/"+tc.reason {
					t.Errorf("reason link %q", href)
				}
			} else if testid(d, "import-reason").Length() != 0 {
				t.Error("a reason without a console line")
			}
			var missing []string
			testid(d, "import-missing").Find("li").Each(func(_ int, s *goquery.Selection) {
				id, _ := s.Attr("data-testid")
				missing = append(missing, strings.TrimPrefix(id, "missing-"))
			})
			if strings.Join(missing, ",") != strings.Join(tc.missing, ",") {
				t.Errorf("missing %v, want %v", missing, tc.missing)
			}
			if n := testid(d, "import-dropped").Find("li").Length(); n != tc.dropped {
				t.Errorf("%d dropped, want %d", n, tc.dropped)
			}
			if strings.Contains(rec.Body.String(), "a=b") {
				t.Error("the cookie's value is on the page")
			}
		})
	}
}

func TestImportPasteKeepsWhatItCannotRead(t *testing.T) {
	rec := postPaste("please help, <b>CORS</b> is broken")
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d", rec.Code)
	}
	d := doc(t, rec)
	if got := testid(d, "paste-form").Find("textarea").Text(); got != "please help, <b>CORS</b> is broken" {
		t.Errorf("paste box = %q", got)
	}
	if e := text(testid(d, "error-paste")); !strings.Contains(e, "does not recognise") {
		t.Errorf("error = %q", e)
	}
	if testid(d, "import-summary").Length() != 0 {
		t.Error("summary for an unreadable paste")
	}
}

// TestImportThenDiagnose: the filled form goes through the one create
// path and probes exactly what the paste said.
func TestImportThenDiagnose(t *testing.T) {
	rec := postPaste("fetch('https://api.test/items', {method: 'PUT', headers: {'X-Api-Key': 'k1'}, credentials: 'include', referrer: 'https://app.test/page'})")
	d := doc(t, rec)
	form := testid(d, "diagnose-form")
	v := url.Values{}
	for _, n := range []string{"url", "origin", "method", "headers", "body", "credentials", "mode"} {
		v.Set(n, formValue(form, n))
	}
	m := newMemStore()
	p := &fakeProber{ProbeFn: func(_ context.Context, r diagnose.Request) (*diagnose.Report, error) { return blockedPreflight(t), nil }}
	if rec := postForm(CreateDiagnosis(discard(), p, m, DefaultSettings), v); rec.Code != http.StatusSeeOther {
		t.Fatalf("diagnose: status %d", rec.Code)
	}
	got := p.calls[0]
	if got.URL != "https://api.test/items" || got.Origin != "https://app.test" || got.Method != "PUT" || got.Credentials != "include" || len(got.Headers) != 1 || got.Headers[0] != (diagnose.Header{Name: "X-Api-Key", Value: "k1"}) {
		t.Errorf("probed %+v", got)
	}
}

func TestAPIImport(t *testing.T) {
	cases := []struct {
		name, ctype, body string
		status            int
		source, reason    string
		field             string
	}{
		{"text", "text/plain; charset=utf-8", chromiumPreflightLine, 200, "chromium-console", "CORSMissingAllowOrigin", ""},
		{"json", "application/json", `{"text": "curl https://api.test/x -H 'X-A: 1'"}`, 200, "curl", "", ""},
		{"unreadable", "text/plain", "hello", 400, "", "", "text"},
		{"bad json", "application/json", `{"txt": 1}`, 400, "", "", ""},
		{"form type", "application/x-www-form-urlencoded", "paste=x", 415, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/v1/import", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			rec := httptest.NewRecorder()
			APIImport(discard())(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			var out struct {
				Source  string           `json:"source"`
				Reason  string           `json:"reason"`
				Request diagnose.Request `json:"request"`
				Missing []struct{ Field, Why string }
				Dropped []struct{ Name, Why string }
				Error   struct{ Field string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			if out.Source != tc.source || out.Reason != tc.reason || out.Error.Field != tc.field {
				t.Errorf("got %+v", out)
			}
			if tc.status == 200 && (out.Request.URL == "" || out.Missing == nil || out.Dropped == nil) {
				t.Errorf("incomplete answer: %s", rec.Body)
			}
		})
	}
}

// TestPasteInURLField: a console line pasted into the URL field fills the
// form (what the user typed elsewhere kept) instead of failing on the URL,
// and probes nothing.
func TestPasteInURLField(t *testing.T) {
	p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) {
		t.Fatal("probed a paste")
		return nil, nil
	}}
	rec := postForm(CreateDiagnosis(discard(), p, newMemStore(), DefaultSettings), url.Values{
		"url":         {"Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.test/items. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200."},
		"origin":      {"http://localhost:3000"},
		"method":      {"GET"},
		"credentials": {"include"},
	})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	d := doc(t, rec)
	form := testid(d, "diagnose-form")
	got := [...]string{formValue(form, "url"), formValue(form, "origin"), formValue(form, "credentials")}
	if got != [...]string{"https://api.test/items", "http://localhost:3000", "include"} {
		t.Errorf("form %q", got)
	}
	if !strings.Contains(text(testid(d, "notice")), "Firefox console error") || testid(d, "import-summary").Length() != 1 {
		t.Error("no notice or summary")
	}
	if testid(d, "missing-origin").Length() != 0 || testid(d, "missing-credentials").Length() != 0 || testid(d, "missing-method").Length() != 1 {
		t.Error("the summary asks for what the user typed, or not for the method")
	}
	// A plain URL is still diagnosed.
	if pastedInURLField("https://api.test/items") != nil || pastedInURLField("localhost:3000/x") != nil {
		t.Error("a URL taken for a paste")
	}
}
