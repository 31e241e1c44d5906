// Package cli is corsdoctor's command-line face: it parses flags (with
// environment fallbacks) for the serve, check and test subcommands and maps
// outcomes to exit codes. main.go stays a thin dispatcher over it.
package cli

import (
	"errors"
	"fmt"
	"io"

	"corsdoctor/diagnose"
)

// Usage is the top-level help text.
const Usage = `corsdoctor explains why a browser blocks a cross-origin request.

Usage:
  corsdoctor <command> [arguments]

Commands:
  serve [flags]                  run the dashboard (the default command)
  check URL --origin O [flags]   diagnose one request in the terminal
  import [FILE]                  read a console error, curl, PowerShell or
                                 fetch() snippet, or devtools headers (from
                                 FILE or standard input) into a request
  har FILE [--json]              judge every cross-origin request recorded in
                                 a HAR file, offline: nothing is sent
  test FILE [flags]              run a policy file's CORS contract tests (CI)
  audit URL --origin O [flags]   CORS security audit: which crafted origins
                                 the server trusts
  help                           print this text
  version                        print the version

Run "corsdoctor <command> -h" for its flags.
`

// Exit codes of the check command; serve exits 1 on any error.
const (
	ExitAllowed = 0 // both browsers allow the request
	ExitBlocked = 1 // at least one browser blocks it (or serve failed)
	ExitUsage   = 2 // bad flags or bad input
)

// exitError carries an exit code through run's error return.
type exitError struct {
	code int
	msg  string // printed to stderr when not empty
}

func (e *exitError) Error() string { return e.msg }

// UsageErrorf reports a usage mistake (exit status 2).
func UsageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, msg: fmt.Sprintf(format, args...)}
}

// errBlocked is returned by check when a browser blocks the request; the
// report has already been printed, so it carries no message.
var errBlocked = &exitError{code: ExitBlocked}

// ExitCode prints err (when it has something to say) and returns the
// process exit status for it.
func ExitCode(err error, stderr io.Writer) int {
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "corsdoctor: %s\n", ee.msg)
		}
		return ee.code
	}
	if ies := diagnose.InputErrors(err); len(ies) > 0 {
		// One line per field, so every mistake shows at once.
		for _, ie := range ies {
			fmt.Fprintf(stderr, "corsdoctor: %v\n", ie)
		}
		return ExitUsage
	}
	fmt.Fprintf(stderr, "corsdoctor: %v\n", err)
	return ExitBlocked
}

// VersionString names the build.
func VersionString() string { return "corsdoctor " + diagnose.Version }
