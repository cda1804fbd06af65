package s3api

import (
	"encoding/xml"

	"inlet/internal/objstore"
)

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

// ownerACL is the ACL every bucket and object has here: the owner with
// FULL_CONTROL. Grants beyond the owner's are accepted as canned ACL
// names and recorded, but access is decided by ownership alone.
func ownerACL(ownerID string) accessControlPolicy {
	return accessControlPolicy{
		Xmlns: s3Namespace,
		Owner: owner{ID: ownerID},
		Grants: []grant{{
			Grantee:    grantee{XSI: xsiNamespace, Type: "CanonicalUser", ID: ownerID},
			Permission: "FULL_CONTROL",
		}},
	}
}

func (s *Server) getBucketACL(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	return writeXML(q, 200, ownerACL(b.Owner))
}

func (s *Server) getObjectACL(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	if err := versionParam(q); err != nil {
		return err
	}
	m, err := s.cfg.Store.HeadObject(q.r.Context(), q.bucket, q.key)
	if err != nil {
		return err
	}
	return writeXML(q, 200, ownerACL(m.Owner))
}

func (s *Server) putObjectACL(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	if err := checkCannedACL(q, true); err != nil {
		return err
	}
	body, err := readSmallBody(q, 64<<10)
	if err != nil {
		return err
	}
	if len(body) > 0 {
		var p accessControlPolicy
		if err := xml.Unmarshal(body, &p); err != nil {
			return newError("MalformedXML")
		}
	}
	canned := q.r.Header.Get("x-amz-acl")
	_, err = s.cfg.Store.UpdateObjectMeta(q.r.Context(), q.bucket, q.key, func(m *objstore.ObjectMeta) error {
		m.ACL = []byte(canned)
		return nil
	})
	if err != nil {
		return err
	}
	q.w.WriteHeader(200)
	return nil
}
