package remedy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// jsonText is v as indented JSON (no HTML escaping).
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(err) // only maps, slices, strings, bools and ints: cannot fail
	}
	return b.String()
}

// ordered is a JSON object that keeps its keys in the order given, so
// snippets read like the documentation.
type ordered []kv

type kv struct {
	k string
	v any
}

func (o ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.k)
		b.Write(k)
		b.WriteByte(':')
		var vb bytes.Buffer
		enc := json.NewEncoder(&vb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(p.v); err != nil {
			return nil, err
		}
		b.Write(bytes.TrimRight(vb.Bytes(), "\n"))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (s *spec) originList() []string {
	if s.any {
		return []string{"*"}
	}
	return s.origins
}

func springFix(s *spec) fix {
	var b strings.Builder
	b.WriteString("// Imports: java.util.List, org.springframework.context.annotation.Bean,\n")
	b.WriteString("// org.springframework.security.config.annotation.web.builders.HttpSecurity,\n")
	b.WriteString("// org.springframework.security.web.SecurityFilterChain,\n")
	b.WriteString("// org.springframework.web.cors.{CorsConfiguration, CorsConfigurationSource, UrlBasedCorsConfigurationSource},\n")
	b.WriteString("// static org.springframework.security.config.Customizer.withDefaults.\n\n")
	b.WriteString("@Bean\nCorsConfigurationSource corsConfigurationSource() {\n    CorsConfiguration config = new CorsConfiguration();\n")
	fmt.Fprintf(&b, "    config.setAllowedOrigins(List.of(%s));\n", list(s.originList(), dq))
	fmt.Fprintf(&b, "    config.setAllowedMethods(List.of(%s));\n", list(s.methods, dq))
	if len(s.headers) > 0 {
		fmt.Fprintf(&b, "    config.setAllowedHeaders(List.of(%s));\n", list(s.headers, dq))
	}
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "    config.setExposedHeaders(List.of(%s));\n", list(s.expose, dq))
	}
	if s.creds {
		b.WriteString("    config.setAllowCredentials(true);\n")
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "    config.setMaxAge(%dL);\n", s.maxAge)
	}
	fmt.Fprintf(&b, "    UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();\n    source.registerCorsConfiguration(%s, config);\n    return source;\n}\n\n", dq(strings.TrimSuffix(s.apiPrefix(), "/")+"/**"))
	b.WriteString("@Bean\nSecurityFilterChain securityFilterChain(HttpSecurity http) throws Exception {\n")
	b.WriteString("    http.cors(withDefaults()); // CORS runs before authentication and answers preflights\n")
	b.WriteString("    // ... keep your existing authorizeHttpRequests(...), csrf(...), etc. here ...\n    return http.build();\n}\n")
	f := fix{
		pieces: []piece{{"java", "In your @Configuration @EnableWebSecurity class:", b.String()}},
		steps: []string{
			"Add the CorsConfigurationSource bean and http.cors(withDefaults()) to the existing SecurityFilterChain (do not create a second chain).",
			"Remove @CrossOrigin annotations and WebMvcConfigurer.addCorsMappings for these paths, so one configuration decides.",
		},
		notes: []string{
			"setAllowedOrigins takes exact origins. allowedOrigins(\"*\") with credentials throws IllegalArgumentException, and the usual workaround allowedOriginPatterns(\"*\") reflects any origin with credentials.",
			"A WebMvcConfigurer CORS mapping is not applied once Spring Security is in front: Security rejects the preflight first unless http.cors() is on.",
			"Refused CORS requests get 403 with the body \"Invalid CORS request\".",
		},
	}
	switch s.problem {
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"Without http.cors(), the preflight hits anyRequest().authenticated() and gets 401/403: http.cors(withDefaults()) puts CorsFilter before authentication."}, f.steps...)
	case ProblemErrorsWithoutCORS:
		f.notes = append(f.notes, "Errors forwarded to /error are dispatched again: permit /error in authorizeHttpRequests so the error response keeps its CORS headers instead of becoming a bare 401.")
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: remove the proxy's Access-Control-* headers or this configuration; Spring replaces none of the proxy's."}, f.steps...)
	}
	return f
}

func aspnetFix(s *spec) fix {
	var b strings.Builder
	b.WriteString("builder.Services.AddCors(options =>\n{\n    options.AddPolicy(\"corsdoctor\", policy => policy\n")
	if s.any {
		b.WriteString("        .AllowAnyOrigin()\n")
	} else {
		fmt.Fprintf(&b, "        .WithOrigins(%s)\n", list(s.origins, dq))
	}
	fmt.Fprintf(&b, "        .WithMethods(%s)\n", list(s.methods, dq))
	if len(s.headers) > 0 {
		fmt.Fprintf(&b, "        .WithHeaders(%s)\n", list(s.headers, dq))
	}
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, "        .WithExposedHeaders(%s)\n", list(s.expose, dq))
	}
	if s.creds {
		b.WriteString("        .AllowCredentials()\n")
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, "        .SetPreflightMaxAge(TimeSpan.FromSeconds(%d))\n", s.maxAge)
	}
	b.WriteString("    );\n});\n")
	f := fix{
		pieces: []piece{
			{"services", "In Program.cs, before builder.Build():", b.String()},
			{"pipeline", "In Program.cs, after app.UseRouting() and before app.UseAuthentication() / app.UseAuthorization():", "app.UseCors(\"corsdoctor\");\n"},
		},
		steps: []string{
			"Add the AddCors call before builder.Build() and app.UseCors(\"corsdoctor\") after UseRouting, before UseAuthentication and UseAuthorization (and before UseHttpsRedirection if the page calls http://).",
			"Remove other UseCors calls and [EnableCors] attributes with other policies for these endpoints.",
		},
		notes: []string{
			"WithOrigins takes exact origins without a trailing slash. AllowAnyOrigin() with AllowCredentials() is refused at start-up.",
			"An OPTIONS request without Access-Control-Request-Method is not treated as a preflight.",
		},
	}
	switch s.problem {
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"Move app.UseCors before app.UseAuthentication(): after it, the preflight gets 401 before CORS runs."}, f.steps...)
	case ProblemErrorsWithoutCORS:
		f.notes = append(f.notes, "UseExceptionHandler placed before UseCors re-executes the pipeline for errors; the CORS headers are only kept if UseCors also runs for that re-execution (keep UseCors after UseRouting, unconditionally).")
	case ProblemPreflightRedirect:
		f.notes = append(f.notes, "UseHttpsRedirection redirects http:// preflights; call the https URL or put UseCors before it.")
	}
	return f
}

func rackFix(s *spec) fix {
	var b strings.Builder
	b.WriteString("Rails.application.config.middleware.insert_before 0, Rack::Cors do\n  allow do\n")
	if s.any {
		b.WriteString("    origins \"*\"\n")
	} else {
		fmt.Fprintf(&b, "    origins %s\n", list(s.origins, dq))
	}
	res := s.apiPrefix()
	if strings.HasSuffix(res, "/") {
		res += "*"
	}
	fmt.Fprintf(&b, "    resource %s,\n", dq(res))
	if len(s.headers) > 0 {
		fmt.Fprintf(&b, "      headers: [%s],\n", list(s.headers, dq))
	}
	syms := make([]string, len(s.methods))
	for i, m := range s.methods {
		syms[i] = ":" + strings.ToLower(m)
		if !tokenRubySym.MatchString(strings.ToLower(m)) {
			syms[i] = dq(strings.ToLower(m))
		}
	}
	fmt.Fprintf(&b, "      methods: [%s]", strings.Join(syms, ", "))
	if len(s.expose) > 0 {
		fmt.Fprintf(&b, ",\n      expose: [%s]", list(s.expose, dq))
	}
	if s.creds {
		b.WriteString(",\n      credentials: true")
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&b, ",\n      max_age: %d", s.maxAge)
	}
	b.WriteString("\n  end\nend\n")
	f := fix{
		pieces: []piece{{"initializer", "config/initializers/cors.rb:", b.String()}},
		steps: []string{
			"Add gem \"rack-cors\" to the Gemfile and run bundle install.",
			"Save the block as config/initializers/cors.rb (replacing its contents) and restart the server.",
		},
		notes: []string{
			"insert_before 0 puts Rack::Cors ahead of every other middleware (Rack::Cache, Warden/Devise, rack-attack), so they never answer a preflight first.",
			"The generated initializer's example is origins '*'; with credentials: true that is refused, and a regex origin must be anchored (\\A...\\z).",
		},
	}
	switch s.problem {
	case ProblemAuthBeforeCORS:
		f.steps = append([]string{"insert_before 0 makes Rack::Cors answer preflights before Devise/Warden or before_action authentication ever sees them."}, f.steps...)
	case ProblemDuplicateHeaders:
		f.steps = append([]string{"Keep CORS in one layer: remove the proxy's Access-Control-* headers or rack-cors, and any headers['Access-Control-Allow-Origin'] set in controllers."}, f.steps...)
	}
	return f
}

func s3Fix(s *spec) fix {
	allowed := []string{"GET", "PUT", "POST", "DELETE", "HEAD"}
	var methods []string
	var notes []string
	for _, m := range s.methods {
		if slices.Contains(allowed, m) {
			methods = append(methods, m)
		} else {
			notes = append(notes, fmt.Sprintf("S3 CORS rules cannot allow %s: AllowedMethods takes only GET, PUT, POST, DELETE and HEAD, so the page must use PUT or POST instead of %s.", m, m))
		}
	}
	rule := ordered{
		{"AllowedOrigins", s.originList()},
		{"AllowedMethods", methods},
	}
	if len(s.headers) > 0 {
		rule = append(rule, kv{"AllowedHeaders", s.headers})
	}
	if len(s.expose) > 0 {
		rule = append(rule, kv{"ExposeHeaders", s.expose})
	}
	if s.maxAge > 0 {
		rule = append(rule, kv{"MaxAgeSeconds", s.maxAge})
	}
	notes = append(notes,
		"S3 mirrors the matched origin and sends Access-Control-Allow-Credentials: true by itself for a non-\"*\" rule; there is no credentials setting.",
		"Errors look like 403 \"CORS is not enabled for this bucket\" (no rules) or 403 \"This CORS request is not allowed\" (no rule matches origin, method and headers). CloudFormation spells ExposeHeaders and MaxAgeSeconds as ExposedHeaders and MaxAge.",
		"With CloudFront in front, the cache behaviour must allow OPTIONS and forward (or cache on) Origin, Access-Control-Request-Method and Access-Control-Request-Headers, or it serves one origin's answer to another.",
	)
	f := fix{
		pieces: []piece{{"cors.json", "", jsonText(ordered{{"CORSRules", []any{rule}}})}},
		steps: []string{
			"Save the JSON as cors.json and run aws s3api put-bucket-cors --bucket BUCKET --cors-configuration file://cors.json (this replaces the bucket's existing rules: merge any you still need into CORSRules).",
			"Check with aws s3api get-bucket-cors --bucket BUCKET.",
		},
		notes: notes,
	}
	if s.problem == ProblemDuplicateHeaders {
		f.steps = append([]string{"If CloudFront adds CORS headers too (a response headers policy), keep one: set OriginOverride in the policy or remove the policy."}, f.steps...)
	}
	return f
}

func apiGatewayFix(s *spec) fix {
	conf := ordered{
		{"AllowOrigins", s.originList()},
		{"AllowMethods", s.methods},
	}
	if len(s.headers) > 0 {
		conf = append(conf, kv{"AllowHeaders", s.headers})
	}
	if len(s.expose) > 0 {
		conf = append(conf, kv{"ExposeHeaders", s.expose})
	}
	if s.creds {
		conf = append(conf, kv{"AllowCredentials", true})
	}
	if s.maxAge > 0 {
		conf = append(conf, kv{"MaxAge", s.maxAge})
	}
	rest := "REST API with Lambda proxy integration: the function must return Access-Control-Allow-Origin (the request's Origin after an exact check against " + strings.Join(s.originList(), ", ") + ")"
	if s.creds {
		rest += " and Access-Control-Allow-Credentials: true"
	}
	rest += " plus Vary: Origin on every response, and the OPTIONS method needs a MOCK integration (\"Enable CORS\") or a function answer with the same headers."
	f := fix{
		pieces: []piece{{"cors-configuration", "", jsonText(conf)}},
		steps: []string{
			"HTTP API: save the JSON as cors.json and run aws apigatewayv2 update-api --api-id API_ID --cors-configuration file://cors.json. The gateway then answers preflights itself and ignores CORS headers from the integration.",
			rest,
			"REST API: gateway-generated errors (authorizer 401/403, throttling 429, 5xx) bypass the function: add Gateway Responses DEFAULT_4XX and DEFAULT_5XX with response header Access-Control-Allow-Origin = '" + s.originList()[0] + "' (static, so one origin only), then redeploy the stage.",
		},
		notes: []string{
			"HTTP API CORS adds headers only when the request carries Origin (and, for OPTIONS, Access-Control-Request-Method); test with a real Origin.",
			"With a $default route and an authorizer, HTTP API preflights reach the authorizer unless CORS is configured on the API (as here) or an OPTIONS route without authorization exists.",
		},
	}
	if s.problem == ProblemAuthBeforeCORS {
		f.steps = append([]string{"REST API: the OPTIONS method must have Authorization NONE and no API key requirement, or the authorizer answers the preflight."}, f.steps...)
	}
	if s.problem == ProblemDuplicateHeaders {
		f.steps = append([]string{"Keep CORS in one layer: with HTTP API CORS configured, remove CORS headers from the function (the gateway drops them anyway); with REST, keep either the MOCK OPTIONS or the function's answer, not both."}, f.steps...)
	}
	return f
}

func cloudFrontFix(s *spec) fix {
	allowed := []string{"GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD"}
	var methods []string
	var notes []string
	for _, m := range s.methods {
		if slices.Contains(allowed, m) {
			methods = append(methods, m)
		} else {
			notes = append(notes, fmt.Sprintf("CloudFront's AccessControlAllowMethods takes only GET, POST, OPTIONS, PUT, DELETE, PATCH, HEAD or ALL; %s is left out.", m))
		}
	}
	items := func(v []string) ordered { return ordered{{"Quantity", len(v)}, {"Items", v}} }
	headers := s.headers
	if len(headers) == 0 {
		headers = []string{}
	}
	conf := ordered{
		{"AccessControlAllowOrigins", items(s.originList())},
		{"AccessControlAllowHeaders", items(headers)},
		{"AccessControlAllowMethods", items(methods)},
		{"AccessControlAllowCredentials", s.creds},
	}
	if len(s.expose) > 0 {
		conf = append(conf, kv{"AccessControlExposeHeaders", items(s.expose)})
	}
	if s.maxAge > 0 {
		conf = append(conf, kv{"AccessControlMaxAgeSec", s.maxAge})
	}
	conf = append(conf, kv{"OriginOverride", true})
	policy := ordered{
		{"Name", "corsdoctor-cors"},
		{"Comment", "CORS for " + s.apiPrefix()},
		{"CorsConfig", conf},
	}
	notes = append(notes,
		"OriginOverride true makes CloudFront's headers win over the origin's, which also removes duplicates.",
		"If the origin does CORS itself instead, Origin (and the Access-Control-Request-* headers) must be in the cache key or forwarded, or CloudFront serves the first origin's answer to everyone.",
	)
	if len(s.headers) == 0 {
		notes = append(notes, "AccessControlAllowHeaders is required: with no header to allow it is written with Quantity 0 (if the API refuses an empty list, list content-type).")
	}
	return fix{
		pieces: []piece{{"response-headers-policy", "", jsonText(policy)}},
		steps: []string{
			"Save the JSON as policy.json and run aws cloudfront create-response-headers-policy --response-headers-policy-config file://policy.json.",
			"Attach the policy to the cache behaviour for " + s.apiPrefix() + " (ResponseHeadersPolicyId) and allow GET, HEAD, OPTIONS (plus PUT, POST, PATCH, DELETE if used) in its AllowedMethods, so preflights reach CloudFront's CORS logic.",
		},
		notes: notes,
	}
}

func unknownFix(s *spec) fix {
	var pre, act strings.Builder
	acao := s.acao()
	if !s.any {
		fmt.Fprintf(&pre, "# Only when Origin is exactly one of: %s. Send that exact origin back, never another value.\n", strings.Join(s.origins, ", "))
		act.WriteString(pre.String())
	}
	fmt.Fprintf(&pre, "Access-Control-Allow-Origin: %s\n", acao)
	fmt.Fprintf(&act, "Access-Control-Allow-Origin: %s\n", acao)
	if s.creds {
		pre.WriteString("Access-Control-Allow-Credentials: true\n")
		act.WriteString("Access-Control-Allow-Credentials: true\n")
	}
	fmt.Fprintf(&pre, "Access-Control-Allow-Methods: %s\n", s.methodsHeader())
	if len(s.headers) > 0 {
		fmt.Fprintf(&pre, "Access-Control-Allow-Headers: %s\n", s.headersHeader())
	}
	if s.maxAge > 0 {
		fmt.Fprintf(&pre, "Access-Control-Max-Age: %d\n", s.maxAge)
	}
	if len(s.expose) > 0 {
		fmt.Fprintf(&act, "Access-Control-Expose-Headers: %s\n", s.exposeHeader())
	}
	if !s.any {
		pre.WriteString("Vary: Origin\n")
		act.WriteString("Vary: Origin\n")
	}
	f := fix{
		pieces: []piece{
			{"preflight-response", "Answer OPTIONS requests that carry Access-Control-Request-Method (preflights) with 204 and these headers, before any authentication:", pre.String()},
			{"actual-response", "Add to every response to the page's request, errors (4xx, 5xx) included:", act.String()},
		},
		steps: []string{
			"Make the server answer preflights (OPTIONS with Origin and Access-Control-Request-Method) with a 2xx and the first set of headers, before authentication or redirects.",
			"Add the second set to every actual response for that path, including error responses.",
		},
		notes: []string{"Access-Control-Allow-Origin holds one origin: a comma-separated list is invalid. Pick the request's Origin after an exact comparison with the allowed list."},
	}
	if s.problem == ProblemDuplicateHeaders {
		f.steps = append([]string{"Send these headers from exactly one layer (proxy or application): two Access-Control-Allow-Origin headers, even equal ones, make the browser refuse the response."}, f.steps...)
	}
	return f
}

// tokenRubySym matches method names that are valid bare Ruby symbols.
var tokenRubySym = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
