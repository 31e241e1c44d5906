package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"corsdoctor/diagnose"
	"corsdoctor/store"
	"corsdoctor/templates"
)

// clientError is a failure the client caused or must be told about in its
// own words: it carries the status, a stable code for the JSON API and the
// texts of the HTML page.
type clientError struct {
	status  int
	code    string
	title   string
	message string
	hint    string
	// field, when set, names the input the error is about: the API's
	// "field", and the form field CreateDiagnosis marks.
	field string
	// retryAfter, when set, is sent as Retry-After (whole seconds) unless
	// the caller already set a more precise one.
	retryAfter time.Duration
}

func (e *clientError) Error() string { return e.code + ": " + e.message }

// Errors the web middleware reports through Fail.
var (
	// ErrCrossOrigin is a POST from another site (the CSRF guard).
	ErrCrossOrigin error = &clientError{status: http.StatusForbidden, code: "cross_origin",
		title:   "Cross-site request refused",
		message: "corsdoctor only accepts form posts and API calls from its own pages, so another site cannot make it probe on your behalf.",
		hint:    "Open corsdoctor directly and submit the form there."}
	// ErrRateLimited means the client sent too many diagnoses too fast.
	ErrRateLimited error = &clientError{status: http.StatusTooManyRequests, code: "rate_limited",
		title:      "Too many diagnoses",
		message:    "You have started many diagnoses in a short time. Wait a minute and try again.",
		hint:       "Every diagnosis sends real requests to a real server, so this instance limits how many each client may run.",
		retryAfter: time.Minute}
	// ErrTooManyRunning means the client already has as many diagnoses
	// running as one client may (see web.Config.MaxProbesPerClient).
	ErrTooManyRunning error = &clientError{status: http.StatusTooManyRequests, code: "too_many_running",
		title:      "Your other diagnoses are still running",
		message:    "Several diagnoses from your address are still waiting for their targets. Nothing was sent for this one.",
		hint:       "Wait for one of them to finish (slow targets can take up to the probe timeout), then submit again.",
		retryAfter: 5 * time.Second}
	// ErrNotFound is an unknown route.
	ErrNotFound error = &clientError{status: http.StatusNotFound, code: "not_found",
		title:   "Page not found",
		message: "There is nothing at this address.",
		hint:    "Check the link, or start a new diagnosis."}
	// ErrMethodNotAllowed is a known route with the wrong method.
	ErrMethodNotAllowed error = &clientError{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
		title:   "Method not allowed",
		message: "This address does not accept that HTTP method."}
	// ErrTooLarge is a request body over the server's limit.
	ErrTooLarge error = &clientError{status: http.StatusRequestEntityTooLarge, code: "request_too_large",
		title:   "Request too large",
		message: "The request body is larger than corsdoctor accepts.",
		hint:    "Shorten the request body or the headers."}

	errDiagnosisNotFound = &clientError{status: http.StatusNotFound, code: "not_found",
		title:   "Diagnosis not found",
		message: "This diagnosis does not exist, or it has expired and was deleted.",
		hint:    "Diagnoses are kept for a limited time. Run it again to get a fresh one; the new link works for your teammates too."}
	errReasonNotFound = &clientError{status: http.StatusNotFound, code: "not_found",
		title:   "Unknown reason",
		message: "corsdoctor knows no reason by that name.",
		hint:    "See the list of reasons."}
	errProbeTimeout = &clientError{status: http.StatusGatewayTimeout, code: "probe_timeout",
		title:   "The target took too long",
		message: "The diagnosis did not finish in time: the target answered too slowly or redirected too often."}
	errUnsupportedMediaType = &clientError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
		title:   "Unsupported media type",
		message: "Send the request as JSON with Content-Type: application/json."}
)

// storageUnavailable is the answer when the diagnosis database fails: 503,
// naming the database by its file's base name (never the absolute path)
// and saying what could not be done. A failed write stored nothing.
func storageUnavailable(ue *store.UnavailableError) *clientError {
	db := "The diagnosis database"
	if ue.Name != "" {
		db += " (" + ue.Name + ")"
	}
	ce := &clientError{status: http.StatusServiceUnavailable, code: "storage_unavailable",
		title: "The diagnosis database is unavailable",
		hint:  "This is a fault of this corsdoctor server, not of your request. Try again later; if it persists, tell the server's operator."}
	if ue.Op == store.OpRead {
		ce.message = db + " cannot be read, so this diagnosis cannot be shown right now."
	} else {
		ce.message = db + " cannot be written, so nothing was stored: this diagnosis has no link."
	}
	return ce
}

// Busy is the answer when every probe slot stayed taken for wait: 503
// with Retry-After, since nothing was sent to the target and the same
// request may well succeed a few seconds later.
func Busy(wait time.Duration) error {
	return &clientError{status: http.StatusServiceUnavailable, code: "busy",
		title:      "corsdoctor is busy",
		message:    fmt.Sprintf("This corsdoctor is running as many diagnoses at once as it allows, and none finished within %s. Nothing was sent to your target.", secondsText(wait)),
		hint:       "Wait a few seconds and submit again.",
		retryAfter: wait}
}

// secondsText writes a short wait in words: "1 second", "5 seconds".
func secondsText(d time.Duration) string {
	n := retryAfterSeconds(d)
	if n == 1 {
		return "1 second"
	}
	return strconv.Itoa(n) + " seconds"
}

// retryAfterSeconds rounds d up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// badJSON wraps a JSON decoding problem as a 400 with the decoder's words.
func badJSON(err error) error {
	return &clientError{status: http.StatusBadRequest, code: "invalid_json",
		title: "Invalid JSON", message: "The request body is not valid JSON for this endpoint: " + err.Error()}
}

// Fail returns a handler that answers with err, through writeError; the
// web middleware uses it for the refusals it decides itself.
func Fail(logger *slog.Logger, err error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, logger, err)
	}
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Hint    string `json:"hint,omitempty"`
	Ref     string `json:"ref,omitempty"`
	// Fields lists every wrong field when there are several; the
	// top-level field, message and hint are the first of them.
	Fields []apiFieldError `json:"fields,omitempty"`
}

type apiFieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// writeError is the one place errors become responses: input errors are
// 400, the clientErrors say their own status, a storage failure is a 503
// storage_unavailable (logged here, once: the operator must act), a client
// that went away gets nothing, and everything else is a 500 "Internal
// error" that is logged here, once, with a reference the page shows. API
// paths get JSON; the rest get the friendly HTML page.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	body := apiErrorBody{Status: http.StatusInternalServerError, Code: "internal", Message: "Internal error"}
	view := templates.ErrorView{Status: http.StatusInternalServerError, Title: "Something went wrong",
		Message: "Internal error: corsdoctor failed to handle this request. It has been logged."}

	var (
		ie *diagnose.InputError
		ce *clientError
		mb *http.MaxBytesError
		ue *store.UnavailableError
	)
	switch {
	case errors.As(err, &mb):
		ce = ErrTooLarge.(*clientError)
	case errors.Is(err, store.ErrNotFound):
		ce = errDiagnosisNotFound
	case errors.As(err, &ue):
		ce = storageUnavailable(ue)
		// No path: it holds diagnosis ids, which are capabilities.
		logger.ErrorContext(r.Context(), "storage unavailable", "method", r.Method, "op", ue.Op, "error", err)
	case errors.Is(err, context.DeadlineExceeded):
		ce = errProbeTimeout
	default:
		errors.As(err, &ce)
	}
	switch {
	case errors.As(err, &ie):
		body = apiErrorBody{Status: http.StatusBadRequest, Code: "invalid_input", Message: ie.Message, Field: ie.Field, Hint: ie.Hint}
		if all := diagnose.InputErrors(err); len(all) > 1 {
			for _, e := range all {
				body.Fields = append(body.Fields, apiFieldError{Field: e.Field, Message: e.Message, Hint: e.Hint})
			}
		}
		view = templates.ErrorView{Status: http.StatusBadRequest, Title: "Check the " + ie.Field, Message: ie.Message, Hint: ie.Hint}
	case ce != nil:
		body = apiErrorBody{Status: ce.status, Code: ce.code, Message: ce.message, Field: ce.field, Hint: ce.hint}
		view = templates.ErrorView{Status: ce.status, Title: ce.title, Message: ce.message, Hint: ce.hint}
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer and it is not our bug.
		w.WriteHeader(499)
		return
	default:
		ref := newRef()
		body.Ref = ref
		view.RequestID = ref
		logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "ref", ref, "error", err)
	}

	if ce != nil && ce.retryAfter > 0 && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(ce.retryAfter)))
	}
	if body.Status == http.StatusMethodNotAllowed && w.Header().Get("Allow") == "" {
		w.Header().Set("Allow", "GET, HEAD")
	}
	if wantsJSON(r) {
		writeJSON(w, body.Status, apiError{Error: body})
		return
	}
	renderFallback(w, r, logger, body.Status, templates.ErrorPage(view))
}

// logTargetRefused records, once, that the target policy refused a
// diagnosis: the answer is an ordinary 400 that writeError does not log,
// but an operator wants to see who aims this server at which addresses.
// The URL loses its user info, query and fragment, which may hold secrets.
func logTargetRefused(r *http.Request, logger *slog.Logger, target string, err error) {
	logger.WarnContext(r.Context(), "target refused", "client", clientIP(r), "url", loggableURL(target), "error", err)
}

// clientIP is the address the request came from: RemoteAddr, which the
// server's middleware has already rewritten for requests from a trusted
// proxy, as the rate limiter sees it.
func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// loggableURL is raw without user info, query and fragment.
func loggableURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return clip(raw, 200)
	}
	u.User = nil
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	return clip(u.String(), 200)
}

// wantsJSON reports whether r is an API call.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/healthz"
}

func newRef() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes c with status, rendering into a buffer first so that a
// template error becomes a clean 500 instead of half a page.
func render(w http.ResponseWriter, r *http.Request, logger *slog.Logger, status int, c templ.Component) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		writeError(w, r, logger, fmt.Errorf("render %s: %w", r.URL.Path, err))
		return
	}
	writeHTML(w, status, buf)
}

// renderFallback is render for error pages: if even the error page fails,
// it writes plain text rather than recursing into writeError.
func renderFallback(w http.ResponseWriter, r *http.Request, logger *slog.Logger, status int, c templ.Component) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		logger.ErrorContext(r.Context(), "render error page failed", "path", r.URL.Path, "error", err)
		http.Error(w, http.StatusText(status), status)
		return
	}
	writeHTML(w, status, buf)
}

func writeHTML(w http.ResponseWriter, status int, buf *bytes.Buffer) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// writeJSON writes v as indented JSON. Encoding our own types cannot fail,
// so an error here is written as a bare 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, `{"error":{"status":500,"code":"internal","message":"Internal error"}}`, http.StatusInternalServerError)
		return
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
