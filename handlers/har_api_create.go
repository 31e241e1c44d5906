package handlers

import (
	"log/slog"
	"net/http"
)

// APICreateHAR handles "POST /api/v1/har": the body is a HAR file
// (Content-Type application/json), or a multipart form with the file in
// "har" (curl -F har=@file.har). It judges every cross-origin fetch from
// the recording, sending nothing, stores each judged one, and answers 200
// with the summary and one result per fetch (harOutcome). Errors are
// writeError's JSON: 400 invalid_har, 413 har_too_large, 415.
func APICreateHAR(logger *slog.Logger, st Store, set Settings) http.HandlerFunc {
	set = set.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		allowSlowUpload(w)
		body, _, err := harUpload(r)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		out, err := judgeHAR(r, logger, st, set, body)
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}
