package templates

import (
	"strconv"
	"strings"
)

// shortID abbreviates a diagnosis ID for display; links keep the full ID.
func shortID(id string) string {
	if len(id) > 10 {
		return id[:10] + "…"
	}
	return id
}

// joinNames writes names as "A", "A and B" or "A, B and C".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// specName names the specification a link points to.
func specName(link string) string {
	switch {
	case strings.HasPrefix(link, "https://fetch.spec.whatwg.org/"):
		return "Fetch standard"
	case strings.HasPrefix(link, "https://wicg.github.io/local-network-access"):
		return "Local Network Access draft"
	case strings.HasPrefix(link, "https://www.rfc-editor.org/rfc/rfc"):
		n, _, _ := strings.Cut(strings.TrimPrefix(link, "https://www.rfc-editor.org/rfc/rfc"), "#")
		return "RFC " + n
	}
	return "Specification"
}

// docName names the documentation a link points to: MDN for most reasons.
func docName(link string) string {
	switch {
	case strings.HasPrefix(link, "https://developer.mozilla.org/"):
		return "MDN"
	case strings.HasPrefix(link, "https://developer.chrome.com/"):
		return "Chrome for Developers"
	}
	return "Documentation"
}

// fieldCount is "2 fields", "3 fields": the heading of a summary of
// several problems.
func fieldCount(n int) string { return strconv.Itoa(n) + " fields" }

// capitalizeFirst upper-cases the first letter of an ASCII label.
func capitalizeFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// fieldLabel names a form field in an error summary.
func fieldLabel(field string) string {
	switch field {
	case "url":
		return "endpoint URL"
	case "origin":
		return "page origin"
	case "method":
		return "method"
	case "headers":
		return "request headers"
	case "credentials":
		return "credentials mode"
	case "mode":
		return "request mode"
	case "body":
		return "request body"
	case "secret":
		return "headers to redact"
	}
	return field
}

// describedBy lists the hint (and the error, when there is one) of field
// for aria-describedby, so it never names an element that is not there.
func describedBy(field string, hasError bool) string {
	s := "f-" + field + "-hint"
	if hasError {
		s += " f-" + field + "-error"
	}
	return s
}

// plural picks the singular or plural form for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// joinComma joins a list as a header value.
func joinComma(list []string) string { return strings.Join(list, ", ") }

// severityLabel names a severity for people.
func severityLabel(s string) string {
	switch s {
	case "error":
		return "Blocks the request"
	case "warning":
		return "Warning"
	}
	return "Note"
}
