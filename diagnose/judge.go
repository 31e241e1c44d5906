package diagnose

import (
	"strconv"
	"strings"
)

// judgeAccess runs browser b's CORS check (Fetch #concept-cors-check) on a
// response, in b's order, and returns every failure it would hit. preflight
// selects Chromium's "Response to preflight request..." wording.
func (w *walker) judgeAccess(b Browser, ex *Exchange, preflight bool) []failure {
	return w.judgeAccessAs(b, ex, preflight, w.requestOrigin())
}

// firefoxAccessWithOrigin runs Gecko's check as if the origin were origin.
func (w *walker) firefoxAccessWithOrigin(ex *Exchange, origin string) []failure {
	return w.judgeAccessAs(Firefox, ex, true, origin)
}

func (w *walker) judgeAccessAs(b Browser, ex *Exchange, preflight bool, origin string) []failure {
	resp := ex.Response
	url := ex.Step.URL
	creds := w.withCredentials()
	acaoLines := resp.values("Access-Control-Allow-Origin")
	acao, hasACAO := resp.get("Access-Control-Allow-Origin")
	acac, hasACAC := resp.get("Access-Control-Allow-Credentials")
	var out []failure

	switch b {
	case Firefox:
		// nsCORSListenerProxy::CheckRequestApproved.
		switch {
		case len(acaoLines) > 1:
			out = append(out, failure{key: "allow-origin", reason: "CORSMultipleAllowOriginNotAllowed", header: "Access-Control-Allow-Origin", value: acao, console: ffMultipleAllowOrigin(url)})
		case !hasACAO:
			out = append(out, failure{key: "allow-origin", reason: "CORSMissingAllowOrigin", header: "Access-Control-Allow-Origin", console: ffMissingAllowOrigin(url, statusParam(resp.Status))})
		case creds && acao == "*":
			out = append(out, failure{key: "allow-origin", reason: "CORSNotSupportingCredentials", header: "Access-Control-Allow-Origin", value: acao, console: ffNotSupportingCredentials(url)})
		case (creds || acao != "*") && acao != origin:
			out = append(out, failure{key: "allow-origin", reason: "CORSAllowOriginNotMatchingOrigin", header: "Access-Control-Allow-Origin", value: acao, console: ffAllowOriginNotMatching(url, acao)})
		}
		if creds && acac != "true" {
			out = append(out, failure{key: "allow-credentials", reason: "CORSMissingAllowCredentials", header: "Access-Control-Allow-Credentials", value: acac, console: ffMissingAllowCredentials(url)})
		}
	case Chromium:
		// network::cors::CheckAccess.
		line := func(body string) string { return chromiumLine(w.p.target.String(), url, w.p.origin, preflight, body) }
		switch {
		case hasACAO && acao == "*":
			if creds {
				out = append(out, failure{key: "allow-origin", reason: "CORSNotSupportingCredentials", header: "Access-Control-Allow-Origin", value: acao, console: line(crWildcardOrigin())})
			}
		case !hasACAO:
			out = append(out, failure{key: "allow-origin", reason: "CORSMissingAllowOrigin", header: "Access-Control-Allow-Origin", console: line(crMissingAllowOrigin())})
		case acao != origin:
			f := failure{key: "allow-origin", reason: "CORSAllowOriginNotMatchingOrigin", header: "Access-Control-Allow-Origin", value: acao}
			switch {
			case strings.ContainsAny(acao, " ,"):
				f.reason = "CORSMultipleAllowOriginNotAllowed"
				f.console = line(crMultipleAllowOrigin(acao))
			case acao == "null":
				f.console = line(crAllowOriginMismatch(acao))
			case !gurlValid(acao):
				f.console = line(crInvalidAllowOrigin(acao))
			default:
				f.console = line(crAllowOriginMismatch(acao))
			}
			out = append(out, f)
		}
		if creds && acac != "true" {
			v := acac
			if !hasACAC {
				v = ""
			}
			out = append(out, failure{key: "allow-credentials", reason: "CORSMissingAllowCredentials", header: "Access-Control-Allow-Credentials", value: v, console: line(crInvalidAllowCredentials(v))})
		}
	}
	return out
}

// statusParam renders Gecko's %2$S status parameter.
func statusParam(status int) string {
	if status <= 0 {
		return "(null)"
	}
	return strconv.Itoa(status)
}

// gurlValid approximates Chromium's GURL validity for an ACAO value: an
// absolute URL with a scheme and, for http(s), a host.
func gurlValid(v string) bool {
	i := strings.Index(v, ":")
	if i <= 0 {
		return false
	}
	scheme := strings.ToLower(v[:i])
	for j := 0; j < len(scheme); j++ {
		c := scheme[j]
		if !(c >= 'a' && c <= 'z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	if scheme == "http" || scheme == "https" {
		rest := strings.TrimLeft(v[i+1:], "/")
		host := rest
		if k := strings.IndexAny(rest, "/?#"); k >= 0 {
			host = rest[:k]
		}
		return host != "" && !strings.ContainsAny(host, " <>\"")
	}
	return true
}

// judgePreflight runs b's checks on a preflight response, in b's order.
func (w *walker) judgePreflight(b Browser, ex *Exchange) []failure {
	url := ex.Step.URL
	if ex.Error != nil {
		f := failure{key: "network", reason: "CORSDidNotSucceed", value: ex.Error.Message}
		if b == Firefox {
			f.console = ffDidNotSucceed(url)
			if ex.Error.Kind == "http09" {
				// An HTTP/0.9 reply to Gecko: a 200 without any header.
				f = failure{key: "allow-origin", reason: "CORSMissingAllowOrigin", header: "Access-Control-Allow-Origin", console: ffMissingAllowOrigin(url, "200")}
			}
		}
		return []failure{f}
	}
	resp := ex.Response
	creds := w.withCredentials()
	var out []failure
	crLine := func(pre bool, body string) string {
		return chromiumLine(w.p.target.String(), url, w.p.origin, pre, body)
	}

	if b == Chromium && resp.isRedirect() {
		// PreflightController rejects any redirect before looking at headers.
		loc, _ := resp.get("Location")
		return []failure{{key: "preflight-redirect", reason: "CORSExternalRedirectNotAllowed", header: "Location", value: loc, console: crLine(true, crPreflightRedirect)}}
	}
	out = append(out, w.judgeAccess(b, ex, true)...)
	if b == Firefox && resp.isRedirect() {
		loc, _ := resp.get("Location")
		out = append(out, failure{key: "preflight-redirect", reason: "CORSExternalRedirectNotAllowed", header: "Location", value: loc, console: ffExternalRedirect(url)})
		return out
	}
	if resp.Status < 200 || resp.Status > 299 {
		f := failure{key: "preflight-status", reason: "CORSPreflightDidNotSucceed", value: strconv.Itoa(resp.Status)}
		if b == Firefox {
			f.console = ffPreflightDidNotSucceed(url, resp.Status)
		} else {
			f.console = crLine(true, crPreflightInvalidStatus)
		}
		out = append(out, f)
	}

	acamRaw, _ := resp.get("Access-Control-Allow-Methods")
	acahRaw, _ := resp.get("Access-Control-Allow-Headers")
	methods, badMethod := parseTokenList(acamRaw)
	headers, badHeader := parseTokenList(acahRaw)

	methodFailure := func() *failure {
		if badMethod != "" {
			return nil
		}
		if methodAllowed(w.method, methods, creds) {
			return nil
		}
		f := failure{key: "allow-methods", reason: "CORSMethodNotFound", header: "Access-Control-Allow-Methods", value: acamRaw}
		if b == Firefox {
			f.console = ffMethodNotFound(url)
		} else {
			f.console = crLine(false, crMethodDisallowed(w.method))
		}
		return &f
	}
	headerFailure := func() *failure {
		if badHeader != "" {
			return nil
		}
		missing := missingHeaders(w.hopDecision.UnsafeHeaders, headers, creds)
		if len(missing) == 0 {
			return nil
		}
		f := failure{key: "allow-headers", reason: "CORSMissingAllowHeaderFromPreflight", header: "Access-Control-Allow-Headers", value: missing[0]}
		if b == Firefox {
			f.console = ffMissingAllowHeader(url, missing[0])
		} else {
			f.console = crLine(false, crHeaderDisallowed(missing[0]))
		}
		return &f
	}
	syntax := func(which string, token string) failure {
		if which == "methods" {
			f := failure{key: "allow-methods-syntax", reason: "CORSInvalidAllowMethod", header: "Access-Control-Allow-Methods", value: token}
			if b == Firefox {
				f.console = ffInvalidAllowMethod(url, token)
			} else {
				f.console = crLine(false, crInvalidAllowMethods)
			}
			return f
		}
		f := failure{key: "allow-headers-syntax", reason: "CORSInvalidAllowHeader", header: "Access-Control-Allow-Headers", value: token}
		if b == Firefox {
			f.console = ffInvalidAllowHeader(url, token)
		} else {
			f.console = crLine(false, crInvalidAllowHeaders)
		}
		return f
	}

	if b == Firefox {
		// nsCORSPreflightListener: methods (syntax, then match), then headers.
		if badMethod != "" {
			out = append(out, syntax("methods", badMethod))
		} else if f := methodFailure(); f != nil {
			out = append(out, *f)
		}
		if badHeader != "" {
			out = append(out, syntax("headers", badHeader))
		} else if f := headerFailure(); f != nil {
			out = append(out, *f)
		}
	} else {
		// PreflightResult::Create parses both lists before any match.
		if badMethod != "" {
			out = append(out, syntax("methods", badMethod))
		}
		if badHeader != "" {
			out = append(out, syntax("headers", badHeader))
		}
		if f := methodFailure(); f != nil {
			out = append(out, *f)
		}
		if f := headerFailure(); f != nil {
			out = append(out, *f)
		}
	}
	if len(out) == 0 && authorizationUnderWildcard(w.hopDecision.UnsafeHeaders, headers, creds) && b == Firefox {
		out = append(out, failure{key: "warn", reason: "authorization-wildcard", header: "Access-Control-Allow-Headers", value: acahRaw, console: ffAuthorizationWildcardWarning(url)})
	}
	return out
}

// methodAllowed is CORS-preflight fetch step 7.5: safelisted methods always
// pass; otherwise an exact (case-sensitive) entry, or "*" without
// credentials.
func methodAllowed(method string, allowed []string, creds bool) bool {
	if isSafelistedMethod(method) {
		return true
	}
	for _, m := range allowed {
		if m == method || (m == "*" && !creds) {
			return true
		}
	}
	return false
}

// missingHeaders is steps 7.6-7.7: each CORS-unsafe name must be listed
// (case-insensitively) or covered by "*" without credentials. Authorization
// is never covered by "*" in the standard; both Firefox (pref
// network.cors_preflight.authorization_covered_by_wildcard, default true)
// and Chromium (kCorsNonWildcardRequestHeadersSupport, disabled) still let
// it through with a warning, so it is reported as a warning, not a block.
func missingHeaders(unsafe, allowed []string, creds bool) []string {
	set := make(map[string]bool, len(allowed))
	wildcard := false
	for _, h := range allowed {
		if h == "*" {
			wildcard = true
		}
		set[strings.ToLower(h)] = true
	}
	var missing []string
	for _, name := range unsafe {
		if set[name] {
			continue
		}
		if wildcard && !creds {
			continue
		}
		missing = append(missing, name)
	}
	return missing
}

func authorizationUnderWildcard(unsafe, allowed []string, creds bool) bool {
	if creds {
		return false
	}
	wildcard, listed, sent := false, false, false
	for _, h := range allowed {
		if h == "*" {
			wildcard = true
		}
		if strings.EqualFold(h, "authorization") {
			listed = true
		}
	}
	for _, n := range unsafe {
		if n == "authorization" {
			sent = true
		}
	}
	return sent && wildcard && !listed
}
