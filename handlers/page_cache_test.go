package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"corsdoctor/store"
)

func TestShowDiagnosisCachesAndRevalidates(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *allowedGET(t)})
	gets := 0
	get := m.GetFn
	m.GetFn = func(ctx context.Context, id string) (*store.Diagnosis, error) {
		gets++
		return get(ctx, id)
	}
	now := time.Now()
	set := DefaultSettings
	set.Now = func() time.Time { return now }
	h := ShowDiagnosis(discard(), m, set)
	fetch := func(etag string) *httptest.ResponseRecorder {
		req := withPath(httptest.NewRequest("GET", "/d/"+id, nil), "id", id)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		rec := httptest.NewRecorder()
		h(rec, req)
		return rec
	}
	first := fetch("")
	second := fetch("")
	if first.Code != 200 || second.Code != 200 || first.Body.String() != second.Body.String() {
		t.Fatalf("statuses %d %d, same body %v", first.Code, second.Code, first.Body.String() == second.Body.String())
	}
	if gets != 1 {
		t.Errorf("%d store reads for two views, want 1", gets)
	}
	etag := first.Header().Get("ETag")
	if etag == "" || second.Header().Get("ETag") != etag {
		t.Fatalf("ETags %q %q", etag, second.Header().Get("ETag"))
	}
	if rec := fetch(etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	// Another host gets its own share link, hence its own page.
	req := withPath(httptest.NewRequest("GET", "/d/"+id, nil), "id", id)
	req.Host = "cors.example.org"
	rec := httptest.NewRecorder()
	h(rec, req)
	if !strings.Contains(rec.Body.String(), "http://cors.example.org/d/"+id) {
		t.Error("the cached page of another host was served")
	}
	// Past retention the cached page is gone too.
	now = now.Add(DefaultSettings.Retention + time.Hour)
	if rec := fetch(""); rec.Code != http.StatusNotFound {
		t.Errorf("after retention: %d, want 404", rec.Code)
	}
}

func TestPageCacheEvicts(t *testing.T) {
	c := newPageCache(100)
	for _, k := range []string{"a", "b", "c", "d"} {
		c.put(newCachedPage(k, make([]byte, 25), time.Time{}))
	}
	c.get("a") // a is now the most recent
	c.put(newCachedPage("e", make([]byte, 25), time.Time{}))
	if _, ok := c.get("b"); ok {
		t.Error("b, the least recently used, was kept")
	}
	for _, k := range []string{"a", "c", "d", "e"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
	if c.size != 100 {
		t.Errorf("size = %d", c.size)
	}
	c.put(newCachedPage("huge", make([]byte, 60), time.Time{}))
	if _, ok := c.get("huge"); ok {
		t.Error("a page over a quarter of the budget was cached")
	}
}
