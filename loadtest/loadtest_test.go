package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestLoadShort runs the load test in a small size, so CI exercises the
// whole path (dashboard, probe limit, both targets, shutdown, leak check)
// on every run; `go run ./loadtest` is the full-size version.
func TestLoadShort(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runMain(context.Background(), []string{"loadtest", "-clients", "20", "-duration", "3s"}, &stdout, &stderr)
	t.Logf("report:\n%s", stdout.String())
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	for _, want := range []string{"5xx other than 503 busy: 0;", "requests without an answer: 0", "(no leak)", "POST /api/v1/diagnoses (silent target)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestLoadBusy squeezes the dashboard to one probe slot with a short queue
// and a quarter of the diagnoses aimed at the silent target, so some
// requests must be refused: they are 503 busy, which the run reports and
// tolerates, and nothing else goes wrong. (With half of them silent, the
// few slot hand-overs in a short run all went to silent diagnoses about
// one run in thirty, and no CORS-target diagnosis was created.)
func TestLoadBusy(t *testing.T) {
	cfg, err := parseFlags([]string{"loadtest", "-clients", "8", "-duration", "3s", "-max-probes", "1",
		"-queue-timeout", "200ms", "-hang-percent", "25", "-exchange-timeout", "500ms"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run(context.Background(), cfg, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.print(&out)
	t.Logf("report:\n%s", out.String())
	if res.busy == 0 {
		t.Error("no 503 busy with one probe slot and a silent target")
	}
	if f := res.failures(); len(f) > 0 {
		t.Errorf("failures: %v", f)
	}
	if got := res.routes[routeCreate].status[503] + res.routes[routeCreateSilent].status[503]; got != res.busy {
		t.Errorf("%d 503s on the POST routes, %d of them busy", got, res.busy)
	}
}

func TestParseFlags(t *testing.T) {
	for _, bad := range [][]string{
		{"-clients", "0"}, {"-duration", "0s"}, {"-hang-percent", "101"}, {"-max-probes", "0"},
		{"-queue-timeout", "0s"}, {"-rate-limit", "-1"}, {"-max-requests", "0"}, {"extra"},
	} {
		if _, err := parseFlags(append([]string{"loadtest"}, bad...), &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	cfg, err := parseFlags([]string{"loadtest"}, &bytes.Buffer{})
	if err != nil || cfg.clients != 200 || cfg.duration.String() != "20s" || cfg.hangPercent != 10 || cfg.maxProbes != 16 {
		t.Errorf("defaults = %+v, %v", cfg, err)
	}
}
