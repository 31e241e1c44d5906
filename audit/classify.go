package audit

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// severityOf is the table in the package doc.
func severityOf(r Reason, creds bool) Severity {
	switch r {
	case ReasonOriginReflected, ReasonNullOrigin, ReasonSuffixMatch, ReasonPrefixMatch:
		if creds {
			return Critical
		}
		return Low
	case ReasonUnescapedDot:
		if creds {
			return High
		}
		return Low
	case ReasonSpecialCharacters, ReasonAnySubdomain, ReasonInsecureOrigin:
		if creds {
			return Medium
		}
		return Info
	}
	return Low
}

// texts are each reason's title, risk and fix in plain words.
var texts = map[Reason]struct{ title, risk, fix string }{
	ReasonOriginReflected: {
		"Any origin is trusted: the server echoes the Origin header back",
		"Any web site can read these responses from its visitors' browsers; with credentials allowed, it reads them as the logged-in visitor (their data, their CSRF tokens).",
		"Compare the Origin header with a list of exact origins and send Access-Control-Allow-Origin only for those; never copy the request's Origin into the response unchecked.",
	},
	ReasonNullOrigin: {
		"The null origin is trusted",
		"Any site can send Origin: null from a sandboxed iframe (and data: and file: pages send it too), so trusting null trusts every attacker.",
		"Remove null from the allowed origins; list the real origins exactly.",
	},
	ReasonSuffixMatch: {
		"Origins are matched by suffix: a domain that merely ends with yours is trusted",
		"Anyone can register a name such as evil-example.com that ends with your domain and read these responses.",
		"Match the whole origin exactly (scheme, host and port); if subdomains must be allowed, list them, or match a leading \".\" before your domain and anchor both ends.",
	},
	ReasonPrefixMatch: {
		"Origins are matched by prefix: your host followed by anything is trusted",
		"Anyone can create a host such as app.example.com.evil.net under their own domain and read these responses.",
		"Match the whole origin exactly; an unanchored regular expression or a starts-with test is the usual cause: anchor it at both ends (^…$).",
	},
	ReasonUnescapedDot: {
		"An unescaped dot in an origin pattern matches any character",
		"In a regular expression \".\" matches any character, so a domain such as appxexample.com, which anyone can register, is trusted.",
		"Escape the dots (\\.) and anchor the pattern, or better, list the origins exactly.",
	},
	ReasonAnySubdomain: {
		"Any subdomain is trusted",
		"A page on any subdomain (a forgotten one taken over, or one with an XSS hole, or user content) can read these responses.",
		"List the subdomains that need access exactly instead of a wildcard or a suffix pattern.",
	},
	ReasonInsecureOrigin: {
		"An http:// origin is trusted by an https:// page's API",
		"A network attacker (public Wi-Fi) can inject script into the plain-http page and read these responses, undoing HTTPS.",
		"Allow only https:// origins; drop http:// entries and patterns that accept either scheme.",
	},
	ReasonSpecialCharacters: {
		"Hosts with special characters after your host are trusted",
		"The origin check stops at a character such as _ or ! and accepts app.example.com_.evil.net, a host under the attacker's domain that some browsers send; it is a parser flaw in the check.",
		"Match the whole origin exactly; do not accept \"your host followed by any non-host character\" (a pattern meant to allow a port).",
	},
	ReasonVaryMissing: {
		"Access-Control-Allow-Origin depends on the Origin but the response lacks Vary: Origin",
		"A shared cache (CDN, proxy, browser cache) can store one origin's answer and serve it to another: other pages break, and a poisoned entry can carry a trusted ACAO to the wrong page.",
		"Send Vary: Origin on every response whose Access-Control-Allow-Origin depends on the request's Origin (refusals included).",
	},
}

// accepted is a crafted origin the server trusted.
type accepted struct {
	p    Probe
	host string // the origin's host ("" for null)
}

// classify turns the probes' answers into findings and notes.
func classify(origin string, ps []Probe) ([]Finding, []string) {
	ou, _ := url.Parse(origin)
	host := ou.Hostname()
	reg := registrable(host, strings.HasPrefix(ou.Host, "["))

	acc := map[Test][]accepted{}
	for _, p := range ps {
		if !p.Accepted || p.Test == TestBaseline {
			continue
		}
		h := ""
		if u, err := url.Parse(p.Origin); err == nil {
			h = u.Hostname()
		}
		acc[p.Test] = append(acc[p.Test], accepted{p: p, host: h})
	}

	var fs []Finding
	add := func(r Reason, as []accepted) {
		if len(as) == 0 {
			return
		}
		// The representative: credentialed first, then a GET.
		best := as[0]
		for _, a := range as[1:] {
			if (a.p.Credentialed && !best.p.Credentialed) || (a.p.Credentialed == best.p.Credentialed && best.p.Preflight && !a.p.Preflight) {
				best = a
			}
		}
		f := newFinding(r, best.p)
		for _, a := range as {
			if a.p.Origin != best.p.Origin && !slices.Contains(f.Also, a.p.Origin) {
				f.Also = append(f.Also, a.p.Origin)
			}
		}
		fs = append(fs, f)
	}

	reflected := len(acc[TestReflection]) > 0
	if reflected {
		// Reflection explains every other accepted origin.
		var all []accepted
		for _, t := range []Test{TestReflection, TestNull, TestPrefix, TestSuffix, TestSubdomain, TestDot, TestInsecure, TestSpecial} {
			all = append(all, acc[t]...)
		}
		add(ReasonOriginReflected, all)
	} else {
		add(ReasonNullOrigin, acc[TestNull])
		suffix := len(acc[TestSuffix]) > 0
		prefix := len(acc[TestPrefix]) > 0
		add(ReasonSuffixMatch, acc[TestSuffix])
		add(ReasonPrefixMatch, acc[TestPrefix])

		// An accepted subdomain is a finding of its own unless a suffix
		// match (which accepts every name ending with the domain) explains it.
		var parents []string
		var subs []accepted
		for _, a := range acc[TestSubdomain] {
			parents = append(parents, strings.TrimPrefix(a.host, "evil."))
			if !(suffix && strings.HasSuffix(a.host, reg)) {
				subs = append(subs, a)
			}
		}
		var dots []accepted
		for _, a := range acc[TestDot] {
			explained := suffix && reg != "" && strings.HasSuffix(a.host, reg)
			for _, p := range parents {
				if strings.HasSuffix(a.host, "."+p) {
					explained = true
				}
			}
			if !explained {
				dots = append(dots, a)
			}
		}
		add(ReasonUnescapedDot, dots)
		add(ReasonAnySubdomain, subs)
		add(ReasonInsecureOrigin, acc[TestInsecure])
		if !prefix {
			add(ReasonSpecialCharacters, acc[TestSpecial])
		}
	}
	if f, ok := varyMissing(ps); ok {
		fs = append(fs, f)
	}
	slices.SortStableFunc(fs, func(a, b Finding) int { return b.Severity.rank() - a.Severity.rank() })
	return fs, notes(origin, ps, reflected)
}

// varyMissing finds a GET answer whose ACAO echoes the origin sent while
// the ACAO differs between origins, without Vary: Origin. A server that
// always answers the same ACAO needs no Vary.
func varyMissing(ps []Probe) (Finding, bool) {
	seen := map[string]bool{}
	var cand *Probe
	for i, p := range ps {
		if p.Preflight || p.Status == 0 {
			continue
		}
		seen[p.AllowOrigin] = true
		if p.Accepted && p.AllowOrigin != "*" && !varies(p.Vary) && (cand == nil || p.Test == TestBaseline) {
			cand = &ps[i]
		}
	}
	if cand == nil || len(seen) < 2 {
		return Finding{}, false
	}
	f := newFinding(ReasonVaryMissing, *cand)
	f.Severity = severityOf(ReasonVaryMissing, cand.Credentialed)
	return f, true
}

// varies reports whether a Vary value names Origin (or is "*").
func varies(v string) bool {
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if strings.EqualFold(item, "origin") || item == "*" {
			return true
		}
	}
	return false
}

func newFinding(r Reason, p Probe) Finding {
	t := texts[r]
	method := "GET"
	if p.Preflight {
		method = "OPTIONS (preflight)"
	}
	ev := Evidence{
		Request: method + " " + p.url, Status: p.Status,
		AllowOrigin: p.AllowOrigin, AllowCredentials: p.AllowCredentials, Vary: p.Vary,
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s with Origin: %s answered %d with Access-Control-Allow-Origin: %s", method, p.Origin, p.Status, p.AllowOrigin)
	if p.AllowCredentials != "" {
		fmt.Fprintf(&b, " and Access-Control-Allow-Credentials: %s", p.AllowCredentials)
	}
	if r == ReasonVaryMissing {
		if p.Vary == "" {
			b.WriteString(", and no Vary header")
		} else {
			fmt.Fprintf(&b, ", and Vary: %s (without Origin)", p.Vary)
		}
	}
	ev.Summary = b.String()
	return Finding{
		Reason: r, Severity: severityOf(r, p.Credentialed), OriginSent: p.Origin, Evidence: ev,
		Credentials: p.Credentialed, Title: t.title, Risk: t.risk, Fix: t.fix,
	}
}

// notes are what the report says that is not a finding.
func notes(origin string, ps []Probe, reflected bool) []string {
	var out []string
	var failed []string
	for _, p := range ps {
		if p.Error != "" {
			failed = append(failed, p.Origin+": "+p.Error)
		}
		if p.Test != TestBaseline || p.Preflight || p.Status == 0 {
			continue
		}
		switch {
		case p.AllowOrigin == "*" && reflected:
			// "*" on the GET, yet some answer echoed a crafted origin:
			// not a public API's "*" (Starlette, for one, echoes the
			// origin once the request carries cookies).
			out = append(out, "The GET answers Access-Control-Allow-Origin: *, but another answer (see the finding's evidence) echoed a crafted origin: the server trusts any origin where it matters. Some servers (Starlette's CORSMiddleware with allow_origins=[\"*\"] and allow_credentials=True) echo the origin only when the request carries cookies, as a browser's credentialed request does, and answer * otherwise.")
		case p.AllowOrigin == "*" && p.AllowCredentials == "true":
			out = append(out, "The server answers Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true. Browsers refuse to share credentialed responses under \"*\", so this is a broken configuration rather than a hole; it is not a finding.")
		case p.AllowOrigin == "*":
			out = append(out, "The server answers Access-Control-Allow-Origin: * without credentials: any site may read the responses that need no cookies or authentication, which is the right choice for a public API. It is not a finding.")
		case !p.Accepted:
			v := p.AllowOrigin
			if v == "" {
				v = "no Access-Control-Allow-Origin"
			} else {
				v = "Access-Control-Allow-Origin: " + v
			}
			out = append(out, fmt.Sprintf("The server did not allow the page's own origin %s (%s); check --origin. The findings are about the other origins.", origin, v))
		}
	}
	if len(failed) > 0 {
		out = append(out, fmt.Sprintf("%d of %d probes got no response: %s", len(failed), len(ps), strings.Join(failed, "; ")))
	}
	return out
}
