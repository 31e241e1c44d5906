package targetpolicy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Config chooses which targets a Policy allows.
type Config struct {
	// AllowPrivate allows loopback, private, link-local and the other
	// non-public categories. Set it when serve listens only on loopback, or
	// with --allow-private-targets. Cloud metadata addresses stay refused
	// unless an Allow CIDR contains them.
	AllowPrivate bool
	// Allow lists CIDRs ("10.20.0.0/16"), single IPs, or host names
	// ("staging.internal", "*.staging.internal") that are allowed even when
	// private. A host name entry allows whatever that name resolves to,
	// except cloud metadata addresses. "*.x" matches names below x at any
	// depth, not x itself.
	Allow []string
	// Deny lists CIDRs, IPs or host names that are always refused. Deny beats
	// Allow and AllowPrivate.
	Deny []string
}

// Policy decides which addresses the prober may dial. It is immutable and
// safe for concurrent use.
type Policy struct {
	allowAll     bool
	allowPrivate bool
	allowNets    []netip.Prefix
	denyNets     []netip.Prefix
	allowNames   []namePattern
	denyNames    []namePattern
	allow, deny  []string // normalised entries, for String
}

// namePattern is a host-name entry: an exact name, or "*." and a suffix.
type namePattern struct {
	name     string
	wildcard bool
}

func (n namePattern) match(host string) bool {
	if n.wildcard {
		return strings.HasSuffix(host, "."+n.name)
	}
	return host == n.name
}

func (n namePattern) String() string {
	if n.wildcard {
		return "*." + n.name
	}
	return n.name
}

// New returns the Policy for cfg. It rejects an Allow or Deny entry that is
// neither a CIDR, an IP address nor a host name, naming the entry.
func New(cfg Config) (*Policy, error) {
	p := &Policy{allowPrivate: cfg.AllowPrivate}
	var err error
	if p.allowNets, p.allowNames, p.allow, err = parseEntries("allow", cfg.Allow); err != nil {
		return nil, err
	}
	if p.denyNets, p.denyNames, p.deny, err = parseEntries("deny", cfg.Deny); err != nil {
		return nil, err
	}
	return p, nil
}

// AllowAll returns a Policy that allows every address: the CLI's default,
// since there the user probes from their own machine with their own access.
func AllowAll() *Policy {
	return &Policy{allowAll: true}
}

func parseEntries(list string, entries []string) ([]netip.Prefix, []namePattern, []string, error) {
	var (
		nets  []netip.Prefix
		names []namePattern
		norm  []string
	)
	for _, raw := range entries {
		e := strings.TrimSpace(raw)
		if strings.Contains(e, "/") {
			pfx, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("targetpolicy: %s entry %q is not a valid CIDR", list, raw)
			}
			pfx = pfx.Masked()
			nets = append(nets, pfx)
			norm = append(norm, pfx.String())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
			if a.Zone() != "" {
				return nil, nil, nil, fmt.Errorf("targetpolicy: %s entry %q has an IPv6 zone; write the address without it", list, raw)
			}
			pfx := netip.PrefixFrom(a, a.BitLen())
			nets = append(nets, pfx)
			norm = append(norm, a.String())
			continue
		}
		if a, ok := ParseHostIP(e); ok {
			return nil, nil, nil, fmt.Errorf("targetpolicy: %s entry %q is a legacy spelling of %s; write %s", list, raw, a, a)
		}
		n, ok := parseName(e)
		if !ok {
			return nil, nil, nil, fmt.Errorf("targetpolicy: %s entry %q is not a CIDR, IP address or host name", list, raw)
		}
		names = append(names, n)
		norm = append(norm, n.String())
	}
	return nets, names, norm, nil
}

func parseName(e string) (namePattern, bool) {
	e = strings.ToLower(strings.TrimSuffix(e, "."))
	var n namePattern
	if rest, ok := strings.CutPrefix(e, "*."); ok {
		n.wildcard, e = true, rest
	}
	if e == "" || len(e) > 253 {
		return namePattern{}, false
	}
	for _, label := range strings.Split(e, ".") {
		if label == "" || len(label) > 63 {
			return namePattern{}, false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return namePattern{}, false
			}
		}
	}
	n.name = e
	return n, true
}

// defaultPolicy is what a nil *Policy decides: public targets only.
var defaultPolicy = &Policy{}

// Decide reports whether the prober may dial ip to reach host, the URL host
// as the user wrote it (name, IP literal or legacy IPv4 spelling; brackets,
// case and trailing dots do not matter). It returns nil or a *RefusedError.
//
// Deny entries win over everything. Otherwise a public ip is allowed; a
// non-public ip is allowed by AllowPrivate, by an Allow CIDR containing it
// (or the IPv4 address it embeds), or by an Allow host name matching host;
// metadata addresses only by an Allow CIDR. When host itself spells an IP,
// that IP is judged too. A nil *Policy allows public targets only.
func (p *Policy) Decide(host string, ip netip.Addr) error {
	if p == nil {
		p = defaultPolicy
	}
	if p.allowAll {
		return nil
	}
	name := normalizeHost(host)
	hostIP, isIP := hostAddr(host)
	nameAllowed := false
	if !isIP {
		if err := p.decideName(host, name); err != nil {
			return err
		}
		nameAllowed = p.nameAllowed(name)
	} else if err := p.decideAddr(host, hostIP, false); err != nil {
		return err
	}
	return p.decideAddr(host, ip, nameAllowed)
}

// decideName applies the rules that need no address: Deny host names, and
// the "localhost" names, which resolve to loopback by RFC 6761. The Dialer
// calls it before resolving, so a refused name costs no DNS query.
func (p *Policy) decideName(host, name string) error {
	if p.allowAll {
		return nil
	}
	for _, n := range p.denyNames {
		if n.match(name) {
			return &RefusedError{Host: host, Category: CategoryDenied}
		}
	}
	if (name == "localhost" || strings.HasSuffix(name, ".localhost")) && !p.allowPrivate && !p.nameAllowed(name) {
		return &RefusedError{Host: host, Category: CategoryLoopback}
	}
	return nil
}

func (p *Policy) nameAllowed(name string) bool {
	return slices.ContainsFunc(p.allowNames, func(n namePattern) bool { return n.match(name) })
}

func (p *Policy) decideAddr(host string, ip netip.Addr, nameAllowed bool) error {
	forms := addrForms(ip)
	if ip.IsValid() && containsAny(p.denyNets, forms) {
		return &RefusedError{Host: host, Addr: ip, Category: CategoryDenied}
	}
	c := classify(ip)
	switch {
	case c == "":
		return nil
	case c == CategoryInvalid:
		// Nothing lifts this: there is no address to allow.
	case containsAny(p.allowNets, forms):
		return nil
	case c == CategoryMetadata:
		// Only an Allow CIDR lifts this: metadata endpoints hand out
		// credentials, and AllowPrivate or an allowed name is not a
		// deliberate enough choice to expose them.
	case p.allowPrivate || nameAllowed:
		return nil
	}
	return &RefusedError{Host: host, Addr: ip, Category: c}
}

func containsAny(nets []netip.Prefix, addrs []netip.Addr) bool {
	for _, n := range nets {
		for _, a := range addrs {
			if n.Contains(a) {
				return true
			}
		}
	}
	return false
}

// String summarises the policy for a startup log line, e.g. "public
// targets only; also allowed: 10.20.0.0/16, *.staging.internal".
func (p *Policy) String() string {
	if p == nil {
		p = defaultPolicy
	}
	if p.allowAll {
		return "all targets allowed"
	}
	s := "public targets only"
	if p.allowPrivate {
		s = "public and private targets (cloud metadata refused)"
	}
	if len(p.allow) > 0 {
		s += "; also allowed: " + strings.Join(p.allow, ", ")
	}
	if len(p.deny) > 0 {
		s += "; denied: " + strings.Join(p.deny, ", ")
	}
	return s
}
