package s3api

import (
	"context"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"inlet/internal/authz"
	"inlet/internal/bucketconf"
	"inlet/internal/objstore"
	"inlet/internal/policy"
)

// opActions maps S3 operations to the IAM actions that authorize them, as
// AWS documents them.
var opActions = map[string]string{
	"ListBuckets":                   "s3:ListAllMyBuckets",
	"CreateBucket":                  "s3:CreateBucket",
	"HeadBucket":                    "s3:ListBucket",
	"DeleteBucket":                  "s3:DeleteBucket",
	"GetBucketLocation":             "s3:GetBucketLocation",
	"GetBucketVersioning":           "s3:GetBucketVersioning",
	"GetBucketAcl":                  "s3:GetBucketAcl",
	"PutBucketAcl":                  "s3:PutBucketAcl",
	"GetBucketPolicy":               "s3:GetBucketPolicy",
	"PutBucketPolicy":               "s3:PutBucketPolicy",
	"DeleteBucketPolicy":            "s3:DeleteBucketPolicy",
	"GetBucketOwnershipControls":    "s3:GetBucketOwnershipControls",
	"PutBucketOwnershipControls":    "s3:PutBucketOwnershipControls",
	"DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
	"GetPublicAccessBlock":          "s3:GetBucketPublicAccessBlock",
	"PutPublicAccessBlock":          "s3:PutBucketPublicAccessBlock",
	"DeletePublicAccessBlock":       "s3:PutBucketPublicAccessBlock",
	"GetBucketCors":                 "s3:GetBucketCORS",
	"GetBucketLifecycle":            "s3:GetLifecycleConfiguration",
	"GetBucketWebsite":              "s3:GetBucketWebsite",
	"GetBucketEncryption":           "s3:GetEncryptionConfiguration",
	"GetBucketTagging":              "s3:GetBucketTagging",
	"ListObjects":                   "s3:ListBucket",
	"ListObjectsV2":                 "s3:ListBucket",
	"ListObjectVersions":            "s3:ListBucketVersions",
	"ListMultipartUploads":          "s3:ListBucketMultipartUploads",
	"DeleteObjects":                 "s3:DeleteObject",
	"PutObject":                     "s3:PutObject",
	"CopyObject":                    "s3:PutObject",
	"CreateMultipartUpload":         "s3:PutObject",
	"UploadPart":                    "s3:PutObject",
	"UploadPartCopy":                "s3:PutObject",
	"CompleteMultipartUpload":       "s3:PutObject",
	"AbortMultipartUpload":          "s3:AbortMultipartUpload",
	"ListParts":                     "s3:ListMultipartUploadParts",
	"GetObject":                     "s3:GetObject",
	"HeadObject":                    "s3:GetObject",
	"DeleteObject":                  "s3:DeleteObject",
	"GetObjectTagging":              "s3:GetObjectTagging",
	"PutObjectTagging":              "s3:PutObjectTagging",
	"DeleteObjectTagging":           "s3:DeleteObjectTagging",
	"GetObjectAcl":                  "s3:GetObjectAcl",
	"PutObjectAcl":                  "s3:PutObjectAcl",
}

// access describes one authorization check of a request.
type access struct {
	action   string // IAM action; default from the op
	bucket   string // default q.bucket
	key      string // default q.key; object-level when non-empty
	objLevel bool   // force an object ARN even if key is empty
	// acl overrides the s3:x-amz-acl key: multipart parts and completion
	// are evaluated with the ACL their upload was created with.
	acl *string
}

// bucketFor loads the request's bucket and authorizes the request's
// operation on it (or on its object).
func (s *Server) bucketFor(q *request) (bucket, error) {
	return s.check(q, access{})
}

// bucket is a bucket with its access configuration.
type bucket struct {
	objstore.Bucket
	bucketconf.Config
}

// loadBucket reads a bucket and its configuration.
func (s *Server) loadBucket(q *request, name string) (bucket, error) {
	b, err := s.cfg.Store.GetBucket(q.r.Context(), name)
	if err != nil {
		return bucket{}, err
	}
	c, err := s.cfg.Buckets.Get(q.r.Context(), name)
	if err != nil {
		return bucket{}, err
	}
	return bucket{b, c}, nil
}

// check loads the bucket named by a (or the request) and authorizes a.
func (s *Server) check(q *request, a access) (bucket, error) {
	if a.bucket == "" {
		a.bucket, a.key = q.bucket, q.key
	}
	b, err := s.loadBucket(q, a.bucket)
	if err != nil {
		return bucket{}, err
	}
	return b, s.authorize(q, b, a)
}

// resourceARN is the S3 ARN of a bucket or an object.
func resourceARN(bucket, key string, obj bool) string {
	if obj || key != "" {
		return "arn:aws:s3:::" + bucket + "/" + key
	}
	return "arn:aws:s3:::" + bucket
}

// authorize asks the policy engine whether the caller may do a on b:
// identity policies, the bucket policy and, across accounts, both.
func (s *Server) authorize(q *request, b bucket, a access) error {
	action := a.action
	if action == "" {
		action = opActions[q.op]
	}
	resource := resourceARN(b.Name, a.key, a.objLevel)
	d, err := s.cfg.Authorizer.Authorize(q.r.Context(), authz.Input{
		Principal:       q.principal,
		Action:          action,
		Resource:        resource,
		ResourcePolicy:  s.bucketPolicy(b),
		ResourceAccount: b.Owner,
		Context:         s.conditionKeys(q, a),
		SourceIP:        q.r.RemoteAddr,
		Secure:          q.secure,
	})
	if err != nil {
		return err
	}
	if !d.Allowed {
		s.recordDenial(q, b, action, a.key, d.Message)
		return errorf("AccessDenied", "%s", d.Message)
	}
	return nil
}

// conditionKeys are the S3 condition keys of the request.
func (s *Server) conditionKeys(q *request, a access) map[string][]string {
	c := map[string][]string{}
	h := q.r.Header
	acl := h.Get("x-amz-acl")
	if a.acl != nil {
		acl = *a.acl
	}
	if acl != "" {
		c["s3:x-amz-acl"] = []string{acl}
	}
	for _, g := range []string{"read", "write", "read-acp", "write-acp", "full-control"} {
		if v := h.Get("x-amz-grant-" + g); v != "" {
			c["s3:x-amz-grant-"+g] = []string{v}
		}
	}
	if v := h.Get("x-amz-copy-source"); v != "" {
		c["s3:x-amz-copy-source"] = []string{v}
	}
	if v := h.Get("x-amz-metadata-directive"); v != "" {
		c["s3:x-amz-metadata-directive"] = []string{v}
	}
	if v := h.Get("x-amz-storage-class"); v != "" {
		c["s3:x-amz-storage-class"] = []string{v}
	}
	if v := h.Get("x-amz-server-side-encryption"); v != "" {
		c["s3:x-amz-server-side-encryption"] = []string{v}
	}
	switch q.op {
	case "ListObjects", "ListObjectsV2", "ListObjectVersions":
		// s3:prefix is present (possibly empty) on every listing; the
		// others only when sent.
		c["s3:prefix"] = []string{q.query.Get("prefix")}
		if q.query.Has("delimiter") {
			c["s3:delimiter"] = []string{q.query.Get("delimiter")}
		}
		if v := q.query.Get("max-keys"); v != "" {
			c["s3:max-keys"] = []string{v}
		}
		if q.op == "ListObjectsV2" {
			c["s3:listbucketversions"] = nil
		}
	}
	if q.auth != nil {
		c["s3:signatureversion"] = []string{"AWS4-HMAC-SHA256"}
		if q.auth.Presigned {
			c["s3:authtype"] = []string{"REST-QUERY-STRING"}
		} else {
			c["s3:authtype"] = []string{"REST-HEADER"}
		}
		c["s3:signatureage"] = []string{strconv.FormatInt(q.signatureAgeMillis(), 10)}
	}
	return c
}

// bucketPolicy returns the parsed policy of b, caching parses by document.
func (s *Server) bucketPolicy(b bucket) *policy.Policy {
	if b.Policy == "" {
		return nil
	}
	if p, ok := s.policies.Load(b.Policy); ok {
		return p.(*policy.Policy)
	}
	p, err := policy.Parse([]byte(b.Policy), policy.ResourcePolicy)
	if err != nil {
		// Stored policies were validated when put.
		return nil
	}
	if s.nPolicies.Add(1) > maxCachedPolicies {
		// Replaced policies leave their documents behind: start over
		// rather than grow.
		s.policies.Clear()
		s.nPolicies.Store(1)
	}
	s.policies.Store(b.Policy, p)
	return p
}

// maxCachedPolicies bounds the cache of parsed bucket policies.
const maxCachedPolicies = 1000

// maxDenialWrites bounds the denial-log writes in flight. A flood of
// denied requests beyond it drops log entries (each denial is still in
// the access log) instead of piling up goroutines.
const maxDenialWrites = 64

// recordDenial writes a denied request to the bucket's denial log for its
// owner to read. Writing happens off the request path.
func (s *Server) recordDenial(q *request, b bucket, action, key, reason string) {
	d := bucketconf.Denial{
		Time: time.Now().UTC(), Bucket: b.Name, Principal: q.principal.ARN, Operation: q.op,
		Action: action, Key: key, Reason: reason, RequestID: q.id, SourceIP: hostOnly(q.r.RemoteAddr),
	}
	s.log.Info("access denied", "request_id", q.id, "op", q.op, "bucket", b.Name, "key", key,
		"principal", q.principal.ARN, "reason", reason)
	started, dropped := s.denialWrites.start(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.cfg.Buckets.RecordDenial(ctx, d); err != nil {
			s.log.Warn("record denial", "request_id", d.RequestID, "error", err)
		}
	})
	if !started && dropped&(dropped-1) == 0 { // 1, 2, 4, 8, ...
		s.log.Warn("denial log busy: entries dropped", "dropped", dropped)
	}
}

// boundedGo runs functions on goroutines of their own, at most cap(slots)
// at a time, and drops (and counts) those that come while all are busy.
type boundedGo struct {
	slots   chan struct{}
	dropped atomic.Int64
}

func newBoundedGo(n int) *boundedGo { return &boundedGo{slots: make(chan struct{}, n)} }

// start runs fn on a new goroutine if a slot is free. Otherwise it drops
// fn and returns false with the number dropped so far.
func (g *boundedGo) start(fn func()) (started bool, dropped int64) {
	select {
	case g.slots <- struct{}{}:
	default:
		return false, g.dropped.Add(1)
	}
	go func() {
		defer func() { <-g.slots }()
		fn()
	}()
	return true, g.dropped.Load()
}

func hostOnly(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func (q *request) signatureAgeMillis() int64 {
	if q.auth == nil || q.auth.Date.IsZero() {
		return 0
	}
	return q.start.Sub(q.auth.Date).Milliseconds()
}
