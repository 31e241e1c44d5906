// Package web assembles the dashboard's HTTP handler: the routes (all in
// routes.go) and the middleware every request passes through (security
// headers, the same-origin guard for POSTs, body limits, rate limits,
// request logs and panic recovery).
package web

import (
	"log/slog"
	"net/http"

	"corsdoctor/handlers"
)

// Store is what the dashboard needs from the database.
type Store interface {
	handlers.Store
	handlers.Pinger
}

// Config holds the server's settings.
type Config struct {
	// Settings are shown to users and enforced by handlers.
	Settings handlers.Settings
	// MaxBodyBytes bounds every request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RatePerMinute bounds how many diagnoses one client IP may start per
	// minute (with a burst of the same size); 0 disables the limit.
	RatePerMinute int
}

// DefaultMaxBodyBytes fits the largest input the engine accepts (a 64 KiB
// body and 100 headers of up to 8 KiB) with room for form encoding.
const DefaultMaxBodyBytes = 2 << 20

// NewServer returns the dashboard's handler.
func NewServer(logger *slog.Logger, cfg Config, p handlers.Prober, st Store) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	mux := newRouter(logger, cfg, p, st)

	// Outermost first: log everything (refusals included), survive panics,
	// mark every response with the security headers, then refuse
	// cross-site POSTs and oversized bodies before any handler runs.
	var h http.Handler = mux
	h = limitBody(logger, cfg.MaxBodyBytes, h)
	h = sameOrigin(logger, h)
	h = securityHeaders(h)
	h = recoverPanics(logger, h)
	h = logRequests(logger, h)
	return h
}
