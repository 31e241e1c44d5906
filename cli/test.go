package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"corsdoctor/contract"
	"corsdoctor/diagnose"
)

const testUsage = `Usage: corsdoctor test FILE [flags]

Runs the CORS contract tests of a policy file (YAML; schema in README,
"Contract tests"): every case is one fetch() probed as "corsdoctor check"
probes it, and passes when each browser does what the case expects
(allowed or blocked, and optionally the reason and the headers JavaScript
can read). FILE "-" reads standard input.

Prints a table (or JSON with --json). --record writes a policy file of
today's behaviour instead of checking; --diff compares this run with an
earlier --json run and says which case changed and why.

Exit status: 0 every case passes, 1 a case fails, 2 a bad file or flags
(the message names the line).

Examples:
  corsdoctor test cors.yaml --junit cors-junit.xml
  corsdoctor test cors.yaml --record cors.recorded.yaml
  corsdoctor test cors.yaml --json > now.json
  corsdoctor test cors.yaml --diff last.json

Flags:
`

// Test runs `corsdoctor test`.
func Test(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		asJSON      = fs.Bool("json", false, "print the results as JSON (schema in README) instead of the table")
		junit       = fs.String("junit", "", "also write JUnit XML to `file`")
		record      = fs.String("record", "", "write a policy file of today's behaviour to `file` (expect: is then optional and not checked)")
		diffWith    = fs.String("diff", "", "compare with an earlier run's --json `file` and print what changed")
		parallel    = fs.Int("parallel", contract.DefaultParallel, "cases probed at once")
		timeout     = fs.Duration("timeout", durationEnv(getenv, "CORSDOCTOR_TIMEOUT", diagnose.DefaultLimits.Timeout), "per-request `timeout` (env CORSDOCTOR_TIMEOUT)")
		noFollowups = fs.Bool("no-followups", false, "do not send extra preflights to find what a silent server refused")
	)
	fs.Usage = func() {
		fmt.Fprint(stderr, testUsage)
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
		return UsageErrorf("test needs exactly one policy file, got %d", len(positional))
	}
	if *timeout <= 0 {
		return UsageErrorf("--timeout must be positive")
	}
	if *parallel < 1 || *parallel > 64 {
		return UsageErrorf("--parallel must be between 1 and 64, got %d", *parallel)
	}
	if *record != "" && *diffWith != "" {
		return UsageErrorf("--record and --diff do not go together: record first, then compare later runs")
	}

	file := positional[0]
	data, err := readPolicy(file, stdin)
	if err != nil {
		return UsageErrorf("%v", err)
	}
	name := file
	if file == "-" {
		name = "<stdin>"
	}
	pol, err := contract.Parse(name, data, contract.Options{NoExpect: *record != ""})
	if err != nil {
		var msg string
		for i, pe := range contract.ParseErrors(err) {
			if i > 0 {
				msg += "\ncorsdoctor: "
			}
			msg += pe.Error()
		}
		return &exitError{code: ExitUsage, msg: msg}
	}
	var old *contract.Run
	if *diffWith != "" {
		f, err := os.Open(*diffWith)
		if err != nil {
			return UsageErrorf("--diff: %v", err)
		}
		old, err = contract.ReadJSON(f)
		f.Close()
		if err != nil {
			return UsageErrorf("--diff %s: %v", *diffWith, err)
		}
	}

	run, err := contract.Execute(ctx, newProber(*timeout, *noFollowups), pol, *parallel)
	if err != nil {
		return err
	}

	if *record != "" {
		out, skipped, err := contract.Record(run)
		for _, s := range skipped {
			fmt.Fprintf(stderr, "corsdoctor: not recorded (the engine could not probe it): %s\n", s)
		}
		if err != nil {
			return fmt.Errorf("record: %w", err)
		}
		if err := writeFileAtomic(*record, out); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		fmt.Fprintf(stderr, "corsdoctor: recorded %d cases to %s\n", len(run.Cases)-len(skipped), *record)
		if len(skipped) > 0 {
			return &exitError{code: ExitBlocked}
		}
		// Recording checks nothing: the table shows what was recorded.
		for i := range run.Cases {
			run.Cases[i].Passed, run.Cases[i].Reason = true, ""
		}
		run.Passed, run.Failed, run.Recorded = len(run.Cases), 0, true
	}
	if old != nil {
		run.Changes = contract.Diff(old, run)
	}
	if *junit != "" {
		f, err := os.Create(*junit)
		if err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
		err = contract.WriteJUnit(f, run)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	if *asJSON {
		err = contract.WriteJSON(stdout, run)
	} else {
		err = contract.WriteTable(stdout, run)
	}
	if err != nil {
		return err
	}
	if !run.OK() {
		return errBlocked
	}
	return nil
}

// readPolicy reads the policy file, or standard input for "-", refusing
// more than contract.MaxFileBytes.
func readPolicy(file string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, contract.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(data) > contract.MaxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, contract.MaxFileBytes)
	}
	return data, nil
}

// writeFileAtomic writes data to a temporary file beside name and renames
// it, so an interrupted recording never leaves half a policy file.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
}
