package export

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"corsdoctor/diagnose"
)

// HAR is an HTTP Archive 1.2 document
// (http://www.softwareishard.com/blog/har-12-spec/), the format browser
// devtools import and export in their Network panels.
type HAR struct {
	Log HARLog `json:"log"`
}

// HARLog is the root of a HAR document.
type HARLog struct {
	Version string     `json:"version"`
	Creator HARCreator `json:"creator"`
	Pages   []HARPage  `json:"pages"`
	Entries []HAREntry `json:"entries"`
	Comment string     `json:"comment,omitempty"`
}

// HARCreator names the program that wrote the archive.
type HARCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HARPage groups the entries of one page load; a diagnosis is one page.
type HARPage struct {
	StartedDateTime string         `json:"startedDateTime"`
	ID              string         `json:"id"`
	Title           string         `json:"title"`
	PageTimings     HARPageTimings `json:"pageTimings"`
}

// HARPageTimings are unknown (-1): there was no page load.
type HARPageTimings struct {
	OnContentLoad float64 `json:"onContentLoad"`
	OnLoad        float64 `json:"onLoad"`
}

// HAREntry is one request and its response.
type HAREntry struct {
	PageRef         string      `json:"pageref"`
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         HARRequest  `json:"request"`
	Response        HARResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         HARTimings  `json:"timings"`
	ServerIPAddress string      `json:"serverIPAddress,omitempty"`
	Comment         string      `json:"comment,omitempty"`
	// ResourceType and Error are Chromium's custom fields: devtools shows
	// "preflight" entries as such, and a network error instead of a status.
	ResourceType string `json:"_resourceType,omitempty"`
	Error        string `json:"_error,omitempty"`
}

// HARNameValue is a header, query parameter or cookie.
type HARNameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HARRequest is a request as sent.
type HARRequest struct {
	Method      string         `json:"method"`
	URL         string         `json:"url"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []HARNameValue `json:"cookies"`
	Headers     []HARNameValue `json:"headers"`
	QueryString []HARNameValue `json:"queryString"`
	PostData    *HARPostData   `json:"postData,omitempty"`
	HeadersSize int            `json:"headersSize"`
	BodySize    int            `json:"bodySize"`
}

// HARPostData is a request body.
type HARPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

// HARResponse is a response as received; Status is 0 when none arrived.
type HARResponse struct {
	Status      int            `json:"status"`
	StatusText  string         `json:"statusText"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []HARNameValue `json:"cookies"`
	Headers     []HARNameValue `json:"headers"`
	Content     HARContent     `json:"content"`
	RedirectURL string         `json:"redirectURL"`
	HeadersSize int            `json:"headersSize"`
	BodySize    int            `json:"bodySize"`
}

// HARContent is a response body (corsdoctor keeps only its first bytes).
type HARContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// HARTimings splits an entry's time; corsdoctor measures only the whole
// exchange, so it is all "wait" and the phases it did not time are -1.
type HARTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	SSL     float64 `json:"ssl"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

const harTime = "2006-01-02T15:04:05.000Z07:00"

// BuildHAR returns the archive of the requests a browser would send for
// rep, one entry per exchange (preflight, actual request, each redirect
// hop) in order. corsdoctor's follow-up preflights are left out: no
// browser sends them. title names the page (e.g. the share link).
func BuildHAR(rep *diagnose.Report, title string) HAR {
	started := rep.RanAt
	if started.IsZero() && len(rep.Exchanges) > 0 {
		started = rep.Exchanges[0].Started
	}
	h := HAR{Log: HARLog{
		Version: "1.2",
		Creator: HARCreator{Name: "corsdoctor", Version: rep.Engine},
		Pages: []HARPage{{
			StartedDateTime: started.UTC().Format(harTime),
			ID:              "page_1",
			Title:           title,
			PageTimings:     HARPageTimings{OnContentLoad: -1, OnLoad: -1},
		}},
		Entries: []HAREntry{},
		Comment: "Requests corsdoctor sent as a browser at " + rep.Request.Origin + " would; values of secret headers are redacted.",
	}}
	for _, ex := range rep.Exchanges {
		h.Log.Entries = append(h.Log.Entries, harEntry(ex))
	}
	return h
}

func harEntry(ex diagnose.Exchange) HAREntry {
	e := HAREntry{
		PageRef:         "page_1",
		StartedDateTime: ex.Started.UTC().Format(harTime),
		Time:            ex.DurationMS,
		Request:         harRequest(ex.Request),
		Timings:         HARTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Wait: ex.DurationMS},
		Comment:         ex.Step.String(),
		ResourceType:    "fetch",
	}
	if ex.Step.Kind == diagnose.StepPreflight {
		e.ResourceType = "preflight"
	}
	if host, _, err := net.SplitHostPort(ex.RemoteAddr); err == nil {
		e.ServerIPAddress = host
	}
	if ex.Response == nil {
		e.Response = HARResponse{
			Cookies: []HARNameValue{}, Headers: []HARNameValue{},
			Content:     HARContent{MimeType: "x-unknown"},
			HeadersSize: -1, BodySize: -1,
		}
		if ex.Error != nil {
			e.Error = ex.Error.Message
			if ex.Error.Chromium != "" {
				e.Error = ex.Error.Chromium
			}
		}
		return e
	}
	resp := ex.Response
	r := HARResponse{
		Status:      resp.Status,
		StatusText:  resp.StatusText,
		HTTPVersion: resp.Proto,
		Cookies:     []HARNameValue{},
		Headers:     nameValues(resp.Headers),
		HeadersSize: resp.HeaderBytes,
		BodySize:    len(resp.Body),
	}
	if r.StatusText == "" {
		r.StatusText = http.StatusText(resp.Status)
	}
	mime := "x-unknown"
	for _, hd := range resp.Headers {
		switch {
		case strings.EqualFold(hd.Name, "Content-Type"):
			mime = hd.Value
		case strings.EqualFold(hd.Name, "Location") && resp.Status >= 300 && resp.Status < 400:
			r.RedirectURL = hd.Value
		}
	}
	r.Content = HARContent{Size: len(resp.Body), MimeType: mime, Text: resp.Body}
	if resp.BodyTruncated {
		r.BodySize = -1
		r.Content.Comment = "corsdoctor kept only the first " + strconv.Itoa(len(resp.Body)) + " bytes of the body"
	}
	e.Response = r
	return e
}

func harRequest(req diagnose.SentRequest) HARRequest {
	r := HARRequest{
		Method:      req.Method,
		URL:         req.URL,
		HTTPVersion: req.Proto,
		Cookies:     []HARNameValue{},
		Headers:     nameValues(req.Headers),
		QueryString: []HARNameValue{},
		BodySize:    len(req.Body),
	}
	if r.HTTPVersion == "" {
		r.HTTPVersion = "HTTP/1.1"
	}
	// The head as written: request line, one line per header, blank line.
	size := len(req.Method) + 1 + len(requestTarget(req.URL)) + 1 + len(r.HTTPVersion) + 2
	for _, h := range req.Headers {
		size += len(h.Name) + 2 + len(h.Value) + 2
	}
	r.HeadersSize = size + 2
	if u, err := url.Parse(req.URL); err == nil {
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			if uk, err := url.QueryUnescape(k); err == nil {
				k = uk
			}
			if uv, err := url.QueryUnescape(v); err == nil {
				v = uv
			}
			r.QueryString = append(r.QueryString, HARNameValue{Name: k, Value: v})
		}
	}
	if req.Body != "" {
		mime := "text/plain;charset=UTF-8"
		for _, h := range req.Headers {
			if strings.EqualFold(h.Name, "Content-Type") {
				mime = h.Value
			}
		}
		r.PostData = &HARPostData{MimeType: mime, Text: req.Body}
	}
	return r
}

// requestTarget is the origin-form of a URL: path and query.
func requestTarget(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	t := u.EscapedPath()
	if t == "" {
		t = "/"
	}
	if u.RawQuery != "" {
		t += "?" + u.RawQuery
	}
	return t
}

// RequestTarget is the origin-form of a URL, as written in a request line.
func RequestTarget(raw string) string { return requestTarget(raw) }

func nameValues(hs []diagnose.Header) []HARNameValue {
	out := make([]HARNameValue, 0, len(hs))
	for _, h := range hs {
		out = append(out, HARNameValue{Name: h.Name, Value: h.Value})
	}
	return out
}
