package diagnose

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"corsdoctor/targetpolicy"
)

// ProberConfig configures a Prober.
type ProberConfig struct {
	// Dial opens connections; the server passes its target policy's dialer.
	// Nil dials anything (the CLI runs on the user's own machine), with
	// .localhost names resolved to loopback as browsers do.
	Dial DialFunc
	// TLSConfig is cloned for https targets (tests add their own roots).
	TLSConfig *tls.Config
	// Limits bound each exchange; zero fields take DefaultLimits.
	Limits Limits
	// NoFollowups disables the extra preflights sent to find out what a
	// silently refusing server refused.
	NoFollowups bool
}

// Prober sends the requests a browser would send and judges them.
type Prober struct {
	t         *transport
	followups bool
}

// NewProber returns a Prober. It is safe for concurrent use.
func NewProber(cfg ProberConfig) *Prober {
	lim := cfg.Limits
	if lim.Timeout <= 0 {
		lim.Timeout = DefaultLimits.Timeout
	}
	if lim.ConnectTimeout <= 0 {
		lim.ConnectTimeout = DefaultLimits.ConnectTimeout
	}
	if lim.HeaderTimeout <= 0 {
		lim.HeaderTimeout = min(DefaultLimits.HeaderTimeout, lim.Timeout)
	}
	if lim.MaxHeaderBytes <= 0 {
		lim.MaxHeaderBytes = DefaultLimits.MaxHeaderBytes
	}
	if lim.MaxBodyBytes <= 0 {
		lim.MaxBodyBytes = DefaultLimits.MaxBodyBytes
	}
	dial := cfg.Dial
	if dial == nil {
		// Anything may be dialled, but names under .localhost reach
		// loopback as in browsers, not whatever the system resolver says.
		dial = targetpolicy.AllowAll().Dialer(&net.Dialer{}, nil)
	}
	return &Prober{t: &transport{dial: dial, tlsConfig: cfg.TLSConfig, limits: lim}, followups: !cfg.NoFollowups}
}

// Probe validates r, sends what a browser would send, and returns the
// diagnosis. The error is an *InputError for bad input or for a target the
// dial policy refuses, or the context's error. It is NewPrepared followed
// by ProbePrepared.
func (p *Prober) Probe(ctx context.Context, r Request) (*Report, error) {
	prep, err := NewPrepared(r)
	if err != nil {
		return nil, err
	}
	return p.ProbePrepared(ctx, prep)
}

// probe is ProbePrepared's work: it sends what each browser would send for
// prep, judges it, and runs the follow-ups.
func (p *Prober) probe(ctx context.Context, prep *prepared) (*Report, error) {
	start := time.Now()
	rep, err := p.walkAndExplain(ctx, prep, func(out *outgoing) (Exchange, error) {
		if err := ctx.Err(); err != nil {
			return Exchange{}, err
		}
		ex := p.t.roundTrip(ctx, *out)
		if ex.Error != nil && ex.Error.Kind == "policy" {
			msg := ex.Error.Message
			if out.step.Hop > 0 {
				msg = "a redirect leads to " + out.url.String() + ": " + msg
			}
			return Exchange{}, &InputError{Field: "url", Message: msg}
		}
		if ex.Error != nil && ex.Error.Kind == "internal" && ctx.Err() != nil {
			return Exchange{}, ctx.Err()
		}
		return ex, nil
	})
	if err != nil {
		return nil, err
	}
	rep.RanAt = start.UTC()
	rep.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// Evaluate judges recorded exchanges without touching the network: the
// same walks as Probe, fed from the recording. It is how a stored exchange
// is re-judged and what BenchmarkEvaluate measures.
func Evaluate(r Request, exchanges []Exchange) (*Report, error) {
	rep, err := evaluate(r, exchanges)
	if err != nil {
		return nil, err
	}
	rep.RootCause = Explain(rep, "")
	return rep, nil
}

// evaluate is Evaluate without the root cause, which BenchmarkEvaluate
// compares it with.
func evaluate(r Request, exchanges []Exchange) (*Report, error) {
	prep, err := prepare(r)
	if err != nil {
		return nil, err
	}
	ws, union, err := walkBoth(prep, func(out *outgoing) (Exchange, error) {
		for _, ex := range exchanges {
			if ex.Step.Kind == out.step.Kind && ex.Step.URL == out.step.URL && ex.Request.Method == out.method {
				return ex, nil
			}
		}
		return Exchange{}, fmt.Errorf("the recording has no %s %s to %s", out.step, out.method, out.url)
	})
	if err != nil {
		return nil, err
	}
	rep := buildReport(ws, union)
	if len(exchanges) > 0 {
		rep.RanAt = exchanges[0].Started
	}
	return rep, nil
}

// walkBoth walks the fetch as each browser does, in lockstep. A request
// both browsers make is sent once and judged by each, so corsdoctor sends
// nothing a browser would not, and nothing twice.
func walkBoth(prep *prepared, send func(*outgoing) (Exchange, error)) (map[Browser]*walker, []Exchange, error) {
	ws := map[Browser]*walker{}
	for _, b := range Browsers {
		ws[b] = newWalker(prep, b)
	}
	var union []Exchange
	index := map[string]int{}
	unionOf := map[Browser][]int{} // per walker exchange, its union index
	for progressed := true; progressed; {
		progressed = false
		for _, b := range Browsers {
			w := ws[b]
			out := w.next()
			if out == nil {
				continue
			}
			progressed = true
			key := requestKey(out)
			i, ok := index[key]
			if !ok {
				ex, err := send(out)
				if err != nil {
					return nil, nil, err
				}
				ex.Step = out.step
				ex.Checks, ex.Browsers = nil, nil
				i = len(union)
				index[key] = i
				union = append(union, ex)
			}
			union[i].Browsers = append(union[i].Browsers, b)
			ex := union[i]
			ex.Checks, ex.Browsers = nil, nil
			// Each browser judges the response as it parses it (framing.go).
			w.observe(browserView(ex, b))
			unionOf[b] = append(unionOf[b], i)
		}
	}
	for i := range union {
		per := map[Browser][]Check{}
		for _, b := range Browsers {
			for k, ui := range unionOf[b] {
				if ui == i {
					per[b] = ws[b].exchanges[k].Checks
				}
			}
		}
		union[i].Checks = mergeChecks(per)
	}
	return ws, union, nil
}

// requestKey identifies a request by its place in the fetch and everything
// that goes on the wire.
func requestKey(out *outgoing) string {
	var b strings.Builder
	// The hop keeps a redirect loop's identical requests distinct.
	b.WriteString(out.step.String())
	b.WriteByte(' ')
	b.WriteString(out.method)
	b.WriteByte(' ')
	b.WriteString(out.url.String())
	for _, h := range out.headers {
		b.WriteString("\n")
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
	}
	b.WriteString("\n\n")
	b.WriteString(out.body)
	return b.String()
}
