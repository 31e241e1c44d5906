package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
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

func TestPageGzip(t *testing.T) {
	body := []byte(strings.Repeat("<p>a results page</p>", 500))
	p := newCachedPage(pageKey{id: "k"}, body, time.Time{})
	zr, err := gzip.NewReader(bytes.NewReader(p.gzipped.body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("the gzipped copy does not inflate to the page: %v", err)
	}
	if len(p.gzipped.body)*5 > len(body) {
		t.Errorf("gzipped %d bytes of %d: want at least 5x smaller", len(p.gzipped.body), len(body))
	}
}

func TestShowDiagnosisGzip(t *testing.T) {
	m := newMemStore()
	id := m.put(store.Diagnosis{Report: *allowedGET(t)})
	h := ShowDiagnosis(discard(), m, DefaultSettings)
	fetch := func(acceptEncoding, ifNoneMatch string) *httptest.ResponseRecorder {
		req := withPath(httptest.NewRequest("GET", "/d/"+id, nil), "id", id)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		rec := httptest.NewRecorder()
		h(rec, req)
		return rec
	}
	plain := fetch("", "")
	zipped := fetch("gzip, deflate, br", "")
	if plain.Header().Get("Content-Encoding") != "" || zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q / %q", plain.Header().Get("Content-Encoding"), zipped.Header().Get("Content-Encoding"))
	}
	for _, rec := range []*httptest.ResponseRecorder{plain, zipped} {
		if !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("Vary = %q, want Accept-Encoding", rec.Header().Get("Vary"))
		}
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	inflated, _ := io.ReadAll(zr)
	if !bytes.Equal(inflated, plain.Body.Bytes()) {
		t.Error("the gzipped page differs from the plain one")
	}
	if zipped.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Error("both encodings share one ETag")
	}
	if rec := fetch("identity, gzip;q=0", ""); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}
	if rec := fetch("gzip", zipped.Header().Get("ETag")); rec.Code != http.StatusNotModified || rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("revalidating the gzip variant: %d, Content-Encoding %q", rec.Code, rec.Header().Get("Content-Encoding"))
	}
}

func TestPageCacheEvicts(t *testing.T) {
	// A page costs its body plus its gzipped copy; the budget fits four.
	key := func(id string) pageKey { return pageKey{id: id, host: "cors.example.org"} }
	cost := newCachedPage(key("x"), make([]byte, 25), time.Time{}).size()
	c := newPageCache(4 * cost)
	for _, k := range []string{"a", "b", "c", "d"} {
		c.put(newCachedPage(key(k), make([]byte, 25), time.Time{}))
	}
	c.get(key("a")) // a is now the most recent
	c.put(newCachedPage(key("e"), make([]byte, 25), time.Time{}))
	if _, ok := c.get(key("b")); ok {
		t.Error("b, the least recently used, was kept")
	}
	for _, k := range []string{"a", "c", "d", "e"} {
		if _, ok := c.get(key(k)); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
	if c.size != 4*cost {
		t.Errorf("size = %d, want %d", c.size, 4*cost)
	}
	c.put(newCachedPage(key("huge"), make([]byte, 2*cost), time.Time{}))
	if _, ok := c.get(key("huge")); ok {
		t.Error("a page over a quarter of the budget was cached")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		acceptEncoding string
		want           bool
	}{
		{"", false},
		{"gzip", true},
		{"gzip, deflate, br, zstd", true},
		{"br;q=1.0, GZIP;q=0.5", true},
		{"deflate, gzip ; q=0.001", true},
		{"identity, gzip;q=0", false},
		{"gzip;q=0.0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=nonsense", false},
		{"x-gzip", false},
		{"identity", false},
		{"*", false}, // a wildcard could mean gzip; serving identity is never wrong
	} {
		req := httptest.NewRequest("GET", "/d/x", nil)
		if tc.acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", tc.acceptEncoding)
		}
		if got := acceptsGzip(req); got != tc.want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", tc.acceptEncoding, got, tc.want)
		}
	}
}
