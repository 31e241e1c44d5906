// Package harimport judges the cross-origin requests recorded in a HAR file
// (HTTP Archive, as the Network panels of Chromium, Firefox and Safari export
// it) without sending anything: it rebuilds each browser fetch from the
// recorded exchanges and hands them to diagnose.Evaluate, the judge that
// already re-judges stored exchanges.
//
// It is its own package because two jobs belong to no existing one. diagnose
// is the engine and knows nothing of file formats; handlers and cli are
// faces. What sits between them is the HAR side:
//
//   - streaming: a HAR of 50 MB and 10,000 entries is read with a
//     json.Decoder one entry at a time (Read), never unmarshalled whole;
//     only entries that can belong to a CORS fetch are kept, with their
//     bodies cut to a preview (Limits), so memory follows the headers of
//     the cross-origin entries rather than the size of the file;
//   - grouping (Group): the entries of one browser fetch are found again in
//     the flat list: the preflight (an OPTIONS whose
//     Access-Control-Request-Method names the actual method, same URL and
//     Origin), the actual request, and every redirect hop (a 3xx whose
//     Location is the next entry's URL), each with its own preflight;
//   - the request the page made is inferred from what the browser sent: the
//     Origin header names the page's origin (or, for a fetch without one,
//     the page's URL or Referer, said as inferred), the preflight's
//     Access-Control-Request-Headers names the headers the page set, a Cookie
//     header means credentials: 'include'.
//
// The formats differ: Chromium adds _resourceType ("preflight", "fetch",
// "xhr"), _initiator and, on HTTP/2, pseudo-headers (":authority") among the
// request headers; Firefox lower-cases HTTP/2 header names; Safari adds
// _fetchType ("Network Load", "Memory Cache", "Disk Cache"), may omit
// bodies and records no preflights. Pseudo-headers are dropped, names are
// matched without regard to case, entries served from a cache are listed
// as skipped, and a fetch whose preflight is not in the recording is
// listed as skipped with that reason rather than guessed at.
//
// Secrets: the values of Cookie, Authorization, Proxy-Authorization and
// Set-Cookie (and the HAR's own cookies arrays, which are not kept at all)
// are replaced with diagnose.Redacted as each entry is read, before anything
// else sees them: no caller can store or print them. The judgement needs
// only their presence (a Cookie means credentials: 'include'; Authorization
// is never CORS-safelisted, whatever its value).
package harimport
