package handlers

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"corsdoctor/store"
	"corsdoctor/templates"
)

// pageCacheBytes bounds the memory of rendered diagnosis pages.
const pageCacheBytes = 32 << 20

// ShowDiagnosis handles "GET /d/{id}": the permanent, immutable page of
// one diagnosis. Unknown, malformed and expired ids get the friendly 404.
// Rendered pages are cached (see pageCache) and carry an ETag, so a
// teammate reloading a shared link gets a 304.
func ShowDiagnosis(logger *slog.Logger, st Store, set Settings) http.HandlerFunc {
	set = set.withDefaults()
	cache := newPageCache(pageCacheBytes)
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		key := id + " " + absoluteURL(r, set, "/")
		p, ok := cache.get(key)
		if ok && set.expired(p.created) {
			cache.remove(key)
			ok = false
		}
		if !ok {
			d, err := getDiagnosis(r, st, set)
			if err != nil {
				writeError(w, r, logger, err)
				return
			}
			buf := bufPool.Get().(*bytes.Buffer)
			buf.Reset()
			err = templates.DiagnosisPage(diagnosisView(r, set, d)).Render(r.Context(), buf)
			body := bytes.Clone(buf.Bytes())
			bufPool.Put(buf)
			if err != nil {
				writeError(w, r, logger, err)
				return
			}
			p = newCachedPage(key, body, d.CreatedAt)
			cache.put(p)
		}
		h := w.Header()
		h.Add("Vary", "Accept-Encoding")
		body, etag := p.body, p.etag
		if acceptsGzip(r) {
			// Each encoding of a page has its own ETag (RFC 9110 §8.8.3).
			body, etag = p.gzipped, strings.TrimSuffix(p.etag, `"`)+`-gzip"`
			h.Set("Content-Encoding", "gzip")
		}
		h.Set("ETag", etag)
		if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
			h.Del("Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether the client takes a gzip body; every browser
// does.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") || strings.Contains(params, "q=0.")
		}
	}
	return false
}

// getDiagnosis loads the diagnosis named by the {id} path value, treating
// one past retention as gone even before the sweep deletes it.
func getDiagnosis(r *http.Request, st Store, set Settings) (*store.Diagnosis, error) {
	d, err := st.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if set.expired(d.CreatedAt) {
		return nil, store.ErrNotFound
	}
	return d, nil
}
