package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// auditTarget answers like a CORS layer: reflect trusts every origin,
// otherwise only https://app.example.com; creds adds ACAC; acao, when set,
// is sent instead (for hostile values).
func auditTarget(reflect, creds bool, acao string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		switch {
		case acao != "":
			w.Header().Set("Access-Control-Allow-Origin", acao)
		case reflect || o == "https://app.example.com":
			w.Header().Set("Access-Control-Allow-Origin", o)
			if creds {
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
		}
		w.WriteHeader(http.StatusOK)
	})
}

func TestAuditExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		srv      http.Handler
		args     []string // after the URL
		env      map[string]string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"safe exact list", auditTarget(false, true, ""), []string{"--origin", "https://app.example.com"}, nil, ExitAllowed,
			[]string{"No finding", "requests sent with crafted origins"}, ""},
		{"plain star", auditTarget(false, false, "*"), []string{"--origin", "https://app.example.com"}, nil, ExitAllowed,
			[]string{"No finding", "right choice for a public API. It is not a finding."}, ""},
		{"reflection with credentials", auditTarget(true, true, ""), []string{"--origin", "https://app.example.com"}, nil, ExitBlocked,
			[]string{"1. CRITICAL [origin-reflected]", "Origin sent: https://evil.net", "Access-Control-Allow-Credentials: true", "Risk: ", "Fix:  ", "The fix for "}, ""},
		{"reflection without credentials", auditTarget(true, false, ""), []string{"--origin", "https://app.example.com"}, nil, ExitAllowed,
			[]string{"1. LOW [origin-reflected]"}, ""},
		{"origin from env", auditTarget(true, true, ""), nil, map[string]string{"CORSDOCTOR_ORIGIN": "https://app.example.com"}, ExitBlocked,
			[]string{"CRITICAL"}, ""},
		{"missing origin", auditTarget(false, false, ""), nil, nil, ExitUsage, nil, "--origin is required"},
		{"null origin", auditTarget(false, false, ""), []string{"--origin", "null"}, nil, ExitUsage, nil, "origin: the audit needs the origin"},
		{"bad stack", auditTarget(false, false, ""), []string{"--origin", "https://app.example.com", "--stack", "nope"}, nil, ExitUsage, nil, "--stack"},
		{"chosen stack", auditTarget(true, true, ""), []string{"--origin", "https://app.example.com", "--stack", "nginx"}, nil, ExitBlocked,
			[]string{"The fix for nginx", "add_header"}, ""},
		{"hostile header value", auditTarget(false, false, "\x1b]0;pwned\x07"), []string{"--origin", "https://app.example.com"}, nil, ExitAllowed,
			[]string{`\x1b]0;pwned\x07`}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.srv)
			defer srv.Close()
			var out, errb bytes.Buffer
			err := Audit(context.Background(), append([]string{srv.URL + "/api"}, tc.args...), env(tc.env), &out, &errb)
			code := 0
			if err != nil {
				code = ExitCode(err, &errb)
			}
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; stderr %q; stdout:\n%s", code, tc.wantCode, errb.String(), out.String())
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			if tc.wantErr != "" && !strings.Contains(errb.String(), tc.wantErr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tc.wantErr)
			}
			if strings.Contains(out.String(), "\x1b]") {
				t.Errorf("raw escape sequence from the target reached the terminal")
			}
		})
	}
}

func TestAuditJSON(t *testing.T) {
	srv := httptest.NewServer(auditTarget(true, true, ""))
	defer srv.Close()
	var out, errb bytes.Buffer
	err := Audit(context.Background(), []string{srv.URL + "/api", "--origin", "https://app.example.com", "--json"}, env(nil), &out, &errb)
	if ExitCode(err, &errb) != ExitBlocked {
		t.Fatalf("err = %v, stderr %q", err, errb.String())
	}
	var got struct {
		Requests int `json:"requests"`
		Findings []struct {
			Reason     string `json:"reason"`
			Severity   string `json:"severity"`
			OriginSent string `json:"origin_sent"`
			Evidence   struct {
				Request, AllowOrigin, AllowCredentials, Summary string
				Status                                          int
			} `json:"evidence"`
		} `json:"findings"`
		Fix struct {
			Snippet struct{ Code string } `json:"snippet"`
		} `json:"fix"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Findings) != 1 {
		t.Fatalf("findings = %+v", got.Findings)
	}
	f := got.Findings[0]
	if f.Reason != "origin-reflected" || f.Severity != "critical" || f.OriginSent != "https://evil.net" || f.Evidence.Status != 200 || f.Evidence.Summary == "" {
		t.Errorf("finding = %+v", f)
	}
	if !strings.Contains(out.String(), `"allow_origin": "https://evil.net"`) || !strings.Contains(out.String(), `"allow_credentials": "true"`) {
		t.Errorf("evidence fields missing:\n%s", out.String())
	}
	if got.Requests == 0 || got.Requests > 24 || got.Fix.Snippet.Code == "" {
		t.Errorf("requests = %d, snippet %q", got.Requests, got.Fix.Snippet.Code)
	}
}
