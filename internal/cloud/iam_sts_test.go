package cloud_test

// Tests for the IAM and STS query APIs of the embedded cloud, through the
// SDK's iam and sts clients, and for what their credentials can do on S3.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"inlet/internal/bucketconf"
	"inlet/internal/identity"
)

// decodeDocument undoes the URL encoding IAM applies to policy documents
// in its replies.
func decodeDocument(t *testing.T, doc *string) string {
	t.Helper()
	// As botocore decodes it (unquote): a + stays a +, so a document
	// that writes a space as + comes back wrong.
	s, err := url.PathUnescape(aws.ToString(doc))
	if err != nil {
		t.Fatalf("policy document is not URL-encoded: %v", err)
	}
	return s
}

// listBucket lists a bucket as p.
func listBucket(p principal, bucket string) error {
	_, err := p.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	return err
}

// badIdentityPolicies are documents IAM refuses as identity policies.
var badIdentityPolicies = []struct {
	name string
	doc  string
}{
	{"Principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`},
	{"NotJSON", `{"Version":"2012-10-17","Statement":[`},
	{"BadEffect", `{"Version":"2012-10-17","Statement":[{"Effect":"Perhaps","Action":"s3:GetObject","Resource":"*"}]}`},
	{"NoStatement", `{"Version":"2012-10-17"}`},
}

func TestIAMUsers(t *testing.T) {
	e := newEnv(t)
	root := e.platform()
	acct := root.account
	ctx := context.Background()
	const bucket = "iam-users"
	e.mustCreateBucket(t, bucket)
	aliceARN := "arn:aws:iam::" + acct + ":user/alice"

	out, err := root.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if got := aws.ToString(out.User.Arn); got != aliceARN {
		t.Errorf("CreateUser Arn = %s; want %s", got, aliceARN)
	}
	if id := aws.ToString(out.User.UserId); !strings.HasPrefix(id, "AIDA") {
		t.Errorf("CreateUser UserId = %q; want AIDA…", id)
	}
	_, err = root.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	wantAPIError(t, "CreateUser twice", err, "EntityAlreadyExists", http.StatusConflict)

	t.Run("GetAndList", func(t *testing.T) {
		got, err := root.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
		if err != nil {
			t.Fatalf("GetUser(alice): %v", err)
		}
		if aws.ToString(got.User.Arn) != aliceARN || aws.ToString(got.User.UserName) != "alice" {
			t.Errorf("GetUser(alice) = %s %s; want alice %s", aws.ToString(got.User.UserName), aws.ToString(got.User.Arn), aliceARN)
		}
		self, err := root.iam.GetUser(ctx, &iam.GetUserInput{})
		if err != nil {
			t.Errorf("GetUser() as root: %v", err)
		} else if got, want := aws.ToString(self.User.Arn), "arn:aws:iam::"+acct+":root"; got != want {
			t.Errorf("GetUser() as root: Arn = %s; want %s", got, want)
		}
		l, err := root.iam.ListUsers(ctx, &iam.ListUsersInput{})
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		var names []string
		for _, u := range l.Users {
			names = append(names, aws.ToString(u.UserName))
		}
		if want := []string{"alice"}; !slices.Equal(names, want) {
			t.Errorf("ListUsers = %q; want %q", names, want)
		}
		_, err = root.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
		wantAPIError(t, "GetUser(nobody)", err, "NoSuchEntity", http.StatusNotFound)
	})

	// alice may read herself and list the bucket.
	// (The spaces check how the document is encoded in replies.)
	alicePolicy := fmt.Sprintf(`{"Version": "2012-10-17", "Statement":[
		{"Effect":"Allow","Action":["iam:GetUser","iam:ListAccessKeys"],"Resource":"%s"},
		{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::%s"}]}`, aliceARN, bucket)
	t.Run("UserPolicies", func(t *testing.T) {
		for _, c := range badIdentityPolicies {
			_, err := root.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"),
				PolicyName: aws.String("bad"), PolicyDocument: aws.String(c.doc)})
			wantAPIError(t, "PutUserPolicy "+c.name, err, "MalformedPolicyDocument", http.StatusBadRequest)
		}
		_, err := root.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"),
			PolicyName: aws.String("p"), PolicyDocument: aws.String(alicePolicy)})
		wantAPIError(t, "PutUserPolicy(nobody)", err, "NoSuchEntity", http.StatusNotFound)

		if _, err := root.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"),
			PolicyName: aws.String("self"), PolicyDocument: aws.String(alicePolicy)}); err != nil {
			t.Fatalf("PutUserPolicy: %v", err)
		}
		got, err := root.iam.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self")})
		if err != nil {
			t.Fatalf("GetUserPolicy: %v", err)
		}
		if doc := decodeDocument(t, got.PolicyDocument); doc != alicePolicy {
			t.Errorf("GetUserPolicy document = %s; want %s", doc, alicePolicy)
		}
		l, err := root.iam.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice")})
		if err != nil {
			t.Fatalf("ListUserPolicies: %v", err)
		}
		if want := []string{"self"}; !slices.Equal(l.PolicyNames, want) {
			t.Errorf("ListUserPolicies = %q; want %q", l.PolicyNames, want)
		}
		_, err = root.iam.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("bad")})
		wantAPIError(t, "GetUserPolicy of a refused document", err, "NoSuchEntity", http.StatusNotFound)
	})

	var alice principal
	var keyID string
	t.Run("AccessKeys", func(t *testing.T) {
		k, err := root.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
		if err != nil {
			t.Fatalf("CreateAccessKey: %v", err)
		}
		keyID = aws.ToString(k.AccessKey.AccessKeyId)
		if !strings.HasPrefix(keyID, "AKIA") || aws.ToString(k.AccessKey.SecretAccessKey) == "" ||
			k.AccessKey.Status != iamtypes.StatusTypeActive {
			t.Errorf("CreateAccessKey = %s %s; want an active AKIA… key with a secret", keyID, k.AccessKey.Status)
		}
		alice = e.as(acct, aws.Credentials{AccessKeyID: keyID, SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)})
		l, err := root.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
		if err != nil {
			t.Fatalf("ListAccessKeys: %v", err)
		}
		if len(l.AccessKeyMetadata) != 1 || aws.ToString(l.AccessKeyMetadata[0].AccessKeyId) != keyID ||
			l.AccessKeyMetadata[0].Status != iamtypes.StatusTypeActive {
			t.Errorf("ListAccessKeys = %+v; want the one active key %s", l.AccessKeyMetadata, keyID)
		}

		self, err := alice.iam.GetUser(ctx, &iam.GetUserInput{})
		if err != nil {
			t.Errorf("GetUser() as alice (her policy allows iam:GetUser on herself): %v", err)
		} else if got := aws.ToString(self.User.Arn); got != aliceARN {
			t.Errorf("GetUser() as alice: Arn = %s; want %s", got, aliceARN)
		}
		own, err := alice.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
		if err != nil {
			t.Errorf("ListAccessKeys() as alice (her policy allows iam:ListAccessKeys on herself): %v", err)
		} else if len(own.AccessKeyMetadata) != 1 || aws.ToString(own.AccessKeyMetadata[0].AccessKeyId) != keyID {
			t.Errorf("ListAccessKeys() as alice = %+v; want her key %s", own.AccessKeyMetadata, keyID)
		}
		if err := listBucket(alice, bucket); err != nil {
			t.Errorf("alice ListObjectsV2 with an active key: %v", err)
		}

		_, err = root.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
		wantAPIError(t, "DeleteUser with a key and a policy", err, "DeleteConflict", http.StatusConflict)

		if _, err := root.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
			AccessKeyId: aws.String(keyID), Status: iamtypes.StatusTypeInactive}); err != nil {
			t.Fatalf("UpdateAccessKey Inactive: %v", err)
		}
		l, err = root.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
		if err != nil {
			t.Fatalf("ListAccessKeys: %v", err)
		}
		if len(l.AccessKeyMetadata) != 1 || l.AccessKeyMetadata[0].Status != iamtypes.StatusTypeInactive {
			t.Errorf("ListAccessKeys after UpdateAccessKey = %+v; want the key Inactive", l.AccessKeyMetadata)
		}
		wantAPIError(t, "S3 with an inactive key", listBucket(alice, bucket), "InvalidAccessKeyId", http.StatusForbidden)

		if _, err := root.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"),
			AccessKeyId: aws.String(keyID)}); err != nil {
			t.Fatalf("DeleteAccessKey: %v", err)
		}
		_, err = root.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(keyID)})
		wantAPIError(t, "DeleteAccessKey twice", err, "NoSuchEntity", http.StatusNotFound)
		wantAPIError(t, "S3 with a deleted key", listBucket(alice, bucket), "InvalidAccessKeyId", http.StatusForbidden)
	})

	t.Run("DeleteUser", func(t *testing.T) {
		if _, err := root.iam.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"),
			PolicyName: aws.String("self")}); err != nil {
			t.Fatalf("DeleteUserPolicy: %v", err)
		}
		_, err := root.iam.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self")})
		wantAPIError(t, "DeleteUserPolicy twice", err, "NoSuchEntity", http.StatusNotFound)
		if _, err := root.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
			t.Fatalf("DeleteUser without keys and policies: %v", err)
		}
		_, err = root.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
		wantAPIError(t, "GetUser after DeleteUser", err, "NoSuchEntity", http.StatusNotFound)
		_, err = root.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
		wantAPIError(t, "DeleteUser twice", err, "NoSuchEntity", http.StatusNotFound)
	})
}

func TestIAMAccessDenied(t *testing.T) {
	e := newEnv(t)
	root := e.platform()
	bob := e.newUser(t, root, "bob", "")
	ctx := context.Background()
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"CreateUser", func() error {
			_, err := bob.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
			return err
		}},
		{"ListUsers", func() error {
			_, err := bob.iam.ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}},
		{"CreateAccessKeyForRoot", func() error {
			_, err := bob.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
			return err
		}},
		{"PutUserPolicyOnSelf", func() error {
			_, err := bob.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("all"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		}},
		{"CreateRole", func() error {
			_, err := bob.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
				AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantAPIError(t, "bob "+c.name, c.call(), "AccessDenied", http.StatusForbidden)
		})
	}
	if _, err := root.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("mallory")}); errCode(err) != "NoSuchEntity" {
		t.Errorf("GetUser(mallory) after the refused CreateUser: %v; want NoSuchEntity", err)
	}
	l, err := root.iam.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatalf("ListUserPolicies(bob): %v", err)
	}
	if len(l.PolicyNames) != 0 {
		t.Errorf("bob's policies after the refused PutUserPolicy = %q; want none", l.PolicyNames)
	}
}

func TestIAMRoles(t *testing.T) {
	e := newEnv(t)
	root := e.platform()
	acct := root.account
	ctx := context.Background()
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, partnerID)
	roleARN := "arn:aws:iam::" + acct + ":role/writer"

	out, err := root.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("writer"),
		AssumeRolePolicyDocument: aws.String(trust), Description: aws.String("partner writes")})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if got := aws.ToString(out.Role.Arn); got != roleARN {
		t.Errorf("CreateRole Arn = %s; want %s", got, roleARN)
	}
	if id := aws.ToString(out.Role.RoleId); !strings.HasPrefix(id, "AROA") {
		t.Errorf("CreateRole RoleId = %q; want AROA…", id)
	}
	_, err = root.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("writer"), AssumeRolePolicyDocument: aws.String(trust)})
	wantAPIError(t, "CreateRole twice", err, "EntityAlreadyExists", http.StatusConflict)
	_, err = root.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("nobody-trusted"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)})
	wantAPIError(t, "CreateRole with a trust policy without Principal", err, "MalformedPolicyDocument", http.StatusBadRequest)

	getRole := func(t *testing.T) *iamtypes.Role {
		t.Helper()
		r, err := root.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("writer")})
		if err != nil {
			t.Fatalf("GetRole: %v", err)
		}
		return r.Role
	}

	t.Run("GetAndList", func(t *testing.T) {
		r := getRole(t)
		if aws.ToString(r.Arn) != roleARN || aws.ToString(r.Description) != "partner writes" {
			t.Errorf("GetRole = %s %q; want %s %q", aws.ToString(r.Arn), aws.ToString(r.Description), roleARN, "partner writes")
		}
		if got, want := aws.ToInt32(r.MaxSessionDuration), int32(3600); got != want {
			t.Errorf("MaxSessionDuration = %d; want the default %d", got, want)
		}
		if doc := decodeDocument(t, r.AssumeRolePolicyDocument); doc != trust {
			t.Errorf("AssumeRolePolicyDocument = %s; want %s", doc, trust)
		}
		l, err := root.iam.ListRoles(ctx, &iam.ListRolesInput{})
		if err != nil {
			t.Fatalf("ListRoles: %v", err)
		}
		var names []string
		for _, r := range l.Roles {
			names = append(names, aws.ToString(r.RoleName))
		}
		if want := []string{"writer"}; !slices.Equal(names, want) {
			t.Errorf("ListRoles = %q; want %q", names, want)
		}
		_, err = root.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")})
		wantAPIError(t, "GetRole(nobody)", err, "NoSuchEntity", http.StatusNotFound)
	})

	t.Run("UpdateRole", func(t *testing.T) {
		for _, c := range []struct {
			max  int32
			code string // "" when accepted
		}{
			{7200, ""},
			{43200, ""},
			{100, "ValidationError"},
			{43201, "ValidationError"},
		} {
			_, err := root.iam.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("writer"), MaxSessionDuration: aws.Int32(c.max)})
			if c.code != "" {
				wantAPIError(t, fmt.Sprintf("UpdateRole MaxSessionDuration %d", c.max), err, c.code, http.StatusBadRequest)
				continue
			}
			if err != nil {
				t.Fatalf("UpdateRole MaxSessionDuration %d: %v", c.max, err)
			}
			if got := aws.ToInt32(getRole(t).MaxSessionDuration); got != c.max {
				t.Errorf("MaxSessionDuration after UpdateRole = %d; want %d", got, c.max)
			}
		}
		_, err := root.iam.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("nobody"), MaxSessionDuration: aws.Int32(7200)})
		wantAPIError(t, "UpdateRole(nobody)", err, "NoSuchEntity", http.StatusNotFound)
	})

	t.Run("UpdateAssumeRolePolicy", func(t *testing.T) {
		next := strings.Replace(trust, `"Action"`, `"Condition":{"StringEquals":{"sts:ExternalId":"EXT-1"}},"Action"`, 1)
		if _, err := root.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("writer"),
			PolicyDocument: aws.String(next)}); err != nil {
			t.Fatalf("UpdateAssumeRolePolicy: %v", err)
		}
		if doc := decodeDocument(t, getRole(t).AssumeRolePolicyDocument); doc != next {
			t.Errorf("AssumeRolePolicyDocument = %s; want %s", doc, next)
		}
		_, err := root.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("writer"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[`)})
		wantAPIError(t, "UpdateAssumeRolePolicy not JSON", err, "MalformedPolicyDocument", http.StatusBadRequest)
	})

	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`
	t.Run("RolePolicies", func(t *testing.T) {
		for _, c := range badIdentityPolicies {
			_, err := root.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("writer"),
				PolicyName: aws.String("bad"), PolicyDocument: aws.String(c.doc)})
			wantAPIError(t, "PutRolePolicy "+c.name, err, "MalformedPolicyDocument", http.StatusBadRequest)
		}
		if _, err := root.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("writer"),
			PolicyName: aws.String("write"), PolicyDocument: aws.String(inline)}); err != nil {
			t.Fatalf("PutRolePolicy: %v", err)
		}
		got, err := root.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("writer"), PolicyName: aws.String("write")})
		if err != nil {
			t.Fatalf("GetRolePolicy: %v", err)
		}
		if doc := decodeDocument(t, got.PolicyDocument); doc != inline {
			t.Errorf("GetRolePolicy document = %s; want %s", doc, inline)
		}
		l, err := root.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("writer")})
		if err != nil {
			t.Fatalf("ListRolePolicies: %v", err)
		}
		if want := []string{"write"}; !slices.Equal(l.PolicyNames, want) {
			t.Errorf("ListRolePolicies = %q; want %q", l.PolicyNames, want)
		}
		_, err = root.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("writer"), PolicyName: aws.String("nope")})
		wantAPIError(t, "GetRolePolicy(nope)", err, "NoSuchEntity", http.StatusNotFound)
	})

	t.Run("DeleteRole", func(t *testing.T) {
		_, err := root.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("writer")})
		wantAPIError(t, "DeleteRole with an inline policy", err, "DeleteConflict", http.StatusConflict)
		if _, err := root.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("writer"),
			PolicyName: aws.String("write")}); err != nil {
			t.Fatalf("DeleteRolePolicy: %v", err)
		}
		if _, err := root.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("writer")}); err != nil {
			t.Fatalf("DeleteRole: %v", err)
		}
		_, err = root.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("writer")})
		wantAPIError(t, "GetRole after DeleteRole", err, "NoSuchEntity", http.StatusNotFound)
		_, err = root.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("writer")})
		wantAPIError(t, "DeleteRole twice", err, "NoSuchEntity", http.StatusNotFound)
	})
}

// stsEnv is an env with a bucket, a role "worker" that may read and write
// it, and a platform user "caller" that may assume the role and write the
// bucket itself.
type stsEnv struct {
	*env
	root    principal
	caller  principal
	roleARN string
	bucket  string
}

func newSTSEnv(t *testing.T) stsEnv {
	t.Helper()
	e := newEnv(t)
	s := stsEnv{env: e, root: e.platform(), bucket: "sts-bucket"}
	e.mustCreateBucket(t, s.bucket)
	acct := s.root.account
	access := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::%[1]s"},
		{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::%[1]s/*"}]}`, s.bucket)
	s.caller = e.newUser(t, s.root, "caller", access)
	if _, err := s.root.iam.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("caller"),
		PolicyName: aws.String("assume"), PolicyDocument: aws.String(fmt.Sprintf(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::%s:role/worker"}]}`, acct))}); err != nil {
		t.Fatalf("PutUserPolicy(assume): %v", err)
	}
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::%s:user/caller"},"Action":"sts:AssumeRole"}]}`, acct)
	s.roleARN = newRole(t, s.root, "worker", trust, access)
	return s
}

func TestSTSAssumeRoleDuration(t *testing.T) {
	s := newSTSEnv(t)
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		duration int32
		code     string // "" when accepted
		about    string // what the error message names
	}{
		{"Minimum", 900, "", ""},
		{"RoleMaximum", 3600, "", ""},
		{"AboveRoleMaximum", 3601, "ValidationError", "MaxSessionDuration"},
		{"AboveSTSMaximum", 43201, "ValidationError", "DurationSeconds"},
		{"BelowMinimum", 899, "ValidationError", "DurationSeconds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			out, err := s.caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN),
				RoleSessionName: aws.String("dur"), DurationSeconds: aws.Int32(c.duration)})
			if c.code != "" {
				wantAPIError(t, fmt.Sprintf("AssumeRole DurationSeconds=%d", c.duration), err, c.code, http.StatusBadRequest)
				if !strings.Contains(strings.ToLower(errMessage(err)), strings.ToLower(c.about)) {
					t.Errorf("AssumeRole DurationSeconds=%d: message %q does not mention %s", c.duration, errMessage(err), c.about)
				}
				return
			}
			if err != nil {
				t.Fatalf("AssumeRole DurationSeconds=%d: %v", c.duration, err)
			}
			got := out.Credentials.Expiration.Sub(start)
			if want := time.Duration(c.duration) * time.Second; got < want-5*time.Second || got > want+5*time.Second {
				t.Errorf("Expiration is %s away; want %s", got, want)
			}
		})
	}

	t.Run("RaisedRoleMaximum", func(t *testing.T) {
		if _, err := s.root.iam.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("worker"),
			MaxSessionDuration: aws.Int32(7200)}); err != nil {
			t.Fatalf("UpdateRole: %v", err)
		}
		if _, err := s.caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN),
			RoleSessionName: aws.String("dur"), DurationSeconds: aws.Int32(7200)}); err != nil {
			t.Errorf("AssumeRole DurationSeconds=7200 under MaxSessionDuration 7200: %v", err)
		}
	})
}

// errMessage is the message of an API error, "" when there is none.
func errMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func TestSTSSessionPolicy(t *testing.T) {
	s := newSTSEnv(t)
	ctx := context.Background()
	s.mustPut(t, s.bucket, "in/existing.csv", []byte("a\n"))
	narrow := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, s.bucket)
	out, err := s.caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN),
		RoleSessionName: aws.String("narrow"), Policy: aws.String(narrow)})
	if err != nil {
		t.Fatalf("AssumeRole with a session policy: %v", err)
	}
	c := out.Credentials
	narrowed := s.as(s.root.account, aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)})
	full := s.assume(t, s.caller, s.roleARN, "full")

	for _, c := range []struct {
		name    string
		who     principal
		wantPut bool
	}{
		{"RoleOnly", full, true},
		{"RoleAndSessionPolicy", narrowed, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := getObject(c.who, s.bucket, "in/existing.csv")
			if err != nil || string(got) != "a\n" {
				t.Errorf("GetObject = %q, %v; want the object (both policies allow it)", got, err)
			}
			err = put(c.who, s.bucket, "in/"+c.name+".csv", []byte("b\n"), nil)
			if c.wantPut && err != nil {
				t.Errorf("PutObject allowed by the role: %v", err)
			}
			if !c.wantPut {
				wantAPIError(t, "PutObject outside the session policy", err, "AccessDenied", http.StatusForbidden)
			}
		})
	}

	t.Run("DenialLog", func(t *testing.T) {
		const key = "in/RoleAndSessionPolicy.csv"
		want := "arn:aws:sts::" + s.root.account + ":assumed-role/worker/narrow"
		deadline := time.Now().Add(2 * time.Second)
		for {
			ds, err := s.cloud.Denials(ctx, s.bucket, 10)
			if err != nil {
				t.Fatalf("Denials: %v", err)
			}
			i := slices.IndexFunc(ds, func(d bucketconf.Denial) bool {
				return d.Principal == want && d.Operation == "PutObject" && d.Key == key
			})
			if i >= 0 {
				if ds[i].Reason == "" || ds[i].Action != "s3:PutObject" {
					t.Errorf("denial %+v; want a reason and the action s3:PutObject", ds[i])
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no denial of PutObject %s by %s in the log: %+v", key, want, ds)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})

	t.Run("SessionPolicyWithPrincipal", func(t *testing.T) {
		_, err := s.caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN),
			RoleSessionName: aws.String("bad"), Policy: aws.String(badIdentityPolicies[0].doc)})
		wantAPIError(t, "AssumeRole with a session policy naming a Principal", err, "MalformedPolicyDocument", http.StatusBadRequest)
	})
}

func TestSTSGetSessionToken(t *testing.T) {
	s := newSTSEnv(t)
	ctx := context.Background()
	out, err := s.caller.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SessionToken) == "" {
		t.Errorf("GetSessionToken = %s with token %t; want ASIA… with a token", aws.ToString(c.AccessKeyId), aws.ToString(c.SessionToken) != "")
	}
	sess := s.as(s.root.account, aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)})

	who, err := sess.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the session: %v", err)
	}
	if got, want := aws.ToString(who.Arn), "arn:aws:iam::"+s.root.account+":user/caller"; got != want {
		t.Errorf("GetCallerIdentity Arn = %s; want %s", got, want)
	}
	body := []byte("id\n1\n")
	if err := put(sess, s.bucket, "token/a.csv", body, nil); err != nil {
		t.Fatalf("PutObject with the session token: %v", err)
	}
	if got, err := getObject(sess, s.bucket, "token/a.csv"); err != nil || string(got) != string(body) {
		t.Errorf("GetObject with the session token = %q, %v; want %q", got, err, body)
	}
	_, err = sess.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, "GetSessionToken with session credentials", err, "AccessDenied", http.StatusForbidden)

	// Without its token, the session's key is not a key.
	bare := s.as(s.root.account, aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey)})
	if err := listBucket(bare, s.bucket); err == nil {
		t.Errorf("ListObjectsV2 with a session key and no token succeeded")
	}
}

func TestSTSExpiredSession(t *testing.T) {
	s := newSTSEnv(t)
	ctx := context.Background()
	role, err := s.cloud.Identities().GetRole(ctx, s.root.account, "worker")
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	issue := func(d time.Duration) principal {
		t.Helper()
		sess, err := s.cloud.Identities().IssueSession(identity.SessionSpec{AccountID: s.root.account, Role: &role,
			SessionName: "x", Duration: d})
		if err != nil {
			t.Fatalf("IssueSession(%s): %v", d, err)
		}
		return s.as(s.root.account, aws.Credentials{AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.Secret.Reveal(), SessionToken: sess.Token})
	}
	short, long := issue(time.Second), issue(time.Hour)
	time.Sleep(1100 * time.Millisecond)

	if err := listBucket(long, s.bucket); err != nil {
		t.Errorf("S3 with a live session: %v", err)
	}
	wantAPIError(t, "S3 with an expired session", listBucket(short, s.bucket), "ExpiredToken", http.StatusBadRequest)
	_, err = short.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, "GetCallerIdentity with an expired session", err, "ExpiredToken", http.StatusBadRequest)
}

// TestSTSSessionOutlivesNoPrincipal: a session belongs to the user or role
// it was issued for, by unique id. Deleting that principal ends it, and a
// user or role created again under the same name, with the same
// permissions, does not bring it back.
func TestSTSSessionOutlivesNoPrincipal(t *testing.T) {
	s := newSTSEnv(t)
	ctx := context.Background()
	sessionOf := func(c *ststypes.Credentials) principal {
		return s.as(s.root.account, aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId),
			SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)})
	}
	access := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::%s"}]}`, s.bucket)

	// A user's session token.
	carol := s.newUser(t, s.root, "carol", access)
	tok, err := carol.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(3600)})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	userSession := sessionOf(tok.Credentials)
	if err := listBucket(userSession, s.bucket); err != nil {
		t.Fatalf("the user's session before any change: %v", err)
	}
	// A role's session.
	role, err := s.caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(s.roleARN), RoleSessionName: aws.String("w1")})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	roleSession := sessionOf(role.Credentials)
	if err := listBucket(roleSession, s.bucket); err != nil {
		t.Fatalf("the role's session before any change: %v", err)
	}

	deleteUser := func(name string) {
		t.Helper()
		keys, err := s.root.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys.AccessKeyMetadata {
			if _, err := s.root.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKeyId}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.root.iam.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("access")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.root.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	deleteRole := func(name string) {
		t.Helper()
		pols, err := s.root.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pols.PolicyNames {
			if _, err := s.root.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.root.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}

	deleteUser("carol")
	deleteRole("worker")
	if err := listBucket(userSession, s.bucket); err == nil {
		t.Error("the session of a deleted user still lists the bucket")
	}
	if err := listBucket(roleSession, s.bucket); err == nil {
		t.Error("the session of a deleted role still lists the bucket")
	}

	// The same names again, with the same permissions (and the role
	// trusting everyone in the account): the old sessions stay dead.
	s.newUser(t, s.root, "carol", access)
	trustAll := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, s.root.account)
	newRole(t, s.root, "worker", trustAll, access)
	for _, c := range []struct {
		name string
		p    principal
	}{{"user", userSession}, {"role", roleSession}} {
		err := listBucket(c.p, s.bucket)
		if err == nil {
			t.Errorf("the %s session works again once its principal's name is taken by a new one", c.name)
			continue
		}
		if code := errCode(err); code != "InvalidToken" && code != "AccessDenied" && code != "InvalidClientTokenId" {
			t.Errorf("the %s session after the name was taken again: %v; want a refusal of the token", c.name, err)
		}
	}
	if _, err := roleSession.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Error("GetCallerIdentity with the old role session succeeded")
	}
}

// TestIAMListPaging: ListUsers and ListRoles filter by PathPrefix and page
// with MaxItems and Marker as IAM does, so a script walking the pages sees
// every item once; a bad MaxItems is a ValidationError whose message is
// IAM's, as are other IAM errors' (no Go prefix).
func TestIAMListPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.platform()
	for _, u := range []struct{ name, path string }{{"alice", "/"}, {"bob", "/team/"}, {"carl", "/team/sub/"}, {"dora", "/other/"}} {
		if _, err := root.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name), Path: aws.String(u.path)}); err != nil {
			t.Fatalf("CreateUser(%s): %v", u.name, err)
		}
	}
	names := func(us []iamtypes.User) (out []string) {
		for _, u := range us {
			out = append(out, aws.ToString(u.UserName))
		}
		return out
	}
	team, err := root.iam.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/team/")})
	if err != nil || !slices.Equal(names(team.Users), []string{"bob", "carl"}) || team.IsTruncated {
		t.Errorf("ListUsers /team/ = %v (truncated %t), %v; want bob, carl", names(team.Users), team != nil && team.IsTruncated, err)
	}
	var all []string
	var marker *string
	for pages := 0; ; pages++ {
		out, err := root.iam.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1), Marker: marker})
		if err != nil {
			t.Fatalf("ListUsers page %d: %v", pages, err)
		}
		all = append(all, names(out.Users)...)
		if !out.IsTruncated {
			break
		}
		if pages > 10 || out.Marker == nil {
			t.Fatalf("ListUsers with MaxItems 1 does not end: %v", all)
		}
		marker = out.Marker
	}
	if !slices.Equal(all, []string{"alice", "bob", "carl", "dora"}) {
		t.Errorf("ListUsers page by page = %v; want every user once, in order", all)
	}
	_, err = root.iam.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(0)})
	wantAPIError(t, "ListUsers MaxItems 0", err, "ValidationError", 400)

	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, root.account)
	for _, r := range []struct{ name, path string }{{"r1", "/"}, {"r2", "/svc/"}} {
		if _, err := root.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.name), Path: aws.String(r.path),
			AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatalf("CreateRole(%s): %v", r.name, err)
		}
	}
	roles, err := root.iam.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/nope/")})
	if err != nil || len(roles.Roles) != 0 {
		t.Errorf("ListRoles /nope/ = %d roles, %v; want none", len(roles.Roles), err)
	}
	roles, err = root.iam.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/svc/")})
	if err != nil || len(roles.Roles) != 1 || aws.ToString(roles.Roles[0].RoleName) != "r2" {
		t.Errorf("ListRoles /svc/ = %+v, %v; want r2", roles, err)
	}

	_, err = root.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantAPIError(t, "GetUser of a missing user", err, "NoSuchEntity", 404)
	if msg := errMessage(err); strings.HasPrefix(msg, "identity:") || msg == "" {
		t.Errorf("NoSuchEntity message %q; want IAM's sentence", msg)
	}
}
