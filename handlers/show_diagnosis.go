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
// ?stack=ID re-explains the stored report for that stack (the "Fix this
// first" box's picker is a GET form, so the URL stays a share link); an
// unknown ID is a 400 naming the valid ones. Rendered pages are cached
// per stack (see pageCache) and carry an ETag, so a teammate reloading a
// shared link gets a 304.
func ShowDiagnosis(logger *slog.Logger, st Store, set Settings) http.HandlerFunc {
	set = set.withDefaults()
	cache := newPageCache(pageCacheBytes)
	return func(w http.ResponseWriter, r *http.Request) {
		key := pageKey{id: r.PathValue("id")}
		if r.URL.RawQuery != "" {
			stack, err := stackQuery(r.URL.RawQuery)
			if err != nil {
				writeError(w, r, logger, err)
				return
			}
			key.stack = stack
		}
		if set.BaseURL == "" {
			key.host, key.tls = r.Host, r.TLS != nil
		}
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
			err = templates.DiagnosisPage(diagnosisView(r, set, d, key.stack)).Render(r.Context(), buf)
			body := bytes.Clone(buf.Bytes())
			bufPool.Put(buf)
			if err != nil {
				writeError(w, r, logger, err)
				return
			}
			p = newCachedPage(key, body, d.CreatedAt)
			cache.put(p)
		}
		// A cache hit allocates nothing here: every header value is
		// precomputed (this is the hot path of a shared link).
		h := w.Header()
		h["Vary"] = varyAcceptEncoding
		page := &p.identity
		if acceptsGzip(r) {
			page = &p.gzipped
			h["Content-Encoding"] = contentEncodingGzip
		}
		h["Etag"] = page.etagValue
		if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, page.etag) {
			delete(h, "Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h["Content-Type"] = contentTypeHTML
		h["Content-Length"] = page.contentLength
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(page.body)
	}
}

// Shared header values of cached pages; one element at full capacity, so
// an Add elsewhere copies rather than appends into them.
var (
	varyAcceptEncoding  = []string{"Accept-Encoding"}
	contentEncodingGzip = []string{"gzip"}
	contentTypeHTML     = []string{"text/html; charset=utf-8"}
)

// acceptsGzip reports whether the client takes a gzip body; every browser
// does.
func acceptsGzip(r *http.Request) bool {
	rest := r.Header.Get("Accept-Encoding")
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return qualityAbove0(params)
		}
	}
	return false
}

// qualityAbove0 reads the weight in a coding's parameters (";q=0.5");
// absent, it is 1.
func qualityAbove0(params string) bool {
	for params != "" {
		var param string
		param, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		if strings.EqualFold(strings.TrimSpace(name), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			return err == nil && q > 0
		}
	}
	return true
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
