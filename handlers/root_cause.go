package handlers

import (
	"net/url"
	"strings"

	"corsdoctor/diagnose"
	"corsdoctor/remedy"
	"corsdoctor/templates"
)

// stackQuery reads the stack a page or an API read asks for (?stack=ID,
// letter case ignored). Absent or empty means the stack stored with the
// diagnosis; anything else that is no stack ID is a 400 naming the valid
// ones. It allocates nothing for a request without a query, the hot path
// of a shared link.
func stackQuery(rawQuery string) (remedy.StackID, error) {
	v, _ := queryValue(rawQuery, "stack")
	return parseStack(v)
}

// parseStack reads a stack ID as typed in ?stack= or the API's "stack";
// blank means none. An unknown ID is an input error on the field "stack"
// whose message lists the valid IDs.
func parseStack(v string) (remedy.StackID, error) {
	if strings.TrimSpace(v) == "" {
		return "", nil
	}
	if len(v) > 64 {
		v = v[:64] + "…" // no stack ID is this long; keep the error short
	}
	id, err := remedy.ParseStackID(v)
	if err != nil {
		return "", &diagnose.InputError{Field: "stack", Message: err.Error(),
			Hint: "use one of these IDs, or leave stack out to get the fix for the stack corsdoctor detected"}
	}
	return id, nil
}

// queryValue returns the first value of key in a raw query string without
// building the url.Values map.
func queryValue(rawQuery, key string) (string, bool) {
	for rawQuery != "" {
		var kv string
		kv, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != key {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			if u, err := url.QueryUnescape(v); err == nil {
				v = u
			}
		}
		return v, true
	}
	return "", false
}

// rootCauseFor is the root cause to show for rep: the stored one when no
// stack is asked for, else the report re-explained for that stack (no
// probing: diagnose.Explain reads only the stored report). Diagnoses
// stored before root causes existed get theirs computed here.
func rootCauseFor(rep *diagnose.Report, stack remedy.StackID) *diagnose.RootCause {
	if stack == "" && rep.RootCause != nil {
		return rep.RootCause
	}
	return diagnose.Explain(rep, stack)
}

// withStack adds ?stack=ID to a path when a stack was asked for, so share
// links keep the reader's choice.
func withStack(path string, stack remedy.StackID) string {
	if stack == "" {
		return path
	}
	return path + "?stack=" + url.QueryEscape(string(stack))
}

// layerLabel names a root cause's layer for people; "" when nothing
// refused.
func layerLabel(layer string) string {
	switch layer {
	case diagnose.LayerCORS:
		return "CORS middleware"
	case diagnose.LayerProxy:
		return "reverse proxy"
	case diagnose.LayerAuth:
		return "authentication layer"
	case diagnose.LayerRouter:
		return "router"
	case diagnose.LayerCDN:
		return "CDN or storage service"
	case diagnose.LayerClient:
		return "page's own request"
	case diagnose.LayerNetwork:
		return "network"
	case diagnose.LayerFramework:
		return "framework"
	case diagnose.LayerNone, "":
		return ""
	}
	return layer
}

// collapses reports whether f is folded into rc: an error at the step
// where a layer that does not speak CORS answered.
func collapses(rc *diagnose.RootCause, f diagnose.Finding) bool {
	return rc != nil && rc.Collapses && f.Severity == diagnose.SeverityError && f.Step == rc.Step
}

// rootCauseView builds the "Fix this first" box. Everything in it that came
// from the target or the user (evidence quoting headers, origins in the
// snippet) goes through show or showBlock.
func rootCauseView(rep *diagnose.Report, rc *diagnose.RootCause, id string) *templates.RootCauseView {
	v := &templates.RootCauseView{
		Summary:    show(rc.Summary),
		Layer:      rc.Layer,
		LayerLabel: layerLabel(rc.Layer),
		Warning:    !rep.Blocked(),
		Step:       rc.Step.String(),
		Where:      rc.Fix.Where,
		Language:   rc.Fix.Snippet.Language,
		Snippet:    showBlock(rc.Fix.Snippet.Code),
	}
	for _, e := range rc.Evidence {
		v.Evidence = append(v.Evidence, show(e))
	}
	for _, s := range rc.Fix.Steps {
		v.Steps = append(v.Steps, show(s))
	}
	for _, n := range rc.Fix.Notes {
		v.Notes = append(v.Notes, show(n))
	}

	st := rc.Stack
	v.Stack = templates.StackView{ID: string(st.ID), Name: show(st.Name), Confidence: st.Confidence, Chosen: st.Chosen, Verified: st.Verified}
	if s, ok := remedy.LookupStack(st.ID); ok {
		v.Stack.Name = s.Name
		v.Stack.Verified = s.Verified
	}
	if v.Stack.Name == "" {
		v.Stack.Name = string(remedy.Unknown)
	}
	switch v.Stack.Confidence {
	case "chosen", "":
		v.Stack.Confidence = "" // the user's choice, not a detection
	case "none":
		v.Stack.ConfidenceLabel = "nothing recognisable detected"
	default:
		v.Stack.ConfidenceLabel = v.Stack.Confidence + " confidence"
	}
	v.ShowStack = rc.Fix.Where == "server" && rc.Layer != diagnose.LayerNetwork
	for _, e := range st.Evidence {
		v.Stack.Evidence = append(v.Stack.Evidence, show(e))
	}
	detected := st.ID
	if st.Chosen && st.Detected != "" {
		detected = st.Detected
		if s, ok := remedy.LookupStack(detected); ok && detected != remedy.Unknown {
			v.Stack.DetectedName = s.Name
		}
	}
	v.StackForm.Action = "/d/" + id
	for _, s := range remedy.Stacks() {
		label := s.Name
		var marks []string
		if s.ID == detected && s.ID != remedy.Unknown {
			marks = append(marks, "detected")
		}
		if !s.Verified {
			marks = append(marks, "unverified")
		}
		if len(marks) > 0 {
			label += " — " + strings.Join(marks, ", ")
		}
		v.StackForm.Options = append(v.StackForm.Options, templates.StackOption{ID: string(s.ID), Label: label, Selected: s.ID == st.ID})
	}

	switch {
	case rc.Fix.Where == "client":
		v.SnippetLabel = "The page's fetch(), changed:"
	case st.ID == remedy.Unknown || st.ID == "":
		v.SnippetLabel = "The response headers to send, for any server:"
	default:
		v.SnippetLabel = "Ready to paste, for " + v.Stack.Name + ":"
	}

	if rc.Collapses {
		for _, f := range rep.Findings {
			if !collapses(rc, f) {
				continue
			}
			c := templates.CollapsedView{Title: show(f.Title), Reason: f.Reason, Printed: f.Role == "printed" || f.Role == "" && len(f.ReportedBy) > 0, Browsers: browserList(f.ReportedBy)}
			if _, ok := diagnose.LookupReason(f.Reason); ok {
				c.ReasonURL = "/reasons/" + url.PathEscape(f.Reason)
			}
			if c.Printed {
				c.Console = consoleLines(f)
			}
			v.Collapsed = append(v.Collapsed, c)
		}
	}
	return v
}

// consoleLines are the lines each browser prints for f.
func consoleLines(f diagnose.Finding) []templates.ConsoleLine {
	var out []templates.ConsoleLine
	for _, c := range []templates.ConsoleLine{{Browser: "Firefox", Text: f.Console.Firefox}, {Browser: "Chromium", Text: f.Console.Chromium}, {Browser: "Safari", Text: f.Console.Safari}} {
		if c.Text != "" {
			c.Text, _ = printable(c.Text, 0)
			out = append(out, c)
		}
	}
	return out
}

// showBlock is show for multi-line text (a snippet): each line is made
// printable on its own, the line breaks kept.
func showBlock(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i], _ = printable(strings.TrimSuffix(l, "\r"), 0)
	}
	return strings.Join(lines, "\n")
}
