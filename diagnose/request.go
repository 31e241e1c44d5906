package diagnose

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"corsdoctor/targetpolicy"
)

// Credentials is a fetch() credentials mode.
type Credentials string

// The credentials modes of the Fetch standard.
const (
	CredentialsOmit       Credentials = "omit"
	CredentialsSameOrigin Credentials = "same-origin"
	CredentialsInclude    Credentials = "include"
)

// Mode is a fetch() request mode.
type Mode string

// The request modes a page can choose for fetch().
const (
	ModeCORS       Mode = "cors"
	ModeNoCORS     Mode = "no-cors"
	ModeSameOrigin Mode = "same-origin"
)

// Header is one request header as the page sets it. Order and repeats are
// kept because browsers combine repeated names with ", " when sending.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is what the user describes: the fetch() call their page makes.
type Request struct {
	URL              string      `json:"url"`
	Origin           string      `json:"origin"`
	Method           string      `json:"method,omitempty"`
	Headers          []Header    `json:"headers,omitempty"`
	Body             string      `json:"body,omitempty"`
	Credentials      Credentials `json:"credentials,omitempty"`
	Mode             Mode        `json:"mode,omitempty"`
	UseCORSPreflight bool        `json:"use_cors_preflight,omitempty"`
}

// InputError says which field of a Request is wrong and what to type
// instead. Handlers map it to 400 and the CLI to exit status 2.
type InputError struct {
	Field   string // "url", "origin", "method", "headers", "credentials", "mode", "body"
	Message string // what is wrong, in plain words
	Hint    string // what to type instead, when there is a better value
}

func (e *InputError) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Field, e.Message, e.Hint)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Message)
}

// IsInputError reports whether err is (or wraps) an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// DroppedHeader is a header the page set that the browser silently refuses
// to send, with the rule that removed it.
type DroppedHeader struct {
	Header
	Why string `json:"why"`
}

// prepared is a validated Request in the form a browser would hold it after
// fetch() and the Headers guard ran: normalised method, combined header
// values, forbidden headers removed.
type prepared struct {
	Request
	target  *url.URL
	origin  string   // serialised page origin, possibly "null"
	headers []Header // combined by name, as Chromium judges and sends them
	entries []Header // one per header the page set, as Gecko judges them
	dropped []DroppedHeader
	// notHTTP marks a target whose scheme is not http(s): a diagnosis
	// (CORSRequestNotHttp), not an input error.
	notHTTP bool
}

// maxHeaderValue bounds what a user may type for one header; a browser
// accepts more, but nothing about CORS needs a longer value to show.
const (
	maxInputHeaders     = 100
	maxInputHeaderValue = 8 << 10
	maxInputURL         = 8 << 10
	maxInputBody        = 64 << 10
)

// Prepare validates r and returns the normalised form of it. Every problem
// is an *InputError naming the field; when several fields are wrong the
// errors are joined (errors.As finds the first, InputErrors lists them).
// To probe what was validated without validating it again, use
// NewPrepared and Prober.ProbePrepared.
func Prepare(r Request) (Request, error) {
	p, err := NewPrepared(r)
	if err != nil {
		return Request{}, err
	}
	return p.Request(), nil
}

func prepare(r Request) (*prepared, error) {
	p := &prepared{Request: r}
	// Every field is checked, so a form can mark all its mistakes at once;
	// the errors come in the order the form shows the fields.
	var errs []error
	fail := func(err error) { errs = append(errs, err) }

	target, err := parseTarget(r.URL)
	if err != nil {
		fail(err)
	} else {
		p.target = target
		p.URL = target.String()
		p.notHTTP = target.Scheme != "http" && target.Scheme != "https"
	}

	origin, err := ParseOrigin(r.Origin)
	if err != nil {
		fail(err)
	} else {
		p.origin = origin
		p.Origin = origin
	}

	if p.Method == "" {
		p.Method = "GET"
	}
	method, err := NormalizeMethod(p.Method)
	if err != nil {
		fail(err)
	} else {
		p.Method = method
	}

	if p.Credentials == "" {
		p.Credentials = CredentialsSameOrigin
	}
	switch p.Credentials {
	case CredentialsOmit, CredentialsSameOrigin, CredentialsInclude:
	default:
		fail(&InputError{Field: "credentials", Message: fmt.Sprintf("unknown credentials mode %q", r.Credentials), Hint: "use omit, same-origin or include"})
	}

	kept, err := p.checkHeaders(r.Headers)
	if err != nil {
		fail(err)
	}

	if len(r.Body) > maxInputBody {
		fail(&InputError{Field: "body", Message: fmt.Sprintf("the body is %d bytes; corsdoctor sends at most %d", len(r.Body), maxInputBody)})
	} else if r.Body != "" && (method == "GET" || method == "HEAD") {
		fail(&InputError{Field: "body", Message: "fetch() throws \"TypeError: Request with GET/HEAD method cannot have body\"", Hint: "remove the body or use POST"})
	}

	if p.Mode == "" {
		p.Mode = ModeCORS
	}
	switch p.Mode {
	case ModeCORS, ModeSameOrigin:
	case ModeNoCORS:
		if method != "" && method != "GET" && method != "HEAD" && method != "POST" {
			fail(&InputError{Field: "mode", Message: fmt.Sprintf("fetch() throws a TypeError: %s is not allowed in no-cors mode (only GET, HEAD and POST are)", method), Hint: "use mode cors"})
		}
	default:
		fail(&InputError{Field: "mode", Message: fmt.Sprintf("unknown request mode %q", r.Mode), Hint: "use cors, no-cors or same-origin (navigate is not a fetch() mode)"})
	}

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if p.Mode == ModeNoCORS {
		var safe []Header
		for _, h := range kept {
			if isNoCORSSafelistedName(h.Name) && isCORSSafelistedHeader(h.Name, h.Value) {
				safe = append(safe, h)
				continue
			}
			p.dropped = append(p.dropped, DroppedHeader{h, "in no-cors mode only Accept, Accept-Language, Content-Language and a safelisted Content-Type may be set; the Headers object drops the rest"})
		}
		kept = safe
	}
	p.Headers = kept
	p.entries = kept
	if r.Body != "" && !hasHeader(kept, "Content-Type") {
		// fetch() adds this for a string body.
		p.entries = append(append([]Header(nil), kept...), Header{"Content-Type", "text/plain;charset=UTF-8"})
	}
	p.headers = combineHeaders(p.entries)
	return p, nil
}

// checkHeaders validates the request headers as fetch() would and returns
// those a browser sends; the ones it silently drops go to p.dropped. The
// error names the first bad header.
func (p *prepared) checkHeaders(headers []Header) ([]Header, error) {
	if len(headers) > maxInputHeaders {
		return nil, &InputError{Field: "headers", Message: fmt.Sprintf("%d headers; corsdoctor accepts at most %d", len(headers), maxInputHeaders)}
	}
	var kept []Header
	for i, h := range headers {
		name := h.Name
		if name == "" {
			return nil, &InputError{Field: "headers", Message: fmt.Sprintf("header %d has no name", i+1), Hint: "write it as Name: value"}
		}
		if !isToken(name) {
			return nil, &InputError{Field: "headers", Message: fmt.Sprintf("%q is not a valid header name (only letters, digits and !#$%%&'*+-.^_`|~ are allowed)", name), Hint: "write it as Name: value"}
		}
		// fetch() strips leading and trailing HTTP whitespace from values.
		value := strings.Trim(h.Value, " \t\r\n")
		if len(value) > maxInputHeaderValue {
			return nil, &InputError{Field: "headers", Message: fmt.Sprintf("the value of %s is %d bytes; corsdoctor accepts at most %d", name, len(value), maxInputHeaderValue)}
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, &InputError{Field: "headers", Message: fmt.Sprintf("the value of %s contains a CR, LF or NUL byte, which fetch() rejects with a TypeError", name)}
		}
		if why := forbiddenRequestHeader(name, value); why != "" {
			p.dropped = append(p.dropped, DroppedHeader{Header{name, value}, why})
			continue
		}
		kept = append(kept, Header{name, value})
	}
	return kept, nil
}

// InputErrors lists the input errors in err: one, several joined with
// errors.Join (as Prepare reports them), or none.
func InputErrors(err error) []*InputError {
	var out []*InputError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *InputError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// ParseOrigin validates a page origin as the user typed it and returns the
// serialised origin a browser would send in the Origin header: lower-case
// scheme and host, no default port, no path. "null" (an opaque origin) is
// accepted as is.
func ParseOrigin(s string) (string, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return "", &InputError{Field: "origin", Message: "the page origin is empty", Hint: "type the origin of the page that makes the request, e.g. https://app.example.com"}
	}
	if raw == "null" {
		return "null", nil
	}
	if len(raw) > 2048 {
		return "", &InputError{Field: "origin", Message: "the origin is too long"}
	}
	if !strings.Contains(raw, "://") {
		return "", &InputError{Field: "origin", Message: fmt.Sprintf("%q has no scheme", raw), Hint: "an origin starts with http:// or https://, e.g. " + suggestedScheme(raw) + strings.TrimSuffix(raw, "/")}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", &InputError{Field: "origin", Message: fmt.Sprintf("%q is not a valid origin: %s", raw, urlErrorText(err))}
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "http", "https":
	case "file":
		return "", &InputError{Field: "origin", Message: "a page opened from file:// has an opaque origin, which browsers send as null", Hint: "type null"}
	default:
		return "", &InputError{Field: "origin", Message: fmt.Sprintf("scheme %q is not a web origin corsdoctor can model", u.Scheme), Hint: "use an http:// or https:// origin, or null"}
	}
	if u.User != nil {
		return "", &InputError{Field: "origin", Message: "an origin has no user name or password", Hint: "remove the user:pass@ part"}
	}
	host, err := canonicalHost(u.Hostname())
	if err != nil {
		return "", &InputError{Field: "origin", Message: err.Error()}
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", &InputError{Field: "origin", Message: fmt.Sprintf("port %q is out of range", port)}
		}
		port = strconv.Itoa(n)
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			port = ""
		}
	}
	serialized := scheme + "://" + host
	if port != "" {
		serialized += ":" + port
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#") {
		what := "a path"
		if u.Path == "/" && u.RawQuery == "" && u.Fragment == "" {
			what = "a trailing slash"
		}
		return "", &InputError{Field: "origin", Message: fmt.Sprintf("%q has %s; an origin is only scheme, host and port", raw, what), Hint: "type " + serialized}
	}
	return serialized, nil
}

// canonicalHost is the URL standard's host parser for http and https URLs
// (https://url.spec.whatwg.org/#concept-host-parser), applied to a host Go's
// URL parser has already percent-decoded: IPv6 literals and the legacy IPv4
// spellings become addresses, names go through UTS #46 "domain to ASCII"
// with the URL standard's settings, and a name whose last label is a number
// must then be an IPv4 address. differential's TestOriginParsingAgrees
// holds it to Chromium and Firefox, with the few spellings it refuses
// although browsers accept them listed there.
func canonicalHost(h string) (string, error) {
	if h == "" {
		return "", errors.New("the host is empty")
	}
	// Go's URL parser has percent-decoded the host once already; a "%"
	// left over is a forbidden code point, not something to decode again
	// (an IPv6 zone aside, refused below with its own message).
	if strings.Contains(h, "%") && !strings.Contains(h, ":") {
		return "", fmt.Errorf("host %q contains %q, which a host name cannot", h, "%")
	}
	if ip, ok := targetpolicy.ParseHostIP(h); ok {
		if ip.Zone() != "" {
			return "", fmt.Errorf("host %q has an IPv6 zone, which URLs cannot carry", h)
		}
		if ip.Is6() {
			return "[" + serializeIPv6(ip) + "]", nil
		}
		return ip.String(), nil
	}
	if strings.Contains(h, ":") {
		return "", fmt.Errorf("host %q is not a valid IPv6 address", h)
	}
	if !utf8.ValidString(h) {
		return "", fmt.Errorf("host %q is not valid UTF-8", h)
	}
	// The whole host is mapped, trailing dot included: mapping can turn
	// other characters into dots (U+FF0E, U+3002), and browsers keep a
	// trailing dot in the serialised origin.
	ascii, err := urlDomainToASCII.ToASCII(h)
	if err != nil || ascii == "" {
		return "", fmt.Errorf("host %q is not a valid domain name", h)
	}
	ascii = strings.ToLower(ascii)
	// Browsers skip UTS #46's length checks, but no longer name can be
	// resolved or serve a page, and x/net/idna cannot read back the
	// Punycode of some labels past about a thousand bytes.
	if n := len(strings.TrimSuffix(ascii, ".")); n > maxDNSName {
		return "", fmt.Errorf("host %q is %d characters in ASCII; a DNS name has at most %d", h, n, maxDNSName)
	}
	if i := strings.IndexFunc(ascii, isForbiddenDomainRune); i >= 0 {
		return "", fmt.Errorf("host %q contains %q, which a host name cannot", h, ascii[i:i+1])
	}
	if endsInNumber(ascii) {
		// Mapping can also produce digits ("8\ufe08" is "8"), so this is
		// checked after it, as the URL standard does.
		ip, ok := targetpolicy.ParseHostIP(ascii)
		if !ok {
			return "", fmt.Errorf("host %q ends in a number, so browsers read it as an IPv4 address, and it is not a valid one", h)
		}
		return ip.String(), nil
	}
	return ascii, nil
}

// serializeIPv6 is the URL standard's IPv6 serializer. netip's String
// already compresses as it does (RFC 5952: the first longest run of two or
// more zero pieces); the one difference is that the URL standard never
// writes a dotted quad, so an IPv4-mapped address stays in hex
// ("::ffff:7f00:1", not "::ffff:127.0.0.1"), as browsers print it.
func serializeIPv6(ip netip.Addr) string {
	if !ip.Is4In6() {
		return ip.String()
	}
	b := ip.As16()
	return fmt.Sprintf("::ffff:%x:%x", uint16(b[12])<<8|uint16(b[13]), uint16(b[14])<<8|uint16(b[15]))
}

// maxDNSName is RFC 1035's limit on a name in text form, without the
// root's trailing dot.
const maxDNSName = 253

// urlDomainToASCII is UTS #46 ToASCII as the URL standard calls it:
// CheckHyphens, UseSTD3ASCIIRules and VerifyDnsLength off, CheckBidi and
// CheckJoiners on, non-transitional. idna.Lookup is stricter (STD3 rules and
// hyphen checks) and would refuse hosts browsers accept, such as the
// underscores of container names ("http://my_api:8080").
var urlDomainToASCII = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
	idna.CheckJoiners(true),
)

// isForbiddenDomainRune reports the URL standard's forbidden domain code
// points, and five more:
//   - '*' and '"', on which browsers disagree (Chromium escapes '*' and
//     accepts '"'; Firefox refuses both), so no origin holding them can be
//     predicted for both;
//   - '{', '}' and '`', which browsers accept but Go's URL parser refuses
//     in a host, so the origin could not be parsed again (mapping makes
//     them from U+FE37, U+FE38 and others).
//
// No DNS name holds any of them.
func isForbiddenDomainRune(r rune) bool {
	return r <= 0x20 || r == 0x7f || strings.ContainsRune("#%/:<>?@[\\]^|*\"{}`", r)
}

// endsInNumber is the URL standard's "ends in a number checker": the last
// label (a trailing empty one aside) is all digits, or "0x" and hex digits.
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	if len(labels) > 1 && labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
	}
	last := labels[len(labels)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	if len(last) >= 2 && (last[:2] == "0x" || last[:2] == "0X") {
		return strings.Trim(last[2:], "0123456789abcdefABCDEF") == ""
	}
	return false
}

func parseTarget(s string) (*url.URL, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return nil, &InputError{Field: "url", Message: "the endpoint URL is empty", Hint: "type the full URL the page fetches, e.g. https://api.example.com/items"}
	}
	if len(raw) > maxInputURL {
		return nil, &InputError{Field: "url", Message: fmt.Sprintf("the URL is %d bytes; corsdoctor accepts at most %d", len(raw), maxInputURL)}
	}
	if strings.ContainsAny(raw, "\r\n\x00") {
		return nil, &InputError{Field: "url", Message: "the URL contains a CR, LF or NUL byte"}
	}
	if !strings.Contains(raw, ":") || strings.HasPrefix(raw, "//") || (!strings.Contains(raw, "://") && !hasSchemeLike(raw)) {
		return nil, &InputError{Field: "url", Message: fmt.Sprintf("%q has no scheme", raw), Hint: "type the full URL, e.g. " + suggestedScheme(strings.TrimPrefix(raw, "//")) + strings.TrimPrefix(raw, "//")}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &InputError{Field: "url", Message: fmt.Sprintf("%q is not a valid URL: %s", raw, urlErrorText(err))}
	}
	if u.Scheme == "" {
		// "://" appeared only after a "#", "?" or "/".
		return nil, &InputError{Field: "url", Message: fmt.Sprintf("%q has no scheme", raw), Hint: "type the full URL, e.g. https://api.example.com/items"}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme == "http" || u.Scheme == "https" {
		if u.Host == "" {
			return nil, &InputError{Field: "url", Message: fmt.Sprintf("%q has no host", raw), Hint: "type the full URL, e.g. https://api.example.com/items"}
		}
		host, err := canonicalHost(u.Hostname())
		if err != nil {
			return nil, &InputError{Field: "url", Message: err.Error()}
		}
		if p := u.Port(); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return nil, &InputError{Field: "url", Message: fmt.Sprintf("port %q is out of range", p)}
			}
			if (u.Scheme == "http" && n == 80) || (u.Scheme == "https" && n == 443) {
				u.Host = host
			} else {
				u.Host = host + ":" + strconv.Itoa(n)
			}
		} else {
			u.Host = host
		}
		if u.Path == "" {
			u.Path = "/"
		}
	}
	// A fragment is never sent.
	u.Fragment = ""
	u.RawFragment = ""
	return u, nil
}

// hasSchemeLike reports whether s starts with "scheme:" for schemes without
// an authority, such as data: or mailto:.
// suggestedScheme is the scheme to suggest for a host typed without one:
// http:// for localhost and for IP literals (a local dev server, which
// rarely has a certificate), https:// otherwise.
func suggestedScheme(raw string) string {
	host := raw
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "http://"
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return "http://"
	}
	return "https://"
}

func hasSchemeLike(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return false
	}
	for j, c := range s[:i] {
		isAlpha := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !isAlpha && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	// "localhost:3000/x" looks like a scheme to url.Parse, but is a host.
	rest := s[i+1:]
	if len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		return false
	}
	return true
}

func urlErrorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// NormalizeMethod validates a method token and upper-cases it only when it
// is one of DELETE, GET, HEAD, OPTIONS, POST or PUT, as fetch() does: a
// "patch" stays "patch".
func NormalizeMethod(m string) (string, error) {
	m = strings.TrimSpace(m)
	if !isToken(m) {
		return "", &InputError{Field: "method", Message: fmt.Sprintf("%q is not a valid HTTP method token", m), Hint: "use a method such as GET, POST, PUT, PATCH or DELETE"}
	}
	upper := strings.ToUpper(m)
	switch upper {
	case "CONNECT", "TRACE", "TRACK":
		return "", &InputError{Field: "method", Message: fmt.Sprintf("fetch() refuses the forbidden method %s with a TypeError", upper)}
	case "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT":
		return upper, nil
	}
	return m, nil
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

func isTokenByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// forbiddenRequestHeader returns why a browser refuses to let a page set
// this header, or "" when it may.
func forbiddenRequestHeader(name, value string) string {
	lower := strings.ToLower(name)
	switch lower {
	case "accept-charset", "accept-encoding", "access-control-request-headers",
		"access-control-request-method", "connection", "content-length", "cookie",
		"cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer",
		"set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via":
		why := name + " is a forbidden request header: fetch() silently ignores it and the browser sets it itself"
		switch lower {
		case "cookie":
			why += " (send cookies with credentials: 'include'; corsdoctor cannot send your browser's cookies)"
		case "origin":
			why += " (corsdoctor sends the page origin you entered instead)"
		}
		return why
	case "x-http-method", "x-http-method-override", "x-method-override":
		for _, v := range strings.Split(value, ",") {
			switch strings.ToUpper(strings.TrimSpace(v)) {
			case "CONNECT", "TRACE", "TRACK":
				return name + " names a forbidden method, so fetch() ignores the header"
			}
		}
	}
	if strings.HasPrefix(lower, "proxy-") || strings.HasPrefix(lower, "sec-") {
		return name + " starts with " + lower[:strings.IndexByte(lower, '-')+1] + ", which makes it a forbidden request header: fetch() silently ignores it"
	}
	return ""
}

// combineHeaders merges repeated names into one value joined by ", ", in the
// order names first appear, as browsers do before sending.
func combineHeaders(hs []Header) []Header {
	var out []Header
	index := map[string]int{}
	for _, h := range hs {
		k := strings.ToLower(h.Name)
		if i, ok := index[k]; ok {
			out[i].Value += ", " + h.Value
			continue
		}
		index[k] = len(out)
		out = append(out, h)
	}
	return out
}

func hasHeader(hs []Header, name string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// originOf serialises the origin of an http(s) URL.
func originOf(u *url.URL) string {
	if u.Scheme != "http" && u.Scheme != "https" {
		return "null"
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		return u.Scheme + "://" + host + ":" + port
	}
	return u.Scheme + "://" + host
}
