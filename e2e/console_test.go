//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// consoleInstructions is the part of a source's partner instructions the
// partner uses here.
type consoleInstructions struct {
	Bucket           string `json:"bucket"`
	Endpoint         string `json:"endpoint"`
	RoleARN          string `json:"role_arn"`
	WriteCommand     string `json:"write_command"`
	PartnerPolicy    string `json:"partner_policy"`
	AssumeRolePolicy string `json:"assume_role_policy"`
	ProfileName      string `json:"profile_name"`
	CLIProfile       string `json:"cli_profile"`
	EndpointSTS      *struct {
		AssumeRoleCommand string `json:"assume_role_command"`
	} `json:"endpoint_sts"`
}

type consoleSource struct {
	ID           int64  `json:"id"`
	Status       string `json:"status"`
	Error        string `json:"error"`
	AWSAccountID string `json:"aws_account_id"`
	ResourceID   string `json:"resource_id"`
	AccessType   string `json:"access_type"`
	ExternalID   string `json:"external_id"`
	Bucket       string `json:"bucket"`
	RoleARN      string `json:"role_arn"`
}

// awsCmd points the "aws" of a command from the instructions at the AWS
// CLI under test.
var awsCmd = regexp.MustCompile(`(^|\$\(|\n)aws `)

// TestConsoleEndToEnd follows the Dataset Manager from the operator to the
// partner: the operator creates a tenant, the tenant creates a dataset and
// one source of each access type with the CLI, and a partner account
// follows the generated instructions with the real AWS CLI.
func TestConsoleEndToEnd(t *testing.T) {
	const aws = "/usr/bin/aws"
	need(t, aws)
	s := startServer(t)
	ep := s.endpoint("http")
	platform := s.clientEnv(t, "http")
	dir := t.TempDir()

	// The operator creates the tenant with the admin token of the data
	// directory.
	out := runCmd(t, serverEnv(), serverBinary, "tenant", "create", "--name", "Acme",
		"--data", s.dataDir, "--server", s.consoleURL, "--json")
	var created struct {
		Tenant struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"tenant"`
		Token struct {
			Secret string `json:"secret"`
		} `json:"token"`
	}
	decodeOut(t, out, &created)
	if created.Tenant.ID == 0 || created.Tenant.Name != "Acme" || created.Token.Secret == "" {
		t.Fatalf("tenant create: %s", out)
	}
	tenant := append(serverEnv(), "INLET_TOKEN="+created.Token.Secret)
	inlet := func(args ...string) string {
		t.Helper()
		return runCmd(t, tenant, serverBinary, append(args, "--server", s.consoleURL)...)
	}
	inletFails := func(args ...string) string {
		t.Helper()
		_, stderr, err := tryCmd(t, tenant, serverBinary, append(args, "--server", s.consoleURL)...)
		if err == nil {
			t.Fatalf("inlet %s succeeded; want an error", strings.Join(args, " "))
		}
		return stderr
	}

	// The admin token is no tenant's.
	_, stderr, err := tryCmd(t, serverEnv(), serverBinary, "dataset", "list",
		"--data", s.dataDir, "--server", s.consoleURL)
	if err == nil || !strings.Contains(stderr, "permission_denied") {
		t.Errorf("dataset list with the admin token: err %v, stderr %s; want permission_denied", err, stderr)
	}

	schema := filepath.Join(dir, "orders.json")
	writeFile(t, schema, []byte(`{"name":"orders","fields":[
		{"name":"id","type":"long","required":true},
		{"name":"email","type":"string","validations":{"regex":"^[^@]+@[^@]+$"}},
		{"name":"total","type":"double","validations":{"min":0}}],
		"file":{"format":"csv","header":true},"write_mode":"append"}`))
	var ds struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	decodeOut(t, inlet("dataset", "create", "--schema", schema, "--json"), &ds)
	if ds.ID == 0 || ds.Name != "orders" {
		t.Fatalf("dataset create: %+v", ds)
	}

	// The CLI reports validation errors with the field.
	bad := filepath.Join(dir, "bad.json")
	writeFile(t, bad, []byte(`{"name":"bad","fields":[{"name":"a","type":"varchar"}],"file":{"format":"csv"}}`))
	if stderr := inletFails("dataset", "create", "--schema", bad); !strings.Contains(stderr, "fields[0].type") {
		t.Errorf("dataset create with an unknown type: stderr %q lacks fields[0].type", stderr)
	}
	if stderr := inletFails("source", "create", "--aws-account-id", "2222-2222", "--resource-id", "x"); !strings.Contains(stderr, "aws_account_id") {
		t.Errorf("source create with a short account id: stderr %q lacks aws_account_id", stderr)
	}
	if stderr := inletFails("source", "create", "--aws-account-id", "222222222222", "--resource-id", "Acme_Partner"); !strings.Contains(stderr, `"acme_partner"`) {
		t.Errorf("source create with an underscore: stderr %q lacks the normalised id", stderr)
	}

	const extID = "EXT-7f3a9c"
	var bp, role consoleSource
	decodeOut(t, inlet("source", "create", "--aws-account-id", "2222-2222-2222", "--resource-id", "Acme Partner", "--json"), &bp)
	decodeOut(t, inlet("source", "create", "--aws-account-id", "222222222222", "--resource-id", "Acme Role",
		"--access-type", "iam_role", "--external-id", extID, "--json"), &role)
	for _, src := range []consoleSource{bp, role} {
		if src.Status != "active" || src.AWSAccountID != "222222222222" ||
			!regexp.MustCompile(`^inlet-`+src.ResourceID+`-[a-z0-9]{8}$`).MatchString(src.Bucket) {
			t.Fatalf("source created: %+v", src)
		}
	}
	if bp.ResourceID != "acme-partner" || bp.AccessType != "bucket_policy" || bp.RoleARN != "" {
		t.Errorf("bucket_policy source: %+v", bp)
	}
	if role.AccessType != "iam_role" || role.ExternalID != extID || !strings.HasSuffix(role.RoleARN, ":role/"+role.Bucket+"-access") {
		t.Errorf("iam_role source: %+v", role)
	}
	if stderr := inletFails("source", "create", "--aws-account-id", "222222222222", "--resource-id", "acme-partner"); !strings.Contains(stderr, "resource_id") {
		t.Errorf("source create with a used resource id: stderr %q lacks resource_id", stderr)
	}

	instructions := func(src consoleSource) consoleInstructions {
		t.Helper()
		var in consoleInstructions
		decodeOut(t, inlet("source", "instructions", strconv.FormatInt(src.ID, 10), "--json"), &in)
		if in.Bucket != src.Bucket || in.Endpoint != ep {
			t.Fatalf("instructions of %s: bucket %q endpoint %q; want endpoint %s", src.Bucket, in.Bucket, in.Endpoint, ep)
		}
		text := inlet("source", "instructions", strconv.FormatInt(src.ID, 10))
		if !strings.Contains(text, src.Bucket) || !strings.Contains(text, ep) {
			t.Errorf("text instructions lack the bucket or the endpoint:\n%s", text)
		}
		return in
	}

	// Another tenant can't see the sources.
	out = runCmd(t, serverEnv(), serverBinary, "tenant", "create", "--name", "Globex",
		"--data", s.dataDir, "--server", s.consoleURL, "--json")
	var other struct {
		Token struct {
			Secret string `json:"secret"`
		} `json:"token"`
	}
	decodeOut(t, out, &other)
	_, stderr, err = tryCmd(t, append(serverEnv(), "INLET_TOKEN="+other.Token.Secret), serverBinary,
		"source", "instructions", strconv.FormatInt(bp.ID, 10), "--server", s.consoleURL)
	if err == nil || !strings.Contains(stderr, "not_found") {
		t.Errorf("another tenant reading the instructions: err %v, stderr %s; want not_found", err, stderr)
	}

	partner := newAccount(t, s, "partner", "222222222222")
	folder := func(cmd, day string) string {
		return strings.NewReplacer("DATASET_ID", strconv.FormatInt(ds.ID, 10), "FOLDER", day).Replace(cmd)
	}
	data, dataSHA := makeFile(t, filepath.Join(dir, "upload"), "file.csv", 4096)
	keyOf := func(day string) string {
		return "ingestion/datasets/version=1/datasetId=" + strconv.FormatInt(ds.ID, 10) + "/" + day + "/file.csv"
	}
	// readBack checks, as the platform, that the delivery is there intact.
	readBack := func(bucket, day string) {
		t.Helper()
		got := filepath.Join(dir, bucket+"-"+day+".csv")
		runCmd(t, platform, aws, "--endpoint-url", ep, "s3", "cp", "s3://"+bucket+"/"+keyOf(day), got)
		sameFile(t, got, dataSHA)
	}

	t.Run("BucketPolicy", func(t *testing.T) {
		in := instructions(bp)
		if in.PartnerPolicy == "" {
			t.Fatalf("no partner policy in the instructions")
		}
		writer := partner.user(t, "writer", in.PartnerPolicy)

		write := folder(in.WriteCommand, "2024-05-01")
		write = strings.Replace(write, " file.csv ", " "+data+" ", 1)
		runCmd(t, writer, aws, commandArgs(t, write)...)
		readBack(bp.Bucket, "2024-05-01")

		noACL := strings.Replace(folder(in.WriteCommand, "2024-05-02"), " --acl bucket-owner-full-control", "", 1)
		noACL = strings.Replace(noACL, " file.csv ", " "+data+" ", 1)
		if noACL == write || strings.Contains(noACL, "--acl") {
			t.Fatalf("could not take the ACL out of %q", in.WriteCommand)
		}
		_, stderr, err := tryCmd(t, writer, aws, commandArgs(t, noACL)...)
		if err == nil || !strings.Contains(stderr, "AccessDenied") {
			t.Errorf("write without the ACL: err %v, stderr %s; want AccessDenied", err, stderr)
		}

		// The tenant reads the refused write in the source's denial log
		// (recorded off the request path, so it may take a moment).
		var logged bool
		for i := 0; i < 30 && !logged; i++ {
			out := runCmd(t, tenant, serverBinary, "source", "denials", strconv.FormatInt(bp.ID, 10),
				"--server", s.consoleURL, "--json")
			var got struct {
				Denials []struct{ Principal, Operation, Key, Reason string }
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("source denials output: %v\n%s", err, out)
			}
			for _, d := range got.Denials {
				if d.Operation == "PutObject" && strings.HasSuffix(d.Key, "/2024-05-02/file.csv") &&
					strings.Contains(d.Principal, ":user/writer") && strings.Contains(d.Reason, "explicit deny") {
					logged = true
				}
			}
			if !logged {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if !logged {
			t.Errorf("the source's denial log lacks the write without the ACL")
		}
	})

	t.Run("Role", func(t *testing.T) {
		in := instructions(role)
		if in.AssumeRolePolicy == "" || in.EndpointSTS == nil || in.RoleARN != role.RoleARN {
			t.Fatalf("iam_role instructions lack the assume-role policy, the STS steps or the role: %+v", in)
		}
		if !strings.Contains(in.CLIProfile, "external_id = "+extID+"\n") ||
			!strings.Contains(in.EndpointSTS.AssumeRoleCommand, "--external-id "+extID) {
			t.Errorf("instructions lack the external id: profile %q, command %q", in.CLIProfile, in.EndpointSTS.AssumeRoleCommand)
		}
		assumer := partner.user(t, "assumer", in.AssumeRolePolicy)

		// The explicit assume-role of the instructions, with the user's
		// profile as SOURCE_PROFILE, then the write without --profile.
		assume := strings.ReplaceAll(in.EndpointSTS.AssumeRoleCommand, "SOURCE_PROFILE", "default")
		write := strings.Replace(folder(in.WriteCommand, "2024-05-01"), " --profile "+in.ProfileName, "", 1)
		write = strings.Replace(write, " file.csv ", " "+data+" ", 1)
		script := awsCmd.ReplaceAllString("set -e\n"+assume+"\n"+write+"\n", "${1}"+aws+" ")
		runCmd(t, assumer, "/bin/sh", "-c", script)
		readBack(role.Bucket, "2024-05-01")

		// The assume-role call alone: a wrong external id is refused.
		_, call, ok := strings.Cut(assume, "$(")
		call, _, ok2 := strings.Cut(call, ")\n")
		if !ok || !ok2 || !strings.Contains(call, "--external-id "+extID) {
			t.Fatalf("no assume-role call with --external-id %s in %q", extID, assume)
		}
		call = awsCmd.ReplaceAllString(call, "${1}"+aws+" ")
		if out := runCmd(t, assumer, "/bin/sh", "-c", call); !strings.HasPrefix(out, "ASIA") {
			t.Errorf("assume-role printed %q; want temporary credentials", out)
		}
		wrong := strings.Replace(call, "--external-id "+extID, "--external-id EXT-wrong", 1)
		_, stderr, err := tryCmd(t, assumer, "/bin/sh", "-c", wrong)
		if err == nil || !strings.Contains(stderr, "AccessDenied") {
			t.Errorf("assume-role with a wrong external id: err %v, stderr %s; want AccessDenied", err, stderr)
		}

		// The role's writes need the ACL too.
		noACL := strings.Replace(script, " --acl bucket-owner-full-control", "", 1)
		noACL = strings.Replace(noACL, "2024-05-01", "2024-05-03", 1)
		_, stderr, err = tryCmd(t, assumer, "/bin/sh", "-c", noACL)
		if err == nil || !strings.Contains(stderr, "AccessDenied") {
			t.Errorf("role write without the ACL: err %v, stderr %s; want AccessDenied", err, stderr)
		}

		// The profile of the instructions, keys filled in, with the write
		// command as given (--profile BUCKET). This CLI sends a role
		// profile's STS call to AWS whatever the endpoint, so the STS
		// endpoint comes from AWS_DATA_PATH (see profileEnv).
		id, secret := keysOf(t, assumer)
		cfg := strings.Replace(in.CLIProfile, "aws_access_key_id = ...", "aws_access_key_id = "+id, 1)
		cfg = strings.Replace(cfg, "aws_secret_access_key = ...", "aws_secret_access_key = "+secret, 1)
		cfg = strings.ReplaceAll(cfg, "SOURCE_PROFILE", "partner")
		env := append(profileEnv(t, assumer, ep, in.RoleARN, extID), "AWS_CONFIG_FILE="+writeConfig(t, cfg))
		write = strings.Replace(folder(in.WriteCommand, "2024-05-04"), " file.csv ", " "+data+" ", 1)
		runCmd(t, env, aws, commandArgs(t, write)...)
		readBack(role.Bucket, "2024-05-04")
	})

	// Deleting a source with deliveries needs --force.
	for _, src := range []consoleSource{bp, role} {
		sid := strconv.FormatInt(src.ID, 10)
		if stderr := inletFails("source", "delete", sid); !strings.Contains(stderr, "not empty") {
			t.Errorf("delete of source %s with objects: stderr %q; want not empty", sid, stderr)
		}
		runCmd(t, platform, aws, "--endpoint-url", ep, "s3api", "head-bucket", "--bucket", src.Bucket)
		inlet("source", "delete", sid, "--force")
		if stderr := inletFails("source", "show", sid); !strings.Contains(stderr, "not_found") {
			t.Errorf("show of deleted source %s: stderr %q; want not_found", sid, stderr)
		}
		if _, _, err := tryCmd(t, platform, aws, "--endpoint-url", ep, "s3api", "head-bucket", "--bucket", src.Bucket); err == nil {
			t.Errorf("bucket %s still exists after the forced delete", src.Bucket)
		}
	}
}

// commandArgs splits a one-line command of the instructions into the AWS
// CLI's arguments, dropping the leading "aws".
func commandArgs(t *testing.T, cmd string) []string {
	t.Helper()
	f := strings.Fields(cmd)
	if len(f) < 2 || f[0] != "aws" || strings.ContainsAny(cmd, "'\"$;&|\n") {
		t.Fatalf("not a plain aws command: %q", cmd)
	}
	return f[1:]
}

// keysOf returns the access key of a client env's default profile.
func keysOf(t *testing.T, env []string) (id, secret string) {
	t.Helper()
	var path string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE="); ok {
			path = v
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("no keys in the client's credentials file")
	}
	return id, secret
}

func decodeOut(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decode CLI output: %v\n%s", err, out)
	}
}
