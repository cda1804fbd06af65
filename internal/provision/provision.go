package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Access types: how a partner is let into its bucket.
const (
	// AccessBucketPolicy grants the partner account access in the bucket
	// policy; the partner decides which of its principals may use it.
	AccessBucketPolicy = "bucket_policy"
	// AccessIAMRole creates a role in the platform account that principals
	// of the partner account may assume.
	AccessIAMRole = "iam_role"
)

// Tag keys put on every managed bucket.
const (
	TagTenantID = "inlet:tenant-id"
	TagTenant   = "inlet:tenant"
	TagSourceID = "inlet:source-id"
)

// RoleMaxSessionDuration is the longest session, in seconds, the access
// role hands out.
const RoleMaxSessionDuration = 3600

// ErrBucketNotEmpty reports a teardown refused because the bucket still
// holds objects and force was not given.
var ErrBucketNotEmpty = errors.New("bucket is not empty")

// ErrBucketTaken reports a bucket name already owned by another account.
var ErrBucketTaken = errors.New("bucket name is owned by another account")

// ErrNotProvisioned reports that a source's bucket or role does not exist.
var ErrNotProvisioned = errors.New("not provisioned")

// Cloud is the cloud a Provisioner works in, as SDK clients holding the
// platform account's credentials.
type Cloud struct {
	S3  *s3.Client
	IAM *iam.Client
	STS *sts.Client
	// Region buckets are created in; "" means us-east-1.
	Region string
	// Endpoint partners use, "" for real AWS.
	Endpoint string
	// Embedded is true for the embedded cloud, which evaluates multipart
	// parts with the ACL given at CreateMultipartUpload (see the package
	// doc).
	Embedded bool
}

// Spec describes one managed bucket: what to create and for whom.
type Spec struct {
	TenantID   int64
	SourceID   int64
	TenantName string
	// Bucket and RoleName are chosen once, with [BucketName] and
	// [RoleName], and kept with the source so that retries reuse them.
	Bucket   string
	RoleName string
	// PartnerAccountID is the partner's 12-digit AWS account id.
	PartnerAccountID string
	// AccessType is AccessBucketPolicy (also when empty) or AccessIAMRole.
	AccessType string
	// ExternalID, optional, is required from the partner when assuming
	// the role (AccessIAMRole only).
	ExternalID string
}

// Result is what provisioning created.
type Result struct {
	Bucket string
	// RoleARN is set for AccessIAMRole.
	RoleARN string
}

// Provisioner creates and removes managed buckets. It is safe for
// concurrent use.
type Provisioner struct {
	cloud Cloud
	log   *slog.Logger

	mu      sync.Mutex
	account string // platform account id, once known
}

// New returns a Provisioner working in c. The platform account id is
// asked of STS (GetCallerIdentity) on first need and then kept.
func New(c Cloud, logger *slog.Logger) *Provisioner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	return &Provisioner{cloud: c, log: logger.With("component", "provision")}
}

// PlatformAccountID returns the id of the account the Provisioner's
// credentials belong to, the owner of every managed bucket.
func (p *Provisioner) PlatformAccountID(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.account != "" {
		return p.account, nil
	}
	out, err := p.cloud.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("get caller identity: %w", err)
	}
	p.account = aws.ToString(out.Account)
	return p.account, nil
}

// Provision creates the managed bucket of s and the access the partner
// gets to it. Every step converges on the wanted state, so a failed
// provisioning can simply be run again.
func (p *Provisioner) Provision(ctx context.Context, s Spec) (Result, error) {
	s, err := checkSpec(s)
	if err != nil {
		return Result{}, err
	}
	if _, err := p.PlatformAccountID(ctx); err != nil {
		return Result{}, err
	}
	log := p.log.With("bucket", s.Bucket, "source_id", s.SourceID, "access_type", s.AccessType)

	if err := p.createBucket(ctx, s.Bucket, log); err != nil {
		return Result{}, err
	}
	if err := p.configureBucket(ctx, s, log); err != nil {
		return Result{}, err
	}
	res := Result{Bucket: s.Bucket}
	switch s.AccessType {
	case AccessIAMRole:
		res.RoleARN, err = p.ensureRole(ctx, s, log)
		if err != nil {
			return Result{}, err
		}
		err = p.putBucketPolicy(ctx, s.Bucket, roleBucketPolicy(s.Bucket, res.RoleARN, p.cloud.Embedded))
	default:
		err = p.putBucketPolicy(ctx, s.Bucket, bucketPolicy(s.Bucket, s.PartnerAccountID, p.cloud.Embedded))
	}
	if err != nil {
		return Result{}, err
	}
	log.Debug("bucket policy set")
	log.Info("bucket provisioned")
	return res, nil
}

// checkSpec validates s and fills in defaults.
func checkSpec(s Spec) (Spec, error) {
	if err := ValidateBucketName(s.Bucket); err != nil {
		return s, fmt.Errorf("check spec: %w", err)
	}
	acct, err := NormalizeAccountID(s.PartnerAccountID)
	if err != nil {
		return s, fmt.Errorf("check spec: %w", err)
	}
	s.PartnerAccountID = acct
	switch s.AccessType {
	case "", AccessBucketPolicy:
		s.AccessType = AccessBucketPolicy
		if s.ExternalID != "" {
			return s, fmt.Errorf("check spec: an external id needs access type %s", AccessIAMRole)
		}
	case AccessIAMRole:
		if s.RoleName == "" {
			s.RoleName = RoleName(s.Bucket)
		}
		if err := validateRoleName(s.RoleName); err != nil {
			return s, fmt.Errorf("check spec: %w", err)
		}
		if s.ExternalID != "" {
			if err := ValidateExternalID(s.ExternalID); err != nil {
				return s, fmt.Errorf("check spec: %w", err)
			}
		}
	default:
		return s, fmt.Errorf("check spec: access type %q: want %s or %s", s.AccessType, AccessBucketPolicy, AccessIAMRole)
	}
	return s, nil
}

// createBucket creates the bucket; one the platform already owns is what
// a retry finds and is fine.
func (p *Provisioner) createBucket(ctx context.Context, bucket string, log *slog.Logger) error {
	in := &s3.CreateBucketInput{
		Bucket:          aws.String(bucket),
		ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced,
	}
	if p.cloud.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(p.cloud.Region),
		}
	}
	_, err := p.cloud.S3.CreateBucket(ctx, in)
	var owned *s3types.BucketAlreadyOwnedByYou
	var taken *s3types.BucketAlreadyExists
	switch {
	case err == nil:
		log.Debug("bucket created")
	case errors.As(err, &owned):
		log.Debug("bucket already exists")
	case errors.As(err, &taken):
		return fmt.Errorf("create bucket %q: %w", bucket, ErrBucketTaken)
	default:
		return fmt.Errorf("create bucket %q: %w", bucket, err)
	}
	return nil
}

// configureBucket sets ownership, the public access block and the tags.
func (p *Provisioner) configureBucket(ctx context.Context, s Spec, log *slog.Logger) error {
	_, err := p.cloud.S3.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{
		Bucket: aws.String(s.Bucket),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{
			{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced},
		}},
	})
	if err != nil {
		return fmt.Errorf("put ownership controls: %w", err)
	}
	log.Debug("object ownership set", "ownership", s3types.ObjectOwnershipBucketOwnerEnforced)

	_, err = p.cloud.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(s.Bucket),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls:       aws.Bool(true),
			IgnorePublicAcls:      aws.Bool(true),
			BlockPublicPolicy:     aws.Bool(true),
			RestrictPublicBuckets: aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("put public access block: %w", err)
	}
	log.Debug("public access blocked")

	tags := []s3types.Tag{
		{Key: aws.String(TagTenantID), Value: aws.String(strconv.FormatInt(s.TenantID, 10))},
		{Key: aws.String(TagSourceID), Value: aws.String(strconv.FormatInt(s.SourceID, 10))},
	}
	if v := tagValue(s.TenantName); v != "" {
		tags = append(tags, s3types.Tag{Key: aws.String(TagTenant), Value: aws.String(v)})
	}
	_, err = p.cloud.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{
		Bucket:  aws.String(s.Bucket),
		Tagging: &s3types.Tagging{TagSet: tags},
	})
	if err != nil {
		return fmt.Errorf("put bucket tagging: %w", err)
	}
	log.Debug("bucket tagged")
	return nil
}

// tagValue fits s to AWS's tag-value rules: at most 256 characters of
// letters, digits, spaces and _.:/=+-@; any other character becomes "_".
func tagValue(s string) string {
	out := []rune(strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || strings.ContainsRune("_.:/=+-@", r) {
			return r
		}
		return '_'
	}, strings.TrimSpace(s)))
	if len(out) > 256 {
		out = out[:256]
	}
	return string(out)
}

// putBucketPolicy replaces the bucket policy. On AWS a role just created
// may not yet be accepted as a principal ("Invalid principal in policy"),
// so a MalformedPolicy answer is retried for a short while there.
func (p *Provisioner) putBucketPolicy(ctx context.Context, bucket string, doc document) error {
	in := &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc.String())}
	wait := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		_, err := p.cloud.S3.PutBucketPolicy(ctx, in)
		if err == nil {
			return nil
		}
		if p.cloud.Embedded || attempt == 6 || !hasCode(err, "MalformedPolicy") {
			return fmt.Errorf("put bucket policy: %w", err)
		}
		p.log.Warn("bucket policy refused; retrying", "bucket", bucket, "error", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("put bucket policy: %w", ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// ensureRole creates the access role or brings an existing one's trust
// policy in line, sets its permission policy and returns its ARN.
func (p *Provisioner) ensureRole(ctx context.Context, s Spec, log *slog.Logger) (string, error) {
	trust := trustPolicy(s.PartnerAccountID, s.ExternalID).String()
	_, err := p.cloud.IAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(s.RoleName),
		AssumeRolePolicyDocument: aws.String(trust),
		MaxSessionDuration:       aws.Int32(RoleMaxSessionDuration),
		Description:              aws.String("Access to managed bucket " + s.Bucket),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	switch {
	case err == nil:
		log.Debug("role created", "role", s.RoleName)
	case errors.As(err, &exists):
		_, err = p.cloud.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName:       aws.String(s.RoleName),
			PolicyDocument: aws.String(trust),
		})
		if err != nil {
			return "", fmt.Errorf("update assume role policy: %w", err)
		}
		log.Debug("role trust policy updated", "role", s.RoleName)
	default:
		return "", fmt.Errorf("create role: %w", err)
	}

	_, err = p.cloud.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName:       aws.String(s.RoleName),
		PolicyName:     aws.String(RolePolicyName),
		PolicyDocument: aws.String(rolePolicy(s.Bucket).String()),
	})
	if err != nil {
		return "", fmt.Errorf("put role policy: %w", err)
	}
	log.Debug("role policy set", "role", s.RoleName)

	out, err := p.cloud.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(s.RoleName)})
	if err != nil {
		return "", fmt.Errorf("get role: %w", err)
	}
	return aws.ToString(out.Role.Arn), nil
}

// hasCode reports whether err is an AWS API error with one of codes.
func hasCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}
