package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"corsdoctor/templates"
)

// CreateHAR handles "POST /har", the upload form's target (multipart,
// file field "har"): it judges every cross-origin fetch of the HAR from
// the recording, sending nothing, stores each judged one behind its own
// share link, and answers with the table of results (200). A file that
// is no HAR comes back as the form with the error, 400; one over the
// upload limit is a 413 page.
func CreateHAR(logger *slog.Logger, st Store, set Settings, maxBytes int64) http.HandlerFunc {
	set = set.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		allowSlowUpload(w)
		body, name, err := harUpload(r)
		var out *harOutcome
		if err == nil {
			out, err = judgeHAR(r, logger, st, set, body)
		}
		if err != nil {
			var ce *clientError
			if errors.As(err, &ce) && ce.field == "har" {
				render(w, r, logger, ce.status, templates.HARUploadPage(harUploadView(maxBytes, ce.message)))
				return
			}
			writeError(w, r, logger, err)
			return
		}
		render(w, r, logger, http.StatusOK, templates.HARResultsPage(harResultsView(name, out)))
	}
}

func harResultsView(name string, out *harOutcome) templates.HARResultsView {
	v := templates.HARResultsView{
		FileName: name, Browser: harBrowserLabel(out.Browser), Creator: out.Creator,
		Entries: out.Entries, NotCORS: out.NotCORS, Judged: out.Judged, Blocked: out.Blocked, Skipped: out.Skipped,
		Unlinked: out.Unlinked, MaxLinks: MaxHARLinks, Redacted: out.Redacted,
	}
	for _, row := range out.Results {
		rv := templates.HARRowView{
			Method: show(row.Method), URL: show(row.URL), Origin: show(row.Origin),
			Status: row.Status, Skip: row.Skip, Reason: row.Reason, Title: row.Title, Credentials: row.Credentials,
		}
		var nums, steps []string
		for _, e := range row.Entries {
			nums = append(nums, "#"+strconv.Itoa(e+1))
		}
		for _, s := range row.Steps {
			steps = append(steps, s.String())
		}
		rv.Entries = strings.Join(nums, ", ")
		rv.Steps = strings.Join(steps, " → ")
		if row.OriginFrom != "" {
			rv.OriginNote = "inferred from " + row.OriginFrom + " (the recording has no Origin header)"
		}
		if row.Verdict != nil {
			rv.Firefox, rv.Chromium = string(row.Verdict.Firefox), string(row.Verdict.Chromium)
		}
		if row.ID != "" {
			rv.Link = "/d/" + row.ID
		}
		if row.Reason != "" {
			rv.ReasonURL = "/reasons/" + row.Reason
		}
		v.Rows = append(v.Rows, rv)
	}
	return v
}

// harBrowserLabel names a harimport browser for people.
func harBrowserLabel(b string) string {
	switch b {
	case "chromium":
		return "Chromium"
	case "firefox":
		return "Firefox"
	case "safari":
		return "Safari"
	}
	return ""
}
