package diagnose

import (
	"strconv"
	"strings"
	"time"
)

// StepKind names which of the browser's requests an exchange was.
type StepKind string

// The kinds of request a CORS fetch can make.
const (
	StepPreflight StepKind = "preflight"
	StepActual    StepKind = "actual"
)

// Step locates an exchange in the fetch: the preflight or the actual
// request, at redirect hop Hop (0 is the URL the page asked for).
type Step struct {
	Kind StepKind `json:"kind"`
	Hop  int      `json:"hop"`
	URL  string   `json:"url"`
}

// String is how reports name a step: "preflight", "actual", "actual (redirect hop 2)".
func (s Step) String() string {
	if s.Hop == 0 {
		return string(s.Kind)
	}
	return string(s.Kind) + " (redirect hop " + strconv.Itoa(s.Hop) + ")"
}

// SentRequest is a request exactly as the prober wrote it.
type SentRequest struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	Proto   string   `json:"proto"`
	Headers []Header `json:"headers"`
	Body    string   `json:"body,omitempty"`
}

// Response is a response as received: field lines in order, with their
// original casing, repeats kept as separate lines.
type Response struct {
	Proto      string   `json:"proto"`
	Status     int      `json:"status"`
	StatusText string   `json:"status_text"`
	Headers    []Header `json:"headers"`
	// HeaderBytes is the size of the response head as received.
	HeaderBytes int `json:"header_bytes"`
	// Body holds the first bytes of the body (never decompressed).
	Body          string `json:"body,omitempty"`
	BodyTruncated bool   `json:"body_truncated,omitempty"`
	// Malformed lists field lines that are not "name: value" and were
	// ignored, as browsers ignore them.
	Malformed []string `json:"malformed,omitempty"`
	// IncompleteHead is set when the connection closed before the blank
	// line that ends the head; browsers use what arrived.
	IncompleteHead bool `json:"incomplete_head,omitempty"`
	// Framing lists what is odd about how the response is framed or
	// spelled, and how each browser reads it where that differs from
	// Status and Headers (see framing.go).
	Framing *Framing `json:"framing,omitempty"`
}

// NetError describes why no usable response arrived.
type NetError struct {
	// Kind is one of: dns, refused, reset, timeout, tls, malformed, http09
	// (no status line at all), closed, too-large, policy, internal.
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Chromium is the net::ERR_* code Chromium would report, when known.
	Chromium string `json:"chromium,omitempty"`
}

// TLSInfo summarises the TLS session of an https exchange.
type TLSInfo struct {
	Version     string    `json:"version"`
	CipherSuite string    `json:"cipher_suite"`
	ServerName  string    `json:"server_name"`
	PeerSubject string    `json:"peer_subject,omitempty"`
	PeerIssuer  string    `json:"peer_issuer,omitempty"`
	NotAfter    time.Time `json:"not_after,omitzero"`
}

// Check is one CORS check applied to an exchange, for the timeline.
type Check struct {
	Name    string    `json:"name"`
	Passed  bool      `json:"passed"`
	FailsIn []Browser `json:"fails_in,omitempty"`
	// NotChecked is true when no browser got as far as this check (after
	// a redirected preflight, or with no response): neither passed nor
	// failed.
	NotChecked bool   `json:"not_checked,omitempty"`
	Detail     string `json:"detail,omitempty"`
	// value is the offending value, folded into Detail when the browsers'
	// checks are merged.
	value string
}

// Exchange is one request the prober sent and what came back.
type Exchange struct {
	Step       Step        `json:"step"`
	Request    SentRequest `json:"request"`
	Response   *Response   `json:"response,omitempty"`
	Error      *NetError   `json:"error,omitempty"`
	RemoteAddr string      `json:"remote_addr,omitempty"`
	TLS        *TLSInfo    `json:"tls,omitempty"`
	Started    time.Time   `json:"started"`
	DurationMS float64     `json:"duration_ms"`
	Checks     []Check     `json:"checks,omitempty"`
	// Browsers lists the browsers that send this request: usually both,
	// but their paths can part (Firefox re-preflights after a 303 of a
	// preflighted request, for one).
	Browsers []Browser `json:"browsers,omitempty"`
}

// values returns every value of the named response header, one per field
// line, in order.
func (r *Response) values(name string) []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

// get is the Fetch standard's "get": repeated lines joined by ", ", and ok
// false when the header is absent.
func (r *Response) get(name string) (string, bool) {
	vs := r.values(name)
	if len(vs) == 0 {
		return "", false
	}
	return strings.Join(vs, ", "), true
}

// isRedirect reports whether the response is one browsers follow.
func (r *Response) isRedirect() bool {
	if r == nil {
		return false
	}
	switch r.Status {
	case 301, 302, 303, 307, 308:
		_, ok := r.get("Location")
		return ok
	}
	return false
}
