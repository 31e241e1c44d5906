package importer

import (
	"encoding/base64"
	"fmt"
	"strings"

	"corsdoctor/diagnose"
)

func tooLong() error {
	return &Error{Message: fmt.Sprintf("the command has more than %d words", maxWords), Hint: "paste one request"}
}

// bashWords splits a command as bash would, without expanding anything:
// '…', "…" (with \ escapes), $'…' (ANSI-C, as Chromium writes bodies with
// control characters) and backslash-newline continuations.
func bashWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in := false
	flush := func() error {
		if in {
			if len(words) >= maxWords {
				return tooLong()
			}
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
				in = true
			}
		case c == ' ' || c == '\t' || c == '\n':
			if err := flush(); err != nil {
				return nil, err
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, &Error{Message: "a single quote is not closed", Hint: "paste the whole command"}
			}
			cur.WriteString(s[i+1 : i+1+j])
			in = true
			i += j + 1
		case c == '$' && i+1 < len(s) && s[i+1] == '\'':
			i += 2
			for ; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					switch s[i] {
					case 'n':
						cur.WriteByte('\n')
					case 'r':
						cur.WriteByte('\r')
					case 't':
						cur.WriteByte('\t')
					case 'x':
						if i+2 < len(s) {
							var v byte
							if _, err := fmt.Sscanf(s[i+1:i+3], "%02x", &v); err == nil {
								cur.WriteByte(v)
								i += 2
								continue
							}
						}
						cur.WriteByte('x')
					case 'u':
						if i+4 < len(s) {
							var v rune
							if _, err := fmt.Sscanf(s[i+1:i+5], "%04x", &v); err == nil {
								cur.WriteRune(v)
								i += 4
								continue
							}
						}
						cur.WriteByte('u')
					default:
						cur.WriteByte(s[i])
					}
					continue
				}
				cur.WriteByte(s[i])
			}
			in = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue
					}
				}
				cur.WriteByte(s[i])
			}
			in = true
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return words, nil
}

// cmdWords splits a command as cmd.exe and then the C runtime would:
// ^ escapes the next character (a ^ at a line end continues the line),
// then "…" quotes, with \" a literal quote and "" one too.
func cmdWords(s string) ([]string, error) {
	var un strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '^' && i+1 < len(s) {
			i++
			if s[i] == '\n' {
				continue
			}
		}
		un.WriteByte(s[i])
	}
	s = un.String()
	var words []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			in = true
			i++
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
			in = true
		case !quoted && (c == ' ' || c == '\t' || c == '\n'):
			if in {
				if len(words) >= maxWords {
					return nil, tooLong()
				}
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// isCmd reports whether a curl command is quoted for cmd.exe: Chromium's
// "Copy as cURL (cmd)" ends lines with ^ and escapes quotes as ^".
func isCmd(s string) bool {
	return strings.Contains(s, "^\n") || strings.Contains(s, "^\"") || strings.HasSuffix(strings.TrimSpace(strings.SplitN(s, "\n", 2)[0]), " ^")
}

// curlArgFlags are curl options that take a value Parse ignores.
var curlArgFlags = map[string]bool{
	"-o": true, "--output": true, "-m": true, "--max-time": true, "--connect-timeout": true, "-x": true, "--proxy": true,
	"--resolve": true, "-w": true, "--write-out": true, "--cacert": true, "-E": true, "--cert": true, "--key": true,
	"--retry": true, "-c": true, "--cookie-jar": true, "--connect-to": true, "--interface": true, "-T": true, "--upload-file": true,
	"-r": true, "--range": true, "--max-redirs": true, "-K": true, "--config": true,
}

// curl reads a curl command (bash or cmd quoting, as devtools copies it).
func (b *builder) curl(cmd string) error {
	var words []string
	var err error
	if exe := hasWordPrefix(strings.TrimSpace(cmd), "curl.exe"); exe || isCmd(cmd) {
		words, err = cmdWords(cmd)
		if exe {
			// Firefox's "Copy as cURL (Windows)" also escapes ` and $
			// for PowerShell.
			for i, w := range words {
				words[i] = strings.NewReplacer("``", "`", "`$", "$").Replace(w)
			}
		}
	} else {
		words, err = bashWords(cmd)
	}
	if err != nil {
		return err
	}
	b.setSource(SourceCurl)
	r := &b.res.Request
	var data []string
	get := false
	for i := 1; i < len(words); i++ {
		w := words[i]
		val := func() string {
			if i+1 < len(words) {
				i++
				return words[i]
			}
			return ""
		}
		// --flag=value
		name, inline, hasInline := strings.Cut(w, "=")
		if !strings.HasPrefix(w, "--") || !hasInline {
			name, hasInline = w, false
		}
		arg := func() string {
			if hasInline {
				return inline
			}
			return val()
		}
		switch {
		case name == "-X" || name == "--request":
			b.setMethod(arg())
		case strings.HasPrefix(name, "-X") && len(name) > 2 && !strings.HasPrefix(name, "--"):
			b.setMethod(name[2:])
		case name == "-H" || name == "--header":
			h := arg()
			n, v, ok := strings.Cut(h, ":")
			if !ok {
				// "Name;" sends an empty header in curl.
				n, v = strings.TrimSuffix(h, ";"), ""
			}
			b.addHeader(n, v)
		case name == "-d" || name == "--data" || name == "--data-raw" || name == "--data-binary" || name == "--data-ascii" || name == "--data-urlencode" || name == "--json":
			v := arg()
			if strings.HasPrefix(v, "@") && name != "--data-raw" {
				b.bodyFile = v[1:]
				continue
			}
			if name == "--json" {
				b.addHeader("Content-Type", "application/json")
				b.addHeader("Accept", "application/json")
			}
			data = append(data, v)
		case name == "-b" || name == "--cookie":
			v := arg()
			b.addHeader("Cookie", v)
		case name == "-A" || name == "--user-agent":
			b.addHeader("User-Agent", arg())
		case name == "-e" || name == "--referer":
			b.addHeader("Referer", arg())
		case name == "-u" || name == "--user":
			b.addHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(arg())))
			b.note("curl's -u is HTTP Basic authentication: the page would send it as an Authorization header.")
		case name == "--url":
			b.setURL(arg())
		case name == "--compressed":
			b.compressed = true
		case name == "-I" || name == "--head":
			b.setMethod("HEAD")
		case name == "-G" || name == "--get":
			get = true
		case name == "-F" || name == "--form":
			arg()
			b.missing("body", "the command sends a multipart form (-F), which corsdoctor cannot rebuild; its Content-Type is multipart/form-data, which needs no preflight")
		case curlArgFlags[name]:
			if !hasInline {
				val()
			}
		case strings.HasPrefix(w, "-") && len(w) > 1:
			// A switch without a value (-s, -L, -k, --http2, …).
		default:
			b.setURL(w)
		}
	}
	if len(data) > 0 {
		if get {
			b.note("curl's -G puts the data in the query string; corsdoctor diagnoses the URL as written.")
		} else {
			r.Body = strings.Join(data, "&")
			if !b.methodSet {
				b.setMethod("POST")
				b.note("The command sends data without -X, so curl (and the page) uses POST.")
			}
			if !hasHeaderIn(b.headers, "content-type") {
				b.note("curl sends --data with Content-Type: application/x-www-form-urlencoded; fetch() with a string body sends text/plain;charset=UTF-8. Both are safelisted.")
			}
		}
	}
	if r.URL == "" {
		return &Error{Message: "the curl command has no URL", Hint: "paste the whole command, with the URL"}
	}
	return nil
}

func hasHeaderIn(hs []diagnose.Header, lower string) bool {
	for _, h := range hs {
		if strings.ToLower(h.Name) == lower {
			return true
		}
	}
	return false
}

// psWords splits a PowerShell command: "…" with ` escapes, '…' with ”
// for a quote, and the @{ } of a hashtable as words of their own.
func psWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in := false
	flush := func() error {
		if in {
			if len(words) >= maxWords {
				return tooLong()
			}
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '`' && i+1 < len(s):
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
				in = true
			}
		case c == ' ' || c == '\t' || c == '\n' || c == ';':
			if err := flush(); err != nil {
				return nil, err
			}
		case c == '=' || c == '{' || c == '}' || c == '(' || c == ')' || c == ',':
			if err := flush(); err != nil {
				return nil, err
			}
			words = append(words, string(c))
		case c == '"':
			i++
			for ; i < len(s); i++ {
				if s[i] == '`' && i+1 < len(s) {
					i++
					switch s[i] {
					case 'n':
						cur.WriteByte('\n')
					case 'r':
						cur.WriteByte('\r')
					case 't':
						cur.WriteByte('\t')
					default:
						cur.WriteByte(s[i])
					}
					continue
				}
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						cur.WriteByte('"')
						i++
						continue
					}
					break
				}
				cur.WriteByte(s[i])
			}
			in = true
		case c == '\'':
			i++
			for ; i < len(s); i++ {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						cur.WriteByte('\'')
						i++
						continue
					}
					break
				}
				cur.WriteByte(s[i])
			}
			in = true
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return words, nil
}

// powershell reads Chromium's "Copy as PowerShell": an optional
// $session set-up (UserAgent, Cookies.Add), then Invoke-WebRequest with
// -Uri, -Method, -Headers @{…}, -ContentType and -Body.
func (b *builder) powershell(cmd string) error {
	words, err := psWords(cmd)
	if err != nil {
		return err
	}
	b.setSource(SourceCurl)
	r := &b.res.Request
	var path, scheme, authority string
	for i := 0; i < len(words); i++ {
		w := words[i]
		next := func() string {
			if i+1 < len(words) {
				i++
				return words[i]
			}
			return ""
		}
		switch strings.ToLower(w) {
		case "$session.useragent":
			if i+1 < len(words) && words[i+1] == "=" {
				i++
				b.addHeader("User-Agent", next())
			}
		case "$session.cookies.add":
			b.cookies = true
			b.res.Dropped = append(b.res.Dropped, Dropped{Name: "Cookie", Why: "the session's cookies: the browser sends them itself; they mean the page sends credentials, so credentials is include"})
		case "-uri":
			b.setURL(next())
		case "-method":
			b.setMethod(next())
		case "-contenttype":
			b.addHeader("Content-Type", next())
		case "-body":
			r.Body = next()
		case "-useragent":
			b.addHeader("User-Agent", next())
		case "-headers":
			// "@{" comes as the words "@" and "{".
			if i+1 < len(words) && words[i+1] == "@" {
				i++
			}
			if i+1 < len(words) && words[i+1] == "{" {
				i++
			}
			for i+1 < len(words) && words[i+1] != "}" {
				name := next()
				if i+1 < len(words) && words[i+1] == "=" {
					i++
				}
				value := next()
				switch strings.ToLower(name) {
				case "authority":
					authority = value
				case "method":
					b.setMethod(value)
				case "path":
					path = value
				case "scheme":
					scheme = value
				default:
					b.addHeader(name, value)
				}
			}
			i++
		}
	}
	if r.URL == "" && authority != "" && path != "" {
		if scheme == "" {
			scheme = "https"
		}
		b.setURL(scheme + "://" + authority + path)
	}
	if r.URL == "" {
		return &Error{Message: "the PowerShell command has no -Uri", Hint: "paste the whole Invoke-WebRequest command"}
	}
	return nil
}
