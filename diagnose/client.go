package diagnose

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DialFunc opens a TCP connection; the server passes one that enforces its
// target policy on the address actually dialled.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Limits bound what one exchange may cost, whatever the target does.
type Limits struct {
	// Timeout bounds one exchange from dial to the last body byte read.
	Timeout time.Duration
	// ConnectTimeout bounds the TCP connect and TLS handshake.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait for the response head once the request
	// is written, so a server that never answers is told apart quickly.
	HeaderTimeout time.Duration
	// MaxHeaderBytes bounds the response head. Chromium refuses heads over
	// 256 KiB (net::ERR_RESPONSE_HEADERS_TOO_BIG), so a larger one could
	// never reach a page anyway.
	MaxHeaderBytes int
	// MaxBodyBytes bounds the body preview: CORS never depends on the body.
	MaxBodyBytes int
	// BodyIdleTimeout is how long the body may stall before the prober
	// stops reading and reports the stall; 0 means 3 s (and never more
	// than Timeout).
	BodyIdleTimeout time.Duration
}

// bodyIdle is the BodyIdleTimeout in force.
func (l Limits) bodyIdle() time.Duration {
	if l.BodyIdleTimeout > 0 {
		return l.BodyIdleTimeout
	}
	return 3 * time.Second
}

// DefaultLimits are the limits of the CLI and the dashboard.
var DefaultLimits = Limits{
	Timeout:        15 * time.Second,
	ConnectTimeout: 5 * time.Second,
	HeaderTimeout:  10 * time.Second,
	MaxHeaderBytes: 256 << 10,
	MaxBodyBytes:   8 << 10,
}

// transport sends one HTTP/1.1 request per fresh connection and records
// every byte of the head as received. net/http would canonicalise names and
// merge lines, hiding exactly what CORS diagnosis needs to see.
type transport struct {
	dial      DialFunc
	tlsConfig *tls.Config
	limits    Limits
}

// outgoing is one request the walker wants sent.
type outgoing struct {
	step    Step
	method  string
	url     *url.URL
	headers []Header // in sending order, Host excluded
	body    string
}

func (t *transport) roundTrip(ctx context.Context, out outgoing) (ex Exchange) {
	ex = Exchange{Step: out.step, Started: time.Now().UTC()}
	ex.Request = SentRequest{Method: out.method, URL: out.url.String(), Proto: "HTTP/1.1", Body: out.body}
	start := time.Now()
	defer func() { ex.DurationMS = float64(time.Since(start).Microseconds()) / 1000 }()

	host := out.url.Hostname()
	port := out.url.Port()
	if port == "" {
		port = "80"
		if out.url.Scheme == "https" {
			port = "443"
		}
	}
	hostHeader := out.url.Host
	ex.Request.Headers = append([]Header{{"Host", hostHeader}}, out.headers...)

	ctx, cancel := context.WithTimeout(ctx, t.limits.Timeout)
	defer cancel()
	// When the deadline closes the connection under a blocked read, the
	// read fails with "use of closed connection"; report the cause.
	phase := "connect"
	defer func() {
		if ex.Error != nil && ctx.Err() != nil {
			ex.Error = classifyNetError(ctx.Err(), phase)
		}
	}()

	dialCtx, cancelDial := context.WithTimeout(ctx, t.limits.ConnectTimeout)
	conn, err := t.dial(dialCtx, "tcp", net.JoinHostPort(host, port))
	cancelDial()
	if err != nil {
		ex.Error = classifyNetError(err, "connect")
		return ex
	}
	defer conn.Close()
	// Closing the connection is the one way to interrupt a blocked read
	// when the caller gives up (server shutdown, client gone).
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	ex.RemoteAddr = conn.RemoteAddr().String()

	phase = "read"
	if out.url.Scheme == "https" {
		phase = "tls"
		cfg := t.tlsConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		cfg.ServerName = strings.Trim(host, "[]")
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(conn, cfg)
		hctx, hcancel := context.WithTimeout(ctx, t.limits.ConnectTimeout)
		err := tc.HandshakeContext(hctx)
		hcancel()
		if err != nil {
			ex.Error = classifyNetError(err, "tls")
			return ex
		}
		st := tc.ConnectionState()
		info := &TLSInfo{Version: tls.VersionName(st.Version), CipherSuite: tls.CipherSuiteName(st.CipherSuite), ServerName: cfg.ServerName}
		if len(st.PeerCertificates) > 0 {
			c := st.PeerCertificates[0]
			info.PeerSubject = c.Subject.String()
			info.PeerIssuer = c.Issuer.String()
			info.NotAfter = c.NotAfter.UTC()
		}
		ex.TLS = info
		conn = tc
		phase = "read"
	}

	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\n", out.method, requestTarget(out.url))
	for _, h := range ex.Request.Headers {
		fmt.Fprintf(&req, "%s: %s\r\n", h.Name, h.Value)
	}
	req.WriteString("\r\n")
	req.WriteString(out.body)
	if _, err := conn.Write(req.Bytes()); err != nil {
		ex.Error = classifyNetError(err, "write")
		return ex
	}

	clock := &readClock{conn: conn}
	br := bufio.NewReaderSize(clock, 4096)
	total, _ := ctx.Deadline()
	if hd := time.Now().Add(t.limits.HeaderTimeout); t.limits.HeaderTimeout > 0 && hd.Before(total) {
		_ = conn.SetReadDeadline(hd)
		phase = "head"
	}
	interim, interimBytes := 0, 0
	for {
		resp, err := readResponseHead(br, t.limits.MaxHeaderBytes)
		if err != nil {
			ex.Error = classifyNetError(err, phase)
			return ex
		}
		// Interim responses (100 Continue, 103 Early Hints) are not what
		// fetch() sees; the final response follows on the same connection.
		if resp.Status >= 100 && resp.Status < 200 && resp.Status != 101 {
			interim++
			interimBytes += resp.HeaderBytes
			continue
		}
		interimFraming(resp, interim, interimBytes)
		phase = "read"
		_ = conn.SetReadDeadline(total)
		clock.total, clock.idle = total, t.limits.bodyIdle()
		readBody(br, resp, out.method, t.limits.MaxBodyBytes)
		ex.Response = resp
		return ex
	}
}

// requestTarget is the origin-form request-target of u.
func requestTarget(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		p += "?" + u.RawQuery
	}
	return p
}

var errHeadTooLarge = errors.New("response head too large")

// headError is a response head a browser cannot use. http09 marks a reply
// without a status line, which Gecko still takes for HTTP/0.9.
type headError struct {
	msg    string
	http09 bool
}

func (e *headError) Error() string { return e.msg }

// readResponseHead reads a response head and parses it leniently for the
// report: lines without a colon are ignored (and recorded), obsolete line
// folding is joined with a space, and a head cut off by the connection
// closing is taken as complete, as Chromium and Firefox both do (observed
// in Chromium 156 and Firefox 153). It also parses the head as each
// browser does (framing.go) and records in Response.Framing where their
// reading differs. The error is a headError only when no browser would
// read a response at all.
func readResponseHead(br *bufio.Reader, maxBytes int) (*Response, error) {
	resp := &Response{}
	read := 0
	var raw strings.Builder
	// readLine returns a line without its end; at EOF it returns what it
	// has with io.EOF.
	readLine := func() (string, error) {
		var line []byte
		for {
			chunk, err := br.ReadSlice('\n')
			read += len(chunk)
			if read > maxBytes {
				return "", errHeadTooLarge
			}
			raw.Write(chunk)
			line = append(line, chunk...)
			if err == bufio.ErrBufferFull {
				continue
			}
			return strings.TrimRight(string(line), "\r\n"), err
		}
	}
	status, err := readLine()
	// Browsers skip empty lines before the status line.
	for err == nil && status == "" && read < 8 {
		raw.Reset()
		status, err = readLine()
	}
	if err != nil && (err != io.EOF || status == "") {
		return nil, err
	}
	statusEOF := err == io.EOF
	for !statusEOF {
		line, err := readLine()
		if err != nil && err != io.EOF {
			return nil, err
		}
		if err == io.EOF {
			resp.IncompleteHead = true
		}
		if line == "" || err == io.EOF {
			break
		}
	}
	resp.HeaderBytes = read
	head := raw.String()
	lines := headLines(head)
	ff, cr := firefoxRead(head), chromiumRead(head)

	proto, rest, _ := strings.Cut(strings.TrimLeft(status, " \t"), " ")
	code, text, _ := strings.Cut(rest, " ")
	n, perr := strconv.Atoi(code)
	lenient := strings.HasPrefix(proto, "HTTP/") && perr == nil && len(code) == 3 && n >= 100 && strings.IndexByte(head, 0) < 0
	switch {
	case lenient && !statusEOF:
		resp.Proto, resp.Status, resp.StatusText = proto, n, text
	case cr.err == nil && !statusEOF:
		resp.Proto, resp.Status, resp.StatusText = proto, cr.status, cr.statusText
	case ff.err == nil && !statusEOF:
		resp.Proto, resp.Status, resp.StatusText = proto, ff.status, ff.statusText
	case !strings.HasPrefix(strings.TrimLeft(status, " \t"), "HTTP/") && cr.err != nil:
		return nil, &headError{msg: fmt.Sprintf("the server did not answer with HTTP: the first line was %q", truncate(status, 80)), http09: ff.http09}
	case statusEOF:
		return nil, &headError{msg: "connection closed in the middle of the status line"}
	case lenient || cr.err == nil || ff.err == nil:
		resp.Proto, resp.Status, resp.StatusText = proto, n, text
	default:
		msg := fmt.Sprintf("invalid status line %q", truncate(escapeLine(status), 80))
		if cr.err != nil && strings.Contains(cr.err.Message, "NUL") {
			msg = cr.err.Message
		}
		return nil, &headError{msg: msg, http09: ff.http09}
	}
	for _, line := range lines[1:] {
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(resp.Headers) > 0 {
				last := &resp.Headers[len(resp.Headers)-1]
				last.Value = strings.TrimSpace(last.Value + " " + strings.TrimSpace(line))
			} else if len(resp.Malformed) < 100 {
				resp.Malformed = append(resp.Malformed, truncate(line, 200))
			}
		} else if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimRight(name, " \t") != "" {
			resp.Headers = append(resp.Headers, Header{strings.TrimRight(name, " \t"), strings.Trim(value, " \t\r")})
		} else if len(resp.Malformed) < 100 {
			resp.Malformed = append(resp.Malformed, truncate(line, 200))
		}
	}
	resp.Framing = headFraming(resp, lines, ff, cr)
	return resp, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// refusal is implemented by the target policy's error, so the prober can
// tell "not allowed to connect" from "could not connect".
type refusal interface {
	error
	Refused() bool
}

// classifyNetError turns a Go network error into the finding vocabulary,
// with the net::ERR_* code Chromium reports for the same failure.
func classifyNetError(err error, phase string) *NetError {
	var ref refusal
	if errors.As(err, &ref) && ref.Refused() {
		return &NetError{Kind: "policy", Message: ref.Error()}
	}
	var he *headError
	if errors.As(err, &he) {
		kind := "malformed"
		if he.http09 {
			kind = "http09"
		}
		return &NetError{Kind: kind, Message: he.msg, Chromium: "net::ERR_INVALID_HTTP_RESPONSE"}
	}
	if errors.Is(err, errHeadTooLarge) {
		return &NetError{Kind: "too-large", Message: "the response head is larger than 256 KiB, more than browsers accept", Chromium: "net::ERR_RESPONSE_HEADERS_TOO_BIG"}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsTimeout {
			return &NetError{Kind: "timeout", Message: "DNS lookup of " + dnsErr.Name + " timed out", Chromium: "net::ERR_NAME_NOT_RESOLVED"}
		}
		return &NetError{Kind: "dns", Message: "the host name " + dnsErr.Name + " does not resolve", Chromium: "net::ERR_NAME_NOT_RESOLVED"}
	}
	var certInvalid x509.CertificateInvalidError
	var hostErr x509.HostnameError
	var unknownCA x509.UnknownAuthorityError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &certInvalid):
		if certInvalid.Reason == x509.Expired {
			return &NetError{Kind: "tls", Message: "the TLS certificate has expired or is not yet valid: " + certInvalid.Detail, Chromium: "net::ERR_CERT_DATE_INVALID"}
		}
		return &NetError{Kind: "tls", Message: "the TLS certificate is invalid: " + certInvalid.Error(), Chromium: "net::ERR_CERT_INVALID"}
	case errors.As(err, &hostErr):
		return &NetError{Kind: "tls", Message: "the TLS certificate is for a different host: " + hostErr.Error(), Chromium: "net::ERR_CERT_COMMON_NAME_INVALID"}
	case errors.As(err, &unknownCA):
		return &NetError{Kind: "tls", Message: "the TLS certificate is self-signed or issued by an unknown authority", Chromium: "net::ERR_CERT_AUTHORITY_INVALID"}
	case errors.As(err, &recErr):
		return &NetError{Kind: "tls", Message: "the server did not speak TLS on this port (is it plain http?)", Chromium: "net::ERR_SSL_PROTOCOL_ERROR"}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		what := "the server did not answer in time"
		code := "net::ERR_TIMED_OUT"
		switch phase {
		case "connect":
			what = "the connection attempt timed out"
			code = "net::ERR_CONNECTION_TIMED_OUT"
		case "tls":
			what = "the TLS handshake did not complete in time (is the port plain http?)"
		case "head":
			what = "the server sent no response head within the header timeout"
		}
		return &NetError{Kind: "timeout", Message: what, Chromium: code}
	case errors.Is(err, context.Canceled):
		return &NetError{Kind: "internal", Message: "the probe was cancelled"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &NetError{Kind: "refused", Message: "the connection was refused: nothing listens on that port", Chromium: "net::ERR_CONNECTION_REFUSED"}
	case errors.Is(err, syscall.ECONNRESET):
		return &NetError{Kind: "reset", Message: "the server reset the connection", Chromium: "net::ERR_CONNECTION_RESET"}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return &NetError{Kind: "refused", Message: "the address is unreachable", Chromium: "net::ERR_ADDRESS_UNREACHABLE"}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE):
		if phase == "tls" {
			return &NetError{Kind: "tls", Message: "the connection closed during the TLS handshake", Chromium: "net::ERR_CONNECTION_CLOSED"}
		}
		return &NetError{Kind: "closed", Message: "the server closed the connection without sending a response", Chromium: "net::ERR_EMPTY_RESPONSE"}
	}
	if phase == "tls" {
		return &NetError{Kind: "tls", Message: "the TLS handshake failed: " + err.Error(), Chromium: "net::ERR_SSL_PROTOCOL_ERROR"}
	}
	return &NetError{Kind: "internal", Message: err.Error(), Chromium: "net::ERR_FAILED"}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
