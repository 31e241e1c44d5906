package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"corsdoctor/diagnose"
	"corsdoctor/importer"
	"corsdoctor/templates"
)

// fieldPaste is the paste box's field name.
const fieldPaste = "paste"

// ImportPaste handles "POST /import", the home page's paste box: it reads
// a console line, a copied curl, PowerShell or fetch() command or a
// devtools header block (importer.Parse) and answers the home page with
// the diagnose form filled in, and beside it what the paste said, what it
// did not and which headers were left out. Nothing is probed: the user
// checks the form and submits it to POST /diagnose, the one create path.
// Text it cannot read comes back in the box, with status 400.
func ImportPaste(logger *slog.Logger, set Settings) http.HandlerFunc {
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
		paste := r.PostForm.Get(fieldPaste)
		v := newHomeView(set)
		res, err := importer.Parse(paste)
		if err != nil {
			var ie *importer.Error
			if !errors.As(err, &ie) {
				writeError(w, r, logger, err)
				return
			}
			v.Paste = paste
			v.PasteError = &templates.FieldError{Field: fieldPaste, Message: capitalize(ie.Message), Hint: capitalize(ie.Hint)}
			v.Form.Origin = rememberedOrigin(r)
			render(w, r, logger, http.StatusBadRequest, templates.HomePage(v))
			return
		}
		v.Form = formFromImport(res)
		v.Import = importView(res)
		render(w, r, logger, http.StatusOK, templates.HomePage(v))
	}
}

// formFromImport fills the diagnose form with what a paste said. Values
// the paste left out stay empty (the form's defaults apply), so the user
// sees what to type.
func formFromImport(res *importer.Result) templates.FormView {
	r := res.Request
	var lines []string
	for _, h := range r.Headers {
		lines = append(lines, h.Name+": "+h.Value)
	}
	return templates.FormView{
		URL:         r.URL,
		Origin:      r.Origin,
		Method:      r.Method,
		Headers:     strings.Join(lines, "\n"),
		Body:        r.Body,
		Credentials: string(r.Credentials),
		Mode:        string(r.Mode),
	}
}

// sourceLabels names each importer.Source for people.
var sourceLabels = map[importer.Source]string{
	importer.SourceChromium: "a Chromium console error",
	importer.SourceFirefox:  "a Firefox console error",
	importer.SourceSafari:   "a Safari console error",
	importer.SourceCurl:     "a copied command (curl or PowerShell)",
	importer.SourceFetch:    "a fetch() call",
	importer.SourceDevtools: "request headers copied from devtools",
}

// importView is what the page shows about a paste.
func importView(res *importer.Result) *templates.ImportView {
	v := &templates.ImportView{Source: sourceLabels[res.Source], Notes: res.Notes, ReasonText: res.ReasonText}
	if res.Reason != "" {
		v.Reason = res.Reason
		if ri, ok := diagnose.LookupReason(res.Reason); ok {
			v.ReasonURL = "/reasons/" + url.PathEscape(ri.ID)
			v.ReasonTitle = ri.Title
		}
	}
	for _, m := range res.Missing {
		v.Missing = append(v.Missing, templates.ImportMissing{Field: m.Field, Label: importFieldLabel(m.Field), Why: capitalize(m.Why)})
	}
	for _, d := range res.Dropped {
		v.Dropped = append(v.Dropped, templates.DroppedView{Name: d.Name, Value: clip(d.Value, 120), Why: capitalize(d.Why)})
	}
	return v
}

func importFieldLabel(field string) string {
	switch field {
	case fieldURL:
		return "Endpoint URL"
	case fieldOrigin:
		return "Page origin"
	case fieldMethod:
		return "Method"
	case fieldCreds:
		return "Credentials"
	case fieldHeaders:
		return "Request headers"
	case fieldBody:
		return "Request body"
	}
	return field
}

// pastedInURLField is what a console line or a copied command pasted into
// the URL field says, or nil when the field holds something else (a URL,
// or text import cannot read, which Prepare then explains).
func pastedInURLField(s string) *importer.Result {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, " \t\n") {
		return nil // a URL has no spaces; every paste import reads has
	}
	res, err := importer.Parse(s)
	if err != nil || res.Source == importer.SourceDevtools || res.Request.URL == "" {
		return nil
	}
	return res
}

// mergeImport fills the form from a paste, keeping what the user typed in
// the fields the paste does not set.
func mergeImport(typed templates.FormView, res *importer.Result) templates.FormView {
	f := formFromImport(res)
	keep := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	keep(&f.Origin, typed.Origin)
	keep(&f.Headers, typed.Headers)
	keep(&f.Body, typed.Body)
	keep(&f.Mode, typed.Mode)
	if f.Method == "" && typed.Method != "GET" {
		f.Method = typed.Method
	}
	if f.Credentials == "" {
		f.Credentials = typed.Credentials
	}
	f.Secret, f.UseCORSPreflight = typed.Secret, typed.UseCORSPreflight
	// What the user typed is no longer missing.
	kept := res.Missing[:0]
	for _, m := range res.Missing {
		if (m.Field == fieldOrigin && f.Origin != "") || (m.Field == fieldCreds && typed.Credentials != "" && typed.Credentials != "same-origin") {
			continue
		}
		kept = append(kept, m)
	}
	res.Missing = kept
	return f
}
