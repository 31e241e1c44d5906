package handlers

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/targetpolicy"
)

// refusingProber is the real prober behind the policy of a public
// instance (no private targets), and a loopback listener that counts the
// connections it gets: the policy refuses 127.0.0.1 before dialling, so
// the count must stay zero.
func refusingProber(t *testing.T) (*diagnose.Prober, string, *atomic.Int32) {
	t.Helper()
	policy, err := targetpolicy.New(targetpolicy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	p := diagnose.NewProber(diagnose.ProberConfig{Dial: policy.Dialer(&net.Dialer{Timeout: time.Second}, net.DefaultResolver)})
	return p, "http://" + ln.Addr().String() + "/items?token=s3cret", &accepted
}

// TestTargetRefused sends a loopback target to a dashboard that may not
// probe private addresses: the form comes back with the refusal on the URL
// field, the API answers 400 invalid_input for "url", each refusal is
// logged once as "target refused" (client, URL without its query, error),
// and no connection is made.
func TestTargetRefused(t *testing.T) {
	const want = "this corsdoctor does not probe loopback addresses"
	const local = "run corsdoctor locally to debug private targets"

	t.Run("form", func(t *testing.T) {
		p, target, accepted := refusingProber(t)
		logger, logs := bufLogger()
		m := newMemStore()
		rec := postForm(CreateDiagnosis(logger, p, m, DefaultSettings), url.Values{"url": {target}, "origin": {testOrigin}, "method": {"GET"}})
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("status = %d, want 400: %s", rec.Code, rec.Body)
		}
		d := doc(t, rec)
		fieldErr := testid(d, "error-url")
		if fieldErr.Length() != 1 {
			t.Fatal("no error on the URL field")
		}
		if got := text(fieldErr); !strings.Contains(got, "This corsdoctor does not probe loopback addresses (127.0.0.1 is a loopback address)") || !strings.Contains(got, local) {
			t.Errorf("URL field error = %q", got)
		}
		if got := text(testid(d, "form-error")); !strings.Contains(got, "Check the") || !strings.Contains(got, want[1:]) {
			t.Errorf("summary = %q", got)
		}
		input := d.Find("#f-url")
		if inv, _ := input.Attr("aria-invalid"); inv != "true" {
			t.Error("the URL field is not aria-invalid")
		}
		if v, _ := input.Attr("value"); v != target {
			t.Errorf("URL = %q, want %q kept", v, target)
		}
		if len(m.rows) != 0 {
			t.Error("a refused diagnosis was stored")
		}
		checkRefusalLogged(t, logs.String(), target, want)
		if n := accepted.Load(); n != 0 {
			t.Errorf("%d connections reached the refused target", n)
		}
	})

	t.Run("api", func(t *testing.T) {
		p, target, accepted := refusingProber(t)
		logger, logs := bufLogger()
		req := httptest.NewRequest("POST", "/api/v1/diagnoses", strings.NewReader(`{"url":"`+target+`","origin":"`+testOrigin+`"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		APICreateDiagnosis(logger, p, newMemStore(), DefaultSettings)(rec, req)
		checkAPIError(t, rec, http.StatusBadRequest, "invalid_input", "url", want)
		if !strings.Contains(rec.Body.String(), local) {
			t.Errorf("the API error does not say to run locally: %s", rec.Body)
		}
		checkRefusalLogged(t, logs.String(), target, want)
		if n := accepted.Load(); n != 0 {
			t.Errorf("%d connections reached the refused target", n)
		}
	})
}

func checkRefusalLogged(t *testing.T, logs, target, want string) {
	t.Helper()
	if n := strings.Count(logs, "\n"); n != 1 {
		t.Fatalf("%d log lines, want exactly one: %s", n, logs)
	}
	noQuery, _, _ := strings.Cut(target, "?")
	for _, part := range []string{"level=WARN", `msg="target refused"`, "client=192.0.2.1", "url=" + noQuery + " ", `error="url: ` + want} {
		if !strings.Contains(logs, part) {
			t.Errorf("log lacks %q: %s", part, logs)
		}
	}
	if strings.Contains(logs, "s3cret") {
		t.Errorf("the log holds the target's query: %s", logs)
	}
}

// The prober is a real one: the refusal comes from its dialer, not from a
// fake, so this is what a public instance does.
var _ Prober = (*diagnose.Prober)(nil)
