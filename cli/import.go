package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"corsdoctor/importer"
	"corsdoctor/termsafe"
)

const importUsage = `Usage: corsdoctor import [FILE] [flags]

Reads what you have in hand when a cross-origin request fails, from FILE
or standard input: a browser console error (Chromium, Firefox, Safari;
several lines at once are fine), a devtools "Copy as cURL" (bash or cmd),
"Copy as PowerShell" or "Copy as fetch" snippet, or request headers copied
from devtools. It prints the request it describes, what the paste does not
say, the headers it left out (the browser sets them itself), and the
corsdoctor check command to run. Nothing pasted is executed.

With --check it runs that diagnosis at once (flags as for check).

Exit status: 0 read (with --check: as check), 2 unreadable input.

Examples:
  pbpaste | corsdoctor import
  corsdoctor import console.txt --origin http://localhost:3000 --check

Flags:
`

// Import runs `corsdoctor import`.
func Import(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		asJSON  = fs.Bool("json", false, "print what was read as JSON (the API's schema); with --check, the diagnosis as JSON")
		run     = fs.Bool("check", false, "diagnose the request at once, as corsdoctor check")
		origin  = fs.String("origin", "", "the page's `origin`, when the paste does not say it (Firefox's console line does not)")
		noColor = fs.Bool("no-color", false, "with --check: disable colour (also NO_COLOR)")
	)
	fs.Usage = func() {
		fmt.Fprint(stderr, importUsage)
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
	if len(positional) > 1 {
		fs.Usage()
		return UsageErrorf("import reads one file, got %d", len(positional))
	}
	in := stdin
	if len(positional) == 1 && positional[0] != "-" {
		f, err := os.Open(positional[0])
		if err != nil {
			return UsageErrorf("%v", err)
		}
		defer f.Close()
		in = f
	}
	b, err := io.ReadAll(io.LimitReader(in, importer.MaxInput+1))
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	res, err := importer.Parse(string(b))
	if err != nil {
		var ie *importer.Error
		if errors.As(err, &ie) {
			return UsageErrorf("%s", termsafe.String(err.Error()))
		}
		return err
	}
	if *origin != "" {
		res.Request.Origin = *origin
		kept := res.Missing[:0]
		for _, m := range res.Missing {
			if m.Field != "origin" {
				kept = append(kept, m)
			}
		}
		res.Missing = kept
	}
	checkArgs := checkCommand(res)
	if *run {
		if *asJSON {
			checkArgs = append(checkArgs, "--json")
		}
		if *noColor {
			checkArgs = append(checkArgs, "--no-color")
		}
		return Check(ctx, checkArgs, getenv, stdin, stdout, stderr)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	writeImport(stdout, res, checkArgs)
	return nil
}

// checkCommand is the check command line for what was read.
func checkCommand(res *importer.Result) []string {
	r := res.Request
	args := []string{r.URL}
	if r.Origin != "" {
		args = append(args, "--origin", r.Origin)
	}
	if r.Method != "" && r.Method != "GET" {
		args = append(args, "-X", r.Method)
	}
	for _, h := range r.Headers {
		args = append(args, "-H", h.Name+": "+h.Value)
	}
	if r.Credentials != "" && r.Credentials != "same-origin" {
		args = append(args, "--credentials", string(r.Credentials))
	}
	if r.Mode != "" && r.Mode != "cors" {
		args = append(args, "--mode", string(r.Mode))
	}
	if r.Body != "" {
		args = append(args, "--data", r.Body)
	}
	return args
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func writeImport(w io.Writer, res *importer.Result, checkArgs []string) {
	r := res.Request
	p := func(format string, args ...any) {
		for i, a := range args {
			if s, ok := a.(string); ok {
				args[i] = termsafe.String(s)
			}
		}
		fmt.Fprintf(w, format, args...)
	}
	p("Read from: %s\n", string(res.Source))
	if res.Reason != "" {
		p("Reason:    %s: %s\n", res.Reason, res.ReasonText)
	}
	p("\nRequest\n")
	field := func(name, v string) {
		if v != "" {
			p("  %-12s %s\n", name, v)
		}
	}
	field("url", r.URL)
	field("origin", r.Origin)
	field("method", r.Method)
	for _, h := range r.Headers {
		field("header", h.Name+": "+h.Value)
	}
	field("credentials", string(r.Credentials))
	field("mode", string(r.Mode))
	if r.Body != "" {
		field("body", fmt.Sprintf("%d bytes", len(r.Body)))
	}
	if len(res.Missing) > 0 {
		p("\nNot in the paste\n")
		for _, m := range res.Missing {
			p("  %-12s %s\n", m.Field, m.Why)
		}
	}
	if len(res.Dropped) > 0 {
		p("\nLeft out\n")
		for _, d := range res.Dropped {
			p("  %-12s %s\n", d.Name, d.Why)
		}
	}
	for i, n := range res.Notes {
		if i == 0 {
			p("\nNotes\n")
		}
		p("  %s\n", n)
	}
	var q []string
	for _, a := range checkArgs {
		q = append(q, shellQuote(a))
	}
	p("\nRun\n  corsdoctor check %s\n", strings.Join(q, " "))
	if hasMissingField(res, "origin") {
		p("  (add --origin: the paste does not say which page made the request)\n")
	}
}

func hasMissingField(res *importer.Result, field string) bool {
	for _, m := range res.Missing {
		if m.Field == field {
			return true
		}
	}
	return false
}

// looksPasted reports whether check's URL argument is something import
// reads (a console line, a command) rather than a URL: Go's URL parser
// would only say "first path segment in URL cannot contain colon".
func looksPasted(arg string) bool {
	if !strings.ContainsAny(arg, " \n") {
		return false
	}
	res, err := importer.Parse(arg)
	return err == nil && res.Source != importer.SourceDevtools
}
