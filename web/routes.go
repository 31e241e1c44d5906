package web

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"corsdoctor/handlers"
	"corsdoctor/static"
)

// newRouter lists every route of the dashboard.
func newRouter(logger *slog.Logger, cfg Config, p handlers.Prober, st Store) http.Handler {
	set := cfg.Settings
	r := chi.NewRouter()
	r.Use(middleware.GetHead)

	// Both routes that probe share one set of slots.
	slots := newProbeLimiter(p, cfg.MaxProbes, cfg.ProbeQueueTimeout)
	p = slots
	// A client over its share of running diagnoses is refused before its
	// rate budget is charged: that refusal costs the server nothing.
	var limits []func(http.Handler) http.Handler
	if cfg.MaxProbesPerClient > 0 {
		limits = append(limits, newRunningLimiter(cfg.MaxProbesPerClient, handlers.Fail(logger, handlers.ErrTooManyRunning)).middleware)
	}
	if cfg.RatePerMinute > 0 {
		limits = append(limits, newRateLimiter(cfg.RatePerMinute, handlers.Fail(logger, handlers.ErrRateLimited)).middleware)
	}

	// Pages.
	r.Get("/", handlers.Home(logger, st, set))
	r.With(limits...).Post("/diagnose", handlers.CreateDiagnosis(logger, p, st, set)) // form target; 303 to /d/{id}
	r.With(coalesceWrites).Get("/d/{id}", handlers.ShowDiagnosis(logger, st, set))    // the hot path of a shared link
	r.Get("/d/{id}/har", handlers.DownloadHAR(logger, st, set))
	r.Post("/import", handlers.ImportPaste(logger, set)) // the paste box: the home page with the form filled in
	r.Get("/har", handlers.ShowHARUpload(logger, cfg.MaxHARBytes))
	r.With(limits...).Post("/har", handlers.CreateHAR(logger, st, set, cfg.MaxHARBytes)) // judges a recording, sends nothing; the results table
	r.Get("/reasons", handlers.ListReasons(logger))
	// The security audit: off by default (the form's box), the diagnoses'
	// per-client limits, one shared probe slot per audit.
	auditor := newAuditLimiter(cfg.Auditor, slots)
	r.Get("/audit", handlers.ShowAudit(logger, auditor))
	r.With(limits...).Post("/audit", handlers.RunAudit(logger, auditor, set))
	r.Get("/reasons/{id}", handlers.ShowReason(logger))

	// JSON API.
	r.With(limits...).Post("/api/v1/diagnoses", handlers.APICreateDiagnosis(logger, p, st, set))
	r.Get("/api/v1/diagnoses/{id}", handlers.APIGetDiagnosis(logger, st, set))
	r.With(limits...).Post("/api/v1/har", handlers.APICreateHAR(logger, st, set)) // judges a recording, sends nothing
	r.Post("/api/v1/import", handlers.APIImport(logger))                          // parses a paste; probes nothing
	r.Get("/healthz", handlers.Healthz(logger, st))

	r.Handle(static.Prefix+"*", static.Handler())

	r.NotFound(handlers.Fail(logger, handlers.ErrNotFound))
	r.MethodNotAllowed(handlers.Fail(logger, handlers.ErrMethodNotAllowed))
	return r
}
