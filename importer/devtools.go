package importer

import (
	"regexp"
	"strings"
)

var (
	requestLine  = regexp.MustCompile(`^([A-Za-z]+) (\S+) HTTP/\d(?:\.\d)?$`)
	statusLine   = regexp.MustCompile(`^HTTP/\d(?:\.\d)?(?: .*)?$`)
	pseudoHeader = regexp.MustCompile(`^:([a-z]+):\s*(.*)$`)
	headerName   = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// devtools reads a "Request Headers" block copied from devtools: raw
// ("GET /x HTTP/1.1" and Name: value lines), HTTP/2 (":authority: …"
// pseudo-headers), or the panel's two-line form (a name ending in a
// colon, its value on the next line). It reports false when fewer than
// one line in two is a header, which is not a header block.
func (b *builder) devtools(text string) bool {
	var pseudo = map[string]string{}
	target := ""
	lines := strings.Split(text, "\n")
	headerLines, other := 0, 0
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		switch {
		case t == "" || statusLine.MatchString(t) || strings.EqualFold(t, "Request Headers") || strings.EqualFold(t, "Raw"):
			continue
		case pseudoHeader.MatchString(t):
			m := pseudoHeader.FindStringSubmatch(t)
			pseudo[m[1]] = strings.TrimSpace(m[2])
			headerLines++
			continue
		case requestLine.MatchString(t):
			m := requestLine.FindStringSubmatch(t)
			b.setMethod(m[1])
			target = m[2]
			headerLines++
			continue
		}
		name, value, ok := strings.Cut(t, ":")
		name = strings.TrimSpace(name)
		if !ok || !headerName.MatchString(name) {
			other++
			continue
		}
		value = strings.TrimSpace(value)
		if value == "" && i+1 < len(lines) {
			// The panel's two-line form: the value on the next line,
			// unless that line is a header of its own.
			nt := strings.TrimSpace(lines[i+1])
			nn, nv, nok := strings.Cut(nt, ":")
			isHeader := nok && headerName.MatchString(strings.TrimSpace(nn)) && !strings.HasPrefix(nv, "//")
			if nt != "" && !isHeader && !pseudoHeader.MatchString(nt) {
				i++
				value = nt
			}
		}
		b.addHeader(name, value)
		headerLines++
	}
	if headerLines == 0 || other > headerLines {
		return false
	}
	b.setSource(SourceDevtools)
	if m := pseudo["method"]; m != "" {
		b.methodSet = false
		b.setMethod(m)
	}
	host := pseudo["authority"]
	for _, h := range b.headers {
		if strings.EqualFold(h.Name, "host") && host == "" {
			host = h.Value
		}
	}
	if p := pseudo["path"]; p != "" {
		target = p
	}
	scheme := pseudo["scheme"]
	if scheme == "" {
		scheme = "https"
		for _, h := range b.headers {
			if strings.EqualFold(h.Name, "origin") && strings.HasPrefix(h.Value, "http://") {
				scheme = "http"
			}
		}
	}
	switch {
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		b.setURL(target)
	case host != "" && strings.HasPrefix(target, "/"):
		b.setURL(scheme + "://" + host + target)
	}
	if b.res.Request.URL != "" && pseudo["scheme"] == "" && !strings.HasPrefix(target, "http") {
		b.note("The block does not say http or https; corsdoctor assumed %s.", scheme)
	}
	// A preflight's block: diagnose the request it asks about.
	var acrm, acrh string
	for _, h := range b.headers {
		switch strings.ToLower(h.Name) {
		case "access-control-request-method":
			acrm = h.Value
		case "access-control-request-headers":
			acrh = h.Value
		}
	}
	if strings.EqualFold(b.res.Request.Method, "OPTIONS") && acrm != "" {
		b.res.Request.Method = acrm
		b.preflight = true
		for _, n := range strings.Split(acrh, ",") {
			if n = strings.TrimSpace(n); n != "" && !containsFold(b.consoleHeaders, n) {
				b.consoleHeaders = append(b.consoleHeaders, n)
			}
		}
		b.note("The block is a preflight's: diagnosing the %s request it asks permission for.", acrm)
	}
	return true
}
