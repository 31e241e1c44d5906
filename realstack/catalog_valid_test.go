package realstack

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"corsdoctor/remedy"
)

// TestCatalogIsValid checks the catalogue without starting anything (it
// runs in -short mode too): enough cases and stacks, unique names, valid
// expectations, and every app renders broken and fixed (with the
// reference fix, and with remedy's snippet for the expected problem).
func TestCatalogIsValid(t *testing.T) {
	stackSet := map[remedy.StackID]bool{}
	names := map[string]bool{}
	valid := []string{
		string(remedy.ProblemPolicy), string(remedy.ProblemNotConfigured), string(remedy.ProblemAuthBeforeCORS),
		string(remedy.ProblemNoPreflightHandler), string(remedy.ProblemErrorsWithoutCORS),
		string(remedy.ProblemDuplicateHeaders), string(remedy.ProblemPreflightRedirect), "client",
	}
	e := &env{Page: "http://127.0.0.1:1", PagePort: 1, Upstream: "http://127.0.0.1:2", CORSUpstream: "http://127.0.0.1:3"}
	dir := t.TempDir()
	for _, c := range catalog {
		if names[c.Name] {
			t.Errorf("case %q is listed twice", c.Name)
		}
		names[c.Name] = true
		stackSet[c.Stack] = true
		def := stacks[c.Stack]
		if def == nil || places[c.Stack] == nil {
			t.Errorf("%s: stack %q has no app or places", c.Name, c.Stack)
			continue
		}
		if c.Why == "" || len(c.Problems) == 0 {
			t.Errorf("%s: Why and Problems are required", c.Name)
		}
		for _, p := range c.Problems {
			if !slices.Contains(valid, p) {
				t.Errorf("%s: problem %q is not a remedy.Problem or client", c.Name, p)
			}
		}
		if c.Where != onServer && c.Where != onClient && c.Where != "" {
			t.Errorf("%s: Where %q", c.Name, c.Where)
		}
		if (c.Where == onClient || slices.Contains(c.Problems, "client")) && c.ClientFix == nil {
			t.Errorf("%s: a client fix is expected but the case has no ClientFix for the reference run", c.Name)
		}
		req := pageRequest{Method: c.method(), Headers: c.Headers, Credentials: c.credentials()}
		pol := referencePolicy(req, e.Page)
		ref, err := referenceParts(c.Stack, pol, c.Problems[0])
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		adv := remedy.Advise(remedy.Request{Stack: c.Stack, Problem: remedy.Problem(c.Problems[0]), Policy: pol, Path: c.path()})
		for i, parts := range [][]remedy.Part{nil, ref, adv.Snippet.Parts} {
			srv := &server{c: c, env: e, port: 4, dir: filepath.Join(dir, c.Name, []string{"broken", "reference", "remedy"}[i])}
			if parts != nil {
				srv.fixed = true
				srv.parts = map[string][]string{}
				for _, p := range parts {
					if !slices.Contains(places[c.Stack], p.Where) {
						t.Errorf("%s: part for place %q, which %s does not have", c.Name, p.Where, c.Stack)
					}
					srv.parts[p.Where] = append(srv.parts[p.Where], p.Code)
				}
			}
			if err := srv.write(def); err != nil {
				t.Errorf("%s: render: %v", c.Name, err)
			}
		}
	}
	// "Verified" on the page means exactly: this suite applies the stack's
	// snippets to a real server and re-checks them in real browsers.
	for _, st := range remedy.Stacks() {
		if st.Verified != stackSet[st.ID] {
			t.Errorf("remedy says %s Verified=%v, but the catalogue covers it: %v", st.ID, st.Verified, stackSet[st.ID])
		}
	}
	if len(catalog) < 40 || len(stackSet) < 10 {
		t.Errorf("the catalogue has %d cases over %d stacks; the suite promises at least 40 over 10", len(catalog), len(stackSet))
	}
	if _, err := os.Stat(filepath.Join("node", "package-lock.json")); err != nil {
		t.Errorf("the npm lock file is missing: %v", err)
	}
}
