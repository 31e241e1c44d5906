package store

import (
	"context"
	"testing"
)

// TestSource: a diagnosis judged from a recording says so when read back,
// and a probed one says nothing.
func TestSource(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	for _, source := range []string{"", SourceHAR} {
		d := &Diagnosis{Report: sampleReport(), Source: source}
		if err := s.Create(ctx, d, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Source != source {
			t.Errorf("Source = %q, want %q", got.Source, source)
		}
	}
}
