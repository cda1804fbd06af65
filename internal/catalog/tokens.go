package catalog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"inlet/internal/meta"
)

// Token secrets are tokenPrefix followed by tokenRandLen base62 characters
// (about 238 bits of entropy).
const (
	tokenPrefix    = "inlet_"
	tokenRandLen   = 40
	tokenSecretLen = len(tokenPrefix) + tokenRandLen
	tokenShownLen  = 10 // characters of the secret kept as Token.Prefix
	base62         = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// CreateToken makes an API token for a tenant, or an admin token when
// tenantID is 0, and returns it with its secret. Only the secret's SHA-256
// is stored: the secret cannot be shown again. An unknown tenant is
// ErrNotFound.
func (s *Store) CreateToken(ctx context.Context, tenantID int64, name string) (Token, string, error) {
	name, err := checkName("name", name)
	if err != nil {
		return Token{}, "", fmt.Errorf("create token: %w", err)
	}
	if tenantID < 0 {
		return Token{}, "", fmt.Errorf("create token: tenant %d: %w", tenantID, ErrNotFound)
	}
	secret, err := newSecret()
	if err != nil {
		return Token{}, "", fmt.Errorf("create token: %w", err)
	}
	tok := Token{TenantID: tenantID, Name: name, Prefix: secret[:tokenShownLen]}
	ms, created := s.stamp()
	tok.CreatedAt = created
	err = s.db.Write(ctx, func(tx *meta.Tx) error {
		if tenantID != 0 {
			if err := tenantExists(tx, tenantID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(context.Background(),
			`INSERT INTO catalog_tokens (tenant_id, name, prefix, hash, created_at)
			 VALUES (?, ?, ?, ?, ?)`, tenantID, name, tok.Prefix, hashSecret(secret), ms)
		if err != nil {
			return err
		}
		tok.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Token{}, "", fmt.Errorf("create token: %w", err)
	}
	return tok, secret, nil
}

// Resolve returns the caller a token secret belongs to: the operator for an
// admin token, a tenant otherwise. A malformed or unknown secret is
// ErrUnauthorized. The lookup is by the secret's hash, so its time does not
// depend on how much of a guessed secret is right.
func (s *Store) Resolve(ctx context.Context, secret string) (Caller, error) {
	if !wellFormedSecret(secret) {
		return Caller{}, fmt.Errorf("resolve token: %w", ErrUnauthorized)
	}
	hash := hashSecret(secret)
	st, err := s.db.Prepared(ctx, "SELECT id, tenant_id, hash FROM catalog_tokens WHERE hash = ?")
	if err != nil {
		return Caller{}, fmt.Errorf("resolve token: %w", err)
	}
	var id, tenantID int64
	var stored string
	err = st.QueryRowContext(ctx, hash).Scan(&id, &tenantID, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return Caller{}, fmt.Errorf("resolve token: %w", ErrUnauthorized)
	}
	if err != nil {
		return Caller{}, fmt.Errorf("resolve token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) != 1 {
		return Caller{}, fmt.Errorf("resolve token: %w", ErrUnauthorized)
	}
	if tenantID == 0 {
		return Caller{Admin: true, TokenID: id}, nil
	}
	return Caller{TenantID: tenantID, TokenID: id}, nil
}

// EnsureAdminToken creates an admin token and writes its secret, followed
// by a newline, to path (mode 0600, its directory created 0700 if needed)
// when path does not exist yet. It reports whether it wrote the file; an
// existing file is left alone.
func (s *Store) EnsureAdminToken(ctx context.Context, path string) (bool, error) {
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("ensure admin token: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("ensure admin token: %w", err)
	}

	tok, secret, err := s.CreateToken(ctx, 0, "admin")
	if err != nil {
		return false, fmt.Errorf("ensure admin token: %w", err)
	}
	created, err := writeNewFile(path, []byte(secret+"\n"))
	if err != nil || !created {
		// Nobody holds this secret: drop the token.
		if derr := s.deleteToken(ctx, tok.ID); derr != nil {
			err = errors.Join(err, derr)
		}
		if err != nil {
			return false, fmt.Errorf("ensure admin token: %w", err)
		}
	}
	return created, nil
}

// writeNewFile durably writes data to a new file at path with mode 0600,
// all or nothing: it writes a temporary file beside it and links it into
// place, which fails if path appeared meanwhile (created is then false).
func writeNewFile(path string, data []byte) (created bool, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return false, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		return false, err
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return true, err
		}
	}
	return true, nil
}

func (s *Store) deleteToken(ctx context.Context, id int64) error {
	return s.db.Write(ctx, func(tx *meta.Tx) error {
		_, err := tx.ExecContext(context.Background(), "DELETE FROM catalog_tokens WHERE id = ?", id)
		return err
	})
}

// newSecret returns a fresh token secret. Each character is drawn without
// modulo bias by rejecting random bytes of 248 and above.
func newSecret() (string, error) {
	out := make([]byte, 0, tokenSecretLen)
	out = append(out, tokenPrefix...)
	buf := make([]byte, 64)
	for len(out) < tokenSecretLen {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("token secret: %w", err)
		}
		for _, b := range buf {
			if b >= 248 { // 248 = 4*62
				continue
			}
			out = append(out, base62[b%62])
			if len(out) == tokenSecretLen {
				break
			}
		}
	}
	return string(out), nil
}

// wellFormedSecret reports whether s could be a token secret.
func wellFormedSecret(s string) bool {
	if len(s) != tokenSecretLen || s[:len(tokenPrefix)] != tokenPrefix {
		return false
	}
	for i := len(tokenPrefix); i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
