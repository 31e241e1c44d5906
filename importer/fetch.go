package importer

import (
	"fmt"
	"strconv"
	"strings"

	"corsdoctor/diagnose"
)

// jsValue is a literal in a fetch() snippet: a string, an object (keys in
// order), or anything else, kept as its source text and never evaluated.
type jsValue struct {
	str    *string
	keys   []string
	fields map[string]jsValue
	raw    string // the source text of anything that is not a string or object
}

// jsParser reads the literals "Copy as fetch" writes. It is a parser, not
// an interpreter: an expression it does not know is kept as text.
type jsParser struct {
	s   string
	i   int
	err error
}

func (p *jsParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = &Error{Message: "the fetch() call does not parse: " + fmt.Sprintf(format, args...), Hint: "paste the snippet exactly as \"Copy as fetch\" wrote it"}
	}
}

func (p *jsParser) space() {
	for p.i < len(p.s) {
		switch {
		case strings.HasPrefix(p.s[p.i:], "//"):
			j := strings.IndexByte(p.s[p.i:], '\n')
			if j < 0 {
				p.i = len(p.s)
				return
			}
			p.i += j
		case strings.HasPrefix(p.s[p.i:], "/*"):
			j := strings.Index(p.s[p.i+2:], "*/")
			if j < 0 {
				p.i = len(p.s)
				return
			}
			p.i += j + 4
		case strings.IndexByte(" \t\n\r", p.s[p.i]) >= 0:
			p.i++
		default:
			return
		}
	}
}

func (p *jsParser) peek() byte {
	p.space()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// str reads a quoted string ('…', "…" or `…` without ${}).
func (p *jsParser) str() string {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String()
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '0':
				b.WriteByte(0)
			case 'u':
				if p.i+4 <= len(p.s) {
					if v, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32); err == nil {
						b.WriteRune(rune(v))
						p.i += 4
						continue
					}
				}
				b.WriteByte('u')
			case 'x':
				if p.i+2 <= len(p.s) {
					if v, err := strconv.ParseUint(p.s[p.i:p.i+2], 16, 8); err == nil {
						b.WriteRune(rune(v))
						p.i += 2
						continue
					}
				}
				b.WriteByte('x')
			case '\n':
			default:
				b.WriteByte(e)
			}
		case q == '`' && c == '$' && p.i+1 < len(p.s) && p.s[p.i+1] == '{':
			p.fail("a template literal with ${…} is an expression")
			return ""
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	p.fail("a string is not closed")
	return ""
}

// value reads one literal; depth bounds nesting.
func (p *jsParser) value(depth int) jsValue {
	if depth > maxDepth {
		p.fail("the options nest too deeply")
		return jsValue{}
	}
	switch c := p.peek(); c {
	case '"', '\'', '`':
		s := p.str()
		return jsValue{str: &s}
	case '{':
		p.i++
		v := jsValue{fields: map[string]jsValue{}}
		for p.err == nil {
			switch p.peek() {
			case '}':
				p.i++
				return v
			case ',':
				p.i++
				continue
			case 0:
				p.fail("an object is not closed")
				return v
			}
			var key string
			if c := p.peek(); c == '"' || c == '\'' {
				key = p.str()
			} else {
				start := p.i
				for p.i < len(p.s) && (isIdent(p.s[p.i])) {
					p.i++
				}
				key = p.s[start:p.i]
				if key == "" {
					p.fail("unexpected %q in an object", p.s[p.i:p.i+1])
					return v
				}
			}
			if p.peek() != ':' {
				// Shorthand {body}: a variable, not a literal.
				v.keys = append(v.keys, key)
				v.fields[key] = jsValue{raw: key}
				continue
			}
			p.i++
			val := p.value(depth + 1)
			if _, dup := v.fields[key]; !dup {
				v.keys = append(v.keys, key)
			}
			v.fields[key] = val
		}
		return v
	default:
		// Anything else (null, a number, a variable, JSON.stringify(x),
		// an array): its text up to the next , or } at this level.
		start := p.i
		level := 0
		for p.i < len(p.s) && p.err == nil {
			c := p.s[p.i]
			switch {
			case c == '"' || c == '\'' || c == '`':
				p.str()
				continue
			case c == '(' || c == '[' || c == '{':
				level++
			case c == ')' || c == ']' || c == '}':
				if level == 0 {
					return jsValue{raw: strings.TrimSpace(p.s[start:p.i])}
				}
				level--
			case c == ',' && level == 0:
				return jsValue{raw: strings.TrimSpace(p.s[start:p.i])}
			}
			p.i++
		}
		return jsValue{raw: strings.TrimSpace(p.s[start:p.i])}
	}
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// fetch reads a fetch(url, {…}) call as Chromium's and Firefox's "Copy as
// fetch" write it. Nothing in it is evaluated.
func (b *builder) fetch(src string) error {
	i := strings.Index(src, "fetch")
	p := &jsParser{s: src, i: i + len("fetch")}
	if p.peek() != '(' {
		return &Error{Message: "fetch is not called", Hint: "paste the fetch(…) call"}
	}
	p.i++
	u := p.value(0)
	if p.err != nil {
		return p.err
	}
	if u.str == nil {
		return &Error{Message: "the fetch() call's URL is an expression (" + clip(u.raw, 60) + "), not a string", Hint: "paste it with the URL written out, as \"Copy as fetch\" does"}
	}
	b.setSource(SourceFetch)
	b.setURL(*u.str)
	var opts jsValue
	if p.peek() == ',' {
		p.i++
		if c := p.peek(); c != ')' {
			opts = p.value(0)
			if p.err != nil {
				return p.err
			}
		}
	}
	r := &b.res.Request
	for _, k := range opts.keys {
		v := opts.fields[k]
		switch k {
		case "method":
			if v.str != nil {
				b.setMethod(*v.str)
			}
		case "headers":
			for _, hk := range v.keys {
				hv := v.fields[hk]
				if hv.str != nil {
					b.addHeader(hk, *hv.str)
				} else {
					b.addHeader(hk, "")
					b.missing("headers", fmt.Sprintf("the value of %s is an expression (%s); type the value your code sends", hk, clip(hv.raw, 60)))
				}
			}
			if v.fields == nil && v.raw != "" {
				b.missing("headers", "the headers are an expression ("+clip(v.raw, 60)+"); type them")
			}
		case "body":
			switch {
			case v.str != nil:
				r.Body = *v.str
			case v.raw != "" && v.raw != "null" && v.raw != "undefined":
				b.missing("body", "the body is an expression ("+clip(v.raw, 60)+"), which corsdoctor does not run; paste the text it produces if the server needs it")
			}
		case "credentials":
			if v.str != nil {
				b.setCredentials(diagnose.Credentials(*v.str))
			}
		case "mode":
			if v.str != nil {
				r.Mode = diagnose.Mode(*v.str)
			}
		case "referrer":
			if v.str != nil {
				b.addHeader("Referer", *v.str)
			}
		}
	}
	if !b.credentialsSet && !hasHeaderIn(b.headers, "cookie") {
		b.setCredentials(diagnose.CredentialsSameOrigin)
		b.note("The call sets no credentials option, so fetch() uses its default, same-origin.")
	}
	return nil
}

// clip shortens s for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
