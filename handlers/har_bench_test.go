package handlers

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"corsdoctor/store"
)

// BenchmarkAPICreateHAR1000 posts a HAR of 1,000 cross-origin fetches to
// a real SQLite store: judging them, and storing MaxHARLinks of them (each
// a durable commit), which is most of the time.
//
//	go test ./handlers -run '^$' -bench APICreateHAR1000 -benchtime 5x
func BenchmarkAPICreateHAR1000(b *testing.B) {
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "corsdoctor.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	har := fetchHAR(1000, false)
	h := APICreateHAR(discard(), st, DefaultSettings)
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/v1/har", bytes.NewReader(har))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
