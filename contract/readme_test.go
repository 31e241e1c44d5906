package contract

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestREADMEExamples keeps the README's examples honest: every policy file
// in "The policy file" parses without error, and the CI examples are YAML.
func TestREADMEExamples(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	section := func(start, end string) string {
		i := strings.Index(readme, start)
		j := strings.Index(readme[i+1:], end)
		if i < 0 || j < 0 {
			t.Fatalf("README has no section %q ending at %q", start, end)
		}
		return readme[i : i+1+j]
	}
	blocks := func(s string) []string {
		var out []string
		for {
			i := strings.Index(s, "```yaml\n")
			if i < 0 {
				return out
			}
			s = s[i+len("```yaml\n"):]
			j := strings.Index(s, "```")
			out = append(out, s[:j])
			s = s[j+3:]
		}
	}
	policies := blocks(section("### The policy file", "### Recording"))
	if len(policies) != 2 {
		t.Fatalf("%d policy examples, want 2", len(policies))
	}
	for i, b := range policies {
		pol, err := Parse("README example", []byte(b), Options{})
		if err != nil {
			t.Errorf("example %d: %v\n%s", i, err, b)
			continue
		}
		if len(pol.Cases) == 0 {
			t.Errorf("example %d has no cases", i)
		}
	}
	ci := blocks(section("### In CI", "\n## "))
	if len(ci) != 2 {
		t.Fatalf("%d CI examples, want 2 (GitHub Actions, GitLab CI)", len(ci))
	}
	for i, b := range ci {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(b), &n); err != nil {
			t.Errorf("CI example %d: %v", i, err)
		}
		if !strings.Contains(b, "corsdoctor\" test cors.yaml --junit cors-junit.xml") && !strings.Contains(b, "corsdoctor test cors.yaml --junit cors-junit.xml") {
			t.Errorf("CI example %d does not run corsdoctor test with --junit", i)
		}
	}
}
