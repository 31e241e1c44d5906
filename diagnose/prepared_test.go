package diagnose

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestNewPreparedMatchesPrepare(t *testing.T) {
	in := Request{URL: "HTTPS://API.Example.com:443/x#frag", Origin: "https://app.example.com", Method: "delete",
		Headers: []Header{{"X-Trace", " 1 "}, {"Cookie", "s=1"}}}
	want, err := Prepare(in)
	if err != nil {
		t.Fatal(err)
	}
	prep, err := NewPrepared(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := prep.Request(); !reflect.DeepEqual(got, want) {
		t.Errorf("Prepared.Request() = %+v, want Prepare's %+v", got, want)
	}
	// The copy handed out is the caller's: editing it changes nothing.
	got := prep.Request()
	got.Headers[0].Value = "changed"
	if again := prep.Request(); again.Headers[0].Value != "1" {
		t.Errorf("editing Request()'s headers changed the Prepared: %+v", again.Headers)
	}

	_, prepErr := Prepare(Request{URL: "api.example.com", Origin: "https://a.example/"})
	zero, err := NewPrepared(Request{URL: "api.example.com", Origin: "https://a.example/"})
	if err == nil || err.Error() != prepErr.Error() {
		t.Errorf("NewPrepared error = %v, want Prepare's %v", err, prepErr)
	}
	if !reflect.DeepEqual(zero, Prepared{}) {
		t.Errorf("NewPrepared returned %+v alongside the error, want the zero Prepared", zero)
	}
}

func TestProbePrepared(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "https://app.example.com")
		w.Header().Set("Access-Control-Allow-Methods", "PUT")
		w.Header().Set("Access-Control-Allow-Headers", "authorization")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer target.Close()
	p := NewProber(ProberConfig{NoFollowups: true})
	ctx := context.Background()
	in := Request{URL: target.URL + "/items", Origin: "https://app.example.com", Method: "put",
		Headers: []Header{{"Authorization", "Bearer s3cret"}, {"Cookie", "s=1"}}}

	viaProbe, err := p.Probe(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	prep, err := NewPrepared(in)
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.ProbePrepared(ctx, prep)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first.Request, viaProbe.Request) || !reflect.DeepEqual(first.Dropped, viaProbe.Dropped) ||
		first.Verdict != viaProbe.Verdict || len(first.Exchanges) != len(viaProbe.Exchanges) || len(first.Findings) != len(viaProbe.Findings) {
		t.Errorf("ProbePrepared and Probe disagree:\n%+v\n%+v", first, viaProbe)
	}
	if len(first.Dropped) != 1 || first.Dropped[0].Name != "Cookie" {
		t.Errorf("dropped = %+v, want the Cookie the page set", first.Dropped)
	}

	// A report is the caller's to edit (the store redacts it in place);
	// the Prepared, and the next probe of it, are unaffected.
	Redact(first, nil)
	second, err := p.ProbePrepared(ctx, prep)
	if err != nil {
		t.Fatal(err)
	}
	if v := prep.Request().Headers[0].Value; v != "Bearer s3cret" {
		t.Errorf("redacting a report changed the Prepared: Authorization = %q", v)
	}
	if v := second.Exchanges[len(second.Exchanges)-1].Request.Headers; !hasHeader(v, "Authorization") || headerValueOf(v, "Authorization") != "Bearer s3cret" {
		t.Errorf("second probe sent %v, want the real Authorization", v)
	}

	if _, err := p.ProbePrepared(ctx, Prepared{}); err == nil {
		t.Error("ProbePrepared of the zero Prepared succeeded")
	}
}

func headerValueOf(hs []Header, name string) string {
	for _, h := range hs {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}
