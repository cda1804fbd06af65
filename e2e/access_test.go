//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAccessModels sets up both access models of a managed bucket by hand
// with the real AWS CLI v2, as the platform and a partner would: a bucket
// policy requiring bucket-owner-full-control, and a platform-owned role
// guarded by an external id.
func TestAccessModels(t *testing.T) {
	const aws = "/usr/bin/aws"
	need(t, aws)
	s := startServer(t)
	ep := s.endpoint("http")
	platform := s.clientEnv(t, "http")
	platformID := strings.TrimSpace(runCmd(t, platform, aws, "--endpoint-url", ep,
		"sts", "get-caller-identity", "--query", "Account", "--output", "text"))

	partner := newAccount(t, s, "partner", "222222222222")
	third := newAccount(t, s, "third", "333333333333")
	dir := t.TempDir()

	t.Run("BucketPolicy", func(t *testing.T) {
		const bucket = "managed-bp"
		runCmd(t, platform, aws, "--endpoint-url", ep, "s3api", "create-bucket", "--bucket", bucket)
		runCmd(t, platform, aws, "--endpoint-url", ep, "s3api", "put-bucket-ownership-controls", "--bucket", bucket,
			"--ownership-controls", `{"Rules":[{"ObjectOwnership":"BucketOwnerPreferred"}]}`)
		runCmd(t, platform, aws, "--endpoint-url", ep, "s3api", "put-bucket-policy", "--bucket", bucket,
			"--policy", bucketPolicy(bucket, partner.id))

		// The partner's administrator lets a user write to the bucket.
		user := partner.user(t, "writer", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject","s3:PutObject"],
			 "Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*","arn:aws:s3:::partner-src","arn:aws:s3:::partner-src/*"]}]}`, bucket))

		small, smallSHA := makeFile(t, dir, "file.csv", 1024)
		runCmd(t, user, aws, "--endpoint-url", ep, "s3", "cp", small,
			"s3://"+bucket+"/my_directory/", "--acl", "bucket-owner-full-control")
		_, stderr, err := tryCmd(t, user, aws, "--endpoint-url", ep, "s3", "cp", small, "s3://"+bucket+"/my_directory/no-acl.csv")
		if err == nil || !strings.Contains(stderr, "AccessDenied") {
			t.Fatalf("put without the ACL: err %v, stderr %s; want AccessDenied", err, stderr)
		}

		big, bigSHA := makeFile(t, dir, "big.bin", 50<<20)
		runCmd(t, user, aws, "--endpoint-url", ep, "s3", "cp", big,
			"s3://"+bucket+"/my_directory/big.bin", "--acl", "bucket-owner-full-control")

		// Bucket to bucket: from the partner's own bucket.
		runCmd(t, partner.root, aws, "--endpoint-url", ep, "s3", "mb", "s3://partner-src")
		runCmd(t, partner.root, aws, "--endpoint-url", ep, "s3", "cp", small, "s3://partner-src/staged.csv")
		runCmd(t, user, aws, "--endpoint-url", ep, "s3", "cp", "s3://partner-src/staged.csv",
			"s3://"+bucket+"/my_directory/copied.csv", "--acl", "bucket-owner-full-control")

		// A third account gets nothing.
		for _, args := range [][]string{
			{"s3", "ls", "s3://" + bucket + "/"},
			{"s3", "cp", small, "s3://" + bucket + "/x.csv", "--acl", "bucket-owner-full-control"},
			{"s3", "cp", "s3://" + bucket + "/my_directory/file.csv", filepath.Join(dir, "stolen")},
		} {
			_, stderr, err := tryCmd(t, third.root, aws, append([]string{"--endpoint-url", ep}, args...)...)
			if err == nil || !(strings.Contains(stderr, "AccessDenied") || strings.Contains(stderr, "403")) {
				t.Errorf("third account %v: err %v, stderr %s; want access denied", args, err, stderr)
			}
		}

		// The platform reads every delivery, and owns it.
		for key, want := range map[string]string{
			"my_directory/file.csv": smallSHA, "my_directory/big.bin": bigSHA, "my_directory/copied.csv": smallSHA,
		} {
			out := filepath.Join(dir, "got-"+filepath.Base(key))
			runCmd(t, platform, aws, "--endpoint-url", ep, "s3", "cp", "s3://"+bucket+"/"+key, out)
			sameFile(t, out, want)
			owner := strings.TrimSpace(runCmd(t, platform, aws, "--endpoint-url", ep, "s3api", "get-object-acl",
				"--bucket", bucket, "--key", key, "--query", "Owner.ID", "--output", "text"))
			if owner != platformID {
				t.Errorf("owner of %s = %s; want the platform %s", key, owner, platformID)
			}
		}

		// The platform reads the denial log: the missing-ACL write is there,
		// naming the principal, the operation, the key and the reason.
		var found bool
		for i := 0; i < 20 && !found; i++ {
			out := runCmd(t, serverEnv(), serverBinary, "cloud", "denials", "--data", s.dataDir, "--bucket", bucket, "--json")
			var ds []struct{ Principal, Operation, Key, Reason string }
			if err := json.Unmarshal([]byte(out), &ds); err != nil {
				t.Fatalf("denials output: %v\n%s", err, out)
			}
			for _, d := range ds {
				if d.Key == "my_directory/no-acl.csv" && d.Operation == "PutObject" &&
					d.Principal == "arn:aws:iam::222222222222:user/writer" && strings.Contains(d.Reason, "explicit deny") {
					found = true
				}
			}
			if !found {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if !found {
			t.Errorf("the denial log lacks the refused missing-ACL write")
		}
	})

	t.Run("Role", func(t *testing.T) {
		const (
			bucket = "managed-role"
			role   = "inlet-partner-writer"
			extID  = "EXT-PLACEHOLDER-7f3a"
		)
		roleARN := "arn:aws:iam::" + platformID + ":role/" + role
		runCmd(t, platform, aws, "--endpoint-url", ep, "s3api", "create-bucket", "--bucket", bucket)
		runCmd(t, platform, aws, "--endpoint-url", ep, "iam", "create-role", "--role-name", role,
			"--assume-role-policy-document", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
			"Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole",
			"Condition":{"StringEquals":{"sts:ExternalId":"%s"}}}]}`, partner.id, extID))
		runCmd(t, platform, aws, "--endpoint-url", ep, "iam", "put-role-policy", "--role-name", role,
			"--policy-name", "bucket-access", "--policy-document", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::%[1]s"},
			{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::%[1]s/*"}]}`, bucket))

		// The seed's inline policy for the partner user.
		assumer := partner.user(t, "assumer", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{
			"Sid":"AssumeNarrativeBucketAccessRole","Effect":"Allow","Action":"sts:AssumeRole","Resource":["%s"]}]}`, roleARN))
		noPolicy := partner.user(t, "bystander", "")

		assume := func(env []string, ext ...string) (string, string, error) {
			args := []string{"--endpoint-url", ep, "sts", "assume-role", "--role-arn", roleARN,
				"--role-session-name", "s1", "--output", "json"}
			if len(ext) > 0 {
				args = append(args, "--external-id", ext[0])
			}
			return tryCmd(t, env, aws, args...)
		}
		for name, try := range map[string]func() (string, string, error){
			"wrong external id":   func() (string, string, error) { return assume(assumer, "EXT-WRONG") },
			"wrong case":          func() (string, string, error) { return assume(assumer, "ext-placeholder-7f3a") },
			"missing external id": func() (string, string, error) { return assume(assumer) },
			"user without policy": func() (string, string, error) { return assume(noPolicy, extID) },
		} {
			_, stderr, err := try()
			if err == nil || !strings.Contains(stderr, "AccessDenied") {
				t.Errorf("%s: err %v, stderr %s; want AccessDenied", name, err, stderr)
			}
		}

		out, stderr, err := assume(assumer, extID)
		if err != nil {
			t.Fatalf("assume-role: %v\n%s", err, stderr)
		}
		var res struct {
			Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
			AssumedRoleUser struct{ Arn string }
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("assume-role output: %v\n%s", err, out)
		}
		if want := "arn:aws:sts::" + platformID + ":assumed-role/" + role + "/s1"; res.AssumedRoleUser.Arn != want {
			t.Errorf("assumed role ARN = %s; want %s", res.AssumedRoleUser.Arn, want)
		}
		if !strings.HasPrefix(res.Credentials.AccessKeyId, "ASIA") {
			t.Errorf("temporary key id %s; want ASIA…", res.Credentials.AccessKeyId)
		}
		session := withKeys(t, res.Credentials.AccessKeyId, res.Credentials.SecretAccessKey, res.Credentials.SessionToken)

		small, smallSHA := makeFile(t, dir, "role.csv", 4096)
		runCmd(t, session, aws, "--endpoint-url", ep, "s3", "cp", small, "s3://"+bucket+"/my_directory/")
		ls := runCmd(t, session, aws, "--endpoint-url", ep, "s3", "ls", "s3://"+bucket+"/my_directory/")
		if !strings.Contains(ls, "role.csv") {
			t.Errorf("ls with the role: %q lacks role.csv", ls)
		}
		got := filepath.Join(dir, "role-back.csv")
		runCmd(t, platform, aws, "--endpoint-url", ep, "s3", "cp", "s3://"+bucket+"/my_directory/role.csv", got)
		sameFile(t, got, smallSHA)

		// The seed's ~/.aws/config profile, unmodified; the CLI's STS
		// endpoint is pointed at inlet through AWS_DATA_PATH, since this
		// CLI version ignores endpoint settings for role profiles.
		env := profileEnv(t, assumer, ep, roleARN, extID)
		ls = runCmd(t, env, aws, "--endpoint-url", ep, "s3", "ls", "--profile", "bucket", "s3://"+bucket+"/my_directory/")
		if !strings.Contains(ls, "role.csv") {
			t.Errorf("ls with the role profile: %q lacks role.csv", ls)
		}
		// The session cannot reach another bucket.
		if _, stderr, err := tryCmd(t, session, aws, "--endpoint-url", ep, "s3", "ls", "s3://managed-bp/"); err == nil ||
			!strings.Contains(stderr, "AccessDenied") {
			t.Errorf("role session listing another bucket: err %v, stderr %s; want AccessDenied", err, stderr)
		}
	})
}

// account is a partner account with its root credentials as a client env.
type account struct {
	s    *server
	id   string
	root []string
}

func newAccount(t *testing.T, s *server, name, id string) *account {
	t.Helper()
	out := runCmd(t, serverEnv(), serverBinary, "cloud", "account", "create", "--data", s.dataDir,
		"--name", name, "--id", id, "--json")
	var k struct{ AccountID, AccessKeyID, SecretAccessKey string }
	var raw map[string]string
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("account create output: %v\n%s", err, out)
	}
	k.AccountID, k.AccessKeyID, k.SecretAccessKey = raw["account_id"], raw["access_key_id"], raw["secret_access_key"]
	if k.AccountID != id || !strings.HasPrefix(k.AccessKeyID, "AKIA") || k.SecretAccessKey == "" {
		t.Fatalf("account create: %s", out)
	}
	return &account{s: s, id: id, root: withKeys(t, k.AccessKeyID, k.SecretAccessKey, "")}
}

// user creates an IAM user with an inline policy (none when empty) and an
// access key, and returns the user's client env.
func (a *account) user(t *testing.T, name, policy string) []string {
	t.Helper()
	const aws = "/usr/bin/aws"
	ep := a.s.endpoint("http")
	runCmd(t, a.root, aws, "--endpoint-url", ep, "iam", "create-user", "--user-name", name)
	if policy != "" {
		runCmd(t, a.root, aws, "--endpoint-url", ep, "iam", "put-user-policy", "--user-name", name,
			"--policy-name", "managed-bucket-access", "--policy-document", policy)
	}
	out := runCmd(t, a.root, aws, "--endpoint-url", ep, "iam", "create-access-key", "--user-name", name, "--output", "json")
	var res struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("create-access-key output: %v\n%s", err, out)
	}
	return withKeys(t, res.AccessKey.AccessKeyId, res.AccessKey.SecretAccessKey, "")
}

// withKeys is a client env whose default profile holds the given keys.
func withKeys(t *testing.T, id, secret, token string) []string {
	t.Helper()
	creds := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret)
	if token != "" {
		creds += "aws_session_token = " + token + "\n"
	}
	path := filepath.Join(t.TempDir(), "credentials")
	writeFile(t, path, []byte(creds))
	env := filterEnv(os.Environ(), "AWS_", "NODE_EXTRA_CA_CERTS=", "SSL_CERT_", "REQUESTS_CA_BUNDLE=")
	return append(env,
		"AWS_SHARED_CREDENTIALS_FILE="+path,
		"AWS_CONFIG_FILE="+writeConfig(t, "[default]\nregion = us-east-1\n"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
}

// profileEnv writes the seed's role profile (role_arn, source_profile,
// external_id) and an STS endpoint ruleset under AWS_DATA_PATH that sends
// the CLI's STS calls to inlet.
func profileEnv(t *testing.T, source []string, ep, roleARN, extID string) []string {
	t.Helper()
	var credsPath string
	for _, kv := range source {
		if v, ok := strings.CutPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE="); ok {
			credsPath = v
		}
	}
	creds, err := os.ReadFile(credsPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf("[profile partner]\n%s\n[profile bucket]\nrole_arn = %s\nexternal_id = %s\nsource_profile = partner\nregion = us-east-1\n",
		strings.Replace(string(creds), "[default]\n", "", 1)+"region = us-east-1", roleARN, extID)
	cfgPath := filepath.Join(dir, "config")
	writeFile(t, cfgPath, []byte(cfg))

	rules := filepath.Join(dir, "data", "sts", "2011-06-15")
	if err := os.MkdirAll(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	ruleset := fmt.Sprintf(`{"version":"1.0","parameters":{
		"Region":{"builtIn":"AWS::Region","required":false,"documentation":"region","type":"String"},
		"UseDualStack":{"builtIn":"AWS::UseDualStack","required":true,"default":false,"documentation":"d","type":"Boolean"},
		"UseFIPS":{"builtIn":"AWS::UseFIPS","required":true,"default":false,"documentation":"f","type":"Boolean"},
		"Endpoint":{"builtIn":"SDK::Endpoint","required":false,"documentation":"e","type":"String"},
		"UseGlobalEndpoint":{"builtIn":"AWS::STS::UseGlobalEndpoint","required":true,"default":false,"documentation":"g","type":"Boolean"}},
		"rules":[{"conditions":[],"endpoint":{"url":"%s","properties":{},"headers":{}},"type":"endpoint"}]}`, ep)
	writeFile(t, filepath.Join(rules, "endpoint-rule-set-1.json"), []byte(ruleset))

	env := filterEnv(os.Environ(), "AWS_")
	env = append(env,
		"AWS_CONFIG_FILE="+cfgPath,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"),
		"AWS_DATA_PATH="+filepath.Join(dir, "data"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
	// Should a CLI ignore the ruleset, its STS call must not reach AWS:
	// every request goes through a proxy that forwards only to inlet.
	// (botocore picks a client's proxy from the endpoint it starts with,
	// AWS's, before the ruleset sends it to inlet, so NO_PROXY alone would
	// send inlet's STS calls to a closed port as well.)
	guard := startGuardProxy(t, ep)
	t.Cleanup(func() {
		if r := guard.refusedRequests(); len(r) > 0 {
			t.Errorf("the CLI tried to reach hosts other than inlet (refused by the guard proxy): %q", r)
		}
	})
	return noEgress(t, env, guard.addr, ep)
}

// guardProxy is a loopback HTTP proxy that forwards requests for one
// plain-HTTP endpoint and refuses, and records, every other request
// (CONNECT tunnels included).
type guardProxy struct {
	addr    string
	allow   string // host:port
	mu      sync.Mutex
	refused []string
}

func startGuardProxy(t *testing.T, ep string) *guardProxy {
	t.Helper()
	u, err := url.Parse(ep)
	if err != nil || u.Scheme != "http" {
		t.Fatalf("guard proxy: endpoint %q must be plain http", ep)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &guardProxy{addr: l.Addr().String(), allow: u.Host}
	// The forwarding transport dials the allowed address only and reads
	// no proxy settings of its own.
	tr := &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, g.allow)
	}}
	forward := &httputil.ReverseProxy{Transport: tr, Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = "http", g.allow, pr.In.Host
	}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect || r.URL.Host != g.allow {
			g.mu.Lock()
			g.refused = append(g.refused, r.Method+" "+r.Host)
			g.mu.Unlock()
			http.Error(w, "inlet e2e guard proxy: only "+g.allow+" is reachable", http.StatusForbidden)
			return
		}
		forward.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return g
}

func (g *guardProxy) refusedRequests() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.refused)
}

// proxyVars are the proxy settings botocore (and curl, Go, Node) read.
var proxyVars = []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"}

// noEgress sends every request of a client env through the proxy at
// proxyAddr, except those to the endpoint ep's host for clients that
// decide per request.
func noEgress(t *testing.T, env []string, proxyAddr, ep string) []string {
	t.Helper()
	u, err := url.Parse(ep)
	if err != nil || u.Hostname() == "" {
		t.Fatalf("endpoint %q: %v", ep, err)
	}
	for _, v := range proxyVars {
		env = filterEnv(env, v+"=", strings.ToLower(v)+"=")
	}
	proxy := "http://" + proxyAddr
	for _, kv := range [][2]string{{"HTTP_PROXY", proxy}, {"HTTPS_PROXY", proxy}, {"ALL_PROXY", proxy}, {"NO_PROXY", u.Hostname()}} {
		env = append(env, kv[0]+"="+kv[1], strings.ToLower(kv[0])+"="+kv[1])
	}
	return env
}

// bucketPolicy is the managed bucket's policy for the bucket-policy access
// type: the partner account may list, read and write, and every write must
// carry the bucket-owner-full-control ACL.
func bucketPolicy(bucket, partner string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
	{"Sid":"PartnerList","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%[2]s:root"},
	 "Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::%[1]s"},
	{"Sid":"PartnerReadWrite","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%[2]s:root"},
	 "Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::%[1]s/*"},
	{"Sid":"RequireBucketOwnerFullControl","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::%[2]s:root"},
	 "Action":"s3:PutObject","Resource":"arn:aws:s3:::%[1]s/*",
	 "Condition":{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`, bucket, partner)
}

// TestNoEgressProxy checks the safety net of profileEnv: the AWS CLI sends
// a request for any host but the endpoint's to the guard proxy, which
// refuses it. Every address here is loopback: a CLI that ignored the proxy
// would only meet a refused connection on 127.0.0.2.
func TestNoEgressProxy(t *testing.T) {
	const aws = "/usr/bin/aws"
	need(t, aws)
	guard := startGuardProxy(t, "http://"+freeAddr(t))
	env := withKeys(t, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")
	env = noEgress(t, append(env, "AWS_MAX_ATTEMPTS=1"), guard.addr, "http://"+guard.allow)
	other := freeAddr(t)
	other = "127.0.0.2" + other[strings.LastIndex(other, ":"):]
	_, stderr, err := tryCmd(t, env, aws, "--endpoint-url", "http://"+other, "--cli-connect-timeout", "5", "s3", "ls")
	if err == nil {
		t.Fatalf("aws s3 ls of %s through the guard proxy succeeded", other)
	}
	refused := guard.refusedRequests()
	if len(refused) == 0 || !strings.Contains(refused[0], other) {
		t.Fatalf("guard proxy refused %q; want a request for %s (the CLI did not use the proxy: %s)", refused, other, tail(stderr, 3))
	}
}
