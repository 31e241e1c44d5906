package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"corsdoctor/handlers"
)

// contentSecurityPolicy allows only the dashboard's own scripts, styles
// and images: no inline code, no framing, forms posting only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// securityHeaders marks every response. Referrer-Policy no-referrer keeps
// share links (which are capabilities) out of other sites' logs when a
// user follows an MDN link from a diagnosis.
//
// X-Frame-Options and Permissions-Policy are left out on purpose: CSP's
// frame-ancestors 'none' supersedes the first in every browser corsdoctor
// supports, and the second only restricts features a page could use by
// running script, which the CSP already confines to our own app.js. Every
// header is paid on every response (net/http clones, sorts and writes
// them), and a shared diagnosis page is the hot path.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Keys are already canonical and each value slice has length and
		// capacity 1, so a handler's Set replaces it and an Add copies it:
		// sharing them across responses is safe and saves allocations on
		// every request.
		for k, v := range securityHeaderValues {
			h[k] = v
		}
		next.ServeHTTP(w, r)
	})
}

var securityHeaderValues = func() http.Header {
	h := http.Header{}
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
	for k, v := range h {
		h[k] = v[:1:1]
	}
	return h
}()

// sameOrigin refuses POSTs (and other unsafe methods) that a browser sent
// from another site, so no page elsewhere can make this server probe on
// a visitor's behalf. It is net/http's CrossOriginProtection: it trusts
// Sec-Fetch-Site (same-origin or none) and otherwise compares Origin with
// Host; requests with neither header (curl, scripts) pass, since they
// carry no visitor's ambient authority.
func sameOrigin(logger *slog.Logger, next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(handlers.Fail(logger, handlers.ErrCrossOrigin))
	return cop.Handler(next)
}

// limitBody refuses bodies over max: at once when Content-Length says so,
// and mid-read otherwise (handlers see *http.MaxBytesError → 413). A HAR
// upload (harPaths) has its own, larger limit, harMax, and its own 413.
func limitBody(logger *slog.Logger, max, harMax int64, next http.Handler) http.Handler {
	tooLarge := handlers.Fail(logger, handlers.ErrTooLarge)
	harTooLarge := handlers.Fail(logger, handlers.HARTooLarge(harMax))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit, refuse := max, tooLarge
		if harPaths[r.URL.Path] {
			limit, refuse = harMax, harTooLarge
		}
		if r.ContentLength > limit {
			// Do not read what we refuse; close so the client stops sending.
			w.Header().Set("Connection", "close")
			refuse(w, r)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler panic into a logged 500 page instead of
// a dropped connection.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				handlers.Fail(logger, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))(w, r)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status and size of a response for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests writes one line per request. At Info it logs what changes
// state or fails: every POST (a diagnosis started) and every answer of
// 400 or more. Successful reads (pages, the API's GETs, static files,
// health checks) are Debug: they are the bulk of the traffic, and at one
// line each the log would cost a shared link's hot path more than the
// page itself (see the render benchmark in bench_test.go).
// Query strings are left out: they may hold a pre-filled URL.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && rec.status < 400 {
			level = slog.LevelDebug
		}
		if !logger.Enabled(r.Context(), level) {
			return
		}
		logger.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", redactIDs(r.URL.Path)),
			slog.Int("status", rec.status),
			slog.Int("bytes", rec.bytes),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// redactIDs hides diagnosis ids in logged paths: a share link is the
// capability to read a diagnosis, and logs are read by more people than
// the diagnoses' authors.
func redactIDs(path string) string {
	for _, prefix := range []string{"/d/", "/api/v1/diagnoses/"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok && rest != "" {
			_, tail, _ := strings.Cut(rest, "/")
			if tail != "" {
				tail = "/" + tail
			}
			return prefix + "{id}" + tail
		}
	}
	return path
}
