// Package handlers holds the dashboard's HTTP handlers, one per file.
//
// Each handler is a maker function that takes its dependencies explicitly
// and returns an http.HandlerFunc; request-only types stay inside it. The
// routes that use them are all in web/routes.go. Handlers render templ
// components into a buffer before writing (see render), so a template
// error never leaves a half-written page, and every failure goes through
// writeError in errors.go, the one place that maps errors to status codes
// and logs the 500s.
package handlers

import (
	"context"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

// Prober runs one diagnosis. *diagnose.Prober implements it; tests use
// func-field fakes.
type Prober interface {
	Probe(ctx context.Context, r diagnose.Request) (*diagnose.Report, error)
}

// Store keeps diagnoses behind their share links. *store.Store implements it.
type Store interface {
	Create(ctx context.Context, d *store.Diagnosis, extraSecret []string) error
	Get(ctx context.Context, id string) (*store.Diagnosis, error)
}

// Pinger reports whether a dependency answers, for /healthz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Settings are the server settings handlers enforce or show to users.
type Settings struct {
	// ProbeTimeout bounds a whole diagnosis: every exchange, every
	// redirect hop, and the follow-up preflights.
	ProbeTimeout time.Duration
	// ExchangeTimeout is the prober's bound on one exchange, for display.
	ExchangeTimeout time.Duration
	// Retention is how long a diagnosis stays available.
	Retention time.Duration
	// BaseURL, when set (e.g. "https://cors.example.com"), makes absolute
	// share links; otherwise they are built from the request's Host.
	BaseURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultSettings are the settings of `corsdoctor serve` without flags.
var DefaultSettings = Settings{
	ProbeTimeout:    60 * time.Second,
	ExchangeTimeout: diagnose.DefaultLimits.Timeout,
	Retention:       30 * 24 * time.Hour,
}

func (s Settings) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s Settings) withDefaults() Settings {
	if s.ProbeTimeout <= 0 {
		s.ProbeTimeout = DefaultSettings.ProbeTimeout
	}
	if s.ExchangeTimeout <= 0 {
		s.ExchangeTimeout = DefaultSettings.ExchangeTimeout
	}
	if s.Retention <= 0 {
		s.Retention = DefaultSettings.Retention
	}
	return s
}

// expired reports whether a diagnosis created at t is past retention: the
// sweep deletes it eventually, but its link must stop working on time.
func (s Settings) expired(t time.Time) bool {
	return s.now().Sub(t) > s.Retention
}
