// Package targetpolicy decides which network addresses corsdoctor's prober
// may connect to.
//
// corsdoctor's server fetches URLs chosen by strangers, so it is an SSRF
// target: without a guard, "https://169.254.169.254/" or a name that
// resolves to 10.0.0.5 would make it probe the operator's own network. This
// package is the single place that makes that decision, so the server's
// prober, the CLI's prober and the tests all consult one reviewed list of
// refused ranges instead of three copies.
//
// The decision is enforced at dial time, on the IP actually dialled, not on
// the URL: a URL's host may be a name that resolves (or re-resolves later:
// DNS rebinding) to a private address, a legacy numeric spelling such as
// "0x7f.1", an IPv4-mapped, NAT64 or 6to4 IPv6 form, or the target of a
// redirect. Policy.Dialer resolves names itself, judges every answer with
// Policy.Decide, dials only allowed IPs, and re-checks the dialled IP in the
// net.Dialer control hook.
//
// The transport that uses the dialer must not use an HTTP proxy
// (http.Transport.Proxy must be nil): through a proxy, the dialer would judge
// the proxy's address and the proxy would reach the target unchecked.
package targetpolicy
