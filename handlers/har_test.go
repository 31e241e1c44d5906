package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

// harSecrets are the secret values the fixtures of harimport hold.
var harSecrets = []string{"abc-secret-cookie", "secret-token-123", "secret-set-cookie", "dXNlcjpwYXNzd29yZA==", "cHJveHk6c2VjcmV0"}

func harFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "harimport", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// multipartHAR is a form upload of data as the file field "har".
func multipartHAR(t *testing.T, path, filename string, data []byte) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if data != nil {
		fw, err := mw.CreateFormFile("har", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	} else {
		mw.WriteField("other", "x")
	}
	mw.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// TestCreateHARPage uploads Chromium's HAR through the form into a real
// SQLite store: the table lists every fetch with its verdict and link,
// each linked diagnosis says it was judged from a recording, and no
// secret of the HAR reaches the database file or the page.
func TestCreateHARPage(t *testing.T) {
	st, path := openStore(t)
	rec := httptest.NewRecorder()
	CreateHAR(discard(), st, DefaultSettings, 50<<20)(rec, multipartHAR(t, "/har", "session.har", harFixture(t, "chromium.har")))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	d := doc(t, rec)
	if got := text(testid(d, "har-recorded")); !strings.Contains(got, "corsdoctor sent nothing") || !strings.Contains(got, "Chromium format") {
		t.Errorf("recorded notice = %q", got)
	}
	if got := text(testid(d, "har-summary")); !strings.HasPrefix(got, "8 entries: 3 cross-origin fetches judged (2 blocked), 1 skipped, 2 not CORS") {
		t.Errorf("summary = %q", got)
	}
	if got := text(testid(d, "redacted")); !strings.Contains(got, "Authorization") || !strings.Contains(got, "Set-Cookie") || !strings.Contains(got, "Cookie") {
		t.Errorf("redacted notice = %q", got)
	}
	type want struct{ entries, status, request, link string }
	wants := []want{
		{"#2, #3", "blocked", "PUT https://api.example.com/items", "link"},
		{"#4", "blocked", "GET https://api.example.com/me", "link"},
		{"#5", "skipped", "GET https://app.example.com/api/local", "skip"},
		{"#6, #7", "allowed", "GET https://api.example.com/old", "link"},
	}
	rows := testid(d, "har-row")
	if rows.Length() != len(wants) {
		t.Fatalf("%d rows, want %d", rows.Length(), len(wants))
	}
	var links []string
	for i, w := range wants {
		row := rows.Eq(i)
		status, _ := row.Attr("data-status")
		if got := text(in(row, "har-entries")); got != w.entries || status != w.status || text(in(row, "har-request")) != w.request {
			t.Errorf("row %d = %q %q %q, want %q %q %q", i, got, status, text(in(row, "har-request")), w.entries, w.status, w.request)
		}
		if w.link == "link" {
			href, ok := in(row, "har-link").Attr("href")
			if !ok || !strings.HasPrefix(href, "/d/") {
				t.Errorf("row %d: no share link", i)
			}
			links = append(links, strings.TrimPrefix(href, "/d/"))
		} else if !strings.Contains(text(in(row, "har-skip")), "same-origin") {
			t.Errorf("row %d skip = %q", i, text(in(row, "har-skip")))
		}
	}
	for _, id := range links {
		dg, err := st.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if dg.Source != store.SourceHAR || dg.Report.DurationMS != 0 {
			t.Errorf("%s: source %q, duration %v", id, dg.Source, dg.Report.DurationMS)
		}
		page := httptest.NewRecorder()
		ShowDiagnosis(discard(), st, DefaultSettings)(page, withPath(httptest.NewRequest("GET", "/d/"+id, nil), "id", id))
		if got := text(testid(doc(t, page), "extra-note")); got != recordedNote {
			t.Errorf("%s page note = %q, want %q", id, got, recordedNote)
		}
		if got := text(testid(doc(t, page), "redacted")); len(dg.Redacted) > 0 && !strings.Contains(got, "The browser sent the real value") {
			t.Errorf("%s redaction notice = %q", id, got)
		}
	}
	// The first link is the PUT with the bearer token: its page lists the
	// redaction.
	dg, _ := st.Get(context.Background(), links[0])
	if strings.Join(dg.Redacted, ",") != "Authorization" {
		t.Errorf("redacted = %v", dg.Redacted)
	}
	st.Close()
	var raw []byte
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(path + suffix)
		raw = append(raw, b...)
	}
	if !bytes.Contains(raw, []byte("api.example.com/items")) {
		t.Fatal("the database holds no diagnosis: the secret check below proves nothing")
	}
	for _, s := range harSecrets {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database file holds the secret %q", s)
		}
		if strings.Contains(rec.Body.String(), s) {
			t.Errorf("the page holds the secret %q", s)
		}
	}
}

// TestAPICreateHAR posts Firefox's and Safari's HARs as JSON and as a
// multipart form, and checks every result.
func TestAPICreateHAR(t *testing.T) {
	type result struct {
		Entries  []int              `json:"entries"`
		Method   string             `json:"method"`
		Status   string             `json:"status"`
		Skip     string             `json:"skip_reason"`
		Reason   string             `json:"reason"`
		ID       string             `json:"id"`
		Link     string             `json:"diagnosis_url"`
		Verdict  *diagnose.Verdicts `json:"verdict"`
		Steps    []diagnose.Step    `json:"steps"`
		Unlinked bool               `json:"unlinked"`
	}
	type answer struct {
		Browser  string   `json:"browser"`
		Entries  int      `json:"entries"`
		Judged   int      `json:"judged"`
		Blocked  int      `json:"blocked"`
		Skipped  int      `json:"skipped"`
		Redacted []string `json:"redacted"`
		Results  []result `json:"results"`
	}
	tests := []struct {
		name, file string
		multipart  bool
		browser    string
		counts     [4]int // entries, judged, blocked, skipped
		statuses   []string
		reasons    []string
	}{
		{"firefox as JSON", "firefox.har", false, "firefox", [4]int{3, 2, 1, 0}, []string{"allowed", "blocked"}, []string{"", "CORSAllowOriginNotMatchingOrigin"}},
		{"safari as a form", "safari.har", true, "safari", [4]int{4, 2, 1, 2}, []string{"allowed", "skipped", "skipped", "blocked"}, []string{"", "", "", "CORSMissingAllowOrigin"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore()
			var req *http.Request
			if tc.multipart {
				req = multipartHAR(t, "/api/v1/har", tc.file, harFixture(t, tc.file))
			} else {
				req = httptest.NewRequest("POST", "/api/v1/har", bytes.NewReader(harFixture(t, tc.file)))
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			APICreateHAR(discard(), m, DefaultSettings)(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d: %s", rec.Code, rec.Body)
			}
			var a answer
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			if a.Browser != tc.browser || [4]int{a.Entries, a.Judged, a.Blocked, a.Skipped} != tc.counts {
				t.Errorf("browser %q counts %v, want %q %v", a.Browser, [4]int{a.Entries, a.Judged, a.Blocked, a.Skipped}, tc.browser, tc.counts)
			}
			if len(a.Results) != len(tc.statuses) {
				t.Fatalf("%d results, want %d", len(a.Results), len(tc.statuses))
			}
			for i, r := range a.Results {
				if r.Status != tc.statuses[i] || r.Reason != tc.reasons[i] {
					t.Errorf("result %d = %s %q, want %s %q", i, r.Status, r.Reason, tc.statuses[i], tc.reasons[i])
				}
				if r.Status == "skipped" {
					if r.Skip == "" || r.ID != "" || r.Verdict != nil {
						t.Errorf("skipped result %d: %+v", i, r)
					}
					continue
				}
				if r.Link != "http://example.com/d/"+r.ID || len(r.Steps) == 0 {
					t.Errorf("result %d link %q id %q steps %v", i, r.Link, r.ID, r.Steps)
				}
				dg, err := m.Get(context.Background(), r.ID)
				if err != nil || dg.Source != store.SourceHAR || string(dg.Report.Verdict.Firefox) != map[string]string{"allowed": "allowed", "blocked": "blocked"}[r.Status] {
					t.Errorf("stored %s: %v %+v", r.ID, err, dg)
				}
			}
			for _, s := range harSecrets {
				if strings.Contains(rec.Body.String(), s) {
					t.Errorf("the answer holds the secret %q", s)
				}
			}
		})
	}
}

// fetchHAR is a HAR of n GETs with Origin to n distinct URLs (or one URL
// when same is set), each answered without Access-Control-Allow-Origin.
func fetchHAR(n int, same bool) []byte {
	var b strings.Builder
	b.WriteString(`{"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		u := fmt.Sprintf("https://api.test/items/%d", i)
		if same {
			u = "https://api.test/poll"
		}
		fmt.Fprintf(&b, `{"startedDateTime":"2026-12-03T10:00:00.000Z","request":{"method":"GET","url":%q,"headers":[{"name":"Origin","value":"https://app.test"}]},"response":{"status":200,"headers":[]}}`, u)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

// TestHARLinks: identical fetches share one stored diagnosis, and an
// upload stores at most MaxHARLinks, listing the rest as unlinked.
func TestHARLinks(t *testing.T) {
	tests := []struct {
		name             string
		har              []byte
		stored, unlinked int
	}{
		{"identical polls share a link", fetchHAR(30, true), 1, 0},
		{"over the limit", fetchHAR(MaxHARLinks+5, false), MaxHARLinks, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore()
			req := httptest.NewRequest("POST", "/api/v1/har", bytes.NewReader(tc.har))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			APICreateHAR(discard(), m, DefaultSettings)(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d: %s", rec.Code, rec.Body)
			}
			var a struct {
				Unlinked int `json:"unlinked"`
				Judged   int `json:"judged"`
				Results  []struct {
					ID       string `json:"id"`
					Unlinked bool   `json:"unlinked"`
				} `json:"results"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			unlinked := 0
			for _, r := range a.Results {
				if r.Unlinked != (r.ID == "") {
					t.Errorf("result unlinked %v with id %q", r.Unlinked, r.ID)
				}
				if r.Unlinked {
					unlinked++
				}
			}
			if len(m.rows) != tc.stored || a.Unlinked != tc.unlinked || unlinked != tc.unlinked || a.Judged != len(a.Results) {
				t.Errorf("stored %d, unlinked %d (%d rows), judged %d of %d; want stored %d, unlinked %d",
					len(m.rows), a.Unlinked, unlinked, a.Judged, len(a.Results), tc.stored, tc.unlinked)
			}
		})
	}
}

// TestHARBadUploads: every upload that holds no readable HAR gets a clear
// answer, on the form (the form again, with the error) and in the API.
func TestHARBadUploads(t *testing.T) {
	tests := []struct {
		name    string
		req     func(path string) *http.Request
		status  int
		code    string
		message string
	}{
		{"not JSON", func(p string) *http.Request { return multipartHAR(t, p, "x.har", []byte("hello")) }, 400, "invalid_har", "not valid JSON"},
		{"JSON but no HAR", func(p string) *http.Request { return multipartHAR(t, p, "x.har", []byte(`{"a":1}`)) }, 400, "invalid_har", `no "log" object`},
		{"no file", func(p string) *http.Request { return multipartHAR(t, p, "", nil) }, 400, "invalid_har", "no file was uploaded"},
		{"wrong media type", func(p string) *http.Request {
			r := httptest.NewRequest("POST", p, strings.NewReader("{}"))
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, 415, "unsupported_media_type", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore()
			rec := httptest.NewRecorder()
			APICreateHAR(discard(), m, DefaultSettings)(rec, tc.req("/api/v1/har"))
			var e struct {
				Error struct {
					Status  int    `json:"status"`
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.message) {
				t.Errorf("API: %d %s %q, want %d %s containing %q", rec.Code, e.Error.Code, e.Error.Message, tc.status, tc.code, tc.message)
			}
			rec = httptest.NewRecorder()
			CreateHAR(discard(), m, DefaultSettings, 50<<20)(rec, tc.req("/har"))
			if rec.Code != tc.status {
				t.Errorf("form: status %d, want %d", rec.Code, tc.status)
			}
			if tc.status == 400 {
				if got := text(testid(doc(t, rec), "har-error")); !strings.Contains(got, tc.message) {
					t.Errorf("form error = %q, want it to contain %q", got, tc.message)
				}
			}
			if len(m.rows) != 0 {
				t.Errorf("stored %d diagnoses from a bad upload", len(m.rows))
			}
		})
	}
}

// TestShowHARUpload: the page says what it does, why, and what is
// redacted, and its form posts the file to /har.
func TestShowHARUpload(t *testing.T) {
	rec := httptest.NewRecorder()
	ShowHARUpload(discard(), 50<<20)(rec, httptest.NewRequest("GET", "/har", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	d := doc(t, rec)
	form := testid(d, "har-form")
	if a, _ := form.Attr("action"); a != "/har" {
		t.Errorf("form action = %q", a)
	}
	if e, _ := form.Attr("enctype"); e != "multipart/form-data" {
		t.Errorf("form enctype = %q", e)
	}
	if got := text(testid(d, "har-why")); !strings.Contains(got, "private network") || !strings.Contains(got, "real cookies") {
		t.Errorf("why = %q", got)
	}
	if got := text(testid(d, "har-intro")); !strings.Contains(got, "sends nothing") {
		t.Errorf("intro = %q", got)
	}
	if got := text(testid(d, "har-secrets")); !strings.Contains(got, "Set-Cookie") || !strings.Contains(got, "Authorization") {
		t.Errorf("secrets = %q", got)
	}
	if !strings.Contains(text(form), "Up to 50 MB") {
		t.Errorf("form does not state the limit: %q", text(form))
	}
}

// in finds the elements with data-testid id inside s.
func in(s *goquery.Selection, id string) *goquery.Selection {
	return s.Find(`[data-testid="` + id + `"]`)
}

// TestHomeLinksToHAR: the home page sends people whose endpoint a shared
// corsdoctor must not reach to the HAR upload.
func TestHomeLinksToHAR(t *testing.T) {
	rec := httptest.NewRecorder()
	Home(discard(), newMemStore(), DefaultSettings)(rec, httptest.NewRequest("GET", "/", nil))
	link := testid(doc(t, rec), "har-link")
	if href, _ := link.Find("a").Attr("href"); href != "/har" || !strings.Contains(text(link), "sends nothing") {
		t.Errorf("home's HAR link = %q (%q)", href, text(link))
	}
}

// brokenBody fails after its data, as an upload whose connection is cut.
type brokenBody struct{ data string }

func (b *brokenBody) Read(p []byte) (int, error) {
	if b.data == "" {
		return 0, errors.New("connection reset by peer")
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// TestHARUploadCut: an upload cut short is the client's 400, not a 500.
func TestHARUploadCut(t *testing.T) {
	logger, logs := bufLogger()
	req := httptest.NewRequest("POST", "/api/v1/har", &brokenBody{data: `{"log":{"entries":[`})
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	APICreateHAR(logger, newMemStore(), DefaultSettings)(rec, req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "the upload was cut short: connection reset by peer") {
		t.Errorf("status %d: %s", rec.Code, rec.Body)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a cut upload was logged as an error: %s", logs)
	}
}
