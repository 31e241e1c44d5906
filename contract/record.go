package contract

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"corsdoctor/diagnose"
)

// safelistedResponse are the response headers JavaScript can always read
// on a CORS response; a recording leaves them out of exposed: so that a
// server switching to chunked encoding (no Content-Length) is no regression.
var safelistedResponse = []string{"cache-control", "content-language", "content-length", "content-type", "expires", "last-modified", "pragma"}

// ExpectFrom turns what the engine found into the expectation a recorded
// file holds: each browser's verdict, the reason it prints when blocked,
// and the headers beyond the safelisted ones JavaScript reads when allowed.
func ExpectFrom(got map[string]Got) Expect {
	out := Expect{}
	for b, g := range got {
		be := BrowserExpect{Verdict: g.Verdict}
		if g.Verdict == diagnose.Blocked {
			be.Reason = g.Reason
		} else {
			for _, h := range g.Exposed {
				if !slices.Contains(safelistedResponse, strings.ToLower(h)) {
					be.Exposed = append(be.Exposed, h)
				}
			}
		}
		out[b] = be
	}
	return out
}

// Record writes a policy file that expects what run found: rerun against
// the same server, every case passes; a later change fails the case that
// changed. Cases the engine could not probe are left out and returned.
func Record(run *Run) ([]byte, []string, error) {
	// The most common origin goes at the top, the others stay in their cases.
	count := map[string]int{}
	top := ""
	for _, r := range run.Cases {
		count[r.Origin]++
		if count[r.Origin] > count[top] || (count[r.Origin] == count[top] && r.Origin < top) {
			top = r.Origin
		}
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	root.HeadComment = fmt.Sprintf("Recorded by corsdoctor %s from %s: the behaviour of %s.\nRun `corsdoctor test FILE` to find what changed since.", diagnose.Version, run.File, run.RanAt.Format("2006-01-02 15:04 MST"))
	cases := &yaml.Node{Kind: yaml.SequenceNode}
	var skipped []string
	for _, r := range run.Cases {
		if r.Error != "" || len(r.Got) == 0 {
			skipped = append(skipped, r.Name)
			continue
		}
		c := &yaml.Node{Kind: yaml.MappingNode}
		add(c, "name", str(r.Name))
		add(c, "url", str(r.URL))
		if r.Origin != top {
			add(c, "origin", str(r.Origin))
		}
		if r.Method != "" {
			add(c, "method", str(r.Method))
		}
		if len(r.Headers) > 0 {
			h := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			for _, x := range r.Headers {
				add(h, x.Name, str(x.Value))
			}
			add(c, "headers", h)
		}
		if r.Credentials != "" {
			add(c, "credentials", str(string(r.Credentials)))
		}
		if r.Mode != "" && r.Mode != diagnose.ModeCORS {
			add(c, "mode", str(string(r.Mode)))
		}
		if r.Body != "" {
			add(c, "body", str(r.Body))
		}
		if r.UsePreflight {
			add(c, "use_preflight", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		}
		add(c, "expect", expectNode(ExpectFrom(r.Got)))
		cases.Content = append(cases.Content, c)
	}
	if len(cases.Content) == 0 {
		return nil, skipped, fmt.Errorf("no case could be probed, so there is nothing to record")
	}
	add(root, "origin", str(top))
	add(root, "cases", cases)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, skipped, err
	}
	if err := enc.Close(); err != nil {
		return nil, skipped, err
	}
	return buf.Bytes(), skipped, nil
}

// expectNode writes the shortest form: one value for every browser when
// they agree, a per-browser mapping when they do not.
func expectNode(e Expect) *yaml.Node {
	browsers := orderedBrowsers[BrowserExpect, BrowserExpect](e, nil)
	same := true
	for _, b := range browsers[1:] {
		if !equalExpect(e[b], e[browsers[0]]) {
			same = false
		}
	}
	if same && len(browsers) == len(KnownBrowsers()) {
		return browserNode(e[browsers[0]])
	}
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, b := range browsers {
		add(m, b, browserNode(e[b]))
	}
	return m
}

func browserNode(be BrowserExpect) *yaml.Node {
	if be.Reason == "" && len(be.Exposed) == 0 {
		return str(string(be.Verdict))
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	add(m, "verdict", str(string(be.Verdict)))
	if be.Reason != "" {
		add(m, "reason", str(be.Reason))
	}
	if len(be.Exposed) > 0 {
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, h := range be.Exposed {
			l.Content = append(l.Content, str(h))
		}
		add(m, "exposed", l)
	}
	return m
}

func equalExpect(a, b BrowserExpect) bool {
	return a.Verdict == b.Verdict && a.Reason == b.Reason && slices.Equal(a.Exposed, b.Exposed)
}

func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}
