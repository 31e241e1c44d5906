package audit

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/remedy"
	"corsdoctor/targetpolicy"
)

// MaxRequests bounds the requests one audit sends, redirect hops and the
// actual GET after a passing preflight included: the plan has at most 19
// probes (21 requests when both preflights pass), and the dial budget
// refuses any connection past this number.
const MaxRequests = 24

// DefaultConcurrency is how many probes of one audit are in flight at once.
const DefaultConcurrency = 4

// Reason is a finding's reason ID.
type Reason string

// The documented reasons.
const (
	ReasonOriginReflected   Reason = "origin-reflected"
	ReasonNullOrigin        Reason = "null-origin"
	ReasonSuffixMatch       Reason = "suffix-match"
	ReasonPrefixMatch       Reason = "prefix-match"
	ReasonUnescapedDot      Reason = "unescaped-dot"
	ReasonAnySubdomain      Reason = "any-subdomain"
	ReasonInsecureOrigin    Reason = "insecure-origin"
	ReasonSpecialCharacters Reason = "special-characters"
	ReasonVaryMissing       Reason = "vary-missing"
)

// Reasons lists every reason in report order.
func Reasons() []Reason {
	return []Reason{ReasonOriginReflected, ReasonNullOrigin, ReasonSuffixMatch, ReasonPrefixMatch, ReasonUnescapedDot,
		ReasonAnySubdomain, ReasonInsecureOrigin, ReasonSpecialCharacters, ReasonVaryMissing}
}

// Severity grades a finding.
type Severity string

// The severities, worst first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// rank orders severities: higher is worse.
func (s Severity) rank() int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// AtLeast reports whether s is t or worse.
func (s Severity) AtLeast(t Severity) bool { return s.rank() >= t.rank() }

// Request is what to audit.
type Request struct {
	// URL is the endpoint, as for a diagnosis.
	URL string `json:"url"`
	// Origin is the page origin the server is meant to trust; the crafted
	// origins are built from it.
	Origin string `json:"origin"`
	// Stack, when set, is the stack to write the fix for instead of the
	// detected one.
	Stack remedy.StackID `json:"stack,omitempty"`
}

// Evidence is the response a finding rests on.
type Evidence struct {
	// Request is the request line sent: "GET URL" or "OPTIONS URL".
	Request string `json:"request"`
	Status  int    `json:"status"`
	// AllowOrigin, AllowCredentials and Vary are the response's values
	// (repeated lines joined by ", "), empty when absent.
	AllowOrigin      string `json:"allow_origin"`
	AllowCredentials string `json:"allow_credentials,omitempty"`
	Vary             string `json:"vary,omitempty"`
	// Summary says it in one line.
	Summary string `json:"summary"`
}

// Finding is one weakness.
type Finding struct {
	Reason     Reason   `json:"reason"`
	Severity   Severity `json:"severity"`
	OriginSent string   `json:"origin_sent"`
	Evidence   Evidence `json:"evidence"`
	// Credentials is true when the accepting response also said
	// Access-Control-Allow-Credentials: true.
	Credentials bool `json:"credentials"`
	// Also lists the other crafted origins accepted for the same reason.
	Also []string `json:"also,omitempty"`
	// Title, Risk and Fix say it in plain words.
	Title string `json:"title"`
	Risk  string `json:"risk"`
	Fix   string `json:"fix"`
}

// Probe is one request of the audit and what it found out.
type Probe struct {
	Origin    string `json:"origin"`
	Test      Test   `json:"test"`
	Preflight bool   `json:"preflight,omitempty"`
	Status    int    `json:"status,omitempty"`
	// AllowOrigin etc. are the response's values, "" when absent.
	AllowOrigin      string `json:"allow_origin,omitempty"`
	AllowCredentials string `json:"allow_credentials,omitempty"`
	Vary             string `json:"vary,omitempty"`
	// Accepted: exactly one ACAO line, equal to the origin sent.
	Accepted bool `json:"accepted"`
	// Credentialed: accepted, with ACAC exactly "true".
	Credentialed bool `json:"credentialed,omitempty"`
	// Error says why no response was read.
	Error string `json:"error,omitempty"`

	url string
}

// Report is an audit's result.
type Report struct {
	Engine     string    `json:"engine"`
	URL        string    `json:"url"`
	Origin     string    `json:"origin"`
	RanAt      time.Time `json:"ran_at"`
	DurationMS float64   `json:"duration_ms"`
	// Requests is how many requests were sent (at most MaxRequests).
	Requests int `json:"requests"`
	// Findings, worst first.
	Findings []Finding `json:"findings"`
	// Notes are observations that are not findings: a plain "*", the
	// page's own origin not allowed, probes that got no answer.
	Notes []string `json:"notes,omitempty"`
	// Stack is the stack the fix is written for.
	Stack diagnose.StackGuess `json:"stack"`
	// Fix is the stack-specific secure configuration: the page's origin
	// listed exactly, Vary: Origin, credentials only if the server
	// already allows them.
	Fix *remedy.Advice `json:"fix,omitempty"`
	// Probes are every request sent, in plan order.
	Probes []Probe `json:"probes"`
}

// Worst is the worst severity among the findings, "" when there are none.
func (r *Report) Worst() Severity {
	var w Severity
	for _, f := range r.Findings {
		if w == "" || f.Severity.rank() > w.rank() {
			w = f.Severity
		}
	}
	return w
}

// Failed reports whether a finding is medium or worse: the CLI's exit 1.
func (r *Report) Failed() bool {
	w := r.Worst()
	return w != "" && w.AtLeast(Medium)
}

// Config configures an Auditor.
type Config struct {
	// Dial opens connections: the server passes its target policy's
	// dialer; nil dials anything (the CLI), like diagnose.ProberConfig.
	Dial diagnose.DialFunc
	// TLSConfig is cloned for https targets (tests add their roots).
	TLSConfig *tls.Config
	// Timeout bounds each exchange; 0 is diagnose's default.
	Timeout time.Duration
	// Concurrency bounds the probes in flight; 0 is DefaultConcurrency.
	Concurrency int
}

// Auditor runs audits. It is safe for concurrent use.
type Auditor struct{ cfg Config }

// New returns an Auditor.
func New(cfg Config) *Auditor {
	if cfg.Dial == nil {
		cfg.Dial = targetpolicy.AllowAll().Dialer(&net.Dialer{}, nil)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	return &Auditor{cfg: cfg}
}

// errBudget is the dial error once an audit has spent MaxRequests.
var errBudget = fmt.Errorf("the audit's budget of %d requests is spent", MaxRequests)

// Audit validates req, sends the plan's probes and classifies the answers.
// The error is a *diagnose.InputError for bad input or a target the dial
// policy refuses (nothing further is sent then), or the context's error.
func (a *Auditor) Audit(ctx context.Context, req Request) (*Report, error) {
	start := time.Now()
	origin, err := diagnose.ParseOrigin(req.Origin)
	if err != nil {
		return nil, err
	}
	if origin == "null" {
		return nil, &diagnose.InputError{Field: "origin", Message: "the audit needs the origin the server is meant to trust; null is one of the origins it tries", Hint: "type the page's origin, e.g. https://app.example.com"}
	}
	norm, err := diagnose.Prepare(diagnose.Request{URL: req.URL, Origin: origin, Method: "GET"})
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(norm.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &diagnose.InputError{Field: "url", Message: "the audit needs an http:// or https:// URL"}
	}

	var sent atomic.Int64
	dial := a.cfg.Dial
	budgeted := func(ctx context.Context, network, address string) (net.Conn, error) {
		if sent.Add(1) > MaxRequests {
			sent.Add(-1)
			return nil, errBudget
		}
		return dial(ctx, network, address)
	}
	prober := diagnose.NewProber(diagnose.ProberConfig{
		Dial:        budgeted,
		TLSConfig:   a.cfg.TLSConfig,
		Limits:      diagnose.Limits{Timeout: a.cfg.Timeout},
		NoFollowups: true,
	})

	probes := plan(origin)
	results := make([]Probe, len(probes))
	reports := make([]*diagnose.Report, len(probes))
	run := func(i int) error {
		p := probes[i]
		rep, err := prober.Probe(ctx, diagnose.Request{
			URL: norm.URL, Origin: p.origin, Method: "GET",
			Credentials: diagnose.CredentialsInclude, UseCORSPreflight: p.preflight,
		})
		results[i] = Probe{Origin: p.origin, Test: p.test, Preflight: p.preflight}
		if err != nil {
			return err
		}
		reports[i] = rep
		results[i] = observe(p, rep)
		return nil
	}
	// The baseline goes first, alone: a target the policy refuses is
	// refused before anything else is sent.
	if err := run(0); err != nil {
		return nil, err
	}
	if err := runAll(ctx, a.cfg.Concurrency, len(probes)-1, func(i int) error { return run(i + 1) }); err != nil {
		return nil, err
	}

	rep := &Report{
		Engine: "corsdoctor/" + diagnose.Version, URL: norm.URL, Origin: origin,
		RanAt: start.UTC(), Probes: results, Requests: int(sent.Load()),
	}
	rep.Findings, rep.Notes = classify(origin, results)
	rep.Stack = chooseStack(reports, req.Stack)
	creds := false
	for _, p := range results {
		if p.Test == TestBaseline && p.Credentialed {
			creds = true
		}
	}
	advice := remedy.Advise(remedy.Request{
		Stack: rep.Stack.ID, Problem: remedy.ProblemPolicy, Path: u.Path,
		Policy: remedy.Policy{Origins: []string{origin}, Methods: []string{"GET"}, Credentials: creds},
	})
	rep.Fix = &advice
	rep.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// runAll calls f(0..n-1), at most conc at a time, and returns the first
// error (the others still finish: each is bounded by the exchange limits).
func runAll(ctx context.Context, conc, n int, f func(int) error) error {
	sem := make(chan struct{}, conc)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// observe reads a probe's answer: the preflight for a preflight probe, the
// actual request otherwise, at the URL asked for (hop 0).
func observe(p probe, rep *diagnose.Report) Probe {
	out := Probe{Origin: p.origin, Test: p.test, Preflight: p.preflight}
	kind := diagnose.StepActual
	if p.preflight {
		kind = diagnose.StepPreflight
	}
	for _, ex := range rep.Exchanges {
		if ex.Step.Kind != kind || ex.Step.Hop != 0 {
			continue
		}
		out.url = ex.Request.URL
		if ex.Response == nil {
			if ex.Error != nil {
				out.Error = ex.Error.Message
			}
			return out
		}
		r := ex.Response
		out.Status = r.Status
		acao := values(r, "Access-Control-Allow-Origin")
		out.AllowOrigin = strings.Join(acao, ", ")
		out.AllowCredentials = strings.Join(values(r, "Access-Control-Allow-Credentials"), ", ")
		out.Vary = strings.Join(values(r, "Vary"), ", ")
		out.Accepted = len(acao) == 1 && acao[0] == p.origin
		if p.preflight && (r.Status < 200 || r.Status > 299) {
			// A preflight passes only with an ok status, whatever its ACAO.
			out.Accepted = false
		}
		out.Credentialed = out.Accepted && out.AllowCredentials == "true"
		return out
	}
	out.Error = "no response was read"
	return out
}

// values returns the values of every line of the named header, in order;
// browsers compare them byte for byte, so nothing is trimmed but the
// optional whitespace the parser already removed.
func values(r *diagnose.Response, name string) []string {
	var out []string
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

// chooseStack is the stack to write the fix for: the chosen one, or the
// best detection among the probes' root causes (refused crafted origins
// give middleware their chance to show their fingerprints).
func chooseStack(reports []*diagnose.Report, chosen remedy.StackID) diagnose.StackGuess {
	rank := map[string]int{"high": 3, "medium": 2, "low": 1}
	var best diagnose.StackGuess
	for _, r := range reports {
		if r == nil || r.RootCause == nil {
			continue
		}
		g := r.RootCause.Stack
		if g.ID != "" && rank[g.Confidence] > rank[best.Confidence] {
			best = g
		}
	}
	if best.ID == "" {
		st, _ := remedy.LookupStack(remedy.Unknown)
		best = diagnose.StackGuess{ID: st.ID, Name: st.Name, Confidence: "none"}
	}
	if chosen != "" {
		st, _ := remedy.LookupStack(chosen)
		return diagnose.StackGuess{ID: st.ID, Name: st.Name, Confidence: best.Confidence, Chosen: true, Detected: best.ID, Verified: st.Verified}
	}
	if st, ok := remedy.LookupStack(best.ID); ok {
		best.Verified = st.Verified
	}
	return best
}
