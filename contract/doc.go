// Package contract runs CORS contract tests: a YAML policy file says which
// cross-origin requests must be allowed or blocked, per browser, and this
// package checks each one against a live server through the diagnose
// engine, then reports the results as a table, JSON or JUnit XML.
//
// It is its own package because it owns a file format (the policy file's
// schema, its parsing with line numbers, matrix expansion and the recorded
// form) and a results format (JSON, JUnit, diffs of two runs) that neither
// the engine nor the command line should know: diagnose judges one request
// and knows nothing of files, and cli only maps flags and exit codes onto
// what this package returns. The CLI's `corsdoctor test` is a thin layer
// over Parse, Run, Record and Diff.
//
// The engine is the only judge: every case is one diagnose.Prepared sent
// through the same Prober as `corsdoctor check`, and a case's verdict,
// reason and readable headers are read from the engine's report, so a
// contract test and a diagnosis can never disagree. Browsers are data: the
// browsers a file may name are diagnose.Browsers, and a case's results are
// whatever browsers the report judged.
package contract
