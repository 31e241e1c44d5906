package diagnose

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestAddressSpaces(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want addressSpace
	}{
		{"127.0.0.1", spaceLoopback}, {"127.8.9.10", spaceLoopback}, {"::1", spaceLoopback}, {"0.0.0.0", spaceLoopback},
		{"::ffff:127.0.0.1", spaceLoopback},
		{"10.1.2.3", spaceLocal}, {"172.16.0.1", spaceLocal}, {"192.168.1.1", spaceLocal}, {"169.254.169.254", spaceLocal},
		{"fd00::1", spaceLocal}, {"fe80::1", spaceLocal}, {"::ffff:192.168.0.1", spaceLocal},
		{"203.0.113.7", spacePublic}, {"8.8.8.8", spacePublic}, {"2001:db8::1", spacePublic}, {"100.64.0.1", spacePublic},
	} {
		if got := spaceOfIP(netip.MustParseAddr(tc.in)); got != tc.want {
			t.Errorf("spaceOfIP(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		origin string
		want   addressSpace
	}{
		{"https://app.example.com", spacePublic}, {"http://intranet", spacePublic},
		{"http://localhost:3000", spaceLoopback}, {"http://app.localhost", spaceLoopback},
		{"http://127.0.0.1:8080", spaceLoopback}, {"http://[::1]:8080", spaceLoopback},
		{"http://192.168.1.10:3000", spaceLocal}, {"https://203.0.113.9", spacePublic}, {"null", spaceUnknown},
	} {
		if got := spaceOfOrigin(tc.origin); got != tc.want {
			t.Errorf("spaceOfOrigin(%s) = %s, want %s", tc.origin, got, tc.want)
		}
	}
	for in, want := range map[string]addressSpace{"127.0.0.1:80": spaceLoopback, "[fe80::1%eth0]:443": spaceLocal, "203.0.113.7:443": spacePublic, "": spaceUnknown, "garbage": spaceUnknown} {
		if got := spaceOfRemote(in); got != want {
			t.Errorf("spaceOfRemote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestLocalNetworkAccessWarning: only a public page reaching a private or
// loopback address gets the warning (what Chromium 156 and Firefox 153 gate
// behind a permission; a private page reaching loopback is not checked by
// either today).
func TestLocalNetworkAccessWarning(t *testing.T) {
	for _, tc := range []struct {
		name, origin, remote string
		want                 string // the space in the warning, or "" for none
	}{
		{"public page, loopback API", "https://app.example.com", "127.0.0.1:8080", "loopback"},
		{"public page, office API", "https://app.example.com", "10.0.0.5:443", "local"},
		{"public IP page, link-local API", "https://203.0.113.9", "[fe80::1]:80", "local"},
		{"public page, public API", "https://app.example.com", "203.0.113.7:443", ""},
		{"localhost page, localhost API", "http://localhost:3000", "127.0.0.1:8080", ""},
		{"private page, loopback API", "http://192.168.1.10:3000", "127.0.0.1:8080", ""},
		{"private page, private API", "http://10.0.0.2", "10.0.0.5:443", ""},
		{"opaque origin", "null", "127.0.0.1:8080", ""},
		{"no address recorded", "https://app.example.com", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := "http://api.example.test/items"
			rep, err := Evaluate(Request{URL: u, Origin: tc.origin}, []Exchange{{
				Step:       Step{Kind: StepActual, URL: u},
				Request:    SentRequest{Method: "GET", URL: u, Proto: "HTTP/1.1"},
				Response:   &Response{Proto: "HTTP/1.1", Status: 200, StatusText: "OK", Headers: []Header{{"Access-Control-Allow-Origin", "*"}}},
				RemoteAddr: tc.remote,
				Started:    time.Now(),
			}})
			if err != nil {
				t.Fatal(err)
			}
			var got []Finding
			for _, f := range rep.Findings {
				if f.Reason == "local-network-access" {
					got = append(got, f)
				}
			}
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("warned: %+v", got[0])
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d local-network-access findings, want 1", len(got))
			}
			f := got[0]
			if f.Severity != SeverityWarning || f.Value != tc.want || !strings.Contains(f.Detail, tc.remote) ||
				!strings.Contains(f.Detail, "address space") || !strings.Contains(f.Title, tc.want+" address") {
				t.Errorf("finding %+v", f)
			}
			if rep.Verdict.Firefox != Allowed || rep.Verdict.Chromium != Allowed {
				t.Errorf("verdicts %+v: the warning must not change them", rep.Verdict)
			}
		})
	}
}
