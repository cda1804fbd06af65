//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	rcloneBin = "/usr/bin/rclone"
	s3cmdBin  = "/usr/bin/s3cmd"
	debPython = "/usr/bin/python3"
)

func TestRclone(t *testing.T) {
	need(t, rcloneBin)
	s := startServer(t)
	for _, scheme := range schemes {
		t.Run(scheme, func(t *testing.T) {
			t.Run("mkdir with acl", func(t *testing.T) {
				// rclone sends the configured acl (bucket-owner-full-control)
				// on CreateBucket too. S3 accepts that canned ACL when a
				// bucket is created with ACLs disabled (BucketOwnerEnforced),
				// so a partner's default config must be able to make a
				// bucket, make it again (409 BucketAlreadyOwnedByYou, which
				// rclone takes as done) and write into it.
				_, env, args := rcloneCmd(t, s, scheme, false)
				bucket := bucketName("rclone", scheme, "mkdir")
				rc := func(cmd ...string) string {
					t.Helper()
					return runCmd(t, env, rcloneBin, append(cmd, args...)...)
				}
				rc("mkdir", "inlet:"+bucket)
				if out := rc("lsd", "inlet:"); !containsLine(out, bucket) {
					t.Fatalf("rclone lsd after mkdir does not list %s:\n%s", bucket, out)
				}
				rc("mkdir", "inlet:"+bucket)
				src, _ := makeFile(t, t.TempDir(), "after-mkdir.csv", 2048)
				rc("copyto", src, "inlet:"+bucket+"/dir/after-mkdir.csv")
				if out := rc("lsf", "inlet:"+bucket+"/dir"); strings.TrimSpace(out) != "after-mkdir.csv" {
					t.Errorf("rclone lsf in the new bucket = %q; want after-mkdir.csv", out)
				}
			})
			for _, noCheck := range []bool{true, false} {
				t.Run(fmt.Sprintf("no_check_bucket=%v", noCheck), func(t *testing.T) {
					rcloneSuite(t, s, scheme, noCheck)
				})
			}
		})
	}
}

// containsLine reports whether a line of out ends with word (rclone lsd
// prints size, date, count and then the name).
func containsLine(out, word string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[len(f)-1] == word {
			return true
		}
	}
	return false
}

// rclone returns a runner for rclone with a remote "inlet" configured as in
// the partner instructions, and a scratch directory.
func rclone(t *testing.T, s *server, scheme string, noCheck bool) (func(...string) string, string) {
	dir, env, common := rcloneCmd(t, s, scheme, noCheck)
	return func(args ...string) string {
		t.Helper()
		return runCmd(t, env, rcloneBin, append(args, common...)...)
	}, dir
}

// rcloneCmd writes the rclone config and returns a scratch directory, the
// environment and the arguments every rclone call takes.
func rcloneCmd(t *testing.T, s *server, scheme string, noCheck bool) (string, []string, []string) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "rclone.conf")
	writeFile(t, conf, []byte(fmt.Sprintf(`[inlet]
type = s3
provider = Other
access_key_id = %s
secret_access_key = %s
endpoint = %s
region = us-east-1
force_path_style = true
acl = bucket-owner-full-control
no_check_bucket = %v
`, s.accessKey, s.secretKey, s.endpoint(scheme), noCheck)))

	// rclone 1.60 refuses to start when AWS_CA_BUNDLE is set: pass the CA
	// with --ca-cert instead.
	env := filterEnv(s.clientEnv(t, "http"), "AWS_CA_BUNDLE=")
	common := []string{"--config", conf, "--retries", "1", "--low-level-retries", "2"}
	if scheme == "https" {
		common = append(common, "--ca-cert", s.caPath)
	}
	return dir, env, common
}

func rcloneSuite(t *testing.T, s *server, scheme string, noCheck bool) {
	rc, dir := rclone(t, s, scheme, noCheck)
	bucket := bucketName("rclone", scheme, fmt.Sprint(noCheck))
	// With no_check_bucket = true rclone mkdir sends nothing; create the
	// bucket through CreateBucket (with a private bucket ACL) either way.
	// With no_check_bucket = false the copy below repeats CreateBucket on the
	// existing bucket, which must answer 409 BucketAlreadyOwnedByYou.
	rc("mkdir", "inlet:"+bucket, "--s3-no-check-bucket=false", "--s3-bucket-acl", "private")

	src := filepath.Join(dir, "src")
	want := map[string]string{}
	for name, size := range map[string]int{
		"a.csv": 1234, "sub/b.bin": 300 * 1024, "sub/odd name+1.txt": 77, "big.bin": 12 * mib,
	} {
		_, sum := makeFile(t, src, name, size)
		want[name] = sum
	}
	remote := "inlet:" + bucket + "/dir"
	// A 5 MiB cutoff sends big.bin as a multipart upload.
	rc("copy", src, remote, "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M")

	out := rc("lsf", "-R", "--files-only", remote)
	got := strings.Split(strings.TrimSpace(out), "\n")
	sort.Strings(got)
	wantNames := []string{"a.csv", "big.bin", "sub/b.bin", "sub/odd name+1.txt"}
	if strings.Join(got, " ") != strings.Join(wantNames, " ") {
		t.Errorf("rclone lsf -R = %q; want %q", got, wantNames)
	}

	rc("check", src, remote)

	back := filepath.Join(dir, "back")
	rc("copy", remote, back)
	for name, sum := range want {
		sameFile(t, filepath.Join(back, name), sum)
	}
}

func TestS3cmd(t *testing.T) {
	need(t, s3cmdBin)
	s := startServer(t)
	for _, scheme := range schemes {
		t.Run(scheme, func(t *testing.T) { s3cmdSuite(t, s, scheme) })
	}
}

func s3cmdSuite(t *testing.T, s *server, scheme string) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "s3cfg")
	cfg := fmt.Sprintf(`[default]
access_key = %s
secret_key = %s
host_base = %s
host_bucket = %s
signature_v2 = False
bucket_location = us-east-1
`, s.accessKey, s.secretKey, s.hostPort(scheme), s.hostPort(scheme))
	if scheme == "https" {
		cfg += "use_https = True\ncheck_ssl_certificate = True\nca_certs_file = " + s.caPath + "\n"
	} else {
		cfg += "use_https = False\ncheck_ssl_certificate = False\n"
	}
	writeFile(t, conf, []byte(cfg))

	env := s.clientEnv(t, scheme)
	sc := func(args ...string) string {
		t.Helper()
		return runCmd(t, env, s3cmdBin, append([]string{"-c", conf, "--no-progress"}, args...)...)
	}

	bucket := bucketName("s3cmd", scheme)
	sc("mb", "s3://"+bucket)
	if out := sc("ls"); !strings.Contains(out, "s3://"+bucket) {
		t.Errorf("s3cmd ls lacks s3://%s:\n%s", bucket, out)
	}

	small, smallSHA := makeFile(t, dir, "notes.csv", 2048)
	sc("put", small, "s3://"+bucket+"/p/notes.csv")
	if out := sc("ls", "s3://"+bucket+"/p/"); !strings.Contains(out, "s3://"+bucket+"/p/notes.csv") {
		t.Errorf("s3cmd ls lacks the object:\n%s", out)
	}
	got := filepath.Join(dir, "notes.back")
	sc("get", "--force", "s3://"+bucket+"/p/notes.csv", got)
	sameFile(t, got, smallSHA)

	info := sc("info", "s3://"+bucket+"/p/notes.csv")
	if !strings.Contains(info, "2048") {
		t.Errorf("s3cmd info does not report 2048 bytes:\n%s", info)
	}

	// s3cmd cp copies the source's ACL (GetObjectAcl, CopyObject,
	// PutObjectAcl). On a bucket with ACLs disabled S3 refuses that last
	// call with AccessControlListNotSupported, so either answer is right.
	_, stderr, err := tryCmd(t, env, s3cmdBin, "-c", conf, "--no-progress", "cp",
		"s3://"+bucket+"/p/notes.csv", "s3://"+bucket+"/p/copy.csv")
	if err != nil && !strings.Contains(stderr, "AccessControlListNotSupported") {
		t.Errorf("s3cmd cp: %v\n%s", err, tail(stderr, 10))
	}
	// A partner copies with --acl-private and the bucket-owner-full-control
	// header, which skips both ACL calls.
	sc("cp", "--acl-private", "--add-header=x-amz-acl:bucket-owner-full-control",
		"s3://"+bucket+"/p/notes.csv", "s3://"+bucket+"/p/partner-copy.csv")
	got = filepath.Join(dir, "partner-copy.csv")
	sc("get", "--force", "s3://"+bucket+"/p/partner-copy.csv", got)
	sameFile(t, got, smallSHA)

	// Above 15 MiB s3cmd uploads in 15 MiB parts.
	big, bigSHA := makeFile(t, dir, "big.bin", 20*mib)
	sc("put", big, "s3://"+bucket+"/big.bin")
	got = filepath.Join(dir, "big.back")
	sc("get", "--force", "s3://"+bucket+"/big.bin", got)
	sameFile(t, got, bigSHA)
}

func TestBoto3(t *testing.T) {
	need(t, debPython)
	if _, _, err := tryCmd(t, os.Environ(), debPython, "-c", "import boto3"); err != nil {
		missing(t, "boto3 for "+debPython, err)
	}
	s := startServer(t)
	script := filepath.Join(repoRoot(), "e2e", "testdata", "boto3_check.py")
	for _, scheme := range schemes {
		t.Run(scheme, func(t *testing.T) {
			out := runCmd(t, s.clientEnv(t, scheme), debPython, script,
				s.endpoint(scheme), bucketName("boto3", scheme), t.TempDir())
			t.Log(out)
		})
	}
}

func TestJSv3(t *testing.T) {
	need(t, "node")
	jsDir := filepath.Join(repoRoot(), "e2e", "js")
	if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "@aws-sdk", "lib-storage")); err != nil {
		missing(t, "@aws-sdk/lib-storage in e2e/js", err)
	}
	s := startServer(t)
	for _, scheme := range schemes {
		t.Run(scheme, func(t *testing.T) {
			env := s.clientEnv(t, scheme)
			if scheme == "https" {
				env = append(env, "NODE_EXTRA_CA_CERTS="+s.caPath)
			}
			out := runCmd(t, env, "node", filepath.Join(jsDir, "s3check.mjs"),
				s.endpoint(scheme), bucketName("js", scheme))
			t.Log(out)
		})
	}
}
