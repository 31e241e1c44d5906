// Package audit is corsdoctor's opt-in CORS security audit: it sends a
// fixed set of crafted Origin values to one URL and reports which of them
// the server trusts that it should not (an arbitrary origin reflected,
// null, suffix and prefix matches, an unescaped dot, any subdomain, http://
// origins, special characters in the host) and a reflected
// Access-Control-Allow-Origin without Vary: Origin.
//
// It is its own package because it answers another question than diagnose.
// diagnose asks "does this one request work in the browsers, and if not,
// why?" for a request the user describes; the audit asks "whom does this
// server trust?" and makes up the requests itself, judging every answer by
// the same exact-bytes rule browsers apply to Access-Control-Allow-Origin.
// It sends them through diagnose's prober (so the target policy judges
// every dial, and the exchange limits apply), with follow-ups off and a
// dial budget of MaxRequests per audit, and reuses diagnose's stack
// detection and remedy's stack-specific fixes. It knows nothing of HTTP
// handlers or HTML.
//
// # What is a finding
//
// A crafted origin is accepted when a response carries exactly one
// Access-Control-Allow-Origin line whose value is, byte for byte, the
// origin sent: that is when a browser lets a page on that origin read the
// response. "*" never accepts a crafted origin for credentialed requests,
// and without credentials it gives any page what a public API means to
// give, so a plain "*" without Access-Control-Allow-Credentials: true is
// not a finding (the report says so in a note). Each accepted origin is
// reported under the narrowest weakness that explains it: an origin that a
// broader finding already accepts (any origin reflected explains every
// other; a suffix match explains a subdomain; a prefix match explains
// special characters after the host) is not reported twice.
//
// # Severity
//
// Credentials decide the severity, as in the peer survey's reasoning
// (peer-survey-2026-12.md §2b: "critical only with ACAC true"): without
// Access-Control-Allow-Credentials: true on the accepting response, the
// attacker's page reads only what it could fetch itself or what "*" would
// give, so the finding is low (or info where it needs a network attacker
// or a subdomain takeover besides). With credentials the attacker reads
// the victim's data:
//
//	reason              with credentials   without
//	origin-reflected    critical           low
//	null-origin         critical           low
//	suffix-match        critical           low
//	prefix-match        critical           low
//	unescaped-dot       high               low
//	special-characters  medium             info
//	any-subdomain       medium             info
//	insecure-origin     medium             info
//	vary-missing        low                low
//
// Any attacker can host a page whose origin is null (a sandboxed iframe),
// or register evil-example.com, example.com.evil.net or appxexample.com,
// hence critical and high. Special characters need a browser that sends
// such a host; a subdomain needs a takeover or an XSS on it; http:// needs
// a network attacker: medium. vary-missing lets a shared cache serve one
// origin's answer to another; it is low because what is leaked is decided
// by the other findings.
package audit
