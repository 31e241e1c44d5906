package handlers

import (
	"log/slog"
	"net/http"

	"corsdoctor/diagnose"
	"corsdoctor/templates"
)

// ShowReason handles "GET /reasons/{id}": what one reason means, what the
// browsers print (Chromium's preflight wording too), common causes, the
// fix, the MDN page, and a link to the diagnose form prefilled for such a
// request. ?line= is the console line the search box matched: the page
// shows it and prefills the form from it.
func ShowReason(logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ri, ok := diagnose.LookupReason(r.PathValue("id"))
		if !ok {
			writeError(w, r, logger, errReasonNotFound)
			return
		}
		v := reasonView(ri)
		if line := r.URL.Query().Get("line"); line != "" {
			v.Pasted = clip(line, maxPastedLine)
			if q := pastedExample(v.Pasted); len(q) > 0 {
				v.DiagnoseURL = "/?" + q.Encode()
			}
		}
		render(w, r, logger, http.StatusOK, templates.ReasonPage(v))
	}
}
