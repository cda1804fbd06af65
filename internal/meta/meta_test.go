package meta

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTest(t testing.TB, logger *slog.Logger) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.db")
	db, err := Open(context.Background(), path, logger)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestOpenPragmas(t *testing.T) {
	db, _ := openTest(t, nil)
	ctx := context.Background()

	tests := []struct {
		name   string
		pragma string
		want   string
	}{
		{"journal mode", "journal_mode", "wal"},
		{"synchronous full", "synchronous", "2"},
		{"foreign keys", "foreign_keys", "1"},
		{"busy timeout", "busy_timeout", fmt.Sprint(busyTimeoutMS)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if err := db.SQL().QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("writer PRAGMA %s = %q; want %q", tt.pragma, got, tt.want)
			}
			if tt.pragma == "synchronous" {
				return // a reader never commits, its setting does not matter
			}
			if err := db.Reader().QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("reader PRAGMA %s = %q; want %q", tt.pragma, got, tt.want)
			}
		})
	}

	for name, pool := range map[string]*sql.DB{"batch writer": db.w, "general": db.SQL()} {
		var got string
		pool.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got)
		if got != "2" {
			t.Errorf("%s pool: synchronous = %s; want 2 (FULL)", name, got)
		}
	}
	if _, err := db.Reader().ExecContext(ctx, "CREATE TABLE x (a)"); err == nil {
		t.Error("reader pool accepted a write; want query_only")
	}
}

func TestOpenRejectsQuestionMark(t *testing.T) {
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "a?b"), nil); err == nil {
		t.Fatal("Open of a path with '?' succeeded")
	}
}

func TestMigrate(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	db, path := openTest(t, logger)
	ctx := context.Background()

	v1 := []string{
		"CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)",
		"ALTER TABLE things ADD COLUMN size INTEGER; CREATE INDEX things_name ON things (name)",
	}
	if err := db.Migrate(ctx, "things", v1); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if got := strings.Count(logs.String(), "migration applied"); got != 2 {
		t.Errorf("logged %d 'migration applied'; want 2\n%s", got, logs.String())
	}
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO things (name, size) VALUES ('a', 1)"); err != nil {
		t.Fatalf("insert after migrations: %v", err)
	}

	// Another component's versions are counted separately.
	if err := db.Migrate(ctx, "other", []string{"CREATE TABLE other (a)"}); err != nil {
		t.Fatalf("Migrate other: %v", err)
	}

	// Idempotent, also across a reopen.
	db.Close()
	logs.Reset()
	db, err := Open(ctx, path, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "things", v1); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if logs.Len() != 0 {
		t.Errorf("second Migrate logged %q; want nothing", logs.String())
	}

	// A failing migration leaves neither its changes nor its record.
	bad := append(v1[:2:2], "CREATE TABLE half (a); CREATE TABLE things (dup)")
	if err := db.Migrate(ctx, "things", bad); err == nil {
		t.Fatal("Migrate with a failing migration succeeded")
	}
	var n int
	db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'half'").Scan(&n)
	if n != 0 {
		t.Error("failed migration left table half behind")
	}

	// A newer database is refused.
	if err := db.Migrate(ctx, "things", v1[:1]); err == nil {
		t.Error("Migrate with fewer migrations than applied succeeded")
	}

	// The next migration applies on top.
	next := append(v1[:2:2], "CREATE TABLE more (a)")
	if err := db.Migrate(ctx, "things", next); err != nil {
		t.Fatalf("Migrate next: %v", err)
	}
	var version int
	db.SQL().QueryRowContext(ctx,
		"SELECT max(version) FROM schema_migrations WHERE component = 'things'").Scan(&version)
	if version != 3 {
		t.Errorf("version = %d; want 3", version)
	}
}

func TestWriteIsolatesFailures(t *testing.T) {
	db, _ := openTest(t, nil)
	ctx := context.Background()
	if err := db.Migrate(ctx, "t", []string{"CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER)"}); err != nil {
		t.Fatal(err)
	}

	errBoom := errors.New("boom")
	const n = 64
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Write(ctx, func(tx *Tx) error {
				_, err := tx.ExecContext(context.Background(),
					"INSERT INTO kv (k, v) VALUES (?, ?)", fmt.Sprint(i), i)
				if err != nil {
					return err
				}
				if i%3 == 0 {
					return errBoom // its insert must be rolled back
				}
				return nil
			})
		}()
	}
	wg.Wait()

	for i, err := range errs {
		if want := i%3 == 0; errors.Is(err, errBoom) != want || (!want && err != nil) {
			t.Errorf("Write %d = %v; want boom=%v", i, err, want)
		}
	}
	var got int
	db.Reader().QueryRowContext(ctx, "SELECT count(*) FROM kv").Scan(&got)
	if want := n - (n+2)/3; got != want {
		t.Errorf("rows = %d; want %d", got, want)
	}
	db.Reader().QueryRowContext(ctx, "SELECT count(*) FROM kv WHERE v % 3 = 0").Scan(&got)
	if got != 0 {
		t.Errorf("%d rows of failed writes kept", got)
	}
}

func TestWriteCanceledDoesNotRun(t *testing.T) {
	db, _ := openTest(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := db.Write(ctx, func(*Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Write(canceled) = %v, ran %v; want context.Canceled, not run", err, ran)
	}
}

func TestWriteAfterClose(t *testing.T) {
	db, _ := openTest(t, nil)
	db.Close()
	err := db.Write(context.Background(), func(*Tx) error { return nil })
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v; want ErrClosed", err)
	}
}

// BenchmarkWriteParallel measures group commit: 16 writers each inserting
// one small row per durable commit.
func BenchmarkWriteParallel(b *testing.B) {
	db, _ := openTest(b, nil)
	ctx := context.Background()
	err := db.Migrate(ctx, "t", []string{
		"CREATE TABLE kv (k INTEGER PRIMARY KEY, a TEXT, b BLOB)",
		"CREATE TABLE log (k INTEGER PRIMARY KEY, v TEXT)"})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	next := 0
	val := bytes.Repeat([]byte("x"), 4096)
	b.SetParallelism(16 / runtime.GOMAXPROCS(0)) // 16 writers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			next++
			k := next
			mu.Unlock()
			err := db.Write(ctx, func(tx *Tx) error {
				bg := context.Background()
				var n int
				tx.QueryRowContext(bg, "SELECT count(*) FROM kv WHERE k = ?", k).Scan(&n)
				if _, err := tx.ExecContext(bg, "INSERT INTO kv (k, a, b) VALUES (?, ?, ?)", k, "a", val); err != nil {
					return err
				}
				_, err := tx.ExecContext(bg, "INSERT INTO log (k, v) VALUES (?, ?)", k, "v")
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestGeneralPoolBesideBatches runs read-then-write transactions on the
// general pool while batched writes commit: both wait for the write lock
// instead of failing with SQLITE_BUSY.
func TestGeneralPoolBesideBatches(t *testing.T) {
	db, _ := openTest(t, nil)
	ctx := context.Background()
	if err := db.Migrate(ctx, "t", []string{"CREATE TABLE n (k TEXT PRIMARY KEY, v INTEGER)"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 10 {
				errs <- db.Write(ctx, func(tx *Tx) error {
					_, err := tx.ExecContext(context.Background(),
						"INSERT INTO n (k, v) VALUES (?, 1)", fmt.Sprintf("w%d-%d", g, i))
					return err
				})
			}
		}()
		go func() {
			defer wg.Done()
			for i := range 10 {
				errs <- func() error {
					tx, err := db.SQL().BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					var n int
					if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM n").Scan(&n); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, "INSERT INTO n (k, v) VALUES (?, ?)",
						fmt.Sprintf("s%d-%d", g, i), n); err != nil {
						return err
					}
					return tx.Commit()
				}()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	var n int
	db.Reader().QueryRowContext(ctx, "SELECT count(*) FROM n").Scan(&n)
	if n != 160 {
		t.Errorf("rows = %d; want 160", n)
	}
}

// TestBackgroundCheckpoint checks that the log is copied into the database
// file by the background checkpointer, also after writes that did not go
// through Write (the commits themselves never checkpoint).
func TestBackgroundCheckpoint(t *testing.T) {
	db, path := openTest(t, nil)
	ctx := context.Background()
	if err := db.Migrate(ctx, "t", []string{"CREATE TABLE big (v BLOB)"}); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	for range 16 {
		if _, err := db.SQL().ExecContext(ctx, "INSERT INTO big (v) VALUES (zeroblob(65536))"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for size() < before+16*65536 {
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes, %d before the inserts: no checkpoint", size(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFileModes: the database and its log files are the owner's alone,
// also when an older inlet left them readable by others.
func TestFileModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "meta.db")
	check := func(when string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if got := st.Mode().Perm(); got != 0o600 {
				t.Errorf("%s: %s has mode %v; want 0600", when, filepath.Base(p), got)
			}
		}
	}
	db, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec("CREATE TABLE t (a)"); err != nil {
		t.Fatal(err)
	}
	check("new database")
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	check("database left readable")
}
