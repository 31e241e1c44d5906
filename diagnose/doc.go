// Package diagnose decides what a browser would do with one cross-origin
// request, sends exactly the requests that browser would send, and explains
// every failure in the browser's own words.
//
// It is the domain root of corsdoctor: it knows nothing of HTTP handlers,
// HTML or storage, so the CLI, the dashboard and the JSON API all share one
// engine.
//
// The model follows the Fetch standard (https://fetch.spec.whatwg.org/):
//
//   - Request validation mirrors what fetch() and the Headers guard do before
//     anything is sent: method normalisation (#concept-method-normalize),
//     forbidden methods and request headers (#forbidden-method,
//     #forbidden-request-header), and the no-cors guard.
//   - Whether a preflight is needed follows main fetch's "CORS-preflight
//     flag" rule: a non-safelisted method (#cors-safelisted-method), non-empty
//     CORS-unsafe request-header names (#cors-unsafe-request-header-names,
//     with the 128-byte value and 1024-byte total limits of
//     #cors-safelisted-request-header), or the use-CORS-preflight flag.
//   - The preflight request is built as in CORS-preflight fetch
//     (#cors-preflight-fetch-0) steps 1-5, and judged by steps 6-7: the CORS
//     check (#concept-cors-check), an ok status, then the method and header
//     lists.
//   - Redirects are walked by hand as HTTP-redirect fetch (#http-redirect-fetch)
//     does: the CORS check on every 3xx hop, the 20-redirect limit, userinfo
//     in Location, origin tainting to "null", Authorization removal, method
//     rewriting, and a fresh preflight at the new URL when one is needed.
//
// The standard is the specification but Firefox and Chromium are the judges:
// each browser's checks run in that browser's own order (Gecko's
// nsCORSListenerProxy, Chromium's cors.cc and preflight_controller.cc), so
// the first failure reported is the one the user saw in the console, and the
// console lines are those browsers' exact strings.
//
// A CORS failure is data (a Finding in a Report), never a Go error. An error
// from this package means bad input (*InputError) or a bug.
package diagnose
