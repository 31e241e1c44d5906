package handlers

import (
	"log/slog"
	"net/http"
)

// APIGetDiagnosis handles "GET /api/v1/diagnoses/{id}": the stored
// diagnosis as JSON, or a JSON 404.
func APIGetDiagnosis(logger *slog.Logger, st Store, set Settings) http.HandlerFunc {
	set = set.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := getDiagnosis(r, st, set)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		writeJSON(w, http.StatusOK, newAPIDiagnosis(r, set, d))
	}
}
