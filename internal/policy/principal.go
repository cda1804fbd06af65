package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalidPrincipal is returned by [ParsePrincipal] for a string that is
// not a principal ARN.
var ErrInvalidPrincipal = errors.New("policy: invalid principal ARN")

// PrincipalKind says what kind of principal made a request.
type PrincipalKind int

// Principal kinds.
const (
	// Anonymous is an unsigned request. It has no ARN and no account.
	Anonymous PrincipalKind = iota
	// Root is an account's root user, arn:aws:iam::ACCOUNT:root.
	Root
	// User is an IAM user, arn:aws:iam::ACCOUNT:user/NAME.
	User
	// AssumedRole is a role session,
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	AssumedRole
	// Service is an AWS service principal such as s3.amazonaws.com.
	Service
)

// String returns the name of the kind.
func (k PrincipalKind) String() string {
	switch k {
	case Anonymous:
		return "Anonymous"
	case Root:
		return "Root"
	case User:
		return "User"
	case AssumedRole:
		return "AssumedRole"
	case Service:
		return "Service"
	}
	return fmt.Sprintf("PrincipalKind(%d)", int(k))
}

// Principal is who made a request.
type Principal struct {
	Kind PrincipalKind
	// ARN is the principal's ARN; for a Service principal, the service
	// name (e.g. "s3.amazonaws.com"); empty for Anonymous.
	ARN string
	// AccountID is the 12-digit account the principal belongs to.
	AccountID string
	// RoleARN is the ARN of the role an AssumedRole session belongs to,
	// arn:aws:iam::ACCOUNT:role/NAME including the role's path if it has
	// one.
	RoleARN string
	// CanonicalID is the S3 canonical user id of the account, if known; it
	// matches CanonicalUser principals.
	CanonicalID string
}

// ParsePrincipal returns the principal an ARN names: an account root, an
// IAM user or an assumed-role session. The role ARN of a session is
// derived without a path, since session ARNs do not carry it.
func ParsePrincipal(arn string) (Principal, error) {
	part, svc, acct, res, ok := splitPrincipalARN(arn)
	if !ok {
		return Principal{}, fmt.Errorf("%w: %q", ErrInvalidPrincipal, arn)
	}
	p := Principal{ARN: arn, AccountID: acct}
	switch {
	case svc == "iam" && res == "root":
		p.Kind = Root
	case svc == "iam" && strings.HasPrefix(res, "user/") && len(res) > len("user/"):
		p.Kind = User
	case svc == "sts" && strings.HasPrefix(res, "assumed-role/"):
		role, session, found := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
		if !found || role == "" || session == "" {
			return Principal{}, fmt.Errorf("%w: %q", ErrInvalidPrincipal, arn)
		}
		p.Kind = AssumedRole
		p.RoleARN = "arn:" + part + ":iam::" + acct + ":role/" + role
	default:
		return Principal{}, fmt.Errorf("%w: %q", ErrInvalidPrincipal, arn)
	}
	return p, nil
}

// splitPrincipalARN splits arn:PARTITION:SERVICE::ACCOUNT:RESOURCE for the
// iam and sts services, checking the account id.
func splitPrincipalARN(arn string) (partition, service, account, resource string, ok bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[1] == "" || f[3] != "" || !isAccountID(f[4]) {
		return "", "", "", "", false
	}
	if f[2] != "iam" && f[2] != "sts" || f[5] == "" {
		return "", "", "", "", false
	}
	return f[1], f[2], f[4], f[5], true
}

// isAccountID reports whether s is a 12-digit account id.
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

// rootARN is the ARN of the principal's account root.
func (p *Principal) rootARN() string {
	if p.AccountID == "" {
		return ""
	}
	part := "aws"
	if f := strings.SplitN(p.ARN, ":", 3); len(f) == 3 && f[0] == "arn" && f[1] != "" {
		part = f[1]
	}
	return "arn:" + part + ":iam::" + p.AccountID + ":root"
}

// chain lists the identities a request is made under: the principal, its
// role for a session, and its account. NotPrincipal exempts a request only
// when every one of them is listed, as on AWS.
func (p *Principal) chain() []string {
	switch p.Kind {
	case Anonymous:
		return nil
	case Service:
		return []string{p.ARN}
	case Root:
		return []string{p.rootARN()}
	case AssumedRole:
		return []string{p.ARN, p.RoleARN, p.rootARN()}
	}
	return []string{p.ARN, p.rootARN()}
}

// principalMatch says how a Principal element named the request's
// principal. It matters for same-account requests: naming the account only
// delegates to the account's identity policies, while naming the principal
// (or its role) grants access by itself.
type principalMatch int

const (
	matchNone    principalMatch = iota
	matchAccount                // arn:aws:iam::ACCOUNT:root or ACCOUNT
	matchRole                   // the role of an assumed-role session
	matchDirect                 // "*", the principal's own ARN, a service
)

// match reports how ps names p.
func (ps *Principals) match(p *Principal) principalMatch {
	if ps.Any {
		return matchDirect
	}
	best := matchNone
	better := func(m principalMatch) {
		if m > best {
			best = m
		}
	}
	switch p.Kind {
	case Anonymous:
	case Service:
		for _, s := range ps.Service {
			if strings.EqualFold(s, p.ARN) {
				better(matchDirect)
			}
		}
	default:
		root := p.rootARN()
		for _, a := range ps.AWS {
			switch {
			case a == p.ARN:
				better(matchDirect)
			case p.RoleARN != "" && a == p.RoleARN:
				better(matchRole)
			case a == root:
				better(matchAccount)
			}
		}
	}
	if p.ARN != "" && slices.Contains(ps.Federated, p.ARN) {
		better(matchDirect)
	}
	if p.CanonicalID != "" && slices.Contains(ps.CanonicalUser, p.CanonicalID) {
		better(matchDirect)
	}
	return best
}

// lists reports whether a NotPrincipal element exempts p: "*", or every
// identity in p's chain is listed exactly (no account delegation).
func (ps *Principals) lists(p *Principal) bool {
	if ps.Any {
		return true
	}
	if p.CanonicalID != "" && slices.Contains(ps.CanonicalUser, p.CanonicalID) {
		return true
	}
	ids := p.chain()
	if len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		listed := slices.Contains(ps.AWS, id) || slices.Contains(ps.Federated, id) ||
			p.Kind == Service && containsFold(ps.Service, id)
		if !listed {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
