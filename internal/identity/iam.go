package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// IAM errors. The IAM front maps them to NoSuchEntity, EntityAlreadyExists,
// DeleteConflict, LimitExceeded and ValidationError.
var (
	ErrNoSuchEntity   = errors.New("identity: no such entity")
	ErrEntityExists   = errors.New("identity: entity already exists")
	ErrDeleteConflict = errors.New("identity: entity has attached keys or policies")
	ErrLimitExceeded  = errors.New("identity: limit exceeded")
	ErrValidation     = errors.New("identity: invalid value")
)

// User is an IAM user.
type User struct {
	AccountID string
	Name      string
	ID        string // AIDA...
	Path      string
	CreatedAt time.Time
}

// ARN is the user's ARN.
func (u User) ARN() string {
	return "arn:aws:iam::" + u.AccountID + ":user" + u.Path + u.Name
}

// Role is an IAM role.
type Role struct {
	AccountID          string
	Name               string
	ID                 string // AROA...
	Path               string
	TrustPolicy        string
	Description        string
	MaxSessionDuration int // seconds, 3600..43200
	CreatedAt          time.Time
}

// ARN is the role's ARN.
func (r Role) ARN() string {
	return "arn:aws:iam::" + r.AccountID + ":role" + r.Path + r.Name
}

// MaxAccessKeysPerUser is IAM's limit of access keys per user.
const MaxAccessKeysPerUser = 2

var iamMigrations = []string{
	`CREATE TABLE users (
		account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
		name TEXT NOT NULL COLLATE NOCASE,
		id TEXT NOT NULL UNIQUE,
		path TEXT NOT NULL DEFAULT '/',
		created_at INTEGER NOT NULL,
		PRIMARY KEY (account_id, name)
	)`,
	`CREATE TABLE roles (
		account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
		name TEXT NOT NULL COLLATE NOCASE,
		id TEXT NOT NULL UNIQUE,
		path TEXT NOT NULL DEFAULT '/',
		trust_policy TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		max_session_duration INTEGER NOT NULL DEFAULT 3600,
		created_at INTEGER NOT NULL,
		PRIMARY KEY (account_id, name)
	)`,
	`CREATE TABLE inline_policies (
		account_id TEXT NOT NULL,
		owner_kind TEXT NOT NULL, -- 'user' or 'role'
		owner_name TEXT NOT NULL COLLATE NOCASE,
		name TEXT NOT NULL,
		document TEXT NOT NULL,
		PRIMARY KEY (account_id, owner_kind, owner_name, name)
	)`,
}

var nameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)

// validName checks an IAM user, role or policy name.
func validName(kind, name string, max int) error {
	if name == "" || len(name) > max || !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %s name %q must be 1-%d characters of letters, digits and +=,.@_-", ErrValidation, kind, name, max)
	}
	return nil
}

func validPath(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > 512 || !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") {
		return fmt.Errorf("%w: path %q must begin and end with /", ErrValidation, p)
	}
	return nil
}

// CreateUser creates an IAM user.
func (s *Store) CreateUser(ctx context.Context, accountID, name, path string) (User, error) {
	if err := validName("user", name, 64); err != nil {
		return User{}, err
	}
	if err := validPath(path); err != nil {
		return User{}, err
	}
	if path == "" {
		path = "/"
	}
	u := User{AccountID: accountID, Name: name, ID: "AIDA" + randomString(17, idAlphabet), Path: path,
		CreatedAt: time.Now().UTC().Truncate(time.Second)}
	err := s.insert(ctx, `INSERT INTO users (account_id, name, id, path, created_at) VALUES (?, ?, ?, ?, ?)`,
		u.AccountID, u.Name, u.ID, u.Path, u.CreatedAt.Unix())
	if err != nil {
		return User{}, err
	}
	s.bump()
	return u, nil
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// insert runs an INSERT, turning a uniqueness violation into ErrEntityExists.
func (s *Store) insert(ctx context.Context, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, query, args...)
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return ErrEntityExists
	}
	return err
}

// GetUser returns a user by name.
func (s *Store) GetUser(ctx context.Context, accountID, name string) (User, error) {
	var u User
	var created int64
	err := s.db.QueryRowContext(ctx,
		`SELECT account_id, name, id, path, created_at FROM users WHERE account_id = ? AND name = ?`,
		accountID, name).Scan(&u.AccountID, &u.Name, &u.ID, &u.Path, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("%w: the user with name %s cannot be found", ErrNoSuchEntity, name)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user: %w", err)
	}
	u.CreatedAt = time.Unix(created, 0).UTC()
	return u, nil
}

// ListUsers lists an account's users by name.
func (s *Store) ListUsers(ctx context.Context, accountID string) ([]User, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT account_id, name, id, path, created_at FROM users WHERE account_id = ? ORDER BY name`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var us []User
	for rows.Next() {
		var u User
		var created int64
		if err := rows.Scan(&u.AccountID, &u.Name, &u.ID, &u.Path, &created); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.CreatedAt = time.Unix(created, 0).UTC()
		us = append(us, u)
	}
	return us, rows.Err()
}

// DeleteUser deletes a user that has no access keys and no policies left,
// as IAM requires.
func (s *Store) DeleteUser(ctx context.Context, accountID, name string) error {
	u, err := s.GetUser(ctx, accountID, name)
	if err != nil {
		return err
	}
	var n int
	if err := s.db.QueryRowContext(ctx,
		`SELECT (SELECT count(*) FROM access_keys WHERE account_id = ? AND user_name = ?) +
		        (SELECT count(*) FROM inline_policies WHERE account_id = ? AND owner_kind = 'user' AND owner_name = ?)`,
		accountID, u.Name, accountID, u.Name).Scan(&n); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: cannot delete entity, must delete access keys and policies first", ErrDeleteConflict)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM users WHERE account_id = ? AND name = ?`, accountID, u.Name); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	s.bump()
	return nil
}

// CreateAccessKey creates a key for a user (or for the root when user is
// empty). The secret is returned only now.
func (s *Store) CreateAccessKey(ctx context.Context, accountID, user string) (AccessKey, error) {
	if user != "" {
		u, err := s.GetUser(ctx, accountID, user)
		if err != nil {
			return AccessKey{}, err
		}
		user = u.Name
	}
	var n int
	if err := s.db.QueryRowContext(ctx,
		`SELECT count(*) FROM access_keys WHERE account_id = ? AND user_name = ?`, accountID, user).Scan(&n); err != nil {
		return AccessKey{}, fmt.Errorf("create access key: %w", err)
	}
	if n >= MaxAccessKeysPerUser {
		return AccessKey{}, fmt.Errorf("%w: cannot exceed quota for AccessKeysPerUser: %d", ErrLimitExceeded, MaxAccessKeysPerUser)
	}
	k, sealed, err := s.newKey(accountID, user)
	if err != nil {
		return AccessKey{}, err
	}
	k.CreatedAt = time.Now().UTC().Truncate(time.Second)
	if _, err := s.db.ExecContext(ctx,
		`INSERT INTO access_keys (id, account_id, user_name, secret_sealed, status, created_at)
		 VALUES (?, ?, ?, ?, 'Active', ?)`, k.ID, accountID, user, sealed, k.CreatedAt.Unix()); err != nil {
		return AccessKey{}, fmt.Errorf("create access key: %w", err)
	}
	return k, nil
}

// ListAccessKeys lists a user's keys (root's when user is empty), without
// secrets.
func (s *Store) ListAccessKeys(ctx context.Context, accountID, user string) ([]AccessKey, error) {
	if user != "" {
		if _, err := s.GetUser(ctx, accountID, user); err != nil {
			return nil, err
		}
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, user_name, status, created_at FROM access_keys
		 WHERE account_id = ? AND user_name = ? COLLATE NOCASE ORDER BY created_at, id`, accountID, user)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	defer rows.Close()
	var ks []AccessKey
	for rows.Next() {
		k := AccessKey{AccountID: accountID}
		var created int64
		if err := rows.Scan(&k.ID, &k.UserName, &k.Status, &created); err != nil {
			return nil, fmt.Errorf("list access keys: %w", err)
		}
		k.CreatedAt = time.Unix(created, 0).UTC()
		ks = append(ks, k)
	}
	return ks, rows.Err()
}

// UpdateAccessKey sets a key's status: Active or Inactive. An inactive key
// is refused by request verification.
func (s *Store) UpdateAccessKey(ctx context.Context, accountID, user, keyID, status string) error {
	if status != "Active" && status != "Inactive" {
		return fmt.Errorf("%w: status must be Active or Inactive", ErrValidation)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE access_keys SET status = ? WHERE id = ? AND account_id = ? AND user_name = ? COLLATE NOCASE`,
		status, keyID, accountID, user)
	if err != nil {
		return fmt.Errorf("update access key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: the Access Key with id %s cannot be found", ErrNoSuchEntity, keyID)
	}
	s.forget(keyID)
	return nil
}

// DeleteAccessKey deletes a key.
func (s *Store) DeleteAccessKey(ctx context.Context, accountID, user, keyID string) error {
	res, err := s.db.ExecContext(ctx,
		`DELETE FROM access_keys WHERE id = ? AND account_id = ? AND user_name = ? COLLATE NOCASE`, keyID, accountID, user)
	if err != nil {
		return fmt.Errorf("delete access key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: the Access Key with id %s cannot be found", ErrNoSuchEntity, keyID)
	}
	s.forget(keyID)
	return nil
}

func (s *Store) forget(keyID string) {
	s.mu.Lock()
	delete(s.cache, keyID)
	s.mu.Unlock()
}

// CreateRole creates a role with its trust policy (validated by the caller).
func (s *Store) CreateRole(ctx context.Context, r Role) (Role, error) {
	if err := validName("role", r.Name, 64); err != nil {
		return Role{}, err
	}
	if err := validPath(r.Path); err != nil {
		return Role{}, err
	}
	if r.Path == "" {
		r.Path = "/"
	}
	if r.MaxSessionDuration == 0 {
		r.MaxSessionDuration = 3600
	}
	if err := validMaxSession(r.MaxSessionDuration); err != nil {
		return Role{}, err
	}
	r.ID = "AROA" + randomString(17, idAlphabet)
	r.CreatedAt = time.Now().UTC().Truncate(time.Second)
	err := s.insert(ctx,
		`INSERT INTO roles (account_id, name, id, path, trust_policy, description, max_session_duration, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.AccountID, r.Name, r.ID, r.Path, r.TrustPolicy, r.Description, r.MaxSessionDuration, r.CreatedAt.Unix())
	if err != nil {
		return Role{}, err
	}
	s.bump()
	return r, nil
}

func validMaxSession(n int) error {
	if n < 3600 || n > 43200 {
		return fmt.Errorf("%w: MaxSessionDuration must be between 3600 and 43200 seconds", ErrValidation)
	}
	return nil
}

// GetRole returns a role by name.
func (s *Store) GetRole(ctx context.Context, accountID, name string) (Role, error) {
	var r Role
	var created int64
	err := s.db.QueryRowContext(ctx,
		`SELECT account_id, name, id, path, trust_policy, description, max_session_duration, created_at
		 FROM roles WHERE account_id = ? AND name = ?`, accountID, name).
		Scan(&r.AccountID, &r.Name, &r.ID, &r.Path, &r.TrustPolicy, &r.Description, &r.MaxSessionDuration, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Role{}, fmt.Errorf("%w: the role with name %s cannot be found", ErrNoSuchEntity, name)
	}
	if err != nil {
		return Role{}, fmt.Errorf("read role: %w", err)
	}
	r.CreatedAt = time.Unix(created, 0).UTC()
	return r, nil
}

// ListRoles lists an account's roles by name.
func (s *Store) ListRoles(ctx context.Context, accountID string) ([]Role, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT name FROM roles WHERE account_id = ? ORDER BY name`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list roles: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	var rs []Role
	for _, n := range names {
		r, err := s.GetRole(ctx, accountID, n)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// UpdateRole changes a role's description (when non-nil) and maximum
// session duration (when non-zero).
func (s *Store) UpdateRole(ctx context.Context, accountID, name string, description *string, maxSession int) error {
	r, err := s.GetRole(ctx, accountID, name)
	if err != nil {
		return err
	}
	if description != nil {
		r.Description = *description
	}
	if maxSession != 0 {
		if err := validMaxSession(maxSession); err != nil {
			return err
		}
		r.MaxSessionDuration = maxSession
	}
	_, err = s.db.ExecContext(ctx, `UPDATE roles SET description = ?, max_session_duration = ? WHERE account_id = ? AND name = ?`,
		r.Description, r.MaxSessionDuration, accountID, r.Name)
	if err != nil {
		return fmt.Errorf("update role: %w", err)
	}
	s.bump()
	return nil
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Store) UpdateAssumeRolePolicy(ctx context.Context, accountID, name, doc string) error {
	r, err := s.GetRole(ctx, accountID, name)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE roles SET trust_policy = ? WHERE account_id = ? AND name = ?`,
		doc, accountID, r.Name); err != nil {
		return fmt.Errorf("update trust policy: %w", err)
	}
	s.bump()
	return nil
}

// DeleteRole deletes a role without inline policies.
func (s *Store) DeleteRole(ctx context.Context, accountID, name string) error {
	r, err := s.GetRole(ctx, accountID, name)
	if err != nil {
		return err
	}
	var n int
	if err := s.db.QueryRowContext(ctx,
		`SELECT count(*) FROM inline_policies WHERE account_id = ? AND owner_kind = 'role' AND owner_name = ?`,
		accountID, r.Name).Scan(&n); err != nil {
		return fmt.Errorf("delete role: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: cannot delete entity, must delete policies first", ErrDeleteConflict)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM roles WHERE account_id = ? AND name = ?`, accountID, r.Name); err != nil {
		return fmt.Errorf("delete role: %w", err)
	}
	s.bump()
	return nil
}

// Inline policy owners.
const (
	OwnerUser = "user"
	OwnerRole = "role"
)

// PutPolicy adds or replaces an inline policy of a user or role (document
// validated by the caller).
func (s *Store) PutPolicy(ctx context.Context, accountID, kind, owner, name, doc string) error {
	if err := validName("policy", name, 128); err != nil {
		return err
	}
	canonical, err := s.ownerName(ctx, accountID, kind, owner)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO inline_policies (account_id, owner_kind, owner_name, name, document) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (account_id, owner_kind, owner_name, name) DO UPDATE SET document = excluded.document`,
		accountID, kind, canonical, name, doc)
	if err != nil {
		return fmt.Errorf("put policy: %w", err)
	}
	s.bump()
	return nil
}

func (s *Store) ownerName(ctx context.Context, accountID, kind, owner string) (string, error) {
	switch kind {
	case OwnerUser:
		u, err := s.GetUser(ctx, accountID, owner)
		return u.Name, err
	case OwnerRole:
		r, err := s.GetRole(ctx, accountID, owner)
		return r.Name, err
	}
	return "", fmt.Errorf("%w: policy owner kind %q", ErrValidation, kind)
}

// GetPolicy returns an inline policy's document.
func (s *Store) GetPolicy(ctx context.Context, accountID, kind, owner, name string) (string, error) {
	canonical, err := s.ownerName(ctx, accountID, kind, owner)
	if err != nil {
		return "", err
	}
	var doc string
	err = s.db.QueryRowContext(ctx,
		`SELECT document FROM inline_policies WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND name = ?`,
		accountID, kind, canonical, name).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: the %s policy with name %s cannot be found", ErrNoSuchEntity, kind, name)
	}
	if err != nil {
		return "", fmt.Errorf("read policy: %w", err)
	}
	return doc, nil
}

// ListPolicies lists the names of a user's or role's inline policies.
func (s *Store) ListPolicies(ctx context.Context, accountID, kind, owner string) ([]string, error) {
	canonical, err := s.ownerName(ctx, accountID, kind, owner)
	if err != nil {
		return nil, err
	}
	docs, err := s.policies(ctx, accountID, kind, canonical)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(docs))
	for _, d := range docs {
		names = append(names, d[0])
	}
	return names, nil
}

// policies returns (name, document) pairs of an owner's inline policies.
func (s *Store) policies(ctx context.Context, accountID, kind, owner string) ([][2]string, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT name, document FROM inline_policies WHERE account_id = ? AND owner_kind = ? AND owner_name = ? ORDER BY name`,
		accountID, kind, owner)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, fmt.Errorf("list policies: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeletePolicy deletes an inline policy.
func (s *Store) DeletePolicy(ctx context.Context, accountID, kind, owner, name string) error {
	canonical, err := s.ownerName(ctx, accountID, kind, owner)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx,
		`DELETE FROM inline_policies WHERE account_id = ? AND owner_kind = ? AND owner_name = ? AND name = ?`,
		accountID, kind, canonical, name)
	if err != nil {
		return fmt.Errorf("delete policy: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: the %s policy with name %s cannot be found", ErrNoSuchEntity, kind, name)
	}
	s.bump()
	return nil
}

// PolicyDocuments returns the inline policy documents that apply to a
// principal: a user's, or the role's for an assumed-role session. Root has
// none.
func (s *Store) PolicyDocuments(ctx context.Context, p Principal) ([]string, error) {
	var kind, owner string
	switch {
	case p.RoleName != "":
		kind, owner = OwnerRole, p.RoleName
	case p.UserName != "":
		kind, owner = OwnerUser, p.UserName
	default:
		return nil, nil
	}
	pairs, err := s.policies(ctx, p.AccountID, kind, owner)
	if err != nil {
		return nil, err
	}
	docs := make([]string, len(pairs))
	for i, pr := range pairs {
		docs[i] = pr[1]
	}
	return docs, nil
}
