package diagnose

import (
	"time"
)

// Version is the engine version stamped on every report, so a stored
// diagnosis says which rules judged it.
const Version = "0.1.0"

// Severity ranks findings.
type Severity string

// Severities, most serious first.
const (
	SeverityError   Severity = "error"   // a browser blocks the request
	SeverityWarning Severity = "warning" // works today, bites later
	SeverityInfo    Severity = "info"    // worth knowing
)

// Outcome is a browser's verdict.
type Outcome string

// The two verdicts a browser reaches.
const (
	Allowed Outcome = "allowed"
	Blocked Outcome = "blocked"
)

// Verdicts holds each browser's verdict.
type Verdicts struct {
	Firefox  Outcome `json:"firefox"`
	Chromium Outcome `json:"chromium"`
}

// For returns b's verdict.
func (v Verdicts) For(b Browser) Outcome {
	if b == Firefox {
		return v.Firefox
	}
	return v.Chromium
}

// Finding is one problem, warning or note about the fetch.
type Finding struct {
	// Reason is Firefox's reason ID (e.g. CORSMissingAllowOrigin), or a
	// corsdoctor ID for what Firefox has no reason for; see Reasons.
	Reason   string   `json:"reason"`
	Severity Severity `json:"severity"`
	Step     Step     `json:"step"`
	Header   string   `json:"header,omitempty"`
	Value    string   `json:"value,omitempty"`
	// Browsers lists the browsers that fail this check.
	Browsers []Browser `json:"browsers,omitempty"`
	// ReportedBy lists the browsers for which this is the failure they
	// print: each browser stops at its first failed check.
	ReportedBy []Browser `json:"reported_by,omitempty"`
	// Role tells a symptom from what comes after it, for errors: "printed"
	// (the first error of some browser, the line it prints) or
	// "fails-next" (a check that fails too and would be the next error once
	// the printed one is fixed; no browser prints it now).
	Role    string  `json:"role,omitempty"`
	Console Console `json:"console"`
	Title   string  `json:"title"`
	Detail  string  `json:"detail"`
	Fix     string  `json:"fix,omitempty"`
	Doc     string  `json:"doc,omitempty"`
	Spec    string  `json:"spec,omitempty"`
}

// HeaderView is a response header as page JavaScript sees it.
type HeaderView struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// JSView is what page JavaScript observes in one browser.
type JSView struct {
	// Outcome is "resolved" (the promise resolves with a Response) or
	// "rejected" (it rejects with Error).
	Outcome    string       `json:"outcome"`
	Error      string       `json:"error,omitempty"`
	Type       string       `json:"type,omitempty"` // basic, cors, opaque
	Status     int          `json:"status"`
	StatusText string       `json:"status_text,omitempty"`
	URL        string       `json:"url,omitempty"`
	Redirected bool         `json:"redirected,omitempty"`
	Readable   []HeaderView `json:"readable,omitempty"`
	// Hidden lists response header names JavaScript cannot read.
	Hidden []string `json:"hidden,omitempty"`
	// BodyError is what res.text() rejects with when fetch() resolves but
	// the body cannot be read to its end (cut short, stalled, bad chunked
	// coding); empty when the body reads fine.
	BodyError string `json:"body_error,omitempty"`
}

// JSViews holds what JavaScript sees in each browser.
type JSViews struct {
	Firefox  JSView `json:"firefox"`
	Chromium JSView `json:"chromium"`
}

// ConsoleLog is every CORS line each browser prints for the fetch, in order.
type ConsoleLog struct {
	Firefox  []string `json:"firefox"`
	Chromium []string `json:"chromium"`
}

// Preflight reports the preflight decision and whether one was sent.
type Preflight struct {
	PreflightDecision
	Sent bool `json:"sent"`
}

// Summary is one sentence per browser for a tired developer.
type Summary struct {
	Firefox  string `json:"firefox"`
	Chromium string `json:"chromium"`
}

// Report is the whole diagnosis of one fetch. Its JSON form is the stable,
// documented schema of `corsdoctor check --json` and the API.
type Report struct {
	Engine     string          `json:"engine"`
	RanAt      time.Time       `json:"ran_at"`
	DurationMS float64         `json:"duration_ms"`
	Request    Request         `json:"request"`
	Dropped    []DroppedHeader `json:"dropped_headers,omitempty"`
	Verdict    Verdicts        `json:"verdict"`
	Summary    Summary         `json:"summary"`
	Preflight  Preflight       `json:"preflight"`
	Findings   []Finding       `json:"findings"`
	JS         JSViews         `json:"js"`
	Console    ConsoleLog      `json:"console"`
	Exchanges  []Exchange      `json:"exchanges"`
	// Followups are extra preflights corsdoctor sent to find out which
	// element a silent server refused; no browser sends them.
	Followups []Exchange `json:"followups,omitempty"`
	// RootCause is the root cause and the fix: always set when a browser
	// blocks, and when an allowed request has a warning that will bite.
	RootCause *RootCause `json:"root_cause,omitempty"`
}

// Blocked reports whether any browser blocks the request.
func (r *Report) Blocked() bool {
	return r.Verdict.Firefox == Blocked || r.Verdict.Chromium == Blocked
}

// Errors returns the findings of error severity.
func (r *Report) Errors() []Finding { return r.bySeverity(SeverityError) }

// Warnings returns the findings of warning severity.
func (r *Report) Warnings() []Finding { return r.bySeverity(SeverityWarning) }

func (r *Report) bySeverity(s Severity) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity == s {
			out = append(out, f)
		}
	}
	return out
}
