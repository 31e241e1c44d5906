package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"corsdoctor/audit"
	"corsdoctor/diagnose"
	"corsdoctor/remedy"
)

const auditUsage = `Usage: corsdoctor audit URL --origin ORIGIN [flags]

A CORS security audit of URL, for a server meant to trust ORIGIN. It sends
simple GETs and preflights (at most %d requests, %d at a time, never
anything but GET and OPTIONS) with crafted Origin values, and reports every
origin the server trusts that it should not: any origin reflected, null,
suffix or prefix matches, an unescaped dot, any subdomain, http:// origins,
special characters in the host, and a reflected Access-Control-Allow-Origin
without Vary: Origin. Severity is raised when credentials are allowed. A
plain "Access-Control-Allow-Origin: *" without credentials is a valid
choice for a public API and is not a finding.

Exit status: 0 no finding of medium severity or worse, 1 at least one,
2 bad input.

Example:
  corsdoctor audit https://api.example.com/me --origin https://app.example.com

Flags:
`

// errFindings is returned by audit when a finding is medium or worse.
var errFindings = &exitError{code: ExitBlocked}

// Audit runs `corsdoctor audit`.
func Audit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		origin    = fs.String("origin", getenv("CORSDOCTOR_ORIGIN"), "the `origin` the server is meant to trust, e.g. https://app.example.com (env CORSDOCTOR_ORIGIN)")
		timeout   = fs.Duration("timeout", durationEnv(getenv, "CORSDOCTOR_TIMEOUT", diagnose.DefaultLimits.Timeout), "per-request `timeout` (env CORSDOCTOR_TIMEOUT)")
		asJSON    = fs.Bool("json", false, "print the audit as JSON (schema in README)")
		noColor   = fs.Bool("no-color", false, "disable colour (also NO_COLOR)")
		stackFlag = fs.String("stack", "", "server `stack` to write the fix for, instead of the detected one: "+stackIDs())
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, auditUsage, audit.MaxRequests, audit.DefaultConcurrency)
		fs.PrintDefaults()
	}
	var positional []string
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
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fs.Usage()
		return UsageErrorf("audit needs exactly one URL, got %d", len(positional))
	}
	if *timeout <= 0 {
		return UsageErrorf("--timeout must be positive")
	}
	if *origin == "" {
		return UsageErrorf("--origin is required: the origin the server is meant to trust, e.g. https://app.example.com")
	}
	var stack remedy.StackID
	if *stackFlag != "" {
		id, err := remedy.ParseStackID(*stackFlag)
		if err != nil {
			return UsageErrorf("--stack: %v", err)
		}
		stack = id
	}
	rep, err := audit.New(audit.Config{Timeout: *timeout}).Audit(ctx, audit.Request{URL: positional[0], Origin: *origin, Stack: stack})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		WriteAuditText(stdout, rep, !*noColor && getenv("NO_COLOR") == "" && isTerminal(stdout))
	}
	if rep.Failed() {
		return errFindings
	}
	return nil
}

// WriteAuditText prints an audit for people: each finding with the origin
// sent, the response, the risk and the fix, then the notes, then the fix
// for the stack. Everything from the target goes through printer.
func WriteAuditText(w io.Writer, r *audit.Report, color bool) {
	p := printer{w}
	c := newPalette(color)
	p.printf("%sCORS security audit%s of %s, for pages on %s\n", c.bold, c.reset, r.URL, r.Origin)
	p.printf("%d requests sent with crafted origins.\n\n", r.Requests)
	if len(r.Findings) == 0 {
		p.printf("%sNo finding:%s the server trusts none of the crafted origins.\n", c.green, c.reset)
	}
	for i, f := range r.Findings {
		col := c.yellow
		if f.Severity.AtLeast(audit.Medium) {
			col = c.red
		}
		p.printf("%d. %s%s%s [%s] %s\n", i+1, col, strings.ToUpper(string(f.Severity)), c.reset, f.Reason, f.Title)
		p.printf("   Origin sent: %s\n", f.OriginSent)
		p.printf("   Response:    %s\n", f.Evidence.Summary)
		if len(f.Also) > 0 {
			p.printf("   Also trusted: %s\n", strings.Join(f.Also, ", "))
		}
		p.printf("   Risk: %s\n", f.Risk)
		p.printf("   Fix:  %s\n\n", f.Fix)
	}
	for _, n := range r.Notes {
		p.printf("%sNote:%s %s\n", c.dim, c.reset, n)
	}
	if len(r.Findings) == 0 || r.Fix == nil {
		return
	}
	verified := ""
	if !r.Stack.Verified {
		verified = " (unverified)"
	}
	p.printf("\n%sThe fix for %s%s%s (confidence %s): list the trusted origins exactly.\n", c.bold, r.Stack.Name, verified, c.reset, r.Stack.Confidence)
	for _, s := range r.Fix.Steps {
		p.printf("  - %s\n", s)
	}
	for _, n := range r.Fix.Notes {
		p.printf("  Note: %s\n", n)
	}
	for _, line := range strings.Split(strings.TrimRight(r.Fix.Snippet.Code, "\n"), "\n") {
		p.printf("    %s\n", line)
	}
}
