package contract

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"corsdoctor/termsafe"
)

// WriteTable prints one row per case (result, name, each browser's
// outcome), then each failure with its file:line and the engine's words,
// then the changes since an earlier run, then a one-line total. Values
// from the file or the server go through termsafe.
func WriteTable(w io.Writer, run *Run) error {
	browsers := runBrowsers(run)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"RESULT", "CASE"}
	for _, b := range browsers {
		head = append(head, strings.ToUpper(b))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range run.Cases {
		status := "pass"
		if run.Recorded {
			status = "rec"
		} else if !r.Passed {
			status = "FAIL"
		}
		row := []string{status, termsafe.String(r.Name)}
		for _, b := range browsers {
			cell := "-"
			if g, ok := r.Got[b]; ok {
				cell = describeGot(g)
			} else if r.Error != "" {
				cell = "not probed"
			}
			row = append(row, termsafe.String(cell))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if run.Failed > 0 {
		fmt.Fprintln(w, "\nFailures:")
		for _, r := range run.Cases {
			if !r.Passed {
				fmt.Fprintf(w, "  %s:%d: %s\n", termsafe.String(run.File), r.Line, termsafe.String(r.Name))
				for _, line := range strings.Split(r.Reason, "\n") {
					fmt.Fprintf(w, "    %s\n", termsafe.String(line))
				}
			}
		}
	}
	if len(run.Changes) > 0 {
		fmt.Fprintln(w, "\nChanged since the earlier run:")
		for _, c := range run.Changes {
			fmt.Fprintf(w, "  %s: %s\n", termsafe.String(c.Case), termsafe.String(c.Why))
		}
	}
	if run.Recorded {
		_, err := fmt.Fprintf(w, "\n%d recorded (%s) in %s\n", len(run.Cases), termsafe.String(run.File),
			time.Duration(run.DurationMS*float64(time.Millisecond)).Round(time.Millisecond))
		return err
	}
	cases := "cases"
	if len(run.Cases) == 1 {
		cases = "case"
	}
	_, err := fmt.Fprintf(w, "\n%d passed, %d failed, %d %s (%s) in %s\n", run.Passed, run.Failed, len(run.Cases), cases,
		termsafe.String(run.File), time.Duration(run.DurationMS*float64(time.Millisecond)).Round(time.Millisecond))
	return err
}

// runBrowsers lists every browser that appears in the run.
func runBrowsers(run *Run) []string {
	all := map[string]bool{}
	for _, r := range run.Cases {
		for b := range r.Got {
			all[b] = true
		}
		for b := range r.Expect {
			all[b] = true
		}
	}
	return orderedBrowsers[bool, bool](all, nil)
}

// WriteJSON writes the run as indented JSON (the --json schema).
func WriteJSON(w io.Writer, run *Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

// ReadJSON reads a run written by WriteJSON (for Diff).
func ReadJSON(r io.Reader) (*Run, error) {
	var run Run
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	if err := dec.Decode(&run); err != nil {
		return nil, err
	}
	if run.Engine == "" || run.Cases == nil {
		return nil, fmt.Errorf("not the JSON of a corsdoctor test run (no engine or cases)")
	}
	return &run, nil
}

type junitSuites struct {
	XMLName  xml.Name   `xml:"testsuites"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Time     string     `xml:"time,attr"`
	Suites   []junitSet `xml:"testsuite"`
}

type junitSet struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the run as JUnit XML: one testsuite for the file, one
// testcase per case, a failure (type "cors", or "not-probed" when the
// engine could not probe it) with the engine's words, and each browser's
// summary as system-out.
func WriteJUnit(w io.Writer, run *Run) error {
	secs := func(ms float64) string { return fmt.Sprintf("%.3f", ms/1000) }
	set := junitSet{Name: run.File, Tests: len(run.Cases), Failures: run.Failed, Time: secs(run.DurationMS), Timestamp: run.RanAt.Format("2006-01-02T15:04:05")}
	for _, r := range run.Cases {
		jc := junitCase{Name: r.Name, Classname: run.File, File: run.File, Line: r.Line, Time: secs(r.DurationMS)}
		var out []string
		for _, b := range orderedBrowsers[Got](nil, r.Got) {
			g := r.Got[b]
			out = append(out, fmt.Sprintf("%s: %s: %s", b, describeGot(g), g.Summary))
			if g.Console != "" {
				out = append(out, "  console: "+g.Console)
			}
		}
		jc.SystemOut = strings.Join(out, "\n")
		if !r.Passed {
			typ := "cors"
			if r.Error != "" {
				typ = "not-probed"
			}
			text := fmt.Sprintf("%s %s from %s\n%s", r.Method, r.URL, r.Origin, r.Reason)
			jc.Failure = &junitFailure{Message: r.Reason, Type: typ, Text: text}
		}
		set.Cases = append(set.Cases, jc)
	}
	doc := junitSuites{Name: "corsdoctor test", Tests: len(run.Cases), Failures: run.Failed, Time: set.Time, Suites: []junitSet{set}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
