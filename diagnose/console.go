package diagnose

import (
	"strconv"
	"strings"
)

// Browser names a browser engine whose behaviour corsdoctor predicts.
type Browser string

// The browsers corsdoctor judges for. Safari lines are given where known
// but Safari's verdict is not modelled.
const (
	Firefox  Browser = "firefox"
	Chromium Browser = "chromium"
)

// Browsers lists the judged browsers in report order.
var Browsers = []Browser{Firefox, Chromium}

// Console holds the line each browser prints for one problem.
type Console struct {
	Firefox  string `json:"firefox,omitempty"`
	Chromium string `json:"chromium,omitempty"`
	Safari   string `json:"safari,omitempty"`
}

// JS error texts thrown by a failed fetch() (Gecko's MSG_FETCH_FAILED and
// Blink's fetch_manager.cc).
const (
	firefoxFetchError  = "TypeError: NetworkError when attempting to fetch resource."
	chromiumFetchError = "TypeError: Failed to fetch"
)

// firefoxLine renders a Gecko security.properties CORS string. The URL is
// the channel whose check failed; quotes are typographic, as in Gecko.
func firefoxLine(url, reason string) string {
	return "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at " + url + ". (Reason: " + reason + ")"
}

// Firefox reason texts, keyed by the reason they belong to.
func ffMissingAllowOrigin(url string, status string) string {
	return firefoxLine(url, "CORS header ‘Access-Control-Allow-Origin’ missing") + ". Status code: " + status + "."
}
func ffAllowOriginNotMatching(url, value string) string {
	return firefoxLine(url, "CORS header ‘Access-Control-Allow-Origin’ does not match ‘"+value+"’") + "."
}
func ffMultipleAllowOrigin(url string) string {
	return firefoxLine(url, "Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed") + "."
}
func ffNotSupportingCredentials(url string) string {
	return "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘" + url + "’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’)."
}
func ffMissingAllowCredentials(url string) string {
	return firefoxLine(url, "expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’") + "."
}
func ffPreflightDidNotSucceed(url string, status int) string {
	return firefoxLine(url, "CORS preflight response did not succeed") + ". Status code: " + strconv.Itoa(status) + "."
}
func ffInvalidAllowMethod(url, token string) string {
	return firefoxLine(url, "invalid token ‘"+token+"’ in CORS header ‘Access-Control-Allow-Methods’") + "."
}
func ffMethodNotFound(url string) string {
	return firefoxLine(url, "Did not find method in CORS header ‘Access-Control-Allow-Methods’") + "."
}
func ffInvalidAllowHeader(url, token string) string {
	return firefoxLine(url, "invalid token ‘"+token+"’ in CORS header ‘Access-Control-Allow-Headers’") + "."
}
func ffMissingAllowHeader(url, name string) string {
	return firefoxLine(url, "header ‘"+name+"’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response") + "."
}
func ffDidNotSucceed(url string) string {
	return firefoxLine(url, "CORS request did not succeed") + ". Status code: (null)."
}
func ffExternalRedirect(url string) string {
	return firefoxLine(url, "CORS request external redirect not allowed") + "."
}
func ffRequestNotHTTP(url string) string {
	return firefoxLine(url, "CORS request not http") + "."
}
func ffAuthorizationWildcardWarning(url string) string {
	return "Cross-Origin Request Warning: The Same Origin Policy will disallow reading the remote resource at " + url + " soon. (Reason: When the `Access-Control-Allow-Headers` is `*`, the `Authorization` header is not covered. To include the `Authorization` header, it must be explicitly listed in CORS header `Access-Control-Allow-Headers`)."
}

// chromiumLine renders Blink's cors_error_string.cc prefix for a fetch().
// last is the URL of the request whose response failed; initial is the URL
// the page asked for.
func chromiumLine(initial, last, origin string, preflight bool, body string) string {
	var b strings.Builder
	b.WriteString("Access to fetch at '")
	b.WriteString(last)
	b.WriteString("' ")
	if initial != last {
		b.WriteString("(redirected from '")
		b.WriteString(initial)
		b.WriteString("') ")
	}
	b.WriteString("from origin '")
	b.WriteString(origin)
	b.WriteString("' has been blocked by CORS policy: ")
	if preflight {
		b.WriteString("Response to preflight request doesn't pass access control check: ")
	}
	b.WriteString(body)
	return b.String()
}

// crNoCORSInformation ends the ACAO value errors. Chromium used to add
// "…or, if an opaque response serves your needs, set the request's mode to
// 'no-cors'…" here and after the missing-header error; current Chromium
// (checked by the differential suite against Chromium 156) does not.
const crNoCORSInformation = " Have the server send the header with a valid value."

// Chromium message bodies (cors_error_string.cc), for fetch().
func crMissingAllowOrigin() string {
	return "No 'Access-Control-Allow-Origin' header is present on the requested resource."
}
func crWildcardOrigin() string {
	return "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."
}
func crMultipleAllowOrigin(v string) string {
	return "The 'Access-Control-Allow-Origin' header contains multiple values '" + v + "', but only one is allowed." + crNoCORSInformation
}
func crInvalidAllowOrigin(v string) string {
	return "The 'Access-Control-Allow-Origin' header contains the invalid value '" + v + "'." + crNoCORSInformation
}
func crAllowOriginMismatch(v string) string {
	return "The 'Access-Control-Allow-Origin' header has a value '" + v + "' that is not equal to the supplied origin." + crNoCORSInformation
}
func crInvalidAllowCredentials(v string) string {
	return "The value of the 'Access-Control-Allow-Credentials' header in the response is '" + v + "' which must be 'true' when the request's credentials mode is 'include'."
}

const (
	crPreflightInvalidStatus = "It does not have HTTP ok status."
	crPreflightRedirect      = "Redirect is not allowed for a preflight request."
	crInvalidAllowMethods    = "Cannot parse Access-Control-Allow-Methods response header field in preflight response."
	crInvalidAllowHeaders    = "Cannot parse Access-Control-Allow-Headers response header field in preflight response."
	// crCORSDisabledScheme lists Chromium 156's CORS-enabled schemes; the
	// list varies by build.
	crCORSDisabledScheme = "Cross origin requests are only supported for protocol schemes: chrome, chrome-experimental-site-token-provider, chrome-extension, chrome-untrusted, data, http, https, isolated-app."
)

func crMethodDisallowed(m string) string {
	return "Method " + m + " is not allowed by Access-Control-Allow-Methods in preflight response."
}
func crHeaderDisallowed(name string) string {
	return "Request header field " + name + " is not allowed by Access-Control-Allow-Headers in preflight response."
}
func crRedirectCredentials(loc string) string {
	return "Redirect location '" + loc + "' contains a username and password, which is disallowed for cross-origin requests."
}

// safariLine is WebKit's text for a reason (CrossOriginAccessControl.cpp,
// CrossOriginPreflightResultCache.cpp), where the reference gives it. Not
// checked against a real Safari: corsdoctor has none to run.
func safariLine(reason, origin, value, method, header string, status int) string {
	switch reason {
	case "CORSMissingAllowOrigin", "CORSAllowOriginNotMatchingOrigin":
		return "Origin " + origin + " is not allowed by Access-Control-Allow-Origin. Status code: " + strconv.Itoa(status)
	case "CORSMultipleAllowOriginNotAllowed":
		return "Access-Control-Allow-Origin cannot contain more than one origin."
	case "CORSNotSupportingCredentials":
		return "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true."
	case "CORSMissingAllowCredentials":
		return "Credentials flag is true, but Access-Control-Allow-Credentials is not \"true\"."
	case "CORSPreflightDidNotSucceed":
		return "Preflight response is not successful. Status code: " + strconv.Itoa(status)
	case "CORSMethodNotFound":
		return "Method " + method + " is not allowed by Access-Control-Allow-Methods."
	case "CORSMissingAllowHeaderFromPreflight":
		return "Request header field " + header + " is not allowed by Access-Control-Allow-Headers."
	case "CORSInvalidAllowMethod":
		return "Header Access-Control-Allow-Methods has an invalid value: " + value
	case "CORSInvalidAllowHeader":
		return "Header Access-Control-Allow-Headers has an invalid value: " + value
	}
	return ""
}
