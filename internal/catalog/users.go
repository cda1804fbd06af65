package catalog

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"inlet/internal/meta"
)

// Limits on names and passwords.
const (
	maxNameLen        = 128
	minPasswordLen    = 12
	maxPasswordLen    = 1024
	maxEmailLen       = 254
	argonSaltLen      = 16
	argonKeyLen       = 32
	argonVersionField = "v=19"
)

// argonParams are the argon2id costs of new password hashes. Stored hashes
// carry their own parameters, so changing these only affects new ones.
// Tests lower the memory cost to stay fast.
var argonParams = struct {
	time    uint32
	memory  uint32 // KiB
	threads uint8
}{time: 1, memory: 64 * 1024, threads: 2}

// CreateTenant stores a new tenant. Names are unique, ignoring case.
func (s *Store) CreateTenant(ctx context.Context, name string) (Tenant, error) {
	name, err := checkName("name", name)
	if err != nil {
		return Tenant{}, fmt.Errorf("create tenant: %w", err)
	}
	ms, created := s.stamp()
	var id int64
	err = s.db.Write(ctx, func(tx *meta.Tx) error {
		res, err := tx.ExecContext(context.Background(),
			"INSERT INTO catalog_tenants (name, created_at) VALUES (?, ?)", name, ms)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		if isUniqueViolation(err) {
			return Tenant{}, fmt.Errorf("create tenant: name %q is taken: %w", name, ErrConflict)
		}
		return Tenant{}, fmt.Errorf("create tenant: %w", err)
	}
	return Tenant{ID: id, Name: name, CreatedAt: created}, nil
}

// ListTenants returns all tenants, oldest first.
func (s *Store) ListTenants(ctx context.Context) ([]Tenant, error) {
	rows, err := s.db.SQL().QueryContext(ctx,
		"SELECT id, name, created_at FROM catalog_tenants ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	tenants := []Tenant{}
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		tenants = append(tenants, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return tenants, nil
}

// GetTenant returns a tenant, or ErrNotFound.
func (s *Store) GetTenant(ctx context.Context, id int64) (Tenant, error) {
	t, err := scanTenant(s.db.SQL().QueryRowContext(ctx,
		"SELECT id, name, created_at FROM catalog_tenants WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, fmt.Errorf("get tenant %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("get tenant %d: %w", id, err)
	}
	return t, nil
}

func scanTenant(r scanner) (Tenant, error) {
	var t Tenant
	var created int64
	if err := r.Scan(&t.ID, &t.Name, &created); err != nil {
		return Tenant{}, err
	}
	t.CreatedAt = fromMillis(created)
	return t, nil
}

// tenantExists is the check, inside a write, that tenantID names a tenant.
func tenantExists(tx *meta.Tx, tenantID int64) error {
	var n int
	err := tx.QueryRowContext(context.Background(),
		"SELECT count(*) FROM catalog_tenants WHERE id = ?", tenantID).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("tenant %d: %w", tenantID, ErrNotFound)
	}
	return nil
}

// CreateUser stores a user of a tenant with an argon2id hash of the
// password. The email is lower-cased and must be unused by every tenant
// (ErrConflict); an unknown tenant is ErrNotFound.
func (s *Store) CreateUser(ctx context.Context, tenantID int64, email, password string) (User, error) {
	email, err := checkEmail(email)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if err := checkPassword(password); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	ms, created := s.stamp()
	var id int64
	err = s.db.Write(ctx, func(tx *meta.Tx) error {
		if err := tenantExists(tx, tenantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(context.Background(),
			`INSERT INTO catalog_users (tenant_id, email, password_hash, created_at)
			 VALUES (?, ?, ?, ?)`, tenantID, email, hash, ms)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		if isUniqueViolation(err) {
			return User{}, fmt.Errorf("create user: email is taken: %w", ErrConflict)
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return User{ID: id, TenantID: tenantID, Email: email, CreatedAt: created}, nil
}

// AuthenticateUser returns the user with this email when the password is
// right, and ErrUnauthorized otherwise (also for an unknown email, which
// costs the same hashing time as a known one).
func (s *Store) AuthenticateUser(ctx context.Context, email, password string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(password) > maxPasswordLen*utf8.UTFMax {
		return User{}, fmt.Errorf("authenticate user: %w", ErrUnauthorized)
	}
	var u User
	var hash string
	var created int64
	err := s.db.SQL().QueryRowContext(ctx,
		"SELECT id, tenant_id, email, password_hash, created_at FROM catalog_users WHERE email = ?",
		email).Scan(&u.ID, &u.TenantID, &u.Email, &hash, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Spend the time a real check takes, so that response times do
		// not tell which emails exist.
		if _, err := s.hashPassword(ctx, password); err != nil {
			return User{}, fmt.Errorf("authenticate user: %w", err)
		}
		return User{}, fmt.Errorf("authenticate user: %w", ErrUnauthorized)
	case err != nil:
		return User{}, fmt.Errorf("authenticate user: %w", err)
	}
	ok, err := s.verifyPassword(ctx, hash, password)
	if err != nil {
		return User{}, fmt.Errorf("authenticate user: %w", err)
	}
	if !ok {
		return User{}, fmt.Errorf("authenticate user: %w", ErrUnauthorized)
	}
	u.CreatedAt = fromMillis(created)
	return u, nil
}

// hashPassword returns the encoded argon2id hash of password with a fresh
// salt: $argon2id$v=19$m=MEMORY,t=TIME,p=THREADS$SALT$KEY, with salt and
// key in unpadded standard base64.
func (s *Store) hashPassword(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	p := argonParams
	if err := s.acquireHash(ctx); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, argonKeyLen)
	s.releaseHash()
	return fmt.Sprintf("$argon2id$%s$m=%d,t=%d,p=%d$%s$%s", argonVersionField,
		p.memory, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key)), nil
}

// verifyPassword checks password against an encoded hash.
func (s *Store) verifyPassword(ctx context.Context, encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != argonVersionField {
		return false, errors.New("verify password: unrecognised hash format")
	}
	var memory, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &iters, &threads); err != nil {
		return false, fmt.Errorf("verify password: hash parameters: %w", err)
	}
	if memory == 0 || iters == 0 || threads == 0 {
		return false, errors.New("verify password: hash parameters out of range")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("verify password: salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errors.New("verify password: malformed key")
	}
	if err := s.acquireHash(ctx); err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, iters, memory, threads, uint32(len(want)))
	s.releaseHash()
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func (s *Store) acquireHash(ctx context.Context) error {
	select {
	case s.hashSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) releaseHash() { <-s.hashSem }

// checkPassword applies the password policy.
func checkPassword(password string) error {
	n := utf8.RuneCountInString(password)
	if n < minPasswordLen {
		return &ValidationError{Field: "password",
			Message: fmt.Sprintf("too short: at least %d characters required", minPasswordLen)}
	}
	if n > maxPasswordLen {
		return &ValidationError{Field: "password",
			Message: fmt.Sprintf("too long: at most %d characters allowed", maxPasswordLen)}
	}
	return nil
}

// checkEmail returns the lower-cased email when it has the shape
// local@domain.tld, without spaces or control characters.
func checkEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	bad := func(msg string) (string, error) {
		return "", &ValidationError{Field: "email", Message: msg}
	}
	if email == "" {
		return bad("required")
	}
	if len(email) > maxEmailLen {
		return bad(fmt.Sprintf("too long: at most %d characters allowed", maxEmailLen))
	}
	if strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return bad("invalid email address: contains spaces or control characters")
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return bad("invalid email address: want the form name@example.com")
	}
	dot := strings.LastIndexByte(domain, '.')
	if dot <= 0 || dot == len(domain)-1 || strings.HasPrefix(domain, ".") || strings.Contains(domain, "..") {
		return bad("invalid email address: the domain needs a dot, as in example.com")
	}
	return email, nil
}

// checkName trims a display name and checks it has 1 to 128 characters and
// no control characters.
func checkName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", &ValidationError{Field: field, Message: "required"}
	}
	if n := utf8.RuneCountInString(name); n > maxNameLen {
		return "", &ValidationError{Field: field,
			Message: fmt.Sprintf("too long: %d characters, at most %d allowed", n, maxNameLen)}
	}
	if !utf8.ValidString(name) {
		return "", &ValidationError{Field: field, Message: "not valid UTF-8"}
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", &ValidationError{Field: field, Message: "must not contain control characters"}
	}
	return name, nil
}
