package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"corsdoctor/store"
)

// Healthz handles "GET /healthz": 200 {"status":"ok","read":"ok",
// "write":"ok"} when the store can both read and write, 503 with
// "unavailable" otherwise (logged, since it means the instance is broken).
// "read" and "write" say which failed when the store tells (its errors
// are store.UnavailableErrors); they are left out when it does not.
//
// The store bounds what a poll costs: *store.Store reads on every call but
// writes at most once every few seconds, reporting the last write's outcome
// in between.
func Healthz(logger *slog.Logger, db Pinger) http.HandlerFunc {
	type health struct {
		Status string `json:"status"`
		Read   string `json:"read,omitempty"`
		Write  string `json:"write,omitempty"`
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		err := db.Ping(ctx)
		if err == nil {
			writeJSON(w, http.StatusOK, health{Status: "ok", Read: "ok", Write: "ok"})
			return
		}
		logger.ErrorContext(r.Context(), "health check failed", "error", err)
		h := health{Status: "unavailable"}
		if ues := unavailableErrors(err); len(ues) > 0 {
			h.Read, h.Write = "ok", "ok"
			for _, ue := range ues {
				if ue.Op == store.OpRead {
					h.Read = "failed"
				} else {
					h.Write = "failed"
				}
			}
		}
		writeJSON(w, http.StatusServiceUnavailable, h)
	}
}

// unavailableErrors lists the store.UnavailableErrors in err, which may
// join several (store.Store.Ping joins the read and the write failure).
func unavailableErrors(err error) []*store.UnavailableError {
	var out []*store.UnavailableError
	var walk func(error)
	walk = func(err error) {
		if ue, ok := err.(*store.UnavailableError); ok {
			out = append(out, ue)
			return
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}
