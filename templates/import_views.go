package templates

import "strconv"

// PasteID is the home page's paste box (a form of its own, POST /import).
const PasteID = "paste-form"

// ImportView is what the paste box understood, shown next to the form it
// filled: where the request came from, the console line's reason, what
// the paste did not say and which headers were left out.
type ImportView struct {
	// Source names the input: "Chromium console line", "curl command"…
	Source string
	// Reason is the reason ID of the first console line, ReasonURL its
	// page and ReasonTitle its title; ReasonText is the line's own words.
	Reason      string
	ReasonURL   string
	ReasonTitle string
	ReasonText  string
	Missing     []ImportMissing
	Dropped     []DroppedView
	Notes       []string
}

// ImportMissing is a field the paste did not say, and why it matters.
type ImportMissing struct {
	Field string // form field: "url", "origin", "method", "credentials", "headers", "body"
	Label string // "page origin"
	Why   string
}

// headerCount is "1 header", "3 headers".
func headerCount(n int) string {
	if n == 1 {
		return "1 header"
	}
	return strconv.Itoa(n) + " headers"
}
