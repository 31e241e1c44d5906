package targetpolicy

import (
	"context"
	"net/netip"
	"testing"
)

// TestDialerLocalhostNamesAreLoopback: browsers resolve "localhost" and
// every name under ".localhost" to loopback themselves, so the dialer does
// too, without the resolver, and the policy judges them as loopback.
func TestDialerLocalhostNamesAreLoopback(t *testing.T) {
	l := startListener(t)
	for _, host := range []string{"localhost", "app.localhost", "a.b.localhost", "APP.LocalHost.", "ａｐｐ.ｌｏｃａｌｈｏｓｔ"} {
		t.Run(host, func(t *testing.T) {
			res := resolverOf("192.0.2.1") // never asked
			rec := &recorder{t: t}
			conn, err := mustNew(t, Config{AllowPrivate: true}).dialer(nil, res, rec.dial)(context.Background(), "tcp", host+":"+l.port())
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			conn.Close()
			l.assertConnection(t)
			if len(res.calls) != 0 {
				t.Errorf("resolver asked %v; a .localhost name must not be looked up", res.calls)
			}
			if got := rec.dialed(); len(got) != 1 || got[0] != l.addr.String() {
				t.Errorf("dialled %v, want [%s]", got, l.addr)
			}

			// A public instance refuses it like any loopback target,
			// before resolving or dialling anything.
			res = resolverOf("192.0.2.1")
			rec = &recorder{t: t}
			_, err = mustNew(t, Config{}).dialer(nil, res, rec.dial)(context.Background(), "tcp", host+":"+l.port())
			assertRefused(t, err, CategoryLoopback, "")
			if len(res.calls) != 0 || len(rec.dialed()) != 0 {
				t.Errorf("refused name: resolved %v and dialled %v, want neither", res.calls, rec.dialed())
			}
			if !IsLocalhostName(host) {
				t.Errorf("IsLocalhostName(%q) = false", host)
			}
		})
	}
	l.assertNoConnections(t)
}

func TestDialerLocalhostFamilies(t *testing.T) {
	p := mustNew(t, Config{AllowPrivate: true})
	for network, want := range map[string]string{"ip4": "[127.0.0.1]", "ip6": "[::1]", "ip": "[127.0.0.1 ::1]"} {
		ips, err := p.resolve(context.Background(), resolverOf(), network, "app.localhost")
		if err != nil {
			t.Fatal(err)
		}
		if got := fmtAddrs(ips); got != want {
			t.Errorf("%s: resolve(app.localhost) = %s, want %s", network, got, want)
		}
	}
}

func TestIsLocalhostName(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "x.localhost": true, "localhost.": true, "LOCALHOST": true,
		"localhost.example": false, "notlocalhost": false, "127.0.0.1": false, "[::1]": false, "": false, "localhost..": false, ".localhost": true,
	} {
		if got := IsLocalhostName(host); got != want {
			t.Errorf("IsLocalhostName(%q) = %v, want %v", host, got, want)
		}
	}
	// An Allow name lifts the refusal, as for any name.
	if err := mustNew(t, Config{Allow: []string{"*.localhost"}}).decideName("dev.localhost", "dev.localhost"); err != nil {
		t.Errorf("Allow *.localhost: %v", err)
	}
}

func fmtAddrs(ips []netip.Addr) string {
	s := "["
	for i, ip := range ips {
		if i > 0 {
			s += " "
		}
		s += ip.String()
	}
	return s + "]"
}
