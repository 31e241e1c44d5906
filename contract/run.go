package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"corsdoctor/diagnose"
)

// Prober is the engine as contract needs it: diagnose.Prober satisfies it.
type Prober interface {
	ProbePrepared(ctx context.Context, r diagnose.Prepared) (*diagnose.Report, error)
}

// DefaultParallel is how many cases probe at once unless told otherwise.
const DefaultParallel = 4

// Run is the outcome of one run of a policy file. Its JSON form is
// `corsdoctor test --json`.
type Run struct {
	Engine     string    `json:"engine"`
	File       string    `json:"file"`
	RanAt      time.Time `json:"ran_at"`
	DurationMS float64   `json:"duration_ms"`
	Passed     int       `json:"passed"`
	Failed     int       `json:"failed"`
	Cases      []Result  `json:"cases"`
	// Recorded is set when the run was recorded (--record): nothing was
	// checked, and every case counts as passed.
	Recorded bool `json:"recorded,omitempty"`
	// Changes is set when the run was compared with an earlier one.
	Changes []Change `json:"changes,omitempty"`
}

// OK reports whether every case passed.
func (r *Run) OK() bool { return r.Failed == 0 }

// Result is one case's outcome.
type Result struct {
	Name         string               `json:"name"`
	Line         int                  `json:"line"`
	URL          string               `json:"url"`
	Method       string               `json:"method"`
	Origin       string               `json:"origin"`
	Credentials  diagnose.Credentials `json:"credentials,omitempty"`
	Mode         diagnose.Mode        `json:"mode,omitempty"`
	Headers      []diagnose.Header    `json:"headers,omitempty"`
	Body         string               `json:"body,omitempty"`
	UsePreflight bool                 `json:"use_cors_preflight,omitempty"`
	Expect       Expect               `json:"expect,omitempty"`
	// Got is what the engine found, per browser it judged; empty when the
	// case could not be probed (Error says why).
	Got    map[string]Got `json:"got"`
	Passed bool           `json:"passed"`
	// Reason says why the case failed, in the engine's words.
	Reason string `json:"reason,omitempty"`
	// Error is set when the engine could not probe the case at all (the
	// target policy refused the address); the case then fails.
	Error string `json:"error,omitempty"`
	// RootCause is the engine's root cause of a block, in one sentence.
	RootCause  string  `json:"root_cause,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Got is what the engine found for one browser.
type Got struct {
	Verdict diagnose.Outcome `json:"verdict"`
	// Reason is the reason ID of the error the browser prints first.
	Reason string `json:"reason,omitempty"`
	// Exposed lists the response headers JavaScript can read.
	Exposed []string `json:"exposed,omitempty"`
	// Summary is the engine's one sentence for this browser.
	Summary string `json:"summary"`
	// Console is the first CORS line the browser prints, if any.
	Console string `json:"console,omitempty"`
}

// Execute probes every case, at most parallel at once (DefaultParallel
// when parallel < 1), and checks each against its expectation. Results
// keep the file's order. The error is only the context's: a case the
// engine cannot probe fails with the engine's words.
func Execute(ctx context.Context, p Prober, pol *Policy, parallel int) (*Run, error) {
	if parallel < 1 {
		parallel = DefaultParallel
	}
	start := time.Now()
	run := &Run{Engine: "corsdoctor/" + diagnose.Version, File: pol.File, RanAt: start.UTC(), Cases: make([]Result, len(pol.Cases))}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, c := range pol.Cases {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			run.Cases[i] = runCase(ctx, p, c)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, r := range run.Cases {
		if r.Passed {
			run.Passed++
		} else {
			run.Failed++
		}
	}
	run.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return run, nil
}

func newResult(c Case) Result {
	r := c.prep.Request()
	return Result{Name: c.Name, Line: c.Line, URL: r.URL, Method: r.Method, Origin: r.Origin,
		Credentials: r.Credentials, Mode: r.Mode, Headers: r.Headers, Body: r.Body,
		UsePreflight: r.UseCORSPreflight, Expect: c.Expect, Got: map[string]Got{}}
}

func runCase(ctx context.Context, p Prober, c Case) Result {
	res := newResult(c)
	start := time.Now()
	rep, err := p.ProbePrepared(ctx, c.prep)
	res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		if ctx.Err() != nil {
			return res
		}
		// The engine's words: a target the dial policy refuses is an
		// *InputError naming the url.
		res.Error = err.Error()
		res.Reason = "not probed: " + err.Error()
		return res
	}
	res.Got = GotFrom(rep)
	if rep.RootCause != nil && rep.Blocked() {
		res.RootCause = rep.RootCause.Summary
	}
	res.Passed, res.Reason = Check(c.Expect, res.Got)
	if !res.Passed && res.RootCause != "" {
		res.Reason += "\nroot cause: " + res.RootCause
	}
	return res
}

// GotFrom reads each judged browser's outcome from a report. The browsers
// are the report's own (its verdict object's keys), so a browser the
// engine learns to judge appears here without a change.
func GotFrom(rep *diagnose.Report) map[string]Got {
	verdicts := perBrowser[diagnose.Outcome](rep.Verdict)
	summaries := perBrowser[string](rep.Summary)
	js := perBrowser[diagnose.JSView](rep.JS)
	consoles := perBrowser[[]string](rep.Console)
	out := map[string]Got{}
	for b, v := range verdicts {
		g := Got{Verdict: v, Summary: summaries[b]}
		if v == diagnose.Blocked {
			for _, f := range rep.Findings {
				if f.Severity == diagnose.SeverityError && slices.Contains(f.ReportedBy, diagnose.Browser(b)) {
					g.Reason = f.Reason
					break
				}
			}
		} else {
			for _, h := range js[b].Readable {
				g.Exposed = append(g.Exposed, h.Name)
			}
		}
		if lines := consoles[b]; len(lines) > 0 {
			g.Console = lines[0]
		}
		out[b] = g
	}
	return out
}

// perBrowser reads a per-browser struct of the report (verdict, summary,
// js, console) as a map through its JSON form, whatever browsers it has.
func perBrowser[T any](v any) map[string]T {
	data, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out map[string]T
	if err := json.Unmarshal(data, &out); err != nil {
		return nil
	}
	return out
}

// Check compares an expectation with what the engine found. The reason
// names every browser that differs, with the engine's summary, one line
// each.
func Check(want Expect, got map[string]Got) (bool, string) {
	var problems []string
	for _, b := range orderedBrowsers(want, got) {
		w, ok := want[b]
		if !ok {
			continue
		}
		g, ok := got[b]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: the engine did not judge %s (it judged %s)", b, b, strings.Join(orderedBrowsers[Got](nil, got), ", ")))
			continue
		}
		if w.Verdict != g.Verdict {
			problems = append(problems, fmt.Sprintf("%s: want %s, got %s: %s", b, w.Verdict, describeGot(g), g.Summary))
			continue
		}
		if w.Reason != "" && w.Reason != g.Reason {
			problems = append(problems, fmt.Sprintf("%s: want blocked with %s, got %s: %s", b, w.Reason, describeGot(g), g.Summary))
			continue
		}
		var missing []string
		for _, e := range w.Exposed {
			if !slices.ContainsFunc(g.Exposed, func(h string) bool { return strings.EqualFold(h, e) }) {
				missing = append(missing, e)
			}
		}
		if len(missing) > 0 {
			readable := "none"
			if len(g.Exposed) > 0 {
				readable = strings.Join(g.Exposed, ", ")
			}
			problems = append(problems, fmt.Sprintf("%s: JavaScript cannot read %s (readable: %s)", b, strings.Join(missing, ", "), readable))
		}
	}
	return len(problems) == 0, strings.Join(problems, "\n")
}

func describeGot(g Got) string {
	if g.Reason != "" {
		return string(g.Verdict) + " (" + g.Reason + ")"
	}
	return string(g.Verdict)
}

// orderedBrowsers lists the browsers of want and got: the engine's order
// first, then any others sorted.
func orderedBrowsers[A, B any](want map[string]A, got map[string]B) []string {
	var out []string
	for _, b := range KnownBrowsers() {
		_, w := want[b]
		_, g := got[b]
		if w || g {
			out = append(out, b)
		}
	}
	var extra []string
	for b := range want {
		if !slices.Contains(out, b) && !slices.Contains(extra, b) {
			extra = append(extra, b)
		}
	}
	for b := range got {
		if !slices.Contains(out, b) && !slices.Contains(extra, b) {
			extra = append(extra, b)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}
