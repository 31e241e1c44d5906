package diagnose

import (
	"fmt"
	"sort"
	"strings"
)

// Per-value and total limits of the Fetch standard's safelist
// (#cors-safelisted-request-header, #cors-unsafe-request-header-names).
const (
	safelistValueMax = 128
	safelistTotalMax = 1024
)

// PreflightReason says why a preflight is (or is not) needed.
type PreflightReason struct {
	Kind   string `json:"kind"`            // "method", "header", "total-size", "flag", "none"
	Name   string `json:"name,omitempty"`  // the method or lower-cased header name
	Detail string `json:"detail"`          // a sentence for people
	Value  string `json:"value,omitempty"` // the offending value, when a header's value decided it
}

// PreflightDecision is the outcome of main fetch's preflight rule.
type PreflightDecision struct {
	Required bool              `json:"required"`
	Reasons  []PreflightReason `json:"reasons"`
	// UnsafeHeaders is the sorted, lower-cased, de-duplicated list sent in
	// Access-Control-Request-Headers.
	UnsafeHeaders []string `json:"unsafe_headers,omitempty"`
}

// DecidePreflight applies the Fetch standard's rule for a CORS-mode request:
// a preflight is needed iff the use-CORS-preflight flag is set, the method is
// not CORS-safelisted, or the CORS-unsafe request-header names are not empty.
func DecidePreflight(method string, headers []Header, useCORSPreflight bool) PreflightDecision {
	return decidePreflight(method, headers, useCORSPreflight, true)
}

// decidePreflight is DecidePreflight; total selects the standard's
// 1024-byte limit on the safelisted values together.
func decidePreflight(method string, headers []Header, useCORSPreflight, total bool) PreflightDecision {
	var d PreflightDecision
	if useCORSPreflight {
		d.Reasons = append(d.Reasons, PreflightReason{Kind: "flag", Detail: "the use-CORS-preflight flag is set (an upload progress listener or a streamed request body), which always forces a preflight"})
	}
	if !isSafelistedMethod(method) {
		d.Reasons = append(d.Reasons, PreflightReason{Kind: "method", Name: method, Detail: fmt.Sprintf("%s is not a CORS-safelisted method (only GET, HEAD and POST are)", method)})
	}
	unsafe, reasons := corsUnsafeHeaderNames(headers, total)
	d.Reasons = append(d.Reasons, reasons...)
	d.UnsafeHeaders = unsafe
	d.Required = len(d.Reasons) > 0
	if !d.Required {
		d.Reasons = []PreflightReason{{Kind: "none", Detail: "the method is CORS-safelisted and every header is CORS-safelisted, so the browser sends the request directly (a \"simple\" request)"}}
	}
	return d
}

func isSafelistedMethod(m string) bool { return m == "GET" || m == "HEAD" || m == "POST" }

// corsUnsafeHeaderNames implements #cors-unsafe-request-header-names, and
// explains each name it returns.
func corsUnsafeHeaderNames(headers []Header, applyTotal bool) ([]string, []PreflightReason) {
	var reasons []PreflightReason
	unsafe := map[string]bool{}
	var potentially []Header
	total := 0
	for _, h := range headers {
		lower := strings.ToLower(h.Name)
		if why := unsafeHeaderWhy(h.Name, h.Value); why != "" {
			if !unsafe[lower] {
				reasons = append(reasons, PreflightReason{Kind: "header", Name: lower, Value: h.Value, Detail: why})
			}
			unsafe[lower] = true
			continue
		}
		potentially = append(potentially, h)
		total += len(h.Value)
	}
	if applyTotal && total > safelistTotalMax {
		for _, h := range potentially {
			lower := strings.ToLower(h.Name)
			if !unsafe[lower] {
				reasons = append(reasons, PreflightReason{Kind: "total-size", Name: lower, Value: h.Value,
					Detail: fmt.Sprintf("the safelisted header values add up to %d bytes, over the %d-byte total, so every one of them (%s included) counts as CORS-unsafe", total, safelistTotalMax, h.Name)})
			}
			unsafe[lower] = true
		}
	}
	names := make([]string, 0, len(unsafe))
	for n := range unsafe {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, reasons
}

// unsafeHeaderWhy returns why (name, value) is not a CORS-safelisted
// request header, or "" when it is.
func unsafeHeaderWhy(name, value string) string {
	lower := strings.ToLower(name)
	switch lower {
	case "accept", "accept-language", "content-language", "content-type", "range":
	default:
		return fmt.Sprintf("%s is not a CORS-safelisted request header (only Accept, Accept-Language, Content-Language, Content-Type and Range can be, with restricted values)", name)
	}
	if len(value) > safelistValueMax {
		return fmt.Sprintf("the %s value is %d bytes; safelisted values are at most %d bytes", name, len(value), safelistValueMax)
	}
	switch lower {
	case "accept":
		if b, ok := firstUnsafeByte(value); ok {
			return fmt.Sprintf("the Accept value contains %s, a CORS-unsafe byte", describeByte(b))
		}
	case "accept-language", "content-language":
		for i := 0; i < len(value); i++ {
			c := value[i]
			ok := c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || strings.IndexByte(" *,-.;=", c) >= 0
			if !ok {
				return fmt.Sprintf("the %s value contains %s; only letters, digits, space and * , - . ; = are safelisted", name, describeByte(c))
			}
		}
	case "content-type":
		if b, ok := firstUnsafeByte(value); ok {
			return fmt.Sprintf("the Content-Type value contains %s, a CORS-unsafe byte", describeByte(b))
		}
		essence, ok := mimeEssence(value)
		if !ok {
			return fmt.Sprintf("the Content-Type value %q is not a parsable MIME type", value)
		}
		switch essence {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		default:
			return fmt.Sprintf("Content-Type %s is not one of the three safelisted types (application/x-www-form-urlencoded, multipart/form-data, text/plain)", essence)
		}
	case "range":
		if !isSimpleRange(value) {
			return fmt.Sprintf("the Range value %q is not a single bytes=N- or bytes=N-M range, the only safelisted forms", value)
		}
	}
	return ""
}

// isCORSSafelistedHeader reports whether (name, value) is a CORS-safelisted
// request header.
func isCORSSafelistedHeader(name, value string) bool { return unsafeHeaderWhy(name, value) == "" }

// isNoCORSSafelistedName reports whether a no-cors request may carry name.
func isNoCORSSafelistedName(name string) bool {
	switch strings.ToLower(name) {
	case "accept", "accept-language", "content-language", "content-type":
		return true
	}
	return false
}

func firstUnsafeByte(v string) (byte, bool) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 0x20 && c != '\t') || c == 0x7f || strings.IndexByte("\"():<>?@[\\]{}", c) >= 0 {
			return c, true
		}
	}
	return 0, false
}

func describeByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02X", c)
	}
	return fmt.Sprintf("%q", string(c))
}

// mimeEssence parses a MIME type loosely, as the Fetch standard's "parse a
// MIME type" does, and returns its lower-cased essence.
func mimeEssence(v string) (string, bool) {
	// Parameters never change the essence, and the WHATWG parser skips a
	// malformed parameter rather than failing, so only the type matters.
	base, _, _ := strings.Cut(v, ";")
	base = strings.ToLower(strings.Trim(base, " \t\r\n"))
	typ, sub, ok := strings.Cut(base, "/")
	if !ok || !isToken(typ) || !isToken(sub) {
		return "", false
	}
	return typ + "/" + sub, true
}

// isSimpleRange accepts exactly the forms Fetch safelists: "bytes=N-" and
// "bytes=N-M" with N <= M, with no whitespace.
func isSimpleRange(v string) bool {
	rest, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	start, end, ok := strings.Cut(rest, "-")
	if !ok || start == "" || !allDigits(start) || (end != "" && !allDigits(end)) {
		return false
	}
	if end != "" {
		s := strings.TrimLeft(start, "0")
		e := strings.TrimLeft(end, "0")
		if len(s) > len(e) || (len(s) == len(e) && s > e) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// chromiumDrops removes the headers Chromium silently refuses from a page
// although the Fetch standard allows them: User-Agent (no longer a
// forbidden header since 2015; Firefox sends the page's value, Chromium
// keeps its own: crbug.com/571722). Chromium then neither sends it nor
// lists it in Access-Control-Request-Headers, so it cannot cause a
// preflight there (observed in Chromium 156; Firefox 153 preflights it).
func chromiumDrops(hs []Header) (kept, dropped []Header) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, "User-Agent") {
			dropped = append(dropped, h)
			continue
		}
		kept = append(kept, h)
	}
	return kept, dropped
}

// chromiumDropNote explains a header only Chromium drops.
func chromiumDropNote(p *prepared, h Header) Finding {
	return Finding{Reason: "header-dropped", Severity: SeverityInfo, Step: Step{Kind: StepActual, URL: p.target.String()}, Header: h.Name, Value: h.Value,
		Title:  "Chromium will not send the page's " + h.Name,
		Detail: "Chromium ignores a " + h.Name + " set by page script: it sends its own and does not list the header in Access-Control-Request-Headers, so the header never needs the server's permission there. Firefox sends the page's value, and because " + h.Name + " is not CORS-safelisted it preflights the request and needs " + strings.ToLower(h.Name) + " in Access-Control-Allow-Headers.",
		Fix:    "If the server must see it, list " + strings.ToLower(h.Name) + " in Access-Control-Allow-Headers (for Firefox) and do not rely on it arriving (Chromium); a custom header such as X-Client-Version works in both."}
}
