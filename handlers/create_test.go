package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

// preparedFake is a Prober that also takes prepared requests, as
// *diagnose.Prober does. Probe must not be called when ProbePrepared
// exists: that would validate the request a second time.
type preparedFake struct {
	t        *testing.T
	ProbeFn  func(ctx context.Context, r diagnose.Prepared) (*diagnose.Report, error)
	mu       sync.Mutex
	prepared []diagnose.Prepared
}

func (p *preparedFake) Probe(context.Context, diagnose.Request) (*diagnose.Report, error) {
	p.t.Error("Probe called although the prober has ProbePrepared: the request is validated twice")
	return nil, errors.New("unexpected Probe")
}

func (p *preparedFake) ProbePrepared(ctx context.Context, r diagnose.Prepared) (*diagnose.Report, error) {
	p.mu.Lock()
	p.prepared = append(p.prepared, r)
	p.mu.Unlock()
	return p.ProbeFn(ctx, r)
}

// postBoth sends the same diagnosis through the form and through the API.
func postBoth(t *testing.T, p Prober, st Store, set Settings, form url.Values, api string) (formRec, apiRec *httptest.ResponseRecorder) {
	t.Helper()
	formRec = postForm(CreateDiagnosis(discard(), p, st, set), form)
	req := httptest.NewRequest("POST", "/api/v1/diagnoses", strings.NewReader(api))
	req.Header.Set("Content-Type", "application/json")
	apiRec = httptest.NewRecorder()
	APICreateDiagnosis(discard(), p, st, set)(apiRec, req)
	return formRec, apiRec
}

// TestCreateProbesThePreparedRequest: both faces hand the prober the
// request they validated, not the raw input to validate again.
func TestCreateProbesThePreparedRequest(t *testing.T) {
	p := &preparedFake{t: t, ProbeFn: func(context.Context, diagnose.Prepared) (*diagnose.Report, error) { return allowedGET(t), nil }}
	form := url.Values{"url": {" HTTP://API.test/items#x "}, "origin": {testOrigin}, "method": {"delete"}, "headers": {"X-A:  1 \nCookie: c=1"}}
	api := `{"url":" HTTP://API.test/items#x ","origin":"` + testOrigin + `","method":"delete","headers":[{"name":"X-A","value":"  1 "},{"name":"Cookie","value":"c=1"}]}`
	formRec, apiRec := postBoth(t, p, newMemStore(), DefaultSettings, form, api)
	if formRec.Code != http.StatusSeeOther || apiRec.Code != http.StatusCreated {
		t.Fatalf("form %d, API %d: %s", formRec.Code, apiRec.Code, apiRec.Body)
	}
	if len(p.prepared) != 2 {
		t.Fatalf("ProbePrepared called %d times, want once per face", len(p.prepared))
	}
	for i, prep := range p.prepared {
		got := prep.Request()
		// Normalised as Prepare does it: what was validated is what is probed.
		if got.URL != "http://api.test/items" || got.Method != "DELETE" || got.Credentials != diagnose.CredentialsSameOrigin || got.Mode != diagnose.ModeCORS {
			t.Errorf("face %d probed %+v, want the prepared (normalised) request", i, got)
		}
		if len(got.Headers) != 1 || got.Headers[0] != (diagnose.Header{Name: "X-A", Value: "1"}) {
			t.Errorf("face %d probed headers %v, want X-A: 1 (Cookie is dropped as fetch() does)", i, got.Headers)
		}
	}
}

// TestCreateAnswersAlikeInBothFaces: the form and the API share one
// creation path, so each failure has the same status and the same words
// in both (the form capitalises and shows them at the field, or on the
// error page; the API puts them in JSON).
func TestCreateAnswersAlikeInBothFaces(t *testing.T) {
	unavailable := &store.UnavailableError{Op: store.OpWrite, Name: "corsdoctor.db", Err: errors.New("insert diagnosis: attempt to write a readonly database (8)")}
	tests := []struct {
		name      string
		probeErr  error
		storeErr  error
		set       Settings
		status    int
		code      string
		field     string // where the form shows it; "" for the error page
		message   string
		retryHint bool // Retry-After
	}{
		{name: "probe timeout", probeErr: context.DeadlineExceeded, set: Settings{ProbeTimeout: 45 * time.Second},
			status: 504, code: "probe_timeout", field: "url",
			message: "The diagnosis did not finish within 45 seconds: the target answers too slowly or redirects too often."},
		{name: "busy", probeErr: Busy(5 * time.Second), status: 503, code: "busy",
			message: "This corsdoctor is running as many diagnoses at once as it allows, and none finished within 5 seconds. Nothing was sent to your target.", retryHint: true},
		{name: "target refused", probeErr: &diagnose.InputError{Field: "url", Message: "10.0.0.1 is a private address, which this server may not probe"},
			status: 400, code: "invalid_input", field: "url", message: "10.0.0.1 is a private address, which this server may not probe"},
		{name: "storage", storeErr: unavailable, status: 503, code: "storage_unavailable",
			message: "The diagnosis database (corsdoctor.db) cannot be written, so nothing was stored: this diagnosis has no link."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &preparedFake{t: t, ProbeFn: func(context.Context, diagnose.Prepared) (*diagnose.Report, error) {
				if tc.probeErr != nil {
					return nil, tc.probeErr
				}
				return allowedGET(t), nil
			}}
			st := newMemStore()
			if tc.storeErr != nil {
				st.CreateFn = func(context.Context, *store.Diagnosis, []string) error { return tc.storeErr }
			}
			formRec, apiRec := postBoth(t, p, st, tc.set, url.Values{"url": {testTarget}, "origin": {testOrigin}},
				`{"url":"`+testTarget+`","origin":"`+testOrigin+`"}`)

			checkAPIError(t, apiRec, tc.status, tc.code, tc.field, tc.message)
			var e apiError
			_ = json.Unmarshal(apiRec.Body.Bytes(), &e)
			if e.Error.Message != tc.message {
				t.Errorf("API message = %q, want exactly %q", e.Error.Message, tc.message)
			}

			if formRec.Code != tc.status {
				t.Errorf("form status = %d, want %d", formRec.Code, tc.status)
			}
			d := doc(t, formRec)
			var shown string
			if tc.field != "" {
				shown = text(testid(d, "error-"+tc.field))
			} else {
				shown = text(testid(d, "error-message"))
			}
			if !strings.Contains(shown, capitalize(e.Error.Message)) {
				t.Errorf("form shows %q, want the API's message %q", shown, e.Error.Message)
			}
			if e.Error.Hint != "" && !strings.Contains(text(d.Selection), capitalize(e.Error.Hint)) {
				t.Errorf("form lacks the API's hint %q", e.Error.Hint)
			}
			for _, rec := range []*httptest.ResponseRecorder{formRec, apiRec} {
				if got := rec.Header().Get("Retry-After") != ""; got != tc.retryHint {
					t.Errorf("Retry-After present = %v, want %v", got, tc.retryHint)
				}
			}
		})
	}
}
