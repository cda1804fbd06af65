// Package provision creates, checks and removes managed buckets: the S3
// bucket a data partner writes into, its bucket policy or access role, and
// the instructions the partner follows.
//
// It is a console package: it reaches a cloud (the embedded one or AWS)
// only through aws-sdk-go-v2, so the same code provisions on both. Where
// the two differ the difference is in the policy it writes, chosen by
// [Cloud.Embedded]: AWS evaluates the parts of a multipart upload without
// the ACL given when the upload was created, so on AWS a policy requiring
// the bucket-owner-full-control ACL would refuse every part. There the
// bucket relies on BucketOwnerEnforced ownership and the policy refuses
// only other ACLs; the embedded cloud evaluates parts with the upload's
// ACL, so there the ACL is required.
package provision
