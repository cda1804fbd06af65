// Package iamapi is the IAM query front of the embedded cloud: users,
// access keys, roles and inline policies, so that `aws iam` works
// unchanged against it. Every call acts in the caller's own account.
package iamapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"inlet/internal/authz"
	"inlet/internal/cloud/awsquery"
	"inlet/internal/identity"
	"inlet/internal/policy"
)

// Namespace is IAM's XML namespace.
const Namespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// Server is the IAM front. It is an http.Handler.
type Server struct {
	front *awsquery.Front
	ids   *identity.Store
	authz *authz.Authorizer
}

// New returns the IAM front.
func New(front awsquery.Front, ids *identity.Store, az *authz.Authorizer) *Server {
	front.Namespace = Namespace
	front.Log = front.Log.With("component", "iam")
	return &Server{front: &front, ids: ids, authz: az}
}

type action struct {
	// resource returns the ARN the action is authorized against.
	resource func(c *awsquery.Call) string
	run      func(s *Server, c *awsquery.Call) (any, error)
}

// userARN is the resource of a user call: the named user, or the caller
// itself when no name is given (IAM's "the caller" default).
func userARN(c *awsquery.Call) string {
	name := c.Form.Get("UserName")
	if name == "" {
		if c.Principal.UserName == "" {
			return c.Principal.ARN
		}
		name = c.Principal.UserName
	}
	return "arn:aws:iam::" + c.Principal.AccountID + ":user/" + name
}

func roleARN(c *awsquery.Call) string {
	return "arn:aws:iam::" + c.Principal.AccountID + ":role/" + c.Form.Get("RoleName")
}

// actions is the IAM action table.
var actions = map[string]action{
	"CreateUser":             {userARN, (*Server).createUser},
	"GetUser":                {userARN, (*Server).getUser},
	"ListUsers":              {userARN, (*Server).listUsers},
	"DeleteUser":             {userARN, (*Server).deleteUser},
	"CreateAccessKey":        {userARN, (*Server).createAccessKey},
	"ListAccessKeys":         {userARN, (*Server).listAccessKeys},
	"UpdateAccessKey":        {userARN, (*Server).updateAccessKey},
	"DeleteAccessKey":        {userARN, (*Server).deleteAccessKey},
	"PutUserPolicy":          {userARN, putPolicy(identity.OwnerUser)},
	"GetUserPolicy":          {userARN, getPolicy(identity.OwnerUser)},
	"ListUserPolicies":       {userARN, listPolicies(identity.OwnerUser)},
	"DeleteUserPolicy":       {userARN, deletePolicy(identity.OwnerUser)},
	"CreateRole":             {roleARN, (*Server).createRole},
	"GetRole":                {roleARN, (*Server).getRole},
	"ListRoles":              {roleARN, (*Server).listRoles},
	"DeleteRole":             {roleARN, (*Server).deleteRole},
	"UpdateRole":             {roleARN, (*Server).updateRole},
	"UpdateAssumeRolePolicy": {roleARN, (*Server).updateAssumeRolePolicy},
	"PutRolePolicy":          {roleARN, putPolicy(identity.OwnerRole)},
	"GetRolePolicy":          {roleARN, getPolicy(identity.OwnerRole)},
	"ListRolePolicies":       {roleARN, listPolicies(identity.OwnerRole)},
	"DeleteRolePolicy":       {roleARN, deletePolicy(identity.OwnerRole)},
}

// ServeHTTP authenticates, authorizes and runs the call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.front.Serve(w, r, func(c *awsquery.Call) (any, error) {
		res, err := s.run(c)
		if err != nil {
			return nil, wire(err)
		}
		return res, nil
	})
}

func (s *Server) run(c *awsquery.Call) (any, error) {
	a, ok := actions[c.Action]
	if !ok {
		if c.Action == "" {
			return nil, awsquery.Errorf("MissingAction", 400, "Missing Action")
		}
		return nil, awsquery.Errorf("InvalidAction", 400, "Could not find operation %s for version 2010-05-08", c.Action)
	}
	res := a.resource(c)
	d, err := s.authz.Authorize(c.R.Context(), authz.Input{
		Principal: c.Principal, Action: "iam:" + c.Action, Resource: res,
		ResourceAccount: c.Principal.AccountID, SourceIP: c.R.RemoteAddr, Secure: c.Secure,
	})
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		return nil, awsquery.Errorf("AccessDenied", 403, "%s", d.Message)
	}
	return a.run(s, c)
}

// wire maps identity errors to IAM's error codes.
func wire(err error) error {
	var e *awsquery.Error
	if errors.As(err, &e) {
		return e
	}
	for _, m := range []struct {
		err    error
		code   string
		status int
	}{
		{identity.ErrNoSuchEntity, "NoSuchEntity", 404},
		{identity.ErrEntityExists, "EntityAlreadyExists", 409},
		{identity.ErrDeleteConflict, "DeleteConflict", 409},
		{identity.ErrLimitExceeded, "LimitExceeded", 409},
		{identity.ErrValidation, "ValidationError", 400},
	} {
		if errors.Is(err, m.err) {
			// The message is IAM's sentence, without the Go error's prefix.
			msg := err.Error()
			if _, rest, ok := strings.Cut(msg, m.err.Error()+": "); ok {
				msg = rest
			}
			return &awsquery.Error{Code: m.code, Status: m.status, Message: msg}
		}
	}
	return err
}

type userXML struct {
	Path       string
	UserName   string `xml:",omitempty"` // none for the account root
	UserID     string `xml:"UserId"`
	Arn        string
	CreateDate string
}

func toUserXML(u identity.User) userXML {
	return userXML{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN(), CreateDate: isoTime(u.CreatedAt)}
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) createUser(c *awsquery.Call) (any, error) {
	u, err := s.ids.CreateUser(c.R.Context(), c.Principal.AccountID, c.Form.Get("UserName"), c.Form.Get("Path"))
	if errors.Is(err, identity.ErrEntityExists) {
		return nil, awsquery.Errorf("EntityAlreadyExists", 409, "User with name %s already exists.", c.Form.Get("UserName"))
	}
	if err != nil {
		return nil, err
	}
	return struct{ User userXML }{toUserXML(u)}, nil
}

func (s *Server) getUser(c *awsquery.Call) (any, error) {
	name := c.Form.Get("UserName")
	if name == "" {
		name = c.Principal.UserName
	}
	if name == "" {
		// The root asking about itself.
		p := c.Principal
		a, err := s.ids.Account(c.R.Context(), p.AccountID)
		if err != nil {
			return nil, err
		}
		return struct{ User userXML }{userXML{Path: "/", UserID: p.AccountID, Arn: p.ARN, CreateDate: isoTime(a.CreatedAt)}}, nil
	}
	u, err := s.ids.GetUser(c.R.Context(), c.Principal.AccountID, name)
	if err != nil {
		return nil, err
	}
	return struct{ User userXML }{toUserXML(u)}, nil
}

type members[T any] struct {
	Member []T `xml:"member"`
}

// page cuts a listing, sorted by name, as IAM does: the items whose path
// starts with PathPrefix (when the call has one), MaxItems of them (1 to
// 1000, default 100) after Marker, the opaque token the previous page
// ended with. marker is "" on the last page.
func page[T any](c *awsquery.Call, items []T, name, path func(T) string) (_ []T, marker string, err error) {
	max := 100
	if v := c.Form.Get("MaxItems"); v != "" {
		if max, err = strconv.Atoi(v); err != nil || max < 1 || max > 1000 {
			return nil, "", fmt.Errorf("%w: 1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", identity.ErrValidation, v)
		}
	}
	if prefix := c.Form.Get("PathPrefix"); prefix != "" && path != nil {
		items = slices.DeleteFunc(slices.Clone(items), func(x T) bool { return !strings.HasPrefix(path(x), prefix) })
	}
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(name(a), name(b)) })
	if m := c.Form.Get("Marker"); m != "" {
		after, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return nil, "", fmt.Errorf("%w: Invalid Marker.", identity.ErrValidation)
		}
		i, _ := slices.BinarySearchFunc(items, string(after), func(x T, k string) int { return strings.Compare(name(x), k) })
		for i < len(items) && name(items[i]) <= string(after) {
			i++
		}
		items = items[i:]
	}
	if len(items) > max {
		return items[:max], base64.RawURLEncoding.EncodeToString([]byte(name(items[max-1]))), nil
	}
	return items, "", nil
}

func (s *Server) listUsers(c *awsquery.Call) (any, error) {
	us, err := s.ids.ListUsers(c.R.Context(), c.Principal.AccountID)
	if err != nil {
		return nil, err
	}
	us, marker, err := page(c, us, func(u identity.User) string { return u.Name }, func(u identity.User) string { return u.Path })
	if err != nil {
		return nil, err
	}
	out := struct {
		Users       members[userXML]
		IsTruncated bool
		Marker      string `xml:",omitempty"`
	}{IsTruncated: marker != "", Marker: marker}
	for _, u := range us {
		out.Users.Member = append(out.Users.Member, toUserXML(u))
	}
	return out, nil
}

func (s *Server) deleteUser(c *awsquery.Call) (any, error) {
	return nil, s.ids.DeleteUser(c.R.Context(), c.Principal.AccountID, c.Form.Get("UserName"))
}

// keyOwner is the user an access-key call is about: the named one, or the
// caller (root's own keys when the caller is root).
func keyOwner(c *awsquery.Call) string {
	if n := c.Form.Get("UserName"); n != "" {
		return n
	}
	return c.Principal.UserName
}

type accessKeyXML struct {
	UserName        string `xml:",omitempty"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string
	SecretAccessKey string `xml:",omitempty"`
	CreateDate      string
}

func (s *Server) createAccessKey(c *awsquery.Call) (any, error) {
	k, err := s.ids.CreateAccessKey(c.R.Context(), c.Principal.AccountID, keyOwner(c))
	if err != nil {
		return nil, err
	}
	s.front.Log.Info("access key created", "access_key_id", k.ID, "account_id", k.AccountID, "user", k.UserName)
	return struct{ AccessKey accessKeyXML }{accessKeyXML{
		UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status,
		SecretAccessKey: k.Secret.Reveal(), CreateDate: isoTime(k.CreatedAt),
	}}, nil
}

func (s *Server) listAccessKeys(c *awsquery.Call) (any, error) {
	ks, err := s.ids.ListAccessKeys(c.R.Context(), c.Principal.AccountID, keyOwner(c))
	if err != nil {
		return nil, err
	}
	ks, marker, err := page(c, ks, func(k identity.AccessKey) string { return k.ID }, nil)
	if err != nil {
		return nil, err
	}
	out := struct {
		AccessKeyMetadata members[accessKeyXML]
		IsTruncated       bool
		Marker            string `xml:",omitempty"`
	}{IsTruncated: marker != "", Marker: marker}
	for _, k := range ks {
		out.AccessKeyMetadata.Member = append(out.AccessKeyMetadata.Member, accessKeyXML{
			UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status, CreateDate: isoTime(k.CreatedAt),
		})
	}
	return out, nil
}

func (s *Server) updateAccessKey(c *awsquery.Call) (any, error) {
	return nil, s.ids.UpdateAccessKey(c.R.Context(), c.Principal.AccountID, keyOwner(c), c.Form.Get("AccessKeyId"), c.Form.Get("Status"))
}

func (s *Server) deleteAccessKey(c *awsquery.Call) (any, error) {
	return nil, s.ids.DeleteAccessKey(c.R.Context(), c.Principal.AccountID, keyOwner(c), c.Form.Get("AccessKeyId"))
}

// checkDocument validates a policy document as IAM does.
func checkDocument(doc string, kind policy.Kind) error {
	if doc == "" {
		return awsquery.Errorf("ValidationError", 400, "The policy document must not be empty")
	}
	if len(doc) > 10240 {
		return awsquery.Errorf("LimitExceeded", 409, "Maximum policy size of 10240 bytes exceeded")
	}
	if _, err := policy.Parse([]byte(doc), kind); err != nil {
		return awsquery.Errorf("MalformedPolicyDocument", 400, "%v", err)
	}
	return nil
}

func ownerParam(kind string) string {
	if kind == identity.OwnerRole {
		return "RoleName"
	}
	return "UserName"
}

func putPolicy(kind string) func(*Server, *awsquery.Call) (any, error) {
	return func(s *Server, c *awsquery.Call) (any, error) {
		doc := c.Form.Get("PolicyDocument")
		if err := checkDocument(doc, policy.IdentityPolicy); err != nil {
			return nil, err
		}
		return nil, s.ids.PutPolicy(c.R.Context(), c.Principal.AccountID, kind, c.Form.Get(ownerParam(kind)), c.Form.Get("PolicyName"), doc)
	}
}

// policyEscape URL-encodes a policy document as IAM returns it: RFC 3986
// percent-encoding, a space as %20. (url.QueryEscape writes a space as +,
// which botocore, decoding with unquote, leaves in place, so the AWS CLI
// showed the encoded text instead of the JSON.)
func policyEscape(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func getPolicy(kind string) func(*Server, *awsquery.Call) (any, error) {
	return func(s *Server, c *awsquery.Call) (any, error) {
		owner, name := c.Form.Get(ownerParam(kind)), c.Form.Get("PolicyName")
		doc, err := s.ids.GetPolicy(c.R.Context(), c.Principal.AccountID, kind, owner, name)
		if err != nil {
			return nil, err
		}
		if kind == identity.OwnerRole {
			return struct {
				RoleName, PolicyName, PolicyDocument string
			}{owner, name, policyEscape(doc)}, nil
		}
		return struct {
			UserName, PolicyName, PolicyDocument string
		}{owner, name, policyEscape(doc)}, nil
	}
}

func listPolicies(kind string) func(*Server, *awsquery.Call) (any, error) {
	return func(s *Server, c *awsquery.Call) (any, error) {
		names, err := s.ids.ListPolicies(c.R.Context(), c.Principal.AccountID, kind, c.Form.Get(ownerParam(kind)))
		if err != nil {
			return nil, err
		}
		names, marker, err := page(c, names, func(n string) string { return n }, nil)
		if err != nil {
			return nil, err
		}
		out := struct {
			PolicyNames members[string]
			IsTruncated bool
			Marker      string `xml:",omitempty"`
		}{IsTruncated: marker != "", Marker: marker}
		out.PolicyNames.Member = names
		return out, nil
	}
}

func deletePolicy(kind string) func(*Server, *awsquery.Call) (any, error) {
	return func(s *Server, c *awsquery.Call) (any, error) {
		return nil, s.ids.DeletePolicy(c.R.Context(), c.Principal.AccountID, kind, c.Form.Get(ownerParam(kind)), c.Form.Get("PolicyName"))
	}
}

type roleXML struct {
	Path                     string
	RoleName                 string
	RoleID                   string `xml:"RoleId"`
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string
	Description              string `xml:",omitempty"`
	MaxSessionDuration       int
}

func toRoleXML(r identity.Role) roleXML {
	return roleXML{
		Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN(), CreateDate: isoTime(r.CreatedAt),
		AssumeRolePolicyDocument: policyEscape(r.TrustPolicy), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration,
	}
}

func (s *Server) createRole(c *awsquery.Call) (any, error) {
	doc := c.Form.Get("AssumeRolePolicyDocument")
	if err := checkDocument(doc, policy.TrustPolicy); err != nil {
		return nil, err
	}
	r := identity.Role{
		AccountID: c.Principal.AccountID, Name: c.Form.Get("RoleName"), Path: c.Form.Get("Path"),
		TrustPolicy: doc, Description: c.Form.Get("Description"),
	}
	if v := c.Form.Get("MaxSessionDuration"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, awsquery.Errorf("ValidationError", 400, "MaxSessionDuration must be a number")
		}
		r.MaxSessionDuration = n
	}
	r, err := s.ids.CreateRole(c.R.Context(), r)
	if errors.Is(err, identity.ErrEntityExists) {
		return nil, awsquery.Errorf("EntityAlreadyExists", 409, "Role with name %s already exists.", c.Form.Get("RoleName"))
	}
	if err != nil {
		return nil, err
	}
	return struct{ Role roleXML }{toRoleXML(r)}, nil
}

func (s *Server) getRole(c *awsquery.Call) (any, error) {
	r, err := s.ids.GetRole(c.R.Context(), c.Principal.AccountID, c.Form.Get("RoleName"))
	if err != nil {
		return nil, err
	}
	return struct{ Role roleXML }{toRoleXML(r)}, nil
}

func (s *Server) listRoles(c *awsquery.Call) (any, error) {
	rs, err := s.ids.ListRoles(c.R.Context(), c.Principal.AccountID)
	if err != nil {
		return nil, err
	}
	rs, marker, err := page(c, rs, func(r identity.Role) string { return r.Name }, func(r identity.Role) string { return r.Path })
	if err != nil {
		return nil, err
	}
	out := struct {
		Roles       members[roleXML]
		IsTruncated bool
		Marker      string `xml:",omitempty"`
	}{IsTruncated: marker != "", Marker: marker}
	for _, r := range rs {
		out.Roles.Member = append(out.Roles.Member, toRoleXML(r))
	}
	return out, nil
}

func (s *Server) deleteRole(c *awsquery.Call) (any, error) {
	return nil, s.ids.DeleteRole(c.R.Context(), c.Principal.AccountID, c.Form.Get("RoleName"))
}

func (s *Server) updateRole(c *awsquery.Call) (any, error) {
	var desc *string
	if c.Form.Has("Description") {
		d := c.Form.Get("Description")
		desc = &d
	}
	maxSession := 0
	if v := c.Form.Get("MaxSessionDuration"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, awsquery.Errorf("ValidationError", 400, "MaxSessionDuration must be a number")
		}
		maxSession = n
	}
	return struct{}{}, s.ids.UpdateRole(c.R.Context(), c.Principal.AccountID, c.Form.Get("RoleName"), desc, maxSession)
}

func (s *Server) updateAssumeRolePolicy(c *awsquery.Call) (any, error) {
	doc := c.Form.Get("PolicyDocument")
	if err := checkDocument(doc, policy.TrustPolicy); err != nil {
		return nil, err
	}
	return nil, s.ids.UpdateAssumeRolePolicy(c.R.Context(), c.Principal.AccountID, c.Form.Get("RoleName"), doc)
}
