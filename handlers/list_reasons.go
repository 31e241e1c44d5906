package handlers

import (
	"log/slog"
	"net/http"
	"net/url"

	"corsdoctor/diagnose"
	"corsdoctor/templates"
)

// ListReasons handles "GET /reasons": every reason corsdoctor can report.
func ListReasons(logger *slog.Logger) http.HandlerFunc {
	var v templates.ReasonsView
	for _, ri := range diagnose.Reasons() {
		v.Reasons = append(v.Reasons, reasonView(ri))
	}
	return func(w http.ResponseWriter, r *http.Request) {
		render(w, r, logger, http.StatusOK, templates.ReasonsPage(v))
	}
}

func reasonView(ri diagnose.ReasonInfo) templates.ReasonView {
	return templates.ReasonView{
		ID:       ri.ID,
		URL:      "/reasons/" + url.PathEscape(ri.ID),
		Title:    ri.Title,
		Summary:  ri.Summary,
		Severity: string(ri.Severity),
		Firefox:  ri.Firefox,
		Chromium: ri.Chromium,
		Safari:   ri.Safari,
		Causes:   ri.Causes,
		Fix:      ri.Fix,
		Doc:      safeLink(ri.Doc),
		Spec:     safeLink(ri.Spec),
	}
}
