package web

import (
	"context"
	"errors"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/handlers"
)

// probeLimiter is a Prober that lets at most cap(slots) diagnoses probe
// at once, across all clients. The per-IP rate limit bounds what one
// client may start; this bounds what the server holds open toward targets
// in total (connections, goroutines, memory), whoever sent the requests.
// A diagnosis waits up to wait for a slot, then fails with
// handlers.Busy, which the handlers answer with 503 and Retry-After.
//
// It wraps the prober rather than the routes so that a slot is held only
// while probing: reading the form, validating it and storing the result
// need none.
type probeLimiter struct {
	next  handlers.Prober
	slots chan struct{}
	wait  time.Duration
}

func newProbeLimiter(next handlers.Prober, n int, wait time.Duration) *probeLimiter {
	return &probeLimiter{next: next, slots: make(chan struct{}, n), wait: wait}
}

// Probe runs next.Probe once a slot is free. Waiting for a slot that the
// handler's probe timeout cuts short is still "busy", not a slow target:
// nothing was sent. A client that goes away while waiting gets its
// context's error.
func (l *probeLimiter) Probe(ctx context.Context, r diagnose.Request) (*diagnose.Report, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		t := time.NewTimer(l.wait)
		defer t.Stop()
		select {
		case l.slots <- struct{}{}:
		case <-t.C:
			return nil, handlers.Busy(l.wait)
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, handlers.Busy(l.wait)
			}
			return nil, ctx.Err()
		}
	}
	defer func() { <-l.slots }()
	return l.next.Probe(ctx, r)
}
