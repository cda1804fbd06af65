package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestUsers(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Globex")

	u, err := s.CreateUser(ctx, a.ID, " Alice@Example.COM ", "correct horse battery")
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if got, want := u.Email, "alice@example.com"; got != want {
		t.Errorf("email = %q; want %q", got, want)
	}
	if u.TenantID != a.ID || u.ID == 0 {
		t.Errorf("user = %+v; want an id and tenant %d", u, a.ID)
	}

	var stored string
	if err := s.db.SQL().QueryRowContext(ctx,
		"SELECT password_hash FROM catalog_users WHERE id = ?", u.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=") || strings.Contains(stored, "battery") {
		t.Errorf("stored hash %q; want an encoded argon2id hash", stored)
	}

	t.Run("authenticate", func(t *testing.T) {
		tests := []struct {
			name     string
			email    string
			password string
			wantErr  error
		}{
			{"right password", "alice@example.com", "correct horse battery", nil},
			{"email in other case", "ALICE@example.com", "correct horse battery", nil},
			{"wrong password", "alice@example.com", "correct horse battery!", ErrUnauthorized},
			{"empty password", "alice@example.com", "", ErrUnauthorized},
			{"unknown email", "bob@example.com", "correct horse battery", ErrUnauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.AuthenticateUser(ctx, tt.email, tt.password)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("AuthenticateUser: error %v; want %v", err, tt.wantErr)
				}
				if tt.wantErr == nil && got != u {
					t.Errorf("AuthenticateUser = %+v; want %+v", got, u)
				}
			})
		}
	})

	t.Run("email unique across tenants", func(t *testing.T) {
		_, err := s.CreateUser(ctx, b.ID, "alice@EXAMPLE.com", "another long password")
		wantErr(t, "CreateUser", err, ErrConflict)
	})

	t.Run("unknown tenant", func(t *testing.T) {
		_, err := s.CreateUser(ctx, 999, "carol@example.com", "another long password")
		wantErr(t, "CreateUser", err, ErrNotFound)
	})

	t.Run("validation", func(t *testing.T) {
		tests := []struct {
			name      string
			email     string
			password  string
			wantField string
			wantMsg   string
		}{
			{"short password", "dave@example.com", "elevenchars", "password", "at least 12"},
			{"short password in runes", "dave@example.com", "ééééééééééé", "password", "at least 12"},
			{"long password", "dave@example.com", strings.Repeat("x", 1025), "password", "at most 1024"},
			{"empty email", "", "a long enough password", "email", "required"},
			{"no at", "dave.example.com", "a long enough password", "email", "name@example.com"},
			{"two ats", "dave@x@example.com", "a long enough password", "email", "name@example.com"},
			{"no local part", "@example.com", "a long enough password", "email", "name@example.com"},
			{"no dot in domain", "dave@localhost", "a long enough password", "email", "dot"},
			{"space", "da ve@example.com", "a long enough password", "email", "spaces"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.CreateUser(ctx, a.ID, tt.email, tt.password)
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("CreateUser: error %v; want a ValidationError", err)
				}
				if got, want := ve.Field, tt.wantField; got != want {
					t.Errorf("field = %q; want %q", got, want)
				}
				if !strings.Contains(ve.Message, tt.wantMsg) {
					t.Errorf("message %q does not name the rule %q", ve.Message, tt.wantMsg)
				}
			})
		}
	})
}

func TestPasswordHash(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	h1, err := s.hashPassword(ctx, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	h2, err := s.hashPassword(ctx, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal; want distinct salts")
	}
	for _, tt := range []struct {
		name     string
		hash     string
		password string
		want     bool
		wantErr  bool
	}{
		{"right", h1, "a long enough password", true, false},
		{"wrong", h1, "a long enough passwore", false, false},
		{"other salt", h2, "a long enough password", true, false},
		{"not argon2id", strings.Replace(h1, "argon2id", "argon2i", 1), "a long enough password", false, true},
		{"bad params", strings.Replace(h1, "m=", "x=", 1), "a long enough password", false, true},
		{"truncated", h1[:20], "a long enough password", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.verifyPassword(ctx, tt.hash, tt.password)
			if (err != nil) != tt.wantErr {
				t.Fatalf("verifyPassword: error %v; want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("verifyPassword = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestArgonProductionParams(t *testing.T) {
	got := [3]uint32{prodArgonMemory, argonParams.time, uint32(argonParams.threads)}
	want := [3]uint32{64 * 1024, 1, 2}
	if got != want {
		t.Errorf("argon2id memory KiB, time, threads = %v; want %v", got, want)
	}
}
