package provision

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	testBucket  = "inlet-acme-t2pxc2uy"
	testRoleARN = "arn:aws:iam::111111111111:role/inlet-acme-t2pxc2uy-access"
	testEP      = "http://127.0.0.1:9000"
)

func TestInstructions(t *testing.T) {
	tests := []struct {
		name string
		in   InstructionsInput
		// want must appear in Text; absent must not appear in the JSON
		// encoding (which includes Text).
		want, absent []string
		check        func(t *testing.T, got Instructions)
	}{
		{
			name: "BucketPolicyAWS",
			in: InstructionsInput{Bucket: testBucket, Region: "eu-west-1", AccessType: AccessBucketPolicy,
				PartnerAccountID: "222222222222", PlatformAccountID: "111111111111"},
			want: []string{
				"aws s3 cp file.csv s3://" + testBucket +
					"/ingestion/datasets/version=1/datasetId=DATASET_ID/FOLDER/ --acl bucket-owner-full-control\n",
				`"arn:aws:s3:::` + testBucket + `/*"`,
				"aws s3 cp s3://YOUR_BUCKET/",
				"any other ACL is denied",
				"_SUCCESS",
				"account 222222222222",
			},
			absent: []string{"--endpoint-url", "sts:AssumeRole", "role_arn", "--profile", "switch"},
			check: func(t *testing.T, got Instructions) {
				if got.PartnerPolicy == "" || got.AssumeRolePolicy != "" || got.Console != nil {
					t.Errorf("bucket policy instructions: partner policy %t, assume-role policy %t, console %v",
						got.PartnerPolicy != "", got.AssumeRolePolicy != "", got.Console)
				}
			},
		},
		{
			name: "BucketPolicyEmbedded",
			in: InstructionsInput{Bucket: testBucket, Region: "us-east-1", PartnerAccountID: "222222222222",
				Endpoint: testEP, DatasetID: 12},
			want: []string{
				"datasetId=12/FOLDER/ --acl bucket-owner-full-control --endpoint-url " + testEP + "\n",
				"aws s3 ls s3://" + testBucket + "/ --endpoint-url " + testEP,
				"a write without it is denied",
				"accepted under that ACL",
			},
			absent: []string{"DATASET_ID", "sts:AssumeRole"},
		},
		{
			name: "RoleAWSNoExternalID",
			in: InstructionsInput{Bucket: testBucket, Region: "us-east-1", AccessType: AccessIAMRole,
				PartnerAccountID: "222222222222", RoleARN: testRoleARN, PlatformAccountID: "111111111111"},
			want: []string{
				`"Sid": "AssumeBucketAccessRole"`,
				`"Resource": [` + "\n" + `        "` + testRoleARN + `"`,
				"[profile " + testBucket + "]\nrole_arn = " + testRoleARN +
					"\nsource_profile = SOURCE_PROFILE\nregion = us-east-1\n",
				"aws s3 ls --profile " + testBucket + " s3://" + testBucket + "/\n",
				"aws s3 cp --profile " + testBucket + " file.csv s3://" + testBucket + "/",
				"Account: 111111111111",
				"Role: inlet-acme-t2pxc2uy-access",
				"https://s3.console.aws.amazon.com/s3/buckets/" + testBucket + "/",
			},
			absent: []string{"external_id", "--endpoint-url", "AWS_ENDPOINT_URL_STS", "cannot be used"},
			check: func(t *testing.T, got Instructions) {
				want := ConsoleAccess{Account: "111111111111", RoleName: "inlet-acme-t2pxc2uy-access",
					BucketURL: "https://s3.console.aws.amazon.com/s3/buckets/" + testBucket + "/"}
				if got.Console == nil || *got.Console != want {
					t.Errorf("Console = %+v; want %+v", got.Console, want)
				}
				if got.EndpointSTS != nil || got.ConsoleNote != "" || got.PartnerPolicy != "" {
					t.Errorf("unexpected endpoint STS %v, console note %q or partner policy", got.EndpointSTS, got.ConsoleNote)
				}
			},
		},
		{
			name: "RoleAWSExternalID",
			in: InstructionsInput{Bucket: testBucket, Region: "us-east-1", AccessType: AccessIAMRole,
				PartnerAccountID: "222222222222", RoleARN: testRoleARN, ExternalID: "acme-ext-1",
				PlatformAccountID: "111111111111"},
			want: []string{
				"source_profile = SOURCE_PROFILE\nexternal_id = acme-ext-1\n",
				"AWS console cannot be used",
			},
			absent: []string{"s3.console.aws.amazon.com", "Switch Role", "111111111111\"", "--endpoint-url"},
			check: func(t *testing.T, got Instructions) {
				if got.Console != nil {
					t.Errorf("Console = %+v; want none with an external id", got.Console)
				}
			},
		},
		{
			name: "RoleEmbeddedExternalID",
			in: InstructionsInput{Bucket: testBucket, Region: "us-east-1", AccessType: AccessIAMRole,
				PartnerAccountID: "222222222222", RoleARN: testRoleARN, ExternalID: "acme-ext-1",
				Endpoint: testEP, PlatformAccountID: "111111111111"},
			want: []string{
				"aws sts assume-role --profile SOURCE_PROFILE --endpoint-url " + testEP + " --role-arn " + testRoleARN +
					" --role-session-name upload --external-id acme-ext-1",
				"export AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 AWS_SESSION_TOKEN=$3",
				"export AWS_ENDPOINT_URL_STS=" + testEP,
				"aws s3 ls --profile " + testBucket + " s3://" + testBucket + "/ --endpoint-url " + testEP,
				"external_id = acme-ext-1",
			},
			absent: []string{"s3.console.aws.amazon.com", "Switch Role"},
			check: func(t *testing.T, got Instructions) {
				// Pointing STS at the endpoint comes before the first
				// command that uses the profile, which would otherwise
				// send the partner's STS request to AWS.
				sts := strings.Index(got.Text, "export AWS_ENDPOINT_URL_STS=")
				use := strings.Index(got.Text, "aws s3 ls --profile")
				if sts < 0 || use < 0 || sts > use {
					t.Errorf("STS endpoint at %d, first use of the profile at %d; want the endpoint first\n%s", sts, use, got.Text)
				}
			},
		},
		{
			name: "RoleEmbeddedNoExternalID",
			in: InstructionsInput{Bucket: testBucket, Region: "us-east-1", AccessType: AccessIAMRole,
				PartnerAccountID: "222222222222", RoleARN: testRoleARN, Endpoint: testEP},
			want:   []string{"--role-session-name upload --query"},
			absent: []string{"external", "s3.console.aws.amazon.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BuildInstructions(tt.in)
			for _, w := range tt.want {
				if !strings.Contains(got.Text, w) {
					t.Errorf("text lacks %q\n%s", w, got.Text)
				}
			}
			js, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			for _, a := range tt.absent {
				if strings.Contains(string(js), a) {
					t.Errorf("instructions contain %q\n%s", a, got.Text)
				}
			}
			for _, doc := range []string{got.PartnerPolicy, got.AssumeRolePolicy} {
				if doc != "" && !json.Valid([]byte(doc)) {
					t.Errorf("policy is not valid JSON: %s", doc)
				}
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}
