package catalog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"inlet/internal/meta"
)

// prodArgonMemory is the memory cost of production hashes, before
// TestMain lowers it.
var prodArgonMemory uint32

func TestMain(m *testing.M) {
	// Production hashes cost 64 MiB each; tests only need the format.
	prodArgonMemory = argonParams.memory
	argonParams.memory = 64
	os.Exit(m.Run())
}

// openStore returns a store on a fresh metadata database.
func openStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"), nil)
	if err != nil {
		t.Fatalf("meta.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func newTenant(t *testing.T, s *Store, name string) Tenant {
	t.Helper()
	tn, err := s.CreateTenant(context.Background(), name)
	if err != nil {
		t.Fatalf("CreateTenant(%q): %v", name, err)
	}
	return tn
}

// validSpec returns a spec that passes validation.
func validSpec(name string) DatasetSpec {
	return DatasetSpec{
		Name: name,
		Fields: []Field{
			{Name: "id", Type: TypeLong, Required: true},
			{Name: "email", Type: TypeString},
		},
		File: FileConfig{Format: FormatCSV, Header: true},
	}
}

func newDataset(t *testing.T, s *Store, tenantID int64, name string) Dataset {
	t.Helper()
	d, err := s.CreateDataset(context.Background(), tenantID, validSpec(name))
	if err != nil {
		t.Fatalf("CreateDataset(%q): %v", name, err)
	}
	return d
}

func testSource(tenantID int64, resourceID, bucket string) Source {
	return Source{
		TenantID:     tenantID,
		Type:         SourceManagedS3Bucket,
		AWSAccountID: "123456789012",
		ResourceID:   resourceID,
		AccessType:   AccessIAMRole,
		ExternalID:   "ext-1",
		Bucket:       bucket,
		RoleName:     "role-" + resourceID,
		Region:       "us-east-1",
	}
}

func newSource(t *testing.T, s *Store, tenantID int64, resourceID, bucket string) Source {
	t.Helper()
	src, err := s.CreateSource(context.Background(), testSource(tenantID, resourceID, bucket))
	if err != nil {
		t.Fatalf("CreateSource(%q): %v", resourceID, err)
	}
	return src
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v; want %v", what, err, want)
	}
}

func TestOpenTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	db, err := meta.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := s.CreateTenant(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = meta.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err = Open(ctx, db)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	got, err := s.GetTenant(ctx, tn.ID)
	if err != nil {
		t.Fatalf("GetTenant after reopen: %v", err)
	}
	if got != tn {
		t.Errorf("GetTenant = %+v; want %+v", got, tn)
	}
}

func TestTenants(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a := newTenant(t, s, "  Acme ")
	if a.Name != "Acme" {
		t.Errorf("name = %q; want trimmed %q", a.Name, "Acme")
	}
	b := newTenant(t, s, "Globex")

	_, err := s.CreateTenant(ctx, "ACME")
	wantErr(t, "duplicate tenant", err, ErrConflict)
	_, err = s.CreateTenant(ctx, " ")
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "name" {
		t.Errorf("empty tenant name: error %v; want a ValidationError on name", err)
	}

	got, err := s.ListTenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("ListTenants = %+v; want [%+v %+v]", got, a, b)
	}
	_, err = s.GetTenant(ctx, 999)
	wantErr(t, "GetTenant(999)", err, ErrNotFound)
}
