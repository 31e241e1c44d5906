// Command loadtest drives a real corsdoctor dashboard with many concurrent
// clients and reports what the abuse limits do under load: requests and
// latency per route, answers by status (503 "busy" from --max-probes and
// 429 from the rate limit counted apart), peak memory, and goroutines
// before and after, so a leak shows.
//
//	go run ./loadtest                      # 200 clients for 20 s
//	go run ./loadtest -clients 20 -duration 3s
//
// It is its own package main, outside the corsdoctor binary, because it is
// a measuring tool, not part of the product: it assembles the dashboard
// itself (web.NewServer, a SQLite store in a temporary directory, the real
// prober) so that it can measure from inside the process (VmHWM, heap,
// runtime.NumGoroutine) and start and stop its own targets, and users who
// install corsdoctor get no load generator.
//
// Every connection it makes goes to 127.0.0.1: the dashboard, the CORS
// target and the target that never answers all listen there on ephemeral
// ports, and the prober is only given URLs of those targets. Every loop
// stops by itself, after -duration or -max-requests, whichever comes first.
//
// Exit status: 0 when the run is clean; 1 when any answer was a 5xx other
// than 503 "busy", any request failed at the transport, any answer was
// an unexpected status, the dashboard logged a warning or an error, or
// goroutines were left over after shutdown; 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"corsdoctor/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := runMain(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain parses flags, runs the load test, prints the report and returns
// the exit status.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 2
	}
	res, err := run(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	res.print(stdout)
	if fails := res.failures(); len(fails) > 0 {
		for _, f := range fails {
			fmt.Fprintf(stderr, "loadtest: FAIL: %s\n", f)
		}
		return 1
	}
	return 0
}

// config is the shape of one run.
type config struct {
	clients         int           // concurrent clients
	duration        time.Duration // how long clients start new iterations
	maxRequests     int64         // bound on requests, all clients together
	hangPercent     int           // share of diagnoses aimed at the never-answering target
	maxProbes       int           // the dashboard's --max-probes
	queueTimeout    time.Duration // how long a diagnosis waits for a probe slot
	exchangeTimeout time.Duration // the prober's bound on one exchange
	probeTimeout    time.Duration // the dashboard's --probe-timeout
	ratePerMinute   int           // the dashboard's --rate-limit
	leakWait        time.Duration // how long goroutines may take to wind down
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.clients, "clients", 200, "concurrent clients")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long the clients keep starting requests")
	fs.Int64Var(&cfg.maxRequests, "max-requests", 1_000_000, "stop after this many requests in all")
	fs.IntVar(&cfg.hangPercent, "hang-percent", 10, "percentage of diagnoses aimed at a target that accepts connections and never answers")
	fs.IntVar(&cfg.maxProbes, "max-probes", web.DefaultMaxProbes, "the dashboard's --max-probes")
	fs.DurationVar(&cfg.queueTimeout, "queue-timeout", web.DefaultProbeQueueTimeout, "how long a diagnosis waits for a probe slot before 503")
	fs.DurationVar(&cfg.exchangeTimeout, "exchange-timeout", time.Second, "the prober's per-exchange timeout (what a never-answering target costs)")
	fs.DurationVar(&cfg.probeTimeout, "probe-timeout", 10*time.Second, "the dashboard's --probe-timeout")
	fs.IntVar(&cfg.ratePerMinute, "rate-limit", 10_000_000, "the dashboard's --rate-limit per client IP and minute (every client is 127.0.0.1); generous so that it does not throttle the run")
	fs.DurationVar(&cfg.leakWait, "leak-wait", 10*time.Second, "how long goroutines may take to wind down after shutdown")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./loadtest [flags]\n\nDrives an in-process corsdoctor dashboard on 127.0.0.1 with concurrent clients.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return config{}, err
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case cfg.clients < 1 || cfg.clients > 10_000:
		return config{}, errors.New("-clients must be between 1 and 10000")
	case cfg.duration <= 0 || cfg.duration > time.Hour:
		return config{}, errors.New("-duration must be positive and at most 1h")
	case cfg.maxRequests < 1:
		return config{}, errors.New("-max-requests must be positive")
	case cfg.hangPercent < 0 || cfg.hangPercent > 100:
		return config{}, errors.New("-hang-percent must be between 0 and 100")
	case cfg.maxProbes < 1:
		return config{}, errors.New("-max-probes must be at least 1")
	case cfg.queueTimeout <= 0 || cfg.exchangeTimeout <= 0 || cfg.probeTimeout <= 0 || cfg.leakWait <= 0:
		return config{}, errors.New("timeouts must be positive")
	case cfg.ratePerMinute < 0:
		return config{}, errors.New("-rate-limit must not be negative")
	}
	return cfg, nil
}
