package contract

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"corsdoctor/diagnose"
)

// expandCtx turns specs into validated cases.
type expandCtx struct {
	p         *parser
	base      field
	endpoints map[string]field
	defaults  spec
	opt       Options
}

// build merges s over the defaults, resolves its URL, validates the
// request with the engine, and names the case. prefix starts the name of
// a matrix's cases.
func (c *expandCtx) build(s spec, prefix string) (Case, bool) {
	p := c.p
	d := c.defaults
	pick := func(a, b field) field {
		if a.set {
			return a
		}
		return b
	}
	origin := pick(s.origin, d.origin)
	method := pick(s.method, d.method)
	creds := pick(s.credentials, d.credentials)
	mode := pick(s.mode, d.mode)
	body := pick(s.body, d.body)
	usePre := pick(s.usePreflight, d.usePreflight)
	endpt := pick(s.endpt, d.endpt)
	headers, headersLine := mergeHeaders(d.headers, s.headers), s.headersLine
	if headersLine == 0 {
		headersLine = d.headersLine
	}
	expect, expectSet := s.expect, s.expectSet
	if !expectSet {
		expect, expectSet = d.expect, d.expectSet
	}
	at := func(line int) *yaml.Node {
		if line == 0 {
			line = s.line
		}
		return &yaml.Node{Line: line}
	}
	before := len(p.errs) + p.dropped
	if !s.url.set {
		p.errorf(at(0), s.path, "no url: (an absolute URL, or a path under base_url or an endpoint)")
		return Case{}, false
	}
	u, ok := c.resolve(s.url, endpt, s.path)
	if !ok {
		return Case{}, false
	}
	if !origin.set {
		p.errorf(at(0), s.path, "no origin: set one at the top of the file (origin: https://app.example.com) or in the case")
		return Case{}, false
	}
	if expectSet && expect == nil {
		return Case{}, false // already reported
	}
	if !expectSet && !c.opt.NoExpect {
		p.errorf(at(0), s.path, "no expect: (allowed, blocked or per browser), here or under defaults; or write one with --record")
		return Case{}, false
	}
	req := diagnose.Request{
		URL:              u,
		Origin:           origin.val,
		Method:           method.val,
		Body:             body.val,
		Credentials:      diagnose.Credentials(creds.val),
		Mode:             diagnose.Mode(mode.val),
		UseCORSPreflight: usePre.val == "true",
	}
	for _, h := range headers {
		req.Headers = append(req.Headers, h.Header)
	}
	prep, err := diagnose.NewPrepared(req)
	if err != nil {
		lines := map[string]int{"url": s.url.line, "origin": origin.line, "method": method.line, "headers": headersLine,
			"credentials": creds.line, "mode": mode.line, "body": body.line}
		ies := diagnose.InputErrors(err)
		if len(ies) == 0 {
			p.errorf(at(0), s.path, "%v", err)
		}
		for _, ie := range ies {
			p.errorf(at(lines[ie.Field]), s.path, "%v", ie)
		}
		return Case{}, false
	}
	if len(p.errs)+p.dropped > before {
		return Case{}, false
	}
	name := s.name.val
	if !s.name.set || name == "" {
		name = prefix + describe(req)
	}
	return Case{Name: name, Line: s.line, Request: req, Expect: expect, prep: prep}, true
}

// describe names a case after its request: "PUT https://api/x from https://app (include; Authorization)".
func describe(r diagnose.Request) string {
	method := r.Method
	if method == "" {
		method = "GET"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s from %s", method, r.URL, r.Origin)
	var extra []string
	if r.Credentials != "" {
		extra = append(extra, string(r.Credentials))
	}
	if r.Mode != "" && r.Mode != diagnose.ModeCORS {
		extra = append(extra, string(r.Mode))
	}
	var names []string
	for _, h := range r.Headers {
		names = append(names, h.Name)
	}
	if len(names) > 0 {
		extra = append(extra, strings.Join(names, ", "))
	}
	if len(extra) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(extra, "; "))
	}
	return b.String()
}

// mergeHeaders lays over on base: a name over replaces base's value, a
// null value removes it, new names come after.
func mergeHeaders(base, over []hdr) []hdr {
	out := slices.Clone(base)
	for _, h := range over {
		i := slices.IndexFunc(out, func(b hdr) bool { return strings.EqualFold(b.Name, h.Name) })
		switch {
		case i >= 0 && h.remove:
			out = slices.Delete(out, i, i+1)
		case i >= 0:
			out[i] = h
		case !h.remove:
			out = append(out, h)
		}
	}
	return out
}

// resolve makes u absolute: an absolute http(s) URL stays, anything else
// is a path appended to the endpoint's base URL (or base_url).
func (c *expandCtx) resolve(u, endpt field, path string) (string, bool) {
	p := c.p
	if pu, err := url.Parse(u.val); err == nil && pu.Scheme != "" {
		if endpt.set && c.endpoints[endpt.val].set {
			p.errorf(&yaml.Node{Line: u.line}, path, "url %q is absolute and an endpoint is set; give a path (/items) or drop endpoint:", u.val)
			return "", false
		}
		return u.val, true
	}
	base := c.base
	if endpt.set {
		e, ok := c.endpoints[endpt.val]
		if !ok {
			known := sortedKeys(c.endpoints)
			if len(known) == 0 {
				p.errorf(&yaml.Node{Line: endpt.line}, path, "endpoint %q is not defined: the file has no endpoints:", endpt.val)
			} else {
				p.errorf(&yaml.Node{Line: endpt.line}, path, "endpoint %q is not defined%s; endpoints: %s", endpt.val, didYouMean(endpt.val, known), strings.Join(known, ", "))
			}
			return "", false
		}
		base = e
	}
	if !base.set {
		p.errorf(&yaml.Node{Line: u.line}, path, "url %q is not absolute and the file has no base_url: or endpoints:; write https://host%s or set base_url", u.val, u.val)
		return "", false
	}
	return strings.TrimRight(base.val, "/") + "/" + strings.TrimLeft(u.val, "/"), true
}

// matrix expands one matrix entry into cases.
func (c *expandCtx) matrix(n *yaml.Node, path string) []Case {
	p := c.p
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping (origins: […], methods: […], expect: …), got %s", kindName(n))
		return nil
	}
	before := len(p.errs) + p.dropped
	s := p.spec(n, path, matrixKeys)
	m := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1]
	}
	list := func(key string) []field {
		v := m[key]
		if v == nil {
			return nil
		}
		kp := join(path, key)
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			p.errorf(v, kp, "want a non-empty list, got %s", kindName(v))
			return nil
		}
		var out []field
		for i, e := range v.Content {
			f := p.scalar(e, fmt.Sprintf("%s[%d]", kp, i))
			out = append(out, f)
		}
		return out
	}
	origins, methods, creds, endpts, paths := list("origins"), list("methods"), list("credentials"), list("endpoints"), list("paths")
	var headerSets [][]hdr
	var headerLines []int
	if v := m["headers"]; v != nil {
		hp := join(path, "headers")
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			p.errorf(v, hp, "want a non-empty list of header sets ([{}, {Authorization: Bearer x}]), got %s", kindName(v))
		} else {
			for i, e := range v.Content {
				headerSets = append(headerSets, p.headers(e, fmt.Sprintf("%s[%d]", hp, i)))
				headerLines = append(headerLines, e.Line)
			}
		}
	}
	if m["paths"] == nil {
		p.errorf(n, path, "no paths: (the URLs or paths every combination is sent to)")
	}
	if len(p.errs)+p.dropped > before {
		return nil
	}
	none := []field{{}}
	or := func(f []field) []field {
		if len(f) == 0 {
			return none
		}
		return f
	}
	if len(headerSets) == 0 {
		headerSets, headerLines = [][]hdr{nil}, []int{0}
	}
	total := len(or(endpts)) * len(paths) * len(or(origins)) * len(or(methods)) * len(or(creds)) * len(headerSets)
	if total > MaxCases {
		p.errorf(n, path, "expands to %d cases; the limit is %d", total, MaxCases)
		return nil
	}
	prefix := s.name.val
	if prefix == "" {
		prefix = path
	}
	prefix += ": "
	var out []Case
	matched := map[int]bool{} // where entries that applied somewhere
	defer func() {
		w := m["where"]
		if w == nil || w.Kind != yaml.SequenceNode || len(p.errs)+p.dropped > before {
			return
		}
		for i, e := range w.Content {
			if !matched[i] {
				p.errorf(e, fmt.Sprintf("%s[%d]", join(path, "where"), i), "matches no combination of this matrix (check its values against the lists)")
			}
		}
	}()
	for _, e := range or(endpts) {
		for _, pa := range paths {
			for _, o := range or(origins) {
				for _, me := range or(methods) {
					for _, cr := range or(creds) {
						for hi, hs := range headerSets {
							cs := s
							cs.name = field{}
							cs.url = pa
							if e.set {
								cs.endpt = e
							}
							if o.set {
								cs.origin = o
							}
							if me.set {
								cs.method = me
							}
							if cr.set {
								cs.credentials = cr
							}
							if hs != nil || headerLines[hi] != 0 {
								cs.headers, cs.headersLine = hs, headerLines[hi]
							}
							errs := len(p.errs) + p.dropped
							c.where(m["where"], join(path, "where"), &cs, e, pa, matched)
							if len(p.errs)+p.dropped > errs {
								return out
							}
							if built, ok := c.build(cs, prefix); ok {
								out = append(out, built)
							} else {
								return out // one report per matrix is enough
							}
						}
					}
				}
			}
		}
	}
	return out
}

// where applies a matrix's overrides: each entry whose keys all match the
// combination sets its expect; later entries win.
func (c *expandCtx) where(n *yaml.Node, path string, cs *spec, endpt, urlPath field, matched map[int]bool) {
	if n == nil {
		return
	}
	p := c.p
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "want a list of {origin:, method:, credentials:, endpoint:, path:, expect:}, got %s", kindName(n))
		return
	}
	d := c.defaults
	eff := func(a, b field, def string) string {
		v := b.val
		if a.set {
			v = a.val
		}
		if v == "" {
			return def
		}
		return v
	}
	for i, e := range n.Content {
		ep := fmt.Sprintf("%s[%d]", path, i)
		if e.Kind != yaml.MappingNode {
			p.errorf(e, ep, "want a mapping, got %s", kindName(e))
			continue
		}
		m := p.mapping(e, ep, whereKeys)
		if m["expect"] == nil {
			p.errorf(e, ep, "no expect: (what these combinations must do)")
			continue
		}
		match := true
		for key, want := range map[string]string{
			"origin": eff(cs.origin, d.origin, ""), "method": eff(cs.method, d.method, "GET"), "credentials": eff(cs.credentials, d.credentials, "same-origin"),
			"endpoint": endpt.val, "path": urlPath.val,
		} {
			if v := m[key]; v != nil && p.scalar(v, join(ep, key)).val != want {
				match = false
			}
		}
		if match {
			matched[i] = true
			cs.expect = p.expect(m["expect"], join(ep, "expect"))
			cs.expectLine, cs.expectSet = m["expect"].Line, true
		}
	}
}
