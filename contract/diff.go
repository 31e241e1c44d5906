package contract

import (
	"fmt"
	"slices"
	"strings"
)

// Change is one difference between two runs of the same cases.
type Change struct {
	Case string `json:"case"`
	// Kind is "changed" (a browser's outcome differs), "added" or
	// "removed" (the case is in one run only).
	Kind    string `json:"kind"`
	Browser string `json:"browser,omitempty"`
	Was     *Got   `json:"was,omitempty"`
	Now     *Got   `json:"now,omitempty"`
	// Why says what changed, ending with the engine's summary of now.
	Why string `json:"why"`
}

// Diff compares two runs case by case (by name) and browser by browser:
// verdict, printed reason and readable headers. Changes come in the new
// run's order, then the removed cases.
func Diff(old, now *Run) []Change {
	was := map[string]Result{}
	for _, r := range old.Cases {
		was[r.Name] = r
	}
	var out []Change
	seen := map[string]bool{}
	for _, n := range now.Cases {
		seen[n.Name] = true
		o, ok := was[n.Name]
		if !ok {
			out = append(out, Change{Case: n.Name, Kind: "added", Why: "new case: " + outcomeLine(n)})
			continue
		}
		if o.Error != n.Error && (o.Error != "" || n.Error != "") {
			why := "now probed: " + outcomeLine(n)
			if n.Error != "" {
				why = "no longer probed: " + n.Error
			}
			out = append(out, Change{Case: n.Name, Kind: "changed", Why: why})
			continue
		}
		for _, b := range orderedBrowsers(o.Got, n.Got) {
			og, oOK := o.Got[b]
			ng, nOK := n.Got[b]
			switch {
			case !oOK:
				g := ng
				out = append(out, Change{Case: n.Name, Kind: "changed", Browser: b, Now: &g, Why: fmt.Sprintf("%s: newly judged: %s: %s", b, describeGot(ng), ng.Summary)})
			case !nOK:
				g := og
				out = append(out, Change{Case: n.Name, Kind: "changed", Browser: b, Was: &g, Why: fmt.Sprintf("%s: no longer judged (was %s)", b, describeGot(og))})
			default:
				if why := gotChange(og, ng); why != "" {
					og, ng := og, ng
					out = append(out, Change{Case: n.Name, Kind: "changed", Browser: b, Was: &og, Now: &ng, Why: b + ": " + why})
				}
			}
		}
	}
	for _, o := range old.Cases {
		if !seen[o.Name] {
			out = append(out, Change{Case: o.Name, Kind: "removed", Why: "case no longer in the file (was " + outcomeLine(o) + ")"})
		}
	}
	return out
}

// gotChange says how one browser's outcome changed, or "".
func gotChange(was, now Got) string {
	if was.Verdict != now.Verdict || was.Reason != now.Reason {
		return fmt.Sprintf("%s → %s: %s", describeGot(was), describeGot(now), now.Summary)
	}
	lost, gained := setDiff(was.Exposed, now.Exposed), setDiff(now.Exposed, was.Exposed)
	var parts []string
	if len(lost) > 0 {
		parts = append(parts, "JavaScript can no longer read "+strings.Join(lost, ", "))
	}
	if len(gained) > 0 {
		parts = append(parts, "JavaScript can now read "+strings.Join(gained, ", "))
	}
	return strings.Join(parts, "; ")
}

// setDiff returns the names in a and not in b, case-insensitively.
func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y string) bool { return strings.EqualFold(x, y) }) {
			out = append(out, x)
		}
	}
	return out
}

// outcomeLine is a case's outcome in one line: "firefox allowed, chromium blocked (…)".
func outcomeLine(r Result) string {
	if r.Error != "" {
		return "not probed: " + r.Error
	}
	var parts []string
	for _, b := range orderedBrowsers[Got](nil, r.Got) {
		parts = append(parts, b+" "+describeGot(r.Got[b]))
	}
	return strings.Join(parts, ", ")
}
