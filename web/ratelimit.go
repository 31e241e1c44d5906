package web

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter is a token bucket per client IP: perMinute tokens refill
// each minute, up to a burst of perMinute. It guards the routes that make
// the server send requests, because each diagnosis costs the target real
// traffic. Clients are told apart by clientKey.
type rateLimiter struct {
	mu        sync.Mutex
	perMinute float64
	buckets   map[string]*bucket
	lastSweep time.Time
	refused   http.Handler
	now       func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(perMinute int, refused http.Handler) *rateLimiter {
	return &rateLimiter{perMinute: float64(perMinute), buckets: map[string]*bucket{}, refused: refused, now: time.Now}
}

// allow takes a token for ip, or says how long until one is available.
func (l *rateLimiter) allow(ip string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) > time.Minute {
		// Full buckets carry no information; drop them so the map stays
		// as small as the set of recently active clients.
		for k, b := range l.buckets {
			if b.tokens+now.Sub(b.last).Minutes()*l.perMinute >= l.perMinute {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &bucket{tokens: l.perMinute, last: now}
		l.buckets[ip] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.last).Minutes()*l.perMinute)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
	return false, wait
}

func (l *rateLimiter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := l.allow(clientKey(r.RemoteAddr))
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			l.refused.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
