// Package store persists diagnoses behind their permanent share links
// (/d/{id}). It is its own package so that the choice of database (SQLite
// today, through the pure-Go modernc.org/sqlite driver) stays in one place:
// it knows diagnose types, because that is what it stores, but nothing of
// HTTP, templates or routing.
//
// A stored diagnosis is immutable: Create only inserts, and the only other
// write is the retention sweep. Secrets are redacted before anything reaches
// the database, because a share link is meant to be shared.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"corsdoctor/diagnose"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrNotFound is returned by Get for ids that name no stored diagnosis,
// malformed ids included.
var ErrNotFound = errors.New("diagnosis not found")

// Diagnosis is one stored report and the metadata of its share link.
type Diagnosis struct {
	ID        string
	CreatedAt time.Time
	Report    diagnose.Report
	// Redacted lists the header names whose values were replaced with
	// diagnose.Redacted before storage.
	Redacted []string
}

// Store is the SQLite-backed diagnosis store. It is safe for concurrent use.
//
// SQLite allows one writer at a time, and in WAL mode any number of readers
// alongside it, so Store keeps two pools on the same file: a single-connection
// pool for writes (writers queue in Go instead of spinning on SQLITE_BUSY) and
// a read-only pool of several connections for Get.
type Store struct {
	w *sql.DB // writes: one connection, BEGIN IMMEDIATE
	r *sql.DB // reads: several query_only connections
}

// busyTimeoutMS bounds how long a connection waits for another process's
// lock (another corsdoctor, the sqlite3 shell) before failing with
// SQLITE_BUSY.
const busyTimeoutMS = 5000

// migrations are the schema versions in order; migrations[i] takes the
// database from version i to i+1. Append only: never edit a released one.
var migrations = []string{
	// 1: created_at is unix milliseconds; report is the JSON of
	// diagnose.Report; redacted is a JSON array of header names.
	`CREATE TABLE diagnoses (
		id         TEXT PRIMARY KEY,
		created_at INTEGER NOT NULL,
		engine     TEXT,
		report     TEXT NOT NULL,
		redacted   TEXT
	);
	CREATE INDEX diagnoses_created_at ON diagnoses (created_at);`,
}

// Open opens the SQLite database at path, creating the file if needed, and
// brings its schema up to date. The database runs in WAL mode with
// synchronous=NORMAL: a committed diagnosis survives the process being
// killed (the WAL is in the operating system's hands before COMMIT returns),
// though not necessarily a power cut, which is the durability we promise.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// A file: URI, so that a '?' or '#' in the path is escaped rather than
	// taken for the start of the driver's parameters.
	base := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)", busyTimeoutMS)

	w, err := sql.Open("sqlite", base+"?"+common+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	// Opened after migrate, so the file already exists in WAL mode and has
	// its tables when the first reader connects.
	r, err := sql.Open("sqlite", base+"?"+common+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{w: w, r: r}, nil
}

// migrate applies the migrations the database has not seen yet, each in its
// own transaction together with its row in schema_migrations. BEGIN
// IMMEDIATE (the writer's _txlock) makes a second process opening the same
// file wait, then find the version already applied.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for {
		done, err := migrateOne(ctx, db)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next pending migration and reports whether none
// was pending.
func migrateOne(ctx context.Context, db *sql.DB) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback() // no-op after Commit

	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case v > len(migrations):
		return false, fmt.Errorf("schema version %d is newer than this corsdoctor understands (%d)", v, len(migrations))
	case v == len(migrations):
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("migrate to version %d: %w", v+1, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		v+1, time.Now().UnixMilli()); err != nil {
		return false, fmt.Errorf("record schema version %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration %d: %w", v+1, err)
	}
	return false, nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks that the database answers, for /healthz.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// Create stores d under a fresh ID and sets d.ID. Before anything is
// written it redacts the report's secret request headers (diagnose's
// AlwaysSecret plus extraSecret), and records the redacted names in
// d.Redacted, merged with any already there. It sets d.CreatedAt to now if
// it is zero, and d.Report.Engine to diagnose.Version if that is empty.
// Create never overwrites: it only inserts, and returns once the row is
// committed, so a share link built from d.ID is never dangling.
func (s *Store) Create(ctx context.Context, d *Diagnosis, extraSecret []string) error {
	d.Redacted = mergeNames(d.Redacted, diagnose.Redact(&d.Report, extraSecret))
	if d.CreatedAt.IsZero() {
		d.CreatedAt = time.Now()
	}
	// The column keeps milliseconds; make d say what Get will return.
	d.CreatedAt = time.UnixMilli(d.CreatedAt.UnixMilli()).UTC()
	if d.Report.Engine == "" {
		d.Report.Engine = diagnose.Version
	}

	report, err := json.Marshal(&d.Report)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	redacted, err := json.Marshal(d.Redacted)
	if err != nil {
		return fmt.Errorf("encode redacted names: %w", err)
	}
	id := NewID()
	// A plain INSERT: a (never expected) id collision fails on the primary
	// key rather than replacing someone else's diagnosis.
	if _, err := s.w.ExecContext(ctx,
		`INSERT INTO diagnoses (id, created_at, engine, report, redacted) VALUES (?, ?, ?, ?, ?)`,
		id, d.CreatedAt.UnixMilli(), d.Report.Engine, string(report), string(redacted),
	); err != nil {
		return fmt.Errorf("insert diagnosis: %w", err)
	}
	d.ID = id
	return nil
}

// mergeNames returns have followed by the names of add it lacks, comparing
// header names case-insensitively. It never returns nil, so the stored
// column is always a JSON array.
func mergeNames(have, add []string) []string {
	out := make([]string, 0, len(have)+len(add))
	seen := map[string]bool{}
	for _, list := range [][]string{have, add} {
		for _, n := range list {
			if k := strings.ToLower(n); !seen[k] {
				seen[k] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// Get returns the diagnosis stored under id. Ids that ValidID rejects
// return ErrNotFound without a query, so junk from the URL never reaches
// the database.
func (s *Store) Get(ctx context.Context, id string) (*Diagnosis, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	var (
		createdMS int64
		report    string
		redacted  sql.NullString
	)
	err := s.r.QueryRowContext(ctx,
		`SELECT created_at, report, redacted FROM diagnoses WHERE id = ?`, id,
	).Scan(&createdMS, &report, &redacted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get diagnosis %s: %w", id, err)
	}
	d := &Diagnosis{ID: id, CreatedAt: time.UnixMilli(createdMS).UTC()}
	if err := json.Unmarshal([]byte(report), &d.Report); err != nil {
		return nil, fmt.Errorf("decode diagnosis %s: %w", id, err)
	}
	if redacted.Valid {
		if err := json.Unmarshal([]byte(redacted.String), &d.Redacted); err != nil {
			return nil, fmt.Errorf("decode redacted names of %s: %w", id, err)
		}
	}
	return d, nil
}

// DeleteOlderThan deletes the diagnoses created before t and returns how
// many it deleted.
func (s *Store) DeleteOlderThan(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM diagnoses WHERE created_at < ?`, t.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete diagnoses older than %s: %w", t.Format(time.RFC3339), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete diagnoses older than %s: %w", t.Format(time.RFC3339), err)
	}
	return n, nil
}

// Sweep deletes the diagnoses older than retention every interval, until ctx
// is done. It blocks, so run it in its own goroutine. It returns nothing, so
// it logs what it does: deletions at Info, failures at Error (a failed sweep
// is retried on the next tick).
func (s *Store) Sweep(ctx context.Context, logger *slog.Logger, retention, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n, err := s.DeleteOlderThan(ctx, now.Add(-retention))
			switch {
			case err != nil && ctx.Err() != nil:
				return // shutting down mid-sweep is not a failure
			case err != nil:
				logger.ErrorContext(ctx, "sweep failed", "retention", retention, "error", err)
			case n > 0:
				logger.InfoContext(ctx, "swept expired diagnoses", "deleted", n, "retention", retention)
			}
		}
	}
}

// idEncoding is lower-case base32 (RFC 4648 alphabet) without padding: URL
// safe, case-unambiguous when read aloud, and 26 characters for 128 bits.
var idEncoding = base32.NewEncoding(idAlphabet).WithPadding(base32.NoPadding)

const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// idBytes is the entropy of an ID: 128 bits, so links cannot be guessed
// or enumerated.
const idBytes = 16

// idLen is the length of an encoded ID.
var idLen = idEncoding.EncodedLen(idBytes)

// NewID returns a fresh random ID: 128 bits from crypto/rand, as 26
// lower-case base32 characters.
func NewID() string {
	var b [idBytes]byte
	rand.Read(b[:]) // never returns an error; crashes the program on failure
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether id could have come from NewID: 26 characters of
// lower-case base32 encoding exactly 128 bits. Upper case is rejected
// rather than folded so that each diagnosis has exactly one link. It does
// not consult the database.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		v := strings.IndexByte(idAlphabet, id[i])
		if v < 0 {
			return false
		}
		// 128 bits = 25×5 + 3: the last character carries 3 bits and
		// its 2 low bits are always zero, so there is one spelling per ID.
		if i == len(id)-1 && v%4 != 0 {
			return false
		}
	}
	return true
}
