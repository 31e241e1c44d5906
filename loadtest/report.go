package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// result is what a run measured.
type result struct {
	cfg     config
	elapsed time.Duration

	routes      [numRoutes]routeStats
	status      map[int]int // all routes
	busy        int         // 503 "busy" answers
	transport   int         // requests without an HTTP answer
	notes       []string    // the first few oddities, for the report
	silentConns int         // connections the silent target accepted
	logs        map[string]int

	peakRSS   int64
	heapAfter uint64

	goroutinesBefore, goroutinesPeak, goroutinesAfter int
	leftover                                          string // goroutine dump when some were left over
	shutdownErr                                       error
}

type routeStats struct {
	count                int
	status               map[int]int
	p50, p90, p99, worst time.Duration
}

func (r *result) merge(stats []*clientStats) {
	r.status = map[int]int{}
	for route := range numRoutes {
		var all []time.Duration
		rs := routeStats{status: map[int]int{}}
		for _, s := range stats {
			all = append(all, s.latency[route]...)
			for code, n := range s.status[route] {
				rs.status[code] += n
				r.status[code] += n
			}
		}
		slices.Sort(all)
		rs.count = len(all)
		rs.p50, rs.p90, rs.p99 = percentile(all, 0.50), percentile(all, 0.90), percentile(all, 0.99)
		if len(all) > 0 {
			rs.worst = all[len(all)-1]
		}
		r.routes[route] = rs
	}
	for _, s := range stats {
		r.busy += s.busy
		r.transport += s.transport
		for _, n := range s.notes {
			if len(r.notes) < 10 {
				r.notes = append(r.notes, n)
			}
		}
	}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func (r *result) requests() int {
	n := 0
	for _, rs := range r.routes {
		n += rs.count
	}
	return n
}

// serverErrors counts 5xx answers other than 503 "busy".
func (r *result) serverErrors() int {
	n := 0
	for code, c := range r.status {
		if code >= 500 {
			n += c
		}
	}
	return n - r.busy
}

// unexpected counts answers that are neither success, busy nor rate
// limited: a 400 or 404 here is a bug in the dashboard or the load test.
func (r *result) unexpected() int {
	n := 0
	for code, c := range r.status {
		switch {
		case code < 300, code == 429, code >= 500:
		default:
			n += c
		}
	}
	return n
}

// failures lists why the run is not clean; empty means it is.
func (r *result) failures() []string {
	var f []string
	if n := r.serverErrors(); n > 0 {
		f = append(f, fmt.Sprintf("%d answers were 5xx other than 503 busy", n))
	}
	if r.transport > 0 {
		f = append(f, fmt.Sprintf("%d requests got no HTTP answer", r.transport))
	}
	if n := r.unexpected(); n > 0 {
		f = append(f, fmt.Sprintf("%d answers had an unexpected status", n))
	}
	if r.routes[routeCreate].status[201] == 0 {
		f = append(f, "no diagnosis was created")
	}
	if len(r.logs) > 0 {
		f = append(f, fmt.Sprintf("the dashboard logged %d warnings or errors", sum(r.logs)))
	}
	if r.goroutinesAfter > r.goroutinesBefore {
		f = append(f, fmt.Sprintf("goroutine leak: %d before, %d after shutdown", r.goroutinesBefore, r.goroutinesAfter))
	}
	if r.shutdownErr != nil {
		f = append(f, fmt.Sprintf("shutdown: %v", r.shutdownErr))
	}
	return f
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func (r *result) print(w io.Writer) {
	c := r.cfg
	fmt.Fprintf(w, "corsdoctor load test: %d clients, %s, max-probes %d (queue timeout %s), %d%% of diagnoses to a target that never answers (exchange timeout %s), probe timeout %s, rate limit %d/min\n",
		c.clients, c.duration, c.maxProbes, c.queueTimeout, c.hangPercent, c.exchangeTimeout, c.probeTimeout, c.ratePerMinute)
	total := r.requests()
	fmt.Fprintf(w, "requests: %d in %.1f s (%.0f/s); clients start no request after %s, the rest is requests in flight finishing\n",
		total, r.elapsed.Seconds(), float64(total)/r.elapsed.Seconds(), c.duration)
	fmt.Fprintf(w, "\n%-40s %8s %10s %10s %10s %10s  %s\n", "route", "requests", "p50", "p90", "p99", "max", "statuses")
	for i, rs := range r.routes {
		var sts []string
		for _, code := range slices.Sorted(maps.Keys(rs.status)) {
			sts = append(sts, fmt.Sprintf("%d×%d", code, rs.status[code]))
		}
		fmt.Fprintf(w, "%-40s %8d %10s %10s %10s %10s  %s\n", routeNames[i], rs.count, ms(rs.p50), ms(rs.p90), ms(rs.p99), ms(rs.worst), strings.Join(sts, " "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "5xx other than 503 busy: %d; unexpected statuses: %d; requests without an answer: %d\n", r.serverErrors(), r.unexpected(), r.transport)
	fmt.Fprintf(w, "503 busy: %d (all %d probe slots stayed taken for the %s queue timeout; nothing was probed, the answer carries Retry-After)\n", r.busy, c.maxProbes, c.queueTimeout)
	fmt.Fprintf(w, "429 rate limited: %d (all clients share 127.0.0.1, so they share one bucket of %d/min)\n", r.status[429], c.ratePerMinute)
	fmt.Fprintf(w, "silent target: %d connections accepted, each abandoned by the prober after %s\n", r.silentConns, c.exchangeTimeout)
	if len(r.logs) == 0 {
		fmt.Fprintln(w, "dashboard warnings and errors logged: 0")
	} else {
		fmt.Fprintln(w, "dashboard warnings and errors logged:")
		for _, k := range slices.Sorted(maps.Keys(r.logs)) {
			fmt.Fprintf(w, "  %d× %.200s\n", r.logs[k], k)
		}
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintf(w, "memory: peak RSS (VmHWM, whole process: dashboard, targets and clients) %s; heap after shutdown and GC %s\n", mib(uint64(r.peakRSS)), mib(r.heapAfter))
	leak := "no leak"
	if r.goroutinesAfter > r.goroutinesBefore {
		leak = "LEAK"
	}
	fmt.Fprintf(w, "goroutines: before %d, peak %d, after shutdown %d (%s)\n", r.goroutinesBefore, r.goroutinesPeak, r.goroutinesAfter, leak)
	if r.leftover != "" {
		fmt.Fprintf(w, "\ngoroutines left over:\n%s\n", r.leftover)
	}
}
