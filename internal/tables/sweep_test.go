package tables

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"inlet/internal/catalog"
)

// TestSweepOrphans: a data file no snapshot holds, as a killed commit
// leaves it, is deleted at start; the files of every snapshot, the current
// one's and the older ones' that an overwrite replaced, are kept, and so
// is an orphan written after the sweep's start.
func TestSweepOrphans(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	if _, err := c.CreateTable(ctx, 4, testFields); err != nil {
		t.Fatal(err)
	}
	commit(t, c, 4, catalog.WriteAppend, "a", row{id: 1})
	commit(t, c, 4, catalog.WriteOverwrite, "b", row{id: 2}) // a's file is now only in the old snapshot
	held := dataFiles(t, c, 4)
	if len(held) != 2 {
		t.Fatalf("data files before the sweep: %v; want a's and b's", held)
	}
	body, err := os.ReadFile(held[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(held[0])
	orphan := filepath.Join(dir, "00000-0-killed.parquet")
	fresh := filepath.Join(dir, "00000-0-in-progress.parquet")
	for _, p := range []string{orphan, fresh} {
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	old := start.Add(-time.Hour)
	if err := os.Chtimes(orphan, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(fresh, start.Add(time.Second), start.Add(time.Second)); err != nil {
		t.Fatal(err)
	}

	n, b, err := c.SweepOrphans(ctx, start)
	if err != nil || n != 1 || b != int64(len(body)) {
		t.Fatalf("SweepOrphans = %d files, %d bytes, %v; want 1 file of %d bytes", n, b, err, len(body))
	}
	left := dataFiles(t, c, 4)
	want := append(slices.Clone(held), fresh)
	slices.Sort(left)
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("data files after the sweep: %v; want %v", left, want)
	}
	if rows := scanAll(t, c, 4); len(rows) != 1 || rows[0][0] != int64(2) {
		t.Errorf("rows after the sweep: %v; want b's", rows)
	}
	if n, _, err := c.SweepOrphans(ctx, start); err != nil || n != 0 {
		t.Errorf("second sweep = %d, %v; want nothing to do", n, err)
	}
}
