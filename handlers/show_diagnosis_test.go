package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

func getDiagnosisPage(t *testing.T, m *memStore, set Settings, id string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	req := withPath(httptest.NewRequest("GET", "/d/"+id, nil), "id", id)
	ShowDiagnosis(discard(), m, set)(rec, req)
	return rec
}

func TestShowDiagnosisBlocked(t *testing.T) {
	m := newMemStore()
	d := store.Diagnosis{Report: *blockedPreflight(t)}
	if err := m.Create(t.Context(), &d, []string{"X-Api-Key"}); err != nil {
		t.Fatal(err)
	}
	rec := getDiagnosisPage(t, m, DefaultSettings, d.ID)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	page := doc(t, rec)

	if got := text(testid(page, "headline")); got != "Firefox and Chromium block this request" {
		t.Errorf("headline = %q", got)
	}
	for _, b := range []string{"firefox", "chromium"} {
		card := testid(page, "verdict-"+b)
		if got := text(card.Find(`[data-testid="outcome"]`)); got != "✕ Blocked" {
			t.Errorf("%s outcome = %q", b, got)
		}
		want := d.Report.Summary.Firefox
		if b == "chromium" {
			want = d.Report.Summary.Chromium
		}
		if got := text(card.Find(`[data-testid="summary"]`)); got != want || want == "" {
			t.Errorf("%s summary = %q, want %q", b, got, want)
		}
	}
	if got := text(testid(page, "redacted")); !strings.Contains(got, "Authorization and X-Api-Key") {
		t.Errorf("redacted notice = %q", got)
	}
	if strings.Contains(rec.Body.String(), "s3cret") || strings.Contains(rec.Body.String(), "k-123") {
		t.Error("a secret value reached the page")
	}

	// The first finding is the failure, with both console lines exactly as
	// the engine wrote them, a link to its reason page and to the raw line.
	findings := testid(page, "finding")
	if findings.Length() == 0 {
		t.Fatal("no findings")
	}
	first := findings.First()
	if sev, _ := first.Attr("data-severity"); sev != "error" {
		t.Errorf("first finding severity = %q", sev)
	}
	var f diagnose.Finding
	for _, x := range d.Report.Findings {
		if x.Severity == diagnose.SeverityError {
			f = x
			break
		}
	}
	lines := first.Find(".console-text")
	if got := lines.Eq(0).Text(); got != f.Console.Firefox {
		t.Errorf("Firefox line = %q, want %q", got, f.Console.Firefox)
	}
	if got := lines.Eq(1).Text(); got != f.Console.Chromium {
		t.Errorf("Chromium line = %q, want %q", got, f.Console.Chromium)
	}
	if href, _ := first.Find(`[data-testid="finding-reason-link"]`).Attr("href"); href != "/reasons/"+f.Reason {
		t.Errorf("reason link = %q, want /reasons/%s", href, f.Reason)
	}
	if href, _ := first.Find(`[data-testid="finding-doc"]`).Attr("href"); href != f.Doc || !strings.HasPrefix(href, "https://developer.mozilla.org/") {
		t.Errorf("MDN link = %q, want %q", href, f.Doc)
	}
	lineHref, _ := first.Find(`[data-testid="finding-line-link"]`).Attr("href")
	if lineHref == "" {
		t.Fatal("the finding does not link to the offending line")
	}
	target := page.Find(lineHref)
	if !target.HasClass("offending") {
		t.Errorf("%s is not marked offending", lineHref)
	}
	if !strings.Contains(text(target), f.Header) {
		t.Errorf("offending line %q does not name %s", text(target), f.Header)
	}
	if got := text(first.Find(`[data-testid="finding-fix"]`)); got == "" {
		t.Error("no fix")
	}

	// Timeline: the failed preflight, then the request that is never sent.
	steps := testid(page, "step")
	if steps.Length() != 2 {
		t.Fatalf("%d steps, want 2", steps.Length())
	}
	if !steps.Eq(0).HasClass("fail") || !strings.Contains(text(steps.Eq(0)), "Preflight") {
		t.Errorf("step 1 = %q", text(steps.Eq(0)))
	}
	if !steps.Eq(1).HasClass("skipped") || !strings.Contains(text(steps.Eq(1)), "not sent") {
		t.Errorf("step 2 = %q", text(steps.Eq(1)))
	}
	if n := steps.Eq(0).Find(`[data-testid="check"][data-passed="false"]`).Length(); n == 0 {
		t.Error("no failed check in the preflight step")
	}

	if got := text(testid(page, "js-firefox").Find(`[data-testid="js-error"]`)); got != "TypeError: NetworkError when attempting to fetch resource." {
		t.Errorf("Firefox JS error = %q", got)
	}
	if got := text(testid(page, "js-chromium").Find(`[data-testid="js-error"]`)); got != "TypeError: Failed to fetch" {
		t.Errorf("Chromium JS error = %q", got)
	}

	curlPre := testid(page, "curl-preflight").Text()
	if !strings.HasPrefix(curlPre, "curl -i -X OPTIONS 'http://api.test/items'") || !strings.Contains(curlPre, "-H 'Origin: https://app.test'") {
		t.Errorf("preflight curl = %q", curlPre)
	}
	curlActual := testid(page, "curl-actual").Text()
	if !strings.Contains(curlActual, "-X PUT") || !strings.Contains(curlActual, "-H 'Authorization: [redacted]'") {
		t.Errorf("actual curl = %q", curlActual)
	}
	if got := testid(page, "fetch-snippet").Text(); !strings.Contains(got, `method: "PUT"`) {
		t.Errorf("fetch = %q", got)
	}
	if href, _ := testid(page, "download-har").Attr("href"); href != "/d/"+d.ID+"/har" {
		t.Errorf("HAR link = %q", href)
	}
	if href, _ := testid(page, "rerun").Attr("href"); href != "/?from="+d.ID {
		t.Errorf("re-run link = %q", href)
	}
	if got, _ := testid(page, "share-link").Attr("data-copy-text"); got != "http://example.com/d/"+d.ID {
		t.Errorf("share URL = %q", got)
	}
	if got := text(testid(page, "engine")); got != "engine "+d.Report.Engine {
		t.Errorf("engine = %q", got)
	}
	if testid(page, "exchange").Length() != len(d.Report.Exchanges) {
		t.Errorf("%d exchanges shown, want %d", testid(page, "exchange").Length(), len(d.Report.Exchanges))
	}
}

func TestShowDiagnosisAllowed(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *allowedGET(t)})
	page := doc(t, getDiagnosisPage(t, m, DefaultSettings, id))
	if got := text(testid(page, "headline")); got != "Firefox and Chromium allow this request" {
		t.Errorf("headline = %q", got)
	}
	js := testid(page, "js-chromium")
	if got := text(js.Find(`[data-testid="js-status"]`)); got != "200 OK" {
		t.Errorf("status = %q", got)
	}
	if got := text(js.Find(`[data-testid="js-readable"]`)); !strings.Contains(got, "content-type: application/json") {
		t.Errorf("readable = %q", got)
	}
	if got := text(js.Find(`[data-testid="js-hidden"]`)); !strings.Contains(got, "x-internal") {
		t.Errorf("hidden = %q", got)
	}
	if testid(page, "curl-preflight").Length() != 0 {
		t.Error("a simple request shows a preflight curl")
	}
	if testid(page, "redacted").Length() != 0 {
		t.Error("redacted notice without redactions")
	}
}

// TestShowDiagnosisHostile checks that whatever a target sends renders as
// inert text: no element, attribute or script comes from its headers.
func TestShowDiagnosisHostile(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *hostile(t)})
	rec := getDiagnosisPage(t, m, DefaultSettings, id)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	body := rec.Body.String()
	page := doc(t, rec)
	if n := page.Find("script").Length(); n != 1 {
		t.Errorf("%d script elements, want only app.js", n)
	}
	if n := page.Find("img, style").Length(); n != 0 {
		t.Errorf("%d injected img/style elements", n)
	}
	page.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
				t.Errorf("<%s> has attribute %s=%q", goquery.NodeName(s), a.Key, a.Val)
			}
		}
	})
	for _, raw := range []string{"\x1b", "\x00", "\x07", "\u202e"} {
		if strings.Contains(body, raw) {
			t.Errorf("raw %q reached the page", raw)
		}
	}
	if !strings.Contains(text(page.Find(".hline").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), "X-Evil")
	})), `\x1b[31m\x00\x07`) {
		t.Error("control bytes are not shown as escapes")
	}
	if len(body) > 200<<10 {
		t.Errorf("page is %d bytes: the 1 MiB value was not cut", len(body))
	}
	if !strings.Contains(body, "more bytes not shown") {
		t.Error("no truncation note for the 1 MiB value")
	}
	if got := text(page.Find(`[data-testid="offending-line"]`)); !strings.Contains(got, `<script>alert(1)</script>"onerror=alert(2)`) {
		t.Errorf("offending line = %q, want the value as text", got)
	}
}

func TestShowDiagnosisNotFound(t *testing.T) {
	m := newMemStore()
	old := store.Diagnosis{Report: *allowedGET(t), CreatedAt: time.Now().Add(-31 * 24 * time.Hour)}
	oldID := m.put(old)
	for name, id := range map[string]string{"unknown": "aaaaaaaaaaaaaaaaaaaaaaaaaa", "malformed": "../etc", "expired": oldID} {
		t.Run(name, func(t *testing.T) {
			rec := getDiagnosisPage(t, m, DefaultSettings, id)
			if rec.Code != http.StatusNotFound {
				t.Fatalf("status = %d, want 404", rec.Code)
			}
			page := doc(t, rec)
			if got := text(testid(page, "error-title")); got != "Diagnosis not found" {
				t.Errorf("title = %q", got)
			}
			if got := text(testid(page, "error-message")); !strings.Contains(got, "expired") {
				t.Errorf("message = %q", got)
			}
		})
	}
}

func TestDownloadHAR(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *blockedPreflight(t)})
	rec := httptest.NewRecorder()
	DownloadHAR(discard(), m, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/d/"+id+"/har", nil), "id", id))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	if got := rec.Header().Get("Content-Disposition"); got != `attachment; filename="corsdoctor-`+id+`.har"` {
		t.Errorf("Content-Disposition = %q", got)
	}
	var har struct {
		Log struct {
			Version string
			Creator struct{ Name string }
			Entries []struct {
				Request  struct{ Method string }
				Response struct{ Status int }
			}
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &har); err != nil {
		t.Fatalf("HAR is not JSON: %v", err)
	}
	if har.Log.Version != "1.2" || har.Log.Creator.Name != "corsdoctor" || len(har.Log.Entries) != 1 ||
		har.Log.Entries[0].Request.Method != "OPTIONS" || har.Log.Entries[0].Response.Status != 204 {
		t.Errorf("HAR = %+v", har.Log)
	}
	rec = httptest.NewRecorder()
	DownloadHAR(discard(), m, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/d/x/har", nil), "id", "x"))
	if rec.Code != http.StatusNotFound {
		t.Errorf("unknown id: status = %d, want 404", rec.Code)
	}
}
