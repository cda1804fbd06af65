package catalog

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"inlet/internal/meta"
)

// TestIDsNeverReused: a deleted dataset's or source's id is never given to
// a new one, by the same tenant or another; the old id names the old
// dataset's table, runs and receipts.
func TestIDsNeverReused(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Globex")

	newDataset(t, s, a.ID, "one")
	last := newDataset(t, s, a.ID, "two")
	if err := s.DeleteDataset(ctx, a.ID, last.ID, true); err != nil {
		t.Fatal(err)
	}
	if d := newDataset(t, s, b.ID, "three"); d.ID <= last.ID {
		t.Errorf("dataset created after deleting %d got id %d; want a new id", last.ID, d.ID)
	}

	newSource(t, s, a.ID, "res-1", "bucket-1")
	src := newSource(t, s, a.ID, "res-2", "bucket-2")
	if err := s.DeleteSource(ctx, a.ID, src.ID); err != nil {
		t.Fatal(err)
	}
	if got := newSource(t, s, b.ID, "res-3", "bucket-3"); got.ID <= src.ID {
		t.Errorf("source created after deleting %d got id %d; want a new id", src.ID, got.ID)
	}
}

// TestIDsMigration: a database made before ids were kept keeps its rows
// and continues past the highest id in use.
func TestIDsMigration(t *testing.T) {
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "catalog", migrations[:1]); err != nil {
		t.Fatal(err)
	}
	old := &Store{db: db, hashSem: make(chan struct{}, 1), now: time.Now}
	a := newTenant(t, old, "Acme")
	d1 := newDataset(t, old, a.ID, "one")
	d2 := newDataset(t, old, a.ID, "two")
	src := newSource(t, old, a.ID, "res-1", "bucket-1")

	s, err := Open(ctx, db)
	if err != nil {
		t.Fatalf("Open after the first migration: %v", err)
	}
	for _, want := range []Dataset{d1, d2} {
		got, err := s.GetDataset(ctx, a.ID, want.ID)
		if err != nil || got.Name != want.Name || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("GetDataset(%d) after the migration = %+v, %v; want %+v", want.ID, got, err, want)
		}
	}
	if got, err := s.GetSource(ctx, a.ID, src.ID); err != nil || got != src {
		t.Errorf("GetSource(%d) after the migration = %+v, %v; want %+v", src.ID, got, err, src)
	}
	if err := s.DeleteDataset(ctx, a.ID, d2.ID, true); err != nil {
		t.Fatal(err)
	}
	if d := newDataset(t, s, a.ID, "three"); d.ID <= d2.ID {
		t.Errorf("dataset after the migration got id %d; want more than %d", d.ID, d2.ID)
	}
	if _, err := s.CreateSource(ctx, testSource(a.ID, "res-1", "bucket-9")); err == nil {
		t.Error("the migrated sources lost their unique resource id")
	}
	if _, err := s.CreateSource(ctx, testSource(a.ID, "res-9", "bucket-1")); err == nil {
		t.Error("the migrated sources lost their unique bucket index")
	}
}
