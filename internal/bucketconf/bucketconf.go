// Package bucketconf keeps the access configuration of buckets (bucket
// policy, Object Ownership, public access block) and the log of requests
// denied against each bucket, in the metadata database. Configurations are
// cached in memory: they are read on every request and change rarely.
package bucketconf

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"inlet/internal/meta"
)

// Config is a bucket's access configuration. The zero value is a bucket
// with no policy, no ownership controls and no public access block.
type Config struct {
	Policy            string             `json:"policy,omitempty"`
	Ownership         string             `json:"ownership,omitempty"`
	PublicAccessBlock *PublicAccessBlock `json:"public_access_block,omitempty"`
	Tags              map[string]string  `json:"tags,omitempty"`
}

// PublicAccessBlock is S3's PublicAccessBlockConfiguration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"block_public_acls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// Denial is one request denied against a bucket.
type Denial struct {
	Time      time.Time `json:"time"`
	Bucket    string    `json:"bucket"`
	Principal string    `json:"principal"`
	Operation string    `json:"operation"`
	Action    string    `json:"action"`
	Key       string    `json:"key,omitempty"`
	Reason    string    `json:"reason"`
	RequestID string    `json:"request_id"`
	SourceIP  string    `json:"source_ip,omitempty"`
}

// MaxDenialsPerBucket bounds the denial log of each bucket; older entries
// are dropped first.
const MaxDenialsPerBucket = 10000

// Store keeps configurations and denials.
type Store struct {
	db *meta.DB

	mu    sync.RWMutex
	cache map[string]Config
}

var migrations = []string{
	`CREATE TABLE bucket_config (
		bucket TEXT PRIMARY KEY,
		config TEXT NOT NULL
	)`,
	`CREATE TABLE bucket_denials (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		bucket TEXT NOT NULL,
		at INTEGER NOT NULL,
		entry TEXT NOT NULL
	)`,
	`CREATE INDEX bucket_denials_bucket ON bucket_denials (bucket, id)`,
}

// Open prepares the tables.
func Open(ctx context.Context, db *meta.DB) (*Store, error) {
	if err := db.Migrate(ctx, "bucketconf", migrations); err != nil {
		return nil, fmt.Errorf("migrate bucket config: %w", err)
	}
	return &Store{db: db, cache: make(map[string]Config)}, nil
}

// Get returns a bucket's configuration (the zero Config when it has none).
func (s *Store) Get(ctx context.Context, bucket string) (Config, error) {
	s.mu.RLock()
	c, ok := s.cache[bucket]
	s.mu.RUnlock()
	if ok {
		return c, nil
	}
	var raw string
	err := s.db.SQL().QueryRowContext(ctx, `SELECT config FROM bucket_config WHERE bucket = ?`, bucket).Scan(&raw)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Config{}, fmt.Errorf("read bucket config: %w", err)
	default:
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return Config{}, fmt.Errorf("decode bucket config of %s: %w", bucket, err)
		}
	}
	s.mu.Lock()
	if len(s.cache) >= maxCached {
		// Names of buckets that do not exist are cached too (as having no
		// configuration), so requests naming random buckets could grow
		// the cache without end: it starts over instead.
		clear(s.cache)
	}
	s.cache[bucket] = c
	s.mu.Unlock()
	return c, nil
}

// maxCached bounds the cache of bucket configurations.
const maxCached = 10000

// Update changes a bucket's configuration with fn.
func (s *Store) Update(ctx context.Context, bucket string, fn func(*Config) error) (Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, bucket)
	var c Config
	var raw string
	err := s.db.SQL().QueryRowContext(ctx, `SELECT config FROM bucket_config WHERE bucket = ?`, bucket).Scan(&raw)
	if err == nil {
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return Config{}, fmt.Errorf("decode bucket config of %s: %w", bucket, err)
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return Config{}, fmt.Errorf("read bucket config: %w", err)
	}
	if err := fn(&c); err != nil {
		return Config{}, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return Config{}, fmt.Errorf("encode bucket config: %w", err)
	}
	err = s.db.Write(ctx, func(tx *meta.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bucket_config (bucket, config) VALUES (?, ?)
			ON CONFLICT (bucket) DO UPDATE SET config = excluded.config`, bucket, string(b))
		return err
	})
	if err != nil {
		return Config{}, fmt.Errorf("write bucket config: %w", err)
	}
	return c, nil
}

// Delete forgets a bucket's configuration and denials (the bucket was
// deleted).
func (s *Store) Delete(ctx context.Context, bucket string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, bucket)
	return s.db.Write(ctx, func(tx *meta.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM bucket_config WHERE bucket = ?`, bucket); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM bucket_denials WHERE bucket = ?`, bucket)
		return err
	})
}

// RecordDenial appends to a bucket's denial log, dropping the oldest
// entries beyond MaxDenialsPerBucket.
func (s *Store) RecordDenial(ctx context.Context, d Denial) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode denial: %w", err)
	}
	return s.db.Write(ctx, func(tx *meta.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO bucket_denials (bucket, at, entry) VALUES (?, ?, ?)`,
			d.Bucket, d.Time.UnixMilli(), string(b))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM bucket_denials WHERE bucket = ? AND id <= ?`, d.Bucket, id-MaxDenialsPerBucket)
		return err
	})
}

// Denials returns the newest denials of a bucket, newest first.
func (s *Store) Denials(ctx context.Context, bucket string, limit int) ([]Denial, error) {
	if limit <= 0 || limit > MaxDenialsPerBucket {
		limit = 100
	}
	rows, err := s.db.SQL().QueryContext(ctx,
		`SELECT entry FROM bucket_denials WHERE bucket = ? ORDER BY id DESC LIMIT ?`, bucket, limit)
	if err != nil {
		return nil, fmt.Errorf("read denials: %w", err)
	}
	defer rows.Close()
	var out []Denial
	for rows.Next() {
		var raw string
		var d Denial
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("read denials: %w", err)
		}
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return nil, fmt.Errorf("decode denial: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
