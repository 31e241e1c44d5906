package diagnose

import "strings"

// AlwaysSecret lists the request headers whose values never leave the
// process that probed: credentials for the target must not sit in a shared
// database or a share link.
var AlwaysSecret = []string{"Authorization", "Cookie", "Proxy-Authorization"}

// Redacted replaces a secret value in stored reports.
const Redacted = "[redacted]"

// Redact replaces the values of secret request headers, everywhere the
// report repeats them (inputs, dropped headers, every sent request, the
// preflight reasons and findings that quote them), and returns the names
// it redacted. extra adds user-marked names.
func Redact(r *Report, extra []string) []string {
	secret := map[string]bool{}
	for _, n := range AlwaysSecret {
		secret[strings.ToLower(n)] = true
	}
	for _, n := range extra {
		if n = strings.TrimSpace(n); n != "" {
			secret[strings.ToLower(n)] = true
		}
	}
	seen := map[string]bool{}
	var names []string
	redact := func(h *Header) {
		k := strings.ToLower(h.Name)
		if !secret[k] || h.Value == Redacted {
			return
		}
		h.Value = Redacted
		if !seen[k] {
			seen[k] = true
			names = append(names, h.Name)
		}
	}
	for i := range r.Request.Headers {
		redact(&r.Request.Headers[i])
	}
	for i := range r.Dropped {
		redact(&r.Dropped[i].Header)
	}
	for i := range r.Exchanges {
		for j := range r.Exchanges[i].Request.Headers {
			redact(&r.Exchanges[i].Request.Headers[j])
		}
	}
	for i := range r.Followups {
		for j := range r.Followups[i].Request.Headers {
			redact(&r.Followups[i].Request.Headers[j])
		}
	}
	// The preflight decision and findings quote header values too.
	for i := range r.Preflight.Reasons {
		pr := &r.Preflight.Reasons[i]
		if pr.Value != "" && (pr.Kind == "header" || pr.Kind == "total-size") {
			h := Header{Name: pr.Name, Value: pr.Value}
			redact(&h)
			pr.Value = h.Value
		}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Header != "" && f.Value != "" && secret[strings.ToLower(f.Header)] {
			h := Header{Name: f.Header, Value: f.Value}
			redact(&h)
			f.Value = h.Value
		}
	}
	return names
}
