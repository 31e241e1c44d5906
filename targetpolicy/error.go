package targetpolicy

import (
	"fmt"
	"net/netip"
)

// RefusedError reports that the policy refused to let the prober reach a
// target. Its message is written for the end user who submitted the URL.
type RefusedError struct {
	Host     string     // the host as given to Decide or the Dialer
	Addr     netip.Addr // the refused address; invalid when the name alone was refused
	Category string     // one of the Category constants
}

// categoryNames gives each category's plural ("does not probe ...") and a
// noun phrase for one address ("10.0.0.5 is ...").
var categoryNames = map[string][2]string{
	CategoryLoopback:      {"loopback addresses", "a loopback address"},
	CategoryPrivate:       {"private addresses", "a private address"},
	CategoryLinkLocal:     {"link-local addresses", "a link-local address"},
	CategoryCGNAT:         {"shared (carrier-grade NAT) addresses", "a shared CGNAT address"},
	CategoryMulticast:     {"multicast addresses", "a multicast address"},
	CategoryBroadcast:     {"broadcast addresses", "the broadcast address"},
	CategoryUnspecified:   {"unspecified addresses", "an unspecified address, which means this machine"},
	CategoryDocumentation: {"documentation addresses", "an address reserved for documentation"},
	CategoryBenchmarking:  {"benchmarking addresses", "an address reserved for benchmarking"},
	CategoryMetadata:      {"cloud metadata endpoints", "a cloud metadata address"},
	CategoryReserved:      {"reserved addresses", "a reserved or deprecated address"},
	CategoryInvalid:       {"invalid addresses", "an invalid address"},
}

func (e *RefusedError) Error() string {
	if e.Category == CategoryDenied {
		return "this corsdoctor is configured not to probe " + e.target()
	}
	names, ok := categoryNames[e.Category]
	if !ok {
		names = [2]string{e.Category + " addresses", "a " + e.Category + " address"}
	}
	var why string
	switch {
	case !e.Addr.IsValid() && e.Category == CategoryLoopback:
		why = e.target() + " always means this machine"
	case !e.Addr.IsValid():
		why = e.target() + " is " + names[1]
	default:
		why = e.chain(names[1])
	}
	if e.Category == CategoryMetadata {
		return fmt.Sprintf("this corsdoctor does not probe %s (%s)", names[0], why)
	}
	return fmt.Sprintf("this corsdoctor does not probe %s (%s); run corsdoctor locally to debug private targets", names[0], why)
}

// chain explains how the host led to Addr and what Addr is: "10.0.0.5 is
// a private address", "db.example resolves to 10.0.0.5, a private
// address", "0x7f.1 means 127.0.0.1, a loopback address", "64:ff9b::a00:5
// embeds 10.0.0.5, a private address".
func (e *RefusedError) chain(what string) string {
	addr := e.Addr.String()
	var s string
	switch a, isIP := hostAddr(e.Host); {
	case e.Host == "" || normalizeHost(e.Host) == addr:
		s = addr
	case isIP && a == e.Addr:
		s = e.Host + " means " + addr
	default:
		s = e.Host + " resolves to " + addr
	}
	v4, kind := embeddedIPv4(e.Addr.WithZone(""))
	switch {
	case kind != notEmbedded && s == addr:
		return s + " embeds " + v4.String() + ", " + what
	case kind != notEmbedded:
		return s + ", which embeds " + v4.String() + ", " + what
	case s == addr:
		return s + " is " + what
	default:
		return s + ", " + what
	}
}

// target names what was refused without judging it: "evil.example",
// "10.0.0.5", "db.example (10.0.0.5)".
func (e *RefusedError) target() string {
	switch {
	case !e.Addr.IsValid() && e.Host == "":
		return "the target"
	case !e.Addr.IsValid():
		return e.Host
	case e.Host == "" || normalizeHost(e.Host) == e.Addr.String():
		return e.Addr.String()
	default:
		return e.Host + " (" + e.Addr.String() + ")"
	}
}

// Refused marks the error as a policy refusal, so the prober can tell "not
// allowed to connect" from "could not connect" without importing this
// package's types.
func (e *RefusedError) Refused() bool { return true }
