package identity

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"inlet/internal/meta"
	"inlet/internal/sigv4"
)

func newStore(t testing.TB) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(dir, "meta.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, err := LoadMasterKey(filepath.Join(dir, "master.key"), "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, db, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// Ensure the database file alone reveals no secret access key.
func TestSecretsSealedAtRest(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	_, k, err := s.CreateAccount(ctx, "partner", "2222-2222-2222")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "222222222222", "writer", ""); err != nil {
		t.Fatal(err)
	}
	uk, err := s.CreateAccessKey(ctx, "222222222222", "writer")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{k.Secret.Reveal(), uk.Secret.Reveal()} {
		for _, name := range []string{"meta.db", "meta.db-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s contains a secret access key in clear", name)
			}
		}
		got, err := s.SecretKey(ctx, keyIDFor(t, s, secret, k, uk))
		if err != nil || got != secret {
			t.Errorf("SecretKey = %q, %v; want the secret", got, err)
		}
	}
	info, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("master.key mode = %o; want 600", got)
	}
}

func keyIDFor(t *testing.T, s *Store, secret string, keys ...AccessKey) string {
	t.Helper()
	for _, k := range keys {
		if k.Secret.Reveal() == secret {
			return k.ID
		}
	}
	t.Fatal("no key for secret")
	return ""
}

func TestSecretRedactedInLogs(t *testing.T) {
	s := Secret("abc")
	if got := s.String(); strings.Contains(got, "abc") {
		t.Errorf("Secret.String() = %q reveals the secret", got)
	}
	if got := s.LogValue().String(); strings.Contains(got, "abc") {
		t.Errorf("Secret.LogValue() = %q reveals the secret", got)
	}
}

func TestWrongMasterKey(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := meta.Open(ctx, filepath.Join(dir, "meta.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s1, err := Open(ctx, db, bytes.Repeat([]byte{1}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, k, err := s1.CreateAccount(ctx, "p", "")
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, db, bytes.Repeat([]byte{2}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.SecretKey(ctx, k.ID); err == nil {
		t.Error("a secret opened under another master key")
	}
}

func TestAccessKeyLifecycle(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a, _, err := s.CreateAccount(ctx, "p", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, a.ID, "u", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, a.ID, "U", ""); !errors.Is(err, ErrEntityExists) {
		t.Errorf("CreateUser(U) after u: %v; want ErrEntityExists (names are case-insensitive)", err)
	}
	k1, err := s.CreateAccessKey(ctx, a.ID, "u")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccessKey(ctx, a.ID, "u"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccessKey(ctx, a.ID, "u"); !errors.Is(err, ErrLimitExceeded) {
		t.Errorf("third key: %v; want ErrLimitExceeded", err)
	}
	p, err := s.Authenticate(ctx, k1.ID, "")
	if err != nil || p.ARN != "arn:aws:iam::"+a.ID+":user/u" || !strings.HasPrefix(p.UserID, "AIDA") {
		t.Errorf("Authenticate = %+v, %v", p, err)
	}
	if _, err := s.SecretKey(ctx, k1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAccessKey(ctx, a.ID, "u", k1.ID, "Inactive"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SecretKey(ctx, k1.ID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("inactive key: %v; want ErrUnknownKey", err)
	}
	if err := s.DeleteUser(ctx, a.ID, "u"); !errors.Is(err, ErrDeleteConflict) {
		t.Errorf("DeleteUser with keys: %v; want ErrDeleteConflict", err)
	}
	ks, _ := s.ListAccessKeys(ctx, a.ID, "u")
	for _, k := range ks {
		if err := s.DeleteAccessKey(ctx, a.ID, "u", k.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUser(ctx, a.ID, "u"); err != nil {
		t.Errorf("DeleteUser: %v", err)
	}
	if _, err := s.SecretKey(ctx, k1.ID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Errorf("deleted key: %v; want ErrUnknownKey", err)
	}
}

func TestSessions(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a, _, err := s.CreateAccount(ctx, "platform", "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.CreateRole(ctx, Role{AccountID: a.ID, Name: "inlet-partner-writer", TrustPolicy: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.IssueSession(SessionSpec{AccountID: a.ID, Role: &r, SessionName: "s1", Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sess.AccessKeyID, "ASIA") {
		t.Errorf("session key %s; want ASIA…", sess.AccessKeyID)
	}
	secret, err := s.SecretKey(ctx, sess.AccessKeyID)
	if err != nil || secret != sess.Secret.Reveal() {
		t.Errorf("SecretKey(session) = %v; want the session secret", err)
	}
	p, err := s.Authenticate(ctx, sess.AccessKeyID, sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::111111111111:assumed-role/inlet-partner-writer/s1"; p.ARN != want {
		t.Errorf("ARN = %s; want %s", p.ARN, want)
	}
	if p.RoleARN != r.ARN() || p.UserID != r.ID+":s1" {
		t.Errorf("principal = %+v", p)
	}

	tests := []struct {
		name  string
		key   string
		token string
		want  error
	}{
		{"no token", sess.AccessKeyID, "", ErrInvalidToken},
		{"garbage token", sess.AccessKeyID, "bm90IGEgdG9rZW4=", ErrInvalidToken},
		{"token of another key", "ASIAAAAAAAAAAAAAAAAA", sess.Token, ErrInvalidToken},
		{"token with a long-term key", "AKIAAAAAAAAAAAAAAAAA", sess.Token, ErrInvalidToken},
	}
	for _, tt := range tests {
		if _, err := s.Authenticate(ctx, tt.key, tt.token); !errors.Is(err, tt.want) {
			t.Errorf("%s: Authenticate err = %v; want %v", tt.name, err, tt.want)
		}
	}

	short, err := s.IssueSession(SessionSpec{AccountID: a.ID, Role: &r, SessionName: "s2", Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := s.Authenticate(ctx, short.AccessKeyID, short.Token); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("expired session: %v; want ErrExpiredToken", err)
	}
}

// A cached principal must follow IAM changes: a deleted key is unknown, a
// user deleted and created again under the same name has its new id.
func TestPrincipalForFollowsChanges(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, _, err := s.CreateAccount(ctx, "partner", "2222-2222-2222"); err != nil {
		t.Fatal(err)
	}
	u1, err := s.CreateUser(ctx, "222222222222", "writer", "")
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.CreateAccessKey(ctx, "222222222222", "writer")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		p, err := s.PrincipalFor(ctx, k.ID)
		if err != nil || p.UserID != u1.ID {
			t.Fatalf("PrincipalFor = %+v, %v; want user id %s", p, err, u1.ID)
		}
	}
	if err := s.DeleteAccessKey(ctx, "222222222222", "writer", k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PrincipalFor(ctx, k.ID); !errors.Is(err, sigv4.ErrUnknownKey) {
		t.Fatalf("PrincipalFor(deleted key) error = %v; want ErrUnknownKey", err)
	}
	if err := s.DeleteUser(ctx, "222222222222", "writer"); err != nil {
		t.Fatal(err)
	}
	u2, err := s.CreateUser(ctx, "222222222222", "writer", "")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := s.CreateAccessKey(ctx, "222222222222", "writer")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.PrincipalFor(ctx, k2.ID); err != nil || p.UserID != u2.ID {
		t.Fatalf("PrincipalFor = %+v, %v; want user id %s", p, err, u2.ID)
	}
}

func BenchmarkPrincipalForUser(b *testing.B) {
	s, _ := newStore(b)
	ctx := context.Background()
	if _, _, err := s.CreateAccount(ctx, "partner", "2222-2222-2222"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "222222222222", "writer", ""); err != nil {
		b.Fatal(err)
	}
	k, err := s.CreateAccessKey(ctx, "222222222222", "writer")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.PrincipalFor(ctx, k.ID); err != nil {
			b.Fatal(err)
		}
	}
}
