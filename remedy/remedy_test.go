package remedy

import (
	"flag"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// places are the documented Part.Where values per stack; a stack's
// advice must use a non-empty subset of them, in this order.
var places = map[StackID][]string{
	Nginx:             {"http", "location"},
	Apache:            {"server"},
	Caddy:             {"site"},
	ExpressCors:       {"app"},
	FastifyCors:       {"app"},
	Spring:            {"java"},
	DjangoCorsHeaders: {"settings"},
	FlaskCors:         {"app"},
	Starlette:         {"app"},
	ASPNetCore:        {"services", "pipeline"},
	RackCors:          {"initializer"},
	RsCors:            {"imports", "code"},
	GoChiCors:         {"imports", "code"},
	Jub0bsCors:        {"imports", "code"},
	GorillaHandlers:   {"imports", "code"},
	GoNetHTTP:         {"imports", "code"},
	AWSS3:             {"cors.json"},
	AWSAPIGateway:     {"cors-configuration"},
	AWSCloudFront:     {"response-headers-policy"},
	Cloudflare:        {"worker"},
	Vercel:            {"vercel.json", "middleware.ts"},
	Netlify:           {"_headers", "netlify/edge-functions/cors.js"},
	Unknown:           {"preflight-response", "actual-response"},
}

// mustHaveAll lists the stacks whose every Where above must appear.
var mustHaveAll = map[StackID]bool{
	Nginx: true, ASPNetCore: true, Unknown: true,
	RsCors: true, GoChiCors: true, Jub0bsCors: true, GorillaHandlers: true, GoNetHTTP: true,
}

var verified = []StackID{Nginx, Apache, Caddy, ExpressCors, FastifyCors, DjangoCorsHeaders, FlaskCors,
	Starlette, RsCors, GoChiCors, GorillaHandlers, GoNetHTTP}

var problems = []Problem{ProblemPolicy, ProblemNotConfigured, ProblemAuthBeforeCORS, ProblemNoPreflightHandler,
	ProblemErrorsWithoutCORS, ProblemDuplicateHeaders, ProblemPreflightRedirect}

var policies = []struct {
	name string
	p    Policy
}{
	{"single origin", Policy{Origins: []string{"https://app.example.com"}, Methods: []string{"GET"}}},
	{"two origins", Policy{Origins: []string{"https://app.example.com", "http://localhost:3000"}, Methods: []string{"GET", "PUT"}, Headers: []string{"content-type"}}},
	{"credentials", Policy{Origins: []string{"https://app.example.com", "https://admin.example.com"}, Methods: []string{"POST", "DELETE"}, Headers: []string{"authorization", "content-type"}, Credentials: true, MaxAge: 600}},
	{"any origin", Policy{AnyOrigin: true, Methods: []string{"GET", "PUT"}, Headers: []string{"x-api-key"}, ExposeHeaders: []string{"ETag"}, MaxAge: 300}},
	{"patch", Policy{Origins: []string{"https://app.example.com"}, Methods: []string{"PATCH"}, Headers: []string{"content-type"}, Credentials: true, MaxAge: 7200}},
	{"custom headers", Policy{Origins: []string{"https://app.example.com"}, Methods: []string{"POST"}, Headers: []string{"x-request-id", "mcp-session-id", "mcp-protocol-version"}}},
	{"expose headers", Policy{Origins: []string{"https://app.example.com"}, Methods: []string{"GET"}, ExposeHeaders: []string{"ETag", "Mcp-Session-Id"}, Credentials: true}},
	{"max-age 0 and no methods or headers", Policy{Origins: []string{"https://app.example.com:8443"}}},
}

// representative is the policy of the golden files.
var representative = Policy{
	Origins:       []string{"https://app.example.com", "https://admin.example.com"},
	Methods:       []string{"GET", "PATCH", "DELETE"},
	Headers:       []string{"authorization", "content-type"},
	Credentials:   true,
	ExposeHeaders: []string{"ETag"},
	MaxAge:        600,
}

func TestStacks(t *testing.T) {
	all := Stacks()
	if len(all) != 23 || len(places) != 23 {
		t.Fatalf("Stacks() has %d stacks, places %d; want 23", len(all), len(places))
	}
	for _, st := range all {
		if _, ok := places[st.ID]; !ok {
			t.Errorf("%s: no documented places", st.ID)
		}
		if got, want := st.Verified, slices.Contains(verified, st.ID); got != want {
			t.Errorf("%s: Verified = %v, want %v", st.ID, got, want)
		}
		if st.Name == "" || st.Language == "" {
			t.Errorf("%s: empty Name or Language", st.ID)
		}
		got, ok := LookupStack(st.ID)
		if !ok || got != st {
			t.Errorf("LookupStack(%q) = %v, %v", st.ID, got, ok)
		}
		id, err := ParseStackID(" " + strings.ToUpper(string(st.ID)) + " ")
		if err != nil || id != st.ID {
			t.Errorf("ParseStackID(%q) = %q, %v", st.ID, id, err)
		}
	}
	all[0].Name = "changed"
	if Stacks()[0].Name == "changed" {
		t.Error("Stacks() returns the package's own slice")
	}
	if _, ok := LookupStack("iis"); ok {
		t.Error(`LookupStack("iis") found a stack`)
	}
	_, err := ParseStackID("expres")
	if err == nil || !strings.Contains(err.Error(), "express-cors") || !strings.Contains(err.Error(), "go-net-http") {
		t.Errorf("ParseStackID(expres) error = %v, want one listing the valid IDs", err)
	}
}

func TestAdviseInvariants(t *testing.T) {
	for _, st := range Stacks() {
		for _, pc := range policies {
			for _, pr := range problems {
				t.Run(fmt.Sprintf("%s/%s/%s", st.ID, pc.name, pr), func(t *testing.T) {
					a := Advise(Request{Stack: st.ID, Problem: pr, Policy: pc.p, Path: "/api/items"})
					checkAdvice(t, st.ID, pc.p, a)
				})
			}
		}
	}
}

func checkAdvice(t *testing.T, id StackID, p Policy, a Advice) {
	t.Helper()
	code := a.Snippet.Code
	if strings.TrimSpace(code) == "" {
		t.Fatal("empty snippet")
	}
	if a.Snippet.Stack != id {
		t.Errorf("Snippet.Stack = %q, want %q", a.Snippet.Stack, id)
	}
	if a.Snippet.Language == "" {
		t.Error("empty Snippet.Language")
	}
	if len(a.Steps) == 0 {
		t.Error("no steps")
	}
	// Parts: documented places, in order, and each part's code in Code.
	var wheres []string
	for _, part := range a.Snippet.Parts {
		wheres = append(wheres, part.Where)
		if strings.TrimSpace(part.Code) == "" {
			t.Errorf("part %q is empty", part.Where)
		}
		if !strings.Contains(code, part.Code) {
			t.Errorf("part %q is not in Code", part.Where)
		}
	}
	want := places[id]
	if len(wheres) == 0 || !isOrderedSubset(wheres, want) || (mustHaveAll[id] && !slices.Equal(wheres, want)) {
		t.Errorf("parts %q, want places from %q", wheres, want)
	}
	if id == Vercel || id == Netlify {
		single := p.AnyOrigin || len(p.Origins) == 1
		if got := wheres[0] == want[0]; got != single {
			t.Errorf("parts %q for %d origins (any %v)", wheres, len(p.Origins), p.AnyOrigin)
		}
	}
	// Everything the policy names appears in the snippet (or, for
	// methods a platform cannot allow, in the notes).
	notes := strings.Join(a.Notes, "\n")
	for _, o := range p.Origins {
		if !strings.Contains(code, o) {
			t.Errorf("origin %s missing", o)
		}
	}
	for _, m := range append(p.Methods, "GET", "HEAD", "POST") {
		if !strings.Contains(code, m) && !strings.Contains(code, ":"+strings.ToLower(m)) &&
			!((id == AWSS3 || id == AWSCloudFront) && strings.Contains(notes, m)) {
			t.Errorf("method %s missing", m)
		}
	}
	if id == AWSS3 && slices.Contains(p.Methods, "PATCH") && !strings.Contains(notes, "PUT or POST") {
		t.Errorf("S3 with PATCH: notes do not say to use PUT or POST: %s", notes)
	}
	for _, h := range append(p.Headers, p.ExposeHeaders...) {
		if !strings.Contains(code, h) {
			t.Errorf("header %s missing", h)
		}
	}
	// Security: no reflection, no "*" with credentials.
	for _, bad := range []string{"origin: true", "{header.origin}", "{http.request.header.Origin}", "allowedOriginPatterns",
		"AllowOriginFunc", "SetIsOriginAllowed", "CORS_ORIGIN=$0", "evil"} {
		if strings.Contains(strings.ToLower(code), strings.ToLower(bad)) {
			t.Errorf("snippet contains %q", bad)
		}
	}
	for _, line := range strings.Split(code, "\n") {
		if strings.Contains(line, "$http_origin") && !strings.HasPrefix(line, "map $http_origin ") {
			t.Errorf("$http_origin outside a map: %q", line)
		}
	}
	if p.Credentials {
		for _, bad := range []string{`"*"`, "Allow-Origin *", "Allow-Origin: *", "CORS_ALLOW_ALL_ORIGINS = True", "AllowAnyOrigin", "origins *"} {
			if strings.Contains(code, bad) {
				t.Errorf("credentials with %q", bad)
			}
		}
		if !strings.Contains(strings.ToLower(code), "credential") && id != AWSS3 {
			t.Error("credentials not allowed")
		}
	} else if strings.Contains(strings.ToLower(code), "credentials: true") || strings.Contains(code, "Credentials true") {
		t.Error("credentials allowed without being asked for")
	}
	if p.AnyOrigin && !strings.Contains(code, "*") && !strings.Contains(code, "AllowAnyOrigin()") {
		t.Error(`AnyOrigin without "*"`)
	}
	// Vary: Origin wherever the answer depends on the origin and the
	// snippet writes the headers itself.
	if !p.AnyOrigin && slices.Contains([]StackID{Nginx, Apache, Caddy, GoNetHTTP, GorillaHandlers, Cloudflare, Unknown}, id) &&
		!strings.Contains(code, "Vary") {
		t.Error("no Vary: Origin")
	}
	if p.MaxAge > 0 && !slices.Contains([]StackID{}, id) && !strings.Contains(code, fmt.Sprint(min(p.MaxAge, 600))) &&
		!strings.Contains(code, fmt.Sprint(p.MaxAge)) {
		t.Errorf("max-age %d missing", p.MaxAge)
	}
	if Stack, _ := LookupStack(id); Stack.Language == "go" {
		checkGoParses(t, a)
	}
}

func isOrderedSubset(got, want []string) bool {
	i := 0
	for _, g := range got {
		for i < len(want) && want[i] != g {
			i++
		}
		if i == len(want) {
			return false
		}
		i++
	}
	return true
}

// goSource assembles a Go snippet into a file the way realstack does.
func goSource(a Advice) string {
	var imports, code string
	for _, p := range a.Snippet.Parts {
		switch p.Where {
		case "imports":
			imports = p.Code
		case "code":
			code = p.Code
		}
	}
	return "package main\n\nimport (\n" + imports + ")\n\n" + code +
		"\nfunc main() {\n\tapp := http.NewServeMux()\n\t_ = http.ListenAndServe(\"127.0.0.1:0\", withCORS(app))\n}\n"
}

var importLine = regexp.MustCompile(`^"[a-z0-9./_-]+"$`)

func checkGoParses(t *testing.T, a Advice) {
	t.Helper()
	for _, p := range a.Snippet.Parts {
		if p.Where == "imports" {
			for _, l := range strings.Split(strings.TrimSpace(p.Code), "\n") {
				if !importLine.MatchString(l) {
					t.Errorf("import line %q is not one quoted path", l)
				}
			}
		}
	}
	f, err := parser.ParseFile(token.NewFileSet(), "snippet.go", goSource(a), 0)
	if err != nil {
		t.Fatalf("Go snippet does not parse: %v\n%s", err, goSource(a))
	}
	var funcs []string
	for _, d := range f.Decls {
		if fd, ok := d.(interface{ End() token.Pos }); ok {
			_ = fd
		}
	}
	for _, obj := range f.Scope.Objects {
		funcs = append(funcs, obj.Name)
	}
	slices.Sort(funcs)
	if !slices.Equal(funcs, []string{"main", "withCORS"}) {
		t.Errorf("top-level declarations %q, want only withCORS", funcs)
	}
}

func TestSanitisesPolicy(t *testing.T) {
	p := Policy{
		Origins:       []string{"https://ok.example.com", "*", "null", "https://evil.example.com\nadd_header X 1", "https://a.example.com/path", `https://x.example.com"`},
		Methods:       []string{"PUT", "TRACE", "GET;", "PUT"},
		Headers:       []string{"X-Custom", "cookie", "sec-fetch-mode", "x-$var", "x-custom"},
		ExposeHeaders: []string{"ETag", "Set-Cookie", "x-{a}"},
		Credentials:   true,
		AnyOrigin:     true,
		MaxAge:        999999,
	}
	for _, st := range Stacks() {
		a := Advise(Request{Stack: st.ID, Policy: p})
		for _, bad := range []string{"evil", "\"*\"", "\"null\"", "/path", "TRACE", "GET;", "cookie", "sec-fetch", "$var", "Set-Cookie", "{a}", "999999", `x.example.com"`} {
			if strings.Contains(a.Snippet.Code, bad) {
				t.Errorf("%s: snippet contains %q", st.ID, bad)
			}
		}
		if !strings.Contains(a.Snippet.Code, "https://ok.example.com") || !strings.Contains(a.Snippet.Code, "x-custom") {
			t.Errorf("%s: valid values lost", st.ID)
		}
		if len(a.Notes) < 5 {
			t.Errorf("%s: want notes for every value left out, got %q", st.ID, a.Notes)
		}
	}
	a := Advise(Request{Stack: Nginx, Policy: Policy{}})
	if !strings.Contains(a.Snippet.Code, "https://app.example.com") || !strings.Contains(strings.Join(a.Notes, " "), "replace") {
		t.Errorf("empty policy: want a placeholder origin and a note, got %q / %q", a.Snippet.Code, a.Notes)
	}
	a = Advise(Request{Stack: "iis", Policy: representative})
	if a.Snippet.Stack != Unknown || len(a.Notes) == 0 {
		t.Errorf("unknown stack: got %q, notes %q", a.Snippet.Stack, a.Notes)
	}
}

func TestProblemSpecifics(t *testing.T) {
	p := Policy{Origins: []string{"https://app.example.com"}, Methods: []string{"PATCH"}, Headers: []string{"content-type"}}
	tests := []struct {
		stack   StackID
		problem Problem
		want    []string // in Code, Steps or Notes
	}{
		{Nginx, ProblemNoPreflightHandler, []string{"if ($request_method = OPTIONS) {\n    return 204;\n}"}},
		{Nginx, ProblemDuplicateHeaders, []string{"proxy_hide_header Access-Control-Allow-Origin;"}},
		{Nginx, ProblemErrorsWithoutCORS, []string{"always;", "error_page"}},
		{Apache, ProblemErrorsWithoutCORS, []string{"Header always set", "a2enmod headers rewrite setenvif"}},
		{Apache, ProblemAuthBeforeCORS, []string{"RewriteRule ^ - [R=204,L]"}},
		{ExpressCors, ProblemNoPreflightHandler, []string{"app.use(cors({", "app.options('*'", "per-route"}},
		{ExpressCors, ProblemAuthBeforeCORS, []string{"before authentication"}},
		{FastifyCors, ProblemPolicy, []string{"v11", "GET, HEAD and POST"}},
		{Spring, ProblemAuthBeforeCORS, []string{"http.cors(withDefaults())", "CorsConfigurationSource"}},
		{AWSAPIGateway, ProblemPolicy, []string{"Lambda proxy", "DEFAULT_4XX", "DEFAULT_5XX"}},
		{AWSS3, ProblemPolicy, []string{"cannot allow PATCH", "PUT or POST"}},
		{Cloudflare, ProblemAuthBeforeCORS, []string{"options_preflight_bypass"}},
		{Vercel, ProblemAuthBeforeCORS, []string{"OPTIONS Allowlist"}},
		{Starlette, ProblemErrorsWithoutCORS, []string{"CatchServerErrors", "ServerErrorMiddleware"}},
		{FlaskCors, ProblemAuthBeforeCORS, []string{"_cors_answer_preflight"}},
		{DjangoCorsHeaders, ProblemAuthBeforeCORS, []string{"CorsMiddleware"}},
		{GoNetHTTP, ProblemAuthBeforeCORS, []string{"withCORS(auth(mux))"}},
		{Netlify, ProblemPolicy, []string{"Functions"}},
		{Caddy, ProblemNoPreflightHandler, []string{"handle @cors_preflight {\n\trespond 204\n}"}},
		{Caddy, ProblemAuthBeforeCORS, []string{"@cors_not_preflight {"}},
	}
	for _, tc := range tests {
		a := Advise(Request{Stack: tc.stack, Problem: tc.problem, Policy: p, Path: "/api/items"})
		all := a.Snippet.Code + "\n" + strings.Join(a.Steps, "\n") + "\n" + strings.Join(a.Notes, "\n")
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s/%s: missing %q", tc.stack, tc.problem, w)
			}
		}
	}
}

func TestGolden(t *testing.T) {
	type gcase struct {
		name string
		req  Request
	}
	var cases []gcase
	for _, st := range Stacks() {
		cases = append(cases, gcase{string(st.ID), Request{Stack: st.ID, Problem: ProblemPolicy, Policy: representative, Path: "/api/items"}})
	}
	single := representative
	single.Origins = single.Origins[:1]
	for _, id := range []StackID{Vercel, Netlify} {
		cases = append(cases, gcase{string(id) + "-single-origin", Request{Stack: id, Problem: ProblemPolicy, Policy: single, Path: "/api/items"}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := renderGolden(Advise(tc.req))
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./remedy -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (run go test ./remedy -update and review the diff):\n%s", tc.name, path, got)
			}
		})
	}
}

func renderGolden(a Advice) string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack: %s\nlanguage: %s\nparts:", a.Snippet.Stack, a.Snippet.Language)
	for _, p := range a.Snippet.Parts {
		fmt.Fprintf(&b, " %s", p.Where)
	}
	b.WriteString("\n\n--- code ---\n")
	b.WriteString(a.Snippet.Code)
	b.WriteString("\n--- steps ---\n")
	for i, s := range a.Steps {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s)
	}
	b.WriteString("\n--- notes ---\n")
	for _, n := range a.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

// TestGoSnippetsAreGofmted holds indentGo to gofmt: for every Go stack,
// policy and problem, gofmt changes nothing in a code part but the spaces
// it uses to align values within lines (indentation and lines are equal).
// squeeze folds runs of spaces inside a line.
func squeeze(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		ind := len(l) - len(strings.TrimLeft(l, "\t"))
		out = append(out, l[:ind]+strings.Join(strings.Fields(l[ind:]), " "))
	}
	return strings.Join(out, "\n")
}

func TestGoSnippetsAreGofmted(t *testing.T) {
	for _, id := range []StackID{RsCors, GoChiCors, Jub0bsCors, GorillaHandlers, GoNetHTTP} {
		for _, pc := range policies {
			for _, pr := range problems {
				a := Advise(Request{Stack: id, Problem: pr, Policy: pc.p, Path: "/api/items"})
				for _, part := range a.Snippet.Parts {
					if part.Where != "code" {
						continue
					}
					want, err := format.Source([]byte(part.Code))
					if err != nil {
						t.Fatalf("%s/%s/%s: %v\n%s", id, pc.name, pr, err, part.Code)
					}
					if squeeze(string(want)) != squeeze(part.Code) {
						t.Errorf("%s/%s/%s: gofmt changes more than alignment:\n--- got\n%s\n--- gofmt\n%s", id, pc.name, pr, part.Code, want)
						return
					}
				}
			}
		}
	}
}
