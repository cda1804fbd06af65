package s3api

import (
	"encoding/xml"
	"io"
	"net"
	"strings"
	"time"

	"inlet/internal/authz"
	"inlet/internal/bucketconf"
	"inlet/internal/objstore"
)

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

type listAllMyBucketsResult struct {
	XMLName xml.Name `xml:"ListAllMyBucketsResult"`
	Xmlns   string   `xml:"xmlns,attr"`
	Owner   owner
	Buckets []bucketEntry `xml:"Buckets>Bucket"`
}

type bucketEntry struct {
	Name         string
	CreationDate string
	BucketRegion string `xml:",omitempty"`
}

// authorizeCreate checks s3:CreateBucket against the caller's identity
// policies (there is no bucket policy yet).
func (s *Server) authorizeCreate(q *request) error {
	d, err := s.cfg.Authorizer.Authorize(q.r.Context(), authz.Input{
		Principal: q.principal, Action: "s3:CreateBucket", Resource: "arn:aws:s3:::" + q.bucket,
		ResourceAccount: q.principal.AccountID, SourceIP: q.r.RemoteAddr, Secure: q.secure,
	})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return errorf("AccessDenied", "%s", d.Message)
	}
	return nil
}

func (s *Server) listBuckets(q *request) error {
	d, err := s.cfg.Authorizer.Authorize(q.r.Context(), authz.Input{
		Principal: q.principal, Action: "s3:ListAllMyBuckets", Resource: "*",
		ResourceAccount: q.principal.AccountID, SourceIP: q.r.RemoteAddr, Secure: q.secure,
	})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return errorf("AccessDenied", "%s", d.Message)
	}
	bs, err := s.cfg.Store.ListBuckets(q.r.Context(), q.principal.AccountID)
	if err != nil {
		return err
	}
	res := listAllMyBucketsResult{Xmlns: s3Namespace, Owner: owner{ID: q.principal.AccountID}}
	res.Buckets = []bucketEntry{}
	for _, b := range bs {
		res.Buckets = append(res.Buckets, bucketEntry{Name: b.Name, CreationDate: isoTime(b.CreatedAt), BucketRegion: b.Region})
	}
	return writeXML(q, 200, res)
}

type createBucketConfiguration struct {
	LocationConstraint string
}

func (s *Server) createBucket(q *request) error {
	if !validBucketName(q.bucket) {
		return errorf("InvalidBucketName", "The specified bucket is not valid: %q", q.bucket)
	}
	body, err := readSmallBody(q, 64<<10)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var cfg createBucketConfiguration
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return newError("MalformedXML")
		}
		if c := cfg.LocationConstraint; c != "" && c != s.cfg.Region {
			if c == "EU" || !validRegionName(c) {
				return errorf("InvalidLocationConstraint", "The specified location-constraint is not valid: %s", c)
			}
			return errorf("IllegalLocationConstraintException",
				"The %s location constraint is incompatible for the region specific endpoint this request was sent to.", c)
		}
	}
	if err := checkCannedACL(q, false); err != nil {
		return err
	}
	ownership := OwnershipEnforced
	if v := q.r.Header.Get("x-amz-object-ownership"); v != "" {
		if !validOwnership(v) {
			return errorf("InvalidArgument", "Invalid x-amz-object-ownership header: %s", v)
		}
		ownership = v
	}
	if acl := q.r.Header.Get("x-amz-acl"); ownership == OwnershipEnforced && hasACLHeaders(q) &&
		acl != "private" && acl != "bucket-owner-full-control" {
		return newError("InvalidBucketAclWithObjectOwnership")
	}
	// An existing bucket answers 409 before any permission check: rclone
	// and other tools create the bucket first and rely on this.
	if existing, err := s.cfg.Store.GetBucket(q.r.Context(), q.bucket); err == nil {
		if existing.Owner == q.principal.AccountID {
			return newError("BucketAlreadyOwnedByYou")
		}
		return newError("BucketAlreadyExists")
	}
	if err := s.authorizeCreate(q); err != nil {
		return err
	}
	err = s.cfg.Store.CreateBucket(q.r.Context(), objstore.Bucket{
		Name:      q.bucket,
		Owner:     q.principal.AccountID,
		Region:    s.cfg.Region,
		CreatedAt: time.Now().UTC(),
	})
	if err != nil {
		return err
	}
	// New buckets disable ACLs and block public access, as S3 does.
	_, err = s.cfg.Buckets.Update(q.r.Context(), q.bucket, func(c *bucketconf.Config) error {
		*c = bucketconf.Config{Ownership: ownership, PublicAccessBlock: &bucketconf.PublicAccessBlock{
			BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true,
		}}
		return nil
	})
	if err != nil {
		return err
	}
	q.w.Header().Set("Location", "/"+q.bucket)
	q.w.WriteHeader(200)
	return nil
}

func (s *Server) headBucket(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	q.w.Header().Set("x-amz-bucket-region", b.Region)
	q.w.WriteHeader(200)
	return nil
}

func (s *Server) deleteBucket(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteBucket(q.r.Context(), q.bucket); err != nil {
		return err
	}
	if err := s.cfg.Buckets.Delete(q.r.Context(), q.bucket); err != nil {
		return err
	}
	q.w.WriteHeader(204)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Value   string   `xml:",chardata"`
}

func (s *Server) getBucketLocation(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	// us-east-1 is reported as an empty constraint, as S3 does.
	region := b.Region
	if region == "us-east-1" {
		region = ""
	}
	return writeXML(q, 200, locationConstraint{Xmlns: s3Namespace, Value: region})
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	Xmlns   string   `xml:"xmlns,attr"`
}

// getBucketVersioning reports versioning as never enabled: the store keeps
// one version of each object (version id "null").
func (s *Server) getBucketVersioning(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	return writeXML(q, 200, versioningConfiguration{Xmlns: s3Namespace})
}

// validBucketName applies S3's general purpose bucket naming rules.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return false
	}
	if strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return false
		}
	}
	return true
}

func validRegionName(r string) bool {
	if len(r) < 4 || len(r) > 32 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// readSmallBody reads a request body meant to be a small XML document.
func readSmallBody(q *request, max int64) ([]byte, error) {
	if q.body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(q.body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errorf("MalformedXML", "The request body exceeds %d bytes", max)
	}
	return b, nil
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
