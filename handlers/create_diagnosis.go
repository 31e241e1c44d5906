package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"corsdoctor/diagnose"
	"corsdoctor/templates"
)

// CreateDiagnosis handles "POST /diagnose", the form's target: it probes
// the target, stores the diagnosis and redirects (303) to its permanent
// page, through create, the path it shares with the API. Bad input comes
// back as the same form, values kept and the field marked, with status
// 400; a probe that timed out likewise, with 504 and the URL marked.
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
		if res := pastedInURLField(form.URL); res != nil {
			// A console line or a copied command in the URL field: fill
			// the form from it instead of failing on the "URL".
			v := newHomeView(set)
			v.Form = mergeImport(form, res)
			v.Import = importView(res)
			v.Notice = "The endpoint URL field held " + sourceLabels[res.Source] + ", so corsdoctor filled in the form from it. Check the fields below, then press Diagnose."
			render(w, r, logger, http.StatusOK, templates.HomePage(v))
			return
		}
		refuse := func(status int, ies ...*diagnose.InputError) {
			v := newHomeView(set)
			v.Form = form
			v.Errors = fieldErrors(ies)
			// What a pasted devtools block filled in or left out.
			v.Notice = pasteNotice(rawFormFromValues(r.PostForm))
			render(w, r, logger, status, templates.HomePage(v))
		}

		// Every field is checked, so the form comes back with all its
		// mistakes marked at once.
		req, secret, formErr := toRequest(form)
		d, err := create(r, logger, p, st, set, newDiagnosis{req: req, secret: secret, inputErr: formErr})
		if err != nil {
			var ce *clientError
			if ies := diagnose.InputErrors(err); len(ies) > 0 {
				refuse(http.StatusBadRequest, ies...)
			} else if errors.As(err, &ce) && ce.field != "" {
				// The probe timed out: the same words as the API's,
				// at the field they are about.
				refuse(ce.status, &diagnose.InputError{Field: ce.field, Message: ce.message, Hint: ce.hint})
			} else {
				// Busy, storage unavailable, a client that went away,
				// or a bug: writeError's page.
				writeError(w, r, logger, err)
			}
			return
		}
		rememberOrigin(w, r, d.Report.Request.Origin)
		http.Redirect(w, r, "/d/"+d.ID, http.StatusSeeOther)
	}
}
