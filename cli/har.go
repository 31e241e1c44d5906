package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"corsdoctor/diagnose"
	"corsdoctor/harimport"
)

const harUsage = `Usage: corsdoctor har FILE [--json] [--no-color]

Judges every cross-origin request recorded in FILE, a HAR exported from
the Network panel of Chromium, Firefox or Safari ("-" reads standard
input), from the recorded exchanges: it sends nothing, so it works for
endpoints on private networks and behind real logins. Each fetch (its
preflight, the request and every redirect hop) gets a verdict; same-origin
requests, cache hits and fetches whose preflight the browser did not
record are listed as skipped, with the reason. The values of Cookie,
Set-Cookie, Authorization and Proxy-Authorization are redacted as the
file is read.

Exit status: 0 no fetch is blocked, 1 at least one is, 2 bad input (no
file, or not a HAR).

Flags:
`

// harResult is one fetch in `corsdoctor har --json`.
type harResult struct {
	// Entries are the fetch's positions in log.entries, from 0.
	Entries     []int            `json:"entries"`
	Method      string           `json:"method"`
	URL         string           `json:"url"`
	Origin      string           `json:"origin"`
	OriginFrom  string           `json:"origin_inferred_from,omitempty"`
	Credentials string           `json:"credentials_inferred,omitempty"`
	Status      string           `json:"status"` // allowed, blocked, skipped
	Skip        string           `json:"skip_reason,omitempty"`
	Report      *diagnose.Report `json:"report,omitempty"`
}

// Har runs `corsdoctor har`.
func Har(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("har", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the summary and every fetch's diagnosis as JSON")
	noColor := fs.Bool("no-color", false, "disable colour (also NO_COLOR)")
	fs.Usage = func() {
		fmt.Fprint(stderr, harUsage)
		fs.PrintDefaults()
	}
	// FILE may come before the flags, as with check.
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return &exitError{code: ExitUsage}
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		return UsageErrorf("har takes one FILE (a .har, or - for standard input); run corsdoctor har -h")
	}
	in := stdin
	if files[0] != "-" {
		f, err := os.Open(files[0])
		if err != nil {
			return UsageErrorf("%v", err)
		}
		defer f.Close()
		in = f
	}

	color := !*noColor && getenv("NO_COLOR") == "" && isTerminal(stdout)
	var (
		sum     harimport.Summary
		err     error
		encoder *json.Encoder
		first   = true
	)
	if *asJSON {
		// Streamed, one fetch at a time: a HAR of thousands of fetches
		// is never held whole.
		encoder = json.NewEncoder(stdout)
		io.WriteString(stdout, `{"results":[`)
		sum, err = harimport.Each(in, harimport.DefaultLimits, func(res harimport.Result) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !first {
				io.WriteString(stdout, ",")
			}
			first = false
			return encoder.Encode(newHARResult(res))
		})
	} else {
		p := printer{w: stdout}
		c := newPalette(color)
		sum, err = harimport.Each(in, harimport.DefaultLimits, func(res harimport.Result) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			writeHARResult(p, c, res)
			return nil
		})
		if err == nil {
			writeHARSummary(p, c, sum)
		}
	}
	var fe *harimport.FormatError
	if errors.As(err, &fe) {
		return UsageErrorf("%s: %s", files[0], fe.Message)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		io.WriteString(stdout, `],"summary":`)
		if err := encoder.Encode(sum); err != nil {
			return err
		}
		io.WriteString(stdout, "}\n")
	}
	if sum.Blocked > 0 {
		return errBlocked
	}
	return nil
}

func newHARResult(res harimport.Result) harResult {
	out := harResult{Entries: res.Entries, Method: res.Method, URL: res.URL, Origin: res.Origin,
		OriginFrom: res.OriginFrom, Status: "skipped", Skip: res.Skip}
	if rep := res.Report; rep != nil {
		diagnose.Redact(rep, nil)
		out.Report, out.Credentials, out.Status = rep, res.CredentialsFrom, "allowed"
		if rep.Blocked() {
			out.Status = "blocked"
		}
	}
	return out
}

// writeHARResult prints one fetch: its entries and request, then the
// verdict and the error each browser prints, or why it was skipped.
func writeHARResult(p printer, c palette, res harimport.Result) {
	var nums []string
	for _, e := range res.Entries {
		nums = append(nums, "#"+strconv.Itoa(e+1))
	}
	p.printf("%s%s%s %s %s\n", c.bold, strings.Join(nums, ","), c.reset, res.Method, res.URL)
	if res.Origin != "" {
		if res.OriginFrom != "" {
			p.printf("    from %s (inferred from %s: the recording has no Origin header)\n", res.Origin, res.OriginFrom)
		} else {
			p.printf("    from %s\n", res.Origin)
		}
	}
	rep := res.Report
	if rep == nil {
		p.printf("    %sskipped%s: %s\n\n", c.dim, c.reset, res.Skip)
		return
	}
	var steps []string
	for _, ex := range res.Exchanges {
		steps = append(steps, ex.Step.String())
	}
	p.printf("    %s\n", strings.Join(steps, " → "))
	if !rep.Blocked() {
		p.printf("    %sallowed%s by Firefox and Chromium\n\n", c.green, c.reset)
		return
	}
	p.printf("    %sblocked%s: Firefox %s, Chromium %s\n", c.red, c.reset, rep.Verdict.Firefox, rep.Verdict.Chromium)
	for _, f := range rep.Findings {
		if f.Severity != diagnose.SeverityError || f.Role == "fails-next" {
			continue
		}
		p.printf("    %s: %s\n", f.Reason, f.Title)
		if f.Console.Chromium != "" {
			p.printf("      Chromium: %s\n", f.Console.Chromium)
		}
		if f.Console.Firefox != "" {
			p.printf("      Firefox: %s\n", f.Console.Firefox)
		}
	}
	if rc := rep.RootCause; rc != nil {
		p.printf("    Fix this first: %s\n", rc.Summary)
	}
	p.printf("\n")
}

func writeHARSummary(p printer, c palette, sum harimport.Summary) {
	format := "a HAR"
	if sum.Browser != "" {
		format = "a " + strings.ToUpper(sum.Browser[:1]) + sum.Browser[1:] + " HAR"
	}
	if sum.Creator != "" {
		format += " written by " + sum.Creator
	}
	p.printf("%sJudged from a recording (%s): corsdoctor sent nothing.%s\n", c.bold, format, c.reset)
	p.printf("%d entries: %d cross-origin fetches judged (%d blocked), %d skipped, %d not CORS requests.\n",
		sum.Entries, sum.Judged, sum.Blocked, sum.Skipped, sum.NotCORS)
}
