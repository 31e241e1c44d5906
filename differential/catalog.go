package differential

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"corsdoctor/fixture"
)

// Scenario is one page request and the server's behaviour for it.
type Scenario struct {
	Name  string `json:"name"`
	About string `json:"about"`
	Fetch Fetch  `json:"fetch"`
	// Routes are served under a per-run path prefix; "{{s}}" in paths,
	// header lines, Raw and Body stands for that prefix, so a Location can
	// point at another route of the same scenario.
	Routes []fixture.Route `json:"routes"`
}

// Fetch is the page's fetch() call. Path is relative to the Target
// listener's origin ("target" unless set) and gets the run prefix.
type Fetch struct {
	Target      string      `json:"target,omitempty"`
	Path        string      `json:"path"`
	Method      string      `json:"method,omitempty"`
	Headers     [][2]string `json:"headers,omitempty"`
	Body        *string     `json:"body,omitempty"`
	Credentials string      `json:"credentials,omitempty"`
	Mode        string      `json:"mode,omitempty"`
	// RawURL replaces Target+Path for URLs no listener serves (ftp:, a
	// closed port); "{{closed}}" is an origin where nothing listens.
	RawURL string `json:"raw_url,omitempty"`
}

// KnownDifference excuses one disagreement, with the reason it is
// acceptable. Field is "verdict", "console", "reason", "js", "body" (what
// res.text() rejected with) or "requests".
type KnownDifference struct {
	Scenario string `json:"scenario"`
	Browser  string `json:"browser"`
	Field    string `json:"field"`
	Why      string `json:"why"`
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// LoadCatalog reads every scenarios/*.json file (each an array of
// scenarios) and checks names are unique and usable in paths.
func LoadCatalog(dir string) ([]Scenario, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	seen := map[string]string{}
	var all []Scenario
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var list []Scenario
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&list); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
		for _, s := range list {
			if !validName.MatchString(s.Name) {
				return nil, fmt.Errorf("%s: scenario name %q must be lower-case letters, digits and dashes", filepath.Base(f), s.Name)
			}
			if prev, dup := seen[s.Name]; dup {
				return nil, fmt.Errorf("%s: scenario %q already defined in %s", filepath.Base(f), s.Name, prev)
			}
			seen[s.Name] = filepath.Base(f)
			all = append(all, s)
		}
	}
	return all, nil
}

// LoadKnownDifferences reads the reviewed list of accepted disagreements.
func LoadKnownDifferences(path string) ([]KnownDifference, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list []KnownDifference
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	for _, k := range list {
		if k.Scenario == "" || k.Browser == "" || k.Field == "" || strings.TrimSpace(k.Why) == "" {
			return nil, fmt.Errorf("%s: every known difference needs scenario, browser, field and why: %+v", filepath.Base(path), k)
		}
	}
	return list, nil
}

// routesFor returns the scenario's routes under prefix.
func (s Scenario) routesFor(prefix string) []fixture.Route {
	out := make([]fixture.Route, 0, len(s.Routes))
	for _, r := range s.Routes {
		r.Path = prefix + r.Path
		if r.Listener == "" {
			r.Listener = "target"
		}
		resp := r.Response
		resp.Headers = append([]string(nil), resp.Headers...)
		for i, h := range resp.Headers {
			resp.Headers[i] = strings.ReplaceAll(h, "{{s}}", prefix)
		}
		resp.Raw = strings.ReplaceAll(resp.Raw, "{{s}}", prefix)
		resp.Body = strings.ReplaceAll(resp.Body, "{{s}}", prefix)
		r.Response = resp
		out = append(out, r)
	}
	return out
}
