package web

import (
	"context"

	"corsdoctor/audit"
	"corsdoctor/handlers"
)

// auditLimiter runs an audit in one of the diagnoses' probe slots: an
// audit sends at most audit.MaxRequests requests, a few at a time, so it
// counts as one probe toward --max-probes, waits for a slot the same way,
// and is refused with 503 busy the same way.
type auditLimiter struct {
	next  handlers.Auditor
	slots *probeLimiter
}

// newAuditLimiter returns nil when there is no auditor, so the handlers
// can say the audit is not enabled.
func newAuditLimiter(next handlers.Auditor, slots *probeLimiter) handlers.Auditor {
	if next == nil {
		return nil
	}
	return &auditLimiter{next: next, slots: slots}
}

// Audit runs next.Audit once a slot is free.
func (l *auditLimiter) Audit(ctx context.Context, req audit.Request) (*audit.Report, error) {
	if err := l.slots.acquire(ctx); err != nil {
		return nil, err
	}
	defer l.slots.release()
	return l.next.Audit(ctx, req)
}
