package realstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"text/template"
	"time"

	"corsdoctor/browsertest"
	"corsdoctor/diagnose"
	"corsdoctor/remedy"
)

// places are the snippet places each stack's app has (remedy.Advise's
// table); a part anywhere else cannot be applied.
var places = map[remedy.StackID][]string{
	remedy.Nginx:             {"http", "location"},
	remedy.Apache:            {"server"},
	remedy.Caddy:             {"site"},
	remedy.ExpressCors:       {"app"},
	remedy.FastifyCors:       {"app"},
	remedy.FlaskCors:         {"app"},
	remedy.DjangoCorsHeaders: {"settings"},
	remedy.Starlette:         {"app"},
	remedy.RsCors:            {"imports", "code"},
	remedy.GoChiCors:         {"imports", "code"},
	remedy.GorillaHandlers:   {"imports", "code"},
	remedy.GoNetHTTP:         {"imports", "code"},
}

// evilOrigin is the unrelated site that must never read a credentialed
// response from a fixed server.
const evilOrigin = "https://evil.example"

// outcome is everything the suite learnt about one case.
type outcome struct {
	c    *Case
	errs []string // every failed expectation, for the case's subtest
	// diagErrs are the diagnosis's differences from the case's expected
	// stack, problem and side.
	diagErrs []string

	broken   *server
	brokenP  *process
	request  pageRequest // the page's request as catalogued
	brokenRp *diagnose.Report

	diagnosisOK bool     // blocked, and stack, problem and side as expected
	diagnosis   string   // what corsdoctor said, in short
	fixSource   string   // engine, remedy (no root cause: remedy.Advise), reference
	fixWhere    string   // server or client, as applied
	fixed       *server  // server fixes
	fixedP      *process // the server the fixed request goes to
	fixedReq    pageRequest
	snippet     string

	cdAllowed     bool            // corsdoctor allows the fixed request
	browserAllows map[string]bool // per browser, the fixed request resolved
	brokenBlocked map[string]bool // per browser, the broken request rejected
	otherBlocked  map[string]bool // per browser, another origin's credentialed request rejected
	evilBlocked   bool            // corsdoctor blocks evil.example in both browsers
}

// diagErrorf records a diagnosis that names another stack, problem or side
// than the case expects: a failure.
func (o *outcome) diagErrorf(format string, args ...any) {
	o.diagErrs = append(o.diagErrs, fmt.Sprintf(format, args...))
}

func (o *outcome) errorf(format string, args ...any) {
	o.errs = append(o.errs, fmt.Sprintf(format, args...))
}

// suite holds what all cases share.
type suite struct {
	t       *testing.T
	ctx     context.Context
	env     *env
	base    string // temp dir for server files
	prober  *diagnose.Prober
	useRef  bool // CORSDOCTOR_REALSTACK_FIX=reference
	mu      sync.Mutex
	servers []*process
	gen     string // this run's generated Go apps, under genDir
	// startTimes adds up, per stack, how long its servers took to start.
	startTimes map[remedy.StackID]time.Duration
}

// TestRealStacks is the proof of issue 9: real servers, real
// misconfigurations, corsdoctor's diagnosis and fix, real browsers.
func TestRealStacks(t *testing.T) {
	if testing.Short() {
		t.Skip("real-server suite skipped in -short mode")
	}
	start := time.Now()
	ci := os.Getenv("CI") == "true"
	browsers := []string{browsertest.Chromium, browsertest.Firefox}
	for _, b := range browsers {
		browsertest.Require(t, b)
	}
	cases := casesFor(os.Getenv("CORSDOCTOR_REALSTACK"))
	if len(cases) == 0 {
		t.Fatalf("CORSDOCTOR_REALSTACK=%q matches no case", os.Getenv("CORSDOCTOR_REALSTACK"))
	}
	// Stacks whose tools are missing: skipped, or a failure under CI.
	missing := map[remedy.StackID]error{}
	for _, c := range cases {
		def := stacks[c.Stack]
		if _, seen := missing[c.Stack]; seen || def == nil {
			continue
		}
		if err := def.check(); err != nil {
			missing[c.Stack] = err
			if ci {
				t.Errorf("CI=true and %s is missing (scripts/ensure-stacks.sh should have installed %s): %v", c.Stack, def.tool, err)
			} else {
				t.Logf("skipping %s cases: %s is not available (run scripts/ensure-stacks.sh): %v", c.Stack, def.tool, err)
			}
		} else {
			missing[c.Stack] = nil
		}
	}
	cases = slices.DeleteFunc(cases, func(c *Case) bool { return missing[c.Stack] != nil })
	if len(cases) == 0 {
		t.Skip("no stack available")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	base, err := os.MkdirTemp("", "realstack-")
	if err != nil {
		t.Fatal(err)
	}
	// Workers that drop root (nginx, Apache) must reach their files.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &suite{
		t: t, ctx: ctx, base: base,
		prober:     diagnose.NewProber(diagnose.ProberConfig{Limits: diagnose.Limits{Timeout: 5 * time.Second}}),
		useRef:     os.Getenv("CORSDOCTOR_REALSTACK_FIX") == "reference",
		startTimes: map[remedy.StackID]time.Duration{},
	}
	// This run's Go apps: _gen/<run>/<phase>/<case>, kept after a failure.
	s.gen = filepath.Join(genDir, filepath.Base(base))
	t.Cleanup(func() {
		s.stopAll()
		os.RemoveAll(base)
		if !t.Failed() {
			os.RemoveAll(s.gen)
			os.Remove(genDir) // only when no other run's apps are left
		}
	})
	page, other := newPage(), newPage()
	t.Cleanup(page.Close)
	t.Cleanup(other.Close)
	s.env = &env{Page: page.URL, PagePort: portOf(page.URL)}
	plain := newUpstream(nil)
	t.Cleanup(plain.Close)
	withCORS := newUpstream(func() string { return s.env.Page })
	t.Cleanup(withCORS.Close)
	s.env.Upstream, s.env.CORSUpstream = plain.URL, withCORS.URL
	outs := make([]*outcome, len(cases))
	for i, c := range cases {
		outs[i] = &outcome{c: c, request: pageRequest{
			URL: "", Method: c.method(), Headers: c.Headers, Credentials: c.credentials(),
		}, browserAllows: map[string]bool{}, brokenBlocked: map[string]bool{}, otherBlocked: map[string]bool{}}
	}

	// 1. The broken servers, and corsdoctor's diagnosis of each.
	t0 := time.Now()
	s.startPhase("broken", outs, func(o *outcome) *server {
		return &server{c: o.c, env: s.env}
	}, func(o *outcome, srv *server, p *process) {
		o.broken, o.brokenP = srv, p
		o.request.URL = fmt.Sprintf("http://127.0.0.1:%d%s", p.port, o.c.path())
	})
	tBroken := time.Since(t0)
	t0 = time.Now()
	parallel(4, outs, func(o *outcome) {
		if o.brokenP == nil {
			return
		}
		s.diagnoseBroken(o)
	})
	tDiag := time.Since(t0)

	// 2. The fixed servers (client fixes keep the broken server).
	t0 = time.Now()
	s.startPhase("fixed", outs, func(o *outcome) *server {
		if o.fixed == nil {
			return nil
		}
		return o.fixed
	}, func(o *outcome, srv *server, p *process) {
		o.fixedP = p
		o.fixedReq.URL = fmt.Sprintf("http://127.0.0.1:%d%s", p.port, strings.TrimPrefix(o.fixedReq.URL, "{{base}}"))
	})
	tFixed := time.Since(t0)
	t0 = time.Now()
	parallel(4, outs, func(o *outcome) {
		if o.fixedP == nil {
			return
		}
		s.probeFixed(o)
	})
	tProbe := time.Since(t0)

	// 3. The browsers: the broken request, the fixed one, and the fixed
	// server from another origin with credentials; one run per browser.
	t0 = time.Now()
	// Every browser job costs about a second and a half, so the browsers
	// see every fixed request, but another origin's credentialed request
	// only once per stack, on a credentialed fix when there is one (a
	// stack's snippets share their shape; corsdoctor checks evil.example
	// against every case),
	// and the broken requests only with CORSDOCTOR_REALSTACK_BROKEN=1
	// (corsdoctor's verdict on them is checked for every case, and the
	// differential suite holds corsdoctor to the browsers).
	brokenJobs := os.Getenv("CORSDOCTOR_REALSTACK_BROKEN") == "1"
	otherJob := map[*outcome]bool{}
	pick := map[remedy.StackID]*outcome{}
	for _, o := range outs {
		if o.fixedP == nil {
			continue
		}
		if p := pick[o.c.Stack]; p == nil || p.fixedReq.Credentials != "include" && o.fixedReq.Credentials == "include" {
			pick[o.c.Stack] = o
		}
	}
	for _, o := range pick {
		otherJob[o] = true
	}
	var wg sync.WaitGroup
	versions := map[string]string{}
	var vmu sync.Mutex
	results := map[string]map[string]browsertest.Result{}
	for _, b := range browsers {
		results[b] = map[string]browsertest.Result{}
		var jobs []browsertest.Job
		for _, o := range outs {
			if o.brokenP != nil && brokenJobs {
				jobs = append(jobs, browsertest.Job{ID: "broken/" + o.c.Name, PageURL: page.URL + "/", Fetch: o.request.fetch()})
			}
			if o.fixedP != nil {
				jobs = append(jobs, browsertest.Job{ID: "fixed/" + o.c.Name, PageURL: page.URL + "/", Fetch: o.fixedReq.fetch()})
				if otherJob[o] {
					evil := o.fixedReq
					evil.Credentials = "include"
					jobs = append(jobs, browsertest.Job{ID: "other/" + o.c.Name, PageURL: other.URL + "/", Fetch: evil.fetch()})
				}
			}
		}
		// One harness run per browser: each job's new browser context costs
		// about a second of CPU, so more browser processes do not help on
		// two cores.
		for _, shard := range shards(jobs, harnessShards) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rep, err := browsertest.Runner{JobTimeout: 8 * time.Second, Settle: 50 * time.Millisecond}.Run(ctx, b, shard)
				if err != nil {
					t.Errorf("%s harness: %v", b, err)
					return
				}
				vmu.Lock()
				defer vmu.Unlock()
				versions[b] = rep.Version
				for _, r := range rep.Results {
					results[b][r.ID] = r
				}
			}()
		}
	}
	wg.Wait()
	tBrowsers := time.Since(t0)
	for _, b := range browsers {
		byID := results[b]
		for _, o := range outs {
			if r, ok := byID["broken/"+o.c.Name]; ok {
				o.brokenBlocked[b] = rejected(r)
				if !rejected(r) {
					o.errorf("catalogue: %s does not block the broken request (%s): the case is not a real misconfiguration", b, describe(r))
				}
			}
			if r, ok := byID["fixed/"+o.c.Name]; ok {
				o.browserAllows[b] = resolved(r)
				if !resolved(r) {
					o.errorf("fix (%s): %s still blocks the request after the fix: %s%s", o.fixSource, b, describe(r), consoleLines(r))
				}
			}
			if r, ok := byID["other/"+o.c.Name]; ok {
				o.otherBlocked[b] = rejected(r)
				if !rejected(r) {
					o.errorf("security: after the fix, %s lets page %s read a credentialed response (%s)", b, other.URL, describe(r))
				}
			}
		}
	}

	// 4. Per case, then the table.
	for _, o := range outs {
		t.Run(o.c.Name, func(t *testing.T) {
			for _, e := range o.errs {
				t.Error(e)
			}
			for _, e := range o.diagErrs {
				t.Error(e)
			}
			if t.Failed() {
				t.Logf("request: %s %s credentials=%s headers=%v; corsdoctor said: %s", o.request.Method, o.request.URL, o.request.Credentials, o.request.Headers, o.diagnosis)
				if o.snippet != "" {
					t.Logf("applied fix (%s, %s):\n%s", o.fixSource, o.fixWhere, o.snippet)
				}
			}
		})
	}
	table := s.table(outs, versions)
	timing := fmt.Sprintf("timing: broken servers %v, diagnoses %v, fixed servers %v, probes %v, browsers %v, total %v\n",
		tBroken.Round(time.Millisecond), tDiag.Round(time.Millisecond), tFixed.Round(time.Millisecond),
		tProbe.Round(time.Millisecond), tBrowsers.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	var starts []string
	for id, d := range s.startTimes {
		starts = append(starts, fmt.Sprintf("%s %v", id, d.Round(10*time.Millisecond)))
	}
	sort.Strings(starts)
	timing += "server start-up, summed per stack: " + strings.Join(starts, ", ") + "\n"
	t.Log("\n" + table + timing)
	if dir := os.Getenv("CORSDOCTOR_REPORT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "realstack.txt"), []byte(table+timing), 0o644)
	}
}

// diagnoseBroken probes the broken server, checks the diagnosis against
// the case, and chooses the fix to apply.
func (s *suite) diagnoseBroken(o *outcome) {
	c := o.c
	rep, err := s.prober.Probe(s.ctx, o.request.probe(s.env.Page))
	if err != nil {
		o.errorf("corsdoctor: %v", err)
		return
	}
	o.brokenRp = rep
	dump(c.Name, "broken-report.json", rep)
	if !rep.Blocked() {
		o.errorf("diagnosis: corsdoctor allows the broken request (firefox %s, chromium %s)", rep.Verdict.Firefox, rep.Verdict.Chromium)
	}
	rc := rep.RootCause
	o.diagnosisOK = rep.Blocked()
	if rc == nil {
		o.diagnosisOK = false
		o.diagnosis = "no root cause"
		if !s.useRef {
			o.errorf("diagnosis: the report has no root_cause (want stack %s, problem %s, fix on the %s)", c.Stack, c.Problems[0], whereText(c.Where))
		}
	} else {
		o.diagnosis = fmt.Sprintf("stack %s (%s), layer %s, problem %s, fix on the %s", rc.Stack.ID, rc.Stack.Confidence, rc.Layer, rc.Problem, rc.Fix.Where)
		if rc.Stack.ID != c.Stack && !slices.Contains(c.AlsoStacks, rc.Stack.ID) {
			o.diagnosisOK = false
			o.diagErrorf("diagnosis: stack %s, want %s (evidence: %s)", rc.Stack.ID, c.Stack, strings.Join(rc.Stack.Evidence, "; "))
		}
		if !slices.Contains(c.Problems, rc.Problem) {
			o.diagnosisOK = false
			o.diagErrorf("diagnosis: problem %q, want %s (summary: %s)", rc.Problem, strings.Join(c.Problems, " or "), rc.Summary)
		}
		if c.Where != "" && rc.Fix.Where != c.Where {
			o.diagnosisOK = false
			o.diagErrorf("diagnosis: fix on the %s, want the %s", rc.Fix.Where, c.Where)
		}
	}
	s.chooseFix(o, rc)
}

func whereText(w string) string {
	if w == "" {
		return "server or client"
	}
	return w
}

// chooseFix sets the fixed server or the fixed request: the engine's fix
// when there is a root cause, else remedy.Advise for the expected stack and
// problem (so the snippets are proven even before detection works), or the
// suite's reference fix when CORSDOCTOR_REALSTACK_FIX=reference.
func (s *suite) chooseFix(o *outcome, rc *diagnose.RootCause) {
	c := o.c
	var parts []remedy.Part
	switch {
	case s.useRef || rc == nil:
		where := c.Where
		if where == "" {
			where = onServer
		}
		o.fixWhere = where
		if where == onClient {
			o.fixSource = "reference"
			r := o.request
			c.ClientFix(&r)
			o.fixedReq = r
			break
		}
		pol := referencePolicy(o.request, s.env.Page)
		if s.useRef {
			o.fixSource = "reference"
			var err error
			if parts, err = referenceParts(c.Stack, pol, c.Problems[0]); err != nil {
				o.errorf("fix: %v", err)
				return
			}
		} else {
			o.fixSource = "remedy"
			adv := remedy.Advise(remedy.Request{Stack: c.Stack, Problem: remedy.Problem(c.Problems[0]), Policy: pol, Path: c.path()})
			parts = adv.Snippet.Parts
			o.snippet = adv.Snippet.Code
		}
	default:
		o.fixSource = "engine"
		o.fixWhere = rc.Fix.Where
		o.snippet = rc.Fix.Snippet.Code
		if rc.Stack.ID != c.Stack && !slices.Contains(c.AlsoStacks, rc.Stack.ID) {
			// A snippet for another stack cannot be applied to this one:
			// re-explain the same report for the real stack (as a user
			// who picks the stack does), so the snippet is tested even
			// when detection is wrong.
			if again := diagnose.Explain(o.brokenRp, c.Stack); again != nil {
				rc = again
				o.fixSource = "engine, stack chosen"
				o.fixWhere = rc.Fix.Where
				o.snippet = rc.Fix.Snippet.Code
			}
		}
		switch rc.Fix.Where {
		case onClient:
			if rc.Fix.Request == nil {
				o.errorf("fix: a client fix without fix.request")
				return
			}
			o.fixedReq = fromDiagnose(rc.Fix.Request)
			o.snippet = fmt.Sprintf("fetch(%q, {method: %q, headers: %v, credentials: %q})", o.fixedReq.URL, o.fixedReq.Method, o.fixedReq.Headers, o.fixedReq.Credentials)
		case onServer:
			parts = rc.Fix.Snippet.Parts
		default:
			o.errorf("fix: fix.where is %q", rc.Fix.Where)
			return
		}
	}
	if o.fixWhere == onClient {
		o.fixedP = o.brokenP
		return
	}
	if len(parts) == 0 {
		o.errorf("fix (%s): the snippet has no parts to apply", o.fixSource)
		return
	}
	byPlace := map[string][]string{}
	for _, p := range parts {
		if !slices.Contains(places[c.Stack], p.Where) {
			o.errorf("fix (%s): snippet part for place %q, which %s does not have (places: %s)", o.fixSource, p.Where, c.Stack, strings.Join(places[c.Stack], ", "))
			continue
		}
		byPlace[p.Where] = append(byPlace[p.Where], p.Code)
	}
	o.fixed = &server{c: c, env: s.env, fixed: true, parts: byPlace}
	o.fixedReq = o.request
	o.fixedReq.URL = "{{base}}" + c.path()
}

// probeFixed checks the fixed request through corsdoctor, and that
// evil.example cannot read credentialed responses from the fixed server.
func (s *suite) probeFixed(o *outcome) {
	rep, err := s.prober.Probe(s.ctx, o.fixedReq.probe(s.env.Page))
	if err != nil {
		o.errorf("corsdoctor (fixed): %v", err)
		return
	}
	o.cdAllowed = !rep.Blocked()
	dump(o.c.Name, "fixed-report.json", rep)
	if rep.Blocked() {
		o.errorf("fix (%s): corsdoctor still blocks the request (firefox %s, chromium %s): %s", o.fixSource, rep.Verdict.Firefox, rep.Verdict.Chromium, firstFinding(rep))
	}
	o.evilBlocked = true
	for _, m := range slices.Compact([]string{"GET", o.fixedReq.Method}) {
		r := o.fixedReq
		r.Method, r.Credentials = m, "include"
		if m == "GET" {
			r.Headers = nil
		}
		rep, err := s.prober.Probe(s.ctx, r.probe(evilOrigin))
		if err != nil {
			o.errorf("corsdoctor (evil): %v", err)
			o.evilBlocked = false
			continue
		}
		if rep.Verdict.Firefox != diagnose.Blocked || rep.Verdict.Chromium != diagnose.Blocked {
			o.evilBlocked = false
			o.errorf("security: after the fix, %s with credentials from %s is allowed (firefox %s, chromium %s)", m, evilOrigin, rep.Verdict.Firefox, rep.Verdict.Chromium)
		}
	}
}

// dump writes v (bytes, or JSON) to $CORSDOCTOR_REALSTACK_DUMP/<case>/name
// when that variable is set: the reports and the rendered apps, for
// debugging a case and for reading the real servers' fingerprints.
func dump(caseName, name string, v any) {
	dir := os.Getenv("CORSDOCTOR_REALSTACK_DUMP")
	if dir == "" {
		return
	}
	data, ok := v.([]byte)
	if !ok {
		var err error
		if data, err = json.MarshalIndent(v, "", "  "); err != nil {
			return
		}
	}
	dir = filepath.Join(dir, caseName)
	if os.MkdirAll(dir, 0o755) == nil {
		_ = os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
}

func firstFinding(rep *diagnose.Report) string {
	for _, f := range rep.Findings {
		if f.Severity == "error" {
			return fmt.Sprintf("%s at %s: %s", f.Reason, f.Step.Kind, f.Title)
		}
	}
	return "(no error finding)"
}

// startPhase renders, builds and starts one server per outcome that
// spec returns a server for, and hands each to done.
func (s *suite) startPhase(phase string, outs []*outcome, spec func(*outcome) *server, done func(*outcome, *server, *process)) {
	type job struct {
		o   *outcome
		srv *server
	}
	var jobs []job
	for _, o := range outs {
		if srv := spec(o); srv != nil {
			jobs = append(jobs, job{o, srv})
		}
	}
	// Render everything; Go apps go to _gen/<phase>/<case> in the module.
	var goJobs []job
	for _, j := range jobs {
		def := stacks[j.o.c.Stack]
		port, err := freePort()
		if err != nil {
			s.t.Fatal(err)
		}
		j.srv.port = port
		if def.isGo {
			j.srv.dir = filepath.Join(s.gen, phase, j.o.c.Name)
		} else {
			j.srv.dir = filepath.Join(s.base, phase, j.o.c.Name)
		}
		if err := j.srv.write(def); err != nil {
			j.o.errorf("%s: render %s app: %v", phase, j.o.c.Stack, err)
			j.srv.dir = ""
			continue
		}
		for name := range def.files {
			if data, err := os.ReadFile(filepath.Join(j.srv.dir, name)); err == nil {
				dump(j.o.c.Name, phase+"-"+name, data)
			}
		}
		if def.isGo {
			goJobs = append(goJobs, j)
		}
	}
	if len(goJobs) > 0 {
		var apps []goPackage
		for _, j := range goJobs {
			apps = append(apps, goPackage{Name: j.o.c.Name, Dir: filepath.ToSlash(j.srv.dir)})
		}
		bin := filepath.Join(s.base, "go-"+phase)
		t0 := time.Now()
		failed := s.goBuild(filepath.Join(s.gen, phase, "server"), bin, apps)
		s.startTimes["(go build)"] += time.Since(t0)
		for _, j := range goJobs {
			if msg, bad := failed[j.o.c.Name]; bad {
				j.o.errorf("%s: the Go app does not compile:\n%s", phase, msg)
				j.srv.dir = ""
				continue
			}
			j.srv.binary = bin
		}
	}
	// Bundled apps: one host process per kind, then wait for each app.
	bundled := map[string][]job{}
	var own []job
	for _, j := range jobs {
		if b := stacks[j.o.c.Stack].bundle; b != "" && j.srv.dir != "" {
			bundled[b] = append(bundled[b], j)
		} else {
			own = append(own, j)
		}
	}
	for kind, group := range bundled {
		b := bundles[kind]
		launcher := filepath.Join(s.base, phase, b.file)
		if err := os.WriteFile(launcher, []byte(b.text), 0o644); err != nil {
			s.t.Fatal(err)
		}
		var apps []*server
		for _, j := range group {
			apps = append(apps, j.srv)
		}
		t0 := time.Now()
		host, err := startHost(kind+" host ("+phase+")", b.launch(launcher, apps))
		if err != nil {
			for _, j := range group {
				j.o.errorf("%s: %v", phase, err)
			}
			continue
		}
		s.mu.Lock()
		s.servers = append(s.servers, host)
		s.mu.Unlock()
		parallel(len(group), group, func(j job) {
			p, err := startApp(s.ctx, host, string(j.o.c.Stack)+" "+j.o.c.Name, j.srv.port, failMarker(j.srv.dir))
			if err != nil {
				j.o.errorf("%s: %v", phase, err)
				return
			}
			done(j.o, j.srv, p)
		})
		s.mu.Lock()
		s.startTimes[remedy.StackID(kind+" host")] += time.Since(t0)
		s.mu.Unlock()
	}
	parallel(4, own, func(j job) {
		if j.srv.dir == "" {
			return
		}
		t0 := time.Now()
		p, err := s.start(j.srv)
		s.mu.Lock()
		s.startTimes[j.o.c.Stack] += time.Since(t0)
		s.mu.Unlock()
		if err != nil {
			j.o.errorf("%s: %v", phase, err)
			return
		}
		done(j.o, j.srv, p)
	})
}

// genDir holds the generated Go apps: inside the module, so that they build
// with its go.mod, and ignored by ./... patterns (leading underscore).
const genDir = "_gen"

// goPackage is one generated Go app.
type goPackage struct{ Name, Dir string }

// goBuild links every app into one server binary with one `go build`.
// When an app does not compile, it is left out and the server rebuilt;
// the failures are returned by case name.
func (s *suite) goBuild(mainDir, bin string, apps []goPackage) map[string]string {
	failed := map[string]string{}
	tmpl := template.Must(template.New("server").Parse(goServer))
	for len(apps) > 0 {
		var b strings.Builder
		if err := tmpl.Execute(&b, apps); err != nil {
			s.t.Fatal(err)
		}
		if err := os.MkdirAll(mainDir, 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mainDir, "main.go"), []byte(b.String()), 0o644); err != nil {
			s.t.Fatal(err)
		}
		out, err := exec.CommandContext(s.ctx, "go", "build", "-o", bin, "./"+filepath.ToSlash(mainDir)).CombinedOutput()
		if err == nil {
			return failed
		}
		// "# corsdoctor/realstack/_gen/<run>/<phase>/<case>" heads each
		// package's errors.
		var still []goPackage
		for _, a := range apps {
			re := regexp.MustCompile(`(?m)^# corsdoctor/realstack/` + regexp.QuoteMeta(a.Dir) + `\n((?:[^#].*\n?)*)`)
			if m := re.FindSubmatch(out); m != nil {
				failed[a.Name] = tailString(string(m[1]), 2000)
				continue
			}
			still = append(still, a)
		}
		if len(still) == len(apps) {
			for _, a := range apps {
				failed[a.Name] = tailString(string(out), 2000)
			}
			return failed
		}
		apps = still
	}
	return failed
}

// start launches srv, retrying once with a new port when the server
// exits before listening (another process took the port).
func (s *suite) start(srv *server) (*process, error) {
	def := stacks[srv.c.Stack]
	for attempt := 0; ; attempt++ {
		p, err := startProcess(s.ctx, string(srv.c.Stack)+" "+srv.c.Name, srv.port, def.launch(srv))
		if err == nil {
			s.mu.Lock()
			s.servers = append(s.servers, p)
			s.mu.Unlock()
			return p, nil
		}
		if attempt > 0 || !isExited(err) || def.isGo && !strings.Contains(err.Error(), "address already in use") {
			return nil, err
		}
		port, perr := freePort()
		if perr != nil {
			return nil, errors.Join(err, perr)
		}
		srv.port = port
		if !def.isGo {
			if werr := srv.write(def); werr != nil {
				return nil, errors.Join(err, werr)
			}
		}
	}
}

func (s *suite) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	parallel(8, s.servers, func(p *process) { p.stop() })
	s.servers = nil
}

// harnessShards is how many browser processes of each kind share the jobs
// (CORSDOCTOR_REALSTACK_SHARDS overrides it).
var harnessShards = 1

func init() {
	if v, err := strconv.Atoi(os.Getenv("CORSDOCTOR_REALSTACK_SHARDS")); err == nil && v > 0 {
		harnessShards = v
	}
}

// shards splits jobs into at most n runs of similar size.
func shards[T any](jobs []T, n int) [][]T {
	n = min(n, len(jobs))
	out := make([][]T, n)
	for i, j := range jobs {
		out[i%n] = append(out[i%n], j)
	}
	return out
}

// parallel runs f on every item, at most n at a time.
func parallel[T any](n int, items []T, f func(T)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(it)
		}()
	}
	wg.Wait()
}

func resolved(r browsertest.Result) bool {
	return r.HarnessError == "" && !r.TimedOut && r.Resolved
}

func rejected(r browsertest.Result) bool {
	return r.HarnessError == "" && !r.TimedOut && !r.Resolved
}

func describe(r browsertest.Result) string {
	switch {
	case r.HarnessError != "":
		return "harness error: " + r.HarnessError
	case r.TimedOut:
		return "timed out"
	case r.Resolved:
		return fmt.Sprintf("resolved, status %d", r.Status)
	}
	return "rejected: " + r.Error
}

func consoleLines(r browsertest.Result) string {
	var lines []string
	for _, m := range r.Console {
		if m.Source == "issue" {
			continue
		}
		lines = append(lines, "\n    "+m.Text)
	}
	return strings.Join(lines, "")
}

func portOf(u string) int {
	i := strings.LastIndexByte(u, ':')
	var p int
	fmt.Sscanf(u[i+1:], "%d", &p)
	return p
}

// table is the per-stack report: how often corsdoctor's diagnosis was
// right, and the rate "fix applied → browsers allow".
func (s *suite) table(outs []*outcome, versions map[string]string) string {
	type row struct {
		cases, diag, cd, chromium, firefox, both, secure int
	}
	rows := map[remedy.StackID]*row{}
	var ids []string
	var total row
	for _, o := range outs {
		r := rows[o.c.Stack]
		if r == nil {
			r = &row{}
			rows[o.c.Stack] = r
			ids = append(ids, string(o.c.Stack))
		}
		for _, x := range []*row{r, &total} {
			x.cases++
			if o.diagnosisOK {
				x.diag++
			}
			if o.cdAllowed {
				x.cd++
			}
			if o.browserAllows[browsertest.Chromium] {
				x.chromium++
			}
			if o.browserAllows[browsertest.Firefox] {
				x.firefox++
			}
			if o.browserAllows[browsertest.Chromium] && o.browserAllows[browsertest.Firefox] {
				x.both++
			}
			otherOK := len(o.otherBlocked) == 0 || o.otherBlocked[browsertest.Chromium] && o.otherBlocked[browsertest.Firefox]
			if o.evilBlocked && otherOK {
				x.secure++
			}
		}
	}
	sort.Strings(ids)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "stack\tcases\tdiagnosis right\tfix → corsdoctor allows\tfix → chromium\tfix → firefox\tfix → browsers allow\tother origins still blocked")
	line := func(name string, r *row) {
		fmt.Fprintf(tw, "%s\t%d\t%d/%d\t%d/%d\t%d/%d\t%d/%d\t%d/%d (%s)\t%d/%d\n", name, r.cases,
			r.diag, r.cases, r.cd, r.cases, r.chromium, r.cases, r.firefox, r.cases, r.both, r.cases, pct(r.both, r.cases), r.secure, r.cases)
	}
	for _, id := range ids {
		line(id, rows[remedy.StackID(id)])
	}
	line("all", &total)
	tw.Flush()
	var cases []string
	for _, o := range outs {
		mark := "ok"
		switch {
		case len(o.errs) > 0 || len(o.diagErrs) > 0:
			mark = fmt.Sprintf("%d problem(s)", len(o.errs)+len(o.diagErrs))
		}
		cases = append(cases, fmt.Sprintf("  %-48s %-6s fix from %-9s %s", o.c.Name, mark, o.fixSource, o.diagnosis))
	}
	src := "the engine's root cause"
	if s.useRef {
		src = "the suite's reference fixes (CORSDOCTOR_REALSTACK_FIX=reference)"
	}
	return fmt.Sprintf("real stacks: fixes from %s; %s, %s\n%s\n%s\n", src,
		versions[browsertest.Chromium], versions[browsertest.Firefox], b.String(), strings.Join(cases, "\n"))
}

func pct(n, d int) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f %%", 100*float64(n)/float64(d))
}
