// Package store persists diagnoses behind their permanent share links
// (/d/{id}). It is its own package so that the choice of database (SQLite
// today, through the pure-Go modernc.org/sqlite driver) stays in one place:
// it knows diagnose types, because that is what it stores, but nothing of
// HTTP, templates or routing.
//
// A stored diagnosis is immutable: Create only inserts, and the only other
// writes are the retention sweep and the health probe (Ping). Secrets are redacted
// before anything reaches the database, because a share link is meant to be
// shared.
//
// A link is handed out only for a diagnosis that a restart will find: Create
// returns once the row is durably committed (WAL, synchronous=FULL) and the
// database's path still names the file the store opened. When the database
// fails (read-only or full file system, I/O errors, a lock held too long, the
// file deleted or replaced), the error matches ErrUnavailable and says
// whether reading or writing failed.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"corsdoctor/diagnose"
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
	// Source says where the judged exchanges came from: "" when
	// corsdoctor's prober sent them, SourceHAR when they were read from
	// an uploaded recording and nothing was sent.
	Source string
}

// SourceHAR marks a diagnosis judged offline from a HAR file.
const SourceHAR = "har"

// ErrUnavailable is matched (errors.Is) by every error that means the
// database itself failed rather than the request: see UnavailableError.
var ErrUnavailable = errors.New("diagnosis database unavailable")

// The operations an UnavailableError names.
const (
	OpRead  = "read"
	OpWrite = "write"
)

// UnavailableError is a storage failure: the database cannot be read or
// written (a read-only or full file system, an I/O error, another process
// holding the lock past the busy timeout, a corrupt file), or the file at
// the database's path is no longer the one the store opened (deleted or
// replaced), so what the store writes would not survive a restart.
type UnavailableError struct {
	// Op is OpRead or OpWrite.
	Op string
	// Name is the database file's base name ("corsdoctor.db"): short
	// enough to show users, unlike the absolute path, which stays in Err
	// for the operator's log.
	Name string
	Err  error
}

func (e *UnavailableError) Error() string {
	return "diagnosis database " + e.Name + ": cannot " + e.Op + ": " + e.Err.Error()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Store is the SQLite-backed diagnosis store. It is safe for concurrent use.
//
// SQLite allows one writer at a time, and in WAL mode any number of readers
// alongside it, so Store keeps two pools on the same file: a single-connection
// pool for writes (writers queue in Go instead of spinning on SQLITE_BUSY) and
// a read-only pool of several connections for Get.
type Store struct {
	w *sql.DB // writes: one connection, BEGIN IMMEDIATE
	r *sql.DB // reads: several query_only connections

	path string      // absolute path of the database file
	name string      // its base name, for users
	file os.FileInfo // the file as opened: the one a restart reopens

	// The write half of Ping's answer: the outcome of the last write,
	// a creation or a write probe, and when it ended.
	mu         sync.Mutex
	wroteAt    time.Time
	writeErr   error
	probing    bool
	now        func() time.Time // the clock; tests move it
	probeEvery time.Duration    // at most one write probe per this long
}

// healthWriteInterval bounds how often Ping writes to the database: at most
// one write probe per interval, however often /healthz is polled. Between
// probes Ping reports the last write's outcome, a creation's included.
const healthWriteInterval = 5 * time.Second

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
	// 2: source is NULL for a probed diagnosis, "har" for one judged
	// from an uploaded recording (Diagnosis.Source).
	`ALTER TABLE diagnoses ADD COLUMN source TEXT;`,
}

// Open opens the SQLite database at path, creating the file if needed, and
// brings its schema up to date. The database runs in WAL mode with
// synchronous=FULL: COMMIT returns once the write-ahead log is synced to the
// disk, so a committed diagnosis survives the process being killed and the
// machine losing power. Open checks that both settings took effect, and
// remembers which file it opened (see Create).
//
// A database that can be read but not written (a read-only file or file
// system) still opens: its diagnoses stay readable, while writes fail with
// an UnavailableError and Ping reports it.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// A file: URI, so that a '?' or '#' in the path is escaped rather than
	// taken for the start of the driver's parameters.
	base := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)", busyTimeoutMS)

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
	if err := checkDurable(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// The file is there now: remember which one it is.
	file, err := os.Stat(abs)
	if err != nil {
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
	return &Store{w: w, r: r, path: abs, name: filepath.Base(abs), file: file,
		now: time.Now, probeEvery: healthWriteInterval}, nil
}

// checkDurable checks that the writer runs in WAL mode with
// synchronous=FULL: SQLite silently keeps another journal mode when it
// cannot switch (no shared memory on the file system), and the durability
// Create promises rests on both.
func checkDurable(ctx context.Context, w *sql.DB) error {
	var mode string
	var sync int
	if err := w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if err := w.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		return fmt.Errorf("read synchronous setting: %w", err)
	}
	if !strings.EqualFold(mode, "wal") || sync != 2 {
		return fmt.Errorf("journal_mode=%s synchronous=%d: diagnoses need journal_mode=wal and synchronous=2 (FULL) to be durable", mode, sync)
	}
	return nil
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

// Ping reports whether the store can both read and write, for /healthz.
// The error joins an UnavailableError for each that fails (OpRead, OpWrite).
//
// Reading is checked on every call, with one query on the read pool.
// Writing is checked by a real write that commits (see writeProbe), at
// most once per healthWriteInterval: in between, Ping reports the outcome of
// the last write, which may be a creation's. Every call also checks that
// the database's path still names the file the store opened.
func (s *Store) Ping(ctx context.Context) error {
	var readErr error
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM diagnoses LIMIT 1)`).Scan(&one)
	if err != nil {
		readErr = s.unavailable(OpRead, fmt.Errorf("read probe: %w", err))
	}
	return errors.Join(readErr, s.canWrite(ctx))
}

// canWrite is the write half of Ping.
func (s *Store) canWrite(ctx context.Context) error {
	if err := s.checkFile(); err != nil {
		return s.unavailable(OpWrite, err)
	}
	s.mu.Lock()
	if s.probing || (!s.wroteAt.IsZero() && s.now().Sub(s.wroteAt) < s.probeEvery) {
		err := s.writeErr
		s.mu.Unlock()
		return err
	}
	s.probing = true
	s.mu.Unlock()

	err := s.writeProbe(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.probing = false
	if err != nil && ctx.Err() != nil {
		// Cut short by the caller (/healthz's own deadline included):
		// a failure to report now, but no verdict for the next caller.
		return err
	}
	s.wroteAt, s.writeErr = s.now(), err
	return err
}

// writeProbe commits one small write, as durably as Create does: it
// increments the user_version field of the database header, which
// corsdoctor uses for nothing else (its schema version is a table), so
// the probe needs no schema of its own and a changed value always makes
// a page to commit.
func (s *Store) writeProbe(ctx context.Context) error {
	err := s.bumpUserVersion(ctx)
	if err == nil {
		err = s.checkFile()
	}
	if err != nil {
		return s.unavailable(OpWrite, fmt.Errorf("write probe: %w", err))
	}
	return nil
}

func (s *Store) bumpUserVersion(ctx context.Context) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // no-op after Commit
	var v int64
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	// A PRAGMA takes no parameters; the value is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, (v+1)%(1<<31))); err != nil {
		return err
	}
	return tx.Commit()
}

// wrote records the outcome of a write for Ping: a creation that committed
// proves the database writable as well as a probe does, and one that
// failed for the storage's sake makes /healthz say so at once.
func (s *Store) wrote(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wroteAt, s.writeErr = s.now(), err
}

// fileError is checkFile's: the database's path no longer names the file
// the store opened, or its write-ahead log is gone.
type fileError struct{ msg string }

func (e *fileError) Error() string { return e.msg }

// checkFile reports a *fileError unless the database's path still names
// the file the store opened, next to its write-ahead log. SQLite keeps
// writing to a file that was deleted or replaced (its descriptors still
// point to the old one) and reports success, but a restart opens whatever
// is at the path now: a diagnosis committed there would be lost.
func (s *Store) checkFile() error {
	fi, err := os.Stat(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &fileError{"database file " + s.path + " was deleted while the server was running"}
	case err != nil:
		return &fileError{"check database file: " + err.Error()}
	case !os.SameFile(fi, s.file):
		return &fileError{"database file " + s.path + " was replaced by another file while the server was running"}
	}
	// The log exists as long as a connection is open (ours are), and holds
	// the commits not yet copied into the database file.
	if _, err := os.Stat(s.path + "-wal"); err != nil {
		return &fileError{"write-ahead log of " + s.path + ": " + err.Error()}
	}
	return nil
}

// unavailable wraps err as an UnavailableError of op.
func (s *Store) unavailable(op string, err error) error {
	return &UnavailableError{Op: op, Name: s.name, Err: err}
}

// storageFailure reports whether err is SQLite failing to use the database
// (permissions, a read-only or full file system, I/O, corruption, a lock
// held past the busy timeout), as opposed to a bad statement, a constraint
// or a cancelled context.
func storageFailure(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary code; extended codes add bits above
	case sqlite3.SQLITE_PERM, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED,
		sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT,
		sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL,
		sqlite3.SQLITE_NOLFS, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// Create stores d under a fresh ID and sets d.ID. Before anything is
// written it redacts the report's secret request headers (diagnose's
// AlwaysSecret plus extraSecret), and records the redacted names in
// d.Redacted, merged with any already there. It sets d.CreatedAt to now if
// it is zero, and d.Report.Engine to diagnose.Version if that is empty.
// Create never overwrites: it only inserts, and returns once the row is
// durably committed to the file a restart reopens, so a share link built
// from d.ID is never dangling. When the database cannot take the row, or
// the file at its path is no longer the one the store opened, the error is
// an UnavailableError (OpWrite) and d.ID stays unset.
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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.writeFailed(fmt.Errorf("begin insert: %w", err))
	}
	defer tx.Rollback() // no-op after Commit
	// A plain INSERT: a (never expected) id collision fails on the primary
	// key rather than replacing someone else's diagnosis.
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO diagnoses (id, created_at, engine, report, redacted, source) VALUES (?, ?, ?, ?, ?, ?)`,
		id, d.CreatedAt.UnixMilli(), d.Report.Engine, string(report), string(redacted), sql.NullString{String: d.Source, Valid: d.Source != ""},
	); err != nil {
		return s.writeFailed(fmt.Errorf("insert diagnosis: %w", err))
	}
	// The file is checked before COMMIT, so that a file already deleted or
	// replaced gets nothing (the row is rolled back), and after it, for a
	// file replaced while the row was being committed.
	if err := s.checkFile(); err != nil {
		return s.writeFailed(fmt.Errorf("insert diagnosis: %w", err))
	}
	if err := tx.Commit(); err != nil {
		return s.writeFailed(fmt.Errorf("commit diagnosis: %w", err))
	}
	if err := s.checkFile(); err != nil {
		return s.writeFailed(fmt.Errorf("commit diagnosis: %w", err))
	}
	s.wrote(nil)
	d.ID = id
	return nil
}

// writeFailed classifies the error of a write: the storage failing (see
// storageFailure, and checkFile's errors) becomes an UnavailableError,
// which Ping reports from now on; anything else (a cancelled context, a
// constraint) is returned as it is.
func (s *Store) writeFailed(err error) error {
	var fe *fileError
	if !storageFailure(err) && !errors.As(err, &fe) {
		return err
	}
	err = s.unavailable(OpWrite, err)
	s.wrote(err)
	return err
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
		source    sql.NullString
	)
	err := s.r.QueryRowContext(ctx,
		`SELECT created_at, report, redacted, source FROM diagnoses WHERE id = ?`, id,
	).Scan(&createdMS, &report, &redacted, &source)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if storageFailure(err) {
		// No id in this one: share links are capabilities, and this
		// error is logged.
		return nil, s.unavailable(OpRead, fmt.Errorf("get diagnosis: %w", err))
	}
	if err != nil {
		return nil, fmt.Errorf("get diagnosis %s: %w", id, err)
	}
	d := &Diagnosis{ID: id, CreatedAt: time.UnixMilli(createdMS).UTC(), Source: source.String}
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
