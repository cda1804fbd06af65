package objstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"inlet/internal/durable"
	"inlet/internal/meta"
)

// Store keeps buckets and objects in a directory and a metadata database.
// It is safe for concurrent use; several stores (on different directories
// and databases) can live in one process. A directory belongs to one Store
// at a time: readers pin files in memory, and Open sweeps what it does not
// know.
type Store struct {
	dir, objDir, tmpDir string

	db  *meta.DB
	log *slog.Logger

	inlineMax int
	now       func() time.Time

	dirs      sync.Map  // object directories known to exist durably
	smallBufs sync.Pool // *[]byte of inlineMax+1 bytes
	chunks    sync.Pool // *chunk

	mu   sync.Mutex
	pins map[objKey]*pin

	spareMu sync.Mutex
	spares  []string // paths of spare files in tmp/, see keepSpare

	// Buckets are read on every request and change rarely, and only
	// through this store: GetBucket answers from bucketCache, which
	// CreateBucket and DeleteBucket invalidate. bucketGen keeps a lookup
	// that raced with a change from caching what it read before it.
	bucketMu    sync.RWMutex
	bucketCache map[string]Bucket
	bucketGen   uint64
}

// Options tunes a Store. The zero value is the default.
type Options struct {
	// InlineMax is the largest body kept inline in the index (default
	// DefaultInlineMax; negative: never inline).
	InlineMax int
}

// Open opens the store in dir (created if needed) with its index in db,
// applies the objstore migrations, and sweeps what a crash may have left:
// temporary files and files the index does not reference. Open must run
// before the store serves requests (the sweep assumes no write is in
// flight). The caller keeps ownership of db.
func Open(ctx context.Context, dir string, db *meta.DB, logger *slog.Logger) (*Store, error) {
	return OpenOptions(ctx, dir, db, logger, Options{})
}

// OpenOptions is [Open] with options.
func OpenOptions(ctx context.Context, dir string, db *meta.DB, logger *slog.Logger, opts Options) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{
		dir:       dir,
		objDir:    filepath.Join(dir, objectsDir),
		tmpDir:    filepath.Join(dir, tmpDir),
		db:        db,
		log:       logger.With("component", "objstore"),
		inlineMax: opts.InlineMax,
		now:       time.Now,
		pins:      make(map[objKey]*pin),

		bucketCache: make(map[string]Bucket),
	}
	if s.inlineMax == 0 {
		s.inlineMax = DefaultInlineMax
	}
	if s.inlineMax < 0 {
		s.inlineMax = -1
	}
	s.smallBufs.New = func() any { b := make([]byte, max(s.inlineMax+1, 0)); return &b }
	s.chunks.New = func() any { return &chunk{buf: make([]byte, chunkSize)} }

	if err := db.Migrate(ctx, "objstore", migrations); err != nil {
		return nil, fmt.Errorf("open object store: %w", err)
	}
	for _, d := range []string{dir, s.objDir, s.tmpDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open object store: %w", err)
		}
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := durable.SyncDir(d); err != nil {
			return nil, fmt.Errorf("open object store: %w", err)
		}
	}
	if err := s.sweep(ctx); err != nil {
		return nil, fmt.Errorf("open object store: %w", err)
	}
	return s, nil
}

// Close releases the store. It does not close the metadata database.
func (s *Store) Close() error { return nil }

// nowNanos is the store's clock as stored in the index.
func (s *Store) nowNanos() int64 { return s.now().UnixNano() }

// bg is the context for statements inside a meta.Write function: they must
// not be interrupted half-way (see meta.DB.Write).
var bg = context.Background()

// querier is what the read helpers need: the reader pool, or a write
// transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryRow runs a cached prepared statement on the reader pool.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.db.Prepared(ctx, query)
	if err != nil {
		return s.db.Reader().QueryRowContext(ctx, query, args...) // reports err through Scan
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.db.Prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// CreateBucket creates b. CreatedAt defaults to now.
func (s *Store) CreateBucket(ctx context.Context, b Bucket) error {
	if b.CreatedAt.IsZero() {
		b.CreatedAt = s.now()
	}
	defer s.forgetBucket(b.Name)
	return s.db.Write(ctx, func(tx *meta.Tx) error {
		var owner string
		err := tx.QueryRowContext(bg, "SELECT owner FROM buckets WHERE name = ?", b.Name).Scan(&owner)
		switch {
		case err == nil && owner == b.Owner:
			return ErrBucketOwnedByYou
		case err == nil:
			return ErrBucketExists
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("create bucket: %w", err)
		}
		_, err = tx.ExecContext(bg,
			"INSERT INTO buckets (name, owner, region, created_at) VALUES (?, ?, ?, ?)",
			b.Name, b.Owner, b.Region, b.CreatedAt.UnixNano())
		if err != nil {
			return fmt.Errorf("create bucket: %w", err)
		}
		return nil
	})
}

// GetBucket returns the bucket named name, or ErrNoSuchBucket.
func (s *Store) GetBucket(ctx context.Context, name string) (Bucket, error) {
	s.bucketMu.RLock()
	b, ok := s.bucketCache[name]
	gen := s.bucketGen
	s.bucketMu.RUnlock()
	if ok {
		return b, nil
	}
	b, err := s.readBucket(ctx, name)
	if err != nil {
		return Bucket{}, err
	}
	s.bucketMu.Lock()
	if s.bucketGen == gen {
		s.bucketCache[name] = b
	}
	s.bucketMu.Unlock()
	return b, nil
}

// forgetBucket drops name from the bucket cache after a change to it
// (whether or not the change committed).
func (s *Store) forgetBucket(name string) {
	s.bucketMu.Lock()
	delete(s.bucketCache, name)
	s.bucketGen++
	s.bucketMu.Unlock()
}

// readBucket reads the bucket row of name from the index.
func (s *Store) readBucket(ctx context.Context, name string) (Bucket, error) {
	b := Bucket{Name: name}
	var created int64
	err := s.queryRow(ctx, "SELECT owner, region, created_at FROM buckets WHERE name = ?", name).
		Scan(&b.Owner, &b.Region, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Bucket{}, ErrNoSuchBucket
	}
	if err != nil {
		return Bucket{}, fmt.Errorf("get bucket: %w", err)
	}
	b.CreatedAt = fromNanos(created)
	return b, nil
}

// ListBuckets returns the buckets of owner ("" for all), sorted by name.
func (s *Store) ListBuckets(ctx context.Context, owner string) ([]Bucket, error) {
	rows, err := s.query(ctx, `SELECT name, owner, region, created_at FROM buckets
		WHERE ? = '' OR owner = ? ORDER BY name`, owner, owner)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	defer rows.Close()
	var out []Bucket
	for rows.Next() {
		var b Bucket
		var created int64
		if err := rows.Scan(&b.Name, &b.Owner, &b.Region, &created); err != nil {
			return nil, fmt.Errorf("list buckets: %w", err)
		}
		b.CreatedAt = fromNanos(created)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return out, nil
}

// DeleteBucket deletes an empty bucket: ErrBucketNotEmpty while it holds
// objects. Multipart uploads in progress do not keep it alive; they are
// aborted and their parts removed, as on AWS.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	var partFiles []string
	defer s.forgetBucket(name)
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		partFiles = nil
		if err := bucketExists(bg, tx, name); err != nil {
			return err
		}
		var one int
		err := tx.QueryRowContext(bg, "SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", name).Scan(&one)
		if err == nil {
			return ErrBucketNotEmpty
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("delete bucket: %w", err)
		}

		partFiles, err = queryStrings(bg, tx, `SELECT p.file_id FROM uploads u
			JOIN parts p ON p.upload_id = u.id WHERE u.bucket = ?`, name)
		if err != nil {
			return fmt.Errorf("delete bucket: %w", err)
		}
		if err := dropFiles(tx, partFiles); err != nil {
			return fmt.Errorf("delete bucket: %w", err)
		}
		for _, q := range []string{
			"DELETE FROM uploads WHERE bucket = ?", // parts go by ON DELETE CASCADE
			"DELETE FROM buckets WHERE name = ?",
		} {
			if _, err := tx.ExecContext(bg, q, name); err != nil {
				return fmt.Errorf("delete bucket: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.removeFiles(partFiles)
	return nil
}

// bucketExists returns ErrNoSuchBucket unless bucket exists.
func bucketExists(ctx context.Context, q querier, bucket string) error {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM buckets WHERE name = ?", bucket).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoSuchBucket
	}
	if err != nil {
		return fmt.Errorf("look up bucket: %w", err)
	}
	return nil
}

// queryStrings returns the single text column of a query's rows.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// dropFiles removes ids from the files table; their files are removed from
// disk after the commit.
func dropFiles(tx *meta.Tx, ids []string) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(bg, "DELETE FROM files WHERE id = ?", id); err != nil {
			return err
		}
	}
	return nil
}
