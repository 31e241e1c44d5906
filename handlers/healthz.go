package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Healthz handles "GET /healthz": 200 {"status":"ok"} when the database
// answers, 503 otherwise (logged, since it means the instance is broken).
func Healthz(logger *slog.Logger, db Pinger) http.HandlerFunc {
	type health struct {
		Status string `json:"status"`
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			logger.ErrorContext(r.Context(), "health check failed", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, health{Status: "unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, health{Status: "ok"})
	}
}
