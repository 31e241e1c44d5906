package cli

import (
	"context"
	"io"
)

// Serve runs the dashboard. Placeholder until the dashboard lands.
func Serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return UsageErrorf("serve is not built yet")
}
