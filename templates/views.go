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
	// RootCauseID is the "Fix this first" box at the top of a diagnosis.
	RootCauseID = "root-cause"
	// FixSnippetID is the fix's ready-to-paste code, for the copy button.
	FixSnippetID = "fix-snippet"
	TimelineID   = "timeline"
	ExchangeID   = "exchanges"
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
	// Paste is the paste box's text, kept when it could not be read;
	// PasteError says why.
	Paste      string
	PasteError *FieldError
	// Import is what the paste box understood, when it filled the form.
	Import *ImportView
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
	// Role is "printed" (the first error a browser prints), "fails-next"
	// (fails too, but no browser prints it until the printed one is
	// fixed; it carries no console lines) or "" (warnings and notes).
	Role    string
	Console []ConsoleLine
	// LineHref points at the offending header line in the raw exchange.
	LineHref string
}

// CheckView is one check in the timeline.
type CheckView struct {
	Name   string
	Passed bool
	// NotChecked marks a check no browser got as far as: neither passed
	// nor failed, and never shown with a tick.
	NotChecked bool
	Detail     string
}

// State is "passed", "failed" or "not-checked", for data attributes.
func (c CheckView) State() string {
	switch {
	case c.NotChecked:
		return "not-checked"
	case c.Passed:
		return "passed"
	}
	return "failed"
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
	ID        string
	SharePath string // "/d/ID"
	ShareURL  string // absolute, for copying
	RerunURL  string
	Engine    string
	RanAt     string // human, UTC
	RanAtISO  string
	Duration  string
	ExpiresOn string
	Request   RequestView
	Redacted  []string
	Dropped   []DroppedView
	Blocked   bool
	Headline  string
	Verdicts  []VerdictView
	Preflight PreflightView
	// RootCause is the "Fix this first" box; nil when the browsers allow
	// the request and nothing will bite later.
	RootCause *RootCauseView
	// Printed are the errors some browser prints (the symptoms), and
	// FailsNext the checks that fail too and would be printed once those
	// are fixed. Errors folded into the root cause (RootCause.Collapsed)
	// are in neither. Other holds the warnings and notes.
	Printed    []FindingView
	FailsNext  []FindingView
	Other      []FindingView
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
	// Recorded is set when the exchanges come from an uploaded recording
	// (a HAR): nothing was sent, and the browser, not corsdoctor, sent
	// the real values of the redacted headers.
	Recorded bool
}

// Shown is how many finding cards the findings panel shows.
func (v DiagnosisView) Shown() int { return len(v.Printed) + len(v.FailsNext) + len(v.Other) }

// RootCauseView is the "Fix this first" box: the root cause in one
// sentence, the evidence, the stack, and the change to make.
type RootCauseView struct {
	Summary string
	// Layer is the refusing layer's ID ("authentication") and LayerLabel
	// its name for people ("Authentication layer"); LayerLabel is empty
	// when nothing refused (a warning on an allowed request).
	Layer      string
	LayerLabel string
	// Warning is true when the browsers allow the request today and the
	// box is about a warning that will bite later.
	Warning  bool
	Step     string // "preflight", "actual (redirect hop 1)"
	Evidence []string
	// Where is "server" or "client" (the page's fetch() must change).
	Where string
	Steps []string
	// Notes are the stack's traps and version notes (where defaults
	// changed between versions).
	Notes []string
	// Snippet is the ready-to-paste change, SnippetLabel says what it is
	// ("nginx configuration", "The page's fetch()").
	Snippet      string
	SnippetLabel string
	Language     string
	// ShowStack is false when the fix does not depend on the server's
	// stack (a change to the page's fetch(), an unreachable server).
	ShowStack bool
	Stack     StackView
	// StackForm re-renders the fix for another stack (a GET form, so it
	// works without JavaScript and the URL is a share link).
	StackForm StackFormView
	// Collapsed are the failed checks at Step that follow from a layer
	// that does not speak CORS at all: one root cause, not several
	// failures.
	Collapsed []CollapsedView
}

// StackView is the server stack the fix is written for.
type StackView struct {
	ID   string
	Name string
	// Confidence is high, medium, low or none ("" for the user's choice),
	// and ConfidenceLabel says it in words ("medium confidence",
	// "nothing recognisable detected").
	Confidence      string
	ConfidenceLabel string
	Evidence        []string
	// Chosen is true when the user picked the stack; DetectedName then
	// names what detection found ("" when it found nothing else).
	Chosen       bool
	DetectedName string
	// Verified is false for stacks whose snippets are not proven on real
	// servers: the page marks them "unverified".
	Verified bool
}

// StackFormView is the stack picker.
type StackFormView struct {
	Action  string // "/d/ID"
	Options []StackOption
}

// StackOption is one stack in the picker.
type StackOption struct {
	ID       string
	Label    string // "nginx", "Spring (MVC + Security), unverified"
	Selected bool
}

// CollapsedView is a failed check folded into the root cause.
type CollapsedView struct {
	Title     string
	Reason    string
	ReasonURL string
	// Printed is true for the one the browsers print; only it carries
	// console lines.
	Printed  bool
	Browsers string
	Console  []ConsoleLine
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
	// ChromiumPreflight is Chromium's wording when the check fails on the
	// preflight ("Response to preflight request doesn't pass access
	// control check: …"), for the reasons where it differs.
	ChromiumPreflight string
	// DiagnoseURL opens the diagnose form prefilled for a request that
	// meets this reason (from the pasted line when there is one).
	DiagnoseURL string
	// Pasted is the console line that led here from the search box.
	Pasted string
}

// ReasonGroup is one heading of the catalogue.
type ReasonGroup struct {
	ID      string // anchor
	Title   string
	Intro   string
	Reasons []ReasonView
}

// ReasonsView is the catalogue page.
type ReasonsView struct {
	Groups []ReasonGroup
	// Query is the search box's text; NoMatch is set when it names no
	// reason.
	Query   string
	NoMatch bool
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
