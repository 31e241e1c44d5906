package realstack

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"corsdoctor/browsertest"
	"corsdoctor/diagnose"
)

// pageRequest is the page's fetch(): what both corsdoctor and the browsers
// are given.
type pageRequest struct {
	URL         string
	Method      string
	Headers     [][2]string
	Credentials string
}

func (r pageRequest) probe(origin string) diagnose.Request {
	req := diagnose.Request{
		URL:         r.URL,
		Origin:      origin,
		Method:      r.Method,
		Credentials: diagnose.Credentials(r.Credentials),
		Mode:        diagnose.ModeCORS,
	}
	for _, h := range r.Headers {
		req.Headers = append(req.Headers, diagnose.Header{Name: h[0], Value: h[1]})
	}
	return req
}

func (r pageRequest) fetch() browsertest.Fetch {
	return browsertest.Fetch{URL: r.URL, Method: r.Method, Headers: r.Headers, Credentials: r.Credentials, Mode: "cors"}
}

// fromDiagnose is the page's request as the engine's client fix states it.
func fromDiagnose(d *diagnose.Request) pageRequest {
	r := pageRequest{URL: d.URL, Method: d.Method, Credentials: string(d.Credentials)}
	if r.Method == "" {
		r.Method = "GET"
	}
	if r.Credentials == "" {
		r.Credentials = "same-origin"
	}
	for _, h := range d.Headers {
		r.Headers = append(r.Headers, [2]string{h.Name, h.Value})
	}
	return r
}

const pageHTML = "<!doctype html><meta charset=utf-8><title>realstack page</title>"

// newPage serves the blank page whose origin the browser's fetch carries.
func newPage() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, pageHTML)
	}))
}

// newUpstream is the application behind nginx, Apache and Caddy. It
// answers /api/items (and /api/items/) with JSON for every method but
// OPTIONS (405, as most routers), /api/private with 401 without an
// Authorization header, and anything else with 404. With corsFor set it
// also does CORS itself for that origin, credentials included, as an
// application with its own CORS middleware does.
func newUpstream(corsFor func() string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if corsFor != nil {
			h.Add("Vary", "Origin")
			if o := r.Header.Get("Origin"); o != "" && o == corsFor() {
				h.Set("Access-Control-Allow-Origin", o)
				h.Set("Access-Control-Allow-Credentials", "true")
				if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
					h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
					if v := r.Header.Get("Access-Control-Request-Headers"); v != "" {
						h.Set("Access-Control-Allow-Headers", v)
					}
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
		}
		switch strings.TrimSuffix(r.URL.Path, "/") {
		case "/api/items":
			if r.Method == http.MethodOptions {
				h.Set("Allow", "GET, HEAD, POST, PUT, DELETE, PATCH")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			h.Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true}`)
		case "/api/private":
			if r.Header.Get("Authorization") == "" {
				h.Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":"unauthorized"}`)
				return
			}
			h.Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true}`)
		default:
			http.NotFound(w, r)
		}
	}))
}
