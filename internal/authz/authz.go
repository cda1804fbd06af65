// Package authz decides whether a principal may perform an action on a
// resource: it gathers the principal's identity policies (and a session's
// policy), takes the resource's policy, builds the request context and
// asks the policy engine, caching parsed identity policies.
package authz

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"inlet/internal/identity"
	"inlet/internal/policy"
)

// Input is one access decision to make.
type Input struct {
	Principal identity.Principal
	Action    string // e.g. s3:PutObject
	Resource  string // ARN
	// ResourcePolicy is the resource's policy (bucket policy, role trust
	// policy), nil when it has none.
	ResourcePolicy *policy.Policy
	// ResourceAccount owns the resource.
	ResourceAccount string
	// Context holds request condition keys (s3:x-amz-acl, sts:ExternalId,
	// ...). The aws:* keys of the principal and request are added here.
	Context map[string][]string
	// SourceIP and Secure fill aws:SourceIp and aws:SecureTransport.
	SourceIP string
	Secure   bool
}

// Decision is the outcome, with AWS's AccessDenied wording in Message.
type Decision struct {
	Allowed bool
	Message string
	// Explicit is true when a Deny statement decided.
	Explicit bool
	Sid      string
}

// Policies are the identity policy documents of a principal.
type Policies interface {
	PolicyDocuments(ctx context.Context, p identity.Principal) ([]string, error)
	Generation() uint64
}

// Authorizer makes decisions. It is safe for concurrent use.
type Authorizer struct {
	src Policies
	now func() time.Time

	mu    sync.Mutex
	gen   uint64
	cache map[string][]*policy.Policy // principal ARN -> parsed identity policies
}

// maxCachedPrincipals bounds the cache of parsed identity policies.
const maxCachedPrincipals = 10000

// New returns an Authorizer over the identity store.
func New(src Policies) *Authorizer {
	return &Authorizer{src: src, now: time.Now, cache: make(map[string][]*policy.Policy)}
}

// identityPolicies returns the parsed identity policies of p.
func (a *Authorizer) identityPolicies(ctx context.Context, p identity.Principal) ([]*policy.Policy, error) {
	if p.IsRoot() {
		return nil, nil
	}
	cacheKey := p.AccountID + "|" + p.RoleName + "|" + p.UserName
	gen := a.src.Generation()
	a.mu.Lock()
	if a.gen != gen {
		a.cache, a.gen = make(map[string][]*policy.Policy), gen
	}
	ps, ok := a.cache[cacheKey]
	a.mu.Unlock()
	if ok {
		return ps, nil
	}
	docs, err := a.src.PolicyDocuments(ctx, p)
	if err != nil {
		return nil, err
	}
	ps = make([]*policy.Policy, 0, len(docs))
	for _, d := range docs {
		pol, err := policy.Parse([]byte(d), policy.IdentityPolicy)
		if err != nil {
			// Stored documents were validated when put; one that no longer
			// parses grants nothing.
			continue
		}
		ps = append(ps, pol)
	}
	a.mu.Lock()
	if a.gen == gen {
		if len(a.cache) >= maxCachedPrincipals {
			clear(a.cache) // bounded: starts over rather than grows
		}
		a.cache[cacheKey] = ps
	}
	a.mu.Unlock()
	return ps, nil
}

// Authorize decides in.
func (a *Authorizer) Authorize(ctx context.Context, in Input) (Decision, error) {
	ids, err := a.identityPolicies(ctx, in.Principal)
	if err != nil {
		return Decision{}, fmt.Errorf("load identity policies: %w", err)
	}
	var session []*policy.Policy
	if in.Principal.SessionPolicy != "" {
		sp, err := policy.Parse([]byte(in.Principal.SessionPolicy), policy.SessionPolicy)
		if err != nil {
			return Decision{Allowed: false, Message: "invalid session policy"}, nil
		}
		session = append(session, sp)
	}
	return decide(in, ids, session, a.context(in)), nil
}

// context fills the global condition keys.
func (a *Authorizer) context(in Input) map[string][]string {
	c := make(map[string][]string, len(in.Context)+8)
	for k, v := range in.Context {
		c[strings.ToLower(k)] = v
	}
	p := in.Principal
	set := func(k, v string) {
		if v != "" {
			c[k] = []string{v}
		}
	}
	set("aws:principalarn", principalARN(p))
	set("aws:principalaccount", p.AccountID)
	set("aws:userid", p.UserID)
	set("aws:username", p.UserName)
	if p.Temporary {
		set("aws:principaltype", "AssumedRole")
	} else if p.IsRoot() {
		set("aws:principaltype", "Account")
	} else {
		set("aws:principaltype", "User")
	}
	if ip := hostIP(in.SourceIP); ip != "" {
		set("aws:sourceip", ip)
	}
	c["aws:securetransport"] = []string{fmt.Sprint(in.Secure)}
	now := a.now().UTC()
	c["aws:currenttime"] = []string{now.Format(time.RFC3339)}
	c["aws:epochtime"] = []string{fmt.Sprint(now.Unix())}
	return c
}

// principalARN is the aws:PrincipalArn of p: for a role session the role's
// ARN, as AWS reports it.
func principalARN(p identity.Principal) string {
	if p.RoleARN != "" {
		return p.RoleARN
	}
	return p.ARN
}

func hostIP(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
