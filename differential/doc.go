// Package differential holds the suite that holds corsdoctor to what real
// browsers do: a catalog of scenarios (data files in scenarios/), each run
// through headless Chromium, Firefox ESR and corsdoctor's own prober against
// the same loopback fixture, with any disagreement failing the suite unless
// known-differences.json explains it.
//
// It is its own package because it is the one place that joins the engine
// (diagnose), the byte-exact fixture server (fixture) and the browser harness
// (browsertest); none of those should know about the others.
package differential
