package s3api

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"

	"inlet/internal/bucketconf"
	"inlet/internal/policy"
)

// ownerOnly refuses bucket configuration calls from other accounts: like
// S3, only the bucket owner's account manages a bucket's policy and
// controls, whatever the bucket policy says.
func ownerOnly(q *request, b bucket) error {
	if q.principal.AccountID != b.Owner {
		return errorf("AccessDenied", "User: %s is not authorized to perform: %s on resource: arn:aws:s3:::%s because only the bucket owner's account may",
			q.principal.ARN, opActions[q.op], b.Name)
	}
	return nil
}

// setConfig changes a bucket's configuration with fn and answers status.
func (s *Server) setConfig(q *request, b bucket, status int, fn func(*bucketconf.Config)) error {
	_, err := s.cfg.Buckets.Update(q.r.Context(), b.Name, func(c *bucketconf.Config) error {
		fn(c)
		return nil
	})
	if err != nil {
		return err
	}
	q.w.WriteHeader(status)
	return nil
}

// clearConfig removes one part of the bucket's configuration with reset,
// for the bucket's owner, and answers 204: every DELETE of a bucket
// subresource.
func (s *Server) clearConfig(q *request, reset func(*bucketconf.Config)) error {
	b, err := s.configBucket(q)
	if err != nil {
		return err
	}
	return s.setConfig(q, b, 204, reset)
}

func (s *Server) configBucket(q *request) (bucket, error) {
	b, err := s.bucketFor(q)
	if err != nil {
		return b, err
	}
	return b, ownerOnly(q, b)
}

func (s *Server) getBucketPolicy(q *request) error {
	b, err := s.configBucket(q)
	if err != nil {
		return err
	}
	if b.Policy == "" {
		return newError("NoSuchBucketPolicy")
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/json")
	q.w.WriteHeader(200)
	_, err = q.w.Write([]byte(b.Policy))
	return err
}

func (s *Server) putBucketPolicy(q *request) error {
	b, err := s.configBucket(q)
	if err != nil {
		return err
	}
	doc, err := readSmallBody(q, 20<<10)
	if err != nil {
		return errorf("PolicyTooLarge", "Policy exceeds the maximum allowed document size.")
	}
	if !json.Valid(doc) {
		return newError("MalformedPolicy")
	}
	p, err := policy.Parse(doc, policy.ResourcePolicy)
	if err != nil {
		var me *policy.MalformedError
		if errors.As(err, &me) {
			return errorf("MalformedPolicy", "%s", me.Reason)
		}
		return errorf("MalformedPolicy", "%v", err)
	}
	if err := policyFitsBucket(p, b.Name); err != nil {
		return err
	}
	if pab := b.PublicAccessBlock; pab != nil && pab.BlockPublicPolicy && isPublicPolicy(p) {
		return errorf("AccessDenied", "User: %s is not authorized to perform: s3:PutBucketPolicy on resource: arn:aws:s3:::%s because public policies are blocked by the BlockPublicPolicy block public access setting.",
			q.principal.ARN, b.Name)
	}
	return s.setConfig(q, b, 204, func(c *bucketconf.Config) {
		c.Policy = string(doc)
	})
}

// policyFitsBucket checks that every resource a bucket policy names is the
// bucket or inside it, as S3 does ("Policy has invalid resource").
func policyFitsBucket(p *policy.Policy, bucket string) error {
	for _, st := range p.Statements {
		for _, r := range st.Resources {
			if r == "*" {
				continue
			}
			rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
			if !ok {
				return errorf("MalformedPolicy", "Policy has invalid resource")
			}
			name, _, _ := strings.Cut(rest, "/")
			if !policy.Wildcard(name, bucket) {
				return errorf("MalformedPolicy", "Policy has invalid resource")
			}
		}
	}
	return nil
}

// isPublicPolicy reports whether a policy allows everyone ("*") without a
// condition, which BlockPublicPolicy refuses.
func isPublicPolicy(p *policy.Policy) bool {
	for _, st := range p.Statements {
		if st.Effect != policy.Allow || st.Principals == nil || len(st.Conditions) > 0 {
			continue
		}
		if st.Principals.Any {
			return true
		}
	}
	return false
}

func (s *Server) deleteBucketPolicy(q *request) error {
	return s.clearConfig(q, func(c *bucketconf.Config) { c.Policy = "" })
}

type ownershipControls struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string
	} `xml:"Rule"`
}

func (s *Server) getOwnershipControls(q *request) error {
	b, err := s.configBucket(q)
	if err != nil {
		return err
	}
	if b.Ownership == "" {
		return newError("OwnershipControlsNotFoundError")
	}
	out := ownershipControls{Xmlns: s3Namespace}
	out.Rules = append(out.Rules, struct{ ObjectOwnership string }{b.Ownership})
	return writeXML(q, 200, out)
}

func validOwnership(v string) bool {
	return v == OwnershipEnforced || v == OwnershipPreferred || v == OwnershipWriter
}

func (s *Server) putOwnershipControls(q *request) error {
	b, err := s.configBucket(q)
	if err != nil {
		return err
	}
	body, err := readSmallBody(q, 64<<10)
	if err != nil {
		return err
	}
	var in ownershipControls
	if err := xml.Unmarshal(body, &in); err != nil || len(in.Rules) != 1 || !validOwnership(in.Rules[0].ObjectOwnership) {
		return newError("MalformedXML")
	}
	return s.setConfig(q, b, 200, func(c *bucketconf.Config) {
		c.Ownership = in.Rules[0].ObjectOwnership
	})
}

func (s *Server) deleteOwnershipControls(q *request) error {
	return s.clearConfig(q, func(c *bucketconf.Config) { c.Ownership = "" })
}

type publicAccessBlockXML struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	Xmlns                 string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       bool
	IgnorePublicAcls      bool
	BlockPublicPolicy     bool
	RestrictPublicBuckets bool
}

func (s *Server) getPublicAccessBlock(q *request) error {
	b, err := s.configBucket(q)
	if err != nil {
		return err
	}
	p := b.PublicAccessBlock
	if p == nil {
		return newError("NoSuchPublicAccessBlockConfiguration")
	}
	return writeXML(q, 200, publicAccessBlockXML{
		Xmlns: s3Namespace, BlockPublicAcls: p.BlockPublicAcls, IgnorePublicAcls: p.IgnorePublicAcls,
		BlockPublicPolicy: p.BlockPublicPolicy, RestrictPublicBuckets: p.RestrictPublicBuckets,
	})
}

func (s *Server) putPublicAccessBlock(q *request) error {
	b, err := s.configBucket(q)
	if err != nil {
		return err
	}
	body, err := readSmallBody(q, 64<<10)
	if err != nil {
		return err
	}
	var in publicAccessBlockXML
	if err := xml.Unmarshal(body, &in); err != nil {
		return newError("MalformedXML")
	}
	return s.setConfig(q, b, 200, func(c *bucketconf.Config) {
		c.PublicAccessBlock = &bucketconf.PublicAccessBlock{
			BlockPublicAcls: in.BlockPublicAcls, IgnorePublicAcls: in.IgnorePublicAcls,
			BlockPublicPolicy: in.BlockPublicPolicy, RestrictPublicBuckets: in.RestrictPublicBuckets,
		}
	})
}

func (s *Server) deletePublicAccessBlock(q *request) error {
	return s.clearConfig(q, func(c *bucketconf.Config) { c.PublicAccessBlock = nil })
}
