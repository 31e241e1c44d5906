// Package static embeds the dashboard's stylesheets and scripts and serves
// them under content-hashed URLs.
//
// Everything is in the binary: the dashboard works offline and its
// Content-Security-Policy can say script-src 'self' and style-src 'self'
// with no CDN to trust. A URL carries the first 12 hex digits of the file's
// SHA-256 ("/static/css/app.css?v=…"), so a response for the current
// version may be cached forever and a new build busts every cache.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed css js img
var files embed.FS

// Prefix is the URL path under which Handler serves the files.
const Prefix = "/static/"

type asset struct {
	body        []byte
	hash        string // first 12 hex digits of SHA-256
	contentType string
}

var (
	loadOnce sync.Once
	assets   map[string]asset
)

func load() {
	assets = map[string]asset{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		assets[p] = asset{body: b, hash: hex.EncodeToString(sum[:])[:12], contentType: ct}
		return nil
	})
	if err != nil {
		// The files are compiled in; failing to walk them is a build bug.
		panic("static: " + err.Error())
	}
}

// Path returns "/static/"+name+"?v="+the first 12 hex digits of its SHA-256.
// It panics for a name that is not embedded, so a typo in a template fails
// the first test that renders it rather than shipping a broken link.
func Path(name string) string {
	loadOnce.Do(load)
	a, ok := assets[name]
	if !ok {
		panic("static: no embedded file " + strconv.Quote(name))
	}
	return Prefix + name + "?v=" + a.hash
}

// Handler serves the embedded files below Prefix. A request whose v matches
// the file's hash is cached "public, max-age=31536000, immutable"; any other
// v (or none) gets "no-cache", so a stale URL never pins old content.
func Handler() http.Handler {
	loadOnce.Do(load)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		a, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		etag := `"` + a.hash + `"`
		h.Set("ETag", etag)
		if r.URL.Query().Get("v") == a.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(a.body)
	})
}
