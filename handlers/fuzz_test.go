package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

// formFields are the fields an error from the form path may name: each has
// a control on the form (or, for "form", the form as a whole).
var formFields = []string{fieldURL, fieldOrigin, fieldMethod, fieldHeaders, fieldSecret, fieldBody, fieldCreds, fieldMode, "form"}

// apiFields are the fields an API input error may name.
var apiFields = []string{"url", "origin", "method", "headers", "body", "credentials", "mode", "secret_headers"}

// checkInputError fails unless err is an *InputError naming one of fields
// with a message a user can read.
func checkInputError(t *testing.T, what string, err error, fields []string) {
	t.Helper()
	var ie *diagnose.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("%s: error %#v is not an *InputError", what, err)
	}
	if !slices.Contains(fields, ie.Field) || strings.TrimSpace(ie.Message) == "" {
		t.Fatalf("%s: error %#v names no known field or says nothing", what, ie)
	}
}

// checkSent fails unless the request handed to the prober passes Prepare
// and the headers Prepare leaves, which are what the prober writes, could
// not split the request. The handlers pass the user's values as typed, so
// that the report can show what fetch() would strip or drop; leading and
// trailing CR or LF (as in a pasted "X-A: 1\r") are stripped there.
func checkSent(t *testing.T, what string, r diagnose.Request) {
	t.Helper()
	sent, err := diagnose.Prepare(r)
	if err != nil {
		t.Fatalf("%s: the prober was given a request Prepare refuses: %v", what, err)
	}
	checkHeaders(t, what, sent.Headers)
}

// checkHeaders fails if a header could split the request it is sent in.
func checkHeaders(t *testing.T, what string, hs []diagnose.Header) {
	t.Helper()
	for _, h := range hs {
		if h.Name == "" || strings.ContainsAny(h.Name, "\r\n\x00: ") || strings.ContainsAny(h.Value, "\r\n\x00") {
			t.Fatalf("%s: header %q: %q can split the request", what, h.Name, h.Value)
		}
	}
}

// probeRecorder is a Prober that returns rep and keeps what it was asked.
func probeRecorder(rep *diagnose.Report) (*fakeProber, *fakeStore) {
	p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) { return rep, nil }}
	st := &fakeStore{CreateFn: func(_ context.Context, d *store.Diagnosis, _ []string) error {
		d.ID = store.NewID()
		return nil
	}}
	return p, st
}

// FuzzParseForm feeds the dashboard form's fields (the header block paste
// above all) through the form parser, the engine's validation and the
// whole POST /diagnose handler. Nothing may panic; every refusal is an
// *InputError on a field the form has, shown on the form with status 400;
// parsed header lines never hold CR or LF, and what the prober sends holds
// no CR, LF or NUL.
func FuzzParseForm(f *testing.F) {
	seeds := []struct {
		url, origin, method, headers, secret, body, creds, mode string
		preflight                                               bool
	}{
		{testTarget, testOrigin, "PUT", "Content-Type: application/json\nAuthorization: Bearer x", "X-Api-Key", `{"a":1}`, "include", "cors", false},
		{testTarget, testOrigin, "GET", "GET /items HTTP/1.1\r\nHost: api.test\r\n:authority: api.test\r\n\r\nX-A:1", "", "", "", "", false},
		{testTarget, testOrigin, "", ":method: PUT\n:path: /x\naccept: */*\nHTTP/2 200\n", "a, b\tc\nd", "", "omit", "no-cors", true},
		{testTarget, testOrigin, "POST", "X-A: 1\rX-B: 2\r\rX-C: 3", "", "x", "", "", false},
		{testTarget, testOrigin, "POST", "X-A: 1\x00\nX-B: \x7f\nX-\xff: y", "", "\r\n", "", "", false},
		{testTarget, testOrigin, "GET", " : 2\nnocolon\n", "", "", "", "", false},
		{"api.test/items", "https://app.test/", "GET /", "X-A 1", "not:a:name", "", "always", "navigate", false},
		{"", "", "", strings.Repeat("X-Many: v\n", 120), "", "", "", "", false},
		{"http://[::1]:0/%zz", "null", "patch", "X-Long: " + strings.Repeat("é", 5000), "", "", "", "", false},
	}
	for _, s := range seeds {
		f.Add(s.url, s.origin, s.method, s.headers, s.secret, s.body, s.creds, s.mode, s.preflight)
	}
	rep := allowedGET(f)
	f.Fuzz(func(t *testing.T, u, origin, method, headers, secret, body, creds, mode string, preflight bool) {
		hs, err := parseHeaderBlock(headers)
		if err != nil {
			checkInputError(t, "parseHeaderBlock", err, []string{fieldHeaders})
		}
		for _, h := range hs {
			if h.Name == "" || strings.ContainsAny(h.Name+h.Value, "\r\n") || h.Name != strings.TrimSpace(h.Name) || h.Value != strings.TrimSpace(h.Value) {
				t.Fatalf("parseHeaderBlock(%q) gave header %q: %q", headers, h.Name, h.Value)
			}
		}

		v := url.Values{fieldURL: {u}, fieldOrigin: {origin}, fieldMethod: {method}, fieldHeaders: {headers},
			fieldSecret: {secret}, fieldBody: {body}, fieldCreds: {creds}, fieldMode: {mode}}
		if preflight {
			v.Set(fieldPreflight, "on")
		}
		// Form encoding is what the browser sends; decoding it is part of
		// the path (invalid UTF-8 and NULs survive it).
		form := formFromValues(v)
		req, _, err := toRequest(form)
		valid := err == nil
		if err != nil {
			checkInputError(t, "toRequest", err, formFields)
		} else if _, err := diagnose.Prepare(req); err != nil {
			valid = false
			checkInputError(t, "Prepare", err, formFields)
		}

		p, st := probeRecorder(rep)
		rec := postForm(CreateDiagnosis(discard(), p, st, DefaultSettings), v)
		switch {
		case valid && rec.Code != http.StatusSeeOther, !valid && rec.Code != http.StatusBadRequest:
			t.Fatalf("valid = %v, but status %d", valid, rec.Code)
		case !valid && testid(doc(t, rec), "form-error").Length() != 1:
			t.Fatalf("400 without the form's error summary: %s", rec.Body)
		}
		for _, c := range p.calls {
			checkSent(t, "probed", c)
		}
		if len(p.calls) != map[bool]int{true: 1, false: 0}[valid] {
			t.Fatalf("valid = %v, but %d probes", valid, len(p.calls))
		}
	})
}

// FuzzDecodeAPIRequest posts arbitrary bodies to POST /api/v1/diagnoses.
// Nothing may panic; the answer is 201, or 400 with a JSON error whose
// code is invalid_json or invalid_input (naming a field of the API), and
// what the prober sends holds no CR, LF or NUL in its headers.
func FuzzDecodeAPIRequest(f *testing.F) {
	for _, s := range []string{
		`{"url":"http://api.test/items","origin":"https://app.test"}`,
		`{"url":"http://api.test/items","origin":"https://app.test","method":"PUT","credentials":"include","mode":"cors","use_cors_preflight":true,
		  "headers":[{"name":"Content-Type","value":"application/json"},{"name":"X-Api-Key","value":"k"}],"body":"{}","secret_headers":["X-Api-Key"]}`,
		`{"url":"http://api.test/","origin":"https://app.test","headers":[{"name":"X-A","value":"a\r\nInjected: 1"}]}`,
		`{"url":"http://api.test/","origin":"https://app.test","headers":[{"name":"X-A\n","value":"1"}]}`,
		`{"url":"http://api.test/","origin":"https://app.test","headers":[{"name":"X-A","value":"\u0000"}]}`,
		`{"url":"http://api.test/","origin":"https://app.test","secret_headers":["a b:"]}`,
		`{"url":"http://api.test/","origin":"https://app.test","headers":null,"secret_headers":null}`,
		`{"url":1}`, `{"url":"x","url":"y"}`, `{"URL":"http://api.test/","Origin":"https://app.test"}`,
		`{"url":"http://api.test/","origin":"https://app.test"} {}`, `[]`, `null`, ``, `{`, "\xff", `{"unknown":1}`,
	} {
		f.Add(s)
	}
	rep := allowedGET(f)
	f.Fuzz(func(t *testing.T, body string) {
		p, st := probeRecorder(rep)
		req := httptest.NewRequest("POST", "/api/v1/diagnoses", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		APICreateDiagnosis(discard(), p, st, DefaultSettings)(rec, req)
		switch rec.Code {
		case http.StatusCreated:
			if len(p.calls) != 1 {
				t.Fatalf("201 after %d probes", len(p.calls))
			}
			checkSent(t, "probed", p.calls[0])
		case http.StatusBadRequest:
			if len(p.calls) != 0 {
				t.Fatal("probed bad input")
			}
			var e apiError
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("400 body is not JSON: %v: %s", err, rec.Body)
			}
			switch {
			case e.Error.Status != 400 || strings.TrimSpace(e.Error.Message) == "":
				t.Fatalf("error = %+v", e.Error)
			case e.Error.Code == "invalid_input" && !slices.Contains(apiFields, e.Error.Field):
				t.Fatalf("input error names field %q", e.Error.Field)
			case e.Error.Code != "invalid_input" && e.Error.Code != "invalid_json":
				t.Fatalf("code = %q", e.Error.Code)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
