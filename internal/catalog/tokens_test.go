package catalog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a := newTenant(t, s, "Acme")

	tok, secret, err := s.CreateToken(ctx, a.ID, "ci")
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if !wellFormedSecret(secret) || !strings.HasPrefix(secret, "inlet_") || len(secret) != 46 {
		t.Errorf("secret %q; want inlet_ and 40 base62 characters", secret)
	}
	if got, want := tok.Prefix, secret[:10]; got != want {
		t.Errorf("prefix = %q; want %q", got, want)
	}
	if tok.TenantID != a.ID || tok.Name != "ci" || tok.ID == 0 {
		t.Errorf("token = %+v", tok)
	}

	var stored string
	if err := s.db.SQL().QueryRowContext(ctx,
		"SELECT hash FROM catalog_tokens WHERE id = ?", tok.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if got, want := stored, hashSecret(secret); got != want || strings.Contains(stored, secret[6:]) {
		t.Errorf("stored hash %q; want the sha256 %q, not the secret", got, want)
	}

	admin, adminSecret, err := s.CreateToken(ctx, 0, "operator")
	if err != nil {
		t.Fatalf("CreateToken admin: %v", err)
	}
	if adminSecret == secret {
		t.Fatal("two tokens share a secret")
	}

	flipped := []byte(secret) // well formed, one character off
	if flipped[len(flipped)-1] == 'A' {
		flipped[len(flipped)-1] = 'B'
	} else {
		flipped[len(flipped)-1] = 'A'
	}

	tests := []struct {
		name    string
		secret  string
		want    Caller
		wantErr error
	}{
		{"tenant token", secret, Caller{TenantID: a.ID, TokenID: tok.ID}, nil},
		{"admin token", adminSecret, Caller{Admin: true, TokenID: admin.ID}, nil},
		{"last character changed", string(flipped), Caller{}, ErrUnauthorized},
		{"unknown", "inlet_" + strings.Repeat("A", 40), Caller{}, ErrUnauthorized},
		{"empty", "", Caller{}, ErrUnauthorized},
		{"wrong prefix", "inlex_" + secret[6:], Caller{}, ErrUnauthorized},
		{"too long", secret + "0", Caller{}, ErrUnauthorized},
		{"not base62", secret[:45] + "-", Caller{}, ErrUnauthorized},
		{"the hash itself", hashSecret(secret), Caller{}, ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Resolve(ctx, tt.secret)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Resolve: error %v; want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Resolve = %+v; want %+v", got, tt.want)
			}
		})
	}

	t.Run("unknown tenant", func(t *testing.T) {
		_, _, err := s.CreateToken(ctx, 999, "x")
		wantErr(t, "CreateToken", err, ErrNotFound)
	})
	t.Run("empty name", func(t *testing.T) {
		_, _, err := s.CreateToken(ctx, a.ID, "")
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "name" {
			t.Errorf("CreateToken: error %v; want a ValidationError on name", err)
		}
	})
}

func TestNewSecretAlphabet(t *testing.T) {
	seen := map[byte]bool{}
	for range 200 {
		s, err := newSecret()
		if err != nil {
			t.Fatal(err)
		}
		if !wellFormedSecret(s) {
			t.Fatalf("newSecret = %q; not well formed", s)
		}
		for i := 6; i < len(s); i++ {
			seen[s[i]] = true
		}
	}
	if got, want := len(seen), 62; got != want {
		t.Errorf("200 secrets used %d distinct characters; want %d", got, want)
	}
}

func TestEnsureAdminToken(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state", "secrets")
	path := filepath.Join(dir, "admin-token")

	created, err := s.EnsureAdminToken(ctx, path)
	if err != nil {
		t.Fatalf("EnsureAdminToken: %v", err)
	}
	if !created {
		t.Fatal("EnsureAdminToken = false on a missing file; want true")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("file mode = %v; want %v", got, want)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := di.Mode().Perm(), os.FileMode(0o700); got != want {
		t.Errorf("dir mode = %v; want %v", got, want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(data), "\n") {
		t.Errorf("file %q does not end in a newline", data)
	}
	caller, err := s.Resolve(ctx, strings.TrimSuffix(string(data), "\n"))
	if err != nil {
		t.Fatalf("Resolve of the written secret: %v", err)
	}
	if !caller.Admin || caller.TenantID != 0 {
		t.Errorf("caller = %+v; want the admin", caller)
	}

	// Idempotent: the file and the token stay as they are.
	created, err = s.EnsureAdminToken(ctx, path)
	if err != nil {
		t.Fatalf("second EnsureAdminToken: %v", err)
	}
	if created {
		t.Error("second EnsureAdminToken = true; want false")
	}
	again, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Error("second EnsureAdminToken changed the file")
	}
	var n int
	if err := s.db.SQL().QueryRowContext(ctx,
		"SELECT count(*) FROM catalog_tokens WHERE tenant_id = 0").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d admin tokens; want 1", n)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries; want only the token file", len(entries))
	}
}

func TestWriteNewFileExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	created, err := writeNewFile(path, []byte("new"))
	if err != nil || created {
		t.Fatalf("writeNewFile over an existing file = %v, %v; want false, nil", created, err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "old" {
		t.Errorf("file = %q; want it untouched", data)
	}
}
