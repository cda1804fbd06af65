package catalog

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestDatasets(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Globex")

	spec := validSpec("orders")
	spec.Fields[1].Validations = &Validations{Regex: "@", MaxLength: ptr(254)}
	d, err := s.CreateDataset(ctx, a.ID, spec)
	if err != nil {
		t.Fatalf("CreateDataset: %v", err)
	}
	if d.ID == 0 || d.TenantID != a.ID || d.File.Delimiter != "," || d.WriteMode != WriteAppend {
		t.Errorf("CreateDataset = %+v; want an id, the tenant and defaults filled in", d)
	}

	got, err := s.GetDataset(ctx, a.ID, d.ID)
	if err != nil {
		t.Fatalf("GetDataset: %v", err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("GetDataset =\n%+v\nwant\n%+v", got, d)
	}

	t.Run("name unique per tenant", func(t *testing.T) {
		_, err := s.CreateDataset(ctx, a.ID, validSpec("ORDERS"))
		wantErr(t, "same tenant", err, ErrConflict)
		if _, err := s.CreateDataset(ctx, b.ID, validSpec("orders")); err != nil {
			t.Errorf("same name in another tenant: %v", err)
		}
	})

	t.Run("invalid spec", func(t *testing.T) {
		bad := validSpec("x")
		bad.Fields[0].Type = "int"
		_, err := s.CreateDataset(ctx, a.ID, bad)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "fields[0].type" {
			t.Errorf("CreateDataset: error %v; want a ValidationError on fields[0].type", err)
		}
	})

	t.Run("unknown tenant", func(t *testing.T) {
		_, err := s.CreateDataset(ctx, 999, validSpec("x"))
		wantErr(t, "CreateDataset", err, ErrNotFound)
	})

	t.Run("update", func(t *testing.T) {
		tests := []struct {
			name     string
			newName  *string
			newDesc  *string
			wantName string
			wantDesc string
		}{
			{"nothing", nil, nil, "orders", ""},
			{"description", nil, ptr(" all orders "), "orders", "all orders"},
			{"name", ptr("orders_v2"), nil, "orders_v2", "all orders"},
			{"both", ptr("orders"), ptr(""), "orders", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.UpdateDataset(ctx, a.ID, d.ID, tt.newName, tt.newDesc)
				if err != nil {
					t.Fatalf("UpdateDataset: %v", err)
				}
				if got.Name != tt.wantName || got.Description != tt.wantDesc {
					t.Errorf("UpdateDataset = %q, %q; want %q, %q", got.Name, got.Description, tt.wantName, tt.wantDesc)
				}
				stored, err := s.GetDataset(ctx, a.ID, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(stored, got) {
					t.Errorf("GetDataset after update =\n%+v\nwant\n%+v", stored, got)
				}
				if !reflect.DeepEqual(stored.Fields, d.Fields) || stored.File != d.File {
					t.Error("UpdateDataset changed the schema or file configuration")
				}
			})
		}

		other := newDataset(t, s, a.ID, "customers")
		_, err := s.UpdateDataset(ctx, a.ID, other.ID, ptr("Orders"), nil)
		wantErr(t, "rename onto a taken name", err, ErrConflict)

		_, err = s.UpdateDataset(ctx, a.ID, other.ID, ptr(""), nil)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "name" {
			t.Errorf("rename to empty: error %v; want a ValidationError on name", err)
		}
	})

	t.Run("list", func(t *testing.T) {
		list, err := s.ListDatasets(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range list {
			if d.TenantID != a.ID {
				t.Errorf("ListDatasets(a) returned tenant %d's dataset %d", d.TenantID, d.ID)
			}
			names = append(names, d.Name)
		}
		if want := []string{"orders", "customers"}; !reflect.DeepEqual(names, want) {
			t.Errorf("ListDatasets names = %q; want %q", names, want)
		}
		empty, err := s.ListDatasets(ctx, 999)
		if err != nil || empty == nil || len(empty) != 0 {
			t.Errorf("ListDatasets(999) = %v, %v; want an empty list", empty, err)
		}
	})
}

func TestDatasetDelete(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Globex")

	d1 := newDataset(t, s, a.ID, "one")
	d2 := newDataset(t, s, a.ID, "two")
	src := newSource(t, s, a.ID, "res-a", "bucket-a")
	newSource(t, s, b.ID, "res-b", "bucket-b") // another tenant's source does not block

	err := s.DeleteDataset(ctx, a.ID, d1.ID, false)
	wantErr(t, "delete with a source in use", err, ErrConflict)
	if _, err := s.GetDataset(ctx, a.ID, d1.ID); err != nil {
		t.Errorf("dataset gone after a refused delete: %v", err)
	}

	if err := s.DeleteDataset(ctx, a.ID, d1.ID, true); err != nil {
		t.Fatalf("forced delete: %v", err)
	}
	_, err = s.GetDataset(ctx, a.ID, d1.ID)
	wantErr(t, "GetDataset after delete", err, ErrNotFound)
	err = s.DeleteDataset(ctx, a.ID, d1.ID, true)
	wantErr(t, "delete twice", err, ErrNotFound)

	src.Status = StatusDeleting
	if _, err := s.UpdateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataset(ctx, a.ID, d2.ID, false); err != nil {
		t.Errorf("delete while the only source is being deleted: %v", err)
	}

	// A dataset's name is free again once it is deleted.
	newDataset(t, s, a.ID, "one")
}
