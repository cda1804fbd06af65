package provision

import (
	"fmt"
	"strconv"
	"strings"
)

// InstructionsInput is what the instructions are generated from: the real
// values of one provisioned source.
type InstructionsInput struct {
	Bucket           string
	Region           string
	AccessType       string
	PartnerAccountID string
	// RoleARN and ExternalID apply to AccessIAMRole.
	RoleARN    string
	ExternalID string
	// Endpoint partners send requests to; "" for AWS.
	Endpoint          string
	PlatformAccountID string
	// DatasetID, when set, replaces the DATASET_ID placeholder.
	DatasetID int64
}

// Instructions tell a partner how to reach and fill its managed bucket.
// The fields are meant for JSON and the web page; Text is the same
// content as plain text.
type Instructions struct {
	Bucket     string `json:"bucket"`
	Region     string `json:"region"`
	AccessType string `json:"access_type"`
	Endpoint   string `json:"endpoint,omitempty"`
	RoleARN    string `json:"role_arn,omitempty"`

	// WriteCommand uploads a file into a file-set folder.
	WriteCommand string `json:"write_command"`
	// WriteNotes explain the required ACL and multipart uploads.
	WriteNotes []string `json:"write_notes"`

	// PartnerPolicy (AccessBucketPolicy) is the identity policy the
	// partner's own principals need.
	PartnerPolicy string `json:"partner_policy,omitempty"`
	// CopyCommand (AccessBucketPolicy) copies from a bucket of the
	// partner's own.
	CopyCommand string `json:"copy_command,omitempty"`

	// CopyNote (AccessIAMRole) says why a bucket-to-bucket copy needs
	// more setup.
	CopyNote string `json:"copy_note,omitempty"`

	// AssumeRolePolicy (AccessIAMRole) is the inline policy that lets a
	// partner principal assume the role.
	AssumeRolePolicy string `json:"assume_role_policy,omitempty"`
	// ProfileName and CLIProfile (AccessIAMRole) are the ~/.aws/config
	// profile using the role.
	ProfileName string `json:"profile_name,omitempty"`
	CLIProfile  string `json:"cli_profile,omitempty"`
	// ListCommand lists the bucket.
	ListCommand string `json:"list_command"`
	// EndpointSTS (AccessIAMRole with an endpoint) says how to send the
	// role's STS call to the endpoint rather than to AWS.
	EndpointSTS *EndpointSTS `json:"endpoint_sts,omitempty"`
	// Console (AccessIAMRole on AWS without an external id) are the AWS
	// console switch-role values; ConsoleNote says why they are missing
	// otherwise.
	Console     *ConsoleAccess `json:"console,omitempty"`
	ConsoleNote string         `json:"console_note,omitempty"`

	// Layout is where deliveries go; Trigger how a file set is handed over.
	Layout         string `json:"layout"`
	Trigger        string `json:"trigger"`
	TriggerCommand string `json:"trigger_command"`

	Text string `json:"text"`
}

// EndpointSTS tells how to reach the role through a non-AWS endpoint.
type EndpointSTS struct {
	// Note explains why the profile alone may not do.
	Note string `json:"note"`
	// EnvCommand points newer AWS CLIs and the SDKs at the endpoint.
	EnvCommand string `json:"env_command"`
	// AssumeRoleCommand assumes the role explicitly and exports the
	// temporary credentials, for CLIs that ignore endpoint settings.
	AssumeRoleCommand string `json:"assume_role_command"`
}

// ConsoleAccess are the AWS console's switch-role values.
type ConsoleAccess struct {
	Account   string `json:"account"`
	RoleName  string `json:"role_name"`
	BucketURL string `json:"bucket_url"`
}

// BuildInstructions builds the partner instructions for in. It only formats
// values; nothing is checked against a cloud.
func BuildInstructions(in InstructionsInput) Instructions {
	if in.AccessType == "" {
		in.AccessType = AccessBucketPolicy
	}
	dataset := "DATASET_ID"
	if in.DatasetID != 0 {
		dataset = strconv.FormatInt(in.DatasetID, 10)
	}
	folder := "s3://" + in.Bucket + "/ingestion/datasets/version=1/datasetId=" + dataset + "/FOLDER/"
	ep := ""
	if in.Endpoint != "" {
		ep = " --endpoint-url " + in.Endpoint
	}
	profile := ""
	out := Instructions{
		Bucket:     in.Bucket,
		Region:     in.Region,
		AccessType: in.AccessType,
		Endpoint:   in.Endpoint,
		Layout: "ingestion/datasets/version=1/datasetId=" + dataset + "/FOLDER/: " +
			"put each delivery into a new FOLDER (a date such as 2024-05-01 is a good name); " +
			"the files of one folder form a file set and become one snapshot of the dataset; " +
			"names starting with . or _ (such as Spark's .crc files) are skipped.",
		Trigger: "When every file of a folder is written, add an empty object named _SUCCESS " +
			"to the folder; that starts the ingestion of the folder. Sending the same files again " +
			"changes nothing. To correct a delivery, write the corrected files into the same folder: " +
			"its new version replaces the old one's rows (a file under a new name is added, with a " +
			"warning in the receipt when its content was delivered before). For a dataset that keeps " +
			"only the latest delivery, write the folder's _SUCCESS again as well.",
	}
	if in.AccessType == AccessIAMRole {
		out.RoleARN = in.RoleARN
		out.ProfileName = in.Bucket
		profile = " --profile " + in.Bucket
		out.AssumeRolePolicy = assumeRolePolicy(in.RoleARN).String()
		out.CLIProfile = cliProfile(in)
		out.EndpointSTS = endpointSTS(in)
		out.Console, out.ConsoleNote = console(in)
		out.CopyNote = "Copying straight from a bucket of your own (aws s3 cp s3://... s3://...) needs " +
			"one principal that can read your bucket and write this one; the role can't read yours, " +
			"so download and upload, or grant the role's sessions read access to your bucket."
	} else {
		out.PartnerPolicy = partnerPolicy(in.Bucket).String()
		out.CopyCommand = "aws s3 cp s3://YOUR_BUCKET/path/file.csv " + folder +
			" --acl " + ACLBucketOwnerFullControl + ep
	}
	out.WriteCommand = "aws s3 cp" + profile + " file.csv " + folder + " --acl " + ACLBucketOwnerFullControl + ep
	out.ListCommand = "aws s3 ls" + profile + " s3://" + in.Bucket + "/" + ep
	out.TriggerCommand = "touch _SUCCESS && aws s3 cp" + profile + " _SUCCESS " + folder + "_SUCCESS --acl " +
		ACLBucketOwnerFullControl + ep
	out.WriteNotes = writeNotes(in.Endpoint != "")
	out.Text = renderText(in, out)
	return out
}

// writeNotes explains the ACL rule as the bucket policy applies it.
func writeNotes(embedded bool) []string {
	if embedded {
		return []string{
			"Every write MUST carry the ACL bucket-owner-full-control (--acl " + ACLBucketOwnerFullControl +
				", or the x-amz-acl header); a write without it is denied with AccessDenied.",
			"Large files are uploaded in parts (aws s3 cp does so above 8 MiB). Send the ACL when the upload " +
				"is created; its parts and completion are accepted under that ACL. aws s3 cp, boto3 and " +
				"rclone do this by themselves.",
		}
	}
	return []string{
		"Every write MUST carry the ACL bucket-owner-full-control (--acl " + ACLBucketOwnerFullControl +
			", or the x-amz-acl header); a write with any other ACL is denied with AccessDenied. " +
			"The bucket enforces bucket ownership, so every object belongs to the platform.",
		"Large files are uploaded in parts (aws s3 cp does so above 8 MiB). Send the ACL when the upload " +
			"is created; AWS sends no ACL with the parts, and the bucket accepts them.",
	}
}

func cliProfile(in InstructionsInput) string {
	var b strings.Builder
	b.WriteString("[profile SOURCE_PROFILE]\n")
	b.WriteString("aws_access_key_id = ...\n")
	b.WriteString("aws_secret_access_key = ...\n\n")
	fmt.Fprintf(&b, "[profile %s]\n", in.Bucket)
	fmt.Fprintf(&b, "role_arn = %s\n", in.RoleARN)
	b.WriteString("source_profile = SOURCE_PROFILE\n")
	if in.ExternalID != "" {
		fmt.Fprintf(&b, "external_id = %s\n", in.ExternalID)
	}
	if in.Region != "" {
		fmt.Fprintf(&b, "region = %s\n", in.Region)
	}
	return b.String()
}

func endpointSTS(in InstructionsInput) *EndpointSTS {
	if in.Endpoint == "" {
		return nil
	}
	ext := ""
	if in.ExternalID != "" {
		ext = " --external-id " + in.ExternalID
	}
	return &EndpointSTS{
		Note: "A role profile asks STS for credentials, and without AWS_ENDPOINT_URL_STS the AWS CLI sends " +
			"that request to AWS, not to this endpoint: set it before using the profile. The AWS CLI v1 (with " +
			"a current botocore), v2 from 2.13 and the AWS SDKs read it; AWS CLI 2.12 and older (such as 2.9) " +
			"ignore it: with those, assume the role yourself and export the three variables, then run the " +
			"commands without --profile.",
		EnvCommand: "export AWS_ENDPOINT_URL_STS=" + in.Endpoint + " AWS_ENDPOINT_URL_S3=" + in.Endpoint,
		AssumeRoleCommand: "set -- $(aws sts assume-role --profile SOURCE_PROFILE --endpoint-url " + in.Endpoint +
			" --role-arn " + in.RoleARN + " --role-session-name upload" + ext +
			" --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)\n" +
			"export AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 AWS_SESSION_TOKEN=$3",
	}
}

func console(in InstructionsInput) (*ConsoleAccess, string) {
	switch {
	case in.Endpoint != "":
		return nil, "The AWS console reaches only buckets on AWS; this bucket is served at " + in.Endpoint +
			", so use the AWS CLI or an SDK."
	case in.ExternalID != "":
		return nil, "The AWS console cannot be used with this bucket: its role requires an external id, " +
			"which the console's switch-role form cannot send. Use the AWS CLI or an SDK."
	}
	role := in.RoleARN
	if i := strings.LastIndex(role, "/"); i >= 0 {
		role = role[i+1:]
	}
	return &ConsoleAccess{
		Account:   in.PlatformAccountID,
		RoleName:  role,
		BucketURL: "https://s3.console.aws.amazon.com/s3/buckets/" + in.Bucket + "/",
	}, ""
}

func renderText(in InstructionsInput, out Instructions) string {
	var b strings.Builder
	section := func(title string) { fmt.Fprintf(&b, "\n== %s ==\n\n", title) }
	fmt.Fprintf(&b, "Managed bucket %s (region %s)\n", out.Bucket, out.Region)
	if out.Endpoint != "" {
		fmt.Fprintf(&b, "Endpoint: %s (pass --endpoint-url %s to the AWS CLI)\n", out.Endpoint, out.Endpoint)
	}
	if in.AccessType == AccessIAMRole {
		fmt.Fprintf(&b, "Access: IAM role %s, assumable by account %s\n", out.RoleARN, in.PartnerAccountID)
	} else {
		fmt.Fprintf(&b, "Access: bucket policy for account %s\n", in.PartnerAccountID)
	}

	if in.AccessType == AccessIAMRole {
		section("1. Let a user assume the role")
		b.WriteString("Add this inline policy to the user (or group, or role) in your account that will write:\n\n")
		b.WriteString(out.AssumeRolePolicy + "\n")
		section("2. AWS CLI profile (~/.aws/config)")
		b.WriteString("SOURCE_PROFILE is a profile with that user's keys.\n\n")
		b.WriteString(out.CLIProfile)
		if e := out.EndpointSTS; e != nil {
			// Before any command that uses the profile: run first, it
			// would send the partner's signed STS request to AWS.
			section("3. Pointing STS at the endpoint, before using the profile")
			b.WriteString(e.Note + "\n\n")
			fmt.Fprintf(&b, "  %s\n\nor:\n\n", e.EnvCommand)
			for _, l := range strings.Split(e.AssumeRoleCommand, "\n") {
				fmt.Fprintf(&b, "  %s\n", l)
			}
		}
		fmt.Fprintf(&b, "\nList the bucket:\n\n  %s\n", out.ListCommand)
		section("AWS console")
		if c := out.Console; c != nil {
			b.WriteString("Choose Switch Role in the console's account menu and enter:\n\n")
			fmt.Fprintf(&b, "  Account: %s\n  Role: %s\n\n", c.Account, c.RoleName)
			fmt.Fprintf(&b, "Then open the bucket directly (it is not listed on the S3 home page):\n\n  %s\n", c.BucketURL)
		} else {
			b.WriteString(out.ConsoleNote + "\n")
		}
	} else {
		section("1. Permissions in your account")
		b.WriteString("The bucket is in another account, so the principals in your account that write " +
			"(users, groups, roles) also need this identity policy:\n\n")
		b.WriteString(out.PartnerPolicy + "\n")
		fmt.Fprintf(&b, "\nList the bucket:\n\n  %s\n", out.ListCommand)
	}

	section("Writing data")
	fmt.Fprintf(&b, "  %s\n\n", out.WriteCommand)
	for _, n := range out.WriteNotes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	if out.CopyNote != "" {
		fmt.Fprintf(&b, "- %s\n", out.CopyNote)
	}
	if out.CopyCommand != "" {
		fmt.Fprintf(&b, "- Copying from a bucket of your own works too:\n\n  %s\n", out.CopyCommand)
	}

	section("Layout and trigger")
	fmt.Fprintf(&b, "%s\n\n%s\n\n  %s\n", out.Layout, out.Trigger, out.TriggerCommand)
	return b.String()
}
