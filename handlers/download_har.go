package handlers

import (
	"log/slog"
	"net/http"

	"corsdoctor/export"
)

// DownloadHAR handles "GET /d/{id}/har": the diagnosis's exchanges as a
// HAR 1.2 file, which browser devtools open (Network panel, import).
func DownloadHAR(logger *slog.Logger, st Store, set Settings) http.HandlerFunc {
	set = set.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := getDiagnosis(r, st, set)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		title := "corsdoctor diagnosis " + d.ID + ": " + d.Report.Request.Method + " " + d.Report.Request.URL
		// The ID is lower-case base32, so it is safe in a filename as is.
		w.Header().Set("Content-Disposition", `attachment; filename="corsdoctor-`+d.ID+`.har"`)
		writeJSON(w, http.StatusOK, export.BuildHAR(&d.Report, title))
	}
}
