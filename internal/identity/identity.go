// Package identity keeps the cloud's accounts and their access keys.
//
// Secret access keys must be readable to verify HMAC signatures, so they are
// stored encrypted with AES-256-GCM under a master key that lives outside
// the database (a 0600 file in the data directory, or INLET_MASTER_KEY).
// Decrypted secrets are cached in memory so that verifying a request does
// not touch the database.
package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"inlet/internal/meta"
	"inlet/internal/sigv4"
)

// Errors returned by the store.
var (
	ErrNoSuchAccount = errors.New("identity: no such account")
	ErrAccountExists = errors.New("identity: account already exists")
	ErrInvalidID     = errors.New("identity: account id must be 12 digits")
)

// Account is a cloud account, identified by a 12-digit id.
type Account struct {
	ID        string
	Name      string
	Platform  bool // the account that owns managed buckets
	CreatedAt time.Time
}

// RootARN is the ARN of the account's root principal.
func (a Account) RootARN() string { return "arn:aws:iam::" + a.ID + ":root" }

// AccessKey is an access key pair. Secret is only set when the key was just
// created or explicitly loaded; its LogValue never shows it.
type AccessKey struct {
	ID        string
	Secret    Secret
	AccountID string
	UserName  string // empty for the account root
	Status    string // Active or Inactive
	CreatedAt time.Time
}

// Secret is a secret access key. It redacts itself in logs.
type Secret string

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// String returns a redacted form, so that a secret printed by mistake stays
// hidden. Use Reveal for the value itself.
func (Secret) String() string { return "[redacted]" }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// Principal is who signed a request.
type Principal struct {
	AccountID   string
	ARN         string
	UserName    string // empty for root and roles
	UserID      string // aws:userid: AIDA... for users, AROA...:SESSION for roles
	AccessKeyID string

	// Set for assumed-role sessions.
	RoleName    string
	RoleARN     string
	SessionName string

	// Set for temporary credentials.
	Temporary     bool
	SessionPolicy string
	Expires       time.Time
}

// IsRoot reports whether p is an account's root.
func (p Principal) IsRoot() bool { return p.UserName == "" && p.RoleName == "" }

// Store keeps accounts and keys in the metadata database.
type Store struct {
	db     *sql.DB
	sealer *sealer
	log    *slog.Logger

	sessionKey []byte // derives the secrets of temporary credentials

	mu    sync.RWMutex
	cache map[string]cachedKey // access key id -> key with secret

	gen atomic.Uint64 // bumped on every IAM change, for callers' caches
}

type cachedKey struct {
	secret string
	key    AccessKey

	// principal is the key's owner as PrincipalFor resolved it, valid
	// while the store's generation is still principalGen (a user change
	// bumps it); nil until resolved.
	principal    *Principal
	principalGen uint64
}

var migrations = []string{
	`CREATE TABLE accounts (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		platform INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	)`,
	`CREATE TABLE access_keys (
		id TEXT PRIMARY KEY,
		account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
		user_name TEXT NOT NULL DEFAULT '',
		secret_sealed BLOB NOT NULL,
		status TEXT NOT NULL DEFAULT 'Active',
		created_at INTEGER NOT NULL
	)`,
}

// Open prepares the identity tables and the master key.
func Open(ctx context.Context, db *meta.DB, masterKey []byte, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := db.Migrate(ctx, "identity", migrations); err != nil {
		return nil, fmt.Errorf("migrate identity: %w", err)
	}
	if err := db.Migrate(ctx, "identity-iam", iamMigrations); err != nil {
		return nil, fmt.Errorf("migrate identity: %w", err)
	}
	s, err := newSealer(masterKey)
	if err != nil {
		return nil, err
	}
	sk := hmac.New(sha256.New, masterKey)
	sk.Write([]byte("inlet session key"))
	return &Store{
		db:         db.SQL(),
		sealer:     s,
		sessionKey: sk.Sum(nil),
		log:        logger.With("component", "identity"),
		cache:      make(map[string]cachedKey),
	}, nil
}

// SecretKey implements [sigv4.Credentials]. Inactive keys are unknown.
func (s *Store) SecretKey(ctx context.Context, accessKeyID string) (string, error) {
	if strings.HasPrefix(accessKeyID, "ASIA") {
		return s.temporarySecret(accessKeyID)
	}
	k, secret, err := s.lookup(ctx, accessKeyID)
	if err != nil {
		return "", err
	}
	if k.Status != "Active" {
		return "", sigv4.ErrUnknownKey
	}
	return secret, nil
}

// PrincipalFor returns the principal owning an access key.
//
// It runs for every request, so the principal of an IAM user's key is
// cached with the key; the cached principal is used only while no IAM
// change happened since (see [Store.Generation]).
func (s *Store) PrincipalFor(ctx context.Context, accessKeyID string) (Principal, error) {
	gen := s.gen.Load() // before the reads, so a change meanwhile invalidates
	s.mu.RLock()
	c, ok := s.cache[accessKeyID]
	s.mu.RUnlock()
	if ok && c.principal != nil && c.principalGen == gen {
		return *c.principal, nil
	}
	k, _, err := s.lookup(ctx, accessKeyID)
	if err != nil {
		return Principal{}, err
	}
	p := Principal{AccountID: k.AccountID, UserName: k.UserName, AccessKeyID: k.ID}
	if k.UserName == "" {
		p.ARN = "arn:aws:iam::" + k.AccountID + ":root"
		p.UserID = k.AccountID
		return p, nil
	}
	u, err := s.GetUser(ctx, k.AccountID, k.UserName)
	if err != nil {
		return Principal{}, fmt.Errorf("owner of access key %s: %w", k.ID, err)
	}
	p.ARN, p.UserID = u.ARN(), u.ID

	s.mu.Lock()
	// Only onto the entry lookup used: a key forgotten meanwhile (deleted
	// or changed) keeps no principal.
	if c, ok := s.cache[accessKeyID]; ok && c.key == k {
		pc := p
		c.principal, c.principalGen = &pc, gen
		s.cache[accessKeyID] = c
	}
	s.mu.Unlock()
	return p, nil
}

func (s *Store) lookup(ctx context.Context, id string) (AccessKey, string, error) {
	s.mu.RLock()
	c, ok := s.cache[id]
	s.mu.RUnlock()
	if ok {
		return c.key, c.secret, nil
	}

	var (
		k       AccessKey
		sealed  []byte
		created int64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT id, account_id, user_name, secret_sealed, status, created_at
		 FROM access_keys WHERE id = ?`, id).
		Scan(&k.ID, &k.AccountID, &k.UserName, &sealed, &k.Status, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return AccessKey{}, "", sigv4.ErrUnknownKey
	}
	if err != nil {
		return AccessKey{}, "", fmt.Errorf("look up access key: %w", err)
	}
	k.CreatedAt = time.Unix(created, 0).UTC()
	secret, err := s.sealer.open(sealed, []byte(k.ID))
	if err != nil {
		return AccessKey{}, "", fmt.Errorf("open secret of access key %s: %w", k.ID, err)
	}

	s.mu.Lock()
	s.cache[id] = cachedKey{secret: secret, key: k}
	s.mu.Unlock()
	return k, secret, nil
}

// Generation changes whenever users, roles or policies change, so callers
// can cache what they derive from them.
func (s *Store) Generation() uint64 { return s.gen.Load() }

func (s *Store) bump() { s.gen.Add(1) }

// PlatformAccount returns the platform account, creating it with a root
// access key on first use. The key is returned (with its secret) only when
// it was created now.
func (s *Store) PlatformAccount(ctx context.Context) (Account, *AccessKey, error) {
	var a Account
	var created int64
	err := s.db.QueryRowContext(ctx,
		`SELECT id, name, created_at FROM accounts WHERE platform = 1`).Scan(&a.ID, &a.Name, &created)
	if err == nil {
		a.Platform = true
		a.CreatedAt = time.Unix(created, 0).UTC()
		return a, nil, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Account{}, nil, fmt.Errorf("read platform account: %w", err)
	}
	a, k, err := s.createAccount(ctx, "platform", "", true)
	if err != nil {
		return Account{}, nil, err
	}
	s.log.Info("platform account created", "account_id", a.ID, "access_key_id", k.ID)
	return a, &k, nil
}

// CreateAccount creates a partner account and its root access key. An empty
// id picks a random one; a given id may contain dashes (1234-5678-9012).
func (s *Store) CreateAccount(ctx context.Context, name, id string) (Account, AccessKey, error) {
	return s.createAccount(ctx, name, id, false)
}

func (s *Store) createAccount(ctx context.Context, name, id string, platform bool) (Account, AccessKey, error) {
	if id == "" {
		id = randomDigits(12)
	}
	id = strings.ReplaceAll(id, "-", "")
	if !isAccountID(id) {
		return Account{}, AccessKey{}, ErrInvalidID
	}
	now := time.Now().UTC().Truncate(time.Second)
	a := Account{ID: id, Name: name, Platform: platform, CreatedAt: now}
	k, sealed, err := s.newKey(id, "")
	if err != nil {
		return Account{}, AccessKey{}, err
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Account{}, AccessKey{}, fmt.Errorf("create account: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE id = ?`, id).Scan(&n); err != nil {
		return Account{}, AccessKey{}, fmt.Errorf("create account: %w", err)
	}
	if n > 0 {
		return Account{}, AccessKey{}, ErrAccountExists
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO accounts (id, name, platform, created_at) VALUES (?, ?, ?, ?)`,
		id, name, platform, now.Unix()); err != nil {
		return Account{}, AccessKey{}, fmt.Errorf("create account: %w", err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO access_keys (id, account_id, user_name, secret_sealed, status, created_at)
		 VALUES (?, ?, '', ?, 'Active', ?)`, k.ID, id, sealed, now.Unix()); err != nil {
		return Account{}, AccessKey{}, fmt.Errorf("create root access key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Account{}, AccessKey{}, fmt.Errorf("create account: %w", err)
	}
	k.CreatedAt = now
	return a, k, nil
}

// Account returns an account by id.
func (s *Store) Account(ctx context.Context, id string) (Account, error) {
	var a Account
	var created int64
	err := s.db.QueryRowContext(ctx,
		`SELECT id, name, platform, created_at FROM accounts WHERE id = ?`, id).
		Scan(&a.ID, &a.Name, &a.Platform, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNoSuchAccount
	}
	if err != nil {
		return Account{}, fmt.Errorf("read account: %w", err)
	}
	a.CreatedAt = time.Unix(created, 0).UTC()
	return a, nil
}

// newKey makes a fresh long-term access key (AKIA...) and its sealed secret.
func (s *Store) newKey(accountID, user string) (AccessKey, []byte, error) {
	id := "AKIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	secret := randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
	sealed, err := s.sealer.seal(secret, []byte(id))
	if err != nil {
		return AccessKey{}, nil, err
	}
	return AccessKey{ID: id, Secret: Secret(secret), AccountID: accountID, UserName: user, Status: "Active"}, sealed, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func randomDigits(n int) string {
	b := []byte(randomString(n, "0123456789"))
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("identity: crypto/rand failed: " + err.Error())
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}
