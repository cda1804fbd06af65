package meta

import (
	"context"
	"fmt"
	"time"
)

func (db *DB) createMigrationsTable(ctx context.Context) error {
	_, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component  TEXT    NOT NULL,
		version    INTEGER NOT NULL,
		applied_at INTEGER NOT NULL,
		PRIMARY KEY (component, version)
	) WITHOUT ROWID`)
	if err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	return nil
}

// Migrate brings component's schema up to date. migrations is the
// component's complete, append-only list: migration i (0-based) is version
// i+1, and a version once released must never change. Each pending
// migration runs in its own transaction together with the record that it
// was applied, so a crash leaves each one either applied or not. A database
// that records more versions than the list holds was written by a newer
// inlet, and Migrate refuses it.
//
// A migration may hold several statements separated by semicolons.
func (db *DB) Migrate(ctx context.Context, component string, migrations []string) error {
	var applied int
	err := db.w.QueryRowContext(ctx,
		"SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = ?",
		component).Scan(&applied)
	if err != nil {
		return fmt.Errorf("migrate %s: read applied versions: %w", component, err)
	}
	if applied > len(migrations) {
		return fmt.Errorf("migrate %s: database is at version %d, this build knows %d",
			component, applied, len(migrations))
	}

	for i := applied; i < len(migrations); i++ {
		if err := db.applyMigration(ctx, component, i+1, migrations[i]); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, component string, version int, stmt string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s to %d: %w", component, version, err)
	}
	defer tx.Rollback()

	// Another process may have applied it since the count above.
	var n int
	err = tx.QueryRowContext(ctx,
		"SELECT count(*) FROM schema_migrations WHERE component = ? AND version = ?",
		component, version).Scan(&n)
	if err != nil {
		return fmt.Errorf("migrate %s to %d: %w", component, version, err)
	}
	if n > 0 {
		return nil
	}

	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("migrate %s to %d: %w", component, version, err)
	}
	_, err = tx.ExecContext(ctx,
		"INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)",
		component, version, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("migrate %s to %d: record: %w", component, version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s to %d: commit: %w", component, version, err)
	}
	db.log.Info("migration applied", "component", component, "version", version)
	return nil
}
