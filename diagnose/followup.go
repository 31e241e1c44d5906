package diagnose

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Follow-up preflights answer "what did the server refuse?" when the
// browser's own preflight was refused without saying so: a 2xx without any
// CORS header (rs/cors, go-chi/cors, jub0bs/cors), gorilla's empty 403, an
// authentication layer's 401, a router's 404/405. Each varies one element of
// the preflight: the method alone, each requested header alone, the
// method's case, the origin. They are OPTIONS requests only, so they cause
// no side effect, and they never repeat the actual request. No browser
// sends them; reports list them apart (Report.Followups).
//
// The ones that vary the method and headers are sent at the same time as
// the browser's own preflight, and thrown away unread when it passes: a
// diagnosis with follow-ups then costs one round trip, not two. The ones
// that need the first answer (the redirect target of a redirected
// preflight, other origins for a simple request) are sent after it.

// FollowupLabel prefixes the Step.Kind of every follow-up exchange.
const FollowupLabel = "followup"

// maxFollowupHeaders bounds the per-header follow-up preflights.
const maxFollowupHeaders = 8

// maxFollowupsInFlight bounds the follow-ups one diagnosis has open at
// once. It covers the largest plan (minimal, method and its upper case, 8
// headers, 2 origin twins, the fingerprint: 14), so they all go out in the
// browser's preflight's round trip (BenchmarkFollowupLatency).
const maxFollowupsInFlight = 14

// followupProbe is one follow-up preflight to send.
type followupProbe struct {
	label   string
	url     *url.URL
	origin  string
	method  string   // Access-Control-Request-Method
	headers []string // Access-Control-Request-Headers, lower-case
}

func (f followupProbe) outgoing() outgoing {
	hs := []Header{{"Accept", "*/*"}, {"Access-Control-Request-Method", f.method}}
	if len(f.headers) > 0 {
		hs = append(hs, Header{"Access-Control-Request-Headers", strings.Join(f.headers, ",")})
	}
	hs = append(hs, Header{"Origin", f.origin}, Header{"User-Agent", userAgent}, Header{"Sec-Fetch-Mode", "cors"}, Header{"Sec-Fetch-Dest", "empty"})
	return outgoing{step: Step{Kind: StepKind(FollowupLabel + ": " + f.label), URL: f.url.String()}, method: "OPTIONS", url: f.url, headers: hs}
}

// preflightFollowups are the follow-ups for a preflighted request, which
// need nothing from the browser's preflight's answer.
func preflightFollowups(prep *prepared, d PreflightDecision) []followupProbe {
	u, origin, method := prep.target, prep.origin, prep.Method
	out := []followupProbe{{label: "minimal", url: u, origin: origin, method: "GET"}}
	if !isSafelistedMethod(method) {
		out = append(out, followupProbe{label: "method " + method, url: u, origin: origin, method: method})
		if up := strings.ToUpper(method); up != method {
			out = append(out, followupProbe{label: "method " + up, url: u, origin: origin, method: up})
		}
	}
	for i, h := range d.UnsafeHeaders {
		if i >= maxFollowupHeaders {
			break
		}
		out = append(out, followupProbe{label: "header " + h, url: u, origin: origin, method: "GET", headers: []string{h}})
	}
	for _, o := range originVariants(origin) {
		out = append(out, followupProbe{label: "origin " + o, url: u, origin: o, method: method, headers: d.UnsafeHeaders})
	}
	return append(out, fingerprintProbe(u, origin))
}

// fingerprintHeader is a request header no server allows on purpose. How
// a CORS middleware refuses it is its signature: rs/cors answers 204 with
// its one Vary line, gorilla/handlers an empty 403, Starlette a 400 that
// names it, while Express's cors echoes it back. It never reaches the
// policy a fix proposes.
const fingerprintHeader = "x-corsdoctor-probe"

func fingerprintProbe(u *url.URL, origin string) followupProbe {
	return followupProbe{label: "fingerprint", url: u, origin: origin, method: "GET", headers: []string{fingerprintHeader}}
}

// originVariants are the origins users most often mix up with theirs:
// localhost and 127.0.0.1, and the other scheme. A server that accepts one
// of them shows an origin list that lacks only the page's own spelling.
func originVariants(origin string) []string {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return nil
	}
	var out []string
	host, port := u.Hostname(), u.Port()
	withHost := func(h string) string {
		if port != "" {
			if strings.Contains(h, ":") {
				h = "[" + h + "]"
			}
			return u.Scheme + "://" + h + ":" + port
		}
		return u.Scheme + "://" + h
	}
	switch host {
	case "localhost":
		out = append(out, withHost("127.0.0.1"))
	case "127.0.0.1", "::1":
		out = append(out, withHost("localhost"))
	}
	other := map[string]string{"http": "https", "https": "http"}[u.Scheme]
	if other != "" {
		out = append(out, other+"://"+u.Host)
	}
	return out
}

// followupRun is a set of follow-ups in flight.
type followupRun struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	got    []Exchange
	order  []int
}

// startFollowups sends probes concurrently, at most maxFollowupsInFlight
// at a time. Each goes through the same transport as the browser's
// requests, so the target policy judges every dial.
func (p *Prober) startFollowups(ctx context.Context, probes []followupProbe) *followupRun {
	ctx, cancel := context.WithCancel(ctx)
	run := &followupRun{cancel: cancel, got: make([]Exchange, len(probes))}
	sem := make(chan struct{}, maxFollowupsInFlight)
	for i, f := range probes {
		run.wg.Add(1)
		go func() {
			defer run.wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			ex := p.t.roundTrip(ctx, f.outgoing())
			run.mu.Lock()
			run.got[i] = ex
			run.order = append(run.order, i)
			run.mu.Unlock()
		}()
	}
	return run
}

// wait returns the follow-ups that completed, in the order they were
// planned (not the order they finished, so reports are stable).
func (r *followupRun) wait() []Exchange {
	r.wg.Wait()
	r.cancel()
	done := slices.Clone(r.order)
	slices.Sort(done)
	var out []Exchange
	for _, i := range done {
		ex := r.got[i]
		if ex.Error != nil && ex.Error.Kind == "policy" {
			// A dial the target policy refused says nothing about the
			// server, and its address is not the user's to see.
			continue
		}
		out = append(out, ex)
	}
	return out
}

// discard abandons follow-ups whose answers are not needed.
func (r *followupRun) discard() {
	r.cancel()
	r.wg.Wait()
}

// preflightRefused reports whether a browser was blocked at the hop-0
// preflight by an answer that did not say what it refused, or said it
// only partly: then the follow-ups' answers are worth reading.
func preflightRefused(rep *Report) (*Exchange, bool) {
	for i := range rep.Exchanges {
		ex := &rep.Exchanges[i]
		if ex.Step.Kind != StepPreflight || ex.Step.Hop != 0 {
			continue
		}
		if ex.Response == nil || ex.Response.isRedirect() {
			return ex, false
		}
		for _, f := range rep.Findings {
			if f.Severity == SeverityError && f.Step == ex.Step {
				return ex, true
			}
		}
		return ex, false
	}
	return nil, false
}

// laterFollowups are the follow-ups that depend on what the browser's
// requests got: the redirect target of a redirected preflight (would the
// final URL pass?), and other origins when a simple request was refused.
func laterFollowups(prep *prepared, rep *Report) []followupProbe {
	if len(rep.Exchanges) == 0 || !rep.Blocked() {
		return nil
	}
	first := rep.Exchanges[0]
	if first.Response == nil || first.Step.Hop != 0 {
		return nil
	}
	if first.Step.Kind == StepPreflight && first.Response.isRedirect() {
		loc, _ := first.Response.get("Location")
		target, _, err := resolveRedirect(loc, prep.target, Chromium)
		if err != nil || (target.Scheme != "http" && target.Scheme != "https") {
			return nil
		}
		return []followupProbe{{label: "redirect target", url: target, origin: prep.origin, method: prep.Method, headers: rep.Preflight.UnsafeHeaders}}
	}
	if first.Step.Kind != StepActual || rep.Preflight.Sent {
		return nil
	}
	// A refused simple request: a minimal preflight and the fingerprint
	// show which middleware answers (a simple response rarely does), and
	// when the origin was refused, its twins show whether the list lacks
	// only this spelling.
	out := []followupProbe{{label: "minimal", url: prep.target, origin: prep.origin, method: prep.Method}, fingerprintProbe(prep.target, prep.origin)}
	if _, ok := first.Response.get("Access-Control-Allow-Origin"); !ok || first.Response.Status >= 400 {
		for _, o := range originVariants(prep.origin) {
			out = append(out, followupProbe{label: "origin " + o, url: prep.target, origin: o, method: prep.Method})
		}
	}
	return out
}

// followupKind splits a follow-up's step kind into its label's verb and
// argument ("header x-custom" -> "header", "x-custom"); ok is false for a
// browser's own step.
func followupKind(s Step) (verb, arg string, ok bool) {
	rest, ok := strings.CutPrefix(string(s.Kind), FollowupLabel+": ")
	if !ok {
		return "", "", false
	}
	verb, arg, _ = strings.Cut(rest, " ")
	return verb, arg, true
}

// preflightPasses judges a preflight answer the way both browsers agree
// on: ok status, ACAO matching origin, ACAC with credentials, the method
// and every header allowed.
func preflightPasses(resp *Response, origin, method string, headers []string, creds bool) bool {
	if resp == nil || resp.Status < 200 || resp.Status > 299 {
		return false
	}
	if !allowsOrigin(resp, origin, creds) {
		return false
	}
	acam, _ := resp.get("Access-Control-Allow-Methods")
	acah, _ := resp.get("Access-Control-Allow-Headers")
	methods, bad := parseTokenList(acam)
	if bad != "" || !methodAllowed(method, methods, creds) {
		return false
	}
	hs, bad := parseTokenList(acah)
	return bad == "" && len(missingHeaders(headers, hs, creds)) == 0
}

// allowsOrigin is the CORS check on one response for origin.
func allowsOrigin(resp *Response, origin string, creds bool) bool {
	vs := resp.values("Access-Control-Allow-Origin")
	if len(vs) != 1 {
		return false
	}
	v := vs[0]
	if v == "*" {
		return !creds
	}
	if v != origin {
		return false
	}
	if creds {
		acac := resp.values("Access-Control-Allow-Credentials")
		return len(acac) == 1 && acac[0] == "true"
	}
	return true
}

// walkAndExplain walks the fetch as both browsers do, with the follow-up
// preflights around it when they are on, and explains the result.
func (p *Prober) walkAndExplain(ctx context.Context, prep *prepared, send func(*outgoing) (Exchange, error)) (*Report, error) {
	var early *followupRun
	if p.followups {
		if probes := speculativeFollowups(prep); len(probes) > 0 {
			early = p.startFollowups(ctx, probes)
		}
	}
	ws, union, err := walkBoth(prep, send)
	if err != nil {
		if early != nil {
			early.discard()
		}
		return nil, err
	}
	rep := buildReport(ws, union)
	if early != nil {
		if _, refused := preflightRefused(rep); refused {
			rep.Followups = early.wait()
		} else {
			early.discard()
		}
	}
	if p.followups && ctx.Err() == nil {
		if probes := laterFollowups(prep, rep); len(probes) > 0 {
			rep.Followups = append(rep.Followups, p.startFollowups(ctx, probes).wait()...)
		}
	}
	rep.RootCause = Explain(rep, "")
	return rep, nil
}

// speculativeFollowups are the follow-ups sent alongside the browser's
// preflight: only for a cross-origin cors-mode request that needs one.
func speculativeFollowups(prep *prepared) []followupProbe {
	if prep.notHTTP || prep.Mode == ModeNoCORS || prep.Mode == ModeSameOrigin {
		return nil
	}
	if originOf(prep.target) == prep.origin && prep.origin != "null" {
		return nil
	}
	if prep.origin == "null" {
		return nil
	}
	d := DecidePreflight(prep.Method, prep.headers, prep.UseCORSPreflight)
	if !d.Required {
		return nil
	}
	return preflightFollowups(prep, d)
}
