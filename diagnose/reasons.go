package diagnose

import (
	"fmt"
	"strings"
)

// ReasonInfo documents one reason corsdoctor can report. Firefox's fifteen
// reasons keep Firefox's IDs; corsdoctor's own IDs are lower-case words.
type ReasonInfo struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"` // "firefox" or "corsdoctor"
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Summary  string   `json:"summary"`
	// Firefox, Chromium and Safari are the console texts, with <url>,
	// <origin>, <value> standing for what each case fills in.
	Firefox  string   `json:"firefox,omitempty"`
	Chromium string   `json:"chromium,omitempty"`
	Safari   string   `json:"safari,omitempty"`
	Causes   []string `json:"causes,omitempty"`
	Fix      string   `json:"fix"`
	Doc      string   `json:"doc,omitempty"`
	Spec     string   `json:"spec,omitempty"`
}

const (
	mdnErrors = "https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS/Errors/"
	fetchSpec = "https://fetch.spec.whatwg.org/"
	crPrefix  = "Access to fetch at '<url>' from origin '<origin>' has been blocked by CORS policy: "
)

var reasons = []ReasonInfo{
	{ID: "CORSDisabled", Kind: "firefox", Severity: SeverityError, Title: "CORS is disabled in the browser",
		Summary: "Firefox's content.cors.disable preference is on, so every cross-origin request fails. No server can fix this, and no prober can observe it: when corsdoctor finds every server check passing but Firefox still says this, look at the browser profile.",
		Firefox: "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: CORS disabled).",
		Causes:  []string{"A test profile or about:config set content.cors.disable to true."},
		Fix:     "Reset content.cors.disable to false in about:config.",
		Doc:     mdnErrors + "CORSDisabled"},
	{ID: "CORSDidNotSucceed", Kind: "firefox", Severity: SeverityError, Title: "The request did not get a usable response",
		Summary:  "The HTTP request failed at the network level (DNS, refused connection, TLS error, reset, timeout, garbage reply), or it was never sent because its preflight failed. JavaScript only sees a TypeError.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: CORS request did not succeed). Status code: (null).",
		Chromium: "No CORS line: a network error such as net::ERR_CONNECTION_REFUSED, and TypeError: Failed to fetch.",
		Safari:   "Fetch API cannot load <url> due to access control checks.",
		Causes:   []string{"The server is down or the port is wrong.", "The TLS certificate is invalid, expired, self-signed or for another host.", "An HTTPS page calls an http:// URL (mixed content).", "A preflight failed just before: Firefox then logs this line for the actual request too.", "An ad blocker, proxy or VPN cut the request (a server-side prober cannot see that)."},
		Fix:      "Make the endpoint reachable over a valid HTTPS certificate. If a preflight line precedes this one, fix that one first.",
		Doc:      mdnErrors + "CORSDidNotSucceed", Spec: fetchSpec + "#concept-network-error"},
	{ID: "CORSOriginHeaderNotAdded", Kind: "firefox", Severity: SeverityError, Title: "The Origin header could not be added",
		Summary: "Firefox-internal: privileged code (an extension with several principals) issued the request, so no single Origin could be sent. Not a server problem, and not observable by a prober.",
		Firefox: "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: CORS header ‘Origin’ cannot be added).",
		Fix:     "Make the request from ordinary page script.",
		Doc:     mdnErrors + "CORSOriginHeaderNotAdded"},
	{ID: "CORSExternalRedirectNotAllowed", Kind: "firefox", Severity: SeverityError, Title: "The preflight was redirected",
		Summary:  "A preflight must be answered at the URL it was sent to, with a 2xx status. Browsers never follow a redirect of a preflight.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: CORS request external redirect not allowed).",
		Chromium: crPrefix + "Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request.",
		Causes:   []string{"An http→https or trailing-slash redirect in front of the API.", "A www/apex redirect.", "An authentication gateway redirecting unauthenticated requests (preflights never carry credentials) to a login page."},
		Fix:      "Let the page call the final URL directly, and answer OPTIONS at that URL with 204 and the CORS headers, before any redirect or authentication rule.",
		Doc:      mdnErrors + "CORSExternalRedirectNotAllowed", Spec: fetchSpec + "#cors-preflight-fetch-0"},
	{ID: "CORSRequestNotHttp", Kind: "firefox", Severity: SeverityError, Title: "The URL is not http or https",
		Summary:  "CORS requests work only with http: and https: URLs. A page opened from file://, or a redirect to another scheme, fails.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: CORS request not http).",
		Chromium: crPrefix + "Cross origin requests are only supported for protocol schemes: <schemes>.",
		Safari:   "Cross origin requests are only supported for HTTP.",
		Causes:   []string{"The page was opened from a file:// URL.", "A redirect points to a non-http(s) scheme."},
		Fix:      "Serve the page over http(s) (a local dev server) and redirect only to http(s) URLs.",
		Doc:      mdnErrors + "CORSRequestNotHttp", Spec: fetchSpec + "#main-fetch"},
	{ID: "CORSMissingAllowOrigin", Kind: "firefox", Severity: SeverityError, Title: "The response has no Access-Control-Allow-Origin header",
		Summary:  "Without Access-Control-Allow-Origin the browser refuses to let page JavaScript read the response (and, on a preflight, refuses to send the request).",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: CORS header ‘Access-Control-Allow-Origin’ missing). Status code: <status>.",
		Chromium: crPrefix + "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
		Safari:   "Origin <origin> is not allowed by Access-Control-Allow-Origin. Status code: <status>",
		Causes:   []string{"No CORS middleware, or it is registered after routing, authentication or error handling.", "Error responses (401/403/404/500) skip the CORS middleware; nginx add_header without 'always'.", "The middleware refused the origin, method or a header and answered without any CORS header (rs/cors, go-chi/cors, jub0bs/cors do this).", "A proxy or CDN strips the header."},
		Fix:      "Send Access-Control-Allow-Origin with the page's exact origin (or * for public, credential-less data) on every response, errors and redirects included.",
		Doc:      mdnErrors + "CORSMissingAllowOrigin", Spec: fetchSpec + "#concept-cors-check"},
	{ID: "CORSAllowOriginNotMatchingOrigin", Kind: "firefox", Severity: SeverityError, Title: "Access-Control-Allow-Origin does not match the origin",
		Summary:  "The header must equal the page's serialised origin byte for byte: scheme, host and port, no path, no trailing slash, exact case.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘<value>’).",
		Chromium: crPrefix + "The 'Access-Control-Allow-Origin' header has a value '<value>' that is not equal to the supplied origin. Have the server send the header with a valid value.",
		Safari:   "Origin <origin> is not allowed by Access-Control-Allow-Origin. Status code: <status>",
		Causes:   []string{"A hard-coded production origin while testing from localhost or a preview URL.", "A trailing slash, http vs https, or a missing/extra port.", "Several origins in one header (only one is allowed).", "A CDN cached the header for another origin (missing Vary: Origin).", "After a cross-origin redirect the browser's origin is null."},
		Fix:      "Compare the request's Origin against an allow-list and echo it exactly when it matches, with Vary: Origin.",
		Doc:      mdnErrors + "CORSAllowOriginNotMatchingOrigin", Spec: fetchSpec + "#concept-cors-check"},
	{ID: "CORSNotSupportingCredentials", Kind: "firefox", Severity: SeverityError, Title: "Access-Control-Allow-Origin is * but the request includes credentials",
		Summary:  "With credentials: 'include' (or withCredentials), the wildcard * is refused: the server must name the origin.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘<url>’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).",
		Chromium: crPrefix + "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.",
		Safari:   "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.",
		Causes:   []string{"A wildcard CORS configuration combined with credentials: 'include' on the client."},
		Fix:      "Return the specific allow-listed origin with Access-Control-Allow-Credentials: true and Vary: Origin, or stop sending credentials. Never reflect any origin blindly.",
		Doc:      mdnErrors + "CORSNotSupportingCredentials", Spec: fetchSpec + "#cors-protocol-and-credentials"},
	{ID: "CORSMethodNotFound", Kind: "firefox", Severity: SeverityError, Title: "The method is not in Access-Control-Allow-Methods",
		Summary:  "The preflight's Access-Control-Allow-Methods must list the method exactly (case-sensitive), or be * for requests without credentials. GET, HEAD and POST never need listing.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: Did not find method in CORS header ‘Access-Control-Allow-Methods’).",
		Chromium: crPrefix + "Method <method> is not allowed by Access-Control-Allow-Methods in preflight response.",
		Safari:   "Method <method> is not allowed by Access-Control-Allow-Methods.",
		Causes:   []string{"The method is missing from the server's list.", "The page sends 'patch' (fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT) while the server lists 'PATCH'.", "* is used with credentials, where it means a method literally named *."},
		Fix:      "List the exact method names in Access-Control-Allow-Methods, and write PATCH in upper case in the client.",
		Doc:      mdnErrors + "CORSMethodNotFound", Spec: fetchSpec + "#cors-preflight-fetch-0"},
	{ID: "CORSMissingAllowCredentials", Kind: "firefox", Severity: SeverityError, Title: "Access-Control-Allow-Credentials is not true",
		Summary:  "A request with credentials needs Access-Control-Allow-Credentials: true (exactly, lower case, once) on the preflight and on the actual response.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).",
		Chromium: crPrefix + "The value of the 'Access-Control-Allow-Credentials' header in the response is '<value>' which must be 'true' when the request's credentials mode is 'include'.",
		Safari:   "Credentials flag is true, but Access-Control-Allow-Credentials is not \"true\".",
		Causes:   []string{"The header is missing on the preflight or on error responses.", "It says True or 1.", "A proxy and the app both add it, giving 'true, true'."},
		Fix:      "Send exactly one Access-Control-Allow-Credentials: true on the preflight and the actual response, or stop sending credentials.",
		Doc:      mdnErrors + "CORSMIssingAllowCredentials", Spec: fetchSpec + "#http-access-control-allow-credentials"},
	{ID: "CORSPreflightDidNotSucceed", Kind: "firefox", Severity: SeverityError, Title: "The preflight status is not 2xx",
		Summary:  "The OPTIONS preflight must be answered with an ok status (200-299).",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: CORS preflight response did not succeed). Status code: <status>.",
		Chromium: crPrefix + "Response to preflight request doesn't pass access control check: It does not have HTTP ok status.",
		Safari:   "Preflight response is not successful. Status code: <status>",
		Causes:   []string{"No OPTIONS route (404/405).", "Authentication middleware answers 401/403: preflights never carry credentials.", "A WAF or CDN blocks OPTIONS.", "The handler crashes (500)."},
		Fix:      "Answer OPTIONS preflights before authentication and routing, with 204 and the CORS headers.",
		Doc:      mdnErrors + "CORSPreflightDidNotSucceed", Spec: fetchSpec + "#cors-preflight-fetch-0"},
	{ID: "CORSInvalidAllowMethod", Kind: "firefox", Severity: SeverityError, Title: "Access-Control-Allow-Methods does not parse",
		Summary:  "The header must be a comma-separated list of method tokens; one invalid item makes the whole preflight fail.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: invalid token ‘<value>’ in CORS header ‘Access-Control-Allow-Methods’).",
		Chromium: "Access to fetch at '<url>' from origin '<origin>' has been blocked by CORS policy: Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
		Safari:   "Header Access-Control-Allow-Methods has an invalid value: <value>",
		Causes:   []string{"Space- or semicolon-separated lists.", "Quotes or stray characters from a template."},
		Fix:      "Use a comma-separated list such as GET, POST, PUT, DELETE.",
		Doc:      mdnErrors + "CORSInvalidAllowMethod", Spec: fetchSpec + "#cors-preflight-fetch-0"},
	{ID: "CORSInvalidAllowHeader", Kind: "firefox", Severity: SeverityError, Title: "Access-Control-Allow-Headers does not parse",
		Summary:  "The header must be a comma-separated list of header names; one invalid item makes the whole preflight fail.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: invalid token ‘<value>’ in CORS header ‘Access-Control-Allow-Headers’).",
		Chromium: "Access to fetch at '<url>' from origin '<origin>' has been blocked by CORS policy: Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
		Safari:   "Header Access-Control-Allow-Headers has an invalid value: <value>",
		Causes:   []string{"Space- or semicolon-separated lists.", "Quotes, colons or stray characters."},
		Fix:      "Use a comma-separated list such as Content-Type, Authorization.",
		Doc:      mdnErrors + "CORSInvalidAllowHeader", Spec: fetchSpec + "#cors-preflight-fetch-0"},
	{ID: "CORSMissingAllowHeaderFromPreflight", Kind: "firefox", Severity: SeverityError, Title: "A request header is not in Access-Control-Allow-Headers",
		Summary:  "Every CORS-unsafe request header must be listed in the preflight's Access-Control-Allow-Headers (case-insensitively), or covered by * when there are no credentials.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: header ‘<name>’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).",
		Chromium: "Access to fetch at '<url>' from origin '<origin>' has been blocked by CORS policy: Request header field <name> is not allowed by Access-Control-Allow-Headers in preflight response.",
		Safari:   "Request header field <Name> is not allowed by Access-Control-Allow-Headers.",
		Causes:   []string{"Custom headers (X-Requested-With, tracing headers) not listed.", "Content-Type: application/json makes Content-Type CORS-unsafe.", "* with credentials means a header literally named *."},
		Fix:      "List every header the client sends in Access-Control-Allow-Headers.",
		Doc:      mdnErrors + "CORSMissingAllowHeaderFromPreflight", Spec: fetchSpec + "#cors-preflight-fetch-0"},
	{ID: "CORSMultipleAllowOriginNotAllowed", Kind: "firefox", Severity: SeverityError, Title: "Access-Control-Allow-Origin is sent more than once",
		Summary:  "Only one origin (or *) may appear, in one header line. Two lines, or a list in one line, fail.",
		Firefox:  "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at <url>. (Reason: Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).",
		Chromium: crPrefix + "The 'Access-Control-Allow-Origin' header contains multiple values '<value>', but only one is allowed. Have the server send the header with a valid value.",
		Safari:   "Access-Control-Allow-Origin cannot contain more than one origin.",
		Causes:   []string{"Both the reverse proxy (nginx add_header) and the application add the header.", "An allow-list is returned verbatim as a comma list.", "Firefox only: observed in Firefox 153 when the server closes the connection of a PUT without any reply after a successful preflight; check that the server answers at all."},
		Fix:      "Emit exactly one Access-Control-Allow-Origin with one origin: configure CORS in one layer only.",
		Doc:      mdnErrors + "CORSMultipleAllowOriginNotAllowed", Spec: fetchSpec + "#http-access-control-allow-origin"},

	// corsdoctor's own errors: failures Firefox has no reason string for.
	{ID: "redirect-userinfo", Kind: "corsdoctor", Severity: SeverityError, Title: "The redirect target contains a user name or password",
		Summary:  "Browsers refuse to follow a redirect of a CORS request to a URL with credentials in it (user:pass@host).",
		Chromium: crPrefix + "Redirect location '<value>' contains a username and password, which is disallowed for cross-origin requests.",
		Firefox:  "No dedicated reason: the fetch fails (the request did not succeed).",
		Fix:      "Remove user:pass@ from redirect targets; send credentials in headers instead.",
		Spec:     fetchSpec + "#http-redirect-fetch"},
	{ID: "too-many-redirects", Kind: "corsdoctor", Severity: SeverityError, Title: "More than 20 redirects",
		Summary:  "Browsers give up after 20 redirects (a redirect loop).",
		Chromium: "No CORS line: net::ERR_TOO_MANY_REDIRECTS.",
		Firefox:  "The fetch fails with a network error.",
		Fix:      "Break the redirect loop (often an http↔https or trailing-slash rule fighting another one).",
		Spec:     fetchSpec + "#http-redirect-fetch"},
	{ID: "invalid-redirect-location", Kind: "corsdoctor", Severity: SeverityError, Title: "The redirect Location is not a valid URL",
		Summary: "The browser cannot parse the Location header, so the fetch fails.",
		Fix:     "Send an absolute, valid URL in Location.",
		Spec:    fetchSpec + "#http-redirect-fetch"},
	{ID: "disallowed-by-mode", Kind: "corsdoctor", Severity: SeverityError, Title: "mode: 'same-origin' forbids cross-origin requests",
		Summary:  "The page asked fetch() for mode 'same-origin', so any cross-origin URL fails before a request is sent.",
		Chromium: "Fetch API cannot load <url>. Request mode is \"same-origin\" but the URL's origin is not same as the request origin <origin>.",
		Fix:      "Use mode 'cors' (the default) for cross-origin requests.",
		Spec:     fetchSpec + "#main-fetch"},

	// Warnings.
	{ID: "vary-origin-missing", Kind: "corsdoctor", Severity: SeverityWarning, Title: "Access-Control-Allow-Origin echoes the origin without Vary: Origin",
		Summary: "When the header depends on the request's Origin, caches (the browser's, a CDN's) must know it, or they serve one origin's answer to another: intermittent CORS errors.",
		Fix:     "Add Vary: Origin to every response whose Access-Control-Allow-Origin depends on the request.",
		Spec:    fetchSpec + "#cors-protocol-and-http-caches"},
	{ID: "expose-headers-on-preflight", Kind: "corsdoctor", Severity: SeverityWarning, Title: "Access-Control-Expose-Headers is on the preflight, not the actual response",
		Summary: "Browsers read Access-Control-Expose-Headers only from the actual response; on a preflight it does nothing, so JavaScript still cannot read those headers.",
		Fix:     "Send Access-Control-Expose-Headers on the actual (GET/POST/...) responses.",
		Spec:    fetchSpec + "#http-access-control-expose-headers"},
	{ID: "max-age-capped", Kind: "corsdoctor", Severity: SeverityWarning, Title: "Access-Control-Max-Age is above what browsers keep",
		Summary: "Browsers cap the preflight cache: Chromium at 7200 seconds (2 hours), Firefox at 86400 (24 hours), Safari at 600. A larger value is silently lowered; a value that is not a number is ignored.",
		Fix:     "Use a value of 7200 or less, and expect browsers to re-send the preflight at least that often.",
		Spec:    fetchSpec + "#http-access-control-max-age"},
	{ID: "authorization-wildcard", Kind: "corsdoctor", Severity: SeverityWarning, Title: "Authorization is covered only by Access-Control-Allow-Headers: *",
		Summary:  "The Fetch standard says * never covers Authorization. Chromium and Firefox still allow it today (Firefox prints a warning, Chromium an Issues-panel deprecation); Safari allows it. It will break when browsers enforce the rule.",
		Firefox:  "Cross-Origin Request Warning: The Same Origin Policy will disallow reading the remote resource at <url> soon. (Reason: When the `Access-Control-Allow-Headers` is `*`, the `Authorization` header is not covered. To include the `Authorization` header, it must be explicitly listed in CORS header `Access-Control-Allow-Headers`).",
		Chromium: "Authorization will not be covered by the wildcard symbol (*) in CORS `Access-Control-Allow-Headers` handling. (DevTools Issues panel)",
		Fix:      "List Authorization explicitly: Access-Control-Allow-Headers: Authorization, *",
		Spec:     fetchSpec + "#cors-non-wildcard-request-header-name"},
	{ID: "cors-missing-on-error", Kind: "corsdoctor", Severity: SeverityWarning, Title: "CORS headers disappear on error responses",
		Summary: "The preflight carried CORS headers but the error response did not, so the browser reports a CORS error instead of letting JavaScript see the real status.",
		Fix:     "Add CORS headers on every response, errors included (nginx: add_header ... always; put the CORS middleware before error handlers).",
		Spec:    fetchSpec + "#cors-protocol"},
	{ID: "incomplete-head", Kind: "corsdoctor", Severity: SeverityWarning, Title: "The connection closed in the middle of the response head",
		Summary: "The server (or something in front of it) closed the connection before the blank line that ends the response headers. Chromium and Firefox use the headers that arrived, so the verdict rests on a truncated response: a header cut off or missing at the end is a crash or a proxy timeout waiting to happen.",
		Fix:     "Find out why the server or proxy stops mid-response (crash, timeout, a too-small buffer) and make it send the whole head.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9112#section-8"},
	{ID: "allow-origin-null", Kind: "corsdoctor", Severity: SeverityWarning, Title: "Access-Control-Allow-Origin: null",
		Summary: "The origin null is shared by sandboxed iframes, file: and data: pages and requests after cross-origin redirects: allowing it (especially with credentials) lets any such attacker page read the response.",
		Fix:     "Never allow null; name the real origins.",
		Spec:    fetchSpec + "#serializing-a-request-origin"},
	{ID: "silent-preflight-refusal", Kind: "corsdoctor", Severity: SeverityWarning, Title: "The preflight was answered 2xx with no CORS headers at all",
		Summary: "CORS middleware such as rs/cors and go-chi/cors answer a preflight they refuse with 200/204 and no headers, whatever they refused (origin, method or a header), so the browser only says 'Access-Control-Allow-Origin missing'.",
		Fix:     "Check the middleware's allowed origins, methods and headers against the request; corsdoctor's follow-up preflights show which element it refuses.",
		Spec:    fetchSpec + "#cors-preflight-fetch-0"},
	{ID: "local-network-access", Kind: "corsdoctor", Severity: SeverityWarning, Title: "The browser asks the user before a public page may reach this address",
		Summary:  "Local Network Access: Chromium (since 142) and Firefox ask the user's permission before a page served from a public address fetches from a private (local) or loopback address. Until the user allows it, Chromium fails the fetch without sending anything and Firefox waits for the prompt; refused, the fetch rejects with a TypeError. corsdoctor judges CORS as if the user allowed it.",
		Firefox:  "Local Network Access permission required: top-level site “<page>”, initiator “<page>”, attempting to access target “<url>” (<address>) via fetch.",
		Chromium: crPrefix + "Permission was denied for this request to access the `<value>` address space.",
		Causes:   []string{"a page on the internet calling an API on localhost or the office network", "a staging site calling a service by its private IP"},
		Fix:      "Serve the page from the same kind of network as the API, or put the API on a public address; users can also allow the site in the browser's permission prompt.",
		Doc:      "https://developer.chrome.com/blog/local-network-access",
		Spec:     "https://wicg.github.io/local-network-access/"},

	// Notes.
	{ID: "same-origin", Kind: "corsdoctor", Severity: SeverityInfo, Title: "Same-origin request: CORS does not apply",
		Summary: "A request to the page's own origin is not subject to CORS.", Fix: "Nothing to fix."},
	{ID: "no-cors-opaque", Kind: "corsdoctor", Severity: SeverityInfo, Title: "no-cors mode gives an opaque response",
		Summary: "mode: 'no-cors' never lets JavaScript read a cross-origin response: status 0, no headers, no body.", Fix: "Use mode 'cors' and fix the server's CORS headers."},
	{ID: "cookies-not-sent", Kind: "corsdoctor", Severity: SeverityInfo, Title: "corsdoctor cannot send your browser's cookies",
		Summary: "The prober judges the CORS headers without the user's cookies.", Fix: "Cookies need SameSite=None; Secure to be sent cross-site."},
	{ID: "header-dropped", Kind: "corsdoctor", Severity: SeverityInfo, Title: "The browser refuses to send this header",
		Summary: "Forbidden request headers (Cookie, Host, Origin, Sec-*, Proxy-*, ...) are silently ignored by fetch().", Fix: "Do not set them from page script.",
		Spec: fetchSpec + "#forbidden-request-header"},
	{ID: "authorization-dropped", Kind: "corsdoctor", Severity: SeverityInfo, Title: "Authorization is removed on a cross-origin redirect",
		Summary: "Browsers drop Authorization when a redirect changes origin.", Fix: "Call the final URL directly.", Spec: fetchSpec + "#http-redirect-fetch"},
	{ID: "preflight-differs", Kind: "corsdoctor", Severity: SeverityInfo, Title: "Firefox and Chromium disagree on the need for a preflight",
		Summary: "Chromium combines repeated request headers before safelisting them and applies the 1024-byte total; Firefox judges each header the page set on its own. The same fetch() can then be preflighted in one browser and not the other.",
		Fix:     "Set each request header once, with a short value.", Spec: fetchSpec + "#cors-unsafe-request-header-names"},
	{ID: "origin-tainted", Kind: "corsdoctor", Severity: SeverityInfo, Title: "The Origin becomes null after a cross-origin redirect",
		Summary: "After a cross-origin server redirects to another origin, the browser sends Origin: null.", Fix: "Avoid cross-origin redirect chains.", Spec: fetchSpec + "#concept-request-tainted-origin"},

	// Framing: how the response is framed or spelled (framing.go), which the
	// browsers read differently (observed in Firefox 153 and Chromium 156).
	{ID: "status-line-invalid", Kind: "corsdoctor", Severity: SeverityError, Title: "The status line is malformed, and the browsers read it differently",
		Summary: "Firefox accepts only a status line starting exactly with HTTP/1., HTTP/2 or HTTP/3 (anything else is a header-less HTTP/0.9 reply) whose code is one to three digits; Chromium only needs \"http\" in any case and takes the leading digits of the code (none means 200), so JavaScript can see a status such as 2 or 2000.",
		Fix:     "Send a status line of the form HTTP/1.1 200 OK: the version in upper case, a space, three digits, a space, a reason phrase.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9112#section-4"},
	{ID: "header-nul", Kind: "corsdoctor", Severity: SeverityError, Title: "A NUL byte in the response head",
		Summary: "Chromium fails any response whose head contains a NUL byte (net::ERR_INVALID_HTTP_RESPONSE); Firefox fails it when the NUL is in a field value, and ignores it in a field name or the reason phrase.",
		Fix:     "Find what writes the NUL (a C string bug, an unsanitised value copied into a header) and strip control characters from header values.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9110#section-5.5"},
	{ID: "content-length-conflict", Kind: "corsdoctor", Severity: SeverityError, Title: "Conflicting Content-Length values",
		Summary: "The response carries Content-Length values that differ (two lines, a list like 2, 3, or an empty one). Neither browser can tell where the body ends, so both fail the fetch: Chromium with net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH, Firefox with NS_ERROR_CORRUPTED_CONTENT. A repeated identical value is accepted.",
		Fix:     "Send one Content-Length (usually a proxy and the application both set it; let one layer do it), or use chunked coding.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9112#section-6.3"},
	{ID: "chunk-size-invalid", Kind: "corsdoctor", Severity: SeverityError, Title: "A chunk size of the chunked body does not parse",
		Summary: "Firefox fails the whole fetch on a chunk size that is not hexadecimal or does not fit 32 bits (but it accepts a 0x prefix, a sign and trailing junk); Chromium resolves fetch() and then res.text() rejects with net::ERR_INVALID_CHUNKED_ENCODING (it wants plain hex, at most 63 bits). When the bad chunk arrives later than the head, Firefox too resolves fetch() first.",
		Fix:     "Let the HTTP server or framework do the chunked coding instead of writing it by hand, and check proxies that rewrite bodies.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9112#section-7.1"},
	{ID: "interim-flood", Kind: "corsdoctor", Severity: SeverityError, Title: "A flood of interim (1xx) responses",
		Summary: "Interim responses (100 Continue, 103 Early Hints) before the final one count towards Firefox's 384 KiB limit on a response head, so enough of them fail the fetch in Firefox; Chromium skips any number.",
		Fix:     "Send at most one 100 Continue (and only when the request asked for it) and a few 103 Early Hints.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9110#section-15.2"},
	{ID: "body-short", Kind: "corsdoctor", Severity: SeverityWarning, Title: "The body is shorter than announced",
		Summary: "The connection closed before the body was complete (fewer bytes than Content-Length, or chunked coding without its last chunk). The CORS verdict stands and fetch() resolves, but res.text() and res.json() reject: Chromium with \"TypeError: Failed to fetch\", Firefox with \"TypeError: Content-Length header of network response exceeds response Body.\".",
		Fix:     "Find why the server or a proxy cuts the response (a crash mid-response, a timeout, a wrong Content-Length after compression or templating) and make the length match the body.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9112#section-8"},
	{ID: "body-stalled", Kind: "corsdoctor", Severity: SeverityWarning, Title: "The body stalled",
		Summary: "The server stopped sending in the middle of the body. fetch() resolves, but res.text() waits: in Chromium for as long as the connection stays open, in Firefox up to its network timeout, and it rejects when the connection then closes early.",
		Fix:     "Find what blocks the server mid-response (a slow upstream, a deadlock, a proxy buffering) and stream or finish the body; send an accurate Content-Length.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9112#section-6"},
	{ID: "header-bare-cr", Kind: "corsdoctor", Severity: SeverityWarning, Title: "A bare CR inside a header line",
		Summary: "Chromium ends a header line at a bare CR, so the value stops there and the rest becomes a line of its own; Firefox keeps the CR in the value for its own checks (an Access-Control-Allow-Origin then does not match) and hides the field from JavaScript.",
		Fix:     "Strip CR and LF from header values before sending them (they usually come from unsanitised input).",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9110#section-5.5"},
	{ID: "header-space-before-colon", Kind: "corsdoctor", Severity: SeverityWarning, Title: "Whitespace between a header name and its colon",
		Summary: "The standard says a server must not send it and a client must reject the line: Firefox and Safari drop it, Chromium trims the name and uses it. A CORS header written this way works in Chromium only.",
		Fix:     "Write the header as Name: value, with the colon right after the name.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9112#section-5.1"},
	{ID: "allow-origin-lines-case", Kind: "corsdoctor", Severity: SeverityError, Title: "Access-Control-Allow-Origin lines that differ in case",
		Summary: "Firefox counts only lines spelled exactly Access-Control-Allow-Origin as repeats (reason 15 needs two of those); otherwise it merges the lines into one value joined by \", \" and reports that it does not match the origin. Chromium reports multiple values either way.",
		Fix:     "Send exactly one Access-Control-Allow-Origin line: configure CORS in one layer only.",
		Spec:    fetchSpec + "#http-access-control-allow-origin"},
	{ID: "header-obs-fold", Kind: "corsdoctor", Severity: SeverityWarning, Title: "A header value continues on a folded line (obs-fold)",
		Summary: "A line starting with a space or tab continues the previous field. Both browsers still join it, but differently: Chromium with one space, Firefox keeping the continuation's whitespace (tabs included), so the value JavaScript reads differs.",
		Fix:     "Send each header on one line.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9112#section-5.2"},
	{ID: "header-line-ignored", Kind: "corsdoctor", Severity: SeverityWarning, Title: "A header line that is not a field",
		Summary: "The line has no colon, or its name is not a token (a space, a control byte or a non-ASCII letter in it): both browsers ignore it.",
		Fix:     "Write each header as Name: value, with a name of letters, digits and -.",
		Spec:    "https://www.rfc-editor.org/rfc/rfc9112#section-5"},
}

var reasonIndex = func() map[string]int {
	m := make(map[string]int, len(reasons))
	for i, r := range reasons {
		m[r.ID] = i
	}
	return m
}()

// Reasons lists every reason corsdoctor can report.
func Reasons() []ReasonInfo { return append([]ReasonInfo(nil), reasons...) }

// LookupReason finds a reason by ID.
func LookupReason(id string) (ReasonInfo, bool) {
	i, ok := reasonIndex[id]
	if !ok {
		return ReasonInfo{}, false
	}
	return reasons[i], true
}

// explain fills a finding's title, explanation, fix and links from its
// reason and the facts of this fetch.
func (w *walker) explain(f *Finding) {
	info, _ := LookupReason(f.Reason)
	if f.Doc == "" {
		f.Doc = info.Doc
	}
	if f.Spec == "" {
		f.Spec = info.Spec
	}
	origin := w.originSentAt(f.Step)
	step := "the " + f.Step.String() + " response"
	title, detail, fix := info.Title, info.Summary, info.Fix
	status := w.statusAt(f.Step)
	switch f.Reason {
	case "CORSMissingAllowOrigin":
		title = "The " + f.Step.String() + " response has no Access-Control-Allow-Origin header"
		detail = fmt.Sprintf("%s (status %s) carries no Access-Control-Allow-Origin, so the browser will not let a page on %s read it.", capitalize(step), statusOr(status), origin)
		if f.Step.Kind == StepPreflight {
			detail += " Because the preflight failed, the " + w.p.Method + " request is never sent."
		}
		if status >= 400 {
			detail += fmt.Sprintf(" A %d usually means the CORS headers were skipped on an error path (authentication, routing or a crash answered before the CORS middleware ran).", status)
		}
		if s := w.silentRefusalHint(f.Step); s != "" {
			detail += " " + s
		}
		fix = fmt.Sprintf("Send Access-Control-Allow-Origin: %s on %s (and on every response, errors and redirects included).", originOrStar(origin), step)
	case "CORSAllowOriginNotMatchingOrigin", "CORSMultipleAllowOriginNotAllowed":
		if f.Reason == "CORSMultipleAllowOriginNotAllowed" || strings.ContainsAny(f.Value, ", ") {
			title = "Access-Control-Allow-Origin holds more than one value"
			detail = fmt.Sprintf("%s sends Access-Control-Allow-Origin %q; only one origin (or *) is allowed, in a single header line.", capitalize(step), f.Value)
			if n := w.acaoLines(f.Step); n > 1 {
				detail = fmt.Sprintf("%s carries %d Access-Control-Allow-Origin lines (%s). Browsers accept exactly one: usually a proxy and the application both add it.", capitalize(step), n, f.Value)
			}
			fix = fmt.Sprintf("Configure CORS in one layer only and send exactly one Access-Control-Allow-Origin: %s.", originOrStar(origin))
		} else {
			title = fmt.Sprintf("Access-Control-Allow-Origin is %q, not %q", f.Value, origin)
			detail = fmt.Sprintf("%s allows %q but the request's origin is %q. The comparison is exact: scheme, host, port and case must match, with no path or trailing slash.%s", capitalize(step), f.Value, origin, mismatchHint(f.Value, origin))
			fix = fmt.Sprintf("Send Access-Control-Allow-Origin: %s (echo the request's Origin after an allow-list match, with Vary: Origin).", origin)
		}
	case "CORSNotSupportingCredentials":
		title = "Access-Control-Allow-Origin is * but the request includes credentials"
		detail = capitalize(step) + " allows any origin with *, but the request uses credentials: 'include'. With credentials the wildcard is refused: the server must name the origin."
		fix = fmt.Sprintf("Send Access-Control-Allow-Origin: %s and Access-Control-Allow-Credentials: true (plus Vary: Origin), or drop credentials: 'include' if the endpoint needs no cookies.", origin)
	case "CORSMissingAllowCredentials":
		title = "Access-Control-Allow-Credentials is not true"
		if f.Value == "" {
			detail = capitalize(step) + " has no Access-Control-Allow-Credentials header, but the request uses credentials: 'include', which needs it to be exactly true."
		} else {
			detail = fmt.Sprintf("%s sends Access-Control-Allow-Credentials %q, but only the exact lower-case value true, sent once, is accepted.", capitalize(step), f.Value)
		}
		fix = "Send exactly one Access-Control-Allow-Credentials: true on " + step + ", or stop sending credentials."
	case "CORSPreflightDidNotSucceed":
		title = fmt.Sprintf("The preflight was answered %d, not 2xx", status)
		detail = fmt.Sprintf("The OPTIONS preflight got status %d. A preflight must get 200-299; preflights never carry cookies or Authorization, so a 401/403 usually means authentication runs before CORS handling, and 404/405 means nothing answers OPTIONS.", status)
		fix = "Answer OPTIONS preflights (before authentication and routing) with 204 and the CORS headers."
	case "CORSExternalRedirectNotAllowed":
		title = "The preflight was redirected"
		detail = fmt.Sprintf("The OPTIONS preflight was answered %d with Location: %s. Browsers never follow a preflight redirect.", status, f.Value)
		fix = "Let the page call the final URL directly, and answer OPTIONS there with 204 and the CORS headers."
	case "CORSMethodNotFound":
		title = fmt.Sprintf("%s is not in Access-Control-Allow-Methods", w.p.Method)
		detail = fmt.Sprintf("The preflight's Access-Control-Allow-Methods is %q, which does not list %s. Methods compare case-sensitively, and * counts only without credentials.", f.Value, w.p.Method)
		if f.Value == "" {
			detail = fmt.Sprintf("The preflight has no Access-Control-Allow-Methods header, so only GET, HEAD and POST are allowed, not %s.", w.p.Method)
		}
		if strings.ToUpper(w.p.Method) != w.p.Method {
			detail += fmt.Sprintf(" fetch() does not upper-case %q: the server must list it in exactly this case, or the client should send %s.", w.p.Method, strings.ToUpper(w.p.Method))
		}
		fix = fmt.Sprintf("Add %s to Access-Control-Allow-Methods on the preflight response.", w.p.Method)
	case "CORSMissingAllowHeaderFromPreflight":
		acah := w.headerAt(f.Step, "Access-Control-Allow-Headers")
		title = fmt.Sprintf("Request header %s is not allowed by Access-Control-Allow-Headers", f.Value)
		detail = fmt.Sprintf("The request sends %s, which is not CORS-safelisted, so the preflight's Access-Control-Allow-Headers must list it; it is %q.", f.Value, acah)
		if acah == "" {
			detail = fmt.Sprintf("The request sends %s, which is not CORS-safelisted, but the preflight has no Access-Control-Allow-Headers.", f.Value)
		}
		if w.withCredentials() && strings.Contains(acah, "*") {
			detail += " With credentials, * means a header literally named *."
		}
		fix = "Add " + strings.Join(w.decision.UnsafeHeaders, ", ") + " to Access-Control-Allow-Headers on the preflight response."
	case "CORSInvalidAllowMethod", "CORSInvalidAllowHeader":
		h := "Access-Control-Allow-Methods"
		if f.Reason == "CORSInvalidAllowHeader" {
			h = "Access-Control-Allow-Headers"
		}
		title = h + " does not parse"
		detail = fmt.Sprintf("The preflight's %s is %q; the item %q is not a valid token, so the whole preflight fails.", h, w.headerAt(f.Step, h), f.Value)
		fix = "Use a comma-separated list of names in " + h + ", e.g. " + map[string]string{"Access-Control-Allow-Methods": "GET, POST, PUT", "Access-Control-Allow-Headers": "Content-Type, Authorization"}[h] + "."
	case "CORSDidNotSucceed":
		title = "The request did not get a usable response"
		detail = fmt.Sprintf("The %s failed: %s.", f.Step.String(), f.Value)
		if ex := w.exchangeAt(f.Step); ex != nil && ex.Error != nil && ex.Error.Chromium != "" {
			detail += " Chromium reports " + ex.Error.Chromium + "."
		}
		fix = "Make the endpoint reachable (check the host, port, certificate and that the server is up)."
		if t, d, x := w.redirectFailure(f); t != "" {
			title, detail, fix = t, d, x
		}
	case "CORSRequestNotHttp":
		title = "The URL is not http or https"
		detail = fmt.Sprintf("%s is not an http(s) URL, and CORS requests only work over http and https.", f.Value)
	case "redirect-userinfo":
		detail = fmt.Sprintf("The %s redirects to %s, which contains a user name or password. Browsers refuse that for CORS requests.", f.Step.String(), f.Value)
	case "vary-origin-missing":
		detail = fmt.Sprintf("%s echoes the request's origin in Access-Control-Allow-Origin but its Vary header (%q) does not name Origin, so a cache may serve this answer to another origin.", capitalize(step), f.Value)
	case "max-age-capped":
		detail = fmt.Sprintf("The preflight says Access-Control-Max-Age: %s. %s", f.Value, info.Summary)
	case "expose-headers-on-preflight":
		detail = fmt.Sprintf("The preflight sends Access-Control-Expose-Headers: %s but the actual response does not, so JavaScript still cannot read those headers. %s", f.Value, info.Summary)
	case "cors-missing-on-error":
		detail = fmt.Sprintf("The preflight had Access-Control-Allow-Origin, but the actual response (status %s) has none. %s", f.Value, info.Summary)
	case "local-network-access":
		addr := "a " + f.Value + " address"
		if ex := w.exchangeAt(f.Step); ex != nil && ex.RemoteAddr != "" {
			addr = ex.RemoteAddr + ", a " + f.Value + " address"
		}
		title = "A public page needs the user's permission to reach a " + f.Value + " address"
		detail = fmt.Sprintf("The %s request went to %s. If the page at %s is served from a public address (its name suggests so; an intranet page may not be), Chromium and Firefox ask the user first (Local Network Access). Without that permission Chromium fails the fetch at once, with \"Permission was denied for this request to access the `%s` address space\", and Firefox waits for the prompt's answer. The verdicts above assume the user allows it.", f.Step.String(), addr, w.p.origin, f.Value)
		if strings.HasPrefix(w.p.origin, "http://") {
			detail += " An http:// page is not a secure context, and Chromium asks for this permission only from secure ones: serve the page over https."
		}
	case "silent-preflight-refusal":
		if s := w.silentRefusalHint(f.Step); s != "" {
			detail = info.Summary + " " + s
		}
	}
	if f.Title == "" {
		f.Title = title
	}
	if f.Detail == "" {
		f.Detail = detail
	}
	// Notes written during the walk already say what to do in Detail.
	if f.Fix == "" && !(f.Severity == SeverityInfo && f.Reason == "cookies-not-sent") {
		f.Fix = fix
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func statusOr(n int) string {
	if n == 0 {
		return "unknown"
	}
	return fmt.Sprint(n)
}

func originOrStar(o string) string {
	if o == "" {
		return "*"
	}
	return o
}

// mismatchHint names the usual typo behind an origin mismatch.
func mismatchHint(acao, origin string) string {
	switch {
	case strings.TrimSuffix(acao, "/") == origin:
		return " The value has a trailing slash; an origin never does."
	case strings.EqualFold(acao, origin):
		return " Only the case differs, and the comparison is case-sensitive."
	case strings.Replace(acao, "https://", "http://", 1) == origin || strings.Replace(acao, "http://", "https://", 1) == origin:
		return " The scheme differs (http vs https)."
	case origin == "null":
		return " After a cross-origin redirect the browser sends Origin: null, which no allow-list should accept."
	}
	if i := strings.Index(acao, "://"); i > 0 {
		if j := strings.Index(acao[i+3:], "/"); j >= 0 {
			return " The value has a path; an origin has none."
		}
	} else if acao != "*" && acao != "null" {
		return " The value has no scheme; an origin starts with http:// or https://."
	}
	return ""
}

func (w *walker) exchangeAt(s Step) *Exchange {
	for i := range w.exchanges {
		if w.exchanges[i].Step == s {
			return &w.exchanges[i]
		}
	}
	return nil
}

func (w *walker) statusAt(s Step) int {
	if ex := w.exchangeAt(s); ex != nil && ex.Response != nil {
		return ex.Response.Status
	}
	return 0
}

func (w *walker) headerAt(s Step, name string) string {
	if ex := w.exchangeAt(s); ex != nil && ex.Response != nil {
		v, _ := ex.Response.get(name)
		return v
	}
	return ""
}

func (w *walker) acaoLines(s Step) int {
	if ex := w.exchangeAt(s); ex != nil && ex.Response != nil {
		return len(ex.Response.values("Access-Control-Allow-Origin"))
	}
	return 0
}

func (w *walker) originSentAt(s Step) string {
	if ex := w.exchangeAt(s); ex != nil {
		if o := w.requestOriginAt(ex); o != "" {
			return o
		}
	}
	return w.requestOrigin()
}

// silentRefusalHint explains a 2xx preflight without CORS headers from the
// follow-up preflights, when the prober sent them.
func (w *walker) silentRefusalHint(s Step) string {
	ex := w.exchangeAt(s)
	if ex == nil || ex.Step.Kind != StepPreflight || ex.Response == nil || ex.Response.Status < 200 || ex.Response.Status > 299 || hasAnyCORSHeader(ex.Response) {
		return ""
	}
	return "The status is 2xx but no CORS header came back at all: CORS middleware that refuses part of a preflight (the origin, the method " + w.p.Method + " or one of the headers " + strings.Join(w.decision.UnsafeHeaders, ", ") + ") typically answers like this."
}
