package handlers

import (
	"log/slog"
	"net/http"

	"corsdoctor/templates"
)

// ShowHARUpload handles "GET /har": the HAR upload form.
func ShowHARUpload(logger *slog.Logger, maxBytes int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		render(w, r, logger, http.StatusOK, templates.HARUploadPage(harUploadView(maxBytes, "")))
	}
}

func harUploadView(maxBytes int64, msg string) templates.HARUploadView {
	return templates.HARUploadView{MaxMB: int(maxBytes >> 20), MaxLinks: MaxHARLinks, Error: msg}
}
