package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// Available reports whether browser ("chromium" or "firefox"), node and the
// harness's node_modules are installed: it returns nil if so, otherwise an
// error naming what is missing. It asks the harness (`harness.mjs --check`),
// so it resolves the browser executable exactly as Run will.
func Available(browser string) error {
	return Runner{}.Available(browser)
}

// Available is the package-level Available with r's settings.
func (r Runner) Available(browser string) error {
	if err := checkBrowser(browser); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd, err := r.command(ctx, "--check", "--browser", browser)
	if err != nil {
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s: %w: %s", errUnavailable, browser, err, tail(out.Bytes()))
	}
	return nil
}

// Require skips t when browser is not available, and fails it instead when
// CI=true, where scripts/ensure-browsers.sh must have installed everything.
func Require(t testing.TB, browser string) {
	t.Helper()
	err := Available(browser)
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s is missing (scripts/ensure-browsers.sh should have installed it): %v", browser, err)
	}
	t.Skipf("skipping: %s is not available (run scripts/ensure-browsers.sh): %v", browser, err)
}
