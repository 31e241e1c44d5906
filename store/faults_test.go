package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// failWrites makes every write of s fail the way a read-only database
// file does. Tests run as root, which file permissions do not stop, so
// instead the writer's one connection gets PRAGMA query_only: SQLite then
// refuses writes with SQLITE_READONLY, the same error a read-only file
// gives, and everything after the failing statement is the production
// path. (cli's TestServeReadOnlyDatabase uses a real read-only file.)
func failWrites(t *testing.T, s *Store, fail bool) {
	t.Helper()
	v := "0"
	if fail {
		v = "1"
	}
	if _, err := s.w.Exec(`PRAGMA query_only = ` + v); err != nil {
		t.Fatal(err)
	}
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func useFakeClock(s *Store) *fakeClock {
	c := &fakeClock{now: time.Now()}
	s.mu.Lock()
	s.now = c.Now
	s.mu.Unlock()
	return c
}

// wantUnavailable checks that err is an UnavailableError of op that names
// the database by its base name only.
func wantUnavailable(t *testing.T, err error, op string) {
	t.Helper()
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error = %v, want one matching ErrUnavailable", err)
	}
	var ue *UnavailableError
	found := false
	for _, e := range unwrapAll(err) {
		if errors.As(e, &ue) && ue.Op == op {
			found = true
			break
		}
	}
	if !found {
		t.Fatalf("error = %v, want an UnavailableError with Op %q", err, op)
	}
	if ue.Name != "corsdoctor.db" {
		t.Errorf("Name = %q, want the base name corsdoctor.db", ue.Name)
	}
}

// unwrapAll lists err and, for a joined error, each part.
func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestCreateOnReadOnlyDatabase(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	old := createAt(t, s, time.Now())
	failWrites(t, s, true)

	d := &Diagnosis{Report: sampleReport()}
	err := s.Create(ctx, d, nil)
	wantUnavailable(t, err, OpWrite)
	if !strings.Contains(err.Error(), "readonly") {
		t.Errorf("error = %v, want SQLite's read-only error inside", err)
	}
	if d.ID != "" {
		t.Errorf("a failed Create set ID %q", d.ID)
	}
	// Reading still works.
	if got, err := s.Get(ctx, old); err != nil || got.ID != old {
		t.Errorf("Get of a stored diagnosis with writes failing = %v, %v", got, err)
	}
	// The failed creation already made Ping unhealthy, without a probe.
	err = s.Ping(ctx)
	wantUnavailable(t, err, OpWrite)
	for _, e := range unwrapAll(err) {
		var ue *UnavailableError
		if errors.As(e, &ue) && ue.Op == OpRead {
			t.Errorf("Ping reports reads failing: %v", e)
		}
	}
}

func TestPingProbesWrites(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	clock := useFakeClock(s)
	// The write probe bumps the header's user_version.
	probes := func() int64 {
		t.Helper()
		var v int64
		if err := s.r.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping of a fresh store: %v", err)
	}
	if got := probes(); got != 1 {
		t.Fatalf("after the first Ping, %d write probes, want 1", got)
	}

	// Polled again within the interval: no new write.
	clock.Add(healthWriteInterval - time.Millisecond)
	failWrites(t, s, true)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping within the interval = %v, want the cached success", err)
	}
	if got := probes(); got != 1 {
		t.Errorf("Ping wrote again within the interval (%d probes)", got)
	}

	// Past it, a real write probe finds the database read-only.
	clock.Add(time.Millisecond)
	wantUnavailable(t, s.Ping(ctx), OpWrite)
	// ... and keeps saying so, without writing, until the next interval.
	failWrites(t, s, false)
	clock.Add(time.Second)
	wantUnavailable(t, s.Ping(ctx), OpWrite)
	clock.Add(healthWriteInterval)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping once writable again = %v", err)
	}
	if got := probes(); got != 2 {
		t.Errorf("%d write probes, want 2", got)
	}

	// A creation counts as a write: it resets the interval.
	clock.Add(healthWriteInterval)
	createAt(t, s, time.Now())
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after a creation = %v", err)
	}
	if got := probes(); got != 2 {
		t.Error("Ping probed although a creation had just written")
	}
}

// removeDatabase deletes the database file and its companions, as an
// operator cleaning up a directory might while the server runs.
func removeDatabase(t *testing.T, path string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCreateAfterDatabaseDeleted(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	createAt(t, s, time.Now())
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping before: %v", err)
	}
	removeDatabase(t, path)

	d := &Diagnosis{Report: sampleReport()}
	err := s.Create(ctx, d, nil)
	wantUnavailable(t, err, OpWrite)
	if !strings.Contains(err.Error(), "deleted") {
		t.Errorf("error = %v, want it to say the file was deleted", err)
	}
	if d.ID != "" {
		t.Errorf("a failed Create set ID %q", d.ID)
	}
	// Ping checks the file on every call, whatever the write cache says.
	wantUnavailable(t, s.Ping(ctx), OpWrite)
}

func TestCreateAfterWALDeleted(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	createAt(t, s, time.Now())
	// Without its log, the database a restart opens lacks every commit
	// the log held.
	if err := os.Remove(path + "-wal"); err != nil {
		t.Fatal(err)
	}
	err := s.Create(ctx, &Diagnosis{Report: sampleReport()}, nil)
	wantUnavailable(t, err, OpWrite)
	wantUnavailable(t, s.Ping(ctx), OpWrite)
}

func TestCreateAfterDatabaseReplaced(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	old := createAt(t, s, time.Now())

	// Another valid database, renamed over ours (a restore from backup).
	other := filepath.Join(t.TempDir(), "other.db")
	o, err := Open(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}

	d := &Diagnosis{Report: sampleReport()}
	err = s.Create(ctx, d, nil)
	wantUnavailable(t, err, OpWrite)
	if !strings.Contains(err.Error(), "replaced") {
		t.Errorf("error = %v, want it to say the file was replaced", err)
	}
	wantUnavailable(t, s.Ping(ctx), OpWrite)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Nothing was stored: the row was rolled back, so what a restart
	// opens lacks it. (It does hold the earlier diagnosis: SQLite replays
	// the write-ahead log left at the path, which is ours.)
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var ids []string
	rows, err := s2.r.Query(`SELECT id FROM diagnoses`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) > 1 || (len(ids) == 1 && ids[0] != old) {
		t.Errorf("after a restart the database holds %v; the failed creation must not be there (only %s may)", ids, old)
	}
}

func TestUnavailableErrorKeepsPathsForTheLog(t *testing.T) {
	s, path := openTest(t)
	removeDatabase(t, path)
	err := s.Create(context.Background(), &Diagnosis{Report: sampleReport()}, nil)
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("error = %v", err)
	}
	// Name is what users see; the operator's log gets the path.
	if strings.Contains(ue.Name, string(filepath.Separator)) {
		t.Errorf("Name = %q holds a path", ue.Name)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error = %v, want the full path for the log", err)
	}
}
