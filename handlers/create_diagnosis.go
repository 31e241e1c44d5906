package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"corsdoctor/diagnose"
	"corsdoctor/store"
	"corsdoctor/templates"
)

// CreateDiagnosis handles "POST /diagnose", the form's target: it probes
// the target, stores the diagnosis and redirects (303) to its permanent
// page. Bad input comes back as the same form, values kept and the field
// marked, with status 400.
func CreateDiagnosis(logger *slog.Logger, p Prober, st Store, set Settings) http.HandlerFunc {
	set = set.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				writeError(w, r, logger, err)
				return
			}
			writeError(w, r, logger, &diagnose.InputError{Field: "form", Message: "the form data could not be read: " + err.Error()})
			return
		}
		form := formFromValues(r.PostForm)
		refuse := func(status int, ies ...*diagnose.InputError) {
			v := newHomeView(set)
			v.Form = form
			v.Errors = fieldErrors(ies)
			render(w, r, logger, status, templates.HomePage(v))
		}

		// Every field is checked, so the form comes back with all its
		// mistakes marked at once.
		req, secret, formErr := toRequest(form)
		_, prepErr := diagnose.Prepare(req)
		if err := errors.Join(formErr, prepErr); err != nil {
			if ies := diagnose.InputErrors(err); len(ies) > 0 {
				refuse(http.StatusBadRequest, ies...)
			} else {
				writeError(w, r, logger, err)
			}
			return
		}
		var ie *diagnose.InputError

		ctx, cancel := context.WithTimeout(r.Context(), set.ProbeTimeout)
		rep, err := p.Probe(ctx, req)
		cancel()
		switch {
		case errors.As(err, &ie):
			// The input passed Prepare, so this is the target policy
			// refusing the address (or an address a redirect led to).
			logTargetRefused(r, logger, req.URL, err)
			refuse(http.StatusBadRequest, ie)
			return
		case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
			refuse(http.StatusGatewayTimeout, &diagnose.InputError{Field: fieldURL,
				Message: fmt.Sprintf("the diagnosis did not finish within %d s: the target answers too slowly or redirects too often", int(set.ProbeTimeout.Seconds())),
				Hint:    "check that the URL is right and the server is up, then try again"})
			return
		case err != nil:
			// Busy (every probe slot taken), a client that went away, or a bug.
			writeError(w, r, logger, err)
			return
		}

		d := &store.Diagnosis{Report: *rep}
		if err := st.Create(r.Context(), d, secret); err != nil {
			writeError(w, r, logger, fmt.Errorf("store diagnosis: %w", err))
			return
		}
		rememberOrigin(w, r, rep.Request.Origin)
		http.Redirect(w, r, "/d/"+d.ID, http.StatusSeeOther)
	}
}
