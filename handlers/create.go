package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/remedy"
	"corsdoctor/store"
)

// preparedProber is a Prober that also probes a request validated
// beforehand; *diagnose.Prober is one. create prefers it, so a request is
// validated once and what is probed is exactly what was validated. A
// Prober without it (a wrapper that only has Probe) gets the request as
// typed and validates it again, with the same result.
type preparedProber interface {
	ProbePrepared(ctx context.Context, r diagnose.Prepared) (*diagnose.Report, error)
}

// newDiagnosis is what the form and the API hand to create.
type newDiagnosis struct {
	// req is the request as the user described it.
	req diagnose.Request
	// secret names the extra headers whose values must not be stored.
	secret []string
	// inputErr holds the face's own input errors (a header block or a
	// secret name it could not read), reported together with the
	// request's so that every wrong field is named at once.
	inputErr error
	// stack, when set, is the server stack the root cause's fix is
	// written for instead of the detected one.
	stack remedy.StackID
	// source is store.Diagnosis.Source: "" for a probe, store.SourceHAR
	// when p replays a recording (CreateHAR).
	source string
	// redacted names headers whose values were redacted before create
	// saw them (a HAR's, as it was read), for the page to list.
	redacted []string
}

// create is the one way a diagnosis is made, for the form
// (CreateDiagnosis) and the API (APICreateDiagnosis) alike, so that both
// give the same answers in the same words. It validates the request once,
// probes the target within set.ProbeTimeout, and stores the report. Its
// errors come classified, for each face to render:
//
//   - input errors (diagnose.InputErrors lists them): a wrong field, or
//     the target policy refusing the address (field "url"; logged here);
//   - a *clientError with a field: the probe took longer than
//     set.ProbeTimeout (probeTimeout);
//   - a *clientError without one: every probe slot stayed taken (Busy);
//   - a *store.UnavailableError: the diagnosis could not be stored;
//   - the request's context error when the client went away, or anything
//     else: a bug.
func create(r *http.Request, logger *slog.Logger, p Prober, st Store, set Settings, in newDiagnosis) (*store.Diagnosis, error) {
	prep, err := diagnose.NewPrepared(in.req)
	if err := errors.Join(err, in.inputErr); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithTimeout(r.Context(), set.ProbeTimeout)
	var rep *diagnose.Report
	if pp, ok := p.(preparedProber); ok {
		rep, err = pp.ProbePrepared(ctx, prep)
	} else {
		rep, err = p.Probe(ctx, in.req)
	}
	cancel()
	switch {
	case diagnose.IsInputError(err):
		// The input passed validation, so this is the target policy
		// refusing the address (or one a redirect led to).
		logTargetRefused(r, logger, in.req.URL, err)
		return nil, err
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		return nil, probeTimeout(set.ProbeTimeout)
	case err != nil:
		return nil, err
	}

	if in.stack != "" {
		// The fix for the chosen stack, from the same evidence.
		rep.RootCause = diagnose.Explain(rep, in.stack)
	}
	d := &store.Diagnosis{Report: *rep, Source: in.source, Redacted: in.redacted}
	if err := st.Create(r.Context(), d, in.secret); err != nil {
		return nil, fmt.Errorf("store diagnosis: %w", err)
	}
	return d, nil
}

// probeTimeout is the answer when a whole diagnosis took longer than
// limit. It names the URL field, so the form marks it there.
func probeTimeout(limit time.Duration) error {
	return &clientError{status: http.StatusGatewayTimeout, code: "probe_timeout", field: fieldURL,
		title:   "The target took too long",
		message: fmt.Sprintf("The diagnosis did not finish within %s: the target answers too slowly or redirects too often.", secondsText(limit)),
		hint:    "Check that the URL is right and the server is up, then try again."}
}
