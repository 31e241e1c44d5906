package handlers

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"corsdoctor/diagnose"
	"corsdoctor/importer"
)

// APIImport handles "POST /api/v1/import": the body is the pasted text,
// either as text/plain or as JSON {"text": "…"}; the answer is 200 with
// importer.Result ({"source", "request", "missing", "dropped", "reason",
// …}), whose "request" can be posted to /api/v1/diagnoses once the missing
// fields are filled. Text it cannot read is a 400 invalid_input on the
// field "text". Nothing is probed.
func APIImport(logger *slog.Logger) http.HandlerFunc {
	type input struct {
		Text string `json:"text"`
	}
	return func(w http.ResponseWriter, r *http.Request) {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || (mt != "application/json" && mt != "text/plain") {
			writeError(w, r, logger, errUnsupportedImportType)
			return
		}
		var text string
		if mt == "text/plain" {
			b, err := io.ReadAll(io.LimitReader(r.Body, importer.MaxInput+1))
			if err != nil {
				writeError(w, r, logger, err)
				return
			}
			text = string(b)
		} else {
			var in input
			dec := json.NewDecoder(r.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				var mb *http.MaxBytesError
				if errors.As(err, &mb) {
					writeError(w, r, logger, err)
					return
				}
				writeError(w, r, logger, badJSON(err))
				return
			}
			if _, err := dec.Token(); err != io.EOF {
				writeError(w, r, logger, badJSON(errors.New("unexpected data after the JSON object")))
				return
			}
			text = in.Text
		}
		res, err := importer.Parse(text)
		if err != nil {
			var ie *importer.Error
			if errors.As(err, &ie) {
				writeError(w, r, logger, &diagnose.InputError{Field: "text", Message: ie.Message, Hint: ie.Hint})
				return
			}
			writeError(w, r, logger, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// errUnsupportedImportType is a POST /api/v1/import that is neither text
// nor JSON.
var errUnsupportedImportType error = &clientError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
	title:   "Unsupported media type",
	message: "Send the pasted text as text/plain, or as application/json {\"text\": \"…\"}.",
	hint:    "Set Content-Type: text/plain or application/json."}
