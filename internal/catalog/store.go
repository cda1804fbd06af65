package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"inlet/internal/meta"
)

// migrations is the catalog's append-only schema history (see
// [meta.DB.Migrate]). Times are Unix milliseconds.
var migrations = []string{
	`CREATE TABLE catalog_tenants (
		id         INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL COLLATE NOCASE UNIQUE,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE catalog_users (
		id            INTEGER PRIMARY KEY,
		tenant_id     INTEGER NOT NULL REFERENCES catalog_tenants (id),
		email         TEXT    NOT NULL UNIQUE,
		password_hash TEXT    NOT NULL,
		created_at    INTEGER NOT NULL
	);
	CREATE INDEX catalog_users_tenant ON catalog_users (tenant_id);
	CREATE TABLE catalog_tokens (
		id         INTEGER PRIMARY KEY,
		tenant_id  INTEGER NOT NULL, -- 0: the operator's admin token
		name       TEXT    NOT NULL,
		prefix     TEXT    NOT NULL,
		hash       TEXT    NOT NULL UNIQUE, -- sha256 hex of the secret
		created_at INTEGER NOT NULL
	);
	CREATE INDEX catalog_tokens_tenant ON catalog_tokens (tenant_id);
	CREATE TABLE catalog_datasets (
		id          INTEGER PRIMARY KEY,
		tenant_id   INTEGER NOT NULL REFERENCES catalog_tenants (id),
		name        TEXT    NOT NULL COLLATE NOCASE,
		description TEXT    NOT NULL,
		spec        TEXT    NOT NULL, -- DatasetSpec as JSON
		created_at  INTEGER NOT NULL,
		updated_at  INTEGER NOT NULL,
		UNIQUE (tenant_id, name)
	);
	CREATE TABLE catalog_sources (
		id             INTEGER PRIMARY KEY,
		tenant_id      INTEGER NOT NULL REFERENCES catalog_tenants (id),
		type           TEXT    NOT NULL,
		aws_account_id TEXT    NOT NULL,
		resource_id    TEXT    NOT NULL UNIQUE,
		access_type    TEXT    NOT NULL,
		external_id    TEXT    NOT NULL,
		bucket         TEXT    NOT NULL,
		role_name      TEXT    NOT NULL,
		role_arn       TEXT    NOT NULL,
		region         TEXT    NOT NULL,
		endpoint       TEXT    NOT NULL,
		status         TEXT    NOT NULL,
		error          TEXT    NOT NULL,
		created_at     INTEGER NOT NULL,
		updated_at     INTEGER NOT NULL
	);
	CREATE INDEX catalog_sources_tenant ON catalog_sources (tenant_id);
	CREATE UNIQUE INDEX catalog_sources_bucket ON catalog_sources (bucket) WHERE bucket <> '';`,

	// Dataset and source ids are never given out again. With a plain
	// INTEGER PRIMARY KEY, deleting the newest dataset handed its id to the
	// next one created, by any tenant, and with it the old dataset's table,
	// runs and receipts (all keyed by the id). AUTOINCREMENT keeps the
	// highest id ever used; SQLite cannot add it to a table, so both are
	// rebuilt.
	`CREATE TABLE catalog_datasets_v2 (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		tenant_id   INTEGER NOT NULL REFERENCES catalog_tenants (id),
		name        TEXT    NOT NULL COLLATE NOCASE,
		description TEXT    NOT NULL,
		spec        TEXT    NOT NULL, -- DatasetSpec as JSON
		created_at  INTEGER NOT NULL,
		updated_at  INTEGER NOT NULL,
		UNIQUE (tenant_id, name)
	);
	INSERT INTO catalog_datasets_v2 SELECT id, tenant_id, name, description, spec, created_at, updated_at
		FROM catalog_datasets;
	DROP TABLE catalog_datasets;
	ALTER TABLE catalog_datasets_v2 RENAME TO catalog_datasets;
	CREATE TABLE catalog_sources_v2 (
		id             INTEGER PRIMARY KEY AUTOINCREMENT,
		tenant_id      INTEGER NOT NULL REFERENCES catalog_tenants (id),
		type           TEXT    NOT NULL,
		aws_account_id TEXT    NOT NULL,
		resource_id    TEXT    NOT NULL UNIQUE,
		access_type    TEXT    NOT NULL,
		external_id    TEXT    NOT NULL,
		bucket         TEXT    NOT NULL,
		role_name      TEXT    NOT NULL,
		role_arn       TEXT    NOT NULL,
		region         TEXT    NOT NULL,
		endpoint       TEXT    NOT NULL,
		status         TEXT    NOT NULL,
		error          TEXT    NOT NULL,
		created_at     INTEGER NOT NULL,
		updated_at     INTEGER NOT NULL
	);
	INSERT INTO catalog_sources_v2 SELECT id, tenant_id, type, aws_account_id, resource_id, access_type,
		external_id, bucket, role_name, role_arn, region, endpoint, status, error, created_at, updated_at
		FROM catalog_sources;
	DROP TABLE catalog_sources;
	ALTER TABLE catalog_sources_v2 RENAME TO catalog_sources;
	CREATE INDEX catalog_sources_tenant ON catalog_sources (tenant_id);
	CREATE UNIQUE INDEX catalog_sources_bucket ON catalog_sources (bucket) WHERE bucket <> '';`,

	// A resource id is unique within its tenant, not across tenants: the
	// bucket name carries a random suffix, and a global rule told a
	// tenant that another tenant had a partner of that name (and let it
	// take common names from the others). SQLite cannot drop a column's
	// UNIQUE in place, so the table is rebuilt once more.
	`CREATE TABLE catalog_sources_v3 (
		id             INTEGER PRIMARY KEY AUTOINCREMENT,
		tenant_id      INTEGER NOT NULL REFERENCES catalog_tenants (id),
		type           TEXT    NOT NULL,
		aws_account_id TEXT    NOT NULL,
		resource_id    TEXT    NOT NULL,
		access_type    TEXT    NOT NULL,
		external_id    TEXT    NOT NULL,
		bucket         TEXT    NOT NULL,
		role_name      TEXT    NOT NULL,
		role_arn       TEXT    NOT NULL,
		region         TEXT    NOT NULL,
		endpoint       TEXT    NOT NULL,
		status         TEXT    NOT NULL,
		error          TEXT    NOT NULL,
		created_at     INTEGER NOT NULL,
		updated_at     INTEGER NOT NULL,
		UNIQUE (tenant_id, resource_id)
	);
	INSERT INTO catalog_sources_v3 SELECT id, tenant_id, type, aws_account_id, resource_id, access_type,
		external_id, bucket, role_name, role_arn, region, endpoint, status, error, created_at, updated_at
		FROM catalog_sources;
	DROP TABLE catalog_sources;
	ALTER TABLE catalog_sources_v3 RENAME TO catalog_sources;
	CREATE INDEX catalog_sources_tenant ON catalog_sources (tenant_id);
	CREATE UNIQUE INDEX catalog_sources_bucket ON catalog_sources (bucket) WHERE bucket <> '';`,
}

// maxConcurrentHashes bounds the argon2id computations running at once:
// each holds its memory cost (64 MiB) for its whole run.
const maxConcurrentHashes = 4

// Store is the catalog, kept in the metadata database. It is safe for
// concurrent use.
type Store struct {
	db      *meta.DB
	hashSem chan struct{}
	now     func() time.Time
}

// Open applies the catalog's schema migrations to db and returns the store.
func Open(ctx context.Context, db *meta.DB) (*Store, error) {
	if db == nil {
		return nil, errors.New("open catalog: nil database")
	}
	if err := db.Migrate(ctx, "catalog", migrations); err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	return &Store{
		db:      db,
		hashSem: make(chan struct{}, maxConcurrentHashes),
		now:     time.Now,
	}, nil
}

// stamp returns the current time as stored: Unix milliseconds, and the
// same instant as a UTC time.
func (s *Store) stamp() (int64, time.Time) {
	ms := s.now().UnixMilli()
	return ms, fromMillis(ms)
}

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// SQLite's result codes for constraint violations (primary code and the
// extended codes for UNIQUE and PRIMARY KEY).
const (
	sqliteConstraint           = 19
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// isUniqueViolation reports whether err is SQLite refusing a duplicate key.
func isUniqueViolation(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() {
		case sqliteConstraintUnique, sqliteConstraintPrimaryKey:
			return true
		case sqliteConstraint:
			return strings.Contains(err.Error(), "UNIQUE constraint failed")
		}
		return false
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }
