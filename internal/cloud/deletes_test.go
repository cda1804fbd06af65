package cloud_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// deleteMany runs DeleteObjects and returns the deleted keys and the
// errors' codes by key.
func deleteMany(t *testing.T, p principal, bucket string, objs ...types.ObjectIdentifier) (deleted []string, errs map[string]string) {
	t.Helper()
	out, err := p.s3.DeleteObjects(context.Background(), &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
		Delete: &types.Delete{Objects: objs}})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	errs = map[string]string{}
	for _, d := range out.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	for _, e := range out.Errors {
		errs[aws.ToString(e.Key)] = aws.ToString(e.Code)
	}
	return deleted, errs
}

func keys(ks ...string) []types.ObjectIdentifier {
	var out []types.ObjectIdentifier
	for _, k := range ks {
		out = append(out, types.ObjectIdentifier{Key: aws.String(k)})
	}
	return out
}

// TestDeleteObjectsPerKey: DeleteObjects authorizes each key as
// s3:DeleteObject on the object, as S3 does: an explicit Deny on a prefix
// holds for the keys under it while the others are deleted, a grant on a
// prefix suffices for its keys, and a grant on the bucket's ARN alone
// deletes nothing.
func TestDeleteObjectsPerKey(t *testing.T) {
	e := newEnv(t)
	platform := e.platform()
	partner := e.newAccount(t, "partner", partnerID)
	const b = "perkey"
	e.mustCreateBucket(t, b)
	fill := func() {
		for _, k := range []string{"pub/a", "priv/x"} {
			e.mustPut(t, b, k, []byte(k))
		}
	}
	policy := func(stmts ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	allow := func(resource string) string {
		return fmt.Sprintf(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"s3:DeleteObject","Resource":"%s"}`, partnerID, resource)
	}
	denyPriv := `{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::perkey/priv/*"}`

	for _, c := range []struct {
		name    string
		who     principal
		policy  string
		deleted []string
		denied  []string
	}{
		{"owner, Deny on priv/", platform, policy(denyPriv), []string{"pub/a"}, []string{"priv/x"}},
		{"partner, bucket/* allowed, priv/ denied", partner, policy(allow("arn:aws:s3:::perkey/*"), denyPriv), []string{"pub/a"}, []string{"priv/x"}},
		{"partner, pub/* allowed", partner, policy(allow("arn:aws:s3:::perkey/pub/*")), []string{"pub/a"}, []string{"priv/x"}},
		{"partner, bucket ARN alone", partner, policy(allow("arn:aws:s3:::perkey")), nil, []string{"pub/a", "priv/x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fill()
			e.mustPutBucketPolicy(t, b, c.policy)
			deleted, errs := deleteMany(t, c.who, b, keys("pub/a", "priv/x")...)
			if fmt.Sprint(deleted) != fmt.Sprint(c.deleted) {
				t.Errorf("deleted %v; want %v (errors %v)", deleted, c.deleted, errs)
			}
			for _, k := range c.denied {
				if errs[k] != "AccessDenied" {
					t.Errorf("%s: error %q; want AccessDenied", k, errs[k])
				}
				if !e.exists(t, b, k) {
					t.Errorf("%s was deleted though its delete was denied", k)
				}
			}
			for _, k := range c.deleted {
				if e.exists(t, b, k) {
					t.Errorf("%s still exists", k)
				}
			}
		})
	}
}

// TestConditionalDeletesAndCopies: If-Match on DeleteObject, an ETag in a
// DeleteObjects entry, and If-Match / If-None-Match on CopyObject's
// destination are checked as S3 checks them; a failed condition changes
// nothing. If-Match compares strongly: a weak tag never matches.
func TestConditionalDeletesAndCopies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const b = "conditional"
	e.mustCreateBucket(t, b)
	etag := e.mustPut(t, b, "a", []byte("first"))
	e.mustPut(t, b, "src", []byte("source"))
	bucket := aws.String(b)

	_, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("a"), IfMatch: aws.String(`"00000000000000000000000000000000"`)})
	wantAPIError(t, "DeleteObject with a wrong If-Match", err, "PreconditionFailed", 412)
	_, err = e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("missing"), IfMatch: aws.String("*")})
	wantAPIError(t, "DeleteObject If-Match * of a missing key", err, "NoSuchKey", 404)
	if !e.exists(t, b, "a") {
		t.Fatal("a was deleted by a delete whose condition failed")
	}

	// CopyObject onto a: If-None-Match * and a wrong If-Match fail, a right
	// If-Match copies.
	cp := func(edit func(*s3.CopyObjectInput)) error {
		in := &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("a"), CopySource: aws.String(b + "/src")}
		edit(in)
		_, err := e.s3.CopyObject(ctx, in)
		return err
	}
	wantAPIError(t, "CopyObject If-None-Match * onto an existing key",
		cp(func(in *s3.CopyObjectInput) { in.IfNoneMatch = aws.String("*") }), "PreconditionFailed", 412)
	wantAPIError(t, "CopyObject with a wrong If-Match",
		cp(func(in *s3.CopyObjectInput) { in.IfMatch = aws.String(`"zzz"`) }), "PreconditionFailed", 412)
	if got := string(e.mustGet(t, b, "a")); got != "first" {
		t.Fatalf("a = %q after refused copies; want first", got)
	}
	if err := cp(func(in *s3.CopyObjectInput) { in.IfMatch = aws.String(etag) }); err != nil {
		t.Fatalf("CopyObject with the right If-Match: %v", err)
	}
	if got := string(e.mustGet(t, b, "a")); got != "source" {
		t.Errorf("a = %q after the copy; want source", got)
	}
	if err := cp(func(in *s3.CopyObjectInput) { in.Key = aws.String("new"); in.IfNoneMatch = aws.String("*") }); err != nil {
		t.Errorf("CopyObject If-None-Match * onto a new key: %v", err)
	}

	// A weak tag in If-Match never matches; in If-None-Match it does.
	cur := e.mustPut(t, b, "w", []byte("weak"))
	_, err = e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("w"), IfMatch: aws.String("W/" + cur)})
	wantAPIError(t, "GetObject If-Match with a weak tag", err, "PreconditionFailed", 412)
	_, err = e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("w"), IfMatch: aws.String("W/" + cur)})
	wantAPIError(t, "DeleteObject If-Match with a weak tag", err, "PreconditionFailed", 412)
	_, err = e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("w"), IfNoneMatch: aws.String("W/" + cur)})
	if httpStatus(err) != 304 {
		t.Errorf("GetObject If-None-Match with the weak tag: %v; want 304", err)
	}

	// DeleteObjects: an entry's ETag is its condition.
	e.mustPut(t, b, "d1", []byte("one"))
	d2 := e.mustPut(t, b, "d2", []byte("two"))
	deleted, errs := deleteMany(t, e.platform(), b,
		types.ObjectIdentifier{Key: aws.String("d1"), ETag: aws.String(`"deadbeef"`)},
		types.ObjectIdentifier{Key: aws.String("d2"), ETag: aws.String(d2)})
	if fmt.Sprint(deleted) != "[d2]" || errs["d1"] != "PreconditionFailed" || !e.exists(t, b, "d1") {
		t.Errorf("DeleteObjects with ETags: deleted %v, errors %v; want d2 deleted, d1 PreconditionFailed and kept", deleted, errs)
	}

	if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("w"), IfMatch: aws.String(cur)}); err != nil {
		t.Errorf("DeleteObject with the right If-Match: %v", err)
	}
	if e.exists(t, b, "w") {
		t.Error("w still exists after its conditional delete")
	}
}
