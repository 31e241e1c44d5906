package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/handlers"
	"corsdoctor/store"
	"corsdoctor/targetpolicy"
	"corsdoctor/web"
)

// The routes a client exercises, as rows of the report.
const (
	routeCreate       = iota // POST /api/v1/diagnoses of the CORS target
	routeCreateSilent        // POST /api/v1/diagnoses of the target that never answers
	routePage                // GET /d/{id}
	routeAPIGet              // GET /api/v1/diagnoses/{id}
	numRoutes
)

var routeNames = [numRoutes]string{
	"POST /api/v1/diagnoses (CORS target)",
	"POST /api/v1/diagnoses (silent target)",
	"GET /d/{id}",
	"GET /api/v1/diagnoses/{id}",
}

// clientStats is what one client saw; clients keep their own and the run
// merges them at the end, so measuring takes no shared lock.
type clientStats struct {
	latency   [numRoutes][]time.Duration
	status    [numRoutes]map[int]int
	busy      int // 503 with code "busy"
	transport int // requests that got no HTTP answer
	notes     []string
}

func newClientStats() *clientStats {
	s := &clientStats{}
	for i := range s.status {
		s.status[i] = map[int]int{}
	}
	return s
}

func (s *clientStats) note(format string, args ...any) {
	if len(s.notes) < 5 {
		s.notes = append(s.notes, fmt.Sprintf(format, args...))
	}
}

// run starts the targets and the dashboard, drives the clients, shuts
// everything down and measures. It fails only when it cannot set up;
// what the dashboard did wrong is in the result.
func run(ctx context.Context, cfg config, stderr io.Writer) (*result, error) {
	res := &result{cfg: cfg, goroutinesBefore: runtime.NumGoroutine()}

	dir, err := os.MkdirTemp("", "corsdoctor-loadtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	cors, err := startCORSTarget()
	if err != nil {
		return nil, fmt.Errorf("CORS target: %w", err)
	}
	defer cors.Close()
	silent, err := startHangTarget()
	if err != nil {
		return nil, fmt.Errorf("silent target: %w", err)
	}
	defer silent.Close()

	logs := &countingHandler{counts: map[string]int{}}
	base, stopDashboard, err := startDashboard(ctx, cfg, filepath.Join(dir, "load.db"), slog.New(logs))
	if err != nil {
		return nil, err
	}

	transport := &http.Transport{
		Proxy:               nil, // loopback only, never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        cfg.clients,
		MaxIdleConnsPerHost: cfg.clients,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	client := &http.Client{
		Transport: transport,
		// Bounds every request: the longest legitimate answer is a
		// diagnosis that waited the whole queue and probed until the
		// probe timeout.
		Timeout:       cfg.queueTimeout + cfg.probeTimeout + 15*time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	// Peak goroutines, sampled while the clients run.
	var peak atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()

	fmt.Fprintf(stderr, "loadtest: %d clients for %s against %s (max-probes %d)\n", cfg.clients, cfg.duration, base, cfg.maxProbes)
	start := time.Now()
	deadline := start.Add(cfg.duration)
	var budget atomic.Int64
	budget.Store(cfg.maxRequests)
	stats := make([]*clientStats, cfg.clients)
	var wg sync.WaitGroup
	for i := range cfg.clients {
		stats[i] = newClientStats()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &loadClient{ctx: ctx, http: client, base: base, cors: cors.url, silent: silent.url, cfg: cfg,
				rng: rand.New(rand.NewPCG(uint64(i), 0x5eed)), stats: stats[i], budget: &budget, deadline: deadline}
			c.loop()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	close(stopSampling)
	<-sampled
	res.goroutinesPeak = int(peak.Load())

	// Shut down the way serve does, then let everything wind down.
	res.shutdownErr = stopDashboard()
	transport.CloseIdleConnections()
	res.silentConns = silent.Connections()
	cors.Close()
	silent.Close()

	waitUntil := time.Now().Add(cfg.leakWait)
	for runtime.NumGoroutine() > res.goroutinesBefore && time.Now().Before(waitUntil) {
		time.Sleep(20 * time.Millisecond)
	}
	res.goroutinesAfter = runtime.NumGoroutine()
	if res.goroutinesAfter > res.goroutinesBefore {
		var b bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		res.leftover = b.String()
	}

	// Twice: objects reachable only from finalizers (closed files and
	// connections) and sync.Pool victims go only in the second cycle.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.heapAfter = ms.HeapAlloc
	res.peakRSS = readVmHWM()
	res.logs = logs.snapshot()
	res.merge(stats)
	return res, nil
}

// startDashboard serves the dashboard on 127.0.0.1, wired as `corsdoctor
// serve` wires it (SQLite store, real prober, every middleware) but with
// the load test's limits. The policy allows private targets because the
// targets are on loopback; the prober is only ever given their URLs.
// stop shuts the server down as serve does and closes the store; after it,
// nothing of the dashboard is reachable, so the heap measured next is not
// its caches.
func startDashboard(ctx context.Context, cfg config, db string, logger *slog.Logger) (base string, stop func() error, err error) {
	st, err := store.Open(ctx, db)
	if err != nil {
		return "", nil, err
	}
	policy, err := targetpolicy.New(targetpolicy.Config{AllowPrivate: true})
	if err != nil {
		st.Close()
		return "", nil, err
	}
	limits := diagnose.DefaultLimits
	limits.Timeout = cfg.exchangeTimeout
	limits.ConnectTimeout = min(limits.ConnectTimeout, cfg.exchangeTimeout)
	prober := diagnose.NewProber(diagnose.ProberConfig{Dial: policy.Dialer(&net.Dialer{}, net.DefaultResolver), Limits: limits})
	handler := web.NewServer(logger, web.Config{
		Settings:          handlers.Settings{ProbeTimeout: cfg.probeTimeout, ExchangeTimeout: limits.Timeout},
		RatePerMinute:     cfg.ratePerMinute,
		MaxProbes:         cfg.maxProbes,
		ProbeQueueTimeout: cfg.queueTimeout,
	}, prober, st)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return "", nil, err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.probeTimeout + cfg.queueTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		ConnContext:       web.ConnContext,
	}
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(web.CoalescingListener(ln)) }()
	stop = func() error {
		// Bounded from Background: ctx may already be cancelled (^C).
		shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var errs error
		if err := srv.Shutdown(shutCtx); err != nil {
			errs = errors.Join(errs, err)
			_ = srv.Close()
		}
		if err := <-serveDone; !errors.Is(err, http.ErrServerClosed) {
			errs = errors.Join(errs, err)
		}
		return errors.Join(errs, st.Close())
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// loadClient is one simulated user: create a diagnosis, read it back as a
// page and as JSON, again, until the deadline or the request budget.
type loadClient struct {
	ctx          context.Context
	http         *http.Client
	base         string
	cors, silent string
	cfg          config
	rng          *rand.Rand
	stats        *clientStats
	budget       *atomic.Int64
	deadline     time.Time
}

func (c *loadClient) loop() {
	for i := 0; c.ctx.Err() == nil && time.Now().Before(c.deadline); i++ {
		route, body := c.nextDiagnosis(i)
		status, resp, ok := c.do(route, http.MethodPost, "/api/v1/diagnoses", body)
		if !ok || status != http.StatusCreated {
			_ = resp
			continue
		}
		var created struct{ ID string }
		if err := json.Unmarshal(resp, &created); err != nil || created.ID == "" {
			c.stats.note("201 without an id: %v", err)
			continue
		}
		if _, _, ok := c.do(routePage, http.MethodGet, "/d/"+created.ID, ""); !ok {
			continue
		}
		c.do(routeAPIGet, http.MethodGet, "/api/v1/diagnoses/"+created.ID, "")
	}
}

// nextDiagnosis picks the next request to diagnose: hangPercent of them
// go to the silent target; the rest alternate between a simple GET and a
// credentialed PUT with JSON and a bearer token (preflight, then the
// actual request).
func (c *loadClient) nextDiagnosis(i int) (int, string) {
	const origin = "https://app.example"
	if c.rng.IntN(100) < c.cfg.hangPercent {
		return routeCreateSilent, fmt.Sprintf(`{"url":%q,"origin":%q}`, c.silent+"/never", origin)
	}
	if i%2 == 0 {
		return routeCreate, fmt.Sprintf(`{"url":%q,"origin":%q}`, fmt.Sprintf("%s/items?page=%d", c.cors, i), origin)
	}
	return routeCreate, fmt.Sprintf(`{"url":%q,"origin":%q,"method":"PUT","credentials":"include",`+
		`"headers":[{"name":"Content-Type","value":"application/json"},{"name":"Authorization","value":"Bearer load-%d"}],`+
		`"body":"{\"done\":true}"}`, c.cors+"/items/1", origin, i)
}

// do sends one request and records it. ok is false when the client must
// stop this iteration: no answer, or the request budget is spent.
func (c *loadClient) do(route int, method, path, body string) (status int, resp []byte, ok bool) {
	if c.budget.Add(-1) < 0 {
		return 0, nil, false
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, rd)
	if err != nil {
		c.stats.note("%s: %v", routeNames[route], err)
		c.stats.transport++
		return 0, nil, false
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	r, err := c.http.Do(req)
	if err == nil {
		resp, err = io.ReadAll(r.Body)
		r.Body.Close()
	}
	took := time.Since(start)
	if err != nil {
		if c.ctx.Err() == nil {
			c.stats.transport++
			c.stats.note("%s: %v", routeNames[route], err)
		}
		return 0, nil, false
	}
	c.stats.latency[route] = append(c.stats.latency[route], took)
	c.stats.status[route][r.StatusCode]++
	if r.StatusCode == http.StatusServiceUnavailable {
		var e struct{ Error struct{ Code string } }
		if json.Unmarshal(resp, &e) == nil && e.Error.Code == "busy" && r.Header.Get("Retry-After") != "" {
			c.stats.busy++
		} else {
			c.stats.note("%s: 503 that is not busy: %.200s", routeNames[route], resp)
		}
	} else if r.StatusCode >= 500 {
		c.stats.note("%s: %d: %.200s", routeNames[route], r.StatusCode, resp)
	}
	return r.StatusCode, resp, true
}

// readVmHWM returns the process's peak resident set size in bytes, from
// /proc/self/status (Linux), or 0 when unavailable.
func readVmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// countingHandler is the dashboard's log handler: it drops records below
// Warn (one Info line per request would only measure the logger) and
// counts the rest by message, since any of them means something went
// wrong under load.
type countingHandler struct {
	mu     sync.Mutex
	counts map[string]int
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	key := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "error" {
			key += ": " + a.Value.String()
			return false
		}
		return true
	})
	h.mu.Lock()
	h.counts[key]++
	h.mu.Unlock()
	return nil
}

func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func (h *countingHandler) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.counts))
	for k, v := range h.counts {
		out[k] = v
	}
	return out
}
