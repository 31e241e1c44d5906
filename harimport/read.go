package harimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"corsdoctor/diagnose"
)

// Limits bound what Read keeps and accepts.
type Limits struct {
	// MaxEntries is how many entries a HAR may have; more is an error.
	MaxEntries int
	// MaxBody is how many bytes of each request and response body are
	// kept (CORS never depends on the body; the page shows a preview).
	MaxBody int
}

// DefaultLimits are the limits of the dashboard and the CLI.
var DefaultLimits = Limits{MaxEntries: 50_000, MaxBody: 1 << 10}

// secretNames are the headers whose values Read replaces with
// diagnose.Redacted (lower case).
var secretNames = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
}

// Archive is what Read keeps of a HAR: the entries that can belong to a
// CORS fetch, and counts of the rest.
type Archive struct {
	// Creator is the program that wrote the HAR ("Firefox 128.0").
	Creator string
	// Browser is "chromium", "firefox", "safari" or "" (unknown), from the
	// creator's name and the custom fields seen.
	Browser string
	// Pages maps a page id to its title, which Chromium and Firefox set to
	// the page's URL.
	Pages map[string]string
	// Entries are the entries kept, in file order.
	Entries []Entry
	// Total is how many entries the HAR has.
	Total int
	// NotCORS counts the entries dropped as they were read: no Origin
	// header, not an OPTIONS request and not a fetch() or XMLHttpRequest
	// (navigations, images, scripts, style sheets).
	NotCORS int

	// The custom fields seen, when the creator's name says nothing.
	sawChromium, sawFirefox, sawSafari bool
}

// Entry is one recorded request and its response, as much of it as the
// judgement needs. Secret header values are already redacted.
type Entry struct {
	// Index is the entry's position in log.entries, from 0.
	Index      int
	PageRef    string
	Started    time.Time
	DurationMS float64
	// Method and URL are the request's, as recorded.
	Method  string
	URL     string
	Proto   string
	Headers []diagnose.Header
	// Body is the first Limits.MaxBody bytes of the request body.
	Body string
	// Status is 0 when no response arrived; Error then says why
	// (Chromium's _error, e.g. "net::ERR_FAILED").
	Status        int
	StatusText    string
	RespProto     string
	RespHeaders   []diagnose.Header
	HeaderBytes   int
	RespBody      string
	RespTruncated bool
	RedirectURL   string
	Error         string
	ServerIP      string
	// ResourceType is Chromium's _resourceType ("fetch", "xhr",
	// "preflight", "image", …); FetchType is Safari's _fetchType
	// ("Network Load", "Memory Cache", "Disk Cache").
	ResourceType string
	FetchType    string
	// Redacted names the headers whose values were redacted.
	Redacted []string
}

// header returns the first value of the named request header.
func (e *Entry) header(name string) (string, bool) {
	return getHeader(e.Headers, name)
}

func getHeader(hs []diagnose.Header, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// isPreflight reports whether e is a CORS preflight: an OPTIONS request
// that names the method it asks about.
func (e *Entry) isPreflight() bool {
	if e.Method != "OPTIONS" {
		return false
	}
	_, ok := e.header("Access-Control-Request-Method")
	return ok
}

// fromCache reports whether the browser answered e from a cache, without
// a network exchange.
func (e *Entry) fromCache() bool {
	return strings.Contains(strings.ToLower(e.FetchType), "cache")
}

// FormatError is a HAR that cannot be read: not JSON, not a HAR, or over
// a limit. Its message is meant for the person who uploaded the file.
type FormatError struct {
	Message string
}

func (e *FormatError) Error() string { return "HAR: " + e.Message }

func formatErrorf(format string, args ...any) error {
	return &FormatError{Message: fmt.Sprintf(format, args...)}
}

// Read reads a HAR from r one entry at a time, keeping only the entries
// that can belong to a CORS fetch (see Archive.NotCORS), with their bodies
// cut to lim.MaxBody and their secret header values redacted. Memory is
// bounded by the largest single entry plus what is kept, never by the
// whole file. A HAR that cannot be read is a *FormatError; errors from r
// (an upload cut short, over its size limit) are returned wrapped, so
// errors.As finds them.
func Read(r io.Reader, lim Limits) (*Archive, error) {
	if lim.MaxEntries <= 0 {
		lim.MaxEntries = DefaultLimits.MaxEntries
	}
	if lim.MaxBody <= 0 {
		lim.MaxBody = DefaultLimits.MaxBody
	}
	dec := json.NewDecoder(r)
	a := &Archive{Pages: map[string]string{}}
	sawLog := false
	err := readObject(dec, "the HAR", func(key string) error {
		if key != "log" {
			return skipValue(dec)
		}
		sawLog = true
		return readObject(dec, "log", func(key string) error {
			switch key {
			case "creator":
				var c struct{ Name, Version string }
				if err := dec.Decode(&c); err != nil {
					return wrapDecode(err, "log.creator")
				}
				a.Creator = strings.TrimSpace(c.Name + " " + c.Version)
				return nil
			case "pages":
				var ps []struct{ ID, Title string }
				if err := dec.Decode(&ps); err != nil {
					return wrapDecode(err, "log.pages")
				}
				for _, p := range ps {
					a.Pages[p.ID] = p.Title
				}
				return nil
			case "entries":
				return readEntries(dec, a, lim)
			}
			return skipValue(dec)
		})
	})
	if err != nil {
		return nil, err
	}
	if !sawLog {
		return nil, formatErrorf("the file has no \"log\" object: export it from the Network panel with \"Save all as HAR\" (Chromium), \"Save All As HAR\" (Firefox) or \"Export HAR\" (Safari)")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, formatErrorf("unexpected data after the HAR's JSON object")
	}
	a.Browser = browserOf(a)
	return a, nil
}

// rawEntry is the part of a HAR entry Read decodes.
type rawEntry struct {
	PageRef         string  `json:"pageref"`
	StartedDateTime string  `json:"startedDateTime"`
	Time            float64 `json:"time"`
	Request         struct {
		Method      string       `json:"method"`
		URL         string       `json:"url"`
		HTTPVersion string       `json:"httpVersion"`
		Headers     []nameValue  `json:"headers"`
		PostData    *rawPostData `json:"postData"`
	} `json:"request"`
	Response struct {
		Status      int         `json:"status"`
		StatusText  string      `json:"statusText"`
		HTTPVersion string      `json:"httpVersion"`
		Headers     []nameValue `json:"headers"`
		Content     struct {
			Text     string `json:"text"`
			Encoding string `json:"encoding"`
		} `json:"content"`
		RedirectURL string `json:"redirectURL"`
		HeadersSize int    `json:"headersSize"`
		Error       string `json:"_error"`
	} `json:"response"`
	ServerIPAddress string `json:"serverIPAddress"`
	ResourceType    string `json:"_resourceType"`
	FetchType       string `json:"_fetchType"`
	Error           string `json:"_error"`
	// Seen only to tell the browsers apart.
	Initiator     json.RawMessage `json:"_initiator"`
	SecurityState string          `json:"_securityState"`
}

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type rawPostData struct {
	Text string `json:"text"`
}

func readEntries(dec *json.Decoder, a *Archive, lim Limits) error {
	if err := expectDelim(dec, '[', "log.entries"); err != nil {
		return err
	}
	for dec.More() {
		if a.Total >= lim.MaxEntries {
			return formatErrorf("more than %d entries: export only the requests you need (filter the Network panel to Fetch/XHR first)", lim.MaxEntries)
		}
		var raw rawEntry
		if err := dec.Decode(&raw); err != nil {
			return wrapDecode(err, fmt.Sprintf("log.entries[%d]", a.Total))
		}
		i := a.Total
		a.Total++
		if raw.Initiator != nil {
			a.sawChromium = true
		}
		if raw.SecurityState != "" {
			a.sawFirefox = true
		}
		if raw.FetchType != "" {
			a.sawSafari = true
		}
		if !mayBeCORS(&raw) {
			a.NotCORS++
			continue
		}
		e, err := newEntry(i, &raw, lim)
		if err != nil {
			return err
		}
		a.Entries = append(a.Entries, e)
	}
	_, err := dec.Token() // ']'
	return wrapDecode(err, "log.entries")
}

// mayBeCORS keeps the entries that can take part in a CORS fetch: every
// request of one carries an Origin header (preflights, and redirect hops
// with "null"), and a fetch() or XMLHttpRequest without one is listed
// (same-origin, or an origin to infer).
func mayBeCORS(raw *rawEntry) bool {
	if strings.EqualFold(raw.Request.Method, "OPTIONS") {
		return true
	}
	switch strings.ToLower(raw.ResourceType) {
	case "fetch", "xhr", "preflight":
		return true
	}
	for _, h := range raw.Request.Headers {
		if strings.EqualFold(h.Name, "Origin") {
			return true
		}
	}
	return false
}

func newEntry(i int, raw *rawEntry, lim Limits) (Entry, error) {
	e := Entry{
		Index:        i,
		PageRef:      raw.PageRef,
		DurationMS:   raw.Time,
		Method:       raw.Request.Method,
		URL:          raw.Request.URL,
		Proto:        raw.Request.HTTPVersion,
		Status:       raw.Response.Status,
		StatusText:   raw.Response.StatusText,
		RespProto:    raw.Response.HTTPVersion,
		HeaderBytes:  max(raw.Response.HeadersSize, 0),
		RedirectURL:  raw.Response.RedirectURL,
		ServerIP:     strings.Trim(raw.ServerIPAddress, "[]"),
		ResourceType: raw.ResourceType,
		FetchType:    raw.FetchType,
		Error:        cmpOr(raw.Response.Error, raw.Error),
	}
	if e.Method == "" || e.URL == "" {
		return Entry{}, formatErrorf("log.entries[%d] has no request method or URL", i)
	}
	if t, err := time.Parse(time.RFC3339Nano, raw.StartedDateTime); err == nil {
		e.Started = t.UTC()
	}
	var redacted []string
	e.Headers = headers(raw.Request.Headers, &redacted)
	e.RespHeaders = headers(raw.Response.Headers, &redacted)
	e.Redacted = redacted
	if raw.Request.PostData != nil {
		e.Body, _ = cut(raw.Request.PostData.Text, lim.MaxBody)
	}
	// A base64 body (images, binary) says nothing CORS needs; it is left
	// out rather than shown as gibberish.
	if raw.Response.Content.Encoding == "" {
		e.RespBody, e.RespTruncated = cut(raw.Response.Content.Text, lim.MaxBody)
	}
	return e, nil
}

// headers converts recorded header lines, dropping HTTP/2 and HTTP/3
// pseudo-headers (":authority", ":status": Chromium lists them) and
// redacting secret values; redacted collects the names redacted.
func headers(nvs []nameValue, redacted *[]string) []diagnose.Header {
	out := make([]diagnose.Header, 0, len(nvs))
	for _, nv := range nvs {
		if strings.HasPrefix(nv.Name, ":") || nv.Name == "" {
			continue
		}
		h := diagnose.Header{Name: nv.Name, Value: nv.Value}
		if secretNames[strings.ToLower(nv.Name)] {
			h.Value = diagnose.Redacted
			addName(redacted, canonicalSecret(nv.Name))
		}
		out = append(out, h)
	}
	return out
}

// canonicalSecret spells a secret header's name as the dashboard lists
// it, whatever case the HAR used (HTTP/2 lower-cases names).
func canonicalSecret(name string) string {
	switch strings.ToLower(name) {
	case "authorization":
		return "Authorization"
	case "proxy-authorization":
		return "Proxy-Authorization"
	case "cookie":
		return "Cookie"
	case "set-cookie":
		return "Set-Cookie"
	}
	return name
}

func addName(list *[]string, name string) {
	for _, n := range *list {
		if strings.EqualFold(n, name) {
			return
		}
	}
	*list = append(*list, name)
}

// cut returns the first n bytes of s, not splitting a UTF-8 sequence, and
// whether anything was cut. The prefix is a copy: a slice of s would keep
// the whole body alive.
func cut(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return strings.Clone(s[:n]), true
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// browserOf names the browser that wrote the HAR.
func browserOf(a *Archive) string {
	c := strings.ToLower(a.Creator)
	switch {
	case strings.Contains(c, "firefox"):
		return "firefox"
	case strings.Contains(c, "webkit") || strings.Contains(c, "safari"):
		return "safari"
	case strings.Contains(c, "chrom") || strings.Contains(c, "devtools") || strings.Contains(c, "edge"):
		return "chromium"
	case a.sawSafari:
		return "safari"
	case a.sawFirefox:
		return "firefox"
	case a.sawChromium:
		return "chromium"
	}
	return ""
}

// readObject reads a JSON object from dec, calling field for each key with
// the decoder positioned at its value; field must consume the value.
func readObject(dec *json.Decoder, what string, field func(key string) error) error {
	if err := expectDelim(dec, '{', what); err != nil {
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return wrapDecode(err, what)
		}
		key, ok := t.(string)
		if !ok {
			return formatErrorf("%s: a key is not a string", what)
		}
		if err := field(key); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return wrapDecode(err, what)
}

func expectDelim(dec *json.Decoder, want json.Delim, what string) error {
	t, err := dec.Token()
	if err != nil {
		return wrapDecode(err, what)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		kind := "an object"
		if want == '[' {
			kind = "an array"
		}
		return formatErrorf("%s is not %s", what, kind)
	}
	return nil
}

// skipValue consumes one JSON value token by token, so that a large value
// the judgement does not need is never held whole.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return wrapDecode(err, "the HAR")
		}
		if d, ok := t.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// wrapDecode turns a JSON error into a FormatError naming where it
// happened; errors of the reader itself (an upload over its limit, a
// connection cut) are wrapped unchanged so that callers can tell them.
func wrapDecode(err error, where string) error {
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return formatErrorf("%s: not valid JSON at byte %d: %v", where, se.Offset, se.Error())
	case errors.As(err, &te):
		return formatErrorf("%s: %s should be %s, not %s", where, cmpOr(te.Field, "a value"), te.Type.String(), te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return formatErrorf("%s: the file ends too early (cut short?)", where)
	}
	return fmt.Errorf("read HAR %s: %w", where, err)
}
