package handlers

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"corsdoctor/diagnose"
)

// APICreateDiagnosis handles "POST /api/v1/diagnoses": the body is the
// CLI's JSON input (diagnose.Request's fields, plus "secret_headers" and
// "stack", the stack to write the fix for, which the share link then
// keeps); the answer is 201 with the stored diagnosis and a Location
// header. It creates
// the diagnosis through create, the path it shares with the form, and
// every failure is a JSON error from writeError.
func APICreateDiagnosis(logger *slog.Logger, p Prober, st Store, set Settings) http.HandlerFunc {
	type input struct {
		diagnose.Request
		// SecretHeaders names extra headers whose values must not be stored.
		SecretHeaders []string `json:"secret_headers,omitempty"`
		// Stack is the server stack to write root_cause's fix for
		// instead of the detected one; the share link then keeps it.
		Stack string `json:"stack,omitempty"`
	}
	set = set.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(w, r, logger, errUnsupportedMediaType)
			return
		}
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
		var secretErr error
		if _, err := parseSecretNames(strings.Join(in.SecretHeaders, ",")); err != nil {
			var ie *diagnose.InputError
			if errors.As(err, &ie) {
				ie.Field = "secret_headers" // the API's name for the form's "secret"
			}
			secretErr = err
		}
		stack, stackErr := parseStack(in.Stack)
		d, err := create(r, logger, p, st, set, newDiagnosis{req: in.Request, secret: in.SecretHeaders, inputErr: errors.Join(secretErr, stackErr), stack: stack})
		if err != nil {
			writeError(w, r, logger, err)
			return
		}
		out := newAPIDiagnosis(r, set, d)
		out.URL = withStack(out.URL, stack)
		w.Header().Set("Location", out.URL)
		writeJSON(w, http.StatusCreated, out)
	}
}
