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
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.release()
	return l.next.Probe(ctx, r)
}

// preparedProber is the diagnose.Prober method that probes an already
// validated request; the handlers use it when the prober has it, so the
// limiter passes it through.
type preparedProber interface {
	ProbePrepared(ctx context.Context, r diagnose.Prepared) (*diagnose.Report, error)
}

// ProbePrepared is Probe for a request the handler already validated: it
// waits for a slot the same way, then probes without validating again.
func (l *probeLimiter) ProbePrepared(ctx context.Context, r diagnose.Prepared) (*diagnose.Report, error) {
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.release()
	if pp, ok := l.next.(preparedProber); ok {
		return pp.ProbePrepared(ctx, r)
	}
	return l.next.Probe(ctx, r.Request())
}

func (l *probeLimiter) release() { <-l.slots }

// acquire takes a slot, waiting up to l.wait.
func (l *probeLimiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
	default:
		t := time.NewTimer(l.wait)
		defer t.Stop()
		select {
		case l.slots <- struct{}{}:
		case <-t.C:
			return handlers.Busy(l.wait)
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return handlers.Busy(l.wait)
			}
			return ctx.Err()
		}
	}
	return nil
}
