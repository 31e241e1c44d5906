package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"corsdoctor/store"
	"corsdoctor/templates"
)

// originCookie remembers the last page origin a user diagnosed from. A
// cookie (not localStorage) so it works without JavaScript; it holds only
// an origin the user typed, is HttpOnly and never leaves this site.
const originCookie = "corsdoctor_origin"

// Home handles "GET /": the diagnose form. It pre-fills the form from the
// query (?url=…&origin=…), from a preset (?preset=ID), or from a stored
// diagnosis (?from=ID, the "re-run" link), and the origin from the cookie.
func Home(logger *slog.Logger, st Store, set Settings) http.HandlerFunc {
	set = set.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		v := newHomeView(set)
		v.Form = formFromValues(q)
		if id := q.Get("from"); id != "" {
			d, err := st.Get(r.Context(), id)
			switch {
			case errors.Is(err, store.ErrNotFound) || (err == nil && set.expired(d.CreatedAt)):
				v.Notice = "That diagnosis does not exist or has expired, so there is nothing to re-run. Start a new one below."
			case err != nil:
				writeError(w, r, logger, err)
				return
			default:
				v.Form, v.Reenter = formFromRequest(d.Report.Request, d.Redacted)
				v.FromID = d.ID
			}
		}
		if id := q.Get("preset"); id != "" {
			if p, ok := findPreset(id); ok {
				v.Form.Method, v.Form.Headers, v.Form.Body, v.Form.Credentials = p.Method, p.Headers, p.Body, p.Credentials
			} else {
				v.Notice = "There is no preset called " + clip(id, 40) + "."
			}
		}
		if v.Form.Origin == "" {
			v.Form.Origin = rememberedOrigin(r)
		}
		render(w, r, logger, http.StatusOK, templates.HomePage(v))
	}
}

func newHomeView(set Settings) templates.HomeView {
	return templates.HomeView{
		Presets:         presets,
		Methods:         commonMethods,
		ExchangeTimeout: int(set.ExchangeTimeout.Seconds()),
		TotalTimeout:    int(set.ProbeTimeout.Seconds()),
		RetentionDays:   int(set.Retention.Hours() / 24),
	}
}

func rememberedOrigin(r *http.Request) string {
	c, err := r.Cookie(originCookie)
	if err != nil {
		return ""
	}
	o, err := url.QueryUnescape(c.Value)
	if err != nil || len(o) > 300 || strings.ContainsAny(o, "\r\n") {
		return ""
	}
	return o
}

// rememberOrigin stores the origin for next time (one year).
func rememberOrigin(w http.ResponseWriter, r *http.Request, origin string) {
	http.SetCookie(w, &http.Cookie{
		Name:     originCookie,
		Value:    url.QueryEscape(origin),
		Path:     "/",
		MaxAge:   365 * 24 * 3600,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
}
