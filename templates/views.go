// Package templates renders the dashboard's HTML with templ.
//
// Templates take view models (the *View types in this file) and do no I/O:
// handlers build the views from diagnose and store values, so every
// decision (what to highlight, what to truncate, which anchor a finding
// links to) is made in Go that tests can reach, and a template only lays
// it out. Only pages are exported; parts are unexported components.
//
// Every region a test or a reader may want to find has an id and a
// data-testid. No template contains a <script>, a <style> or a style
// attribute: the Content-Security-Policy forbids inline code, so all of it
// lives in package static.
package templates

// IDs of regions that scripts and links target.
const (
	FormID     = "diagnose-form"
	ProgressID = "progress"
	VerdictID  = "verdict"
	FindingsID = "findings"
	TimelineID = "timeline"
	ExchangeID = "exchanges"
)

// PageMeta is what the layout needs from every page.
type PageMeta struct {
	Title string // the page's own title; the layout appends " · corsdoctor"
	// Nav names the active navigation entry: "diagnose", "reasons", "api".
	Nav string
	// Description is the meta description.
	Description string
	// NoIndex asks crawlers to skip the page (diagnoses, errors).
	NoIndex bool
}

// FieldError is an input problem attached to one form field.
type FieldError struct {
	Field   string // "url", "origin", "method", "headers", "credentials", "mode", "body", "secret"
	Message string
	Hint    string
}

// FormView holds the form's values exactly as typed, so nothing is lost
// when it comes back with an error.
type FormView struct {
	URL              string
	Origin           string
	Method           string
	Headers          string // raw block, one "Name: value" per line
	Secret           string // extra header names to redact, comma separated
	Body             string
	Credentials      string
	Mode             string
	UseCORSPreflight bool
}

// PresetView is one "start from" example.
type PresetView struct {
	ID          string
	Label       string
	Description string
	Method      string
	Headers     string
	Body        string
	Credentials string
	Href        string // GET /?preset=ID, the no-JavaScript path
}

// HomeView is the diagnose form page.
type HomeView struct {
	Form FormView
	// Errors are the last submission's problems, one per field at most,
	// in the form's order; empty unless it was refused.
	Errors  []*FieldError
	Presets []PresetView
	// Methods are the common methods offered as suggestions.
	Methods []string
	// FromID is set when the form was pre-filled from a stored diagnosis.
	FromID string
	// Reenter lists header names whose values were redacted in that
	// diagnosis: the user must type them again.
	Reenter []string
	// ExchangeTimeout and TotalTimeout are whole seconds.
	ExchangeTimeout int
	TotalTimeout    int
	RetentionDays   int
	// Notice is a one-line message above the form (e.g. an unknown preset).
	Notice string
}

// ErrorFor returns the problem with field, or nil.
func (v HomeView) ErrorFor(field string) *FieldError {
	for _, e := range v.Errors {
		if e.Field == field {
			return e
		}
	}
	return nil
}

// AdvancedOpen reports whether the advanced options start expanded: when
// one of them differs from its default or has an error.
func (v HomeView) AdvancedOpen() bool {
	f := v.Form
	if f.Mode != "" && f.Mode != "cors" || f.UseCORSPreflight || f.Secret != "" {
		return true
	}
	return v.ErrorFor("mode") != nil || v.ErrorFor("secret") != nil
}

// HeaderLine is one header of the request as stored.
type HeaderLine struct {
	Name     string
	Value    string
	Redacted bool
}

// RequestView is the diagnosed request's inputs.
type RequestView struct {
	Method           string
	URL              string
	Origin           string
	Credentials      string
	Mode             string
	UseCORSPreflight bool
	Headers          []HeaderLine
	Body             string
}

// DroppedView is a header the browser would refuse to send.
type DroppedView struct {
	Name  string
	Value string
	Why   string
}

// VerdictView is one browser's verdict.
type VerdictView struct {
	Browser string // "Firefox"
	Key     string // "firefox"
	Allowed bool
	Summary string
}

// ConsoleLine is one console line and the browser that prints it.
type ConsoleLine struct {
	Browser string
	Text    string
}

// FindingView is one finding, ready to show.
type FindingView struct {
	Anchor    string // "finding-1"
	Reason    string
	ReasonURL string // "/reasons/ID", "" when the catalogue has no page
	Severity  string // "error", "warning", "info"
	Label     string // "Blocks", "Warning", "Note"
	Title     string
	Detail    string
	Fix       string
	Doc       string
	Spec      string
	Step      string // "preflight", "actual (redirect hop 1)"
	Header    string
	Value     string
	Browsers  string // "Firefox and Chromium"
	Console   []ConsoleLine
	// LineHref points at the offending header line in the raw exchange.
	LineHref string
}

// CheckView is one check in the timeline.
type CheckView struct {
	Name   string
	Passed bool
	Detail string
}

// StepView is one exchange in the timeline.
type StepView struct {
	Anchor      string // "step-1"
	ExchangeRef string // "#ex-1"
	Label       string // "Preflight", "Actual request", "Redirect hop 1"
	Method      string
	URL         string
	Status      string // "204 No Content" or "no response: connection refused"
	OK          bool   // no failed check and a response
	// Skipped marks a request the browser never sends (the actual
	// request after a failed preflight).
	Skipped  bool
	Duration string
	Checks   []CheckView
}

// LineView is one line of a raw HTTP head.
type LineView struct {
	ID        string // anchor for offending lines
	Name      string
	Value     string
	Offending bool
	// Missing marks a placeholder for a header the response lacks.
	Missing bool
	// Note is shown after a truncated value.
	Note string
}

// ExchangeView is one request and its response, raw.
type ExchangeView struct {
	Anchor        string // "ex-1"
	Title         string // "Preflight", "Actual request"
	Step          string
	RequestLine   string
	RequestLines  []LineView
	RequestBody   string
	StatusLine    string // "" when no response arrived
	ResponseLines []LineView
	Malformed     []string
	Body          string
	BodyTruncated bool
	Error         string
	ErrorCode     string // net::ERR_…
	RemoteAddr    string
	TLS           string
	Started       string
	Duration      string
	Curl          string
}

// JSView is what page JavaScript sees in one browser.
type JSView struct {
	Browser    string
	Key        string
	Resolved   bool
	Error      string
	Status     string
	Type       string
	URL        string
	Redirected bool
	Readable   []HeaderLine
	Hidden     []string
}

// ConsoleView is every console line one browser prints.
type ConsoleView struct {
	Browser string
	Key     string
	Lines   []string
}

// ExportView holds the reproduction snippets.
type ExportView struct {
	CurlPreflight string // "" when no preflight is needed
	CurlActual    string
	Fetch         string
	HARURL        string
	JSONURL       string
}

// PreflightView explains the preflight decision.
type PreflightView struct {
	Required      bool
	Sent          bool
	Reasons       []string
	UnsafeHeaders []string
}

// DiagnosisView is a stored diagnosis.
type DiagnosisView struct {
	ID         string
	SharePath  string // "/d/ID"
	ShareURL   string // absolute, for copying
	RerunURL   string
	Engine     string
	RanAt      string // human, UTC
	RanAtISO   string
	Duration   string
	ExpiresOn  string
	Request    RequestView
	Redacted   []string
	Dropped    []DroppedView
	Blocked    bool
	Headline   string
	Verdicts   []VerdictView
	Preflight  PreflightView
	Findings   []FindingView
	Errors     int
	Warnings   int
	Notes      int
	Steps      []StepView
	JS         []JSView
	Console    []ConsoleView
	Exchanges  []ExchangeView
	Followups  []ExchangeView
	Export     ExportView
	ExtraNotes []string
}

// ReasonView is one entry of the reason catalogue.
type ReasonView struct {
	ID       string
	URL      string // "/reasons/ID"
	Title    string
	Summary  string
	Severity string
	Firefox  string
	Chromium string
	Safari   string
	Causes   []string
	Fix      string
	Doc      string
	Spec     string
}

// ReasonsView is the catalogue page.
type ReasonsView struct {
	Reasons []ReasonView
}

// ErrorView is a friendly error page.
type ErrorView struct {
	Status  int
	Title   string
	Message string
	// Hint suggests what to do next.
	Hint string
	// RequestID lets an operator find the log line of a 500.
	RequestID string
}
