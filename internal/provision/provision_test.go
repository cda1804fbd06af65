package provision_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"inlet/internal/cloud"
	"inlet/internal/credfile"
	"inlet/internal/provision"
)

const (
	region         = "us-east-1"
	partnerAccount = "222222222222"
	otherAccount   = "333333333333"
)

// world is an embedded cloud on loopback with SDK clients for the
// platform, a partner account and an unrelated account.
type world struct {
	c        *cloud.Cloud
	url      string
	platform clients
	partner  clients
	other    clients
}

// clients are the SDK clients of one principal.
type clients struct {
	s3  *s3.Client
	iam *iam.Client
	sts *sts.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	c, err := cloud.Open(ctx, cloud.Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("cloud.Open: %v", err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := c.Close(); err != nil {
			t.Errorf("cloud.Close: %v", err)
		}
	})
	w := &world{c: c, url: srv.URL}
	id, secret := readCredentials(t, filepath.Join(dir, "credentials"))
	w.platform = w.clients(aws.Credentials{AccessKeyID: id, SecretAccessKey: secret})
	w.partner = w.account(t, "partner", partnerAccount)
	w.other = w.account(t, "other", otherAccount)
	return w
}

// account creates an account and returns clients using its root key.
func (w *world) account(t *testing.T, name, id string) clients {
	t.Helper()
	_, key, err := w.c.Identities().CreateAccount(context.Background(), name, id)
	if err != nil {
		t.Fatalf("CreateAccount(%s): %v", name, err)
	}
	return w.clients(aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret.Reveal()})
}

func (w *world) clients(creds aws.Credentials) clients {
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	ep := aws.String(w.url)
	return clients{
		s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = ep
			o.UsePathStyle = true
		}),
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = ep }),
		sts: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep }),
	}
}

func (w *world) provisioner() *provision.Provisioner {
	return provision.New(provision.Cloud{
		S3: w.platform.s3, IAM: w.platform.iam, STS: w.platform.sts,
		Region: region, Endpoint: w.url, Embedded: true,
	}, slog.New(slog.DiscardHandler))
}

// newUser creates an IAM user in the account of c with an inline policy
// and returns clients using the user's new key.
func (w *world) newUser(t *testing.T, c clients, name, policy string) clients {
	t.Helper()
	ctx := context.Background()
	if _, err := c.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	if policy != "" {
		_, err := c.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{
			UserName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(policy),
		})
		if err != nil {
			t.Fatalf("PutUserPolicy(%s): %v", name, err)
		}
	}
	out, err := c.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey(%s): %v", name, err)
	}
	k := out.AccessKey
	return w.clients(aws.Credentials{
		AccessKeyID: aws.ToString(k.AccessKeyId), SecretAccessKey: aws.ToString(k.SecretAccessKey),
	})
}

// assume assumes roleARN as c with externalID ("" sends none).
func (w *world) assume(c clients, roleARN, externalID string) (clients, error) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("partner")}
	if externalID != "" {
		in.ExternalId = aws.String(externalID)
	}
	out, err := c.sts.AssumeRole(context.Background(), in)
	if err != nil {
		return clients{}, err
	}
	cr := out.Credentials
	return w.clients(aws.Credentials{
		AccessKeyID:     aws.ToString(cr.AccessKeyId),
		SecretAccessKey: aws.ToString(cr.SecretAccessKey),
		SessionToken:    aws.ToString(cr.SessionToken),
	}), nil
}

// put writes a small object, with the bucket-owner-full-control ACL when
// acl is set.
func put(c clients, bucket, key string, acl bool) error {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("a,b\n1,2\n")}
	if acl {
		in.ACL = s3types.ObjectCannedACLBucketOwnerFullControl
	}
	_, err := c.s3.PutObject(context.Background(), in)
	return err
}

// wantDenied fails unless err is a 403 AccessDenied.
func wantDenied(t *testing.T, what string, err error) {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if err == nil {
		t.Errorf("%s: succeeded; want 403 AccessDenied", what)
		return
	}
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" || !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Errorf("%s: %v; want 403 AccessDenied", what, err)
	}
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestProvisionBucketPolicy(t *testing.T) {
	w := newWorld(t)
	p := w.provisioner()
	ctx := context.Background()
	bucket := provision.BucketName(provision.DefaultPrefix, "acme-corp")
	spec := provision.Spec{
		TenantID: 7, SourceID: 42, TenantName: "Acme, Inc.", Bucket: bucket,
		PartnerAccountID: "2222-2222-2222", AccessType: provision.AccessBucketPolicy,
	}
	res, err := p.Provision(ctx, spec)
	mustOK(t, "Provision", err)
	if res.Bucket != bucket || res.RoleARN != "" {
		t.Fatalf("Provision = %+v; want bucket %q and no role", res, bucket)
	}
	key := "ingestion/datasets/version=1/datasetId=1/2024-05-01/data.csv"

	t.Run("PartnerRootWritesWithACL", func(t *testing.T) {
		mustOK(t, "partner put with ACL", put(w.partner, bucket, key, true))
	})
	t.Run("PartnerRootWithoutACLDenied", func(t *testing.T) {
		wantDenied(t, "partner put without ACL", put(w.partner, bucket, key+".2", false))
	})
	t.Run("PartnerUserNeedsIdentityPolicy", func(t *testing.T) {
		in := provision.BuildInstructions(provision.InstructionsInput{
			Bucket: bucket, Region: region, AccessType: provision.AccessBucketPolicy,
			PartnerAccountID: partnerAccount, Endpoint: w.url,
		})
		allowed := w.newUser(t, w.partner, "loader", in.PartnerPolicy)
		mustOK(t, "user with policy put", put(allowed, bucket, key+".user", true))
		plain := w.newUser(t, w.partner, "plain", "")
		wantDenied(t, "user without policy put", put(plain, bucket, key+".plain", true))
	})
	t.Run("PartnerMultipartWithACL", func(t *testing.T) {
		mpKey := key + ".multipart"
		up, err := w.partner.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(bucket), Key: aws.String(mpKey), ACL: s3types.ObjectCannedACLBucketOwnerFullControl,
		})
		mustOK(t, "CreateMultipartUpload", err)
		part, err := w.partner.s3.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(bucket), Key: aws.String(mpKey), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x,y\n")),
		})
		mustOK(t, "UploadPart", err)
		_, err = w.partner.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(bucket), Key: aws.String(mpKey), UploadId: up.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{
				{ETag: part.ETag, PartNumber: aws.Int32(1)},
			}},
		})
		mustOK(t, "CompleteMultipartUpload", err)
	})
	t.Run("OtherAccountDenied", func(t *testing.T) {
		wantDenied(t, "other account put", put(w.other, bucket, key+".other", true))
	})
	t.Run("PlatformReadsPartnerObject", func(t *testing.T) {
		out, err := w.platform.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		mustOK(t, "platform get", err)
		body, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(body) != "a,b\n1,2\n" {
			t.Errorf("platform read %q", body)
		}
	})
	t.Run("BucketSettings", func(t *testing.T) {
		tags, err := w.platform.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
		mustOK(t, "GetBucketTagging", err)
		got := map[string]string{}
		for _, tg := range tags.TagSet {
			got[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		want := map[string]string{"inlet:tenant-id": "7", "inlet:source-id": "42", "inlet:tenant": "Acme_ Inc."}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("tag %s = %q; want %q", k, got[k], v)
			}
		}
		oc, err := w.platform.s3.GetBucketOwnershipControls(ctx,
			&s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
		mustOK(t, "GetBucketOwnershipControls", err)
		r := oc.OwnershipControls.Rules
		if len(r) != 1 || r[0].ObjectOwnership != s3types.ObjectOwnershipBucketOwnerEnforced {
			t.Errorf("ownership rules = %+v; want BucketOwnerEnforced", r)
		}
		pab, err := w.platform.s3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
		mustOK(t, "GetPublicAccessBlock", err)
		c := pab.PublicAccessBlockConfiguration
		if !aws.ToBool(c.BlockPublicAcls) || !aws.ToBool(c.IgnorePublicAcls) ||
			!aws.ToBool(c.BlockPublicPolicy) || !aws.ToBool(c.RestrictPublicBuckets) {
			t.Errorf("public access block = %+v; want all true", c)
		}
	})
	t.Run("ProvisionAgain", func(t *testing.T) {
		again, err := p.Provision(ctx, spec)
		mustOK(t, "second Provision", err)
		if again != res {
			t.Errorf("second Provision = %+v; want %+v", again, res)
		}
		mustOK(t, "Status", p.Status(ctx, spec))
	})
	t.Run("Teardown", func(t *testing.T) {
		err := p.Teardown(ctx, spec, false)
		if !errors.Is(err, provision.ErrBucketNotEmpty) {
			t.Fatalf("Teardown without force = %v; want ErrBucketNotEmpty", err)
		}
		mustOK(t, "partner still writes after refused teardown", put(w.partner, bucket, key+".3", true))
		mustOK(t, "Teardown with force", p.Teardown(ctx, spec, true))
		if err := p.Status(ctx, spec); !errors.Is(err, provision.ErrNotProvisioned) {
			t.Errorf("Status after teardown = %v; want ErrNotProvisioned", err)
		}
		mustOK(t, "Teardown again", p.Teardown(ctx, spec, false))
	})
}

func TestProvisionIAMRole(t *testing.T) {
	w := newWorld(t)
	p := w.provisioner()
	ctx := context.Background()
	bucket := provision.BucketName(provision.DefaultPrefix, "acme")
	spec := provision.Spec{
		TenantID: 7, SourceID: 43, TenantName: "Acme", Bucket: bucket, RoleName: provision.RoleName(bucket),
		PartnerAccountID: partnerAccount, AccessType: provision.AccessIAMRole, ExternalID: "acme-ext-1",
	}
	res, err := p.Provision(ctx, spec)
	mustOK(t, "Provision", err)
	platformID, err := p.PlatformAccountID(ctx)
	mustOK(t, "PlatformAccountID", err)
	if want := "arn:aws:iam::" + platformID + ":role/" + spec.RoleName; res.RoleARN != want {
		t.Fatalf("RoleARN = %q; want %q", res.RoleARN, want)
	}

	in := provision.BuildInstructions(provision.InstructionsInput{
		Bucket: bucket, Region: region, AccessType: provision.AccessIAMRole, PartnerAccountID: partnerAccount,
		RoleARN: res.RoleARN, ExternalID: spec.ExternalID, Endpoint: w.url, PlatformAccountID: platformID,
	})
	user := w.newUser(t, w.partner, "loader", in.AssumeRolePolicy)
	key := "ingestion/datasets/version=1/datasetId=1/2024-05-01/data.csv"

	t.Run("AssumeWithExternalIDAndWrite", func(t *testing.T) {
		role, err := w.assume(user, res.RoleARN, spec.ExternalID)
		mustOK(t, "AssumeRole", err)
		mustOK(t, "role put with ACL", put(role, bucket, key, true))
		wantDenied(t, "role put without ACL", put(role, bucket, key+".2", false))
		_, err = role.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		mustOK(t, "role list", err)
	})
	t.Run("WrongExternalIDDenied", func(t *testing.T) {
		_, err := w.assume(user, res.RoleARN, "wrong-id")
		wantDenied(t, "AssumeRole with wrong external id", err)
		_, err = w.assume(user, res.RoleARN, "")
		wantDenied(t, "AssumeRole without external id", err)
	})
	t.Run("OtherAccountCannotAssume", func(t *testing.T) {
		_, err := w.assume(w.other, res.RoleARN, spec.ExternalID)
		wantDenied(t, "other account AssumeRole", err)
	})
	t.Run("PartnerRootHasNoBucketPolicyAccess", func(t *testing.T) {
		wantDenied(t, "partner root put", put(w.partner, bucket, key+".root", true))
	})
	t.Run("ProvisionAgainChangesExternalID", func(t *testing.T) {
		changed := spec
		changed.ExternalID = "acme-ext-2"
		again, err := p.Provision(ctx, changed)
		mustOK(t, "second Provision", err)
		if again != res {
			t.Errorf("second Provision = %+v; want %+v", again, res)
		}
		_, err = w.assume(user, res.RoleARN, spec.ExternalID)
		wantDenied(t, "AssumeRole with the old external id", err)
		_, err = w.assume(user, res.RoleARN, changed.ExternalID)
		mustOK(t, "AssumeRole with the new external id", err)
	})
	t.Run("Teardown", func(t *testing.T) {
		err := p.Teardown(ctx, spec, false)
		if !errors.Is(err, provision.ErrBucketNotEmpty) {
			t.Fatalf("Teardown without force = %v; want ErrBucketNotEmpty", err)
		}
		mustOK(t, "role still exists after refused teardown", p.Status(ctx, spec))

		_, err = w.platform.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(bucket), Key: aws.String("unfinished"),
		})
		mustOK(t, "CreateMultipartUpload", err)
		mustOK(t, "Teardown with force", p.Teardown(ctx, spec, true))

		_, err = w.platform.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
		var nf *s3types.NotFound
		if !errors.As(err, &nf) {
			t.Errorf("HeadBucket after teardown = %v; want NotFound", err)
		}
		_, err = w.platform.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(spec.RoleName)})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchEntity" {
			t.Errorf("GetRole after teardown = %v; want NoSuchEntity", err)
		}
		mustOK(t, "Teardown again", p.Teardown(ctx, spec, true))
	})
}

func TestProvisionBucketTaken(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	bucket := provision.BucketName(provision.DefaultPrefix, "taken")
	_, err := w.other.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	mustOK(t, "other account CreateBucket", err)

	_, err = w.provisioner().Provision(ctx, provision.Spec{Bucket: bucket, PartnerAccountID: partnerAccount})
	if !errors.Is(err, provision.ErrBucketTaken) {
		t.Fatalf("Provision of a taken name = %v; want ErrBucketTaken", err)
	}
	if !strings.Contains(err.Error(), bucket) {
		t.Errorf("error %q does not name the bucket", err)
	}
}

func TestProvisionRejectsBadSpec(t *testing.T) {
	p := provision.New(provision.Cloud{}, nil)
	tests := []struct {
		name string
		spec provision.Spec
	}{
		{"BadBucket", provision.Spec{Bucket: "Bad_Bucket", PartnerAccountID: partnerAccount}},
		{"BadAccount", provision.Spec{Bucket: "inlet-a-12345678", PartnerAccountID: "123"}},
		{"BadAccessType", provision.Spec{Bucket: "inlet-a-12345678", PartnerAccountID: partnerAccount, AccessType: "acl"}},
		{"ExternalIDWithBucketPolicy", provision.Spec{Bucket: "inlet-a-12345678", PartnerAccountID: partnerAccount,
			ExternalID: "abc"}},
		{"BadExternalID", provision.Spec{Bucket: "inlet-a-12345678", PartnerAccountID: partnerAccount,
			AccessType: provision.AccessIAMRole, ExternalID: "a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The Provisioner has no clients: a spec that passed the
			// checks would panic, so an error here comes from the checks.
			_, err := p.Provision(context.Background(), tt.spec)
			if err == nil || !strings.HasPrefix(err.Error(), "check spec: ") {
				t.Errorf("Provision = %v; want a check spec error", err)
			}
		})
	}
}

// readCredentials reads the [default] key of an AWS shared-credentials
// file.
func readCredentials(t *testing.T, path string) (id, secret string) {
	t.Helper()
	id, secret, err := credfile.Read(path, "")
	if err != nil {
		t.Fatalf("read credentials: %v", err)
	}
	return id, secret
}

// TestProvisionAWSPolicyForm provisions with the policy written for AWS
// (Embedded false): only ACLs other than bucket-owner-full-control are
// refused, since AWS sends no ACL with multipart parts.
func TestProvisionAWSPolicyForm(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var logs bytes.Buffer
	p := provision.New(provision.Cloud{
		S3: w.platform.s3, IAM: w.platform.iam, STS: w.platform.sts, Region: region,
	}, slog.New(slog.NewJSONHandler(&logs, nil)))
	bucket := provision.BucketName(provision.DefaultPrefix, "aws-form")
	_, err := p.Provision(ctx, provision.Spec{SourceID: 9, Bucket: bucket, PartnerAccountID: partnerAccount})
	mustOK(t, "Provision", err)
	var rec struct {
		Msg        string `json:"msg"`
		Bucket     string `json:"bucket"`
		AccessType string `json:"access_type"`
		SourceID   int64  `json:"source_id"`
	}
	line, _, _ := strings.Cut(logs.String(), "\n")
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("log line %q: %v", line, err)
	}
	if rec.Msg != "bucket provisioned" || rec.Bucket != bucket || rec.AccessType != provision.AccessBucketPolicy ||
		rec.SourceID != 9 {
		t.Errorf("log = %s; want bucket provisioned with bucket, source_id and access_type", line)
	}

	tests := []struct {
		name   string
		acl    s3types.ObjectCannedACL
		denied bool
	}{
		{name: "BucketOwnerFullControl", acl: s3types.ObjectCannedACLBucketOwnerFullControl},
		{name: "NoACL"},
		{name: "Private", acl: s3types.ObjectCannedACLPrivate, denied: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.partner.s3.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String("k-" + tt.name), ACL: tt.acl,
				Body: strings.NewReader("x"),
			})
			if tt.denied {
				wantDenied(t, "put", err)
			} else {
				mustOK(t, "put", err)
			}
		})
	}
}
