package targetpolicy

import (
	"net/netip"
	"testing"
)

func TestParseHostIP(t *testing.T) {
	tests := []struct {
		host string
		want string // "" means not an IP
	}{
		// Legacy IPv4 spellings, as the WHATWG URL IPv4 parser reads them.
		{"127.0.0.1", "127.0.0.1"},
		{"2130706433", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"0x7f.0.0.1", "127.0.0.1"},
		{"0X7F.0.0.1", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"017700000001", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"0x00000000007f.0x0.0.01", "127.0.0.1"},
		{"127.0.0.1.", "127.0.0.1"},
		{"0", "0.0.0.0"},
		{"0x", "0.0.0.0"},
		{"0xA9FEA9FE", "169.254.169.254"},
		{"169.254.43518", "169.254.169.254"},
		{"3232235777", "192.168.1.1"},
		{"192.168.257", "192.168.1.1"},
		{"0300.0250.01.01", "192.168.1.1"},
		{"4294967295", "255.255.255.255"},
		{"%31%32%37.0.0.1", "127.0.0.1"},
		{"１２７．０．０．１", "127.0.0.1"},
		{"127。0。0。1", "127.0.0.1"},
		{"93.184.215.14", "93.184.215.14"},

		// IPv6, bracketed or not, with zones.
		{"::1", "::1"},
		{"[::1]", "::1"},
		{"[::ffff:127.0.0.1]", "::ffff:127.0.0.1"},
		{"[::ffff:7f00:1]", "::ffff:127.0.0.1"},
		{"[64:ff9b::7f00:1]", "64:ff9b::7f00:1"},
		{"[fe80::1%25eth0]", "fe80::1%eth0"},
		{"[fe80::1%eth0]", "fe80::1%eth0"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"[2606:4700::1]", "2606:4700::1"},

		// Not IPs.
		{"", ""},
		{".", ""},
		{"example.com", ""},
		{"localhost", ""},
		{"4294967296", ""},
		{"256.0.0.1", ""},
		{"1.2.3.4.5", ""},
		{"127.0.0.1..", ""},
		{"1..2.3", ""},
		{"09.0.0.1", ""},
		{"0x7g.0.0.1", ""},
		{"127.0.0.1a", ""},
		{"-1.0.0.1", ""},
		{"+1.0.0.1", ""},
		{"1_0.0.0.1", ""},
		{"127.16777216", ""},
		{"0x100000000", ""},
		{"99999999999999999999999", ""},
		{"[127.0.0.1]", ""},
		{"[::1", ""},
		{"[fe80::1%25]", ""},
		{"%zz", ""},
		{"127.0.0.①", ""},
		{"1.2.3.4:80", ""},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			got, ok := ParseHostIP(tc.host)
			if tc.want == "" {
				if ok || got.IsValid() {
					t.Fatalf("ParseHostIP(%q) = %v, %v; want invalid, false", tc.host, got, ok)
				}
				return
			}
			if want := netip.MustParseAddr(tc.want); !ok || got != want {
				t.Fatalf("ParseHostIP(%q) = %v, %v; want %v, true", tc.host, got, ok, want)
			}
		})
	}
}

// TestParseHostIPSpellingsAreRefused ties ParseHostIP to Decide: every
// spelling of a loopback or metadata address is refused by the default
// policy whatever address the caller pairs it with.
func TestParseHostIPSpellingsAreRefused(t *testing.T) {
	p := mustNew(t, Config{})
	public := netip.MustParseAddr("93.184.215.14")
	for _, host := range []string{"2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "0xA9FEA9FE", "169.254.43518", "[::ffff:127.0.0.1]", "[fe80::1%25eth0]", "１２７．０．０．１"} {
		if err := p.Decide(host, public); err == nil {
			t.Errorf("Decide(%q, %v) = nil, want refusal of the host's own IP", host, public)
		}
	}
}

func FuzzParseHostIP(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "0x7f.1", "127.0.0.1.",
		"0x", "4294967295", "4294967296", "%31%32%37.0.0.1", "１２７．０．０．１", "127。0。0。1",
		"[::1]", "[::ffff:127.0.0.1]", "[fe80::1%25eth0]", "fe80::1%eth0", "64:ff9b::7f00:1",
		"example.com", "localhost.", "", ".", "1.2.3.4.5", "0x00000000007f.1",
	} {
		f.Add(s)
	}
	strict := mustNewPolicy(Config{})
	f.Fuzz(func(t *testing.T, host string) {
		a, ok := ParseHostIP(host)
		if !ok {
			if a.IsValid() {
				t.Fatalf("ParseHostIP(%q) = %v, false; want the zero Addr", host, a)
			}
		} else {
			if !a.IsValid() {
				t.Fatalf("ParseHostIP(%q) = invalid Addr, true", host)
			}
			// The canonical spelling must parse back to the same address.
			b, ok2 := ParseHostIP(a.String())
			if !ok2 || b != a {
				t.Fatalf("ParseHostIP(%q) = %v, but ParseHostIP(%q) = %v, %v", host, a, a.String(), b, ok2)
			}
			// A URL writes IPv6 in brackets; that form must round-trip too.
			if a.Is6() && a.Zone() == "" {
				if c, ok3 := ParseHostIP("[" + a.String() + "]"); !ok3 || c != a {
					t.Fatalf("ParseHostIP(%q) = %v, %v; want %v", "["+a.String()+"]", c, ok3, a)
				}
			}
		}
		// Whatever Go itself reads as an IP, ParseHostIP must read the same.
		if want, err := netip.ParseAddr(host); err == nil {
			if !ok || a != want {
				t.Fatalf("ParseHostIP(%q) = %v, %v; netip.ParseAddr says %v", host, a, ok, want)
			}
		}
		// Decide must cope with any host, and judge a spelled IP as that IP.
		err := strict.Decide(host, netip.MustParseAddr("93.184.215.14"))
		if ok && classify(a) != "" && err == nil {
			t.Fatalf("Decide(%q) allowed it, but it spells %v (%s)", host, a, classify(a))
		}
	})
}

func mustNewPolicy(cfg Config) *Policy {
	p, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return p
}
