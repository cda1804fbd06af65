package cloud_test

// Cross-account tests for the field cases of testdata/cases/CASES.md: a
// partner account writing into a platform bucket under a bucket policy
// (cases 1, 3 and 4), AssumeRole with an external id (case 5) and the
// missing-key answers that depend on s3:ListBucket (case 15). They use the
// SDK's S3, STS and IAM clients against one embedded cloud.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	// partnerID is the partner account of the cases.
	partnerID = "222222222222"
	// casePlatformID is the platform account as the case inputs write it;
	// the embedded cloud picks its own, substituted when inputs are read.
	casePlatformID = "111111111111"
)

// principal is one set of credentials (an account root, an IAM user or a
// role session) with SDK clients that sign with it.
type principal struct {
	account string
	creds   aws.Credentials
	s3      *s3.Client
	sts     *sts.Client
	iam     *iam.Client
}

// as returns clients for creds in account.
func (e *env) as(account string, creds aws.Credentials) principal {
	provider := credentials.StaticCredentialsProvider{Value: creds}
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: provider,
		HTTPClient:  e.srv.Client(),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return principal{
		account: account,
		creds:   creds,
		s3:      e.clientWith(provider, e.srv.Client()),
		sts:     sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.srv.URL) }),
		iam:     iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(e.srv.URL) }),
	}
}

// platform is the platform account's root.
func (e *env) platform() principal {
	return e.as(e.cloud.PlatformAccount().ID, e.creds())
}

// newAccount creates a partner account and returns its root.
func (e *env) newAccount(t *testing.T, name, id string) principal {
	t.Helper()
	_, k, err := e.cloud.Identities().CreateAccount(context.Background(), name, id)
	if err != nil {
		t.Fatalf("CreateAccount(%s, %s): %v", name, id, err)
	}
	return e.as(id, aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret.Reveal()})
}

// newUser creates an IAM user in p's account with an inline policy (none
// when empty) and an access key, through the IAM API, and returns the user.
func (e *env) newUser(t *testing.T, p principal, name, policy string) principal {
	t.Helper()
	ctx := context.Background()
	if _, err := p.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	if policy != "" {
		if _, err := p.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
			PolicyName: aws.String("access"), PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatalf("PutUserPolicy(%s): %v", name, err)
		}
	}
	out, err := p.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey(%s): %v", name, err)
	}
	return e.as(p.account, aws.Credentials{
		AccessKeyID:     aws.ToString(out.AccessKey.AccessKeyId),
		SecretAccessKey: aws.ToString(out.AccessKey.SecretAccessKey),
	})
}

// newRole creates a role in p's account with a trust policy and an inline
// policy (none when empty), and returns its ARN.
func newRole(t *testing.T, p principal, name, trust, policy string) string {
	t.Helper()
	ctx := context.Background()
	out, err := p.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole(%s): %v", name, err)
	}
	if policy != "" {
		if _, err := p.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name),
			PolicyName: aws.String("access"), PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatalf("PutRolePolicy(%s): %v", name, err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

// assume assumes roleARN as p and returns the session.
func (e *env) assume(t *testing.T, p principal, roleARN, session string) principal {
	t.Helper()
	out, err := p.sts.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)})
	if err != nil {
		t.Fatalf("AssumeRole(%s): %v", roleARN, err)
	}
	c := out.Credentials
	return e.as(arnAccount(roleARN), aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)})
}

// arnAccount is the account field of an ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// casePolicy reads a policy input of the cases, with the cases' platform
// account replaced by the env's.
func casePolicy(t *testing.T, e *env, name string) string {
	t.Helper()
	return strings.ReplaceAll(string(readInput(t, name)), casePlatformID, e.cloud.PlatformAccount().ID)
}

// statements are a policy document's statements, decoded loosely.
type statements []map[string]any

// editPolicy decodes doc, lets edit change its statements and encodes it.
func editPolicy(t *testing.T, doc string, edit func(statements) statements) string {
	t.Helper()
	var p struct {
		Version   string
		Statement statements
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("policy document: %v", err)
	}
	p.Statement = edit(p.Statement)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("encode policy: %v", err)
	}
	return string(b)
}

// mergePolicies is one document with the statements of all docs.
func mergePolicies(t *testing.T, docs ...string) string {
	t.Helper()
	var all statements
	for _, d := range docs {
		editPolicy(t, d, func(s statements) statements { all = append(all, s...); return s })
	}
	return editPolicy(t, `{"Version":"2012-10-17","Statement":[]}`, func(statements) statements { return all })
}

// mustPutBucketPolicy sets a bucket policy as the platform.
func (e *env) mustPutBucketPolicy(t *testing.T, bucket, doc string) {
	t.Helper()
	_, err := e.s3.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{
		Bucket: aws.String(bucket), Policy: aws.String(doc)})
	if err != nil {
		t.Fatalf("PutBucketPolicy(%s): %v\n%s", bucket, err, doc)
	}
}

// caseKey reads "NAME = key" from a case's requests file.
func caseKey(t *testing.T, spec, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)\b` + name + ` = (.+?)(?:\s+\(|$)`).FindStringSubmatch(spec)
	if m == nil {
		t.Fatalf("requests file names no %s", name)
	}
	return strings.TrimSpace(m[1])
}

// put is a PutObject with the given ACL settings.
func put(p principal, bucket, key string, body []byte, edit func(*s3.PutObjectInput)) error {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}
	if edit != nil {
		edit(in)
	}
	_, err := p.s3.PutObject(context.Background(), in)
	return err
}

// getObject reads bucket/key as p.
func getObject(p principal, bucket, key string) ([]byte, error) {
	out, err := p.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(out.Body)
	return b.Bytes(), err
}

func TestCase01CrossAccount(t *testing.T) {
	spec := string(readInput(t, "01-acl-required.requests.txt"))
	m := regexp.MustCompile(`K = (\S+)\s+\(body: "([^"]*)"\)`).FindStringSubmatch(spec)
	if m == nil {
		t.Fatalf("01-acl-required.requests.txt: no key K and body")
	}
	K, body := m[1], []byte(strings.ReplaceAll(m[2], `\n`, "\n"))
	e := caseEnv(t)
	setOwnership(t, e, caseBucket, types.ObjectOwnershipBucketOwnerPreferred)
	policy := casePolicy(t, e, "01-acl-required.policy.json")
	e.mustPutBucketPolicy(t, caseBucket, policy)
	partner := e.newAccount(t, "partner", partnerID)
	owner := platformCanonicalID(t, e)
	ctx := context.Background()

	// Steps 1-3: refused, and nothing is stored.
	for _, c := range []struct {
		name string
		edit func(*s3.PutObjectInput)
	}{
		{"1_NoACL", nil},
		{"2_PublicRead", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead }},
		{"3_GrantFullControlWithoutCannedACL", func(in *s3.PutObjectInput) { in.GrantFullControl = aws.String("id=" + owner) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := put(partner, caseBucket, K, body, c.edit)
			wantAPIError(t, "partner PutObject", err, "AccessDenied", http.StatusForbidden)
			if e.exists(t, caseBucket, K) {
				t.Errorf("the refused PutObject stored %s", K)
			}
		})
	}

	t.Run("4to6_BucketOwnerFullControl", func(t *testing.T) {
		err := put(partner, caseBucket, K, body, func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl })
		if err != nil {
			t.Fatalf("partner PutObject --acl bucket-owner-full-control: %v", err)
		}
		if got := e.mustGet(t, caseBucket, K); !bytes.Equal(got, body) {
			t.Errorf("owner GetObject = %q; want %q", got, body)
		}
		acl, err := e.s3.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(caseBucket), Key: aws.String(K)})
		if err != nil {
			t.Fatalf("owner GetObjectAcl: %v", err)
		}
		if acl.Owner == nil || aws.ToString(acl.Owner.ID) != owner {
			t.Errorf("GetObjectAcl Owner = %+v; want the platform %s (BucketOwnerPreferred)", acl.Owner, owner)
		}
		full := false
		for _, g := range acl.Grants {
			full = full || g.Grantee != nil && aws.ToString(g.Grantee.ID) == owner && g.Permission == types.PermissionFullControl
		}
		if !full {
			t.Errorf("GetObjectAcl grants lack the platform with FULL_CONTROL: %+v", acl.Grants)
		}
	})

	t.Run("Multipart", func(t *testing.T) {
		// The deliberate deviation of DESIGN.md: parts and completion are
		// evaluated with the ACL the upload was created with.
		key := caseFolder + "multipart.csv"
		_, err := partner.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(caseBucket), Key: aws.String(key)})
		wantAPIError(t, "CreateMultipartUpload without the ACL", err, "AccessDenied", http.StatusForbidden)

		up, err := partner.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(caseBucket), Key: aws.String(key), ACL: types.ObjectCannedACLBucketOwnerFullControl})
		if err != nil {
			t.Fatalf("CreateMultipartUpload with the ACL: %v", err)
		}
		parts := [][]byte{pattern(5<<20, 1), pattern(1024, 2)}
		var done []types.CompletedPart
		for i, p := range parts {
			n := aws.Int32(int32(i + 1))
			out, err := partner.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(caseBucket), Key: aws.String(key),
				UploadId: up.UploadId, PartNumber: n, Body: bytes.NewReader(p)})
			if err != nil {
				t.Fatalf("UploadPart %d: %v", i+1, err)
			}
			done = append(done, types.CompletedPart{ETag: out.ETag, PartNumber: n})
		}
		if _, err := partner.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(caseBucket),
			Key: aws.String(key), UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		if got, want := e.mustGet(t, caseBucket, key), bytes.Join(parts, nil); !bytes.Equal(got, want) {
			t.Errorf("owner GetObject of the multipart object: %d bytes; want the %d uploaded", len(got), len(want))
		}
	})

	t.Run("7_ControlObjectWriterWithoutCondition", func(t *testing.T) {
		const bucket = "partner-bucket-control"
		e.mustCreateBucket(t, bucket)
		setOwnership(t, e, bucket, types.ObjectOwnershipObjectWriter)
		open := editPolicy(t, strings.ReplaceAll(policy, caseBucket, bucket), func(s statements) statements {
			for _, st := range s {
				delete(st, "Condition")
			}
			return s
		})
		e.mustPutBucketPolicy(t, bucket, open)
		K2 := caseFolder + "orders-2.csv"
		if err := put(partner, bucket, K2, body, nil); err != nil {
			t.Fatalf("partner PutObject without ACL (no condition): %v", err)
		}
		_, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(K2)})
		wantAPIError(t, "owner GetObject of a partner-owned object", err, "AccessDenied", http.StatusForbidden)
	})
}

func TestCase03CrossAccount(t *testing.T) {
	spec := string(readInput(t, "03-owner-enforced.requests.txt"))
	K := caseKey(t, spec, "K")
	e := caseEnv(t)
	setOwnership(t, e, caseBucket, types.ObjectOwnershipBucketOwnerEnforced)
	// The case gives the partner s3:PutObject under ingestion/ without an
	// ACL condition; s3:PutObjectAcl is granted too, so that step 5 is
	// refused for the ACLs being disabled and not for want of permission.
	e.mustPutBucketPolicy(t, caseBucket, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{
		"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},
		"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::%s/ingestion/*"}]}`, partnerID, caseBucket))
	partner := e.newAccount(t, "partner", partnerID)
	owner := platformCanonicalID(t, e)
	ctx := context.Background()
	head := func(t *testing.T) string {
		t.Helper()
		h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(caseBucket), Key: aws.String(K)})
		if err != nil {
			t.Fatalf("owner HeadObject: %v", err)
		}
		return aws.ToString(h.ETag)
	}

	// Steps 1-2.
	if err := put(partner, caseBucket, K, []byte("1,first\n"), nil); err != nil {
		t.Fatalf("1: partner PutObject without ACL: %v", err)
	}
	second := []byte("1,second\n")
	if err := put(partner, caseBucket, K, second, func(in *s3.PutObjectInput) {
		in.ACL = types.ObjectCannedACLBucketOwnerFullControl
	}); err != nil {
		t.Fatalf("2: partner PutObject --acl bucket-owner-full-control: %v", err)
	}
	etag := head(t)
	if want := `"` + md5hex(second) + `"`; etag != want {
		t.Fatalf("ETag after step 2 = %s; want %s", etag, want)
	}

	// Steps 3-5: refused, and the object is unchanged.
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"3_PublicRead", func() error {
			return put(partner, caseBucket, K, []byte("1,public\n"), func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead })
		}},
		{"4_GrantReadAllUsers", func() error {
			return put(partner, caseBucket, K, []byte("1,granted\n"), func(in *s3.PutObjectInput) {
				in.GrantRead = aws.String(`uri="http://acs.amazonaws.com/groups/global/AllUsers"`)
			})
		}},
		{"5_PutObjectAcl", func() error {
			_, err := partner.s3.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(caseBucket), Key: aws.String(K),
				ACL: types.ObjectCannedACLBucketOwnerFullControl})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantAPIError(t, "partner request", c.call(), "AccessControlListNotSupported", http.StatusBadRequest)
			if got := head(t); got != etag {
				t.Errorf("ETag after the refused request = %s; want %s (unchanged)", got, etag)
			}
		})
	}

	t.Run("6_GetObjectAcl", func(t *testing.T) {
		wantOwnerOnlyACL(t, e, "/"+caseBucket+"/"+caseFolderWire+strings.TrimPrefix(K, caseFolder), owner)
	})

	t.Run("7_ListFetchOwner", func(t *testing.T) {
		l, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(caseBucket), FetchOwner: aws.Bool(true)})
		if err != nil {
			t.Fatalf("ListObjectsV2(fetch-owner): %v", err)
		}
		if len(l.Contents) != 1 || aws.ToString(l.Contents[0].Key) != K {
			t.Fatalf("ListObjectsV2 keys = %q; want [%s]", objectKeys(l.Contents), K)
		}
		if o := l.Contents[0].Owner; o == nil || aws.ToString(o.ID) != owner {
			t.Errorf("Owner of the partner-written K = %+v; want the platform %s", o, owner)
		}
	})

	t.Run("8_CopyFromPublicReadSource", func(t *testing.T) {
		const srcBucket, src = "partner-own-03", "outgoing/a.csv"
		if _, err := partner.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(srcBucket)}); err != nil {
			t.Fatalf("partner CreateBucket: %v", err)
		}
		if _, err := partner.s3.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(srcBucket),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipObjectWriter}}}}); err != nil {
			t.Fatalf("partner PutBucketOwnershipControls(ObjectWriter): %v", err)
		}
		copied := []byte("1,copied\n")
		if err := put(partner, srcBucket, src, copied, func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead }); err != nil {
			t.Fatalf("partner PutObject public-read source: %v", err)
		}
		if _, err := partner.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(caseBucket), Key: aws.String(K),
			CopySource: aws.String(encodeCopySource(srcBucket, src))}); err != nil {
			t.Fatalf("partner CopyObject without ACL headers: %v", err)
		}
		if got := e.mustGet(t, caseBucket, K); !bytes.Equal(got, copied) {
			t.Errorf("K after the copy = %q; want %q", got, copied)
		}
		wantOwnerOnlyACL(t, e, "/"+caseBucket+"/"+caseFolderWire+strings.TrimPrefix(K, caseFolder), owner)
	})
}

func TestCase04CrossAccount(t *testing.T) {
	spec := string(readInput(t, "04-copy-into-ingestion.requests.txt"))
	SRC, DST := caseKey(t, spec, "SRC"), caseKey(t, spec, "DST")
	DST = strings.Replace(DST, "…/", caseFolder, 1)
	wire := regexp.MustCompile(`(?m)^#\s+PUT (\S+)`).FindStringSubmatch(spec)
	copySrc := regexp.MustCompile(`x-amz-copy-source: (\S+)`).FindStringSubmatch(spec)
	if wire == nil || copySrc == nil {
		t.Fatalf("04-copy-into-ingestion.requests.txt: no PUT line or x-amz-copy-source")
	}
	if !strings.HasPrefix(DST, caseFolder) || !strings.HasPrefix(SRC, "incoming/") {
		t.Fatalf("SRC, DST = %q, %q; want a staging key under incoming/ and a key in the delivery folder", SRC, DST)
	}
	e := caseEnv(t)
	setOwnership(t, e, caseBucket, types.ObjectOwnershipBucketOwnerPreferred)
	// Mode (a) as in case 01, plus reading and deleting staged files.
	staging := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"PartnerMovesStaged","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":["s3:GetObject","s3:DeleteObject"],
		"Resource":"arn:aws:s3:::%s/incoming/*"}]}`, partnerID, caseBucket)
	modeA := casePolicy(t, e, "01-acl-required.policy.json")
	policy := mergePolicies(t, modeA, staging)
	e.mustPutBucketPolicy(t, caseBucket, policy)
	partner := e.newAccount(t, "partner", partnerID)
	ctx := context.Background()
	body := []byte("id,amount\n1,2.50\n")
	e.mustPut(t, caseBucket, SRC, body)

	copyAs := func(p principal, acl types.ObjectCannedACL) error {
		_, err := p.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(caseBucket), Key: aws.String(DST),
			CopySource: aws.String(encodeCopySource(caseBucket, SRC)), ACL: acl})
		return err
	}
	// mv is what `aws s3 mv` does: copy, then delete the source only if
	// the copy succeeded.
	mv := func(p principal) error {
		if err := copyAs(p, types.ObjectCannedACLBucketOwnerFullControl); err != nil {
			return err
		}
		_, err := p.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(caseBucket), Key: aws.String(SRC)})
		return err
	}
	wantUnmoved := func(t *testing.T) {
		t.Helper()
		if e.exists(t, caseBucket, DST) {
			t.Errorf("DST exists after a refused copy")
		}
		if got := e.mustGet(t, caseBucket, SRC); !bytes.Equal(got, body) {
			t.Errorf("SRC = %q after a refused move; want %q", got, body)
		}
	}

	t.Run("b_CopyWithoutACL", func(t *testing.T) {
		wantAPIError(t, "partner CopyObject without --acl", copyAs(partner, ""), "AccessDenied", http.StatusForbidden)
		wantUnmoved(t)
	})

	t.Run("c_NoGetObjectOnSource", func(t *testing.T) {
		// Once for a partner user whose own policy lacks s3:GetObject, once
		// for a bucket policy that no longer grants it.
		user := e.newUser(t, partner, "mover", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
			"Action":["s3:PutObject","s3:DeleteObject","s3:ListBucket"],
			"Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"]}]}`, caseBucket))
		withoutGet := editPolicy(t, policy, func(s statements) statements {
			return slices.DeleteFunc(s, func(st map[string]any) bool { return st["Sid"] == "PartnerMovesStaged" })
		})
		withoutGet = mergePolicies(t, withoutGet, strings.Replace(staging, `"s3:GetObject",`, "", 1))
		for _, c := range []struct {
			name         string
			who          principal
			bucketPolicy string
		}{
			{"UserPolicyLacksGetObject", user, policy},
			{"BucketPolicyLacksGetObject", partner, withoutGet},
		} {
			t.Run(c.name, func(t *testing.T) {
				e.mustPutBucketPolicy(t, caseBucket, c.bucketPolicy)
				t.Cleanup(func() { e.mustPutBucketPolicy(t, caseBucket, policy) })
				wantAPIError(t, "mv without s3:GetObject on SRC", mv(c.who), "AccessDenied", http.StatusForbidden)
				wantUnmoved(t)
			})
		}
	})

	t.Run("PartnerReadsSource", func(t *testing.T) {
		// SRC belongs to the bucket owner, so the bucket policy alone
		// decides; no object ACL grant is needed.
		got, err := getObject(partner, caseBucket, SRC)
		if err != nil {
			t.Fatalf("partner GetObject SRC (granted by the bucket policy): %v", err)
		}
		if !bytes.Equal(got, body) {
			t.Errorf("partner GetObject SRC = %q; want %q", got, body)
		}
	})

	t.Run("a_CopyWithACL", func(t *testing.T) {
		// The wire form `aws s3 mv … --acl bucket-owner-full-control` sends.
		r := e.do(t, rawRequest{method: http.MethodPut, target: wire[1], creds: &partner.creds, header: http.Header{
			"X-Amz-Copy-Source": {copySrc[1]},
			"X-Amz-Acl":         {"bucket-owner-full-control"},
		}})
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte("<CopyObjectResult")) {
			t.Fatalf("partner CopyObject with the ACL: %s; want 200 CopyObjectResult", r)
		}
		if got := e.mustGet(t, caseBucket, DST); !bytes.Equal(got, body) {
			t.Errorf("DST = %q; want the SRC bytes %q", got, body)
		}
		out, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(caseBucket), Prefix: aws.String(caseFolder)})
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		if got, want := objectKeys(out.Contents), []string{DST}; !slices.Equal(got, want) {
			t.Errorf("keys in the folder = %q; want %q (space and plus kept)", got, want)
		}
		if !e.exists(t, caseBucket, SRC) {
			t.Errorf("the copy removed SRC")
		}
		// The move's second half: the partner may delete the staged file.
		if _, err := partner.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(caseBucket), Key: aws.String(SRC)}); err != nil {
			t.Errorf("partner DeleteObject SRC: %v", err)
		}
		if e.exists(t, caseBucket, SRC) {
			t.Errorf("SRC still exists after the move's delete")
		}
	})
}

// case05Row is one AssumeRole call of case 05's requests file.
type case05Row struct {
	step   string
	role   string // R1 or R2
	extID  *string
	status int
}

// parseCase05 reads the roles and the AssumeRole rows of case 05.
func parseCase05(t *testing.T) (roles map[string][2]string, rows []case05Row) {
	t.Helper()
	spec := string(readInput(t, "05-externalid.requests.txt"))
	roles = map[string][2]string{}
	for _, m := range regexp.MustCompile(`Role (R\d) = arn:aws:iam::\d{12}:role/(\S+)\s+trust = (\S+)`).FindAllStringSubmatch(spec, -1) {
		roles[m[1]] = [2]string{m[2], m[3]}
	}
	rowRE := regexp.MustCompile(`(?m)^(\d+)\. (R\d), (?:no ExternalId|ExternalId=(\S+))[^\n]*?-> (\d{3})`)
	for _, m := range rowRE.FindAllStringSubmatchIndex(spec, -1) {
		r := case05Row{step: spec[m[2]:m[3]], role: spec[m[4]:m[5]]}
		if m[6] >= 0 {
			r.extID = aws.String(spec[m[6]:m[7]])
		}
		r.status, _ = strconv.Atoi(spec[m[8]:m[9]]) // three digits by the pattern
		rows = append(rows, r)
	}
	if len(roles) != 2 || len(rows) != 6 {
		t.Fatalf("05-externalid.requests.txt: read %d roles and %d AssumeRole rows; want 2 and 6", len(roles), len(rows))
	}
	return roles, rows
}

func TestCase05CrossAccount(t *testing.T) {
	roles, rows := parseCase05(t)
	e := newEnv(t)
	platform := e.platform()
	arns := map[string]string{}
	for r, v := range roles {
		arns[r] = newRole(t, platform, v[0], casePolicy(t, e, v[1]), "")
	}
	partner := e.newAccount(t, "partner", partnerID)
	caller := e.newUser(t, partner, "assumer", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":"sts:AssumeRole","Resource":"arn:aws:iam::%s:role/*"}]}`, platform.account))
	ctx := context.Background()

	for _, r := range rows {
		name := r.step + "_" + r.role + "_"
		if r.extID == nil {
			name += "NoExternalId"
		} else {
			name += *r.extID
		}
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			out, err := caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arns[r.role]),
				RoleSessionName: aws.String("s1"), ExternalId: r.extID})
			switch r.status {
			case http.StatusForbidden:
				wantAPIError(t, "AssumeRole", err, "AccessDenied", r.status)
				return
			case http.StatusBadRequest:
				wantAPIError(t, "AssumeRole", err, "ValidationError", r.status)
				return
			}
			if err != nil {
				t.Fatalf("AssumeRole: %v; want %d", err, r.status)
			}
			c := out.Credentials
			if c == nil {
				t.Fatalf("AssumeRole returned no Credentials")
			}
			if id := aws.ToString(c.AccessKeyId); !strings.HasPrefix(id, "ASIA") {
				t.Errorf("AccessKeyId = %q; want ASIA…", id)
			}
			if aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
				t.Errorf("AssumeRole lacks a secret or a session token")
			}
			if c.Expiration == nil {
				t.Errorf("AssumeRole has no Expiration")
			} else if d := c.Expiration.Sub(start); d < time.Hour-5*time.Second || d > time.Hour+5*time.Second {
				t.Errorf("Expiration %s is %s away; want the default hour", c.Expiration, d)
			}
			want := "arn:aws:sts::" + platform.account + ":assumed-role/" + roles[r.role][0] + "/s1"
			if got := aws.ToString(out.AssumedRoleUser.Arn); got != want {
				t.Errorf("AssumedRoleUser.Arn = %s; want %s", got, want)
			}
			if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":s1") {
				t.Errorf("AssumedRoleId = %q; want AROA…:s1", id)
			}

			// Step 8: the new credentials identify as the session.
			session := e.as(platform.account, aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId),
				SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)})
			who, err := session.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity with the session: %v", err)
			}
			if got := aws.ToString(who.Arn); got != want {
				t.Errorf("GetCallerIdentity Arn = %s; want %s", got, want)
			}
			if got := aws.ToString(who.Account); got != platform.account {
				t.Errorf("GetCallerIdentity Account = %s; want the platform %s", got, platform.account)
			}
		})
	}

	t.Run("UserWithoutAssumeRolePolicy", func(t *testing.T) {
		// Across accounts the caller's own policy must allow it too.
		bystander := e.newUser(t, partner, "bystander", "")
		_, err := bystander.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arns["R2"]),
			RoleSessionName: aws.String("s1")})
		wantAPIError(t, "AssumeRole by a partner user without sts:AssumeRole", err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("RootMayNotAssume", func(t *testing.T) {
		_, err := partner.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arns["R2"]),
			RoleSessionName: aws.String("s1")})
		wantAPIError(t, "AssumeRole as the partner's root", err, "AccessDenied", http.StatusForbidden)
	})
}

func TestCase15CrossAccount(t *testing.T) {
	spec := string(readInput(t, "15-missing-key.requests.txt"))
	M := caseKey(t, spec, "M")
	if !strings.HasPrefix(M, caseFolder) {
		t.Fatalf("key M %q is not in the delivery folder", M)
	}
	K := caseFolder + "orders.csv"
	e := caseEnv(t)
	// The case's policy for the platform's two roles, and mode (a) for the
	// partner (PutObject only).
	e.mustPutBucketPolicy(t, caseBucket, mergePolicies(t,
		casePolicy(t, e, "15-missing-key.policy.json"), casePolicy(t, e, "01-acl-required.policy.json")))
	e.mustPut(t, caseBucket, K, []byte("id,amount\n1,2.50\n"))
	platform := e.platform()
	ingest := e.newUser(t, platform, "ingest", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":"sts:AssumeRole","Resource":"arn:aws:iam::%s:role/ingest-*"}]}`, platform.account))
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::%s:user/ingest"},"Action":"sts:AssumeRole"}]}`, platform.account)
	reader := e.assume(t, ingest, newRole(t, platform, "ingest-reader", trust, ""), "reader")
	lister := e.assume(t, ingest, newRole(t, platform, "ingest-lister", trust, ""), "lister")
	partner := e.newAccount(t, "partner", partnerID)
	wireKey := func(key string) string {
		return "/" + caseBucket + "/" + caseFolderWire + strings.TrimPrefix(key, caseFolder)
	}
	const noBucket = "/no-such-bucket-15"

	for _, c := range []struct {
		name   string
		who    principal
		method string
		target string
		status int
		code   string // error code of a GET; "" for none
	}{
		{"ListerHeadMissing", lister, http.MethodHead, wireKey(M), http.StatusNotFound, ""},
		{"ListerGetMissing", lister, http.MethodGet, wireKey(M), http.StatusNotFound, "NoSuchKey"},
		{"ReaderHeadMissing", reader, http.MethodHead, wireKey(M), http.StatusForbidden, ""},
		{"ReaderGetMissing", reader, http.MethodGet, wireKey(M), http.StatusForbidden, "AccessDenied"},
		{"ReaderGetExisting", reader, http.MethodGet, wireKey(K), http.StatusOK, ""},
		{"PartnerHeadExisting", partner, http.MethodHead, wireKey(K), http.StatusForbidden, ""},
		{"PartnerHeadMissing", partner, http.MethodHead, wireKey(M), http.StatusForbidden, ""},
		{"ReaderHeadMissingBucket", reader, http.MethodHead, noBucket, http.StatusNotFound, ""},
		{"PartnerHeadMissingBucket", partner, http.MethodHead, noBucket, http.StatusNotFound, ""},
		{"PartnerHeadKeyInMissingBucket", partner, http.MethodHead, noBucket + "/a.csv", http.StatusNotFound, ""},
		{"PartnerGetKeyInMissingBucket", partner, http.MethodGet, noBucket + "/a.csv", http.StatusNotFound, "NoSuchBucket"},
		{"ReaderListMissingBucket", reader, http.MethodGet, noBucket + "?list-type=2", http.StatusNotFound, "NoSuchBucket"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, rawRequest{method: c.method, target: c.target, creds: &c.who.creds})
			if c.code != "" {
				wantRawError(t, c.method+" "+c.target, r, c.status, c.code)
			} else if r.status != c.status {
				t.Errorf("%s %s: %d; want %d (%s)", c.method, c.target, r.status, c.status, r.body)
			}
			if c.method == http.MethodHead && len(r.body) != 0 {
				t.Errorf("HEAD answered with a body: %q", r.body)
			}
			if c.code == "NoSuchKey" {
				if x := parseError(t, r); x.Key != M {
					t.Errorf("NoSuchKey <Key> = %q; want %q", x.Key, M)
				}
			}
		})
	}

	t.Run("SDKHeadObject", func(t *testing.T) {
		// What `aws s3 cp s3://partner-bucket/M .` sees first.
		for _, c := range []struct {
			name string
			who  principal
			want int
		}{
			{"lister", lister, http.StatusNotFound},
			{"reader", reader, http.StatusForbidden},
		} {
			_, err := c.who.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(caseBucket), Key: aws.String(M)})
			if got := httpStatus(err); got != c.want {
				t.Errorf("%s HeadObject missing key: status %d (%v); want %d", c.name, got, err, c.want)
			}
		}
	})
}
