package diagnose

import (
	"context"
	"errors"
	"slices"
)

// Prepared is a Request that passed validation, held as the browser holds
// it once fetch() and the Headers guard ran (see Prepare). A caller that
// validates input before probing, as the dashboard does to report every
// bad field before anything is sent, gets a Prepared from NewPrepared and
// probes it with ProbePrepared, so the request is validated once and what
// is probed is exactly what was validated.
//
// A Prepared is immutable: it may be probed any number of times, from any
// number of goroutines. The zero value holds no request.
type Prepared struct {
	p *prepared
}

// NewPrepared validates r and returns it ready to probe. The errors are
// Prepare's: every problem is an *InputError naming its field, joined when
// several fields are wrong.
func NewPrepared(r Request) (Prepared, error) {
	p, err := prepare(r)
	if err != nil {
		return Prepared{}, err
	}
	return Prepared{p: p}, nil
}

// Request returns the normalised request, as Prepare returns it.
func (p Prepared) Request() Request {
	if p.p == nil {
		return Request{}
	}
	r := p.p.Request
	r.Headers = slices.Clone(r.Headers)
	return r
}

// errZeroPrepared is ProbePrepared's answer to a Prepared that did not
// come from NewPrepared: a caller's bug, not bad input.
var errZeroPrepared = errors.New("diagnose: probe of a zero Prepared (use NewPrepared)")

// ProbePrepared sends what a browser would send for the already validated
// request r and returns the diagnosis. The error is an *InputError for a
// target the dial policy refuses (the address a redirect leads to
// included), or the context's error.
func (p *Prober) ProbePrepared(ctx context.Context, r Prepared) (*Report, error) {
	if r.p == nil {
		return nil, errZeroPrepared
	}
	// The report keeps the request's slices, and callers edit reports
	// (redaction before storage): each probe gets its own copies.
	return p.probe(ctx, r.p.clone())
}

// clone copies p deeply enough that nothing a probe hands out (the report
// keeps the request, its headers and the dropped ones) or walks through
// (the target URL) shares memory with p.
func (p *prepared) clone() *prepared {
	c := *p
	if p.target != nil {
		t := *p.target
		c.target = &t
	}
	c.Request.Headers = slices.Clone(p.Request.Headers)
	c.headers = slices.Clone(p.headers)
	c.entries = slices.Clone(p.entries)
	c.dropped = slices.Clone(p.dropped)
	return &c
}
