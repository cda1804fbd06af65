package s3api

import (
	"encoding/json"
	"encoding/xml"
	"strings"

	"inlet/internal/objstore"
)

// Object Ownership settings. A bucket without ownership controls behaves
// as ObjectWriter; new buckets get BucketOwnerEnforced, as on S3.
const (
	OwnershipEnforced  = "BucketOwnerEnforced"
	OwnershipPreferred = "BucketOwnerPreferred"
	OwnershipWriter    = "ObjectWriter"
)

// Grantee group URIs.
const (
	allUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	logDelivURI  = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// aclGrant is one grant of an object ACL. Canonical user ids are account
// ids here.
type aclGrant struct {
	ID         string `json:"id,omitempty"`
	URI        string `json:"uri,omitempty"`
	Permission string `json:"p"`
}

// objectACL is what objstore keeps (as JSON) in ObjectMeta.ACL.
type objectACL struct {
	Grants []aclGrant `json:"g"`
	// Canned is the canned ACL the object (or multipart upload) was
	// written with, kept for evaluating s3:x-amz-acl on an upload's parts.
	Canned string `json:"c,omitempty"`
}

func decodeACL(raw []byte) objectACL {
	var a objectACL
	if len(raw) > 0 && raw[0] == '{' {
		json.Unmarshal(raw, &a)
	}
	return a
}

func (a objectACL) encode() []byte {
	b, _ := json.Marshal(a)
	return b
}

// cannedGrants expands a canned ACL into grants for an object owned by
// owner in a bucket owned by bucketOwner.
func cannedGrants(canned, owner, bucketOwner string) []aclGrant {
	g := []aclGrant{{ID: owner, Permission: "FULL_CONTROL"}}
	switch canned {
	case "public-read":
		g = append(g, aclGrant{URI: allUsersURI, Permission: "READ"})
	case "public-read-write":
		g = append(g, aclGrant{URI: allUsersURI, Permission: "READ"}, aclGrant{URI: allUsersURI, Permission: "WRITE"})
	case "authenticated-read":
		g = append(g, aclGrant{URI: authUsersURI, Permission: "READ"})
	case "bucket-owner-read":
		if bucketOwner != owner {
			g = append(g, aclGrant{ID: bucketOwner, Permission: "READ"})
		}
	case "bucket-owner-full-control":
		if bucketOwner != owner {
			g = append(g, aclGrant{ID: bucketOwner, Permission: "FULL_CONTROL"})
		}
	case "log-delivery-write":
		g = append(g, aclGrant{URI: logDelivURI, Permission: "WRITE"}, aclGrant{URI: logDelivURI, Permission: "READ_ACP"})
	}
	return g
}

var grantHeaders = map[string]string{
	"x-amz-grant-read":         "READ",
	"x-amz-grant-write":        "WRITE",
	"x-amz-grant-read-acp":     "READ_ACP",
	"x-amz-grant-write-acp":    "WRITE_ACP",
	"x-amz-grant-full-control": "FULL_CONTROL",
}

// hasACLHeaders reports whether the request sets an ACL.
func hasACLHeaders(q *request) bool {
	if q.r.Header.Get("x-amz-acl") != "" {
		return true
	}
	for h := range grantHeaders {
		if q.r.Header.Get(h) != "" {
			return true
		}
	}
	return false
}

// parseGrantHeaders reads x-amz-grant-* headers: comma-separated
// id="...", uri="..." entries. emailAddress grantees are not supported.
func parseGrantHeaders(q *request, owner string) ([]aclGrant, error) {
	var out []aclGrant
	for h, perm := range grantHeaders {
		v := q.r.Header.Get(h)
		if v == "" {
			continue
		}
		for _, part := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			if !ok || val == "" {
				return nil, errorf("InvalidArgument", "Invalid grantee in %s: %s", h, part)
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "id":
				out = append(out, aclGrant{ID: val, Permission: perm})
			case "uri":
				out = append(out, aclGrant{URI: val, Permission: perm})
			default:
				return nil, errorf("InvalidArgument", "Grantee type %s is not supported; use id or uri", k)
			}
		}
	}
	if len(out) > 0 {
		out = append([]aclGrant{{ID: owner, Permission: "FULL_CONTROL"}}, out...)
	}
	return out, nil
}

// writeOwnership decides, for a write into bucket b, who owns the new
// object and its ACL, applying the bucket's Object Ownership.
func writeOwnership(q *request, b bucket) (owner string, acl []byte, err error) {
	canned := q.r.Header.Get("x-amz-acl")
	if canned != "" && !cannedACLs[canned] {
		return "", nil, errorf("InvalidArgument", "Invalid canned ACL: %s", canned)
	}
	grants, err := parseGrantHeaders(q, q.principal.AccountID)
	if err != nil {
		return "", nil, err
	}
	if canned != "" && len(grants) > 0 {
		return "", nil, errorf("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
	}

	switch b.Ownership {
	case OwnershipEnforced:
		// ACLs are disabled: only the ACLs that give the bucket owner full
		// control (which it has anyway) are accepted.
		if len(grants) > 0 || canned != "" && canned != "bucket-owner-full-control" && canned != "private" {
			return "", nil, newError("AccessControlListNotSupported")
		}
		return b.Owner, objectACL{Grants: cannedGrants("private", b.Owner, b.Owner), Canned: canned}.encode(), nil
	case OwnershipPreferred:
		if canned == "bucket-owner-full-control" {
			owner = b.Owner
		} else {
			owner = q.principal.AccountID
		}
	default:
		owner = q.principal.AccountID
	}
	if len(grants) > 0 {
		return owner, objectACL{Grants: grants}.encode(), nil
	}
	return owner, objectACL{Grants: cannedGrants(canned, owner, b.Owner), Canned: canned}.encode(), nil
}

// objectOwner is who owns an object written by the account owner: with
// BucketOwnerEnforced, the bucket owner owns every object, also those
// written under another setting before ("ACLs no longer affect
// permissions"), which is how such objects are recovered on S3.
func (b bucket) objectOwner(owner string) string {
	if b.Ownership == OwnershipEnforced || owner == "" {
		return b.Owner
	}
	return owner
}

// objectAccess checks the object ACL for an object that neither the caller
// nor the bucket owner owns: the bucket policy does not reach it, so the
// caller needs the object owner's grant (as on S3, where the bucket owner
// cannot read an object it does not own unless granted).
func objectAccess(q *request, b bucket, m objstore.ObjectMeta, perm string) error {
	owner := b.objectOwner(m.Owner)
	if owner == q.principal.AccountID || owner == b.Owner {
		// The caller's own object, or the bucket owner's: policies decide.
		return nil
	}
	for _, g := range decodeACL(m.ACL).Grants {
		if g.Permission != perm && g.Permission != "FULL_CONTROL" {
			continue
		}
		if g.ID == q.principal.AccountID || g.URI == allUsersURI || g.URI == authUsersURI {
			return nil
		}
	}
	return errorf("AccessDenied", "Access Denied: object %s is owned by account %s, whose ACL grants %s no %s access",
		m.Key, m.Owner, q.principal.ARN, perm)
}

type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Xmlns   string   `xml:"xmlns,attr"`
	Owner   owner
	Grants  []grant `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee    grantee
	Permission string
}

type grantee struct {
	XMLName xml.Name `xml:"Grantee"`
	XSI     string   `xml:"xmlns:xsi,attr"`
	Type    string   `xml:"xsi:type,attr"`
	ID      string   `xml:"ID,omitempty"`
	URI     string   `xml:"URI,omitempty"`
}

const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

func aclXML(ownerID string, grants []aclGrant) accessControlPolicy {
	p := accessControlPolicy{Xmlns: s3Namespace, Owner: owner{ID: ownerID}}
	if len(grants) == 0 {
		grants = []aclGrant{{ID: ownerID, Permission: "FULL_CONTROL"}}
	}
	for _, g := range grants {
		ge := grantee{XSI: xsiNamespace, Type: "CanonicalUser", ID: g.ID}
		if g.URI != "" {
			ge = grantee{XSI: xsiNamespace, Type: "Group", URI: g.URI}
		}
		p.Grants = append(p.Grants, grant{Grantee: ge, Permission: g.Permission})
	}
	return p
}

func (s *Server) getBucketACL(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	return writeXML(q, 200, aclXML(b.Owner, nil))
}

func (s *Server) getObjectACL(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	if err := versionParam(q); err != nil {
		return err
	}
	m, err := s.cfg.Store.HeadObject(q.r.Context(), q.bucket, q.key)
	if err != nil {
		return err
	}
	if err := objectAccess(q, b, m, "READ_ACP"); err != nil {
		return err
	}
	if b.Ownership == OwnershipEnforced {
		// ACLs are off: the bucket owner has full control of everything.
		return writeXML(q, 200, aclXML(b.Owner, cannedGrants("private", b.Owner, b.Owner)))
	}
	return writeXML(q, 200, aclXML(m.Owner, decodeACL(m.ACL).Grants))
}

func (s *Server) putObjectACL(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	if b.Ownership == OwnershipEnforced {
		return newError("AccessControlListNotSupported")
	}
	m, err := s.cfg.Store.HeadObject(q.r.Context(), q.bucket, q.key)
	if err != nil {
		return err
	}
	if err := objectAccess(q, b, m, "WRITE_ACP"); err != nil {
		return err
	}
	body, err := readSmallBody(q, 64<<10)
	if err != nil {
		return err
	}
	var grants []aclGrant
	switch {
	case hasACLHeaders(q):
		canned := q.r.Header.Get("x-amz-acl")
		if canned != "" && !cannedACLs[canned] {
			return errorf("InvalidArgument", "Invalid canned ACL: %s", canned)
		}
		if grants, err = parseGrantHeaders(q, m.Owner); err != nil {
			return err
		}
		if len(grants) == 0 {
			grants = cannedGrants(canned, m.Owner, b.Owner)
		}
	case len(strings.TrimSpace(string(body))) > 0:
		var p accessControlPolicy
		if err := xml.Unmarshal(body, &p); err != nil {
			return newError("MalformedACLError")
		}
		for _, g := range p.Grants {
			grants = append(grants, aclGrant{ID: g.Grantee.ID, URI: g.Grantee.URI, Permission: g.Permission})
		}
	default:
		return errorf("MissingSecurityHeader", "Your request was missing a required header: x-amz-acl")
	}
	_, err = s.cfg.Store.UpdateObjectMeta(q.r.Context(), q.bucket, q.key, func(m *objstore.ObjectMeta) error {
		m.ACL = objectACL{Grants: grants}.encode()
		return nil
	})
	if err != nil {
		return err
	}
	q.w.WriteHeader(200)
	return nil
}
