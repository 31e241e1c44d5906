package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"corsdoctor/diagnose"
)

const (
	authValue   = "Bearer s3cr3t-token"
	apiKeyValue = "key-0123456789"
)

// sampleReport is a report that carries secrets in every place a report
// repeats request headers.
func sampleReport() diagnose.Report {
	ran := time.Date(2025, 3, 14, 15, 9, 26, 535000000, time.UTC)
	headers := func() []diagnose.Header {
		return []diagnose.Header{
			{Name: "Authorization", Value: authValue},
			{Name: "X-Api-Key", Value: apiKeyValue},
			{Name: "Content-Type", Value: "application/json"},
		}
	}
	return diagnose.Report{
		Engine:     "test-engine",
		RanAt:      ran,
		DurationMS: 12.5,
		Request: diagnose.Request{
			URL:         "https://api.example.com/v1/items",
			Origin:      "https://app.example.com",
			Method:      "PUT",
			Headers:     headers(),
			Credentials: diagnose.CredentialsInclude,
			Mode:        diagnose.ModeCORS,
		},
		Verdict: diagnose.Verdicts{Firefox: diagnose.Blocked, Chromium: diagnose.Blocked},
		Summary: diagnose.Summary{Firefox: "blocked: no ACAO", Chromium: "blocked: no ACAO"},
		Findings: []diagnose.Finding{{
			Reason:   "CORSMissingAllowOrigin",
			Severity: diagnose.SeverityError,
			Step:     diagnose.Step{Kind: diagnose.StepPreflight, URL: "https://api.example.com/v1/items"},
			Header:   "Access-Control-Allow-Origin",
			Browsers: []diagnose.Browser{diagnose.Firefox, diagnose.Chromium},
			Console:  diagnose.Console{Firefox: "Cross-Origin Request Blocked", Chromium: "has been blocked by CORS policy"},
			Title:    "Missing Access-Control-Allow-Origin",
			Detail:   "The preflight response has no Access-Control-Allow-Origin.",
			Fix:      "Send Access-Control-Allow-Origin: https://app.example.com",
		}},
		Console: diagnose.ConsoleLog{Firefox: []string{"ff line"}, Chromium: []string{"cr line"}},
		Exchanges: []diagnose.Exchange{
			{
				Step:       diagnose.Step{Kind: diagnose.StepPreflight, URL: "https://api.example.com/v1/items"},
				Request:    diagnose.SentRequest{Method: "OPTIONS", URL: "https://api.example.com/v1/items", Proto: "HTTP/1.1", Headers: headers()},
				Started:    ran,
				DurationMS: 5,
			},
			{
				Step:       diagnose.Step{Kind: diagnose.StepActual, Hop: 1, URL: "https://api.example.com/v2/items"},
				Request:    diagnose.SentRequest{Method: "PUT", URL: "https://api.example.com/v2/items", Proto: "HTTP/1.1", Headers: headers()},
				Started:    ran.Add(5 * time.Millisecond),
				DurationMS: 7,
			},
		},
	}
}

func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "corsdoctor.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// headerValue returns the value of the first header named name.
func headerValue(hs []diagnose.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func TestCreateGet(t *testing.T) {
	tests := []struct {
		name         string
		extra        []string
		preRedacted  []string
		wantRedacted []string
		wantAPIKey   string // X-Api-Key value after storage
	}{
		{
			name:         "authorization always redacted",
			wantRedacted: []string{"Authorization"},
			wantAPIKey:   apiKeyValue,
		},
		{
			name:         "user-marked extra secret",
			extra:        []string{" x-api-key "},
			wantRedacted: []string{"Authorization", "X-Api-Key"},
			wantAPIKey:   diagnose.Redacted,
		},
		{
			name:         "merged with names already recorded",
			preRedacted:  []string{"Cookie", "authorization"},
			wantRedacted: []string{"Cookie", "authorization"},
			wantAPIKey:   apiKeyValue,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTest(t)
			ctx := context.Background()
			d := &Diagnosis{Report: sampleReport(), Redacted: tc.preRedacted}
			if err := s.Create(ctx, d, tc.extra); err != nil {
				t.Fatalf("Create: %v", err)
			}
			if !ValidID(d.ID) {
				t.Fatalf("Create set ID %q, not a valid ID", d.ID)
			}
			if d.CreatedAt.IsZero() {
				t.Fatal("Create left CreatedAt zero")
			}
			if !slices.Equal(d.Redacted, tc.wantRedacted) {
				t.Errorf("d.Redacted = %q, want %q", d.Redacted, tc.wantRedacted)
			}

			got, err := s.Get(ctx, d.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got.ID != d.ID {
				t.Errorf("ID = %q, want %q", got.ID, d.ID)
			}
			if !got.CreatedAt.Equal(d.CreatedAt) {
				t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, d.CreatedAt)
			}
			if !slices.Equal(got.Redacted, tc.wantRedacted) {
				t.Errorf("Redacted = %q, want %q", got.Redacted, tc.wantRedacted)
			}
			if !reflect.DeepEqual(got.Report, d.Report) {
				t.Errorf("stored report differs from created one:\n got %+v\nwant %+v", got.Report, d.Report)
			}

			// Every copy of the request headers, as read back.
			r := got.Report
			lists := map[string][]diagnose.Header{"request": r.Request.Headers}
			for i, ex := range r.Exchanges {
				lists[fmt.Sprintf("exchange %d", i)] = ex.Request.Headers
			}
			for where, hs := range lists {
				if v := headerValue(hs, "Authorization"); v != diagnose.Redacted {
					t.Errorf("%s: Authorization = %q, want %q", where, v, diagnose.Redacted)
				}
				if v := headerValue(hs, "X-Api-Key"); v != tc.wantAPIKey {
					t.Errorf("%s: X-Api-Key = %q, want %q", where, v, tc.wantAPIKey)
				}
				if v := headerValue(hs, "Content-Type"); v != "application/json" {
					t.Errorf("%s: Content-Type = %q, want it kept", where, v)
				}
			}
			if r.Engine != "test-engine" || r.Request.URL != "https://api.example.com/v1/items" ||
				len(r.Findings) != 1 || r.Findings[0].Reason != "CORSMissingAllowOrigin" ||
				r.Verdict.Chromium != diagnose.Blocked || len(r.Exchanges) != 2 || r.Exchanges[1].Step.Hop != 1 {
				t.Errorf("report fields lost: %+v", r)
			}

			// The secret must not be anywhere in the database row.
			var raw string
			if err := s.r.QueryRow(`SELECT report || redacted || engine FROM diagnoses WHERE id = ?`, d.ID).Scan(&raw); err != nil {
				t.Fatalf("read raw row: %v", err)
			}
			if strings.Contains(raw, authValue) {
				t.Errorf("raw row contains the Authorization value")
			}
			if tc.wantAPIKey == diagnose.Redacted && strings.Contains(raw, apiKeyValue) {
				t.Errorf("raw row contains the extra secret value")
			}
		})
	}
}

func TestCreateDefaults(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()

	at := time.Date(2024, 1, 2, 3, 4, 5, 678901234, time.FixedZone("X", 3600))
	d := &Diagnosis{ID: "ignored", CreatedAt: at, Report: diagnose.Report{}}
	if err := s.Create(ctx, d, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if d.ID == "ignored" || !ValidID(d.ID) {
		t.Errorf("ID = %q, want a fresh ID", d.ID)
	}
	if want := at.Truncate(time.Millisecond); !d.CreatedAt.Equal(want) {
		t.Errorf("CreatedAt = %v, want %v (ms precision)", d.CreatedAt, want)
	}
	if d.Report.Engine != diagnose.Version {
		t.Errorf("Engine = %q, want %q", d.Report.Engine, diagnose.Version)
	}
	if d.Redacted == nil || len(d.Redacted) != 0 {
		t.Errorf("Redacted = %#v, want empty", d.Redacted)
	}
	got, err := s.Get(ctx, d.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !got.CreatedAt.Equal(d.CreatedAt) || got.Report.Engine != diagnose.Version {
		t.Errorf("Get = %v %q, want %v %q", got.CreatedAt, got.Report.Engine, d.CreatedAt, diagnose.Version)
	}

	// Creating the same value twice makes two diagnoses, never an overwrite.
	first := d.ID
	if err := s.Create(ctx, d, nil); err != nil {
		t.Fatalf("second Create: %v", err)
	}
	if d.ID == first {
		t.Fatalf("second Create reused ID %q", first)
	}
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM diagnoses`).Scan(&n); err != nil || n != 2 {
		t.Errorf("rows = %d, %v; want 2", n, err)
	}
}

func TestGetNotFound(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	d := &Diagnosis{Report: sampleReport()}
	if err := s.Create(ctx, d, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	tests := []struct {
		name      string
		id        string
		malformed bool // rejected without a query
	}{
		{name: "unknown", id: NewID()},
		{name: "empty", id: "", malformed: true},
		{name: "path traversal", id: "../x", malformed: true},
		{name: "too long", id: strings.Repeat("a", 200), malformed: true},
		{name: "upper case of a stored id", id: strings.ToUpper(d.ID), malformed: true},
		{name: "sql", id: "' OR 1=1 --aaaaaaaaaaaaaaa", malformed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidID(tc.id); got == tc.malformed {
				t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, !tc.malformed)
			}
			got, err := s.Get(ctx, tc.id)
			if !errors.Is(err, ErrNotFound) || got != nil {
				t.Errorf("Get(%q) = %v, %v; want nil, ErrNotFound", tc.id, got, err)
			}
		})
	}

	// Malformed ids never reach the database: they are "not found" even
	// when the database cannot answer.
	closed, _ := openTest(t)
	closed.Close()
	for _, tc := range tests {
		if !tc.malformed {
			continue
		}
		if _, err := closed.Get(ctx, tc.id); !errors.Is(err, ErrNotFound) {
			t.Errorf("closed store: Get(%q) error = %v, want ErrNotFound", tc.id, err)
		}
	}
	if _, err := closed.Get(ctx, NewID()); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("closed store: Get(valid id) error = %v, want a database error", err)
	}
}

func TestNewIDUnique(t *testing.T) {
	const n = 10000
	seen := make(map[string]bool, n)
	for range n {
		id := NewID()
		if len(id) != 26 {
			t.Fatalf("NewID() = %q, len %d, want 26", id, len(id))
		}
		if !ValidID(id) {
			t.Fatalf("ValidID(NewID() = %q) = false", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestValidID(t *testing.T) {
	good := NewID()
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{name: "fresh", id: good, want: true},
		{name: "all a", id: strings.Repeat("a", 26), want: true},
		{name: "empty", id: "", want: false},
		{name: "dot dot", id: "../x", want: false},
		{name: "200 chars", id: strings.Repeat("a", 200), want: false},
		{name: "25 chars", id: good[:25], want: false},
		{name: "27 chars", id: good + "a", want: false},
		{name: "upper case", id: strings.Repeat("A", 26), want: false},
		{name: "digit outside alphabet", id: strings.Repeat("a", 25) + "1", want: false},
		{name: "0 and 8 not base32", id: "0" + strings.Repeat("a", 24) + "8", want: false},
		{name: "padding", id: strings.Repeat("a", 25) + "=", want: false},
		{name: "newline", id: strings.Repeat("a", 13) + "\n" + strings.Repeat("a", 12), want: false},
		{name: "unused low bits set", id: strings.Repeat("a", 25) + "b", want: false},
		{name: "slash", id: strings.Repeat("a", 12) + "/" + strings.Repeat("a", 13), want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidID(tc.id); got != tc.want {
				t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
}

// createAt stores a sample diagnosis created at t and returns its ID.
func createAt(t testing.TB, s *Store, at time.Time) string {
	t.Helper()
	d := &Diagnosis{CreatedAt: at, Report: sampleReport()}
	if err := s.Create(context.Background(), d, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return d.ID
}

// exists reports whether id is stored, failing t on any other error.
func exists(t testing.TB, s *Store, id string) bool {
	t.Helper()
	_, err := s.Get(context.Background(), id)
	if errors.Is(err, ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return true
}

func TestDeleteOlderThan(t *testing.T) {
	s, _ := openTest(t)
	now := time.Now()
	cutoff := now.Add(-24 * time.Hour)
	rows := []struct {
		name string
		at   time.Time
		kept bool
	}{
		{name: "a week old", at: now.Add(-7 * 24 * time.Hour), kept: false},
		{name: "1ms before cutoff", at: cutoff.Add(-time.Millisecond), kept: false},
		{name: "at cutoff", at: cutoff, kept: true},
		{name: "fresh", at: now, kept: true},
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = createAt(t, s, r.at)
	}
	n, err := s.DeleteOlderThan(context.Background(), cutoff)
	if err != nil {
		t.Fatalf("DeleteOlderThan: %v", err)
	}
	if n != 2 {
		t.Errorf("deleted %d, want 2", n)
	}
	for i, r := range rows {
		if got := exists(t, s, ids[i]); got != r.kept {
			t.Errorf("%s: exists = %v, want %v", r.name, got, r.kept)
		}
	}
	if n, err := s.DeleteOlderThan(context.Background(), cutoff); err != nil || n != 0 {
		t.Errorf("second DeleteOlderThan = %d, %v; want 0, nil", n, err)
	}
}

func TestSweep(t *testing.T) {
	s, _ := openTest(t)
	var logs bytes.Buffer // written by Sweep only; read after it returns
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	const retention = time.Hour
	fresh := createAt(t, s, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Sweep(ctx, logger, retention, 10*time.Millisecond)
		close(done)
	}()

	// Created after Sweep started, so only a tick can delete it.
	old := createAt(t, s, time.Now().Add(-2*retention))
	deadline := time.Now().Add(10 * time.Second)
	for exists(t, s, old) {
		if time.Now().After(deadline) {
			t.Fatal("Sweep did not delete the expired diagnosis within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !exists(t, s, fresh) {
		t.Error("Sweep deleted a fresh diagnosis")
	}

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Sweep did not return after ctx was cancelled")
	}
	out := logs.String()
	for _, want := range []string{`msg="swept expired diagnoses"`, "deleted=1", "retention=1h0m0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}

	// Stopped means stopped.
	late := createAt(t, s, time.Now().Add(-2*retention))
	time.Sleep(50 * time.Millisecond)
	if !exists(t, s, late) {
		t.Error("an expired diagnosis was deleted after Sweep returned")
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "persist.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	d := &Diagnosis{Report: sampleReport()}
	if err := s.Create(ctx, d, []string{"X-Api-Key"}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = Open(ctx, path) // runs the migrations again: must be a no-op
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.Get(ctx, d.ID)
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("after reopen:\n got %+v\nwant %+v", got, d)
	}
	var versions int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&versions); err != nil || versions != len(migrations) {
		t.Errorf("schema_migrations rows = %d, %v; want %d", versions, err, len(migrations))
	}
}

func TestOpenPragmas(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		pragma string
		want   string
	}{
		{name: "journal mode", pragma: "journal_mode", want: "wal"},
		{name: "synchronous full", pragma: "synchronous", want: "2"},
		{name: "foreign keys", pragma: "foreign_keys", want: "1"},
		{name: "busy timeout", pragma: "busy_timeout", want: "5000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range []struct {
				name string
				get  func() (string, error)
			}{
				{"writer", func() (v string, err error) {
					return v, s.w.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&v)
				}},
				{"reader", func() (v string, err error) {
					return v, s.r.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&v)
				}},
			} {
				got, err := p.get()
				if err != nil {
					t.Fatalf("%s: PRAGMA %s: %v", p.name, tc.pragma, err)
				}
				if got != tc.want {
					t.Errorf("%s: PRAGMA %s = %q, want %q", p.name, tc.pragma, got, tc.want)
				}
			}
		})
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	// The read pool cannot write.
	if _, err := s.r.ExecContext(ctx, `DELETE FROM diagnoses`); err == nil {
		t.Error("read pool accepted a write")
	}
}

func TestOpenOddPath(t *testing.T) {
	// '?' and '#' would cut a plain DSN short; '%' would be decoded.
	path := filepath.Join(t.TempDir(), "a?b#c%20d.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not created at the exact path: %v", err)
	}
}

func TestOpenNewerSchema(t *testing.T) {
	s, path := openTest(t)
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(context.Background(), path)
	if err == nil {
		s2.Close()
		t.Fatal("Open accepted a database from a newer corsdoctor")
	}
	if !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("error = %v, want it to name version 99", err)
	}
}

func TestConcurrent(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	seed := createAt(t, s, time.Now())

	const n = 50
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := range n {
		wg.Go(func() {
			d := &Diagnosis{Report: sampleReport()}
			d.Report.Request.URL = fmt.Sprintf("https://api.example.com/%d", i)
			if err := s.Create(ctx, d, nil); err != nil {
				t.Errorf("Create %d: %v", i, err)
				return
			}
			ids[i] = d.ID
			got, err := s.Get(ctx, d.ID)
			if err != nil {
				t.Errorf("Get %d: %v", i, err)
				return
			}
			if got.Report.Request.URL != d.Report.Request.URL {
				t.Errorf("Get %d: URL = %q, want %q", i, got.Report.Request.URL, d.Report.Request.URL)
			}
			if _, err := s.Get(ctx, seed); err != nil {
				t.Errorf("Get seed from %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, id := range ids {
		if id == "" {
			continue // reported above
		}
		if seen[id] {
			t.Errorf("id %s repeated", id)
		}
		seen[id] = true
		if !exists(t, s, id) {
			t.Errorf("diagnosis %d (%s) missing after all goroutines finished", i, id)
		}
	}
}

// crashHelperEnv, when set, turns this test binary into the process that
// TestCrashDurability kills: it names the database to write.
const crashHelperEnv = "CORSDOCTOR_STORE_CRASH_HELPER_DB"

func TestCrashDurability(t *testing.T) {
	if path := os.Getenv(crashHelperEnv); path != "" {
		crashHelper(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}

	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// Kill after some links were handed out, while the helper is busy
	// creating more: the kill lands at an arbitrary point of a Create.
	const killAfter = 100
	var printed []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if id := sc.Text(); ValidID(id) {
			printed = append(printed, id)
		}
		if len(printed) == killAfter {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
				t.Fatalf("kill helper: %v", err)
			}
		}
	}
	// Lines written before the kill are still in the pipe; Scan read them.
	waitErr := cmd.Wait()
	if cmd.ProcessState.Exited() {
		t.Fatalf("helper exited by itself (%v) instead of being killed; stderr:\n%s", waitErr, stderr.String())
	}
	if len(printed) < killAfter {
		t.Fatalf("helper printed %d ids before dying, want >= %d; stderr:\n%s", len(printed), killAfter, stderr.String())
	}

	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	for _, id := range printed {
		d, err := s.Get(context.Background(), id)
		if err != nil {
			t.Errorf("id %s was handed out but is not readable after SIGKILL: %v", id, err)
			continue
		}
		if headerValue(d.Report.Request.Headers, "Authorization") != diagnose.Redacted {
			t.Errorf("id %s: Authorization not redacted", id)
		}
	}
	t.Logf("%d diagnoses printed before SIGKILL, all readable", len(printed))
}

// crashHelper creates diagnoses until it is killed, printing each ID only
// once Create has returned, as a handler would hand out a link.
func crashHelper(path string) {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	for range 1_000_000 {
		d := &Diagnosis{Report: sampleReport()}
		if err := s.Create(ctx, d, nil); err != nil {
			fmt.Fprintln(os.Stderr, "create:", err)
			os.Exit(2)
		}
		fmt.Println(d.ID) // os.Stdout is unbuffered: the line is out now
	}
	os.Exit(3) // never killed: the parent reports it
}

func BenchmarkGet(b *testing.B) {
	s, _ := openTest(b)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = createAt(b, s, time.Now())
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Get(ctx, ids[i%len(ids)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
