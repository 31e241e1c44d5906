package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"corsdoctor/diagnose"
)

func getReasons(q string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	ListReasons(discard())(rec, httptest.NewRequest("GET", "/reasons?"+url.Values{"q": {q}}.Encode(), nil))
	return rec
}

// TestReasonSearch: a console line from any browser, or an ID, opens the
// reason it names; anything else keeps the list, with a notice.
func TestReasonSearch(t *testing.T) {
	cases := []struct {
		name, q, location string
	}{
		{"chromium", "Access to fetch at 'https://api.test/x' from origin 'https://app.test' has been blocked by CORS policy: Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.", "/reasons/CORSMethodNotFound?line="},
		{"firefox", "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.test/x. (Reason: CORS preflight response did not succeed). Status code: 401.", "/reasons/CORSPreflightDidNotSucceed?line="},
		{"safari", "[Error] Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.", "/reasons/CORSNotSupportingCredentials?line="},
		{"id in any case", "corsmissingalloworigin", "/reasons/CORSMissingAllowOrigin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := getReasons(tc.q)
			loc := rec.Header().Get("Location")
			if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, tc.location) {
				t.Fatalf("status %d, Location %q; want 303 to %s", rec.Code, loc, tc.location)
			}
			if strings.Contains(tc.location, "?line=") {
				u, _ := url.Parse(loc)
				if u.Query().Get("line") != tc.q {
					t.Errorf("line not carried: %q", loc)
				}
			} else if loc != tc.location {
				t.Errorf("Location %q, want %q", loc, tc.location)
			}
		})
	}
	rec := getReasons("my request fails")
	if rec.Code != 200 {
		t.Fatalf("no match: status %d", rec.Code)
	}
	d := doc(t, rec)
	if testid(d, "reason-no-match").Length() != 1 || testid(d, "reason-search").Find("textarea").Text() != "my request fails" {
		t.Error("no notice, or the text was lost")
	}
}

// TestReasonGroups: every reason once, under a heading, the most common
// browser error first, with a legend.
func TestReasonGroups(t *testing.T) {
	rec := getReasons("")
	d := doc(t, rec)
	seen := map[string]int{}
	d.Find("[data-reason]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-reason")
		seen[id]++
	})
	for _, ri := range diagnose.Reasons() {
		if seen[ri.ID] != 1 {
			t.Errorf("%s listed %d times", ri.ID, seen[ri.ID])
		}
	}
	first, _ := testid(d, "reason-group-browser-errors").Find("[data-reason]").First().Attr("data-reason")
	if first != "CORSMissingAllowOrigin" {
		t.Errorf("first reason %q", first)
	}
	testid(d, "reason-group-browser-errors").Find("[data-reason]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-reason")
		if ri, _ := diagnose.LookupReason(id); ri.Kind != "firefox" {
			t.Errorf("%s among the browser errors", id)
		}
	})
	testid(d, "reason-group-warnings").Find("[data-reason]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-reason")
		if ri, _ := diagnose.LookupReason(id); ri.Severity != diagnose.SeverityWarning {
			t.Errorf("%s among the warnings", id)
		}
	})
	if n := testid(d, "reason-legend").Find("dt").Length(); n != 3 {
		t.Errorf("legend has %d entries", n)
	}
}

func getReason(id, line string) *goquery.Document {
	target := "/reasons/" + id
	if line != "" {
		target += "?" + url.Values{"line": {line}}.Encode()
	}
	rec := httptest.NewRecorder()
	ShowReason(discard())(rec, withPath(httptest.NewRequest("GET", target, nil), "id", id))
	d, _ := goquery.NewDocumentFromReader(rec.Body)
	return d
}

// TestReasonPreflightWording: the page's Chromium preflight line is the
// line the engine prints when the preflight fails the same check.
func TestReasonPreflightWording(t *testing.T) {
	req := diagnose.Request{URL: testTarget, Origin: testOrigin, Method: "PUT"}
	rep, err := diagnose.Evaluate(req, []diagnose.Exchange{exchange(diagnose.StepPreflight, "OPTIONS", resp(204))})
	if err != nil {
		t.Fatal(err)
	}
	var engine string
	for _, f := range rep.Findings {
		if f.Reason == "CORSMissingAllowOrigin" && f.Role == "printed" {
			engine = f.Console.Chromium
		}
	}
	d := getReason("CORSMissingAllowOrigin", "")
	shown := strings.NewReplacer("<url>", testTarget, "<origin>", testOrigin).Replace(testid(d, "reason-chromium-preflight").Find("pre").Text())
	if engine == "" || shown != engine {
		t.Errorf("page shows %q\nengine prints %q", shown, engine)
	}
	if testid(getReason("CORSMethodNotFound", ""), "reason-chromium-preflight").Length() != 0 {
		t.Error("a preflight-only reason has a second preflight wording")
	}
}

// TestReasonDiagnoseLink: the link opens the form prefilled, from the
// pasted line when there is one.
func TestReasonDiagnoseLink(t *testing.T) {
	cases := []struct {
		id, line string
		want     url.Values
	}{
		{"CORSNotSupportingCredentials", "", url.Values{"credentials": {"include"}}},
		{"CORSMethodNotFound", "", url.Values{"method": {"PUT"}, "headers": {"Content-Type: application/json"}}},
		{"CORSMethodNotFound", "Access to fetch at 'https://api.test/x' from origin 'https://app.test' has been blocked by CORS policy: Method DELETE is not allowed by Access-Control-Allow-Methods in preflight response.",
			url.Values{"url": {"https://api.test/x"}, "origin": {"https://app.test"}, "method": {"DELETE"}}},
	}
	for _, tc := range cases {
		d := getReason(tc.id, tc.line)
		href, _ := testid(d, "reason-diagnose").Attr("href")
		u, err := url.Parse(href)
		if err != nil || u.Path != "/" {
			t.Fatalf("%s: link %q", tc.id, href)
		}
		if u.Query().Encode() != tc.want.Encode() {
			t.Errorf("%s: link query %q, want %q", tc.id, u.Query().Encode(), tc.want.Encode())
		}
		if tc.line != "" && testid(d, "reason-pasted").Find("pre").Text() != tc.line {
			t.Errorf("%s: pasted line not shown", tc.id)
		}
	}
}
