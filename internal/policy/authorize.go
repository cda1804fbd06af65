package policy

import "fmt"

// Input is everything [Authorize] decides a request on.
type Input struct {
	Request
	// Identity holds the principal's identity policies: a user's inline
	// policies, or the permission policies of a session's role. The account
	// root has none; it is allowed everything in its own account.
	Identity []*Policy
	// Session holds the session policies of an assumed-role session. When
	// there are any, what the identity policies allow must also be allowed
	// by a session policy.
	Session []*Policy
	// Resource is the resource's policy: a bucket policy, or for
	// sts:AssumeRole the role's trust policy. It may be nil. It hides the
	// promoted Request.Resource field; write in.Request.Resource for the
	// resource's ARN.
	Resource *Policy
	// ResourceAccount is the account that owns the resource. Empty means
	// the principal's own account.
	ResourceAccount string
}

// Reason says why [Authorize] decided as it did.
type Reason int

// Reasons. Their order is stable: the explicit denials come last.
const (
	// Allowed: a policy allowed the request (or the account root acted in
	// its own account) and no policy denied it.
	Allowed Reason = iota
	// ImplicitDenyNoAllow: no identity-based policy allows the action (and
	// no resource-based policy allows it by itself).
	ImplicitDenyNoAllow
	// ImplicitDenyNoResourceAllow: the resource policy does not allow the
	// action, which a cross-account, anonymous or service request and every
	// role assumption need.
	ImplicitDenyNoResourceAllow
	// ImplicitDenyNoSessionAllow: the identity policies allow the action
	// but no session policy does.
	ImplicitDenyNoSessionAllow
	// ExplicitDenyIdentity: a Deny in an identity-based policy applies.
	ExplicitDenyIdentity
	// ExplicitDenyResource: a Deny in the resource-based policy applies.
	ExplicitDenyResource
	// ExplicitDenySession: a Deny in a session policy applies.
	ExplicitDenySession
)

// Explicit reports whether the reason is an explicit Deny.
func (r Reason) Explicit() bool {
	return r == ExplicitDenyIdentity || r == ExplicitDenyResource || r == ExplicitDenySession
}

// String returns the name of the reason.
func (r Reason) String() string {
	switch r {
	case Allowed:
		return "Allowed"
	case ImplicitDenyNoAllow:
		return "ImplicitDenyNoAllow"
	case ImplicitDenyNoResourceAllow:
		return "ImplicitDenyNoResourceAllow"
	case ImplicitDenyNoSessionAllow:
		return "ImplicitDenyNoSessionAllow"
	case ExplicitDenyIdentity:
		return "ExplicitDenyIdentity"
	case ExplicitDenyResource:
		return "ExplicitDenyResource"
	case ExplicitDenySession:
		return "ExplicitDenySession"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Decision is the outcome of [Authorize].
type Decision struct {
	Allowed bool
	Reason  Reason
	// Sid is the Sid of the deciding statement, if it has one.
	Sid string
	// Message is AWS's AccessDenied message for a denial (see
	// [DenyMessage]); empty when allowed.
	Message string
}

// Authorize decides a request with AWS's policy evaluation logic:
//
//   - By default a request is denied.
//   - A Deny that applies in any of the policies denies it.
//   - The account root is allowed everything in its own account.
//   - Same account: an Allow in the identity policies suffices, and so does
//     an Allow in the resource policy that names the principal (its ARN, or
//     for a session its role's ARN) or "*". A resource policy that names
//     only the account delegates to the account's identity policies.
//   - Cross account: the identity policies and the resource policy must
//     both allow.
//   - Session policies limit what the identity policies allow, and what a
//     resource policy allows by naming the session's role; an Allow that
//     names the session's own ARN is not limited.
//   - Anonymous and service requests are allowed only by the resource
//     policy, and a role can only be assumed when its trust policy allows.
//
// Permission boundaries, SCPs, ACLs and VPC endpoint policies are not
// evaluated.
func Authorize(in Input) Decision {
	r := &in.Request
	var res, id, ses Result
	if in.Resource != nil {
		res = in.Resource.Evaluate(r)
	}
	id = evaluateAll(in.Identity, r)
	ses = evaluateAll(in.Session, r)

	switch {
	case res.Effect == Deny:
		return deny(r, ExplicitDenyResource, res.Sid)
	case id.Effect == Deny:
		return deny(r, ExplicitDenyIdentity, id.Sid)
	case ses.Effect == Deny:
		return deny(r, ExplicitDenySession, ses.Sid)
	}

	p := &r.Principal
	sessionAllows := len(in.Session) == 0 || ses.Effect == Allow
	identityAllows := p.Kind == Root || id.Effect == Allow
	effective := identityAllows && sessionAllows
	resAllows := res.Effect == Allow
	// What the resource policy allows without help from identity policies.
	resAlone := resAllows &&
		(res.match == matchDirect || res.match == matchRole && sessionAllows)
	identityReason := ImplicitDenyNoAllow
	if identityAllows && !sessionAllows {
		identityReason = ImplicitDenyNoSessionAllow
	}

	switch {
	case p.Kind == Anonymous || p.Kind == Service:
		if resAllows {
			return allow(res.Sid)
		}
		return deny(r, ImplicitDenyNoResourceAllow, "")
	case in.Resource != nil && in.Resource.Kind == TrustPolicy && !resAllows:
		return deny(r, ImplicitDenyNoResourceAllow, "")
	case in.ResourceAccount == "" || in.ResourceAccount == p.AccountID:
		switch {
		case effective:
			return allow(id.Sid)
		case resAlone:
			return allow(res.Sid)
		}
		return deny(r, identityReason, "")
	case !effective:
		return deny(r, identityReason, "")
	case !resAllows:
		return deny(r, ImplicitDenyNoResourceAllow, "")
	}
	return allow(res.Sid)
}

// evaluateAll combines the results of several policies: any Deny wins,
// then any Allow.
func evaluateAll(ps []*Policy, r *Request) Result {
	var out Result
	for _, p := range ps {
		if p == nil {
			continue
		}
		switch res := p.Evaluate(r); res.Effect {
		case Deny:
			return res
		case Allow:
			if out.Effect == NoMatch {
				out = res
			}
		}
	}
	return out
}

func allow(sid string) Decision {
	return Decision{Allowed: true, Reason: Allowed, Sid: sid}
}

func deny(r *Request, reason Reason, sid string) Decision {
	return Decision{
		Reason:  reason,
		Sid:     sid,
		Message: DenyMessage(r.Principal.ARN, r.Action, r.Resource, reason),
	}
}

// DenyMessage renders AWS's AccessDenied message, e.g.
//
//	User: arn:aws:iam::123456789012:user/bob is not authorized to perform:
//	s3:PutObject on resource: arn:aws:s3:::bucket/key because no
//	identity-based policy allows the s3:PutObject action
//
// (on one line). An empty principal ARN is shown as "anonymous".
func DenyMessage(principalARN, action, resource string, reason Reason) string {
	if principalARN == "" {
		principalARN = "anonymous"
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s",
		principalARN, action, resource)
	switch reason {
	case ImplicitDenyNoAllow:
		return msg + " because no identity-based policy allows the " + action + " action"
	case ImplicitDenyNoResourceAllow:
		return msg + " because no resource-based policy allows the " + action + " action"
	case ImplicitDenyNoSessionAllow:
		return msg + " because no session policy allows the " + action + " action"
	case ExplicitDenyIdentity:
		return msg + " with an explicit deny in an identity-based policy"
	case ExplicitDenyResource:
		return msg + " with an explicit deny in a resource-based policy"
	case ExplicitDenySession:
		return msg + " with an explicit deny in a session policy"
	}
	return msg
}
