package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// deleteBatch is the most keys one DeleteObjects request may name.
const deleteBatch = 1000

// Teardown removes what [Provisioner.Provision] created for s. A bucket
// that still holds objects is left alone (the error wraps
// [ErrBucketNotEmpty]) unless force is set; then its objects and
// unfinished multipart uploads are deleted first. Things already gone are
// skipped, so a failed teardown can be run again.
func (p *Provisioner) Teardown(ctx context.Context, s Spec, force bool) error {
	s, err := checkSpec(s)
	if err != nil {
		return err
	}
	log := p.log.With("bucket", s.Bucket, "source_id", s.SourceID, "access_type", s.AccessType)

	exists, err := p.bucketExists(ctx, s.Bucket)
	if err != nil {
		return fmt.Errorf("teardown: %w", err)
	}
	if exists && !force {
		empty, err := p.bucketEmpty(ctx, s.Bucket)
		if err != nil {
			return fmt.Errorf("teardown: %w", err)
		}
		if !empty {
			return fmt.Errorf("teardown: bucket %q: %w", s.Bucket, ErrBucketNotEmpty)
		}
	}

	// Revoke the partner's access first, so nothing new arrives while the
	// bucket is emptied.
	if s.AccessType == AccessIAMRole {
		if err := p.deleteRole(ctx, s.RoleName, log); err != nil {
			return err
		}
	}
	if !exists {
		log.Info("bucket torn down", "already_gone", true)
		return nil
	}
	_, err = p.cloud.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(s.Bucket)})
	if err != nil && !hasCode(err, "NoSuchBucket", "NoSuchBucketPolicy") {
		return fmt.Errorf("delete bucket policy: %w", err)
	}
	if force {
		if err := p.abortUploads(ctx, s.Bucket); err != nil {
			return err
		}
		n, err := p.deleteObjects(ctx, s.Bucket)
		if err != nil {
			return err
		}
		log.Debug("bucket emptied", "objects", n)
	}
	_, err = p.cloud.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(s.Bucket)})
	switch {
	case hasCode(err, "BucketNotEmpty"):
		return fmt.Errorf("delete bucket %q: %w", s.Bucket, ErrBucketNotEmpty)
	case err != nil && !hasCode(err, "NoSuchBucket"):
		return fmt.Errorf("delete bucket %q: %w", s.Bucket, err)
	}
	log.Info("bucket torn down")
	return nil
}

// Status checks that the bucket of s exists and, for AccessIAMRole, its
// role; a missing one gives an error wrapping [ErrNotProvisioned].
func (p *Provisioner) Status(ctx context.Context, s Spec) error {
	s, err := checkSpec(s)
	if err != nil {
		return err
	}
	exists, err := p.bucketExists(ctx, s.Bucket)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if !exists {
		return fmt.Errorf("status: bucket %q: %w", s.Bucket, ErrNotProvisioned)
	}
	if s.AccessType == AccessIAMRole {
		_, err := p.cloud.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(s.RoleName)})
		if hasCode(err, "NoSuchEntity") {
			return fmt.Errorf("status: role %q: %w", s.RoleName, ErrNotProvisioned)
		}
		if err != nil {
			return fmt.Errorf("status: get role: %w", err)
		}
	}
	return nil
}

func (p *Provisioner) bucketExists(ctx context.Context, bucket string) (bool, error) {
	_, err := p.cloud.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	var nf *s3types.NotFound
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &nf) || hasCode(err, "NotFound", "NoSuchBucket"):
		return false, nil
	default:
		return false, fmt.Errorf("head bucket %q: %w", bucket, err)
	}
}

func (p *Provisioner) bucketEmpty(ctx context.Context, bucket string) (bool, error) {
	out, err := p.cloud.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket:  aws.String(bucket),
		MaxKeys: aws.Int32(1),
	})
	if err != nil {
		return false, fmt.Errorf("list objects: %w", err)
	}
	return len(out.Contents) == 0, nil
}

// deleteObjects deletes every object in bucket and returns how many.
func (p *Provisioner) deleteObjects(ctx context.Context, bucket string) (int, error) {
	n := 0
	pages := s3.NewListObjectsV2Paginator(p.cloud.S3, &s3.ListObjectsV2Input{
		Bucket:  aws.String(bucket),
		MaxKeys: aws.Int32(deleteBatch),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("list objects: %w", err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]s3types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = s3types.ObjectIdentifier{Key: o.Key}
		}
		out, err := p.cloud.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket),
			Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return n, fmt.Errorf("delete objects: %w", err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return n, fmt.Errorf("delete objects: %d keys failed, first %q: %s: %s",
				len(out.Errors), aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
		n += len(ids)
	}
	return n, nil
}

// abortUploads aborts every unfinished multipart upload in bucket.
func (p *Provisioner) abortUploads(ctx context.Context, bucket string) error {
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)}
	for {
		out, err := p.cloud.S3.ListMultipartUploads(ctx, in)
		if err != nil {
			return fmt.Errorf("list multipart uploads: %w", err)
		}
		for _, u := range out.Uploads {
			_, err := p.cloud.S3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket:   aws.String(bucket),
				Key:      u.Key,
				UploadId: u.UploadId,
			})
			if err != nil && !hasCode(err, "NoSuchUpload") {
				return fmt.Errorf("abort multipart upload: %w", err)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// deleteRole deletes the access role and its inline policy.
func (p *Provisioner) deleteRole(ctx context.Context, role string, log *slog.Logger) error {
	_, err := p.cloud.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{
		RoleName:   aws.String(role),
		PolicyName: aws.String(RolePolicyName),
	})
	if err != nil && !hasCode(err, "NoSuchEntity") {
		return fmt.Errorf("delete role policy: %w", err)
	}
	_, err = p.cloud.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)})
	if err != nil && !hasCode(err, "NoSuchEntity") {
		return fmt.Errorf("delete role: %w", err)
	}
	log.Debug("role deleted", "role", role)
	return nil
}
