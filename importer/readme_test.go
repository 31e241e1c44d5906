package importer

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeDocumentsSources: the README's import schema names every
// source Parse can answer.
func TestReadmeDocumentsSources(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Source{SourceChromium, SourceFirefox, SourceSafari, SourceCurl, SourceFetch, SourceDevtools} {
		if !strings.Contains(string(b), string(s)) {
			t.Errorf("README does not name source %q", s)
		}
	}
	for _, field := range []string{`"missing"`, `"dropped"`, `"reason"`, `"reason_text"`, `POST /api/v1/import`, "corsdoctor import"} {
		if !strings.Contains(string(b), field) {
			t.Errorf("README does not document %s", field)
		}
	}
}
