package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"corsdoctor/audit"
	"corsdoctor/diagnose"
	"corsdoctor/handlers"
	"corsdoctor/store"
	"corsdoctor/targetpolicy"
	"corsdoctor/termsafe"
	"corsdoctor/web"
)

const serveUsage = `Usage: corsdoctor [serve] [flags]

Runs the dashboard: a form to describe a fetch(), results pages at
permanent share links, and a JSON API (POST /api/v1/diagnoses).

Flags (each also read from the environment variable shown):
`

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// daysDuration is a time.Duration flag that also accepts whole days ("30d").
type daysDuration struct{ d *time.Duration }

func (f daysDuration) String() string {
	if f.d == nil {
		return ""
	}
	if *f.d%(24*time.Hour) == 0 && *f.d > 0 {
		return strconv.Itoa(int(*f.d/(24*time.Hour))) + "d"
	}
	return f.d.String()
}

func (f daysDuration) Set(v string) error {
	d, err := parseDays(v)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf("%q is not a number of days", v)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", v)
	}
	return d, nil
}

// serveConfig is everything serve reads from flags and the environment.
type serveConfig struct {
	addr          string
	db            string
	retention     time.Duration
	logFormat     string
	logLevel      string
	baseURL       string
	ratePerMinute int
	maxProbes     int
	perClient     int
	probeTimeout  time.Duration
	allowPrivate  *bool // nil: decide from the listen address
	allow, deny   []string
	proxies       []netip.Prefix
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (*serveConfig, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	cfg := &serveConfig{retention: 30 * 24 * time.Hour, probeTimeout: handlers.DefaultSettings.ProbeTimeout}
	if v := getenv("CORSDOCTOR_RETENTION"); v != "" {
		d, err := parseDays(v)
		if err != nil {
			return nil, UsageErrorf("CORSDOCTOR_RETENTION: %v", err)
		}
		cfg.retention = d
	}
	rate, err := strconv.Atoi(env("CORSDOCTOR_RATE_LIMIT", "30"))
	if err != nil {
		return nil, UsageErrorf("CORSDOCTOR_RATE_LIMIT must be a whole number")
	}
	maxProbes, err := strconv.Atoi(env("CORSDOCTOR_MAX_PROBES", strconv.Itoa(web.DefaultMaxProbes)))
	if err != nil {
		return nil, UsageErrorf("CORSDOCTOR_MAX_PROBES must be a whole number")
	}
	perClient, err := strconv.Atoi(env("CORSDOCTOR_MAX_PROBES_PER_CLIENT", strconv.Itoa(web.DefaultMaxProbesPerClient)))
	if err != nil {
		return nil, UsageErrorf("CORSDOCTOR_MAX_PROBES_PER_CLIENT must be a whole number")
	}

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", env("CORSDOCTOR_ADDR", "127.0.0.1:8080"), "listen `address` (env CORSDOCTOR_ADDR)")
	fs.StringVar(&cfg.db, "db", env("CORSDOCTOR_DB", "corsdoctor.db"), "SQLite database `file`, created if missing (env CORSDOCTOR_DB)")
	fs.Var(daysDuration{&cfg.retention}, "retention", "delete diagnoses older than this `duration`, e.g. 30d or 12h (env CORSDOCTOR_RETENTION)")
	fs.StringVar(&cfg.logFormat, "log-format", env("CORSDOCTOR_LOG_FORMAT", "text"), "log `format`: text or json (env CORSDOCTOR_LOG_FORMAT)")
	fs.StringVar(&cfg.logLevel, "log-level", env("CORSDOCTOR_LOG_LEVEL", "info"), "log `level`: debug, info, warn or error (env CORSDOCTOR_LOG_LEVEL)")
	fs.StringVar(&cfg.baseURL, "base-url", env("CORSDOCTOR_BASE_URL", ""), "public `URL` of the dashboard for absolute share links, e.g. https://cors.example.com (default: from the Host header) (env CORSDOCTOR_BASE_URL)")
	fs.IntVar(&cfg.ratePerMinute, "rate-limit", rate, "diagnoses each client IP may start per `minute`; 0 for no limit (env CORSDOCTOR_RATE_LIMIT)")
	fs.IntVar(&cfg.maxProbes, "max-probes", maxProbes, fmt.Sprintf("diagnoses that may probe at once, from all clients; more wait up to %s for a slot, then get 503 (env CORSDOCTOR_MAX_PROBES)", web.DefaultProbeQueueTimeout))
	fs.IntVar(&cfg.perClient, "max-probes-per-client", perClient, "diagnoses one client IP (IPv6: /64) may have running or queued at once; more get 429; 0 for no limit (env CORSDOCTOR_MAX_PROBES_PER_CLIENT)")
	fs.DurationVar(&cfg.probeTimeout, "probe-timeout", cfg.probeTimeout, "bound on one whole diagnosis, all requests included")
	allowPrivate := fs.Bool("allow-private-targets", false, "let the prober reach loopback and private addresses (default: only when --addr is loopback) (env CORSDOCTOR_ALLOW_PRIVATE_TARGETS)")
	allow := listFlag{}
	deny := listFlag{}
	_ = allow.Set(getenv("CORSDOCTOR_ALLOW_TARGETS"))
	_ = deny.Set(getenv("CORSDOCTOR_DENY_TARGETS"))
	fs.Var(&allow, "allow-target", "CIDR, IP or host (*.x for subdomains) the prober may reach even when private (repeatable; env CORSDOCTOR_ALLOW_TARGETS, comma-separated)")
	proxies := listFlag{}
	_ = proxies.Set(getenv("CORSDOCTOR_TRUSTED_PROXIES"))
	fs.Var(&proxies, "trusted-proxy", "CIDR or IP of a reverse proxy whose X-Forwarded-For names the client, for the per-client limits and logs (repeatable; env CORSDOCTOR_TRUSTED_PROXIES, comma-separated)")
	fs.Var(&deny, "deny-target", "CIDR, IP or host the prober must never reach (repeatable; env CORSDOCTOR_DENY_TARGETS)")
	fs.Usage = func() {
		fmt.Fprint(stderr, serveUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		}
		return nil, &exitError{code: ExitUsage}
	}
	if fs.NArg() > 0 {
		return nil, UsageErrorf("serve takes no arguments, got %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "allow-private-targets" {
			cfg.allowPrivate = allowPrivate
		}
	})
	if cfg.allowPrivate == nil {
		if v := getenv("CORSDOCTOR_ALLOW_PRIVATE_TARGETS"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, UsageErrorf("CORSDOCTOR_ALLOW_PRIVATE_TARGETS must be true or false")
			}
			cfg.allowPrivate = &b
		}
	}
	cfg.allow, cfg.deny = allow, deny
	if cfg.proxies, err = web.ParseTrustedProxies(proxies); err != nil {
		return nil, UsageErrorf("--trusted-proxy or CORSDOCTOR_TRUSTED_PROXIES: %v", err)
	}
	switch cfg.logFormat {
	case "text", "json":
	default:
		return nil, UsageErrorf("--log-format must be text or json, not %q", cfg.logFormat)
	}
	if cfg.ratePerMinute < 0 {
		return nil, UsageErrorf("--rate-limit must not be negative")
	}
	if cfg.perClient < 0 {
		return nil, UsageErrorf("--max-probes-per-client must not be negative")
	}
	if cfg.maxProbes < 1 {
		return nil, UsageErrorf("--max-probes must be at least 1")
	}
	if cfg.probeTimeout <= 0 {
		return nil, UsageErrorf("--probe-timeout must be positive")
	}
	if cfg.baseURL != "" && !strings.HasPrefix(cfg.baseURL, "http://") && !strings.HasPrefix(cfg.baseURL, "https://") {
		return nil, UsageErrorf("--base-url must start with http:// or https://")
	}
	return cfg, nil
}

func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, UsageErrorf("--log-level must be debug, info, warn or error, not %q", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	// Log lines quote URLs, headers and errors from targets and clients;
	// termsafe keeps their escape sequences off the operator's terminal.
	if format == "json" {
		return slog.New(termsafe.NewHandler(slog.NewJSONHandler(w, opts))), nil
	}
	return slog.New(termsafe.NewHandler(slog.NewTextHandler(w, opts))), nil
}

// loopbackOnly reports whether a listen address accepts connections only
// from this machine: then the dashboard's users are this machine's users,
// who can reach its private network anyway.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve runs `corsdoctor serve` until ctx is done or SIGINT/SIGTERM
// arrives, then stops accepting connections and lets in-flight
// diagnoses finish (up to the probe timeout) before closing the database.
func Serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.logFormat, cfg.logLevel, stderr)
	if err != nil {
		return err
	}

	allowPrivate := loopbackOnly(cfg.addr)
	if cfg.allowPrivate != nil {
		allowPrivate = *cfg.allowPrivate
	}
	policy, err := targetpolicy.New(targetpolicy.Config{AllowPrivate: allowPrivate, Allow: cfg.allow, Deny: cfg.deny})
	if err != nil {
		return UsageErrorf("%v", err)
	}
	if allowPrivate && cfg.allowPrivate == nil && len(cfg.proxies) > 0 {
		// A loopback listen address usually means "only me", but behind a
		// proxy on this host it serves everyone the proxy lets in.
		logger.Warn("private targets are allowed because --addr is loopback, but --trusted-proxy says a proxy forwards other clients; pass --allow-private-targets=false if they must not reach this network")
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := store.Open(ctx, cfg.db)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()

	// Listen before serving so a port clash fails at once, and so tests can
	// pass --addr 127.0.0.1:0 and read the bound address from stdout.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w (another program uses %s: pass --addr 127.0.0.1:0 to pick a free port, whose URL is printed)", err, cfg.addr)
		}
		return err
	}

	limits := diagnose.DefaultLimits
	prober := diagnose.NewProber(diagnose.ProberConfig{
		Dial:   policy.Dialer(&net.Dialer{}, net.DefaultResolver),
		Limits: limits,
	})
	settings := handlers.Settings{
		ProbeTimeout:    cfg.probeTimeout,
		ExchangeTimeout: limits.Timeout,
		Retention:       cfg.retention,
		BaseURL:         strings.TrimSuffix(cfg.baseURL, "/"),
	}
	// The security audit dials through the same target policy.
	auditor := audit.New(audit.Config{Dial: policy.Dialer(&net.Dialer{}, net.DefaultResolver), Timeout: limits.Timeout})
	handler := web.NewServer(logger, web.Config{Settings: settings, RatePerMinute: cfg.ratePerMinute, MaxProbes: cfg.maxProbes, MaxProbesPerClient: cfg.perClient, TrustedProxies: cfg.proxies, Auditor: auditor}, prober, st)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A diagnosis may take the whole probe timeout before the 303.
		WriteTimeout:   cfg.probeTimeout + 30*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// Lets a result page go out in one write (see web.CoalescingListener).
		ConnContext: web.ConnContext,
	}

	// Expired diagnoses go now, then every hour (the handlers already
	// refuse them on time; the sweep frees the space).
	if _, err := st.DeleteOlderThan(ctx, time.Now().Add(-cfg.retention)); err != nil {
		logger.ErrorContext(ctx, "initial sweep failed", "error", err)
	}
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		st.Sweep(sweepCtx, logger, cfg.retention, sweepInterval(cfg.retention))
	}()
	defer func() {
		stopSweep()
		<-sweepDone
	}()

	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(stdout, "corsdoctor listening on %s\n", url)
	logger.Info("listening", "url", url, "db", cfg.db, "retention", cfg.retention.String(), "targets", policy.String(), "rate_limit_per_minute", cfg.ratePerMinute, "max_probes", cfg.maxProbes, "max_probes_per_client", cfg.perClient, "trusted_proxies", fmt.Sprint(cfg.proxies))

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(web.CoalescingListener(ln)) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal kills the process the default way
	logger.Info("shutting down", "grace", (cfg.probeTimeout + 5*time.Second).String())
	// Shutdown waits for in-flight requests, whose contexts are not
	// cancelled by it, so running probes finish and get stored. The bound
	// starts from Background: ctx is already done.
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.probeTimeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// sweepInterval runs the sweep hourly, or more often for short retentions.
func sweepInterval(retention time.Duration) time.Duration {
	if iv := retention / 10; iv < time.Hour {
		return max(iv, time.Second)
	}
	return time.Hour
}
