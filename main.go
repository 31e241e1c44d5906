// Command corsdoctor explains why a browser blocks a cross-origin request.
//
//	corsdoctor [serve] [flags]      run the dashboard (the default)
//	corsdoctor check URL [flags]    diagnose one request from the terminal
//	corsdoctor test FILE [flags]    run a policy file's CORS contract tests
//	corsdoctor audit URL [flags]    CORS security audit with crafted origins
//	corsdoctor import [FILE]        read a console error, curl or fetch() into a request
//	corsdoctor har FILE [--json]    judge the cross-origin requests of a HAR, sending nothing
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"corsdoctor/cli"
)

func main() {
	err := run(context.Background(), os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		os.Exit(cli.ExitCode(err, os.Stderr))
	}
}

// run dispatches to a subcommand. It owns nothing itself so tests can drive
// the whole program in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	sub := "serve"
	rest := args[1:]
	if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "-help" || rest[0] == "--help") {
		// The program's help, not serve's: it lists the commands.
		sub, rest = "help", rest[1:]
	}
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		sub, rest = rest[0], rest[1:]
	}
	switch sub {
	case "serve":
		return cli.Serve(ctx, rest, getenv, stdout, stderr)
	case "check":
		return cli.Check(ctx, rest, getenv, stdin, stdout, stderr)
	case "test":
		return cli.Test(ctx, rest, getenv, stdin, stdout, stderr)
	case "audit":
		return cli.Audit(ctx, rest, getenv, stdout, stderr)
	case "import":
		return cli.Import(ctx, rest, getenv, stdin, stdout, stderr)
	case "har":
		return cli.Har(ctx, rest, getenv, stdin, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, cli.Usage)
		return nil
	case "version":
		fmt.Fprintln(stdout, cli.VersionString())
		return nil
	}
	return cli.UsageErrorf("unknown command %q (run \"corsdoctor help\" for the list)", sub)
}
