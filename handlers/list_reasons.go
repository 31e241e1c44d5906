package handlers

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"corsdoctor/diagnose"
	"corsdoctor/importer"
	"corsdoctor/templates"
)

// maxPastedLine bounds the console line a reason page carries in its URL.
const maxPastedLine = 2000

// ListReasons handles "GET /reasons": every reason corsdoctor can report,
// under headings, the most common first. With ?q= (the search box: a
// console line from any browser, or an ID) it redirects (303) to the
// matching reason's page, carrying the line; text that names no reason
// shows the catalogue with a notice.
func ListReasons(logger *slog.Logger) http.HandlerFunc {
	groups := reasonGroups()
	return func(w http.ResponseWriter, r *http.Request) {
		v := templates.ReasonsView{Groups: groups}
		if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
			if id, line, ok := findReason(q); ok {
				target := "/reasons/" + url.PathEscape(id)
				if line {
					target += "?" + url.Values{"line": {clip(q, maxPastedLine)}}.Encode()
				}
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
			v.Query, v.NoMatch = q, true
		}
		render(w, r, logger, http.StatusOK, templates.ReasonsPage(v))
	}
}

// findReason is the reason a search names: an ID (any case), or the
// reason of a pasted console line (line is then true).
func findReason(q string) (id string, line, ok bool) {
	for _, ri := range diagnose.Reasons() {
		if strings.EqualFold(ri.ID, q) {
			return ri.ID, false, true
		}
	}
	id, _, ok = importer.MatchReason(q)
	return id, true, ok
}

// commonFirst orders the browsers' own reasons by how often people meet
// them (the peer survey's and MDN's traffic order): a missing header and a
// failed preflight lead, internal Firefox states come last.
var commonFirst = []string{
	"CORSMissingAllowOrigin", "CORSPreflightDidNotSucceed", "CORSMissingAllowHeaderFromPreflight",
	"CORSAllowOriginNotMatchingOrigin", "CORSNotSupportingCredentials", "CORSMissingAllowCredentials",
	"CORSMethodNotFound", "CORSMultipleAllowOriginNotAllowed", "CORSExternalRedirectNotAllowed",
	"CORSDidNotSucceed", "CORSRequestNotHttp", "CORSInvalidAllowHeader", "CORSInvalidAllowMethod",
	"CORSOriginHeaderNotAdded", "CORSDisabled",
}

// framingReasons are the reasons about how a response is framed or
// spelled (diagnose/framing.go).
var framingReasons = []string{
	"status-line-invalid", "header-nul", "content-length-conflict", "chunk-size-invalid", "interim-flood",
	"body-short", "body-stalled", "header-bare-cr", "header-space-before-colon", "allow-origin-lines-case",
	"header-obs-fold", "header-line-ignored",
}

// reasonGroups sorts the catalogue under its headings.
func reasonGroups() []templates.ReasonGroup {
	groups := []templates.ReasonGroup{
		{ID: "browser-errors", Title: "The browser blocks the response", Intro: "The errors Chromium, Firefox and Safari print in the console, named by Firefox's reason ID. The most common come first."},
		{ID: "redirects", Title: "Blocked by a redirect or the request's mode", Intro: "Failures Firefox has no reason ID for."},
		{ID: "framing", Title: "How the response is framed", Intro: "Malformed responses the browsers read differently; some block, some only change what JavaScript sees."},
		{ID: "warnings", Title: "Warnings: works today, will bite", Intro: "Allowed now, but fragile: caches, browser changes, permissions."},
		{ID: "notes", Title: "Notes", Intro: "Facts about the request that explain a verdict."},
	}
	for _, ri := range diagnose.Reasons() {
		v := reasonView(ri)
		i := 4
		switch {
		case ri.Kind == "firefox":
			i = 0
		case slices.Contains(framingReasons, ri.ID):
			i = 2
		case ri.Severity == diagnose.SeverityError:
			i = 1
		case ri.Severity == diagnose.SeverityWarning:
			i = 3
		}
		groups[i].Reasons = append(groups[i].Reasons, v)
	}
	rank := func(id string) int {
		if i := slices.Index(commonFirst, id); i >= 0 {
			return i
		}
		return len(commonFirst)
	}
	slices.SortStableFunc(groups[0].Reasons, func(a, b templates.ReasonView) int { return rank(a.ID) - rank(b.ID) })
	return groups
}

func reasonView(ri diagnose.ReasonInfo) templates.ReasonView {
	return templates.ReasonView{
		ID:                ri.ID,
		URL:               "/reasons/" + url.PathEscape(ri.ID),
		Title:             ri.Title,
		Summary:           ri.Summary,
		Severity:          string(ri.Severity),
		Firefox:           ri.Firefox,
		Chromium:          ri.Chromium,
		ChromiumPreflight: chromiumPreflightWording(ri),
		Safari:            ri.Safari,
		Causes:            ri.Causes,
		Fix:               ri.Fix,
		Doc:               safeLink(ri.Doc),
		Spec:              safeLink(ri.Spec),
		DiagnoseURL:       "/?" + reasonExample(ri.ID).Encode(),
	}
}

const (
	chromiumPrefix    = "Access to fetch at '<url>' from origin '<origin>' has been blocked by CORS policy: "
	chromiumPreflight = "Response to preflight request doesn't pass access control check: "
)

// chromiumPreflightWording is Chromium's line for a reason when the
// preflight fails it: Blink's kPreflight* errors put "Response to
// preflight request doesn't pass access control check: " before the same
// words. Only the checks of Access-Control-Allow-Origin and
// -Credentials run on both the preflight and the response; the others
// are preflight-only and already say so.
func chromiumPreflightWording(ri diagnose.ReasonInfo) string {
	switch ri.ID {
	case "CORSMissingAllowOrigin", "CORSAllowOriginNotMatchingOrigin", "CORSNotSupportingCredentials",
		"CORSMissingAllowCredentials", "CORSMultipleAllowOriginNotAllowed":
	default:
		return ""
	}
	body, ok := strings.CutPrefix(ri.Chromium, chromiumPrefix)
	if !ok || strings.HasPrefix(body, chromiumPreflight) {
		return ""
	}
	return chromiumPrefix + chromiumPreflight + body
}

// reasonExample is the diagnose form's query for a request that meets
// the reason: the method, headers and credentials its check is about.
func reasonExample(id string) url.Values {
	v := url.Values{}
	switch id {
	case "CORSNotSupportingCredentials", "CORSMissingAllowCredentials", "allow-origin-null":
		v.Set(fieldCreds, "include")
	case "CORSMethodNotFound", "CORSInvalidAllowMethod", "CORSPreflightDidNotSucceed", "CORSExternalRedirectNotAllowed", "silent-preflight-refusal":
		v.Set(fieldMethod, "PUT")
		v.Set(fieldHeaders, "Content-Type: application/json")
	case "CORSMissingAllowHeaderFromPreflight", "CORSInvalidAllowHeader":
		v.Set(fieldHeaders, "Content-Type: application/json\nX-Api-Key: 1234")
	case "authorization-wildcard":
		v.Set(fieldHeaders, "Authorization: Bearer token")
	case "disallowed-by-mode":
		v.Set(fieldMode, "same-origin")
	case "no-cors-opaque":
		v.Set(fieldMode, "no-cors")
	}
	return v
}

// pastedExample is the diagnose form's query for what a pasted console
// line says (URL, origin, method, headers, credentials), or nil.
func pastedExample(line string) url.Values {
	res, err := importer.Parse(line)
	if err != nil {
		return nil
	}
	f := formFromImport(res)
	v := url.Values{}
	for k, s := range map[string]string{fieldURL: f.URL, fieldOrigin: f.Origin, fieldMethod: f.Method, fieldHeaders: f.Headers, fieldCreds: f.Credentials, fieldMode: f.Mode} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}
