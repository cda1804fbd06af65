package policy

import "strings"

// Context holds a request's condition keys and their values, such as
// "aws:SourceIp", "s3:x-amz-acl" or "sts:ExternalId". Keys match
// case-insensitively. A key with no values counts as missing.
type Context map[string][]string

// Get returns the values of key, matched case-insensitively, and whether
// the key is present with at least one value.
func (c Context) Get(key string) ([]string, bool) {
	if v, ok := c[key]; ok {
		return v, len(v) > 0
	}
	for k, v := range c {
		if strings.EqualFold(k, key) {
			return v, len(v) > 0
		}
	}
	return nil, false
}

// Request is what a policy is evaluated against.
type Request struct {
	Principal Principal
	// Action is the IAM action, e.g. "s3:PutObject".
	Action string
	// Resource is the ARN of the resource, e.g. "arn:aws:s3:::bucket/key";
	// for sts:AssumeRole, the role's ARN.
	Resource string
	// Context holds the request's condition keys. The keys
	// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType and, for
	// IAM users, aws:username are derived from Principal when Context does
	// not set them. Time keys (aws:CurrentTime, aws:EpochTime) must be set
	// by the caller.
	Context Context
}

// lookup returns the request's value source for conditions and policy
// variables.
func (r *Request) lookup() func(string) ([]string, bool) {
	return func(key string) ([]string, bool) {
		if v, ok := r.Context.Get(key); ok {
			return v, true
		}
		if v := r.derived(key); v != "" {
			return []string{v}, true
		}
		return nil, false
	}
}

// derived returns a context key computed from the principal, or "".
// For a role session aws:PrincipalArn is the role's ARN, as on AWS.
func (r *Request) derived(key string) string {
	p := &r.Principal
	switch strings.ToLower(key) {
	case "aws:principalarn":
		switch p.Kind {
		case AssumedRole:
			return p.RoleARN
		case Root, User:
			return p.ARN
		}
	case "aws:principalaccount":
		if p.Kind != Anonymous && p.Kind != Service {
			return p.AccountID
		}
	case "aws:principaltype":
		switch p.Kind {
		case Root:
			return "Account"
		case User:
			return "User"
		case AssumedRole:
			return "AssumedRole"
		case Anonymous:
			return "Anonymous"
		}
	case "aws:username":
		if p.Kind == User {
			return p.ARN[strings.LastIndexByte(p.ARN, '/')+1:]
		}
	}
	return ""
}

// Result is the outcome of evaluating one policy.
type Result struct {
	// Effect is Deny when a Deny statement applies, else Allow when an
	// Allow statement applies, else NoMatch.
	Effect Effect
	// Sid is the Sid of the deciding statement (the first applicable Deny,
	// or the Allow that named the principal most directly), if it has one.
	Sid string

	match principalMatch
}

// Evaluate evaluates the policy against a request. A statement applies
// when its action, resource, principal (for resource and trust policies)
// and all its conditions match. Deny statements win over Allow statements.
func (p *Policy) Evaluate(r *Request) Result {
	look := r.lookup()
	var res Result
	for i := range p.Statements {
		s := &p.Statements[i]
		m := s.applies(p.Kind, r, look)
		if m == matchNone {
			continue
		}
		if s.Effect == Deny {
			return Result{Effect: Deny, Sid: s.Sid, match: m}
		}
		if res.Effect == NoMatch || m > res.match {
			res = Result{Effect: Allow, Sid: s.Sid, match: m}
		}
	}
	return res
}

// applies reports whether the statement applies to the request, and for
// resource and trust policies how it named the principal. Statements of
// identity and session policies name no principal and count as direct.
func (s *Statement) applies(kind Kind, r *Request, look func(string) ([]string, bool)) principalMatch {
	m := matchDirect
	if kind.hasPrincipal() {
		switch {
		case s.Principals == nil:
			return matchNone
		case s.NotPrincipal:
			if s.Principals.lists(&r.Principal) {
				return matchNone
			}
		default:
			if m = s.Principals.match(&r.Principal); m == matchNone {
				return matchNone
			}
		}
	}
	if !s.matchAction(r.Action) || !s.matchResource(r.Resource, look) {
		return matchNone
	}
	for i := range s.Conditions {
		if !s.Conditions[i].eval(look) {
			return matchNone
		}
	}
	return m
}

func (s *Statement) matchAction(action string) bool {
	for _, a := range s.Actions {
		if matchAction(a, action) {
			return !s.NotAction
		}
	}
	return s.NotAction
}

// matchResource matches the Resource or NotResource element. A statement
// without either (a trust policy) matches any resource. A pattern whose
// policy variable is missing from the request matches nothing.
func (s *Statement) matchResource(resource string, look func(string) ([]string, bool)) bool {
	if len(s.resources) == 0 {
		return true
	}
	for _, t := range s.resources {
		if pat, ok := t.expand(look, true); ok && arnMatch(pat, resource) {
			return !s.NotResource
		}
	}
	return s.NotResource
}
