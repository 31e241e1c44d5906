package diagnose_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"corsdoctor/diagnose"
	"corsdoctor/fixture"
	"corsdoctor/targetpolicy"
)

// stubResolver answers from a table, so names can "resolve" to private,
// metadata and public addresses without any DNS traffic.
type stubResolver map[string][]netip.Addr

func (r stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[strings.ToLower(strings.TrimSuffix(host, "."))]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// safetyNet is the base dialer of the battery: it lets connections reach
// loopback only, and counts any attempt at a forbidden address, so the test
// can never send traffic off the machine even if the policy were broken.
type safetyNet struct {
	mu       sync.Mutex
	attempts []string
}

func (s *safetyNet) dialer() *net.Dialer {
	return &net.Dialer{Timeout: 2 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err == nil && ap.Addr().Unmap().IsLoopback() {
			return nil
		}
		// Public addresses are simply not dialled; forbidden ones mean the
		// policy failed.
		if err != nil || targetpolicy.AllowAll().Decide("", ap.Addr()) != nil || isForbidden(ap.Addr()) {
			s.mu.Lock()
			s.attempts = append(s.attempts, address)
			s.mu.Unlock()
		}
		return errors.New("safety net: refusing to leave loopback")
	}}
}

// TestBypassBattery aims spellings and redirect tricks at loopback, private
// and metadata addresses through the prober with the server's default
// (deny) policy, and checks no connection reaches the listeners standing in
// for them.
func TestBypassBattery(t *testing.T) {
	fx, err := fixture.Start(fixture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	port := func(l string) string { return fx.URL(l)[strings.LastIndexByte(fx.URL(l), ':')+1:] }
	tport, oport := port("target"), port("other")

	// "public.test" is explicitly allowed (a team's staging host) and
	// resolves to the fixture's target listener, the only place allowed.
	resolver := stubResolver{
		"public.test":    {netip.MustParseAddr("127.0.0.1")},
		"evil.test":      {netip.MustParseAddr("127.0.0.1")},
		"private.test":   {netip.MustParseAddr("10.0.0.5")},
		"metadata.test":  {netip.MustParseAddr("169.254.169.254")},
		"mixed.test":     {netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("127.0.0.1")},
		"mapped.test":    {netip.MustParseAddr("::ffff:127.0.0.1")},
		"nat64.test":     {netip.MustParseAddr("64:ff9b::a9fe:a9fe")},
		"sixtofour.test": {netip.MustParseAddr("2002:7f00:1::")},
		"ula.test":       {netip.MustParseAddr("fd12:3456::1")},
		"cgnat.test":     {netip.MustParseAddr("100.64.0.1")},
	}
	policy, err := targetpolicy.New(targetpolicy.Config{Allow: []string{"public.test"}})
	if err != nil {
		t.Fatal(err)
	}
	net := &safetyNet{}
	prober := diagnose.NewProber(diagnose.ProberConfig{
		Dial:   policy.Dialer(net.dialer(), resolver),
		Limits: diagnose.Limits{Timeout: 3 * time.Second, ConnectTimeout: time.Second},
	})

	// The first hop on public.test redirects to each forbidden spelling.
	redirect := func(loc string) string {
		path := "/r/" + strings.NewReplacer("/", "_", ":", "_", "[", "_", "]", "_", "%", "_").Replace(loc)
		fx.Handle(fixture.Route{Listener: "target", Path: path, Response: fixture.Response{Status: 302, Headers: []string{"Location: " + loc, "Access-Control-Allow-Origin: *"}}})
		return "http://public.test:" + tport + path
	}
	cases := []struct{ name, url string }{
		{"loopback literal", "http://127.0.0.1:" + oport + "/"},
		{"loopback other address in 127/8", "http://127.0.0.2:" + oport + "/"},
		{"localhost", "http://localhost:" + oport + "/"},
		{"localhost trailing dot", "http://localhost.:" + oport + "/"},
		{"localhost upper case", "http://LOCALHOST:" + oport + "/"},
		{"sub.localhost", "http://api.localhost:" + oport + "/"},
		{"decimal IPv4", "http://2130706433:" + oport + "/"},
		{"hex IPv4", "http://0x7f000001:" + oport + "/"},
		{"dotted hex", "http://0x7f.0.0.1:" + oport + "/"},
		{"octal", "http://0177.0.0.1:" + oport + "/"},
		{"short form", "http://127.1:" + oport + "/"},
		{"IPv6 loopback", "http://[::1]:" + oport + "/"},
		{"IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]:" + oport + "/"},
		{"IPv4-mapped hex", "http://[::ffff:7f00:1]:" + oport + "/"},
		{"unspecified", "http://0.0.0.0:" + oport + "/"},
		{"zero short", "http://0:" + oport + "/"},
		{"evil name to loopback", "http://evil.test:" + oport + "/"},
		{"name to private", "http://private.test/"},
		{"name to metadata", "http://metadata.test/latest/meta-data/"},
		{"metadata literal", "http://169.254.169.254/latest/meta-data/"},
		{"metadata decimal", "http://2852039166/"},
		{"metadata mapped", "http://[::ffff:169.254.169.254]/"},
		{"metadata NAT64", "http://nat64.test/"},
		{"6to4 embedding loopback", "http://sixtofour.test/"},
		{"mapped answer", "http://mapped.test:" + oport + "/"},
		{"public then loopback answer", "http://mixed.test:" + oport + "/"},
		{"unique local", "http://ula.test/"},
		{"CGNAT", "http://cgnat.test/"},
		{"RFC1918 literal", "http://10.1.2.3/"},
		{"RFC1918 192.168", "http://192.168.1.1/"},
		{"redirect to loopback", redirect("http://127.0.0.1:" + oport + "/")},
		{"redirect to localhost", redirect("http://localhost:" + oport + "/")},
		{"redirect to decimal loopback", redirect("http://2130706433:" + oport + "/")},
		{"redirect to [::1]", redirect("http://[::1]:" + oport + "/")},
		{"redirect to metadata", redirect("http://169.254.169.254/latest/meta-data/")},
		{"redirect to metadata name", redirect("http://metadata.test/")},
		{"redirect to private name", redirect("http://private.test/")},
		{"redirect with userinfo to loopback", redirect("http://user:pw@127.0.0.1:" + oport + "/")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := prober.Probe(context.Background(), diagnose.Request{URL: tc.url, Origin: "https://app.example"})
			if err == nil {
				// A refusal is an input error; the only other acceptable
				// outcome is a blocked fetch that never left the allowed hop.
				for _, ex := range rep.Exchanges {
					if ex.Response != nil && !strings.Contains(ex.Request.URL, "public.test") {
						t.Errorf("the prober sent a request to %s", ex.Request.URL)
					}
				}
			} else if !diagnose.IsInputError(err) || !strings.Contains(err.Error(), "does not probe") {
				t.Errorf("want a refusal naming the policy, got %v", err)
			}
		})
	}
	if n := len(fx.RequestsTo("/")) - countTo(fx, "target"); n != 0 {
		t.Errorf("%d requests reached the stand-in listener for forbidden addresses", n)
	}
	if len(net.attempts) != 0 {
		t.Errorf("the policy let dials through to %v (stopped by the safety net)", net.attempts)
	}
}

// isForbidden judges an address with the server's default policy.
func isForbidden(a netip.Addr) bool {
	p, _ := targetpolicy.New(targetpolicy.Config{})
	return p.Decide("", a) != nil
}

func countTo(fx *fixture.Server, listener string) int {
	n := 0
	for _, r := range fx.Requests() {
		if r.Listener == listener {
			n++
		}
	}
	return n
}
