package diagnose

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"corsdoctor/targetpolicy"
)

// Location resolution. Browsers resolve a redirect's Location with the URL
// standard's parser (https://url.spec.whatwg.org/#concept-basic-url-parser),
// not RFC 3986, and Go's net/url differs where it matters for an SSRF guard
// and for a diagnosis: a backslash is a slash in http(s) URLs ("\\host/" and
// "/\host/" name another host), tabs and newlines are removed anywhere,
// leading and trailing C0 controls and spaces are stripped, hosts are
// percent-decoded and mapped through UTS #46 (circled letters, full-width
// digits), "http:b" is relative to an http base, and the legacy IPv4
// spellings are addresses. ResolveLocation is that parser; differential's
// TestLocationResolutionAgrees holds it to Chromium's and Firefox's
// new URL(location, base) over a committed corpus.

// ErrInvalidURL is returned (wrapped) when the URL parser fails, as the
// browsers' URL constructors throw.
var ErrInvalidURL = errors.New("not a valid URL")

// ResolveLocation resolves a Location header value against the URL that
// answered with it, as browser b does, and returns the href b would fetch
// next (fragment included, as new URL gives it). Firefox follows the URL
// standard; Chromium departs from it in a few places (chromiumQuirks).
func ResolveLocation(location, base string, b Browser) (string, error) {
	br, err := parseURLRecord(base, nil, b, false)
	if err != nil {
		return "", fmt.Errorf("base %q: %w", base, err)
	}
	r, err := parseURLRecord(location, br, b, false)
	if err != nil {
		return "", err
	}
	return r.href(), nil
}

// Chromium's URL parser (GURL, which Blink's URL also uses) differs from the
// URL standard, as observed in Chromium 156 against the committed corpus:
//   - a space in a special URL's host (also one that UTS #46 mapping makes,
//     such as U+3000) is escaped as %20 instead of failing the parse; the
//     name then never resolves;
//   - "|" is percent-encoded in paths;
//   - a file: URL keeps "localhost" as its host.
//
// Firefox 153 follows the standard in all three.
func chromiumQuirks(b Browser) bool { return b == Chromium }

// resolveRedirect is ResolveLocation for the walker: it returns the next
// hop as a *url.URL the prober can send, without its fragment, and the
// href. The url.URL's host is already in the browser's canonical form
// (punycode, dotted-quad IPv4, compressed IPv6), so the target policy and
// the dialer judge the host the browser would really reach. It resolves
// as the browser's network layer does, which can differ from new URL():
// Firefox 153's necko keeps a tab in the Location instead of removing it,
// so it is percent-encoded (%09) in the path, query and fragment, and
// makes the host invalid (observed: new URL() in the same Firefox removes
// it).
func resolveRedirect(location string, base *url.URL, b Browser) (*url.URL, string, error) {
	return resolveWith(location, base, b, b == Firefox)
}

// resolveWith parses location against base; keepTabs keeps inner tabs.
func resolveWith(location string, base *url.URL, b Browser, keepTabs bool) (*url.URL, string, error) {
	br, err := parseURLRecord(base.String(), nil, b, false)
	if err != nil {
		return nil, "", fmt.Errorf("base %q: %w", base, err)
	}
	r, err := parseURLRecord(location, br, b, keepTabs)
	if err != nil {
		return nil, "", err
	}
	r.fragment = nil
	return r.goURL(), r.href(), nil
}

// urlRecord is the URL standard's URL record.
type urlRecord struct {
	scheme             string
	username, password string
	host               *string // nil is null
	port               int     // -1 is null
	path               []string
	opaque             bool   // the path is an opaque path (mailto:, data:)
	opaquePath         string // when opaque
	query, fragment    *string
}

var specialSchemes = map[string]int{"ftp": 21, "file": -1, "http": 80, "https": 443, "ws": 80, "wss": 443}

func (r *urlRecord) special() bool { _, ok := specialSchemes[r.scheme]; return ok }

func (r *urlRecord) pathString() string {
	if r.opaque {
		return r.opaquePath
	}
	var b strings.Builder
	for _, seg := range r.path {
		b.WriteByte('/')
		b.WriteString(seg)
	}
	return b.String()
}

// href is the URL serializer.
func (r *urlRecord) href() string {
	var b strings.Builder
	b.WriteString(r.scheme)
	b.WriteByte(':')
	if r.host != nil {
		b.WriteString("//")
		if r.username != "" || r.password != "" {
			b.WriteString(r.username)
			if r.password != "" {
				b.WriteByte(':')
				b.WriteString(r.password)
			}
			b.WriteByte('@')
		}
		b.WriteString(*r.host)
		if r.port >= 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(r.port))
		}
	} else if !r.opaque && len(r.path) > 1 && r.path[0] == "" {
		b.WriteString("/.")
	}
	b.WriteString(r.pathString())
	if r.query != nil {
		b.WriteByte('?')
		b.WriteString(*r.query)
	}
	if r.fragment != nil {
		b.WriteByte('#')
		b.WriteString(*r.fragment)
	}
	return b.String()
}

// goURL converts the record to a *url.URL whose Host, Scheme, request
// target and String() are what the browser sends, for the URLs Go can
// represent: a path holding "|", "^" or a stray "%" is re-escaped by Go.
func (r *urlRecord) goURL() *url.URL {
	u := &url.URL{Scheme: r.scheme}
	if r.host == nil {
		if r.opaque {
			u.Opaque = r.opaquePath
		} else {
			u.Path = r.pathString()
		}
	} else {
		u.Host = *r.host
		if r.port >= 0 {
			u.Host += ":" + strconv.Itoa(r.port)
		}
		if r.username != "" || r.password != "" {
			user, _ := url.PathUnescape(r.username)
			if r.password != "" {
				pass, _ := url.PathUnescape(r.password)
				u.User = url.UserPassword(user, pass)
			} else {
				u.User = url.User(user)
			}
		}
		raw := r.pathString()
		if dec, err := url.PathUnescape(raw); err == nil {
			u.Path, u.RawPath = dec, raw
		} else {
			u.Path = raw
		}
	}
	if r.query != nil {
		u.RawQuery = *r.query
		u.ForceQuery = *r.query == ""
	}
	if r.fragment != nil {
		u.RawFragment = *r.fragment
		u.Fragment, _ = url.PathUnescape(*r.fragment)
	}
	return u
}

func (r *urlRecord) shortenPath() {
	if r.scheme == "file" && len(r.path) == 1 && isNormalizedDriveLetter(r.path[0]) {
		return
	}
	if len(r.path) > 0 {
		r.path = r.path[:len(r.path)-1]
	}
}

func isDriveLetter(s string) bool {
	return len(s) == 2 && isASCIIAlpha(rune(s[0])) && (s[1] == ':' || s[1] == '|')
}

func isNormalizedDriveLetter(s string) bool { return isDriveLetter(s) && s[1] == ':' }

// startsWithDriveLetter is the URL standard's "starts with a Windows drive
// letter" on the remaining code points.
func startsWithDriveLetter(rs []rune) bool {
	if len(rs) < 2 || !isASCIIAlpha(rs[0]) || (rs[1] != ':' && rs[1] != '|') {
		return false
	}
	return len(rs) == 2 || strings.ContainsRune("/\\?#", rs[2])
}

func isASCIIAlpha(c rune) bool  { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isASCIIDigit(c rune) bool  { return c >= '0' && c <= '9' }
func isASCIIAlnum(c rune) bool  { return isASCIIAlpha(c) || isASCIIDigit(c) }
func isSingleDot(s string) bool { return s == "." || strings.EqualFold(s, "%2e") }
func isDoubleDot(s string) bool {
	switch strings.ToLower(s) {
	case "..", ".%2e", "%2e.", "%2e%2e":
		return true
	}
	return false
}

// Percent-encode sets of the URL standard.
const (
	setC0 = iota
	setFragment
	setQuery
	setSpecialQuery
	setPath
	setUserinfo
	setChromiumPath // setPath and "|"
)

func inEncodeSet(c rune, set int) bool {
	if c < 0x20 || c > 0x7e {
		return true
	}
	if set == setChromiumPath && c == '|' {
		return true
	}
	switch set {
	case setC0:
		return false
	case setFragment:
		return strings.ContainsRune(" \"<>`", c)
	}
	if strings.ContainsRune(" \"#<>", c) {
		return true
	}
	switch set {
	case setQuery:
		return false
	case setSpecialQuery:
		return c == '\''
	}
	if strings.ContainsRune("?^`{}", c) {
		return true
	}
	if set == setPath || set == setChromiumPath {
		return false
	}
	return strings.ContainsRune("/:;=@[\\]|", c)
}

func percentEncode(b *strings.Builder, c rune, set int) {
	if !inEncodeSet(c, set) {
		b.WriteRune(c)
		return
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], c)
	for _, x := range buf[:n] {
		fmt.Fprintf(b, "%%%02X", x)
	}
}

func percentEncodeString(s string, set int) string {
	var b strings.Builder
	for _, c := range s {
		percentEncode(&b, c, set)
	}
	return b.String()
}

// percentDecode is the URL standard's percent-decode on bytes.
func percentDecode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

type parseState int

const (
	stSchemeStart parseState = iota
	stScheme
	stNoScheme
	stSpecialRelativeOrAuthority
	stPathOrAuthority
	stRelative
	stRelativeSlash
	stSpecialAuthoritySlashes
	stSpecialAuthorityIgnoreSlashes
	stAuthority
	stHost
	stPort
	stFile
	stFileSlash
	stFileHost
	stPathStart
	stPath
	stOpaquePath
	stQuery
	stFragment
)

const eof = rune(-1)

func parseFailure(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidURL}, args...)...)
}

// parseURLRecord is the basic URL parser without state override, with
// UTF-8 as the encoding. Invalid UTF-8 in input reads as U+FFFD.
// With keepTabs, tabs inside the input are kept (resolveRedirect): every
// state then reads them as C0 controls.
func parseURLRecord(input string, base *urlRecord, b Browser, keepTabs bool) (*urlRecord, error) {
	input = strings.TrimFunc(input, func(r rune) bool { return r >= 0 && r <= 0x20 })
	if keepTabs {
		input = strings.NewReplacer("\n", "", "\r", "").Replace(input)
	} else {
		input = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(input)
	}
	rs := []rune(input)
	r := &urlRecord{port: -1}
	state := stSchemeStart
	var buf strings.Builder
	var atSeen, insideBrackets, passwordSeen bool
	at := func(i int) rune {
		if i < 0 || i >= len(rs) {
			return eof
		}
		return rs[i]
	}
	for p := 0; ; p++ {
		c := at(p)
		remaining := func() []rune {
			if p+1 >= len(rs) {
				return nil
			}
			return rs[p+1:]
		}
		switch state {
		case stSchemeStart:
			if isASCIIAlpha(c) {
				buf.WriteRune(c | 0x20)
				state = stScheme
			} else {
				state = stNoScheme
				p--
			}
		case stScheme:
			switch {
			case isASCIIAlnum(c) || c == '+' || c == '-' || c == '.':
				if isASCIIAlpha(c) {
					c |= 0x20
				}
				buf.WriteRune(c)
			case c == ':':
				r.scheme = buf.String()
				buf.Reset()
				switch {
				case r.scheme == "file":
					state = stFile
				case r.special() && base != nil && base.scheme == r.scheme:
					state = stSpecialRelativeOrAuthority
				case r.special():
					state = stSpecialAuthoritySlashes
				case at(p+1) == '/':
					state = stPathOrAuthority
					p++
				default:
					r.opaque = true
					state = stOpaquePath
				}
			default:
				buf.Reset()
				state = stNoScheme
				p = -1
			}
		case stNoScheme:
			switch {
			case base == nil || base.opaque && c != '#':
				return nil, parseFailure("a relative URL needs a base")
			case base.opaque && c == '#':
				r.scheme, r.opaque, r.opaquePath, r.query = base.scheme, true, base.opaquePath, base.query
				r.fragment = new(string)
				state = stFragment
			case base.scheme != "file":
				state = stRelative
				p--
			default:
				state = stFile
				p--
			}
		case stSpecialRelativeOrAuthority:
			if c == '/' && at(p+1) == '/' {
				state = stSpecialAuthorityIgnoreSlashes
				p++
			} else {
				state = stRelative
				p--
			}
		case stPathOrAuthority:
			if c == '/' {
				state = stAuthority
			} else {
				state = stPath
				p--
			}
		case stRelative:
			r.scheme = base.scheme
			if c == '/' || r.special() && c == '\\' {
				state = stRelativeSlash
				break
			}
			r.username, r.password, r.host, r.port = base.username, base.password, base.host, base.port
			r.path = append([]string(nil), base.path...)
			r.query = base.query
			switch c {
			case '?':
				r.query = new(string)
				state = stQuery
			case '#':
				r.fragment = new(string)
				state = stFragment
			case eof:
			default:
				r.query = nil
				r.shortenPath()
				state = stPath
				p--
			}
		case stRelativeSlash:
			switch {
			case r.special() && (c == '/' || c == '\\'):
				state = stSpecialAuthorityIgnoreSlashes
			case c == '/':
				state = stAuthority
			default:
				r.username, r.password, r.host, r.port = base.username, base.password, base.host, base.port
				state = stPath
				p--
			}
		case stSpecialAuthoritySlashes:
			state = stSpecialAuthorityIgnoreSlashes
			if c == '/' && at(p+1) == '/' {
				p++
			} else {
				p--
			}
		case stSpecialAuthorityIgnoreSlashes:
			if c != '/' && c != '\\' {
				state = stAuthority
				p--
			}
		case stAuthority:
			switch {
			case c == '@':
				b := buf.String()
				if atSeen {
					b = "%40" + b
				}
				atSeen = true
				var user, pass strings.Builder
				user.WriteString(r.username)
				pass.WriteString(r.password)
				for _, x := range b {
					if x == ':' && !passwordSeen {
						passwordSeen = true
						continue
					}
					if passwordSeen {
						percentEncode(&pass, x, setUserinfo)
					} else {
						percentEncode(&user, x, setUserinfo)
					}
				}
				r.username, r.password = user.String(), pass.String()
				buf.Reset()
			case c == eof || c == '/' || c == '?' || c == '#' || r.special() && c == '\\':
				if atSeen && buf.Len() == 0 {
					return nil, parseFailure("the user info is followed by no host")
				}
				p -= utf8.RuneCountInString(buf.String()) + 1
				buf.Reset()
				state = stHost
			default:
				buf.WriteRune(c)
			}
		case stHost:
			switch {
			case c == ':' && !insideBrackets:
				if buf.Len() == 0 {
					return nil, parseFailure("the host is empty")
				}
				h, err := parseURLHost(buf.String(), !r.special(), b)
				if err != nil {
					return nil, err
				}
				r.host = &h
				buf.Reset()
				state = stPort
			case c == eof || c == '/' || c == '?' || c == '#' || r.special() && c == '\\':
				p--
				if r.special() && buf.Len() == 0 {
					return nil, parseFailure("the host is empty")
				}
				h, err := parseURLHost(buf.String(), !r.special(), b)
				if err != nil {
					return nil, err
				}
				r.host = &h
				buf.Reset()
				state = stPathStart
			default:
				if c == '[' {
					insideBrackets = true
				} else if c == ']' {
					insideBrackets = false
				}
				buf.WriteRune(c)
			}
		case stPort:
			switch {
			case isASCIIDigit(c):
				buf.WriteRune(c)
			case c == eof || c == '/' || c == '?' || c == '#' || r.special() && c == '\\':
				if buf.Len() > 0 {
					digits := strings.TrimLeft(buf.String(), "0")
					n := 0
					if digits != "" {
						if len(digits) > 5 {
							return nil, parseFailure("port %s is out of range", buf.String())
						}
						n, _ = strconv.Atoi(digits)
					}
					if n > 65535 {
						return nil, parseFailure("port %s is out of range", buf.String())
					}
					if def, ok := specialSchemes[r.scheme]; ok && def == n {
						n = -1
					}
					r.port = n
					buf.Reset()
				}
				state = stPathStart
				p--
			default:
				return nil, parseFailure("the port holds %q", string(c))
			}
		case stFile:
			r.scheme = "file"
			empty := ""
			r.host = &empty
			switch {
			case c == '/' || c == '\\':
				state = stFileSlash
			case base != nil && base.scheme == "file":
				r.host = base.host
				r.path = append([]string(nil), base.path...)
				r.query = base.query
				switch c {
				case '?':
					r.query = new(string)
					state = stQuery
				case '#':
					r.fragment = new(string)
					state = stFragment
				case eof:
				default:
					r.query = nil
					if !startsWithDriveLetter(rs[p:]) {
						r.shortenPath()
					} else {
						r.path = nil
					}
					state = stPath
					p--
				}
			default:
				state = stPath
				p--
			}
		case stFileSlash:
			if c == '/' || c == '\\' {
				state = stFileHost
				break
			}
			if base != nil && base.scheme == "file" {
				r.host = base.host
				if !startsWithDriveLetter(rs[p:]) && len(base.path) > 0 && isNormalizedDriveLetter(base.path[0]) {
					r.path = append(r.path, base.path[0])
				}
			}
			state = stPath
			p--
		case stFileHost:
			if c == eof || c == '/' || c == '\\' || c == '?' || c == '#' {
				p--
				switch {
				case isDriveLetter(buf.String()):
					state = stPath
				case buf.Len() == 0:
					empty := ""
					r.host = &empty
					state = stPathStart
				default:
					h, err := parseURLHost(buf.String(), false, b)
					if err != nil {
						return nil, err
					}
					if h == "localhost" && !chromiumQuirks(b) {
						h = ""
					}
					r.host = &h
					buf.Reset()
					state = stPathStart
				}
			} else {
				buf.WriteRune(c)
			}
		case stPathStart:
			switch {
			case r.special():
				state = stPath
				if c != '/' && c != '\\' {
					p--
				}
			case c == '?':
				r.query = new(string)
				state = stQuery
			case c == '#':
				r.fragment = new(string)
				state = stFragment
			case c != eof:
				state = stPath
				if c != '/' {
					p--
				}
			}
		case stPath:
			slash := c == '/' || r.special() && c == '\\'
			if c == eof || slash || c == '?' || c == '#' {
				seg := buf.String()
				switch {
				case isDoubleDot(seg):
					r.shortenPath()
					if !slash {
						r.path = append(r.path, "")
					}
				case isSingleDot(seg):
					if !slash {
						r.path = append(r.path, "")
					}
				default:
					if r.scheme == "file" && len(r.path) == 0 && isDriveLetter(seg) {
						seg = seg[:1] + ":"
					}
					r.path = append(r.path, seg)
				}
				buf.Reset()
				if c == '?' {
					r.query = new(string)
					state = stQuery
				} else if c == '#' {
					r.fragment = new(string)
					state = stFragment
				}
			} else if chromiumQuirks(b) {
				percentEncode(&buf, c, setChromiumPath)
			} else {
				percentEncode(&buf, c, setPath)
			}
		case stOpaquePath:
			switch c {
			case '?':
				r.opaquePath += buf.String()
				buf.Reset()
				r.query = new(string)
				state = stQuery
			case '#':
				r.opaquePath += buf.String()
				buf.Reset()
				r.fragment = new(string)
				state = stFragment
			case ' ':
				if rest := remaining(); len(rest) > 0 && (rest[0] == '?' || rest[0] == '#') {
					buf.WriteString("%20")
				} else {
					buf.WriteByte(' ')
				}
			case eof:
				r.opaquePath += buf.String()
				buf.Reset()
			default:
				percentEncode(&buf, c, setC0)
			}
		case stQuery:
			if c == '#' || c == eof {
				set := setQuery
				if r.special() {
					set = setSpecialQuery
				}
				q := *r.query + percentEncodeString(buf.String(), set)
				r.query = &q
				buf.Reset()
				if c == '#' {
					r.fragment = new(string)
					state = stFragment
				}
			} else {
				buf.WriteRune(c)
			}
		case stFragment:
			if c != eof {
				var b strings.Builder
				b.WriteString(*r.fragment)
				percentEncode(&b, c, setFragment)
				f := b.String()
				r.fragment = &f
			}
		}
		if p >= len(rs) {
			break
		}
	}
	return r, nil
}

// parseURLHost is the URL standard's host parser. opaque is "not special".
func parseURLHost(input string, opaque bool, b Browser) (string, error) {
	if strings.HasPrefix(input, "[") {
		if !strings.HasSuffix(input, "]") || strings.ContainsAny(input, "%") {
			return "", parseFailure("%q is not a valid IPv6 address", input)
		}
		ip, ok := targetpolicy.ParseHostIP(input)
		if !ok || !ip.Is6() || ip.Zone() != "" {
			return "", parseFailure("%q is not a valid IPv6 address", input)
		}
		return "[" + serializeIPv6(ip) + "]", nil
	}
	if opaque {
		for _, c := range input {
			if c == 0 || strings.ContainsRune("\t\n\r #/:<>?@[\\]^|", c) {
				return "", parseFailure("the host %q contains %q", input, string(c))
			}
		}
		return percentEncodeString(input, setC0), nil
	}
	domain := strings.ToValidUTF8(percentDecode(input), "\uFFFD")
	domain = strings.TrimPrefix(domain, "\uFEFF")
	ascii, err := domainToASCII(domain)
	if err != nil {
		return "", err
	}
	for _, c := range ascii {
		if c == ' ' && chromiumQuirks(b) {
			continue
		}
		if c <= 0x20 || c == 0x7f || strings.ContainsRune("#%/:<>?@[\\]^|", c) {
			return "", parseFailure("the host %q contains %q", input, string(c))
		}
	}
	if chromiumQuirks(b) {
		ascii = strings.ReplaceAll(ascii, " ", "%20")
	}
	if endsInNumber(ascii) {
		ip, ok := targetpolicy.ParseHostIP(ascii)
		if !ok || !ip.Is4() {
			return "", parseFailure("the host %q ends in a number but is not an IPv4 address", input)
		}
		return ip.String(), nil
	}
	return ascii, nil
}

// domainToASCII is the URL standard's "domain to ASCII" with beStrict
// false: ASCII names without "xn--" labels are only lower-cased; others
// go through UTS #46 ToASCII as canonicalHost does.
func domainToASCII(domain string) (string, error) {
	plain := true
	for i := 0; i < len(domain); i++ {
		if domain[i] >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	lower := strings.ToLower(domain)
	if plain {
		for _, l := range strings.Split(lower, ".") {
			if strings.HasPrefix(l, "xn--") {
				plain = false
			}
		}
	}
	out := lower
	if !plain {
		a, err := urlDomainToASCII.ToASCII(domain)
		if err != nil {
			return "", parseFailure("the host %q is not a valid domain name", domain)
		}
		out = strings.ToLower(a)
	}
	if out == "" {
		return "", parseFailure("the host is empty")
	}
	return out, nil
}

// redirectFailure explains a redirect Firefox refuses with only "CORS
// request did not succeed" (reason 2): the finding keeps Firefox's reason,
// and this says corsdoctor's more specific cause. It returns "" for other
// reason-2 findings.
func (w *walker) redirectFailure(f *Finding) (title, detail, fix string) {
	ex := w.exchangeAt(f.Step)
	if ex == nil || !ex.Response.isRedirect() {
		return "", "", ""
	}
	if f.Header != "Location" {
		if f.Value == "more than 20 redirects" {
			info, _ := LookupReason("too-many-redirects")
			return info.Title, "Firefox prints only \"CORS request did not succeed\": " + info.Summary, info.Fix
		}
		return "", "", ""
	}
	base, err := url.Parse(f.Step.URL)
	if err != nil {
		return "", "", ""
	}
	step := f.Step.String()
	const ff = " Firefox reports it only as \"CORS request did not succeed\" (its reason for a failed channel); Chromium "
	loc, href, err := resolveRedirect(f.Value, base, Firefox)
	switch {
	case err != nil:
		info, _ := LookupReason("invalid-redirect-location")
		return info.Title, fmt.Sprintf("The %s redirects with Location %q, which the URL parser refuses (%v), so the fetch fails.%sfails with net::ERR_INVALID_REDIRECT.", step, f.Value, err, ff), info.Fix
	case loc.Scheme != "http" && loc.Scheme != "https":
		return "The redirect leads to a " + loc.Scheme + ": URL", fmt.Sprintf("The %s redirects to %s. A CORS request may only be redirected to http or https; browsers refuse %s: targets before any CORS check.%sfails with net::ERR_UNSAFE_REDIRECT and no CORS line.", step, clipURL(href), loc.Scheme, ff),
			"Redirect only to http(s) URLs; to hand the page data, return it in the response body instead."
	case loc.User != nil:
		info, _ := LookupReason("redirect-userinfo")
		return info.Title, fmt.Sprintf("The %s redirects to %s, which contains a user name or password. Browsers refuse to follow such a redirect for a CORS request.%ssays the redirect location contains a username and password.", step, clipURL(href), ff), info.Fix
	}
	return "", "", ""
}

// clipURL keeps a data: URL or a long Location readable in a sentence.
func clipURL(s string) string {
	if len(s) <= 120 {
		return s
	}
	n := 120
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
