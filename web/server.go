// Package web assembles the dashboard's HTTP handler: the routes (all in
// routes.go) and the middleware every request passes through (security
// headers, the same-origin guard for POSTs, body limits, rate limits,
// the bound on probes in flight, request logs and panic recovery).
package web

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

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
	// MaxBodyBytes bounds every request body but a HAR upload's; 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxHARBytes bounds a HAR upload (harPaths); 0 means
	// DefaultMaxHARBytes.
	MaxHARBytes int64
	// RatePerMinute bounds how many diagnoses one client IP may start per
	// minute (with a burst of the same size); 0 disables the limit.
	RatePerMinute int
	// MaxProbesPerClient bounds how many diagnoses one client (see
	// clientKey) may have running or queued at once; 0 disables the bound.
	MaxProbesPerClient int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (see forwardedClient); empty means the connection's peer
	// is the client.
	TrustedProxies []netip.Prefix
	// MaxProbes bounds how many diagnoses probe at once, from all clients
	// together; 0 means DefaultMaxProbes.
	MaxProbes int
	// ProbeQueueTimeout is how long a diagnosis waits for a free probe slot
	// before the answer is 503 "busy"; 0 means DefaultProbeQueueTimeout.
	ProbeQueueTimeout time.Duration
	// Auditor runs the security audit (/audit); nil answers that this
	// server runs without it. An audit holds one probe slot while it runs.
	Auditor handlers.Auditor
}

// DefaultMaxBodyBytes fits the largest input the engine accepts (a 64 KiB
// body and 100 headers of up to 8 KiB) with room for form encoding.
const DefaultMaxBodyBytes = 2 << 20

// DefaultMaxHARBytes bounds a HAR upload: 50 MB, a long session of a busy
// page. The file is read as a stream (harimport), so the limit is about
// upload time and CPU, not memory.
const DefaultMaxHARBytes = 50 << 20

// harPaths are the routes that take a HAR upload, with MaxHARBytes.
var harPaths = map[string]bool{"/har": true, "/api/v1/har": true}

// DefaultMaxProbes is serve's --max-probes default. A probe mostly waits on
// the network (each exchange may take 15 s), so the bound is about the
// outgoing connections and goroutines one instance may hold for strangers,
// not CPU. The slots are shared by all clients: the per-IP rate limit
// bounds how often one client can take them, not whether it can (its
// burst is larger than 16); MaxProbesPerClient bounds how many one client
// holds.
const DefaultMaxProbes = 16

// DefaultMaxProbesPerClient is serve's --max-probes-per-client default: a
// quarter of the shared slots, so it takes four clients to fill them,
// and still more than a person at a browser runs at once.
const DefaultMaxProbesPerClient = 4

// DefaultProbeQueueTimeout is how long a diagnosis waits for a probe slot:
// long enough to ride out a burst, short enough that a user gets an answer
// (503 with Retry-After) instead of a spinner while the server is saturated.
const DefaultProbeQueueTimeout = 5 * time.Second

// NewServer returns the dashboard's handler.
func NewServer(logger *slog.Logger, cfg Config, p handlers.Prober, st Store) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxHARBytes <= 0 {
		cfg.MaxHARBytes = DefaultMaxHARBytes
	}
	if cfg.MaxProbes <= 0 {
		cfg.MaxProbes = DefaultMaxProbes
	}
	if cfg.ProbeQueueTimeout <= 0 {
		cfg.ProbeQueueTimeout = DefaultProbeQueueTimeout
	}
	mux := newRouter(logger, cfg, p, st)

	// Outermost first: find the client behind a trusted proxy, log
	// everything (refusals included), survive panics, mark every response
	// with the security headers, then refuse cross-site POSTs and
	// oversized bodies before any handler runs.
	var h http.Handler = mux
	h = limitBody(logger, cfg.MaxBodyBytes, cfg.MaxHARBytes, h)
	h = sameOrigin(logger, h)
	h = securityHeaders(h)
	h = recoverPanics(logger, h)
	h = logRequests(logger, h)
	h = forwardedClient(cfg.TrustedProxies, h)
	return h
}
