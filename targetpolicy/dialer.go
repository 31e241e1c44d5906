package targetpolicy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// Resolver looks up a host's addresses. *net.Resolver satisfies it; tests
// inject a stub.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// dialFunc performs one dial of an address already judged. Production code
// uses d.DialContext; tests substitute one that can never leave loopback.
type dialFunc func(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error)

// Dialer returns a dial function for an http.Transport's DialContext. It
// accepts only "tcp", "tcp4" and "tcp6". It judges a host that spells an IP
// (see ParseHostIP) directly; otherwise it refuses Deny-listed and localhost
// names without resolving them, resolves "localhost" and names under
// ".localhost" to 127.0.0.1 and ::1 as browsers do (IsLocalhostName), other
// hosts with r (net.DefaultResolver if nil), and judges every answer with
// Decide. It dials the allowed
// addresses in order until one connects; if every answer is refused it
// returns the *RefusedError for the first.
//
// Each dial uses a copy of base (a zero net.Dialer if nil) whose
// ControlContext re-checks the address actually being connected, just
// before connect(2), then runs base's own ControlContext or Control. A
// refusal there comes back as a *net.OpError wrapping the *RefusedError.
func (p *Policy) Dialer(base *net.Dialer, r Resolver) func(ctx context.Context, network, address string) (net.Conn, error) {
	return p.dialer(base, r, func(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error) {
		return d.DialContext(ctx, network, address)
	})
}

func (p *Policy) dialer(base *net.Dialer, r Resolver, dial dialFunc) func(ctx context.Context, network, address string) (net.Conn, error) {
	if base == nil {
		base = &net.Dialer{}
	}
	if r == nil {
		r = net.DefaultResolver
	}
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		var lookupNetwork string
		switch network {
		case "tcp":
			lookupNetwork = "ip"
		case "tcp4":
			lookupNetwork = "ip4"
		case "tcp6":
			lookupNetwork = "ip6"
		default:
			return nil, fmt.Errorf("targetpolicy: refusing to dial %s %s: only tcp is allowed", network, address)
		}
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, fmt.Errorf("targetpolicy: dial %s: %w", address, err)
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return nil, fmt.Errorf("targetpolicy: dial %s: port must be a number from 0 to 65535", address)
		}
		ips, err := p.resolve(ctx, r, lookupNetwork, host)
		if err != nil {
			return nil, err
		}
		var refused error
		allowed := make([]netip.Addr, 0, len(ips))
		for _, ip := range ips {
			if err := p.Decide(host, ip); err != nil {
				if refused == nil {
					refused = err
				}
				continue
			}
			allowed = append(allowed, ip.Unmap())
		}
		if len(allowed) == 0 {
			if refused != nil {
				return nil, refused
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}

		d := *base
		d.Control = nil
		d.ControlContext = p.controlContext(host, base.Control, base.ControlContext)
		var firstErr error
		for _, ip := range allowed {
			conn, err := dial(ctx, &d, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return conn, nil
			}
			if firstErr == nil {
				firstErr = err
			}
			if ctx.Err() != nil {
				break
			}
		}
		return nil, firstErr
	}
}

// resolve returns the addresses to judge for host.
func (p *Policy) resolve(ctx context.Context, r Resolver, network, host string) ([]netip.Addr, error) {
	if ip, ok := hostAddr(host); ok {
		return []netip.Addr{ip}, nil
	}
	name := normalizeHost(host)
	if name == "" && host != "" {
		// "." or ".." is a name to a browser, which no resolver finds;
		// trimmed, it would dial the local machine.
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if name == "" {
		// An empty host dials the local machine.
		if network == "ip6" {
			return []netip.Addr{netip.IPv6Unspecified()}, nil
		}
		return []netip.Addr{netip.IPv4Unspecified()}, nil
	}
	if p == nil {
		p = defaultPolicy
	}
	if err := p.decideName(host, name); err != nil {
		return nil, err
	}
	if IsLocalhostName(host) {
		// Chromium and Firefox answer "localhost" and every name under
		// ".localhost" with loopback themselves (RFC 6761 §6.3), without
		// asking the system resolver, which often knows only "localhost".
		// The prober does the same, so it reaches what the browser
		// reaches; the addresses are judged like any other.
		switch network {
		case "ip4":
			return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, nil
		case "ip6":
			return []netip.Addr{netip.IPv6Loopback()}, nil
		}
		return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}, nil
	}
	return r.LookupNetIP(ctx, network, name)
}

// IsLocalhostName reports whether host is "localhost" or a name under
// ".localhost" (case, one trailing dot and full-width forms aside), which
// browsers resolve to loopback themselves. (The policy refuses more
// spellings than this as loopback names; refusing is the safe side.)
func IsLocalhostName(host string) bool {
	if _, ok := hostAddr(host); ok {
		return false
	}
	h := strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.HasSuffix(h, ".") {
		return false
	}
	name := normalizeHost(h)
	return name == "localhost" || strings.HasSuffix(name, ".localhost")
}

// controlContext returns the net.Dialer.ControlContext hook: it refuses the
// connection unless Decide allows the address being dialled, then chains to
// the base dialer's own hook.
func (p *Policy) controlContext(host string, next func(network, address string, c syscall.RawConn) error, nextCtx func(ctx context.Context, network, address string, c syscall.RawConn) error) func(ctx context.Context, network, address string, c syscall.RawConn) error {
	check := p.control(host)
	return func(ctx context.Context, network, address string, c syscall.RawConn) error {
		if err := check(network, address, c); err != nil {
			return err
		}
		if nextCtx != nil {
			return nextCtx(ctx, network, address, c)
		}
		if next != nil {
			return next(network, address, c)
		}
		return nil
	}
}

// control is the check itself, in net.Dialer.Control's shape: address is
// the "ip:port" about to be connected.
func (p *Policy) control(host string) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("targetpolicy: cannot check dialled address %q: %w", address, err)
		}
		return p.Decide(host, ap.Addr())
	}
}
