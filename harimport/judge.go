package harimport

import (
	"io"
	"slices"
	"strings"

	"corsdoctor/diagnose"
)

// Judge judges it from its recorded exchanges with diagnose.Evaluate,
// sending nothing. A fetch the judge cannot follow in the recording (its
// preflight or a redirect hop is missing, or the inferred request is not
// one fetch() accepts) is not judged: skip then says why, in words for
// the listing.
func Judge(it *Item) (rep *diagnose.Report, skip string) {
	if it.Skip != "" {
		return nil, it.Skip
	}
	rep, err := diagnose.Evaluate(it.Request, it.Exchanges)
	if err != nil {
		return nil, SkipReason(err)
	}
	// The note that corsdoctor cannot send the user's cookies is about
	// probing: here the recording holds what the browser sent, cookies
	// included.
	rep.Findings = slices.DeleteFunc(rep.Findings, func(f diagnose.Finding) bool { return f.Reason == "cookies-not-sent" })
	return rep, ""
}

// SkipReason words an error of diagnose.Evaluate on a recording as the
// reason an entry is not judged.
func SkipReason(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "redirect hop"):
		return "a redirect hop is not in the recording: " + strings.TrimPrefix(msg, "the recording has no ")
	case strings.Contains(msg, "has no preflight"):
		return "its preflight is not in the recording (Safari and older Chromium do not record preflights, and a preflight answered from the browser's preflight cache is not sent): check it with corsdoctor check, which sends one"
	case strings.Contains(msg, "has no actual"):
		return "the request after its preflight is not in the recording"
	case strings.Contains(msg, "recording has no"):
		return "a request the browser made is not in the recording: " + strings.TrimPrefix(msg, "the recording has no ")
	}
	return "the recorded request is not one corsdoctor can judge: " + msg
}

// Result is one fetch of a HAR and its judgement.
type Result struct {
	Item
	// Report is the judgement; nil when Skip says why there is none.
	Report *diagnose.Report
}

// Summary counts what a HAR held.
type Summary struct {
	Browser string `json:"browser,omitempty"`
	Creator string `json:"creator,omitempty"`
	// Entries is how many entries the HAR has; NotCORS how many of them
	// are plainly not CORS requests (no Origin header, not a fetch).
	Entries int `json:"entries"`
	NotCORS int `json:"not_cors"`
	// Judged, Blocked and Skipped count the fetches.
	Judged  int `json:"judged"`
	Blocked int `json:"blocked"`
	Skipped int `json:"skipped"`
}

// Each reads a HAR from r, groups its entries into fetches and judges
// each, calling fn with every result in the order of their first entry.
// Reports are handed to fn one at a time and not kept, so judging a large
// HAR holds one report at a time. Errors are Read's, or fn's.
func Each(r io.Reader, lim Limits, fn func(Result) error) (Summary, error) {
	a, err := Read(r, lim)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Browser: a.Browser, Creator: a.Creator, Entries: a.Total, NotCORS: a.NotCORS}
	items := Group(a)
	a.Entries = nil // the items hold what is still needed
	for i := range items {
		res := Result{Item: items[i]}
		res.Report, res.Skip = Judge(&items[i])
		items[i] = Item{} // let the exchanges go once judged
		if res.Report == nil {
			sum.Skipped++
		} else {
			sum.Judged++
			if res.Report.Blocked() {
				sum.Blocked++
			}
		}
		if err := fn(res); err != nil {
			return sum, err
		}
	}
	return sum, nil
}
