package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"corsdoctor/diagnose"
	"corsdoctor/store"
)

// openStore opens a real SQLite store in a fresh directory.
func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "corsdoctor.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// healthOf asks Healthz about st.
func healthOf(t *testing.T, st Pinger) (int, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	Healthz(discard(), st)(rec, httptest.NewRequest("GET", "/healthz", nil))
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("healthz body: %v: %s", err, rec.Body)
	}
	return rec.Code, body
}

// wantStorageUnavailable checks both faces' answers to a creation the
// database could not take: 503, naming the database by its file name and
// never by its absolute path, saying nothing was stored.
func wantStorageUnavailable(t *testing.T, formRec, apiRec *httptest.ResponseRecorder, path string) {
	t.Helper()
	const msg = "The diagnosis database (corsdoctor.db) cannot be written, so nothing was stored: this diagnosis has no link."
	checkAPIError(t, apiRec, http.StatusServiceUnavailable, "storage_unavailable", "", msg)
	if formRec.Code != http.StatusServiceUnavailable {
		t.Errorf("form status = %d, want 503", formRec.Code)
	}
	d := doc(t, formRec)
	if got := text(testid(d, "error-title")); got != "The diagnosis database is unavailable" {
		t.Errorf("form page title = %q", got)
	}
	if got := text(testid(d, "error-message")); got != msg {
		t.Errorf("form page message = %q, want %q", got, msg)
	}
	for _, rec := range []*httptest.ResponseRecorder{formRec, apiRec} {
		if strings.Contains(rec.Body.String(), filepath.Dir(path)) {
			t.Errorf("the answer leaks the database's path: %s", rec.Body)
		}
	}
}

func TestCreateWhenDatabaseFileIsGone(t *testing.T) {
	for _, tc := range []struct {
		name      string
		breakFile func(t *testing.T, path string)
	}{
		{name: "deleted", breakFile: func(t *testing.T, path string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{name: "replaced", breakFile: func(t *testing.T, path string) {
			other := filepath.Join(t.TempDir(), "other.db")
			o, err := store.Open(context.Background(), other)
			if err != nil {
				t.Fatal(err)
			}
			o.Close()
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, path := openStore(t)
			p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) { return allowedGET(t), nil }}
			form := url.Values{"url": {testTarget}, "origin": {testOrigin}}
			api := `{"url":"` + testTarget + `","origin":"` + testOrigin + `"}`

			formRec, apiRec := postBoth(t, p, st, DefaultSettings, form, api)
			if formRec.Code != http.StatusSeeOther || apiRec.Code != http.StatusCreated {
				t.Fatalf("before: form %d, API %d", formRec.Code, apiRec.Code)
			}
			if code, _ := healthOf(t, st); code != http.StatusOK {
				t.Fatalf("healthz before: %d", code)
			}

			tc.breakFile(t, path)
			formRec, apiRec = postBoth(t, p, st, DefaultSettings, form, api)
			wantStorageUnavailable(t, formRec, apiRec, path)
			code, body := healthOf(t, st)
			if code != http.StatusServiceUnavailable || body["status"] != "unavailable" || body["write"] != "failed" {
				t.Errorf("healthz after: %d %v, want 503 with write failed", code, body)
			}
		})
	}
}

// TestReadsWhenWritesFail: a database that takes no writes still serves
// the diagnoses it holds, as a page and through the API, while creations
// get the storage 503. (The store's own tests make a real database refuse
// writes; cli's TestServeReadOnlyDatabase runs the server on a read-only
// file.)
func TestReadsWhenWritesFail(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *allowedGET(t)})
	m.CreateFn = func(context.Context, *store.Diagnosis, []string) error {
		return &store.UnavailableError{Op: store.OpWrite, Name: "corsdoctor.db", Err: errors.New("attempt to write a readonly database (8)")}
	}
	p := &fakeProber{ProbeFn: func(context.Context, diagnose.Request) (*diagnose.Report, error) { return allowedGET(t), nil }}
	formRec, apiRec := postBoth(t, p, m, DefaultSettings, url.Values{"url": {testTarget}, "origin": {testOrigin}},
		`{"url":"`+testTarget+`","origin":"`+testOrigin+`"}`)
	wantStorageUnavailable(t, formRec, apiRec, "/nowhere/corsdoctor.db")

	rec := httptest.NewRecorder()
	ShowDiagnosis(discard(), m, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/d/"+id, nil), "id", id))
	if rec.Code != http.StatusOK {
		t.Errorf("GET /d/{id}: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	APIGetDiagnosis(discard(), m, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/api/v1/diagnoses/"+id, nil), "id", id))
	if rec.Code != http.StatusOK {
		t.Errorf("GET /api/v1/diagnoses/{id}: %d", rec.Code)
	}
}

// TestReadFailure: a database that cannot be read gets the storage 503 on
// both read routes, not a 500.
func TestReadFailure(t *testing.T) {
	st := &fakeStore{GetFn: func(context.Context, string) (*store.Diagnosis, error) {
		return nil, &store.UnavailableError{Op: store.OpRead, Name: "corsdoctor.db", Err: errors.New("disk I/O error (10)")}
	}}
	id := store.NewID()
	const msg = "The diagnosis database (corsdoctor.db) cannot be read, so this diagnosis cannot be shown right now."
	rec := httptest.NewRecorder()
	APIGetDiagnosis(discard(), st, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/api/v1/diagnoses/"+id, nil), "id", id))
	checkAPIError(t, rec, http.StatusServiceUnavailable, "storage_unavailable", "", msg)

	logger, logs := bufLogger()
	rec = httptest.NewRecorder()
	ShowDiagnosis(logger, st, DefaultSettings)(rec, withPath(httptest.NewRequest("GET", "/d/"+id, nil), "id", id))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /d/{id}: %d", rec.Code)
	}
	if got := text(testid(doc(t, rec), "error-message")); got != msg {
		t.Errorf("page message = %q", got)
	}
	// The operator hears of it once, without the id (a capability).
	if out := logs.String(); strings.Count(out, "storage unavailable") != 1 || !strings.Contains(out, "disk I/O error") || strings.Contains(out, id) {
		t.Errorf("log = %q", out)
	}
}

func TestHealthzReportsReadAndWrite(t *testing.T) {
	read := &store.UnavailableError{Op: store.OpRead, Name: "x.db", Err: errors.New("r")}
	write := &store.UnavailableError{Op: store.OpWrite, Name: "x.db", Err: errors.New("w")}
	for _, tc := range []struct {
		name string
		err  error
		code int
		want map[string]string
	}{
		{"healthy", nil, 200, map[string]string{"status": "ok", "read": "ok", "write": "ok"}},
		{"writes fail", write, 503, map[string]string{"status": "unavailable", "read": "ok", "write": "failed"}},
		{"both fail", errors.Join(read, write), 503, map[string]string{"status": "unavailable", "read": "failed", "write": "failed"}},
		{"unknown failure", errBoom, 503, map[string]string{"status": "unavailable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := healthOf(t, &fakeStore{PingFn: func(context.Context) error { return tc.err }})
			if code != tc.code || len(body) != len(tc.want) {
				t.Fatalf("%d %v, want %d %v", code, body, tc.code, tc.want)
			}
			for k, v := range tc.want {
				if body[k] != v {
					t.Errorf("%s = %q, want %q", k, body[k], v)
				}
			}
		})
	}
}
