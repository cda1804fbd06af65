package provision

import (
	"encoding/json"
)

// ACLBucketOwnerFullControl is the canned ACL every partner write carries.
const ACLBucketOwnerFullControl = "bucket-owner-full-control"

// RolePolicyName names the inline permission policy of an access role.
const RolePolicyName = "managed-bucket-access"

// document is an IAM policy document. Field order gives stable JSON.
type document struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal *principal                   `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

type principal struct {
	AWS string `json:"AWS"`
}

func (d document) String() string {
	// Strings, slices and maps of strings only: marshalling can't fail.
	b, _ := json.MarshalIndent(d, "", "  ")
	return string(b)
}

func newDocument(st ...statement) document {
	return document{Version: "2012-10-17", Statement: st}
}

func accountRoot(account string) string { return "arn:aws:iam::" + account + ":root" }

func bucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

func objectsARN(bucket string) string { return "arn:aws:s3:::" + bucket + "/*" }

// requireACL is the condition under which a put is denied for lacking the
// bucket-owner-full-control ACL. The embedded cloud carries the ACL of
// CreateMultipartUpload to the parts, so it can require the header; AWS
// can't, so there only a different ACL is refused (both operators of one
// condition block must hold: the header is present and has another value).
func requireACL(embedded bool) map[string]map[string]string {
	cond := map[string]map[string]string{
		"StringNotEquals": {"s3:x-amz-acl": ACLBucketOwnerFullControl},
	}
	if !embedded {
		cond["Null"] = map[string]string{"s3:x-amz-acl": "false"}
	}
	return cond
}

// denyWithoutACL refuses puts by who that fail [requireACL].
func denyWithoutACL(bucket, who string, embedded bool) statement {
	return statement{
		Sid:       "RequireBucketOwnerFullControl",
		Effect:    "Deny",
		Principal: &principal{AWS: who},
		Action:    []string{"s3:PutObject"},
		Resource:  []string{objectsARN(bucket)},
		Condition: requireACL(embedded),
	}
}

// bucketPolicy is the policy of a bucket_policy bucket: the partner
// account may list, read and write, and must send the ACL.
func bucketPolicy(bucket, partner string, embedded bool) document {
	who := &principal{AWS: accountRoot(partner)}
	return newDocument(
		statement{
			Sid:       "PartnerListBucket",
			Effect:    "Allow",
			Principal: who,
			Action:    []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"},
			Resource:  []string{bucketARN(bucket)},
		},
		statement{
			Sid:       "PartnerReadWriteObjects",
			Effect:    "Allow",
			Principal: who,
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload",
				"s3:ListMultipartUploadParts"},
			Resource: []string{objectsARN(bucket)},
		},
		denyWithoutACL(bucket, accountRoot(partner), embedded),
	)
}

// roleBucketPolicy is the policy of an iam_role bucket: the role's own
// permissions grant access (same account), the bucket policy only makes
// the ACL rule hold for the role's writes too.
func roleBucketPolicy(bucket, roleARN string, embedded bool) document {
	return newDocument(denyWithoutACL(bucket, roleARN, embedded))
}

// trustPolicy lets principals of the partner account assume the role,
// with the external id when one is set.
func trustPolicy(partner, externalID string) document {
	st := statement{
		Effect:    "Allow",
		Principal: &principal{AWS: accountRoot(partner)},
		Action:    []string{"sts:AssumeRole"},
	}
	if externalID != "" {
		st.Condition = map[string]map[string]string{"StringEquals": {"sts:ExternalId": externalID}}
	}
	return newDocument(st)
}

// rolePolicy is the access role's permission policy on the bucket.
func rolePolicy(bucket string) document {
	return newDocument(
		statement{
			Sid:      "ListBucket",
			Effect:   "Allow",
			Action:   []string{"s3:ListBucket", "s3:GetBucketLocation"},
			Resource: []string{bucketARN(bucket)},
		},
		statement{
			Sid:    "ReadWriteObjects",
			Effect: "Allow",
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject",
				"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
			Resource: []string{objectsARN(bucket)},
		},
	)
}

// partnerPolicy is the identity policy a partner's principals need for a
// bucket_policy bucket (cross-account access needs both sides to allow).
func partnerPolicy(bucket string) document {
	return newDocument(
		statement{
			Sid:      "ManagedBucketList",
			Effect:   "Allow",
			Action:   []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"},
			Resource: []string{bucketARN(bucket)},
		},
		statement{
			Sid:    "ManagedBucketReadWrite",
			Effect: "Allow",
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload",
				"s3:ListMultipartUploadParts"},
			Resource: []string{objectsARN(bucket)},
		},
	)
}

// assumeRolePolicy is the inline policy that lets a partner principal
// assume the access role.
func assumeRolePolicy(roleARN string) document {
	return newDocument(statement{
		Sid:      "AssumeBucketAccessRole",
		Effect:   "Allow",
		Action:   []string{"sts:AssumeRole"},
		Resource: []string{roleARN},
	})
}
