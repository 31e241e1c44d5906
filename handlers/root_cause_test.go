package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
	"corsdoctor/remedy"
	"corsdoctor/store"
	"corsdoctor/templates"
)

// authPreflight is a PUT whose preflight an authentication layer behind
// nginx answers 401 without any CORS header: a root cause that collapses.
func authPreflight(t testing.TB) *diagnose.Report {
	t.Helper()
	req := diagnose.Request{URL: testTarget, Origin: testOrigin, Method: "PUT",
		Headers: []diagnose.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer s3cret"}}}
	rep, err := diagnose.Evaluate(req, []diagnose.Exchange{
		exchange(diagnose.StepPreflight, "OPTIONS", resp(401, "WWW-Authenticate", "Bearer realm=\"api\"\x1b[2J", "Server", "nginx/1.24.0")),
	})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return rep
}

// redirectedPreflight is a PUT whose preflight is redirected: the checks
// after the redirect are not performed.
func redirectedPreflight(t testing.TB) *diagnose.Report {
	t.Helper()
	req := diagnose.Request{URL: testTarget, Origin: testOrigin, Method: "PUT"}
	rep, err := diagnose.Evaluate(req, []diagnose.Exchange{
		exchange(diagnose.StepPreflight, "OPTIONS", resp(301, "Location", "https://api.test/items")),
	})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return rep
}

// wildcardCredentials is a credentialed GET a server answers with "*":
// the fix is in the page's fetch().
func wildcardCredentials(t testing.TB) *diagnose.Report {
	t.Helper()
	req := diagnose.Request{URL: testTarget, Origin: testOrigin, Credentials: diagnose.CredentialsInclude}
	rep, err := diagnose.Evaluate(req, []diagnose.Exchange{
		exchange(diagnose.StepActual, "GET", resp(200, "Access-Control-Allow-Origin", "*", "Content-Type", "application/json")),
	})
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return rep
}

func showPage(t *testing.T, h http.HandlerFunc, id, query string) *httptest.ResponseRecorder {
	t.Helper()
	target := "/d/" + id
	if query != "" {
		target += "?" + query
	}
	rec := httptest.NewRecorder()
	h(rec, withPath(httptest.NewRequest("GET", target, nil), "id", id))
	return rec
}

func texts(s *goquery.Selection) []string {
	var out []string
	s.Each(func(_ int, e *goquery.Selection) { out = append(out, text(e)) })
	return out
}

// TestRootCauseBox checks the "Fix this first" box of a diagnosis whose
// preflight an authentication layer answers: the root cause, the evidence,
// the detected stack and its fix, and the failed checks folded under it
// instead of red cards.
func TestRootCauseBox(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *authPreflight(t)})
	rep := authPreflight(t)
	rc := rep.RootCause
	if rc == nil || !rc.Collapses || rc.Stack.ID != remedy.Nginx {
		t.Fatalf("fixture: root cause %+v", rc)
	}
	rec := showPage(t, ShowDiagnosis(discard(), m, DefaultSettings), id, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	page := doc(t, rec)
	box := testid(page, "root-cause")
	if box.Length() != 1 {
		t.Fatalf("%d root-cause boxes", box.Length())
	}
	if id, _ := box.Attr("id"); id != templates.RootCauseID {
		t.Errorf("box id = %q", id)
	}
	// The box comes right after the verdict, before the findings.
	if !box.Prev().Is(`[data-testid="verdict"]`) {
		t.Errorf("the box follows %q, want the verdict", box.Prev().AttrOr("data-testid", ""))
	}
	if got := text(testid(page, "rc-summary")); got != rc.Summary {
		t.Errorf("summary = %q, want %q", got, rc.Summary)
	}
	layer := testid(page, "rc-layer")
	if l, _ := layer.Attr("data-layer"); l != diagnose.LayerAuth || text(layer) != "refused by the authentication layer" {
		t.Errorf("layer = %q %q", l, text(layer))
	}
	ev := texts(testid(page, "rc-evidence").Find("li"))
	if len(ev) != len(rc.Evidence) {
		t.Fatalf("evidence %q, want %d items", ev, len(rc.Evidence))
	}
	if !slices.Contains(ev, `WWW-Authenticate: Bearer realm="api"\x1b[2J`) {
		t.Errorf("evidence does not show the escape as text: %q", ev)
	}
	if strings.Contains(rec.Body.String(), "\x1b") {
		t.Error("a raw escape byte reached the page")
	}

	// The stack: detected, with its confidence and evidence, verified.
	if got := testid(page, "rc-stack").AttrOr("data-stack", ""); got != "nginx" {
		t.Errorf("data-stack = %q", got)
	}
	if got := text(testid(page, "rc-stack-name")); got != "nginx" {
		t.Errorf("stack name = %q", got)
	}
	if got := text(testid(page, "rc-confidence")); got != "medium confidence" {
		t.Errorf("confidence = %q", got)
	}
	if got := texts(testid(page, "rc-stack-evidence").Find("li")); !slices.Equal(got, rc.Stack.Evidence) {
		t.Errorf("stack evidence = %q, want %q", got, rc.Stack.Evidence)
	}
	if testid(page, "rc-unverified").Length() != 0 || testid(page, "rc-stack-chosen").Length() != 0 {
		t.Error("a detected, verified stack is marked unverified or chosen")
	}

	// The picker: a GET form to the page itself, every stack, the current
	// one selected, the detected and unverified ones marked.
	form := testid(page, "stack-form")
	if m, _ := form.Attr("method"); m != "get" {
		t.Errorf("form method = %q", m)
	}
	if a, _ := form.Attr("action"); a != "/d/"+id {
		t.Errorf("form action = %q", a)
	}
	opts := testid(page, "stack-select").Find("option")
	if opts.Length() != len(remedy.Stacks()) {
		t.Errorf("%d options, want %d", opts.Length(), len(remedy.Stacks()))
	}
	if sel := testid(page, "stack-select").Find("option[selected]"); sel.Length() != 1 || sel.AttrOr("value", "") != "nginx" || text(sel) != "nginx — detected" {
		t.Errorf("selected option = %q %q", sel.AttrOr("value", ""), text(sel))
	}
	if got := text(testid(page, "stack-select").Find(`option[value="spring"]`)); got != "Spring (MVC + Security) — unverified" {
		t.Errorf("spring option = %q", got)
	}

	// The fix: steps, the snippet exactly, the notes.
	fix := testid(page, "rc-fix")
	if w, _ := fix.Attr("data-where"); w != "server" {
		t.Errorf("fix where = %q", w)
	}
	if got := texts(testid(page, "rc-steps").Find("li")); !slices.Equal(got, rc.Fix.Steps) || len(got) == 0 {
		t.Errorf("steps = %q, want %q", got, rc.Fix.Steps)
	}
	if got := testid(page, templates.FixSnippetID).Text(); got != rc.Fix.Snippet.Code || !strings.Contains(got, "add_header Access-Control-Allow-Origin") {
		t.Errorf("snippet = %q, want %q", got, rc.Fix.Snippet.Code)
	}
	if got := testid(page, templates.FixSnippetID).AttrOr("data-language", ""); got != "nginx" {
		t.Errorf("snippet language = %q", got)
	}
	if page.Find(`button[data-copy-target="`+templates.FixSnippetID+`"]`).Length() != 1 {
		t.Error("no copy button for the snippet")
	}
	if got := texts(testid(page, "rc-notes").Find("li")); !slices.Equal(got, rc.Fix.Notes) {
		t.Errorf("notes = %q, want %q", got, rc.Fix.Notes)
	}

	// Collapsed: every error at the preflight is one line under the box,
	// none is a red card, and only the printed one carries console lines.
	var atStep []diagnose.Finding
	for _, f := range rep.Findings {
		if f.Severity == diagnose.SeverityError && f.Step == rc.Step {
			atStep = append(atStep, f)
		}
	}
	col := testid(page, "collapsed-finding")
	if col.Length() != len(atStep) || len(atStep) < 2 {
		t.Fatalf("%d collapsed findings, want %d", col.Length(), len(atStep))
	}
	col.Each(func(i int, s *goquery.Selection) {
		f := atStep[i]
		if s.AttrOr("data-reason", "") != f.Reason {
			t.Errorf("collapsed %d = %q, want %q", i, s.AttrOr("data-reason", ""), f.Reason)
		}
		printed := s.Find(".console-text").Length() > 0
		if printed != (f.Role == "printed") {
			t.Errorf("collapsed %s (%s) shows console lines: %v", f.Reason, f.Role, printed)
		}
		if f.Role == "printed" && s.Find(".console-text").First().Text() != f.Console.Firefox {
			t.Errorf("printed console line = %q", s.Find(".console-text").First().Text())
		}
	})
	if n := page.Find(`[data-testid="finding"][data-severity="error"]`).Length(); n != 0 {
		t.Errorf("%d red finding cards for a collapsed root cause", n)
	}
	if got := text(testid(page, "findings-collapsed")); !strings.Contains(got, strconv.Itoa(len(atStep))+" failed checks at the preflight follow from one root cause") {
		t.Errorf("findings notice = %q", got)
	}
	if got := page.Find(`.toc a[href="#root-cause"]`).Length(); got != 1 {
		t.Errorf("table of contents links the box %d times", got)
	}
}

// TestRootCauseStackQuery re-explains a stored diagnosis for a chosen
// stack without probing: the snippet follows the choice, the share links
// keep it, unverified stacks say so, and each stack is its own cached page.
func TestRootCauseStackQuery(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *authPreflight(t)})
	gets := 0
	get := m.GetFn
	m.GetFn = func(ctx context.Context, id string) (*store.Diagnosis, error) {
		gets++
		return get(ctx, id)
	}
	h := ShowDiagnosis(discard(), m, DefaultSettings)
	want := diagnose.Explain(authPreflight(t), remedy.Spring)

	rec := showPage(t, h, id, "stack=spring")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	page := doc(t, rec)
	if got := testid(page, templates.FixSnippetID).Text(); got != want.Fix.Snippet.Code || !strings.Contains(got, "CorsConfiguration") {
		t.Errorf("snippet for spring = %q, want %q", got, want.Fix.Snippet.Code)
	}
	if got := text(testid(page, "rc-stack-name")); got != "Spring (MVC + Security)" {
		t.Errorf("stack = %q", got)
	}
	if got := text(testid(page, "rc-unverified")); got != "unverified" {
		t.Errorf("unverified mark = %q", got)
	}
	if got := text(testid(page, "rc-stack-chosen")); got != "your choice" {
		t.Errorf("chosen mark = %q", got)
	}
	if got := text(testid(page, "rc-detected")); got != "detected: nginx" {
		t.Errorf("detected = %q", got)
	}
	if testid(page, "rc-confidence").Length() != 0 {
		t.Error("a chosen stack shows a detection confidence")
	}
	if sel := testid(page, "stack-select").Find("option[selected]"); sel.AttrOr("value", "") != "spring" {
		t.Errorf("selected option = %q", sel.AttrOr("value", ""))
	}
	if got := testid(page, "share-link").AttrOr("data-copy-text", ""); got != "http://example.com/d/"+id+"?stack=spring" {
		t.Errorf("share link = %q", got)
	}
	if got := testid(page, "share-link").AttrOr("href", ""); got != "/d/"+id+"?stack=spring" {
		t.Errorf("share href = %q", got)
	}
	if got := testid(page, "json-link").AttrOr("href", ""); got != "/api/v1/diagnoses/"+id+"?stack=spring" {
		t.Errorf("JSON link = %q", got)
	}

	// Cached per stack: the same stack (any letter case) is a hit, the
	// default page is another entry with the detected stack's fix.
	if again := showPage(t, h, id, "stack=SPRING"); again.Body.String() != rec.Body.String() {
		t.Error("?stack=SPRING renders differently from ?stack=spring")
	}
	if gets != 1 {
		t.Errorf("%d store reads, want 1 (the second view is a cache hit)", gets)
	}
	plain := doc(t, showPage(t, h, id, ""))
	if gets != 2 {
		t.Errorf("%d store reads, want 2 (the default page is its own entry)", gets)
	}
	if got := plain.Find(`[data-testid="stack-select"] option[selected]`).AttrOr("value", ""); got != "nginx" {
		t.Errorf("default page stack = %q, want the detected nginx", got)
	}
	if got := testid(plain, "share-link").AttrOr("data-copy-text", ""); got != "http://example.com/d/"+id {
		t.Errorf("default share link = %q", got)
	}
	// Other query parameters and an empty stack are the default page, a
	// cache hit.
	if other := showPage(t, h, id, "stack=&utm_source=x"); other.Code != http.StatusOK || gets != 2 {
		t.Errorf("?stack=&utm_source=x: status %d, %d store reads, want 2", other.Code, gets)
	}
}

// TestRootCauseStackInvalid: an unknown ?stack= is a 400 that names every
// valid ID, for the page and the API, and never reaches the cache.
func TestRootCauseStackInvalid(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *authPreflight(t)})
	for _, q := range []string{"stack=bogus", "stack=" + strings.Repeat("x", 500), "stack=%ZZ"} {
		rec := showPage(t, ShowDiagnosis(discard(), m, DefaultSettings), id, q)
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("%s: status %d, want 400", q, rec.Code)
		}
		msg := text(testid(doc(t, rec), "error-message"))
		for _, s := range remedy.Stacks() {
			if !strings.Contains(msg, string(s.ID)) {
				t.Errorf("%s: the message does not name %s: %q", q, s.ID, msg)
			}
		}
		if len(msg) > 600 {
			t.Errorf("%s: message of %d bytes", q, len(msg))
		}
		if got := text(testid(doc(t, rec), "error-title")); got != "Check the stack" {
			t.Errorf("%s: title %q", q, got)
		}
	}

	rec := httptest.NewRecorder()
	APIGetDiagnosis(discard(), m, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/api/v1/diagnoses/"+id+"?stack=bogus", nil), "id", id))
	var body apiError
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusBadRequest || body.Error.Code != "invalid_input" || body.Error.Field != "stack" ||
		!strings.Contains(body.Error.Message, "valid stacks are nginx, apache") || !strings.Contains(body.Error.Message, "unknown") {
		t.Errorf("API: %d %+v", rec.Code, body.Error)
	}
}

// TestAPIGetDiagnosisStack: ?stack= returns the report with root_cause
// for that stack and a share link that keeps it; without it, the stored
// root cause.
func TestAPIGetDiagnosisStack(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *authPreflight(t)})
	get := func(query string) map[string]any {
		t.Helper()
		rec := httptest.NewRecorder()
		APIGetDiagnosis(discard(), m, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/api/v1/diagnoses/"+id+query, nil), "id", id))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", query, rec.Code, rec.Body)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	rcOf := func(doc map[string]any) map[string]any {
		return doc["report"].(map[string]any)["root_cause"].(map[string]any)
	}

	doc := get("?stack=Express-Cors")
	if doc["url"] != "http://example.com/d/"+id+"?stack=express-cors" {
		t.Errorf("url = %v", doc["url"])
	}
	rc := rcOf(doc)
	stack := rc["stack"].(map[string]any)
	if stack["id"] != "express-cors" || stack["chosen"] != true || stack["detected"] != "nginx" || stack["verified"] != true {
		t.Errorf("stack = %v", stack)
	}
	want := diagnose.Explain(authPreflight(t), remedy.ExpressCors)
	snippet := rc["fix"].(map[string]any)["snippet"].(map[string]any)
	if snippet["code"] != want.Fix.Snippet.Code || snippet["stack"] != "express-cors" {
		t.Errorf("snippet = %v", snippet)
	}
	if rc["summary"] != want.Summary || rc["layer"] != "authentication" || rc["collapses"] != true {
		t.Errorf("root cause = %v", rc)
	}

	doc = get("")
	if doc["url"] != "http://example.com/d/"+id {
		t.Errorf("url = %v", doc["url"])
	}
	if s := rcOf(doc)["stack"].(map[string]any); s["id"] != "nginx" || s["chosen"] != nil {
		t.Errorf("stored stack = %v", s)
	}
}

// TestFindingsPrintedAndFailsNext keeps the symptom apart from the checks
// that fail next: the printed error shows its console lines, the others
// are grouped under it without any.
func TestFindingsPrintedAndFailsNext(t *testing.T) {
	rep := blockedPreflight(t)
	if rep.RootCause == nil || rep.RootCause.Collapses {
		t.Fatalf("fixture: %+v", rep.RootCause)
	}
	var printed, next []string
	for _, f := range rep.Findings {
		switch f.Role {
		case "printed":
			printed = append(printed, f.Reason)
		case "fails-next":
			next = append(next, f.Reason)
		}
	}
	if len(printed) == 0 || len(next) == 0 {
		t.Fatalf("fixture: printed %q, fails next %q", printed, next)
	}
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *rep})
	page := doc(t, showPage(t, ShowDiagnosis(discard(), m, DefaultSettings), id, ""))

	reasons := func(s *goquery.Selection) []string {
		var out []string
		s.Each(func(_ int, e *goquery.Selection) { out = append(out, e.AttrOr("data-reason", "")) })
		return out
	}
	pc := testid(page, "findings-printed").Find(`[data-testid="finding"]`)
	if got := reasons(pc); !slices.Equal(got, printed) {
		t.Errorf("printed group = %q, want %q", got, printed)
	}
	pc.Each(func(_ int, s *goquery.Selection) {
		if s.Find(".console-text").Length() == 0 || s.AttrOr("data-role", "") != "printed" {
			t.Errorf("printed %s: no console lines or role %q", s.AttrOr("data-reason", ""), s.AttrOr("data-role", ""))
		}
	})
	group := testid(page, "findings-fails-next")
	if got := text(group.Find("h3").First()); !strings.HasPrefix(got, "Fails next, once this is fixed") {
		t.Errorf("group title = %q", got)
	}
	nc := group.Find(`[data-testid="finding"]`)
	if got := reasons(nc); !slices.Equal(got, next) {
		t.Errorf("fails-next group = %q, want %q", got, next)
	}
	if n := nc.Find(".console-text, [data-testid=finding-console]").Length(); n != 0 {
		t.Errorf("%d console lines on findings no browser prints", n)
	}
	if testid(page, "rc-collapsed").Length() != 0 || testid(page, "findings-collapsed").Length() != 0 {
		t.Error("a CORS-speaking root cause is collapsed")
	}
}

// TestTimelineNotChecked: checks after a redirected preflight read "not
// checked", never a tick.
func TestTimelineNotChecked(t *testing.T) {
	rep := redirectedPreflight(t)
	var notChecked []string
	for _, c := range rep.Exchanges[0].Checks {
		if c.NotChecked {
			notChecked = append(notChecked, c.Name)
		}
	}
	if len(notChecked) == 0 {
		t.Fatal("fixture: no check is marked not checked")
	}
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *rep})
	page := doc(t, showPage(t, ShowDiagnosis(discard(), m, DefaultSettings), id, ""))
	var got []string
	page.Find(`[data-testid="check"][data-state="not-checked"]`).Each(func(_ int, s *goquery.Selection) {
		got = append(got, text(s.Find(".check-name")))
		if icon := text(s.Find(".check-icon")); icon == "✓" || icon == "✕" {
			t.Errorf("%s shows %q", text(s.Find(".check-name")), icon)
		}
		if !strings.Contains(text(s), "not checked") || s.HasClass("pass") || s.HasClass("fail") {
			t.Errorf("not-checked row = %q (classes %q)", text(s), s.AttrOr("class", ""))
		}
	})
	if !slices.Equal(got, notChecked) {
		t.Errorf("not checked rows = %q, want %q", got, notChecked)
	}
	// The unknown stack's fix is raw headers, marked unverified.
	if got := text(testid(page, "rc-stack-name")); got != "Other server (raw headers)" {
		t.Errorf("stack = %q", got)
	}
	if testid(page, "rc-unverified").Length() != 1 {
		t.Error("the raw-headers fix is not marked unverified")
	}
	if got := text(testid(page, "rc-confidence")); got != "nothing recognisable detected" {
		t.Errorf("confidence = %q", got)
	}
	if got := text(testid(page, "rc-snippet-label")); got != "The response headers to send, for any server:" {
		t.Errorf("snippet label = %q", got)
	}
}

// TestRootCauseClientFix: when the page's fetch() must change, the box
// says so and the snippet is the changed fetch().
func TestRootCauseClientFix(t *testing.T) {
	rep := wildcardCredentials(t)
	if rep.RootCause == nil || rep.RootCause.Fix.Where != "client" {
		t.Fatalf("fixture: %+v", rep.RootCause)
	}
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *rep})
	page := doc(t, showPage(t, ShowDiagnosis(discard(), m, DefaultSettings), id, ""))
	if w := testid(page, "rc-fix").AttrOr("data-where", ""); w != "client" {
		t.Errorf("where = %q", w)
	}
	if got := text(testid(page, "rc-fix").Find("h3")); got != "The change to make, in the page's code" {
		t.Errorf("fix heading = %q", got)
	}
	if got := testid(page, templates.FixSnippetID).Text(); got != rep.RootCause.Fix.Snippet.Code || !strings.HasPrefix(got, "fetch(") {
		t.Errorf("snippet = %q", got)
	}
	if got := text(testid(page, "rc-layer")); got != "refused by the page's own request" {
		t.Errorf("layer = %q", got)
	}
	if testid(page, "rc-stack").Length() != 0 {
		t.Error("a fix in the page's fetch() offers server stacks")
	}
}

// TestRootCauseOldReport: a diagnosis stored before root causes existed
// gets its box computed from the stored report.
func TestRootCauseOldReport(t *testing.T) {
	rep := authPreflight(t)
	want := rep.RootCause.Summary
	rep.RootCause = nil
	for i := range rep.Findings {
		rep.Findings[i].Role = ""
	}
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *rep})
	page := doc(t, showPage(t, ShowDiagnosis(discard(), m, DefaultSettings), id, ""))
	if got := text(testid(page, "rc-summary")); got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if n := testid(page, "collapsed-finding").Length(); n < 2 {
		t.Errorf("%d collapsed findings", n)
	}
}

// TestAllowedHasNoBox: nothing refused and nothing will bite: no box.
func TestAllowedHasNoBox(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *allowedGET(t)})
	page := doc(t, showPage(t, ShowDiagnosis(discard(), m, DefaultSettings), id, "stack=nginx"))
	if testid(page, "root-cause").Length() != 0 {
		t.Error("an allowed request without warnings has a Fix this first box")
	}
}

func TestQueryValue(t *testing.T) {
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"", "", false},
		{"stack=nginx", "nginx", true},
		{"a=1&stack=rs-cors&stack=nginx", "rs-cors", true},
		{"stacks=nginx", "", false},
		{"stack", "", true},
		{"stack=go%2Dchi%2Dcors", "go-chi-cors", true},
		{"stack=+nginx+", " nginx ", true},
	}
	for _, tc := range tests {
		got, ok := queryValue(tc.raw, "stack")
		if got != tc.want || ok != tc.ok {
			t.Errorf("queryValue(%q) = %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
	if id, err := stackQuery("stack=+NGINX+"); err != nil || id != remedy.Nginx {
		t.Errorf("stackQuery(+NGINX+) = %q, %v", id, err)
	}
}

// TestShowDiagnosisCacheHitAllocs keeps a cached page's hot path free of
// allocations with and without ?stack=.
func TestShowDiagnosisCacheHitAllocs(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *authPreflight(t)})
	h := ShowDiagnosis(discard(), m, DefaultSettings)
	for _, q := range []string{"", "stack=spring"} {
		req := withPath(httptest.NewRequest("GET", "/d/"+id+"?"+q, nil), "id", id)
		if q == "" {
			req.URL.RawQuery = ""
		}
		w := &discardWriter{h: http.Header{}}
		h(w, req)
		allocs := testing.AllocsPerRun(50, func() {
			clear(w.h)
			h(w, req)
		})
		if allocs > 0 {
			t.Errorf("?%s: %.0f allocations per cache hit", q, allocs)
		}
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// TestAPICreateDiagnosisStack: "stack" in the create body stores and
// returns root_cause for that stack, and the share link keeps it; an
// unknown stack is an input error named with the others, before anything
// is probed.
func TestAPICreateDiagnosisStack(t *testing.T) {
	post := func(t *testing.T, m *memStore, p *fakeProber, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest("POST", "/api/v1/diagnoses", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		APICreateDiagnosis(discard(), p, m, DefaultSettings)(rec, req)
		return rec
	}
	probe := func(t *testing.T) *fakeProber {
		return &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) { return authPreflight(t), nil }}
	}

	t.Run("chosen", func(t *testing.T) {
		m, p := newMemStore(), probe(t)
		rec := post(t, m, p, `{"url": "http://api.test/items", "origin": "https://app.test", "method": "PUT", "stack": "Rack-Cors"}`)
		if rec.Code != http.StatusCreated {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		d := m.only(t)
		share := "http://example.com/d/" + d.ID + "?stack=rack-cors"
		if loc := rec.Header().Get("Location"); loc != share {
			t.Errorf("Location = %q, want %q", loc, share)
		}
		var out struct {
			URL    string          `json:"url"`
			HARURL string          `json:"har_url"`
			Report diagnose.Report `json:"report"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		if out.URL != share || out.HARURL != "http://example.com/d/"+d.ID+"/har" {
			t.Errorf("url %q, har_url %q", out.URL, out.HARURL)
		}
		want := diagnose.Explain(authPreflight(t), remedy.RackCors)
		for what, rc := range map[string]*diagnose.RootCause{"returned": out.Report.RootCause, "stored": d.Report.RootCause} {
			if rc == nil || rc.Stack.ID != remedy.RackCors || !rc.Stack.Chosen || rc.Stack.Detected != remedy.Nginx || rc.Stack.Verified ||
				rc.Fix.Snippet.Code != want.Fix.Snippet.Code || rc.Summary != want.Summary {
				t.Errorf("%s root cause = %+v", what, rc)
			}
		}
		// The page without ?stack= shows the stored choice.
		page := doc(t, showPage(t, ShowDiagnosis(discard(), m, DefaultSettings), d.ID, ""))
		if got := text(testid(page, "rc-stack-name")); got != "Rails / Rack (rack-cors)" || testid(page, "rc-stack-chosen").Length() != 1 {
			t.Errorf("page stack = %q", got)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		m, p := newMemStore(), probe(t)
		rec := post(t, m, p, `{"url": "http://api.test/items", "origin": "https://app.test/", "stack": "laravel"}`)
		var body apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusBadRequest || body.Error.Code != "invalid_input" {
			t.Fatalf("%d %+v", rec.Code, body.Error)
		}
		var fields []string
		for _, f := range body.Error.Fields {
			fields = append(fields, f.Field)
			if f.Field == "stack" && !strings.Contains(f.Message, `unknown stack "laravel": valid stacks are nginx, apache`) {
				t.Errorf("stack message = %q", f.Message)
			}
		}
		if !slices.Equal(fields, []string{"origin", "stack"}) {
			t.Errorf("fields = %q, want origin and stack", fields)
		}
		if len(p.calls) != 0 {
			t.Error("probed despite an unknown stack")
		}
	})
}
