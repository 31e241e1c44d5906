package web

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
)

// runningLimiter bounds how many diagnoses one client may have in flight
// (probing or queued for a probe slot). Without it one client could hold
// every probe slot for the whole probe timeout, within its rate budget,
// by pointing its diagnoses at a target that never answers; with it,
// filling the slots takes max-probes / per-client different clients.
type runningLimiter struct {
	mu       sync.Mutex
	max      int
	inFlight map[string]int
	refused  http.Handler
}

func newRunningLimiter(max int, refused http.Handler) *runningLimiter {
	return &runningLimiter{max: max, inFlight: map[string]int{}, refused: refused}
}

// acquire counts one more diagnosis for client, unless it has max.
func (l *runningLimiter) acquire(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight[client] >= l.max {
		return false
	}
	l.inFlight[client]++
	return true
}

func (l *runningLimiter) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Idle clients leave no entry, so the map is as small as the set of
	// clients with something running.
	if l.inFlight[client]--; l.inFlight[client] <= 0 {
		delete(l.inFlight, client)
	}
}

func (l *runningLimiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := clientKey(r.RemoteAddr)
		if !l.acquire(client) {
			l.refused.ServeHTTP(w, r)
			return
		}
		defer l.release(client)
		next.ServeHTTP(w, r)
	})
}

// clientKey names the client behind a connection for the per-client
// limits: its IPv4 address, or the /64 of its IPv6 address, since one
// IPv6 host usually has a whole /64 to pick source addresses from.
// Only RemoteAddr counts, which forwardedClient rewrites for requests
// from --trusted-proxy; behind an untrusted proxy every client shares
// the proxy's key, which errs on the safe side.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}
