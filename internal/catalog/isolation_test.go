package catalog

import (
	"context"
	"reflect"
	"testing"
)

// TestTenantIsolation checks that tenant B can neither see nor change
// tenant A's records, and that A's records survive B's attempts.
func TestTenantIsolation(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Globex")
	d := newDataset(t, s, a.ID, "orders")
	src := newSource(t, s, a.ID, "res-a", "bucket-a")

	tests := []struct {
		name string
		op   func() error
	}{
		{"get dataset", func() error { _, err := s.GetDataset(ctx, b.ID, d.ID); return err }},
		{"update dataset", func() error { _, err := s.UpdateDataset(ctx, b.ID, d.ID, ptr("mine"), ptr("x")); return err }},
		{"update dataset with no change", func() error { _, err := s.UpdateDataset(ctx, b.ID, d.ID, nil, nil); return err }},
		{"delete dataset", func() error { return s.DeleteDataset(ctx, b.ID, d.ID, false) }},
		{"force delete dataset", func() error { return s.DeleteDataset(ctx, b.ID, d.ID, true) }},
		{"get source", func() error { _, err := s.GetSource(ctx, b.ID, src.ID); return err }},
		{"update source", func() error {
			evil := src
			evil.TenantID = b.ID
			evil.Status = StatusFailed
			evil.Bucket = "stolen"
			_, err := s.UpdateSource(ctx, evil)
			return err
		}},
		{"delete source", func() error { return s.DeleteSource(ctx, b.ID, src.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.name, tt.op(), ErrNotFound)
		})
	}

	gotD, err := s.GetDataset(ctx, a.ID, d.ID)
	if err != nil || !reflect.DeepEqual(gotD, d) {
		t.Errorf("A's dataset after B's attempts = %+v, %v; want %+v", gotD, err, d)
	}
	gotS, err := s.GetSource(ctx, a.ID, src.ID)
	if err != nil || gotS != src {
		t.Errorf("A's source after B's attempts = %+v, %v; want %+v", gotS, err, src)
	}
	for name, n := range map[string]func() (int, error){
		"datasets": func() (int, error) { l, err := s.ListDatasets(ctx, b.ID); return len(l), err },
		"sources":  func() (int, error) { l, err := s.ListSources(ctx, b.ID); return len(l), err },
	} {
		if got, err := n(); err != nil || got != 0 {
			t.Errorf("B lists %d %s (err %v); want none", got, name, err)
		}
	}
}
