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
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/remedy"
)

// headerFlags collects repeatable -H values in order.
type headerFlags []diagnose.Header

func (h *headerFlags) String() string { return fmt.Sprint(len(*h)) }

func (h *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok {
		return fmt.Errorf("header %q has no colon; write it as 'Name: value'", v)
	}
	*h = append(*h, diagnose.Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	return nil
}

const checkUsage = `Usage: corsdoctor check URL --origin ORIGIN [flags]

Sends the requests a browser would send for fetch(URL) from a page on
ORIGIN, and says whether Firefox and Chromium let the page read the
response, and if not, which header breaks which rule and how to fix it.

The report starts with "Fix this first": the root cause, the layer that
refused, and the change to make for the detected server stack (--stack
picks another).

Exit status: 0 both browsers allow, 1 at least one blocks, 2 bad input.

Example:
  corsdoctor check https://api.example.com/items --origin https://app.example.com \
      -X PUT -H 'Content-Type: application/json' -H 'Authorization: Bearer x' --credentials include

Flags:
`

// Check runs `corsdoctor check`.
func Check(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		headers     headerFlags
		method      = fs.String("X", "GET", "request `method`, as the page passes it to fetch() (case matters: patch stays patch)")
		origin      = fs.String("origin", getenv("CORSDOCTOR_ORIGIN"), "the page's `origin`, e.g. https://app.example.com (env CORSDOCTOR_ORIGIN)")
		credentials = fs.String("credentials", "same-origin", "fetch() credentials `mode`: omit, same-origin or include")
		mode        = fs.String("mode", "cors", "fetch() request `mode`: cors, no-cors or same-origin")
		body        = fs.String("data", "", "request `body` (a string body, as fetch() sends it)")
		preflight   = fs.Bool("use-preflight", false, "set the use-CORS-preflight flag (an upload listener or a streamed body)")
		timeout     = fs.Duration("timeout", durationEnv(getenv, "CORSDOCTOR_TIMEOUT", diagnose.DefaultLimits.Timeout), "per-request `timeout` (env CORSDOCTOR_TIMEOUT)")
		asJSON      = fs.Bool("json", false, "print the diagnosis as JSON (schema in README)")
		noColor     = fs.Bool("no-color", false, "disable colour (also NO_COLOR)")
		noFollowups = fs.Bool("no-followups", false, "do not send extra preflights to find what a silent server refused")
		stackFlag   = fs.String("stack", "", "server `stack` to write the fix for, instead of the detected one: "+stackIDs())
	)
	fs.Var(&headers, "H", "request `header` 'Name: value' (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(stderr, checkUsage)
		fs.PrintDefaults()
	}

	// Go's flag package stops at the first positional argument; users
	// write the URL first, curl-style, so parse around it.
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
		return UsageErrorf("check needs exactly one URL, got %d", len(positional))
	}
	if looksPasted(positional[0]) {
		return UsageErrorf("the URL argument is a console error or a copied command, not a URL; pipe it to \"corsdoctor import\" (add --check to diagnose it at once)")
	}
	if *timeout <= 0 {
		return UsageErrorf("--timeout must be positive")
	}
	var stack remedy.StackID
	if *stackFlag != "" {
		id, err := remedy.ParseStackID(*stackFlag)
		if err != nil {
			return UsageErrorf("--stack: %v", err)
		}
		stack = id
	}

	req := diagnose.Request{
		URL:              positional[0],
		Origin:           *origin,
		Method:           *method,
		Headers:          headers,
		Body:             *body,
		Credentials:      diagnose.Credentials(*credentials),
		Mode:             diagnose.Mode(*mode),
		UseCORSPreflight: *preflight,
	}
	if req.Origin == "" {
		return UsageErrorf("--origin is required: the origin of the page that makes the request, e.g. https://app.example.com")
	}
	p := newProber(*timeout, *noFollowups)
	rep, err := p.Probe(ctx, req)
	if err != nil {
		return err
	}
	if stack != "" {
		// The fix for the chosen stack, from the same evidence.
		rep.RootCause = diagnose.Explain(rep, stack)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		color := !*noColor && getenv("NO_COLOR") == "" && isTerminal(stdout)
		WriteText(stdout, rep, color)
	}
	if rep.Blocked() {
		return errBlocked
	}
	return nil
}

// newProber returns the prober every CLI command probes with: the default
// limits with the --timeout given, any address allowed (the CLI runs on the
// user's own machine), follow-ups unless turned off.
func newProber(timeout time.Duration, noFollowups bool) *diagnose.Prober {
	limits := diagnose.DefaultLimits
	limits.Timeout = timeout
	return diagnose.NewProber(diagnose.ProberConfig{Limits: limits, NoFollowups: noFollowups})
}

// stackIDs lists the stack IDs --stack takes.
func stackIDs() string {
	var ids []string
	for _, s := range remedy.Stacks() {
		ids = append(ids, string(s.ID))
	}
	return strings.Join(ids, ", ")
}

func durationEnv(getenv func(string) string, key string, def time.Duration) time.Duration {
	if v := getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
