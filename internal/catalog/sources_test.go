package catalog

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestSources(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Globex")

	in := testSource(a.ID, "res-1", "inlet-acme-1")
	in.Status = StatusActive // ignored: new sources start provisioning
	src, err := s.CreateSource(ctx, in)
	if err != nil {
		t.Fatalf("CreateSource: %v", err)
	}
	if src.ID == 0 || src.Status != StatusProvisioning || src.CreatedAt.IsZero() {
		t.Errorf("CreateSource = %+v; want an id, status provisioning and times", src)
	}
	got, err := s.GetSource(ctx, a.ID, src.ID)
	if err != nil {
		t.Fatalf("GetSource: %v", err)
	}
	if got != src {
		t.Errorf("GetSource =\n%+v\nwant\n%+v", got, src)
	}

	t.Run("conflicts", func(t *testing.T) {
		tests := []struct {
			name string
			src  Source
		}{
			{"same resource id, same tenant", testSource(a.ID, "res-1", "other-bucket-1")},
			{"same bucket", testSource(b.ID, "res-2", "inlet-acme-1")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.CreateSource(ctx, tt.src)
				wantErr(t, "CreateSource", err, ErrConflict)
			})
		}
		// Resource ids are the tenant's own: another tenant may use one.
		if _, err := s.CreateSource(ctx, testSource(b.ID, "res-1", "other-bucket-2")); err != nil {
			t.Errorf("CreateSource with another tenant's resource id: %v", err)
		}
	})

	t.Run("validation", func(t *testing.T) {
		tests := []struct {
			name      string
			edit      func(*Source)
			wantField string
		}{
			{"type", func(s *Source) { s.Type = "sftp" }, "type"},
			{"account id", func(s *Source) { s.AWSAccountID = "12345" }, "aws_account_id"},
			{"resource id", func(s *Source) { s.ResourceID = "" }, "resource_id"},
			{"access type", func(s *Source) { s.AccessType = "public" }, "access_type"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := testSource(a.ID, "res-v", "bucket-v")
				tt.edit(&in)
				_, err := s.CreateSource(ctx, in)
				var ve *ValidationError
				if !errors.As(err, &ve) || ve.Field != tt.wantField {
					t.Errorf("CreateSource: error %v; want a ValidationError on %s", err, tt.wantField)
				}
			})
		}
		_, err := s.CreateSource(ctx, testSource(999, "res-x", "bucket-x"))
		wantErr(t, "unknown tenant", err, ErrNotFound)
	})

	t.Run("update", func(t *testing.T) {
		up := src
		up.Status = StatusActive
		up.RoleARN = "arn:aws:iam::123456789012:role/r"
		up.Endpoint = "https://cloud.example.com"
		up.AWSAccountID = "999999999999" // not updatable
		got, err := s.UpdateSource(ctx, up)
		if err != nil {
			t.Fatalf("UpdateSource: %v", err)
		}
		want := src
		want.Status, want.RoleARN, want.Endpoint = up.Status, up.RoleARN, up.Endpoint
		want.UpdatedAt = got.UpdatedAt
		if got != want {
			t.Errorf("UpdateSource =\n%+v\nwant\n%+v", got, want)
		}
		stored, err := s.GetSource(ctx, a.ID, src.ID)
		if err != nil || stored != got {
			t.Errorf("GetSource after update = %+v, %v; want %+v", stored, err, got)
		}

		bad := got
		bad.Status = "broken"
		_, err = s.UpdateSource(ctx, bad)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "status" {
			t.Errorf("UpdateSource with unknown status: error %v; want a ValidationError on status", err)
		}

		other := newSource(t, s, b.ID, "res-b", "inlet-globex-1")
		other.Bucket = "inlet-acme-1"
		_, err = s.UpdateSource(ctx, other)
		wantErr(t, "UpdateSource onto a taken bucket", err, ErrConflict)
	})

	t.Run("by bucket", func(t *testing.T) {
		got, err := s.SourceByBucket(ctx, "inlet-globex-1")
		if err != nil {
			t.Fatalf("SourceByBucket: %v", err)
		}
		if got.TenantID != b.ID || got.ResourceID != "res-b" {
			t.Errorf("SourceByBucket = %+v; want res-b of tenant %d", got, b.ID)
		}
		for _, bucket := range []string{"nope", ""} {
			_, err := s.SourceByBucket(ctx, bucket)
			wantErr(t, "SourceByBucket("+bucket+")", err, ErrNotFound)
		}
	})

	t.Run("empty buckets do not collide", func(t *testing.T) {
		newSource(t, s, a.ID, "res-e1", "")
		newSource(t, s, a.ID, "res-e2", "")
	})

	t.Run("list and delete", func(t *testing.T) {
		list, err := s.ListSources(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, src := range list {
			ids = append(ids, src.ResourceID)
		}
		if want := []string{"res-1", "res-e1", "res-e2"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("ListSources resource ids = %q; want %q", ids, want)
		}

		if err := s.DeleteSource(ctx, a.ID, src.ID); err != nil {
			t.Fatalf("DeleteSource: %v", err)
		}
		_, err = s.GetSource(ctx, a.ID, src.ID)
		wantErr(t, "GetSource after delete", err, ErrNotFound)
		err = s.DeleteSource(ctx, a.ID, src.ID)
		wantErr(t, "DeleteSource twice", err, ErrNotFound)
		_, err = s.SourceByBucket(ctx, "inlet-acme-1")
		wantErr(t, "SourceByBucket after delete", err, ErrNotFound)

		// The resource id and bucket are free again.
		newSource(t, s, a.ID, "res-1", "inlet-acme-1")
	})
}
