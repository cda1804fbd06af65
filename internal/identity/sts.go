package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"inlet/internal/sigv4"
)

// Session errors.
var (
	ErrInvalidToken = errors.New("identity: the security token is malformed or otherwise invalid")
	ErrExpiredToken = errors.New("identity: the security token has expired")
)

// SessionSpec describes temporary credentials to issue.
type SessionSpec struct {
	AccountID   string
	UserName    string // GetSessionToken: the user the session acts as ("" for root)
	UserID      string // that user's unique id (AIDA...)
	Role        *Role  // AssumeRole: the role assumed
	SessionName string
	Duration    time.Duration
	// Policy is an optional session policy document; the session's
	// permissions are the role's intersected with it.
	Policy string
	// SourceIdentity and ExternalID are recorded for the log.
	ExternalID string
}

// Session is a set of temporary credentials.
type Session struct {
	AccessKeyID   string
	Secret        Secret
	Token         string
	Expiration    time.Time
	Principal     Principal
	AssumedRoleID string // AROA...:SESSION for assumed roles
}

// sessionClaims travel inside the sealed session token, so that a request
// signed with temporary credentials is verified without a database lookup.
type sessionClaims struct {
	AccessKeyID string `json:"k"`
	AccountID   string `json:"a"`
	UserName    string `json:"u,omitempty"`
	UserID      string `json:"ui,omitempty"`
	RoleName    string `json:"r,omitempty"`
	RoleID      string `json:"ri,omitempty"`
	RolePath    string `json:"rp,omitempty"`
	SessionName string `json:"s,omitempty"`
	Policy      string `json:"p,omitempty"`
	Expires     int64  `json:"e"`
}

const tokenAD = "inlet-sts-session-v1"

// IssueSession creates temporary credentials: an ASIA access key id, a
// secret derived from it under the master key, and a sealed token carrying
// the session's identity and expiry.
func (s *Store) IssueSession(spec SessionSpec) (Session, error) {
	if spec.Duration <= 0 {
		return Session{}, fmt.Errorf("%w: session duration must be positive", ErrValidation)
	}
	exp := time.Now().Add(spec.Duration).UTC().Truncate(time.Second)
	c := sessionClaims{
		AccessKeyID: "ASIA" + randomString(16, idAlphabet),
		AccountID:   spec.AccountID,
		UserName:    spec.UserName,
		UserID:      spec.UserID,
		SessionName: spec.SessionName,
		Policy:      spec.Policy,
		Expires:     exp.Unix(),
	}
	if spec.Role != nil {
		c.RoleName, c.RoleID, c.RolePath = spec.Role.Name, spec.Role.ID, spec.Role.Path
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return Session{}, fmt.Errorf("encode session: %w", err)
	}
	sealed, err := s.sealer.seal(string(raw), []byte(tokenAD))
	if err != nil {
		return Session{}, err
	}
	sess := Session{
		AccessKeyID: c.AccessKeyID,
		Secret:      Secret(s.sessionSecret(c.AccessKeyID)),
		Token:       base64.StdEncoding.EncodeToString(sealed),
		Expiration:  exp,
		Principal:   c.principal(),
	}
	if c.RoleName != "" {
		sess.AssumedRoleID = c.RoleID + ":" + c.SessionName
	}
	return sess, nil
}

// sessionSecret derives the secret of temporary credentials from their
// access key id, so no per-session state needs storing.
func (s *Store) sessionSecret(accessKeyID string) string {
	m := hmac.New(sha256.New, s.sessionKey)
	m.Write([]byte("session-secret\x00" + accessKeyID))
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))[:40]
}

func (c sessionClaims) principal() Principal {
	p := Principal{
		AccountID:     c.AccountID,
		AccessKeyID:   c.AccessKeyID,
		UserName:      c.UserName,
		SessionPolicy: c.Policy,
		Expires:       time.Unix(c.Expires, 0).UTC(),
		Temporary:     true,
	}
	switch {
	case c.RoleName != "":
		p.RoleName, p.SessionName = c.RoleName, c.SessionName
		p.RoleARN = "arn:aws:iam::" + c.AccountID + ":role" + c.RolePath + c.RoleName
		p.ARN = "arn:aws:sts::" + c.AccountID + ":assumed-role/" + c.RoleName + "/" + c.SessionName
		p.UserID = c.RoleID + ":" + c.SessionName
	case c.UserName != "":
		p.ARN = "arn:aws:iam::" + c.AccountID + ":user/" + c.UserName
		p.UserID = c.UserID
	default:
		p.ARN = "arn:aws:iam::" + c.AccountID + ":root"
		p.UserID = c.AccountID
	}
	return p
}

// Authenticate returns the principal of a verified request's access key,
// checking the session token of temporary credentials.
func (s *Store) Authenticate(ctx context.Context, accessKeyID, token string) (Principal, error) {
	if !strings.HasPrefix(accessKeyID, "ASIA") {
		if token != "" {
			return Principal{}, ErrInvalidToken
		}
		return s.PrincipalFor(ctx, accessKeyID)
	}
	if token == "" {
		return Principal{}, ErrInvalidToken
	}
	c, err := s.openToken(token)
	if err != nil || c.AccessKeyID != accessKeyID {
		return Principal{}, ErrInvalidToken
	}
	if time.Now().Unix() >= c.Expires {
		return Principal{}, ErrExpiredToken
	}
	if err := s.checkSessionPrincipal(ctx, c); err != nil {
		return Principal{}, err
	}
	return c.principal(), nil
}

// checkSessionPrincipal holds a session to the very user or role it was
// issued for, by unique id as IAM does: once that principal is deleted the
// session is dead, and a user or role created again under the same name
// is another principal, whose permissions the old session never gets.
func (s *Store) checkSessionPrincipal(ctx context.Context, c sessionClaims) error {
	switch {
	case c.RoleName != "":
		r, err := s.GetRole(ctx, c.AccountID, c.RoleName)
		if errors.Is(err, ErrNoSuchEntity) || err == nil && r.ID != c.RoleID {
			return ErrInvalidToken
		}
		return err
	case c.UserName != "":
		u, err := s.GetUser(ctx, c.AccountID, c.UserName)
		if errors.Is(err, ErrNoSuchEntity) || err == nil && c.UserID != "" && u.ID != c.UserID {
			return ErrInvalidToken
		}
		return err
	}
	return nil
}

func (s *Store) openToken(token string) (sessionClaims, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return sessionClaims{}, ErrInvalidToken
	}
	plain, err := s.sealer.open(raw, []byte(tokenAD))
	if err != nil {
		return sessionClaims{}, ErrInvalidToken
	}
	var c sessionClaims
	if err := json.Unmarshal([]byte(plain), &c); err != nil {
		return sessionClaims{}, ErrInvalidToken
	}
	return c, nil
}

// temporarySecret implements the ASIA branch of SecretKey.
func (s *Store) temporarySecret(accessKeyID string) (string, error) {
	if len(accessKeyID) != 20 {
		return "", sigv4.ErrUnknownKey
	}
	return s.sessionSecret(accessKeyID), nil
}
