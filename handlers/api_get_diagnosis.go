package handlers

import (
	"log/slog"
	"net/http"
)

// APIGetDiagnosis handles "GET /api/v1/diagnoses/{id}": the stored
// diagnosis as JSON, or a JSON 404. ?stack=ID returns the report with its
// root_cause re-explained for that stack, without probing again, and a
// share link (url) that keeps the choice; an unknown ID is a 400
// invalid_input naming the valid ones.
func APIGetDiagnosis(logger *slog.Logger, st Store, set Settings) http.HandlerFunc {
	set = set.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		stack, err := stackQuery(r.URL.RawQuery)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		d, err := getDiagnosis(r, st, set)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		d.Report.RootCause = rootCauseFor(&d.Report, stack)
		out := newAPIDiagnosis(r, set, d)
		out.URL = withStack(out.URL, stack)
		writeJSON(w, http.StatusOK, out)
	}
}
