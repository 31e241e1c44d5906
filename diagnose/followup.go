package diagnose

import (
	"context"
	"strings"
)

// maxFollowupHeaders bounds the per-header follow-up preflights.
const maxFollowupHeaders = 8

// followUp sends a few extra preflights when the server answered the
// preflight 2xx without any CORS header (how rs/cors and go-chi/cors refuse
// silently), to find out whether it refused the origin, the method or a
// header. Only OPTIONS requests, which cause no side effects, are sent.
func (p *Prober) followUp(ctx context.Context, w *walker) []Exchange {
	var pre *Exchange
	for i := range w.exchanges {
		ex := &w.exchanges[i]
		if ex.Step.Kind == StepPreflight && ex.Response != nil {
			pre = ex
			break
		}
	}
	if pre == nil || pre.Response.Status < 200 || pre.Response.Status > 299 || hasAnyCORSHeader(pre.Response) {
		return nil
	}
	u, err := w.p.target.Parse(pre.Step.URL)
	if err != nil {
		return nil
	}
	var out []Exchange
	send := func(label, method string, headers []string) bool {
		hs := []Header{{"Accept", "*/*"}, {"Access-Control-Request-Method", method}}
		if len(headers) > 0 {
			hs = append(hs, Header{"Access-Control-Request-Headers", strings.Join(headers, ",")})
		}
		hs = append(hs, Header{"Origin", w.p.origin}, Header{"User-Agent", userAgent})
		ex := p.t.roundTrip(ctx, outgoing{step: Step{Kind: StepKind("followup: " + label), URL: u.String()}, method: "OPTIONS", url: u, headers: hs})
		out = append(out, ex)
		if ex.Response == nil {
			return false
		}
		_, ok := ex.Response.get("Access-Control-Allow-Origin")
		return ok
	}
	unsafe := w.decision.UnsafeHeaders
	method := w.p.Method
	var verdict string
	switch {
	case len(unsafe) > 0 && send("without request headers", method, nil):
		var refused []string
		for i, h := range unsafe {
			if i >= maxFollowupHeaders {
				break
			}
			if !send("only "+h, method, []string{h}) {
				refused = append(refused, h)
			}
		}
		if len(refused) > 0 {
			verdict = "Follow-up preflights show the server accepts the origin and " + method + " but refuses the request header(s) " + strings.Join(refused, ", ") + ": add them to its allowed headers."
		} else {
			verdict = "Follow-up preflights show the server accepts the origin, the method and each header alone, but not all of them together."
		}
	case !isSafelistedMethod(method) && send("with method GET", "GET", nil):
		verdict = "A follow-up preflight with GET instead of " + method + " was accepted: the server refuses the method " + method + " (check its allowed methods, and the case: fetch() sends " + method + " as written)."
	default:
		verdict = "Even a minimal follow-up preflight got no CORS headers: the server does not allow the origin " + w.p.origin + " at all."
	}
	w.followupVerdict = verdict
	return out
}
