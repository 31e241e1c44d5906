package contract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"corsdoctor/diagnose"
)

// Limits on a policy file, so a typo in a matrix cannot start a million
// probes and a hostile file cannot exhaust memory.
const (
	MaxFileBytes = 1 << 20 // 1 MiB
	MaxCases     = 2000    // after matrix expansion
	maxErrors    = 20      // errors reported per file; the rest are counted
)

// Policy is a parsed policy file with its matrices expanded into cases.
type Policy struct {
	File  string // the name errors and reports use
	Cases []Case
}

// Case is one fetch() and what each browser must do with it.
type Case struct {
	Name string
	// Line is where the case (or the matrix that produced it) starts.
	Line    int
	Request diagnose.Request
	// Expect is keyed by browser; browsers it does not name are not
	// checked. Nil when the file gave no expectation (allowed only when
	// recording).
	Expect Expect
	prep   diagnose.Prepared
}

// Prepared returns the validated request the case probes.
func (c Case) Prepared() diagnose.Prepared { return c.prep }

// Expect is what a case expects of each browser, keyed by browser name.
type Expect map[string]BrowserExpect

// BrowserExpect is one browser's expected outcome.
type BrowserExpect struct {
	Verdict diagnose.Outcome `json:"verdict"`
	// Reason is the reason ID of the error the browser prints (Firefox's
	// IDs, diagnose/reasons.go); empty means any.
	Reason string `json:"reason,omitempty"`
	// Exposed lists response headers page JavaScript must be able to read
	// (others may be readable too).
	Exposed []string `json:"exposed,omitempty"`
}

// Options tune Parse.
type Options struct {
	// NoExpect allows cases without expect (recording writes them).
	NoExpect bool
}

// ParseError is a mistake in a policy file, located by line.
type ParseError struct {
	File string
	Line int    // 1-based; 0 when the file as a whole is wrong
	Path string // e.g. cases[2].expect
	Msg  string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ParseErrors returns every *ParseError in err (Parse joins them).
func ParseErrors(err error) []*ParseError {
	var out []*ParseError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *ParseError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
	return out
}

// KnownBrowsers lists the browsers a policy file may name: the engine's
// judged browsers, and any other its report's verdict object carries.
func KnownBrowsers() []string {
	var out []string
	for _, b := range diagnose.Browsers {
		out = append(out, string(b))
	}
	var extra []string
	for b := range perBrowser[diagnose.Outcome](diagnose.Verdicts{}) {
		if !slices.Contains(out, b) {
			extra = append(extra, b)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// Parse reads a policy file. file names it in errors. Every mistake is a
// *ParseError with its line; several are joined (see ParseErrors).
func Parse(file string, data []byte, opt Options) (*Policy, error) {
	p := &parser{file: file}
	pol := p.parse(data, opt)
	if len(p.errs) > 0 {
		errs := p.errs
		if p.dropped > 0 {
			errs = append(errs, &ParseError{File: file, Msg: fmt.Sprintf("and %d more errors", p.dropped)})
		}
		return nil, errors.Join(errs...)
	}
	return pol, nil
}

type parser struct {
	file    string
	errs    []error
	dropped int
}

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	if len(p.errs) >= maxErrors {
		p.dropped++
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &ParseError{File: p.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// field is a scalar value with the line it came from.
type field struct {
	val  string
	line int
	set  bool
}

// spec is a case, a matrix entry or the defaults, before merging.
type spec struct {
	path                                    string // cases[2], matrix[0], defaults
	line                                    int
	name                                    field
	url                                     field
	endpt                                   field
	origin, method, credentials, mode, body field
	usePreflight                            field
	headers                                 []hdr
	headersLine                             int
	expect                                  Expect
	expectLine                              int
	expectSet                               bool
}

// hdr is a header as written; remove marks a null value, which drops a
// default header of that name.
type hdr struct {
	diagnose.Header
	remove bool
}

var (
	topKeys     = []string{"origin", "base_url", "endpoints", "defaults", "cases", "matrix"}
	caseKeys    = []string{"name", "url", "endpoint", "origin", "method", "headers", "credentials", "mode", "body", "use_preflight", "expect"}
	defaultKeys = []string{"endpoint", "origin", "method", "headers", "credentials", "mode", "body", "use_preflight", "expect"}
	matrixKeys  = []string{"name", "mode", "body", "use_preflight", "expect", "where", "origins", "methods", "headers", "credentials", "endpoints", "paths"}
	whereKeys   = []string{"origin", "method", "credentials", "endpoint", "path", "expect"}
	expectKeys  = []string{"verdict", "reason", "exposed"}
)

func (p *parser) parse(data []byte, opt Options) *Policy {
	if len(data) > MaxFileBytes {
		p.errorf(nil, "", "the file is %d bytes; the limit is %d", len(data), MaxFileBytes)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(nil, "", "the file is empty; it needs at least cases: or matrix:")
			return nil
		}
		p.yamlError(err, data)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		// Point at the --- that starts it.
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		lines := strings.Split(string(data), "\n")
		for l := min(line, len(lines)); l > 1; l-- {
			if strings.HasPrefix(lines[l-1], "---") {
				line = l
				break
			}
		}
		p.errorf(&yaml.Node{Line: line}, "", "a second YAML document (---); a policy file holds one")
		return nil
	} else if !errors.Is(err, io.EOF) {
		p.yamlError(err, data)
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", "the file must be a mapping with cases: or matrix: at the top, got %s", kindName(root))
		return nil
	}
	if p.hasAlias(root) {
		return nil
	}
	pol := &Policy{File: p.file}
	top := p.mapping(root, "", topKeys)
	var origin field
	if n := top["origin"]; n != nil {
		origin = p.scalar(n, "origin")
	}
	var base field
	if n := top["base_url"]; n != nil {
		base = p.scalar(n, "base_url")
		p.checkBase(n, "base_url", base.val)
	}
	endpoints := map[string]field{}
	if n := top["endpoints"]; n != nil {
		if n.Kind != yaml.MappingNode {
			p.errorf(n, "endpoints", "want a mapping of names to base URLs (api: https://api.example.com), got %s", kindName(n))
		} else {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				name := k.Value
				if _, dup := endpoints[name]; dup {
					p.errorf(k, "endpoints", "endpoint %q is defined twice", name)
					continue
				}
				f := p.scalar(v, "endpoints."+name)
				p.checkBase(v, "endpoints."+name, f.val)
				endpoints[name] = f
			}
		}
	}
	var defaults spec
	defaults.path = "defaults"
	if n := top["defaults"]; n != nil {
		defaults = p.spec(n, "defaults", defaultKeys)
	}
	if origin.set {
		if defaults.origin.set {
			p.errorf(top["origin"], "origin", "the origin is given both here and in defaults; keep one")
		}
		defaults.origin = origin
	}
	ctx := &expandCtx{p: p, base: base, endpoints: endpoints, defaults: defaults, opt: opt}
	if n := top["cases"]; n != nil {
		if n.Kind != yaml.SequenceNode {
			p.errorf(n, "cases", "want a list of cases (- url: …), got %s", kindName(n))
		} else {
			for i, c := range n.Content {
				path := fmt.Sprintf("cases[%d]", i)
				if c.Kind != yaml.MappingNode {
					p.errorf(c, path, "want a mapping (url:, method:, expect: …), got %s", kindName(c))
					continue
				}
				s := p.spec(c, path, caseKeys)
				if cs, ok := ctx.build(s, ""); ok {
					pol.Cases = append(pol.Cases, cs)
				}
			}
		}
	}
	if n := top["matrix"]; n != nil {
		if n.Kind != yaml.SequenceNode {
			p.errorf(n, "matrix", "want a list of matrices (- origins: […] …), got %s", kindName(n))
		} else {
			for i, m := range n.Content {
				pol.Cases = append(pol.Cases, ctx.matrix(m, fmt.Sprintf("matrix[%d]", i))...)
				if len(pol.Cases) > MaxCases {
					p.errorf(m, fmt.Sprintf("matrix[%d]", i), "the file expands to more than %d cases", MaxCases)
					return nil
				}
			}
		}
	}
	if top["cases"] == nil && top["matrix"] == nil {
		p.errorf(root, "", "no cases: and no matrix:; a policy file needs at least one case")
	}
	if len(pol.Cases) > MaxCases {
		p.errorf(root, "", "the file expands to %d cases; the limit is %d", len(pol.Cases), MaxCases)
	}
	seen := map[string]int{}
	for _, c := range pol.Cases {
		if l, dup := seen[c.Name]; dup {
			p.errorf(&yaml.Node{Line: c.Line}, "", "two cases are named %q (the other is on line %d); names must be unique so runs can be compared", c.Name, l)
			continue
		}
		seen[c.Name] = c.Line
	}
	return pol
}

// yamlError turns the YAML library's error into a located ParseError.
// The library's line is exact for most mistakes, but it names the line
// before an indentation tab, and for a structure left open (an unclosed
// [ or a bad indent) the line before the one where it gave up.
func (p *parser) yamlError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if _, err := fmt.Sscanf(num, "%d", &line); err == nil {
				msg = tail
			}
		}
	}
	switch {
	case strings.Contains(msg, "tab character"):
		// The first line indented with a tab is the culprit.
		for i, l := range strings.Split(string(data), "\n") {
			if indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]; strings.Contains(indent, "\t") {
				line = i + 1
				break
			}
		}
		msg += " (indent with spaces)"
	case strings.HasPrefix(msg, "did not find expected"):
		msg += " (on this line or the next)"
	}
	p.errs = append(p.errs, &ParseError{File: p.file, Line: line, Msg: "not valid YAML: " + msg})
}

// hasAlias rejects anchors' aliases: they make a small file expand
// exponentially, and defaults: does their job.
func (p *parser) hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		p.errorf(n, "", "YAML aliases (*%s) are not supported; put shared values under defaults:", n.Value)
		return true
	}
	for _, c := range n.Content {
		if p.hasAlias(c) {
			return true
		}
	}
	return false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// mapping returns n's keys, reporting unknown and repeated ones.
func (p *parser) mapping(n *yaml.Node, path string, known []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, path, "a key must be a plain word, got %s", kindName(k))
			continue
		}
		if !slices.Contains(known, k.Value) {
			p.errorf(k, kp, "unknown key%s; known keys here: %s", didYouMean(k.Value, known), strings.Join(known, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.errorf(k, kp, "given twice")
			continue
		}
		out[k.Value] = v
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// scalar reads a scalar; `key: null` is the string "null" (a valid origin),
// an empty value is "".
func (p *parser) scalar(n *yaml.Node, path string) field {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, path, "want a single value, got %s", kindName(n))
		return field{line: n.Line}
	}
	v := n.Value
	if n.Tag == "!!null" && v != "null" {
		v = ""
	}
	return field{val: v, line: n.Line, set: true}
}

func (p *parser) checkBase(n *yaml.Node, path, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.errorf(n, path, "want an absolute http(s) URL such as https://api.example.com, got %q", v)
	}
}

// spec reads a case, the defaults, or a matrix's singular keys.
func (p *parser) spec(n *yaml.Node, path string, known []string) spec {
	s := spec{path: path, line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping, got %s", kindName(n))
		return s
	}
	m := p.mapping(n, path, known)
	get := func(key string, dst *field) {
		if v := m[key]; v != nil {
			*dst = p.scalar(v, join(path, key))
		}
	}
	if slices.Contains(known, "origins") {
		// A matrix: credentials and headers are its lists, read there.
		m = maps.Clone(m)
		delete(m, "credentials")
		delete(m, "headers")
	}
	get("name", &s.name)
	get("url", &s.url)
	get("endpoint", &s.endpt)
	get("origin", &s.origin)
	get("method", &s.method)
	get("credentials", &s.credentials)
	get("mode", &s.mode)
	get("body", &s.body)
	get("use_preflight", &s.usePreflight)
	if s.usePreflight.set && s.usePreflight.val != "true" && s.usePreflight.val != "false" {
		p.errorf(m["use_preflight"], join(path, "use_preflight"), "want true or false, got %q", s.usePreflight.val)
	}
	if v := m["headers"]; v != nil {
		s.headers = p.headers(v, join(path, "headers"))
		s.headersLine = v.Line
	}
	if v := m["expect"]; v != nil {
		s.expect = p.expect(v, join(path, "expect"))
		s.expectLine, s.expectSet = v.Line, true
	}
	return s
}

// headers reads a mapping of header names to values, in order.
func (p *parser) headers(n *yaml.Node, path string) []hdr {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping of header names to values ({Authorization: Bearer x}), got %s", kindName(n))
		return nil
	}
	var out []hdr
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			p.errorf(k, path, "want Name: value, got %s: %s", kindName(k), kindName(v))
			continue
		}
		h := hdr{Header: diagnose.Header{Name: k.Value, Value: v.Value}}
		if v.Tag == "!!null" && v.Value != "null" {
			h.remove = true
		}
		out = append(out, h)
	}
	return out
}

// expect reads allowed, blocked, {verdict:, reason:, exposed:} or a
// per-browser mapping whose values are either of those.
func (p *parser) expect(n *yaml.Node, path string) Expect {
	browsers := KnownBrowsers()
	out := Expect{}
	switch n.Kind {
	case yaml.ScalarNode:
		v, ok := p.verdict(n, path)
		if !ok {
			return nil
		}
		for _, b := range browsers {
			out[b] = BrowserExpect{Verdict: v}
		}
		return out
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			// It would check nothing and always pass.
			p.errorf(n, path, "an empty expect checks nothing; want allowed, blocked or a per-browser map")
			return nil
		}
	default:
		p.errorf(n, path, "want allowed, blocked or a per-browser map, got %s", kindName(n))
		return nil
	}
	var all *BrowserExpect
	keys := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if keys[k.Value] {
			p.errorf(k, join(path, k.Value), "given twice")
			return nil
		}
		keys[k.Value] = true
		if slices.Contains(expectKeys, k.Value) {
			if all == nil {
				all = p.browserExpect(n, path, true)
				if all == nil {
					return nil
				}
			}
			continue
		}
		if !slices.Contains(browsers, k.Value) {
			p.errorf(k, join(path, k.Value), "unknown browser%s; known browsers: %s (or verdict:, reason:, exposed: for all of them)", didYouMean(k.Value, append(slices.Clone(browsers), expectKeys...)), strings.Join(browsers, ", "))
			return nil
		}
	}
	if all != nil {
		for _, b := range browsers {
			out[b] = *all
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(browsers, k.Value) {
			continue
		}
		bp := join(path, k.Value)
		switch v.Kind {
		case yaml.ScalarNode:
			verdict, ok := p.verdict(v, bp)
			if !ok {
				return nil
			}
			out[k.Value] = BrowserExpect{Verdict: verdict}
		case yaml.MappingNode:
			be := p.browserExpect(v, bp, false)
			if be == nil {
				return nil
			}
			out[k.Value] = *be
		default:
			p.errorf(v, bp, "want allowed, blocked or {verdict:, reason:, exposed:}, got %s", kindName(v))
			return nil
		}
	}
	return out
}

func (p *parser) verdict(n *yaml.Node, path string) (diagnose.Outcome, bool) {
	switch n.Value {
	case "allowed", "blocked":
		if n.Kind == yaml.ScalarNode {
			return diagnose.Outcome(n.Value), true
		}
	}
	p.errorf(n, path, "want allowed, blocked or a per-browser map, got %s%s", kindName(n), didYouMean(n.Value, []string{"allowed", "blocked"}))
	return "", false
}

// browserExpect reads {verdict:, reason:, exposed:}. In a mapping that
// also names browsers (shared), the other keys are the browsers'.
func (p *parser) browserExpect(n *yaml.Node, path string, shared bool) *BrowserExpect {
	var be BrowserExpect
	var m map[string]*yaml.Node
	if shared {
		m = map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if slices.Contains(expectKeys, n.Content[i].Value) {
				m[n.Content[i].Value] = n.Content[i+1]
			}
		}
	} else {
		before := len(p.errs) + p.dropped
		m = p.mapping(n, path, expectKeys)
		if len(p.errs)+p.dropped > before {
			return nil
		}
	}
	if v := m["verdict"]; v != nil {
		verdict, ok := p.verdict(v, join(path, "verdict"))
		if !ok {
			return nil
		}
		be.Verdict = verdict
	}
	if v := m["reason"]; v != nil {
		f := p.scalar(v, join(path, "reason"))
		if _, ok := diagnose.LookupReason(f.val); !ok {
			p.errorf(v, join(path, "reason"), "unknown reason %q%s (the reasons are listed in README, e.g. CORSMissingAllowOrigin)", f.val, didYouMean(f.val, reasonIDs()))
			return nil
		}
		be.Reason = f.val
		if be.Verdict == diagnose.Allowed {
			p.errorf(v, join(path, "reason"), "a reason goes with blocked, not allowed")
			return nil
		}
		be.Verdict = diagnose.Blocked
	}
	if v := m["exposed"]; v != nil {
		ep := join(path, "exposed")
		if v.Kind != yaml.SequenceNode {
			p.errorf(v, ep, "want a list of header names ([X-Request-Id]), got %s", kindName(v))
			return nil
		}
		for _, e := range v.Content {
			f := p.scalar(e, ep)
			if !f.set || f.val == "" || strings.ContainsAny(f.val, " \t:\r\n") {
				p.errorf(e, ep, "want a header name, got %s", kindName(e))
				return nil
			}
			be.Exposed = append(be.Exposed, f.val)
		}
		if be.Verdict == diagnose.Blocked {
			p.errorf(v, ep, "exposed goes with allowed: JavaScript reads nothing of a blocked response")
			return nil
		}
		be.Verdict = diagnose.Allowed
	}
	if be.Verdict == "" {
		p.errorf(n, path, "want verdict: allowed or blocked")
		return nil
	}
	return &be
}

func reasonIDs() []string {
	var out []string
	for _, r := range diagnose.Reasons() {
		out = append(out, r.ID)
	}
	return out
}

// didYouMean suggests the closest known word, or says nothing.
func didYouMean(got string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if strings.EqualFold(k, got) {
			return fmt.Sprintf(" (did you mean %s?)", k)
		}
		if d := distance(strings.ToLower(got), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// distance is the Levenshtein distance, bounded for long inputs.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
