package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// maxBatch bounds how many queued writes share one commit, so that one
// waiter's latency stays bounded under a flood of writers.
const maxBatch = 256

// maxCachedStmts bounds the writer's statement cache.
const maxCachedStmts = 256

// Tx is the transaction a [DB.Write] function runs in. It offers the query
// methods of [sql.Tx] but not Commit or Rollback: the writer decides those.
// Statements are prepared once and reused across transactions.
type Tx struct {
	tx *sql.Tx
	db *DB
}

// stmt returns the cached prepared statement for query bound to the
// transaction, or nil when there is none yet: the statement cannot be
// prepared on the writer pool while this transaction holds its only
// connection, so the query is noted and prepared after the commit.
func (t *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	st, ok := t.db.wstmts[query]
	if !ok {
		if len(t.db.wstmts)+len(t.db.wwant) < maxCachedStmts {
			t.db.wwant[query] = struct{}{}
		}
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

// ExecContext executes a statement that returns no rows.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query that returns rows.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

type writeOp struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// Write runs fn in a write transaction and returns nil once what fn did is
// durably committed, or an error, in which case nothing fn did is kept.
//
// Writes of concurrent callers are batched: a single goroutine runs the
// waiting functions one after another, each inside its own savepoint (an
// error from fn rolls back only fn's changes), then commits them all with
// one fsync. So fn must be quick, must not wait for other goroutines, and
// must not call Write (it would wait for itself); it runs exactly once or,
// if ctx is done before its turn, not at all (Write then returns ctx.Err()).
// Once fn has run, Write waits for the commit whatever happens to ctx,
// because the caller must learn whether the changes were kept.
//
// Statements inside fn should use a context that is not canceled (such as
// context.Background()); a canceled one interrupts the statement and fails
// fn.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.closing:
		return ErrClosed
	}
	return <-op.done
}

// writer is the group-commit loop. The ops channel is unbuffered: callers
// that arrive while a batch commits wait in their send, and the next batch
// takes all of them at once.
func (db *DB) writer() {
	defer close(db.writerEnd)
	batch := make([]*writeOp, 0, maxBatch)
	for {
		select {
		case op := <-db.ops:
			batch = append(batch[:0], op)
		case <-db.closing:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case op := <-db.ops:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		db.commit(batch)
		clear(batch)
		db.prepareWanted()
		select {
		case db.ckptWake <- struct{}{}:
		default:
		}
	}
}

// prepareWanted prepares the statements that the last batch ran unprepared.
// Only the writer goroutine touches the cache, so it needs no lock.
func (db *DB) prepareWanted() {
	for query := range db.wwant {
		delete(db.wwant, query)
		st, err := db.w.PrepareContext(context.Background(), query)
		if err != nil {
			continue // the statement failed in the batch too; it is not cached
		}
		db.wstmts[query] = st
	}
}

// WriteStats counts the work of the group-commit writer.
type WriteStats struct {
	Batches int64         // transactions run
	Ops     int64         // Write calls they held
	Busy    time.Duration // time spent running and committing them
}

// WriteStats returns the writer's counters since Open.
func (db *DB) WriteStats() WriteStats {
	return WriteStats{
		Batches: db.stats.batches.Load(),
		Ops:     db.stats.ops.Load(),
		Busy:    time.Duration(db.stats.busy.Load()),
	}
}

type writeStats struct {
	batches, ops, busy atomic.Int64
}

// commit runs a batch in one transaction and reports each op's outcome.
func (db *DB) commit(batch []*writeOp) {
	start := time.Now()
	errs := make([]error, len(batch))
	err := db.runBatch(batch, errs)
	db.stats.batches.Add(1)
	db.stats.ops.Add(int64(len(batch)))
	db.stats.busy.Add(int64(time.Since(start)))
	for i, op := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		op.done <- errs[i]
	}
}

func (db *DB) runBatch(batch []*writeOp, errs []error) error {
	ctx := context.Background()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write transaction: %w", err)
	}
	t := &Tx{tx: tx, db: db}

	// A lone op needs no savepoint: its failure rolls back the whole
	// transaction.
	if len(batch) == 1 {
		op := batch[0]
		if errs[0] = op.ctx.Err(); errs[0] == nil {
			errs[0] = op.fn(t)
		}
		if errs[0] != nil {
			tx.Rollback()
			return nil
		}
		return commitTx(tx)
	}

	kept := 0
	for i, op := range batch {
		if errs[i] = op.ctx.Err(); errs[i] != nil {
			continue
		}
		if _, err := t.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			tx.Rollback()
			return fmt.Errorf("savepoint: %w", err)
		}
		errs[i] = op.fn(t)
		if errs[i] != nil {
			if _, err := t.ExecContext(ctx, "ROLLBACK TO op"); err != nil {
				tx.Rollback()
				return fmt.Errorf("rollback to savepoint: %w", err)
			}
		} else {
			kept++
		}
		if _, err := t.ExecContext(ctx, "RELEASE op"); err != nil {
			tx.Rollback()
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	if kept == 0 {
		tx.Rollback()
		return nil
	}
	return commitTx(tx)
}

func commitTx(tx *sql.Tx) error {
	if err := tx.Commit(); err != nil {
		// SQLite may have rolled back already; Rollback then reports
		// ErrTxDone, which changes nothing.
		if rb := tx.Rollback(); rb != nil && !errors.Is(rb, sql.ErrTxDone) {
			err = errors.Join(err, rb)
		}
		return fmt.Errorf("%w: %w", ErrCommitFailed, err)
	}
	return nil
}
