package harimport

import (
	"net/url"
	"strings"

	"corsdoctor/diagnose"
)

// maxHops is how many redirects a chain follows, as browsers do (Fetch
// "HTTP-redirect fetch" step 5: more than 20 is a network error).
const maxHops = 20

// Item is one browser fetch found in a HAR: the entries it is made of, the
// request the page made as far as the recording tells, and the exchanges
// to judge; or, when Skip is set, why it is not judged.
type Item struct {
	// Entries are the positions in log.entries of the fetch's requests,
	// in the order the browser sent them.
	Entries []int
	// Method, URL and Origin name the fetch (hop 0) for a listing.
	Method string
	URL    string
	Origin string
	// OriginFrom says where Origin came from when the recording has no
	// Origin header: "the page URL" or "the Referer header".
	OriginFrom string
	// CredentialsFrom says why Request.Credentials is what it is.
	CredentialsFrom string
	// Request is the fetch() the page made, inferred from what the
	// browser sent: the Origin, the headers the preflight names (or, with
	// no preflight, those a browser does not add itself), the body.
	Request diagnose.Request
	// Exchanges are the recorded requests and responses, each with its
	// step, for diagnose.Evaluate.
	Exchanges []diagnose.Exchange
	// Skip says why the fetch is not judged (same-origin, served from a
	// cache); empty when it is to be judged.
	Skip string
	// Redacted names the headers whose values were redacted.
	Redacted []string
}

// The reasons Group gives for not judging an entry.
const (
	SkipSameOrigin = "same-origin: CORS does not apply"
	SkipFromCache  = "served from the browser's cache: nothing was exchanged with the server"
	SkipNoOrigin   = "no Origin header and no page URL or Referer to infer the page's origin from"
	SkipNotHTTP    = "not an http(s) URL"
)

// Group finds the browser fetches among a's entries: each actual request
// with its preflight and its redirect hops, each unmatched preflight on
// its own (a preflight that failed stops the fetch, and Chromium records
// the actual request only as a failure, or not at all). Items come in the
// order of their first entry.
func Group(a *Archive) []Item {
	g := grouper{a: a, used: make([]bool, len(a.Entries)), byURL: map[string][]int{}, preflights: map[string][]int{}}
	for k := range a.Entries {
		e := &a.Entries[k]
		u := normURL(e.URL)
		g.byURL[u] = append(g.byURL[u], k)
		if e.isPreflight() {
			acrm, _ := e.header("Access-Control-Request-Method")
			g.preflights[preflightKey(u, acrm)] = append(g.preflights[preflightKey(u, acrm)], k)
		}
	}
	type placed struct {
		first int // position of the item's first entry, for ordering
		item  Item
	}
	var out []placed
	// Actual requests first, so that each claims its own preflight.
	for k := range a.Entries {
		if g.used[k] || a.Entries[k].isPreflight() {
			continue
		}
		it := g.chain(k)
		out = append(out, placed{it.Entries[0], it})
	}
	for k := range a.Entries {
		if g.used[k] {
			continue
		}
		it := g.chain(k) // a preflight no actual request claimed
		out = append(out, placed{it.Entries[0], it})
	}
	// Stable insertion by first entry: the unmatched preflights go back
	// among the others in file order.
	items := make([]Item, 0, len(out))
	for i := range out {
		j := len(items)
		items = append(items, out[i].item)
		for j > 0 && items[j-1].Entries[0] > out[i].first {
			items[j], items[j-1] = items[j-1], items[j]
			j--
		}
	}
	return items
}

type grouper struct {
	a    *Archive
	used []bool
	// byURL indexes kept entries by normalised URL; preflights by URL and
	// the method they ask about.
	byURL      map[string][]int
	preflights map[string][]int
}

func preflightKey(u, method string) string { return method + " " + u }

// chain builds the item that starts at entry k (an actual request, or a
// preflight nobody claimed) and marks its entries used.
func (g *grouper) chain(k int) Item {
	first := &g.a.Entries[k]
	it := Item{Method: first.Method, URL: first.URL}
	if first.isPreflight() {
		it.Method, _ = first.header("Access-Control-Request-Method")
	}
	origin, from := g.originOf(first)
	it.OriginFrom = from
	it.Origin = origin

	// Why not judge it at all.
	target, err := url.Parse(first.URL)
	switch {
	case err != nil || (target.Scheme != "http" && target.Scheme != "https"):
		it.Skip = SkipNotHTTP
	case first.fromCache():
		it.Skip = SkipFromCache
	case origin == "":
		it.Skip = SkipNoOrigin
	case origin != "null" && origin == originOfURL(target):
		it.Skip = SkipSameOrigin
	}
	if it.Skip != "" {
		g.used[k] = true
		it.Entries = []int{first.Index}
		it.Redacted = first.Redacted
		return it
	}

	// Walk the hops: [preflight,] request, and on to the Location.
	method := it.Method
	u := normURL(first.URL)
	prev := -1 // the last position the chain has used so far
	var pre0, actual0 *Entry
	for hop := 0; hop <= maxHops; hop++ {
		pre, actual := -1, -1
		switch {
		case hop == 0 && first.isPreflight():
			pre = k
		case hop == 0:
			actual = k
			pre = g.findPreflight(u, method, -1, k, origin)
		default:
			actual = g.findActual(u, method, prev)
			near := actual
			if near < 0 {
				near = prev
			}
			pre = g.findPreflight(u, method, prev, near, "")
		}
		if pre >= 0 {
			g.used[pre] = true
			it.add(&g.a.Entries[pre], diagnose.StepPreflight, hop)
			prev = max(prev, pre)
		}
		if hop == 0 && pre >= 0 {
			pre0 = &g.a.Entries[pre]
		}
		if actual < 0 {
			break
		}
		g.used[actual] = true
		ae := &g.a.Entries[actual]
		if hop == 0 {
			actual0 = ae
		}
		it.add(ae, diagnose.StepActual, hop)
		prev = max(prev, actual)
		next, nextMethod, ok := redirectOf(ae, method)
		if !ok {
			break
		}
		u, method = next, nextMethod
	}
	it.Request = pageRequest(origin, it.Method, pre0, actual0)
	if cookies(&it) {
		it.Request.Credentials = diagnose.CredentialsInclude
		it.CredentialsFrom = "the browser sent cookies, so the page used credentials: 'include'"
	} else {
		it.CredentialsFrom = "no cookies were sent, so it is judged as credentials: 'same-origin'; if the page uses 'include' and the user had no cookies, check it with --credentials include"
	}
	return it
}

// add appends e as the exchange at step kind, hop.
func (it *Item) add(e *Entry, kind diagnose.StepKind, hop int) {
	it.Entries = append(it.Entries, e.Index)
	for _, n := range e.Redacted {
		addName(&it.Redacted, n)
	}
	it.Exchanges = append(it.Exchanges, exchange(e, diagnose.Step{Kind: kind, Hop: hop, URL: normURL(e.URL)}))
}

// findPreflight returns the unused preflight at URL u that asks for
// method, recorded after position lo, that is nearest to position near
// (before it on a tie), or -1. Browsers list them on either side:
// Firefox records the preflight before the request, Chromium the request
// first (it started the fetch) and its preflight after. A non-empty
// origin must match the preflight's Origin.
func (g *grouper) findPreflight(u, method string, lo, near int, origin string) int {
	best, bestDist := -1, 0
	for _, p := range g.preflights[preflightKey(u, method)] {
		if g.used[p] || p <= lo {
			continue
		}
		if po, _ := g.a.Entries[p].header("Origin"); origin != "" && !strings.EqualFold(strings.TrimSpace(po), origin) {
			continue
		}
		d := p - near
		if d < 0 {
			d = -d
		}
		// Positions ascend, so on a tie the earlier (before near) wins.
		if best < 0 || d < bestDist {
			best, bestDist = p, d
		}
	}
	return best
}

// findActual returns the first unused request at URL u with method,
// recorded after position lo, that is not a preflight; -1 when none.
func (g *grouper) findActual(u, method string, lo int) int {
	for _, k := range g.byURL[u] {
		e := &g.a.Entries[k]
		if !g.used[k] && k > lo && !e.isPreflight() && e.Method == method {
			return k
		}
	}
	return -1
}

// redirectOf reads where a redirect response of e leads (normalised) and
// the method the browser switches to there (a 303, or a 301 or 302 of a
// POST, becomes GET); ok is false when e is no redirect.
func redirectOf(e *Entry, method string) (string, string, bool) {
	switch e.Status {
	case 301, 302, 303, 307, 308:
	default:
		return "", "", false
	}
	loc, ok := getHeader(e.RespHeaders, "Location")
	if !ok {
		loc = e.RedirectURL
	}
	base, err := url.Parse(e.URL)
	if err != nil || loc == "" {
		return "", "", false
	}
	next, err := base.Parse(strings.TrimSpace(loc))
	if err != nil {
		return "", "", false
	}
	if e.Status == 303 && method != "HEAD" || (e.Status == 301 || e.Status == 302) && method == "POST" {
		method = "GET"
	}
	return normURL(next.String()), method, true
}

// originOf is the page's origin for the fetch starting at e: its Origin
// header, else (a fetch() or XMLHttpRequest without one) the origin of the
// page's URL or of the Referer, and where it came from when inferred.
func (g *grouper) originOf(e *Entry) (origin, from string) {
	if o, ok := e.header("Origin"); ok {
		return strings.TrimSpace(o), ""
	}
	if title, ok := g.a.Pages[e.PageRef]; ok {
		if u, err := url.Parse(title); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return originOfURL(u), "the page URL"
		}
	}
	if ref, ok := e.header("Referer"); ok {
		if u, err := url.Parse(ref); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return originOfURL(u), "the Referer header"
		}
	}
	return "", ""
}

// browserAdded are the request headers a browser adds itself (lower case);
// with no preflight to say which headers the page set, the others are
// taken as the page's.
var browserAdded = map[string]bool{
	"accept-encoding": true, "accept-language": true, "cache-control": true, "connection": true,
	"content-length": true, "cookie": true, "date": true, "dnt": true, "expect": true, "host": true,
	"if-match": true, "if-modified-since": true, "if-none-match": true, "if-range": true,
	"if-unmodified-since": true, "keep-alive": true, "origin": true, "pragma": true, "priority": true,
	"purpose": true, "referer": true, "save-data": true, "te": true, "trailer": true,
	"transfer-encoding": true, "upgrade": true, "upgrade-insecure-requests": true, "user-agent": true,
	"via": true, "x-client-data": true,
}

func isBrowserAdded(name string) bool {
	n := strings.ToLower(name)
	return browserAdded[n] || strings.HasPrefix(n, "sec-") || strings.HasPrefix(n, "proxy-") ||
		strings.HasPrefix(n, "access-control-request-")
}

// pageRequest infers the fetch() the page made. With a preflight, the page
// set exactly the headers its Access-Control-Request-Headers names (their
// values from the actual request when it was recorded, else empty, which
// keeps them non-safelisted as they were) plus the safelisted
// Content-Type, Content-Language and a non-default Accept; without one,
// every header a browser does not add itself.
func pageRequest(origin, method string, pre, actual *Entry) diagnose.Request {
	req := diagnose.Request{Origin: origin, Method: method, Mode: diagnose.ModeCORS}
	switch {
	case actual != nil:
		req.URL = actual.URL
		req.Body = actual.Body
	case pre != nil:
		req.URL = pre.URL
	}
	if u, err := url.Parse(req.URL); err == nil {
		u.Fragment, u.RawFragment = "", ""
		req.URL = u.String()
	}
	var from []diagnose.Header
	if actual != nil {
		from = actual.Headers
	}
	if pre != nil {
		acrh, _ := pre.header("Access-Control-Request-Headers")
		named := map[string]bool{}
		for n := range strings.SplitSeq(acrh, ",") {
			n = strings.TrimSpace(n)
			if n == "" || named[strings.ToLower(n)] {
				continue
			}
			named[strings.ToLower(n)] = true
			h := diagnose.Header{Name: n}
			for _, fh := range from {
				if strings.EqualFold(fh.Name, n) {
					h = fh
					break
				}
			}
			req.Headers = append(req.Headers, h)
		}
		for _, h := range from {
			n := strings.ToLower(h.Name)
			if named[n] {
				continue
			}
			if n == "content-type" || n == "content-language" || n == "accept" && h.Value != "*/*" {
				req.Headers = append(req.Headers, h)
			}
		}
		return req
	}
	for _, h := range from {
		if isBrowserAdded(h.Name) || strings.EqualFold(h.Name, "Accept") && h.Value == "*/*" {
			continue
		}
		req.Headers = append(req.Headers, h)
	}
	return req
}

// cookies reports whether the browser sent a Cookie header on an actual
// request of the fetch: a cross-origin fetch sends cookies only with
// credentials: 'include'.
func cookies(it *Item) bool {
	for _, ex := range it.Exchanges {
		if _, ok := getHeader(ex.Request.Headers, "Cookie"); ok && ex.Step.Kind == diagnose.StepActual {
			return true
		}
	}
	return false
}

// exchange converts a recorded entry into the exchange Evaluate judges.
func exchange(e *Entry, step diagnose.Step) diagnose.Exchange {
	ex := diagnose.Exchange{
		Step: step,
		Request: diagnose.SentRequest{
			Method: e.Method, URL: e.URL, Proto: e.Proto,
			Headers: e.Headers, Body: e.Body,
		},
		RemoteAddr: e.ServerIP,
		Started:    e.Started,
		DurationMS: e.DurationMS,
	}
	if e.Status == 0 {
		ex.Error = netError(e.Error)
		return ex
	}
	ex.Response = &diagnose.Response{
		Proto: e.RespProto, Status: e.Status, StatusText: e.StatusText,
		Headers: e.RespHeaders, HeaderBytes: e.HeaderBytes,
		Body: e.RespBody, BodyTruncated: e.RespTruncated,
	}
	return ex
}

// netError classifies a recorded failure (Chromium's net::ERR_* codes).
func netError(msg string) *diagnose.NetError {
	m := strings.ToUpper(msg)
	ne := &diagnose.NetError{Kind: "closed", Message: "the recording has no response"}
	if msg != "" {
		ne.Message += " (" + msg + ")"
	}
	if strings.HasPrefix(m, "NET::ERR_") {
		ne.Chromium = msg
	}
	switch {
	case strings.Contains(m, "NAME_NOT_RESOLVED"):
		ne.Kind = "dns"
	case strings.Contains(m, "CONNECTION_REFUSED"):
		ne.Kind = "refused"
	case strings.Contains(m, "CONNECTION_RESET"):
		ne.Kind = "reset"
	case strings.Contains(m, "TIMED_OUT"):
		ne.Kind = "timeout"
	case strings.Contains(m, "CERT") || strings.Contains(m, "SSL"):
		ne.Kind = "tls"
	}
	return ne
}

// normURL is a URL as the judge names a step: parsed and printed again,
// without its fragment (browsers never send it).
func normURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// originOfURL is the ASCII serialisation of u's origin.
func originOfURL(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return strings.ToLower(u.Scheme) + "://" + host
}
