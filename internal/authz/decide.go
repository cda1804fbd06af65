package authz

import (
	"inlet/internal/identity"
	"inlet/internal/policy"
)

// decide runs the policy engine's cross-policy logic for in.
func decide(in Input, ids, session []*policy.Policy, ctx map[string][]string) Decision {
	d := policy.Authorize(policy.Input{
		Request: policy.Request{
			Principal: enginePrincipal(in.Principal),
			Action:    in.Action,
			Resource:  in.Resource,
			Context:   policy.Context(ctx),
		},
		Identity:        ids,
		Session:         session,
		Resource:        in.ResourcePolicy,
		ResourceAccount: in.ResourceAccount,
	})
	return Decision{
		Allowed:  d.Allowed,
		Message:  d.Message,
		Explicit: d.Reason >= policy.ExplicitDenyIdentity,
		Sid:      d.Sid,
	}
}

// enginePrincipal converts an identity principal for the policy engine.
func enginePrincipal(p identity.Principal) policy.Principal {
	e := policy.Principal{ARN: p.ARN, AccountID: p.AccountID, CanonicalID: p.AccountID}
	switch {
	case p.RoleName != "":
		e.Kind, e.RoleARN = policy.AssumedRole, p.RoleARN
	case p.UserName != "":
		e.Kind = policy.User
	case p.ARN == "":
		e.Kind = policy.Anonymous
	default:
		e.Kind = policy.Root
	}
	return e
}
