// Package stsapi is the STS query front of the embedded cloud:
// AssumeRole (with external ids and session policies), GetCallerIdentity
// and GetSessionToken.
package stsapi

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"inlet/internal/authz"
	"inlet/internal/cloud/awsquery"
	"inlet/internal/identity"
	"inlet/internal/policy"
)

// Namespace is STS's XML namespace.
const Namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// Roles finds roles and issues sessions.
type Roles interface {
	GetRole(ctx context.Context, accountID, name string) (identity.Role, error)
	IssueSession(spec identity.SessionSpec) (identity.Session, error)
}

// Server is the STS front. It is an http.Handler.
type Server struct {
	front *awsquery.Front
	roles Roles
	authz *authz.Authorizer
}

// New returns the STS front.
func New(front awsquery.Front, roles Roles, az *authz.Authorizer) *Server {
	front.Namespace = Namespace
	front.Log = front.Log.With("component", "sts")
	return &Server{front: &front, roles: roles, authz: az}
}

// ServeHTTP authenticates the call and runs its action.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.front.Serve(w, r, s.run)
}

func (s *Server) run(c *awsquery.Call) (any, error) {
	switch c.Action {
	case "AssumeRole":
		return s.assumeRole(c)
	case "GetCallerIdentity":
		return callerIdentity{Arn: c.Principal.ARN, UserID: userID(c.Principal), Account: c.Principal.AccountID}, nil
	case "GetSessionToken":
		return s.getSessionToken(c)
	case "":
		return nil, awsquery.Errorf("MissingAction", 400, "Missing Action")
	}
	return nil, awsquery.Errorf("InvalidAction", 400, "Could not find operation %s for version 2011-06-15", c.Action)
}

type callerIdentity struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}

func userID(p identity.Principal) string {
	if p.UserID != "" {
		return p.UserID
	}
	return p.AccountID
}

type credentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type assumeRoleResult struct {
	Credentials     credentials
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string
	}
	PackedPolicySize int `xml:",omitempty"`
}

var (
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	roleARNRE     = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/((?:[\x21-\x7e]*/)?)([\w+=,.@-]{1,64})$`)
)

func validation(format string, args ...any) error {
	return awsquery.Errorf("ValidationError", 400, format, args...)
}

func (s *Server) assumeRole(c *awsquery.Call) (any, error) {
	f := c.Form
	roleARN, name := f.Get("RoleArn"), f.Get("RoleSessionName")
	m := roleARNRE.FindStringSubmatch(roleARN)
	if m == nil {
		return nil, validation("%s is invalid", roleARN)
	}
	if !sessionNameRE.MatchString(name) {
		return nil, validation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64", name)
	}
	extID, hasExt := f.Get("ExternalId"), f.Has("ExternalId")
	if hasExt && (len(extID) < 2 || len(extID) > 1224 || !externalIDRE.MatchString(extID)) {
		return nil, validation("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2 and at most 1224, and match pattern [\\w+=,.@:\\/-]*", extID)
	}
	duration := 3600
	if v := f.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 43200 {
			return nil, validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)
		}
		duration = n
	}
	sessionPolicy := f.Get("Policy")
	if sessionPolicy != "" {
		if len(sessionPolicy) > 2048 {
			return nil, awsquery.Errorf("PackedPolicyTooLarge", 400, "Packed policy consumes more than 100 percent of the allotted size")
		}
		if _, err := policy.Parse([]byte(sessionPolicy), policy.SessionPolicy); err != nil {
			return nil, awsquery.Errorf("MalformedPolicyDocument", 400, "%v", err)
		}
	}
	p := c.Principal
	denied := func(why string) error {
		return awsquery.Errorf("AccessDenied", 403, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s%s", p.ARN, roleARN, why)
	}
	if p.IsRoot() {
		return nil, awsquery.Errorf("AccessDenied", 403, "Roles may not be assumed by root accounts.")
	}

	role, err := s.roles.GetRole(c.R.Context(), m[1], m[3])
	if errors.Is(err, identity.ErrNoSuchEntity) || err == nil && role.ARN() != roleARN {
		return nil, denied("")
	}
	if err != nil {
		return nil, err
	}
	trust, err := policy.Parse([]byte(role.TrustPolicy), policy.TrustPolicy)
	if err != nil {
		return nil, denied(" because the role's trust policy is invalid")
	}
	ctx := map[string][]string{"sts:rolesessionname": {name}}
	if hasExt {
		ctx["sts:externalid"] = []string{extID}
	}
	d, err := s.authz.Authorize(c.R.Context(), authz.Input{
		Principal: p, Action: "sts:AssumeRole", Resource: roleARN,
		ResourcePolicy: trust, ResourceAccount: role.AccountID, Context: ctx,
		SourceIP: c.R.RemoteAddr, Secure: c.Secure,
	})
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		s.front.Log.Info("assume role denied", "request_id", c.RequestID, "principal", p.ARN, "role", roleARN, "reason", d.Message)
		return nil, awsquery.Errorf("AccessDenied", 403, "%s", d.Message)
	}
	if duration > role.MaxSessionDuration {
		return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	sess, err := s.roles.IssueSession(identity.SessionSpec{
		AccountID: role.AccountID, Role: &role, SessionName: name,
		Duration: time.Duration(duration) * time.Second, Policy: sessionPolicy, ExternalID: extID,
	})
	if err != nil {
		return nil, err
	}
	s.front.Log.Info("role assumed", "request_id", c.RequestID, "principal", p.ARN, "role", roleARN,
		"session", name, "access_key_id", sess.AccessKeyID)
	res := assumeRoleResult{Credentials: creds(sess)}
	res.AssumedRoleUser.AssumedRoleID = sess.AssumedRoleID
	res.AssumedRoleUser.Arn = sess.Principal.ARN
	if sessionPolicy != "" {
		res.PackedPolicySize = len(sessionPolicy) * 100 / 2048
	}
	return res, nil
}

func creds(s identity.Session) credentials {
	return credentials{
		AccessKeyID:     s.AccessKeyID,
		SecretAccessKey: s.Secret.Reveal(),
		SessionToken:    s.Token,
		Expiration:      s.Expiration.Format(time.RFC3339),
	}
}

type sessionTokenResult struct {
	Credentials credentials
}

func (s *Server) getSessionToken(c *awsquery.Call) (any, error) {
	p := c.Principal
	if p.Temporary {
		return nil, awsquery.Errorf("AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
	}
	max := 129600
	if p.IsRoot() {
		max = 3600
	}
	duration := min(43200, max)
	if v := c.Form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > max {
			return nil, validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and %d", v, max)
		}
		duration = n
	}
	sess, err := s.roles.IssueSession(identity.SessionSpec{
		AccountID: p.AccountID, UserName: p.UserName, UserID: p.UserID, Duration: time.Duration(duration) * time.Second,
	})
	if err != nil {
		return nil, err
	}
	return sessionTokenResult{Credentials: creds(sess)}, nil
}
