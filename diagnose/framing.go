package diagnose

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Framing is what the prober found wrong with how a response is framed or
// spelled, and how each browser reads it where that differs from the
// Response it belongs to. Firefox and Chromium parse the same bytes
// differently (observed in Firefox 153 and Chromium 156): a status line,
// a NUL byte, a space before a colon, a bare CR, duplicate Content-Length
// lines or a bad chunk size can make one of them fail the fetch, or read
// other headers, while the other allows it.
type Framing struct {
	Issues []FramingIssue `json:"issues"`
	// Firefox and Chromium are set when that browser reads the response
	// differently from the Response's own status and headers.
	Firefox  *BrowserRead `json:"firefox,omitempty"`
	Chromium *BrowserRead `json:"chromium,omitempty"`
}

// FramingIssue is one oddity of the response as sent.
type FramingIssue struct {
	// Reason is corsdoctor's reason ID (see Reasons), e.g. "header-nul".
	Reason string `json:"reason"`
	// Line is the offending line or value as sent, control bytes escaped.
	Line string `json:"line,omitempty"`
	// Header names the field concerned, when there is one.
	Header string `json:"header,omitempty"`
	// Firefox and Chromium say what each browser does with it.
	Firefox  string `json:"firefox"`
	Chromium string `json:"chromium"`
	// Fails lists the browsers that fail the fetch on it; BodyFails those
	// whose res.text() rejects although fetch() resolves.
	Fails     []Browser `json:"fails,omitempty"`
	BodyFails []Browser `json:"body_fails,omitempty"`
}

// BrowserRead is how one browser reads a response.
type BrowserRead struct {
	// Error is set when the browser fails the fetch on this response.
	Error      *NetError `json:"error,omitempty"`
	Status     int       `json:"status"`
	StatusText string    `json:"status_text,omitempty"`
	Headers    []Header  `json:"headers,omitempty"`
	// BodyError is what res.text() rejects with, when the body cannot be
	// read to its end.
	BodyError string `json:"body_error,omitempty"`
}

// For returns b's read, or nil when b reads the response as it is.
func (f *Framing) For(b Browser) *BrowserRead {
	if f == nil {
		return nil
	}
	if b == Firefox {
		return f.Firefox
	}
	return f.Chromium
}

// headRead is one browser's parse of a raw response head.
type headRead struct {
	err        *NetError // the browser fails the fetch
	http09     bool      // Firefox: no HTTP/1.x status line, read as HTTP/0.9
	status     int
	statusText string
	headers    []Header
}

// The JavaScript errors res.text() rejects with when the body is cut short
// (observed in Chromium 156 and Firefox 153).
const (
	chromiumBodyError = "TypeError: Failed to fetch"
	firefoxBodyError  = "TypeError: Content-Length header of network response exceeds response Body."
)

// escapeLine shows control bytes of a line as Go escapes, so a NUL or a
// bare CR is visible in a report.
func escapeLine(s string) string {
	q := strconv.Quote(truncate(s, 200))
	return q[1 : len(q)-1]
}

// headLines splits a raw head (status line first, without the blank line
// that ends it) into lines at LF, with one trailing CR removed from each:
// how Firefox splits.
func headLines(raw string) []string {
	raw = strings.TrimSuffix(raw, "\n")
	lines := strings.Split(raw, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// chromiumRead parses a raw head as Chromium 156 does (HttpUtil::
// AssembleRawHeaders, HttpResponseHeaders::Parse): any NUL fails the
// response; CR and LF both end a line; a status line needs only to start
// with "http" in any case, its code is the leading digits (200 when there
// are none); a name is trimmed before the colon; values are trimmed and
// obs-fold lines joined with one space.
func chromiumRead(raw string) headRead {
	var r headRead
	if strings.IndexByte(raw, 0) >= 0 {
		r.err = &NetError{Kind: "malformed", Message: "the response head contains a NUL byte", Chromium: "net::ERR_INVALID_HTTP_RESPONSE"}
		return r
	}
	lines := strings.FieldsFunc(raw, func(c rune) bool { return c == '\r' || c == '\n' })
	if len(lines) == 0 {
		r.err = &NetError{Kind: "malformed", Message: "empty response head", Chromium: "net::ERR_EMPTY_RESPONSE"}
		return r
	}
	at := statusStart(lines[0], true)
	if at < 0 {
		r.err = &NetError{Kind: "malformed", Message: "the status line does not start with HTTP", Chromium: "net::ERR_INVALID_HTTP_RESPONSE"}
		return r
	}
	r.status, r.statusText = chromiumStatus(lines[0][at:])
	for _, l := range lines[1:] {
		if l[0] == ' ' || l[0] == '\t' {
			if len(r.headers) > 0 {
				last := &r.headers[len(r.headers)-1]
				last.Value += " " + strings.TrimLeft(l, " \t")
			}
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		name = strings.TrimRight(name, " \t")
		if !ok || !isToken(name) {
			// Dropped, though a following obs-fold line must not join the
			// field before it.
			r.headers = append(r.headers, Header{})
			continue
		}
		r.headers = append(r.headers, Header{name, strings.TrimLeft(value, " \t")})
	}
	r.headers = tidy(r.headers)
	return r
}

// tidy drops the placeholders of ignored lines and trims values.
func tidy(hs []Header) []Header {
	out := hs[:0]
	for _, h := range hs {
		if h.Name == "" {
			continue
		}
		h.Value = strings.Trim(h.Value, " \t")
		out = append(out, h)
	}
	return out
}

// statusStart finds where the status line starts: both browsers skip up
// to four bytes of junk before it (observed: one byte is skipped, nine
// are not). Chromium looks for "http" in any case, Firefox for HTTP/1.,
// HTTP/2, HTTP/3 or "ICY " exactly.
func statusStart(line string, chromium bool) int {
	for i := 0; i <= 4 && i < len(line); i++ {
		s := line[i:]
		if chromium {
			if len(s) >= 4 && strings.EqualFold(s[:4], "http") {
				return i
			}
			continue
		}
		for _, p := range []string{"HTTP/1.", "HTTP/2", "HTTP/3", "ICY "} {
			if strings.HasPrefix(s, p) {
				return i
			}
		}
	}
	return -1
}

// chromiumStatus is HttpResponseHeaders::ParseStatusLine: after the first
// space, skip spaces and take the leading digits; none means 200.
func chromiumStatus(line string) (int, string) {
	i := strings.IndexByte(line, ' ')
	if i < 0 {
		return 200, "OK"
	}
	p := strings.TrimLeft(line[i:], " ")
	j := 0
	for j < len(p) && p[j] >= '0' && p[j] <= '9' {
		j++
	}
	if j == 0 {
		return 200, ""
	}
	n, err := strconv.ParseInt(p[:j], 10, 32)
	if err != nil {
		n = 1<<31 - 1
	}
	return int(n), strings.Trim(p[j:], " ")
}

// firefoxRead parses a raw head as Firefox 153 does (nsHttpTransaction,
// nsHttpResponseHead, nsHttpHeaderArray): lines end at LF; a first line
// not starting with HTTP/1., HTTP/2, HTTP/3 or "ICY " makes the reply
// HTTP/0.9 (a 200 with no headers); the status code must be one to three
// digits; a name with whitespace before the colon, or that is not a token,
// drops the line; a NUL in a value fails the response; obs-fold lines are
// appended as they are, leading whitespace included.
func firefoxRead(raw string) headRead {
	var r headRead
	lines := headLines(raw)
	at := statusStart(lines[0], false)
	if at < 0 {
		r.http09 = true
		r.err = &NetError{Kind: "http09", Message: "Firefox reads a reply whose first line does not start with HTTP/1., HTTP/2 or HTTP/3 as a header-less HTTP/0.9 200"}
		return r
	}
	status := lines[0][at:]
	code, text, ok := firefoxStatus(status)
	if !ok {
		r.err = &NetError{Kind: "malformed", Message: "Firefox refuses the status line " + strconv.Quote(truncate(status, 80)) + " (\"The status line of the HTTP response is invalid\")"}
		return r
	}
	r.status, r.statusText = code, text
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(r.headers) > 0 && r.headers[len(r.headers)-1].Name != "" {
				r.headers[len(r.headers)-1].Value += l
			}
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || !isToken(name) {
			r.headers = append(r.headers, Header{})
			continue
		}
		r.headers = append(r.headers, Header{name, value})
	}
	r.headers = tidy(r.headers)
	for _, h := range r.headers {
		if strings.IndexByte(h.Value, 0) >= 0 {
			r.err = &NetError{Kind: "malformed", Message: "Firefox fails a response whose " + h.Name + " value contains a NUL byte"}
			return r
		}
	}
	return r
}

// firefoxStatus is Gecko's strict status-line parsing: after the version
// and spaces, a code of one to three digits followed by whitespace or the
// end of the line.
func firefoxStatus(line string) (int, string, bool) {
	i := strings.IndexByte(line, ' ')
	if i < 0 {
		return 200, "OK", true
	}
	p := strings.TrimLeft(line[i:], " ")
	j := 0
	for j < len(p) && p[j] >= '0' && p[j] <= '9' {
		j++
	}
	if j == 0 || j > 3 || (j < len(p) && p[j] != ' ' && p[j] != '\t') {
		return 0, "", false
	}
	n, _ := strconv.Atoi(p[:j])
	return n, strings.Trim(p[j:], " \t"), true
}

// headFraming compares how each browser reads the head with resp, the
// lenient reading the report shows, and lists what is odd about it. It
// returns nil for an ordinary head.
func headFraming(resp *Response, lines []string, ff, cr headRead) *Framing {
	fr := &Framing{}
	if ff.err == nil {
		ff.headers, ff.err = firefoxHeaderArray(ff.headers)
	}
	if cr.err == nil {
		cr.err = chromiumSingletons(cr.headers, chromiumChunked(resp.Proto, cr.headers))
	}
	add := func(reason, header, line, ffSays, crSays string, fails ...Browser) {
		fr.Issues = append(fr.Issues, FramingIssue{Reason: reason, Header: header, Line: escapeLine(line), Firefox: ffSays, Chromium: crSays, Fails: fails})
	}
	failing := func() []Browser {
		var out []Browser
		if ff.err != nil {
			out = append(out, Firefox)
		}
		if cr.err != nil {
			out = append(out, Chromium)
		}
		return out
	}

	status := lines[0]
	switch {
	case ff.http09 && cr.err == nil:
		add("status-line-invalid", "", status, "reads the reply as HTTP/0.9: a 200 with no headers at all, because the first line does not start with exactly HTTP/1., HTTP/2 or HTTP/3", fmt.Sprintf("accepts it (it only needs the line to start with \"http\" in any case) and reads status %d", cr.status), Firefox)
	case ff.err != nil && ff.err.Kind == "malformed" && strings.Contains(ff.err.Message, "status line") && cr.err == nil:
		add("status-line-invalid", "", status, "fails the fetch and logs \"The status line of the HTTP response is invalid\": the status code must be one to three digits followed by a space", fmt.Sprintf("takes the leading digits as the status (none means 200), so JavaScript sees status %d", cr.status&0xffff), Firefox)
	case ff.err == nil && cr.err == nil && (ff.status != cr.status || ff.status != resp.Status):
		add("status-line-invalid", "", status, fmt.Sprintf("reads status %d", ff.status), fmt.Sprintf("reads status %d", cr.status&0xffff))
	}
	nulLine := ""
	for _, l := range lines {
		if strings.IndexByte(l, 0) >= 0 {
			nulLine = l
			break
		}
	}
	if nulLine != "" {
		ffSays := "ignores it (the NUL is in the status line or in a line Firefox drops anyway)"
		var fails []Browser
		if ff.err != nil && strings.Contains(ff.err.Message, "NUL") {
			ffSays = "fails the fetch (a NUL byte in a field value makes the response corrupt)"
			fails = append(fails, Firefox)
		}
		add("header-nul", "", nulLine, ffSays, "fails the fetch with net::ERR_INVALID_HTTP_RESPONSE (any NUL byte in the head)", append(fails, Chromium)...)
	}
	if ff.err != nil && strings.Contains(ff.err.Message, "Content-Length") || cr.err != nil && cr.err.Chromium == "net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH" {
		var vals []string
		for _, h := range resp.Headers {
			if strings.EqualFold(h.Name, "Content-Length") {
				vals = append(vals, h.Value)
			}
		}
		ffSays, crSays := "accepts it", "accepts it"
		if ff.err != nil && strings.Contains(ff.err.Message, "Content-Length") {
			ffSays = "fails the fetch (NS_ERROR_CORRUPTED_CONTENT): it cannot tell where the body ends"
		}
		if cr.err != nil && cr.err.Chromium == "net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH" {
			crSays = "fails the fetch with net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH"
		}
		add("content-length-conflict", "Content-Length", "Content-Length: "+strings.Join(vals, " / "), ffSays, crSays, failing()...)
	}
	exact, acao := 0, 0
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		switch {
		case l == "":
		case l[0] == ' ' || l[0] == '\t':
			add("header-obs-fold", "", l, "appends the continuation line to the previous field's value as it is (a tab is kept)", "joins it to the previous field's value with one space")
		case ok && name != strings.TrimRight(name, " \t") && isToken(strings.TrimRight(name, " \t")):
			n := strings.TrimRight(name, " \t")
			add("header-space-before-colon", n, l, "drops the whole line, as the standard requires (so does Safari)", "trims the space and uses the field", nil...)
		case strings.Contains(l, "\r"):
			n := strings.TrimRight(name, " \t")
			add("header-bare-cr", n, l, fmt.Sprintf("keeps the CR inside the %s value for its own checks but hides the field from JavaScript", n), "ends the line at the CR: the value stops there and the rest becomes a line of its own", nil...)
		case !ok || !isToken(name):
			add("header-line-ignored", "", l, "ignores the line", "ignores the line")
		}
		if ok && strings.EqualFold(strings.TrimRight(name, " \t"), "Access-Control-Allow-Origin") {
			acao++
			if name == "Access-Control-Allow-Origin" {
				exact++
			}
		}
		_ = value
	}
	if acao > 1 && exact <= 1 {
		add("allow-origin-lines-case", "Access-Control-Allow-Origin", "", "counts only lines spelled exactly Access-Control-Allow-Origin as repeats, so it merges these into one value joined by \", \" and reports that the merged value does not match the origin", "joins them and reports that the header contains multiple values")
	}
	if len(fr.Issues) == 0 && ff.err == nil && cr.err == nil && sameRead(resp, ff) && sameRead(resp, cr) {
		return nil
	}
	fr.Firefox = readFor(resp, ff)
	fr.Chromium = readFor(resp, cr)
	if len(fr.Issues) == 0 && fr.Firefox == nil && fr.Chromium == nil {
		return nil
	}
	return fr
}

// readFor is the BrowserRead of a head read, nil when it matches resp.
func readFor(resp *Response, h headRead) *BrowserRead {
	if h.err != nil {
		return &BrowserRead{Error: h.err}
	}
	if sameRead(resp, h) {
		return nil
	}
	return &BrowserRead{Status: h.status, StatusText: h.statusText, Headers: h.headers}
}

func sameRead(resp *Response, h headRead) bool {
	if h.err != nil || h.status != resp.Status || len(h.headers) != len(resp.Headers) {
		return false
	}
	for i, x := range h.headers {
		if x != resp.Headers[i] {
			return false
		}
	}
	return true
}

// firefoxHeaderArray applies what nsHttpHeaderArray does when it stores
// field lines: an empty value merged into a repeated field vanishes; a repeated Content-Length with the same value is dropped,
// one with another value (or a list of different values) fails the
// response; and Access-Control-Allow-Origin lines merge into one value
// unless two of them are spelled exactly "Access-Control-Allow-Origin"
// (nsCORSListenerProxy counts only those as repeats).
func firefoxHeaderArray(hs []Header) ([]Header, *NetError) {
	var out []Header
	cl, hasCL := "", false
	exact, acaoAt := 0, -1
	for _, h := range hs {
		if h.Name == "Access-Control-Allow-Origin" {
			exact++
		}
	}
	count := map[string]int{}
	for _, h := range hs {
		count[strings.ToLower(h.Name)]++
	}
	for _, h := range hs {
		switch {
		case h.Value == "" && count[strings.ToLower(h.Name)] > 1 && !strings.EqualFold(h.Name, "Access-Control-Allow-Origin") && !strings.EqualFold(h.Name, "Content-Length"):
			// Merging an empty value into a repeated field is a no-op in
			// nsHttpHeaderArray::MergeHeader (observed: "X:" then "X: v"
			// reads "v"). ACAO lines still count one by one for CORS.
			continue
		case strings.EqualFold(h.Name, "Content-Length"):
			if !sameList(h.Value) {
				return nil, &NetError{Kind: "malformed", Message: "Firefox fails a response whose Content-Length lists different values (" + h.Value + ")"}
			}
			if hasCL {
				if cl != h.Value {
					return nil, &NetError{Kind: "malformed", Message: "Firefox fails a response with two different Content-Length values (" + cl + ", " + h.Value + ")"}
				}
				continue
			}
			cl, hasCL = h.Value, true
		case strings.EqualFold(h.Name, "Access-Control-Allow-Origin") && exact <= 1:
			if acaoAt >= 0 {
				out[acaoAt].Value += ", " + h.Value
				continue
			}
			acaoAt = len(out)
		}
		out = append(out, h)
	}
	return out, nil
}

// sameList reports whether a comma-separated value repeats one item.
func sameList(v string) bool {
	items := strings.Split(v, ",")
	for _, it := range items[1:] {
		if strings.TrimSpace(it) != strings.TrimSpace(items[0]) {
			return false
		}
	}
	return true
}

// chromiumChunked is HttpResponseHeaders::IsChunkEncoded: HTTP/1.1 or
// later with "chunked" among the Transfer-Encoding items.
func chromiumChunked(proto string, hs []Header) bool {
	for _, h := range hs {
		if strings.EqualFold(h.Name, "Transfer-Encoding") {
			for _, it := range strings.Split(h.Value, ",") {
				if strings.EqualFold(strings.TrimSpace(it), "chunked") {
					return true
				}
			}
		}
	}
	return false
}

// chromiumSingletons is HttpStreamParser's check for repeated
// Content-Length values (when the body is not chunked): every item of
// every line must be the same.
func chromiumSingletons(hs []Header, chunked bool) *NetError {
	if chunked {
		return nil
	}
	first, seen := "", false
	for _, h := range hs {
		if !strings.EqualFold(h.Name, "Content-Length") {
			continue
		}
		for _, it := range strings.Split(h.Value, ",") {
			it = strings.TrimSpace(it)
			if !seen {
				first, seen = it, true
			} else if it != first {
				return &NetError{Kind: "malformed", Message: "the response has different Content-Length values", Chromium: "net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH"}
			}
		}
	}
	return nil
}

// readClock renews the read deadline before every read once idle is set,
// so a body that stalls is told apart from one that is merely slow: the
// deadline measures the server's silence, never beyond total.
type readClock struct {
	conn  net.Conn
	idle  time.Duration
	total time.Time
}

func (c *readClock) Read(p []byte) (int, error) {
	if c.idle > 0 {
		d := time.Now().Add(c.idle)
		if !c.total.IsZero() && c.total.Before(d) {
			d = c.total
		}
		_ = c.conn.SetReadDeadline(d)
	}
	return c.conn.Read(p)
}

// maxBodyCheck bounds how much of a body is read to check its framing;
// the preview keeps only Limits.MaxBodyBytes of it.
const maxBodyCheck = 1 << 20

// bodyReader reads a body's raw bytes, keeping a preview.
type bodyReader struct {
	br      *bufio.Reader
	max     int
	preview []byte
	more    bool  // the preview was cut
	total   int64 // raw bytes read
	err     error // the read error that ended the body, if any
}

func (r *bodyReader) keep(b []byte) {
	room := r.max - len(r.preview)
	if room < len(b) {
		r.more = true
		b = b[:max(room, 0)]
	}
	r.preview = append(r.preview, b...)
}

// copyN reads n body bytes into the preview; false when the body ended
// (or the check bound was reached) first.
func (r *bodyReader) copyN(n int64) bool {
	buf := make([]byte, 4096)
	for n > 0 {
		if r.total >= maxBodyCheck {
			return false
		}
		k := int64(len(buf))
		if n < k {
			k = n
		}
		got, err := io.ReadFull(r.br, buf[:k])
		r.total += int64(got)
		r.keep(buf[:got])
		n -= int64(got)
		if err != nil {
			r.err = err
			return false
		}
	}
	return true
}

// line reads a chunked-coding line without its CRLF.
func (r *bodyReader) line() (string, bool) {
	var b []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.total += int64(len(chunk))
		b = append(b, chunk...)
		if err == bufio.ErrBufferFull && len(b) < 16<<10 {
			continue
		}
		if err != nil {
			if err != bufio.ErrBufferFull {
				r.err = err
			}
			return "", false
		}
		return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), true
	}
}

// stalled reports whether the body ended because the server went silent.
func (r *bodyReader) stalled() bool {
	return r.err != nil && isTimeout(r.err)
}

// readBody keeps at most max bytes of the body, never decompressing it,
// and checks its framing as each browser does: a body shorter than its
// Content-Length or chunked coding cut short, a stall, and a chunk size
// one browser or both refuse.
func readBody(br *bufio.Reader, resp *Response, method string, max int) {
	if method == "HEAD" || resp.Status == 204 || resp.Status == 304 {
		return
	}
	r := &bodyReader{br: br, max: max}
	var ffFails, crFails bool // the chunk size line each refuses
	var badLine string
	short, chunkedShort := false, false
	var want int64 = -1
	ffHeaders, crHeaders := resp.Headers, resp.Headers
	if f := resp.Framing; f != nil {
		if f.Firefox != nil && f.Firefox.Error == nil && f.Firefox.Headers != nil {
			ffHeaders = f.Firefox.Headers
		}
		if f.Chromium != nil && f.Chromium.Error == nil && f.Chromium.Headers != nil {
			crHeaders = f.Chromium.Headers
		}
	}
	chunked := chromiumChunked(resp.Proto, crHeaders) || chromiumChunked(resp.Proto, ffHeaders)
	switch {
	case chunked:
		crOK, ffOK := true, true
		pending, have := "", false
		for crOK || ffOK {
			line := pending
			if !have {
				var ok bool
				if line, ok = r.line(); !ok {
					chunkedShort = r.total < maxBodyCheck
					break
				}
			}
			have = false
			if line == "" {
				// Gecko skips empty lines between chunks; Chromium wants a size.
				if crOK {
					crOK, crFails, badLine = false, true, line
				}
				continue
			}
			crN, crValid := chromiumChunkSize(line)
			ffN, ffValid := firefoxChunkSize(line)
			if crOK && !crValid {
				crOK, crFails, badLine = false, true, line
			}
			if ffOK && !ffValid {
				ffOK, ffFails, badLine = false, true, line
			}
			if !crOK && !ffOK {
				break
			}
			n := crN
			if !crOK {
				n = ffN
			}
			if n == 0 {
				for {
					l, ok := r.line()
					if !ok || l == "" {
						break
					}
				}
				break
			}
			if !r.copyN(n) {
				chunkedShort = r.err != nil
				break
			}
			end, ok := r.line()
			if !ok {
				chunkedShort = true
				break
			}
			if end != "" {
				if crOK {
					crOK, crFails, badLine = false, true, end
				}
				pending, have = end, true
			}
		}
	default:
		if cl, ok := resp.get("Content-Length"); ok {
			v, _, _ := strings.Cut(cl, ",")
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n >= 0 {
				want = n
			}
		}
		if want >= 0 {
			short = !r.copyN(want) && r.err != nil
		} else {
			r.copyN(maxBodyCheck)
		}
	}
	resp.Body, resp.BodyTruncated = string(r.preview), r.more
	if !short && !chunkedShort && !ffFails && !crFails && !(r.stalled() && want < 0) {
		return
	}
	fr := resp.Framing
	if fr == nil {
		fr = &Framing{}
	}
	bodyFail := func(b Browser, msg string) {
		rd := fr.For(b)
		if rd == nil {
			rd = &BrowserRead{Status: resp.Status, StatusText: resp.StatusText, Headers: resp.Headers}
			if b == Firefox {
				fr.Firefox = rd
			} else {
				fr.Chromium = rd
			}
		}
		if rd.Error == nil && rd.BodyError == "" {
			rd.BodyError = msg
		}
	}
	switch {
	case ffFails || crFails:
		is := FramingIssue{Reason: "chunk-size-invalid", Header: "Transfer-Encoding", Line: escapeLine(badLine),
			Firefox: "accepts it (it reads the size with strtoul, which allows a 0x prefix, a sign and trailing junk)", Chromium: "accepts it"}
		if ffFails {
			is.Firefox = "fails the whole fetch: a chunk size must be hexadecimal and fit in 32 bits"
			is.Fails = []Browser{Firefox}
			rd := fr.For(Firefox)
			if rd == nil || rd.Error == nil {
				fr.Firefox = &BrowserRead{Error: &NetError{Kind: "malformed", Message: "Firefox fails the response: the chunked body has the invalid chunk size line \"" + escapeLine(badLine) + "\""}}
			}
		}
		if crFails {
			is.Chromium = "resolves fetch() but res.text() rejects (net::ERR_INVALID_CHUNKED_ENCODING): a chunk size must be plain hexadecimal, at most 63 bits"
			is.BodyFails = []Browser{Chromium}
			bodyFail(Chromium, chromiumBodyError)
		} else if chunkedShort {
			is.Chromium = "accepts the size, then res.text() rejects (net::ERR_INCOMPLETE_CHUNKED_ENCODING) because the body ends before it"
			is.BodyFails = []Browser{Chromium}
			bodyFail(Chromium, chromiumBodyError)
		}
		if !ffFails && chunkedShort {
			is.Firefox = "accepts the size, then res.text() rejects because the body ends before it"
			is.BodyFails = append(is.BodyFails, Firefox)
			bodyFail(Firefox, firefoxBodyError)
		}
		fr.Issues = append(fr.Issues, is)
	case short || chunkedShort || r.stalled():
		reason := "body-short"
		what := fmt.Sprintf("The body ended after %d bytes although Content-Length promised %d", r.total, want)
		if chunked {
			what = fmt.Sprintf("The chunked body ended after %d bytes without its last (zero-size) chunk", r.total)
		}
		if r.stalled() {
			reason = "body-stalled"
			what = fmt.Sprintf("The body stalled: after %d bytes the server sent nothing more", r.total)
			if want >= 0 {
				what += fmt.Sprintf(" of the %d its Content-Length promised", want)
			}
		}
		is := FramingIssue{Reason: reason, Line: what,
			Firefox:  "resolves fetch(), then res.text() rejects with \"" + firefoxBodyError + "\" once the connection closes",
			Chromium: "resolves fetch(), then res.text() rejects with \"" + chromiumBodyError + "\" (net::ERR_CONTENT_LENGTH_MISMATCH) once the connection closes",
		}
		if chunked {
			is.Chromium = "resolves fetch(), then res.text() rejects with \"" + chromiumBodyError + "\" (net::ERR_INCOMPLETE_CHUNKED_ENCODING) once the connection closes"
		}
		if r.stalled() && !chunked && want < 0 {
			is.Firefox = "resolves fetch(); res.text() waits until the server closes the connection"
			is.Chromium = is.Firefox
		} else {
			is.BodyFails = []Browser{Firefox, Chromium}
			bodyFail(Firefox, firefoxBodyError)
			bodyFail(Chromium, chromiumBodyError)
		}
		fr.Issues = append(fr.Issues, is)
	}
	resp.Framing = fr
}

// chromiumChunkSize is HttpChunkedDecoder::ParseChunkSize: plain hex
// digits (no sign, no 0x, no leading space), trailing spaces allowed, a
// chunk extension after ';' ignored, and the value a positive int64.
func chromiumChunkSize(line string) (int64, bool) {
	if i := strings.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimRight(line, " \t")
	if line == "" || strings.Trim(line, "0123456789abcdefABCDEF") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(line, 16, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// firefoxChunkSize is nsHttpChunkedDecoder::ParseChunkRemaining: strtoul
// base 16 (leading whitespace, a sign and a 0x prefix allowed, trailing
// junk ignored), a chunk extension after ';' dropped, and the value must
// fit in 32 bits.
func firefoxChunkSize(line string) (int64, bool) {
	if i := strings.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	s := strings.TrimLeft(line, " \t\v\f\r\n")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) >= 3 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && strings.IndexByte("0123456789abcdefABCDEF", s[2]) >= 0 {
		s = s[2:]
	}
	j := 0
	for j < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
		j++
	}
	if j == 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:j], 16, 64)
	if err != nil || n > 0xffffffff || (neg && n != 0) {
		return 0, false
	}
	return int64(n), true
}
