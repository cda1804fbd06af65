// Package policy parses, validates and evaluates AWS IAM policy documents
// (identity policies, S3 bucket policies, role trust policies and STS
// session policies) and decides requests with AWS's cross-policy logic:
// default deny, an explicit Deny anywhere wins, same-account requests need
// an Allow in either the identity or the resource policy, cross-account
// requests need both.
//
// The package is pure: it does no I/O and keeps no state between calls.
// A parsed [Policy] is immutable and safe for concurrent use.
//
// Known limits: permission boundaries, service control policies, ACLs and
// VPC endpoint policies are not evaluated. Policy size limits and the
// check that a bucket policy's resources belong to its bucket are left to
// the caller, and so is refusing role assumption by an account root.
// aws:userid and the time keys are not derived; the caller puts them in
// the request context. Federated principals match by exact ARN only. A
// JSON object that repeats a field is refused, where AWS keeps the last
// value.
package policy

import "fmt"

// Kind says where a policy document is attached, which decides the
// elements it may and must contain.
type Kind int

// Policy kinds.
const (
	// IdentityPolicy is attached to a user or role. It has no Principal and
	// needs Resource or NotResource.
	IdentityPolicy Kind = iota
	// ResourcePolicy is attached to a resource, such as an S3 bucket
	// policy. It needs Principal or NotPrincipal and Resource or
	// NotResource.
	ResourcePolicy
	// TrustPolicy is a role's trust policy (AssumeRolePolicyDocument). It
	// needs Principal or NotPrincipal and may not have Resource.
	TrustPolicy
	// SessionPolicy is passed to STS when a session is created. It has the
	// same shape as an identity policy.
	SessionPolicy
)

// String returns the name of the kind.
func (k Kind) String() string {
	switch k {
	case IdentityPolicy:
		return "identity"
	case ResourcePolicy:
		return "resource"
	case TrustPolicy:
		return "trust"
	case SessionPolicy:
		return "session"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// hasPrincipal reports whether statements of this kind name principals.
func (k Kind) hasPrincipal() bool { return k == ResourcePolicy || k == TrustPolicy }

// Effect is the effect of a statement, or the outcome of evaluating a
// policy against a request.
type Effect int

// Effects. NoMatch is only an evaluation outcome: no statement applied.
const (
	NoMatch Effect = iota
	Allow
	Deny
)

// String returns "NoMatch", "Allow" or "Deny".
func (e Effect) String() string {
	switch e {
	case NoMatch:
		return "NoMatch"
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return fmt.Sprintf("Effect(%d)", int(e))
}

// Policy versions.
const (
	// Version2012 is the current policy language; it has policy variables.
	Version2012 = "2012-10-17"
	// Version2008 is the legacy policy language, also assumed when a
	// document has no Version. Text such as ${aws:username} is literal.
	Version2008 = "2008-10-17"
)

// Policy is a parsed and validated policy document.
type Policy struct {
	// Version is Version2012 or Version2008 (also when the document had
	// none).
	Version string
	// ID is the optional Id element.
	ID         string
	Kind       Kind
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid    string
	Effect Effect // Allow or Deny

	// Principals is nil for identity and session policies. NotPrincipal
	// reports that the document used NotPrincipal instead of Principal.
	Principals   *Principals
	NotPrincipal bool

	// Actions as written. NotAction reports that they came from NotAction.
	Actions   []string
	NotAction bool

	// Resources as written; empty in trust policies, which match any
	// resource. NotResource reports that they came from NotResource.
	Resources   []string
	NotResource bool

	// Conditions, one per operator and key, all of which must hold.
	Conditions []Condition

	resources []template
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	// Any is set for "Principal": "*" and for an "AWS": "*" entry.
	Any bool
	// AWS lists account root, user, role and session ARNs. Twelve-digit
	// account ids are normalised to arn:aws:iam::ACCOUNT:root.
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one key of one condition operator, e.g.
// "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}.
type Condition struct {
	// Operator is the operator's canonical spelling including any
	// ForAnyValue:/ForAllValues: qualifier and IfExists suffix.
	Operator string
	// Key is the context key as written; keys match case-insensitively.
	Key string
	// Values are the policy values, booleans and numbers in their JSON
	// text form.
	Values []string

	op     operator
	values []template
}

// MalformedError reports a document that is not a valid policy. Reason is
// AWS's wire text for the MalformedPolicyDocument (IAM, STS) or
// MalformedPolicy (S3) error and keeps AWS's capitalization.
type MalformedError struct {
	Reason string
}

// Error returns the reason with a package prefix.
func (e *MalformedError) Error() string { return "policy: malformed document: " + e.Reason }

// malformed returns a *MalformedError with a formatted reason.
func malformed(format string, args ...any) error {
	return &MalformedError{Reason: fmt.Sprintf(format, args...)}
}
