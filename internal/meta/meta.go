// Package meta opens inlet's SQLite metadata database and applies the schema
// migrations of the packages that keep their state in it.
//
// The database runs in WAL mode with synchronous=FULL, so a committed
// transaction survives a crash or a power loss, and with foreign keys
// enforced. A [DB] holds three connection pools:
//
//   - [DB.SQL]: read-write connections for ordinary use. Reads run
//     concurrently (in WAL mode readers never wait for a writer);
//     transactions begin IMMEDIATE, taking SQLite's single write lock up
//     front, so a read-then-write transaction cannot fail half-way with
//     SQLITE_BUSY; a writer that finds the lock taken waits (busy_timeout).
//   - [DB.Reader]: read-only connections.
//   - the batch writer behind [DB.Write], one connection.
//
// [DB.Write] batches the transactions of concurrent callers into one commit
// (group commit): one goroutine runs the queued functions one after another,
// each inside its own savepoint, and commits them together, so a single
// fsync of the write-ahead log makes all of them durable. Use it for
// frequent small writes; rare ones may go through [DB.SQL].
package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"

	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver
)

var (
	// ErrClosed is returned by [DB.Write] once the database is closed.
	ErrClosed = errors.New("meta: database closed")

	// ErrCommitFailed wraps the error of a COMMIT that failed (an I/O
	// error, a full disk). Its outcome is uncertain: the log may hold the
	// whole transaction, which a restart then recovers. A caller that
	// would clean up after a failed write (say, remove a file the
	// transaction referenced) must leave that to a later sweep instead.
	ErrCommitFailed = errors.New("meta: commit failed")
)

// busyTimeoutMS is how long a connection waits for a lock held by another
// process (a backup tool, the sqlite3 shell) before giving up.
const busyTimeoutMS = 10000

// DB is the metadata database. It is safe for concurrent use.
type DB struct {
	log *slog.Logger
	w   *sql.DB // one connection: the batch writer and migrations
	rw  *sql.DB // read-write connections for general use
	r   *sql.DB // read-only connections

	ops       chan *writeOp
	closing   chan struct{}
	writerEnd chan struct{}
	ckptWake  chan struct{} // the writer committed: a checkpoint may be due
	ckptEnd   chan struct{}
	stats     writeStats
	closeOnce sync.Once
	wstmts    map[string]*sql.Stmt // prepared on the writer pool; writer goroutine only
	wwant     map[string]struct{}  // to prepare after the running batch

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared on the reader pool
}

// Open opens (creating it if needed) the database at path and starts the
// group-commit writer. The caller closes it with [DB.Close].
func Open(ctx context.Context, path string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open metadata db: path %q contains '?'", path)
	}

	// The database holds the cloud's secret keys (SigV4 needs them in the
	// clear): only the owner may read it. SQLite gives the log and shared
	// memory files the mode of the database file.
	if err := restrictFile(path); err != nil {
		return nil, fmt.Errorf("open metadata db: %w", err)
	}

	// Commit with fdatasync where the platform has it, as SQLite's own
	// Linux builds do: the same durability without the timestamp update
	// that fsync pushes through the file system's journal on every commit.
	// Process-wide, and harmless to set again.
	_, _ = sqlite.Fdatasync(true) // where it is unavailable, fsync stays

	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)"+
		"&_pragma=journal_size_limit(%d)", busyTimeoutMS, 64<<20)
	w, err := sql.Open("sqlite", path+"?"+common+
		"&_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"+
		"&_pragma=cache_size(-32000)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, fmt.Errorf("open metadata db: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	// The writer goes first: it switches the file to WAL mode, which the
	// read-only connections cannot do.
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		w.Close()
		return nil, fmt.Errorf("open metadata db: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		w.Close()
		return nil, fmt.Errorf("open metadata db: journal mode is %q, not wal", mode)
	}

	conns := max(4, 2*runtime.GOMAXPROCS(0))
	rw, err := openPool(ctx, path+"?"+common+
		"&_txlock=immediate&_pragma=synchronous(FULL)&_pragma=cache_size(-8000)"+
		"&_pragma=wal_autocheckpoint(0)", conns)
	if err != nil {
		w.Close()
		return nil, err
	}
	r, err := openPool(ctx, path+"?"+common+"&_pragma=cache_size(-16000)&_query_only=1", conns)
	if err != nil {
		w.Close()
		rw.Close()
		return nil, err
	}

	db := &DB{
		log:       logger,
		w:         w,
		rw:        rw,
		r:         r,
		ops:       make(chan *writeOp),
		closing:   make(chan struct{}),
		writerEnd: make(chan struct{}),
		ckptWake:  make(chan struct{}, 1),
		ckptEnd:   make(chan struct{}),
		stmts:     make(map[string]*sql.Stmt),
		wstmts:    make(map[string]*sql.Stmt),
		wwant:     make(map[string]struct{}),
	}
	if err := db.createMigrationsTable(ctx); err != nil {
		w.Close()
		rw.Close()
		r.Close()
		return nil, err
	}
	go db.writer()
	go db.checkpointer()
	return db, nil
}

// restrictFile creates the database file with mode 0600 if it is missing,
// and takes group and other access away from it and its log files if not.
func restrictFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	p, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open metadata db: %w", err)
	}
	p.SetMaxOpenConns(conns)
	p.SetMaxIdleConns(conns)
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("open metadata db: %w", err)
	}
	return p, nil
}

// SQL returns the general pool of read-write connections. Its
// transactions begin IMMEDIATE (they hold the write lock from BEGIN to
// COMMIT, so keep them short: every other writer, [DB.Write] included,
// waits meanwhile). Every statement sees what was committed before it
// started.
func (db *DB) SQL() *sql.DB { return db.rw }

// Reader returns the pool of read-only connections. In WAL mode a reader
// sees the database as of the start of its statement (or transaction) and
// never waits for a writer. Anything committed before a query starts is
// visible to it.
func (db *DB) Reader() *sql.DB { return db.r }

// Prepared returns a statement prepared on the reader pool, cached by query
// text for the life of the DB. The statement must not be closed by the
// caller.
func (db *DB) Prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	st, ok := db.stmts[query]
	db.mu.Unlock()
	if ok {
		return st, nil
	}

	st, err := db.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if prev, ok := db.stmts[query]; ok {
		st.Close()
		return prev, nil
	}
	db.stmts[query] = st
	return st, nil
}

// Close stops the writer (queued writes that have not started fail with
// [ErrClosed]) and closes both pools.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.closing) })
	<-db.writerEnd
	<-db.ckptEnd

	for _, st := range db.wstmts {
		st.Close()
	}
	db.mu.Lock()
	for q, st := range db.stmts {
		st.Close()
		delete(db.stmts, q)
	}
	db.mu.Unlock()

	// The writer closes last: the last connection to close checkpoints the
	// log into the database file.
	return errors.Join(db.r.Close(), db.rw.Close(), db.w.Close())
}
