package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"corsdoctor/audit"
	"corsdoctor/diagnose"
	"corsdoctor/templates"
)

// Auditor runs a CORS security audit. *audit.Auditor implements it; the
// web layer wraps it in the probe slots.
type Auditor interface {
	Audit(ctx context.Context, req audit.Request) (*audit.Report, error)
}

// ShowAudit handles "GET /audit": the security audit form, with the box
// that sends the requests unticked. The query pre-fills url and origin;
// nothing is sent.
func ShowAudit(logger *slog.Logger, a Auditor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		v := templates.AuditView{URL: q.Get("url"), Origin: q.Get("origin"), MaxRequests: audit.MaxRequests, Unavailable: a == nil}
		if v.Origin == "" {
			v.Origin = rememberedOrigin(r)
		}
		render(w, r, logger, http.StatusOK, templates.AuditPage(v))
	}
}

// RunAudit handles "POST /audit", the audit form's target: with the box
// ticked it runs the audit (bounded by the probe timeout, through the
// route's per-client limits and the shared probe slots) and renders the
// findings on the same page; nothing is stored. Bad input comes back as
// the form with the field marked (400).
func RunAudit(logger *slog.Logger, a Auditor, set Settings) http.HandlerFunc {
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
		v := templates.AuditView{
			URL:         clip(strings.TrimSpace(r.PostForm.Get("url")), 4096),
			Origin:      clip(strings.TrimSpace(r.PostForm.Get("origin")), 2048),
			Confirm:     isOn(r.PostForm.Get("confirm")),
			MaxRequests: audit.MaxRequests,
			Unavailable: a == nil,
		}
		refuse := func(status int, ies ...*diagnose.InputError) {
			for _, ie := range ies {
				v.Errors = append(v.Errors, templates.FieldError{Field: ie.Field, Message: ie.Message, Hint: ie.Hint})
			}
			render(w, r, logger, status, templates.AuditPage(v))
		}
		if a == nil {
			render(w, r, logger, http.StatusServiceUnavailable, templates.AuditPage(v))
			return
		}
		if !v.Confirm {
			refuse(http.StatusBadRequest, &diagnose.InputError{Field: "confirm", Message: "tick the box to send the audit requests: the audit is off by default"})
			return
		}
		// Input the engine refuses is refused before any probe, so that a
		// url error from the audit is the target policy's.
		if _, err := diagnose.Prepare(diagnose.Request{URL: v.URL, Origin: v.Origin, Method: "GET"}); err != nil {
			refuse(http.StatusBadRequest, diagnose.InputErrors(err)...)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), set.ProbeTimeout)
		defer cancel()
		rep, err := a.Audit(ctx, audit.Request{URL: v.URL, Origin: v.Origin})
		if err != nil {
			if ies := diagnose.InputErrors(err); len(ies) > 0 {
				if ies[0].Field == "url" {
					// The target policy refused it: logged as for a diagnosis.
					logTargetRefused(r, logger, v.URL, err)
				}
				refuse(http.StatusBadRequest, ies...)
				return
			}
			if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
				refuse(http.StatusGatewayTimeout, &diagnose.InputError{Field: "url", Message: errProbeTimeout.message})
				return
			}
			writeError(w, r, logger, err)
			return
		}
		rememberOrigin(w, r, rep.Origin)
		v.Result = auditResultView(rep)
		render(w, r, logger, http.StatusOK, templates.AuditPage(v))
	}
}

func auditResultView(rep *audit.Report) *templates.AuditResultView {
	out := &templates.AuditResultView{
		URL: rep.URL, Origin: rep.Origin, Requests: rep.Requests, Notes: rep.Notes,
		StackName: rep.Stack.Name, Confidence: rep.Stack.Confidence, Verified: rep.Stack.Verified,
	}
	if rep.Fix != nil {
		out.Snippet, out.Steps = rep.Fix.Snippet.Code, rep.Fix.Steps
	}
	for _, f := range rep.Findings {
		class := "info"
		switch {
		case f.Severity.AtLeast(audit.Medium):
			class = "error"
		case f.Severity == audit.Low:
			class = "warning"
		}
		out.Findings = append(out.Findings, templates.AuditFindingView{
			Reason: string(f.Reason), Severity: string(f.Severity), OriginSent: f.OriginSent, Evidence: f.Evidence.Summary,
			Also: f.Also, Title: f.Title, Risk: f.Risk, Fix: f.Fix, Class: class,
		})
	}
	return out
}
