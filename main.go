// Command corsdoctor explains why a browser blocks a cross-origin request.
//
//	corsdoctor [serve] [flags]      run the dashboard (the default)
//	corsdoctor check URL [flags]    diagnose one request from the terminal
//	corsdoctor test FILE [flags]    run a policy file's CORS contract tests
//	corsdoctor audit URL [flags]    CORS security audit with crafted origins
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
	case "help":
		fmt.Fprint(stdout, cli.Usage)
		return nil
	case "version":
		fmt.Fprintln(stdout, cli.VersionString())
		return nil
	}
	return cli.UsageErrorf("unknown command %q (want serve, check, test, audit, help or version)", sub)
}
