package cloud_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestEnforcedOwnershipRecoversObjects: an object another account wrote
// under ObjectWriter is out of the bucket owner's reach; switching the
// bucket to BucketOwnerEnforced makes the bucket owner its owner, as S3
// documents ("ACLs no longer affect permissions"): it reads it, lists it
// as its own and its ACL is the owner's full control.
func TestEnforcedOwnershipRecoversObjects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	platform := e.platform()
	partner := e.newAccount(t, "partner", partnerID)
	const b = "recover"
	e.mustCreateBucket(t, b)
	setOwnership(t, e, b, types.ObjectOwnershipObjectWriter)
	e.mustPutBucketPolicy(t, b, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::%s/*"}]}`, partnerID, b))
	if err := put(partner, b, "w3", []byte("partner's"), nil); err != nil {
		t.Fatalf("partner PutObject without an ACL: %v", err)
	}
	if _, err := getObject(platform, b, "w3"); httpStatus(err) != 403 {
		t.Fatalf("owner GetObject under ObjectWriter: %v; want 403", err)
	}

	setOwnership(t, e, b, types.ObjectOwnershipBucketOwnerEnforced)
	if got, err := getObject(platform, b, "w3"); err != nil || string(got) != "partner's" {
		t.Errorf("owner GetObject under BucketOwnerEnforced = %q, %v; want the object", got, err)
	}
	list, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), FetchOwner: aws.Bool(true)})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Owner.ID) != platform.account {
		t.Errorf("listing under BucketOwnerEnforced: %+v, %v; want w3 owned by %s", list, err, platform.account)
	}
	acl, err := e.s3.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(b), Key: aws.String("w3")})
	if err != nil || aws.ToString(acl.Owner.ID) != platform.account || len(acl.Grants) != 1 ||
		acl.Grants[0].Permission != types.PermissionFullControl {
		t.Errorf("GetObjectAcl under BucketOwnerEnforced: %+v, %v; want the owner's full control", acl, err)
	}
}
