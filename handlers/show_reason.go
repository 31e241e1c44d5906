package handlers

import (
	"log/slog"
	"net/http"

	"corsdoctor/diagnose"
	"corsdoctor/templates"
)

// ShowReason handles "GET /reasons/{id}": what one reason means, what the
// browsers print, common causes, the fix and the MDN page.
func ShowReason(logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ri, ok := diagnose.LookupReason(r.PathValue("id"))
		if !ok {
			writeError(w, r, logger, errReasonNotFound)
			return
		}
		render(w, r, logger, http.StatusOK, templates.ReasonPage(reasonView(ri)))
	}
}
