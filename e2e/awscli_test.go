//go:build e2e

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	awsV2 = "/usr/bin/aws"
	mib   = 1 << 20
)

// awsV1 returns the aws on PATH when it is AWS CLI v1, or "" with a reason.
func awsV1() (string, string) {
	path, err := exec.LookPath("aws")
	if err != nil {
		return "", "no aws on PATH"
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil {
		return "", "aws --version: " + err.Error()
	}
	if !strings.HasPrefix(string(out), "aws-cli/1.") {
		return "", "aws on PATH is not v1: " + strings.TrimSpace(string(out))
	}
	return path, ""
}

func TestAWSCLIv2(t *testing.T) {
	need(t, awsV2)
	s := startServer(t)
	for _, scheme := range schemes {
		t.Run(scheme, func(t *testing.T) { awsCLISuite(t, s, awsV2, "v2", scheme) })
	}
}

func TestAWSCLIv1(t *testing.T) {
	bin, why := awsV1()
	if bin == "" {
		missing(t, "AWS CLI v1 (aws first on PATH)", errors.New(why))
	}
	s := startServer(t)
	for _, scheme := range schemes {
		t.Run(scheme, func(t *testing.T) { awsCLISuite(t, s, bin, "v1", scheme) })
	}
}

// awsCLI runs one aws command against the server.
type awsCLI struct {
	bin string
	env []string
	ep  string
}

func (a awsCLI) run(t *testing.T, args ...string) string {
	t.Helper()
	if args[0] == "s3" && (args[1] == "cp" || args[1] == "sync") {
		args = append(args, "--no-progress")
	}
	return runCmd(t, a.env, a.bin, append(args, "--endpoint-url", a.ep)...)
}

func (a awsCLI) try(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return tryCmd(t, a.env, a.bin, append(args, "--endpoint-url", a.ep)...)
}

// etag is the object's ETag without quotes.
func (a awsCLI) etag(t *testing.T, bucket, key string) string {
	t.Helper()
	out := a.run(t, "s3api", "head-object", "--bucket", bucket, "--key", key,
		"--query", "ETag", "--output", "text")
	return strings.Trim(strings.TrimSpace(out), `"`)
}

func awsCLISuite(t *testing.T, s *server, bin, version, scheme string) {
	a := awsCLI{bin: bin, env: s.clientEnv(t, scheme), ep: s.endpoint(scheme)}
	src := bucketName("cli", version, scheme, "src")
	dst := bucketName("cli", version, scheme, "dst")
	local := t.TempDir()
	down := t.TempDir()

	small, smallSHA := makeFile(t, local, "small.txt", 3000)
	big, bigSHA := makeFile(t, local, "big.bin", 50*mib)

	t.Run("mb", func(t *testing.T) {
		a.run(t, "s3", "mb", "s3://"+src)
		a.run(t, "s3", "mb", "s3://"+dst)
		if out := a.run(t, "s3", "ls"); !strings.Contains(out, src) || !strings.Contains(out, dst) {
			t.Fatalf("aws s3 ls does not list %s and %s:\n%s", src, dst, out)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("cp small", func(t *testing.T) {
		a.run(t, "s3", "cp", small, "s3://"+src+"/dir/small.txt")
		got := filepath.Join(down, "small.txt")
		a.run(t, "s3", "cp", "s3://"+src+"/dir/small.txt", got)
		sameFile(t, got, smallSHA)
		// Single-part ETags are the MD5 hex: rclone and s3cmd compare them.
		etag := a.etag(t, src, "dir/small.txt")
		if want := fileMD5(t, small); etag != want {
			t.Errorf("ETag of a single-part object = %s; want MD5 %s", etag, want)
		}
	})

	t.Run("cp multipart 50MiB", func(t *testing.T) {
		a.run(t, "s3", "cp", big, "s3://"+src+"/big.bin")
		got := filepath.Join(down, "big.bin")
		a.run(t, "s3", "cp", "s3://"+src+"/big.bin", got)
		sameFile(t, got, bigSHA)
		head := a.run(t, "s3api", "head-object", "--bucket", src, "--key", "big.bin")
		if !strings.Contains(head, "52428800") {
			t.Errorf("head-object does not report 52428800 bytes:\n%s", head)
		}
		// 50 MiB in 8 MiB parts: a multipart ETag ends in -7.
		if etag := a.etag(t, src, "big.bin"); !strings.HasSuffix(etag, "-7") {
			t.Errorf("ETag of the 50 MiB upload = %s; want a multipart ETag ending in -7", etag)
		}
	})

	t.Run("ls", func(t *testing.T) {
		out := a.run(t, "s3", "ls", "s3://"+src+"/")
		if !strings.Contains(out, "PRE dir/") || !strings.Contains(out, "big.bin") {
			t.Errorf("aws s3 ls s3://%s/ lacks PRE dir/ or big.bin:\n%s", src, out)
		}
		if strings.Contains(out, "small.txt") {
			t.Errorf("aws s3 ls without --recursive shows a nested key:\n%s", out)
		}
		out = a.run(t, "s3", "ls", "--recursive", "s3://"+src+"/")
		for _, k := range []string{"dir/small.txt", "big.bin"} {
			if !strings.Contains(out, k) {
				t.Errorf("aws s3 ls --recursive lacks %s:\n%s", k, out)
			}
		}
	})

	t.Run("sync", func(t *testing.T) {
		tree := t.TempDir()
		want := map[string]string{}
		for _, f := range []struct {
			name string
			size int
		}{{"a.txt", 10}, {"sub/b.bin", 100 * 1024}, {"sub/deeper/c.csv", 5000}} {
			path, sum := makeFile(t, tree, f.name, f.size)
			want[f.name] = sum
			// An mtime in the past keeps the second sync from re-uploading a
			// file written in the same second as its LastModified.
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
		}
		out := a.run(t, "s3", "sync", tree, "s3://"+src+"/synced/")
		if n := strings.Count(out, "upload:"); n != len(want) {
			t.Errorf("first sync uploaded %d files; want %d:\n%s", n, len(want), out)
		}
		out = a.run(t, "s3", "sync", tree, "s3://"+src+"/synced/")
		if strings.Contains(out, "upload:") {
			t.Errorf("second sync uploaded again:\n%s", out)
		}
		back := t.TempDir()
		a.run(t, "s3", "sync", "s3://"+src+"/synced/", back)
		for name, sum := range want {
			sameFile(t, filepath.Join(back, name), sum)
		}
	})

	oddKey := "odd key+plus/ü ñ=eq.bin"
	t.Run("odd keys", func(t *testing.T) {
		a.run(t, "s3", "cp", small, "s3://"+src+"/"+oddKey)
		out := a.run(t, "s3", "ls", "--recursive", "s3://"+src+"/odd")
		if !strings.Contains(out, oddKey) {
			t.Errorf("aws s3 ls does not show %q:\n%s", oddKey, out)
		}
		out = a.run(t, "s3api", "list-objects-v2", "--bucket", src, "--prefix", "odd key+",
			"--query", "Contents[].Key", "--output", "text")
		if strings.TrimSpace(out) != oddKey {
			t.Errorf("list-objects-v2 keys = %q; want %q", strings.TrimSpace(out), oddKey)
		}
		got := filepath.Join(down, "odd.bin")
		a.run(t, "s3", "cp", "s3://"+src+"/"+oddKey, got)
		sameFile(t, got, smallSHA)
		// "+" must not have become a space.
		if _, _, err := a.try(t, "s3api", "head-object", "--bucket", src,
			"--key", "odd key plus/ü ñ=eq.bin"); err == nil {
			t.Errorf("head-object with '+' replaced by a space found an object")
		}
	})

	t.Run("bucket to bucket", func(t *testing.T) {
		a.run(t, "s3", "cp", "s3://"+src+"/dir/small.txt", "s3://"+dst+"/small.txt")
		a.run(t, "s3", "cp", "s3://"+src+"/"+oddKey, "s3://"+dst+"/"+oddKey)
		// Above 8 MiB the CLI uses GetObjectTagging and UploadPartCopy.
		a.run(t, "s3", "cp", "s3://"+src+"/big.bin", "s3://"+dst+"/big-copy.bin")
		for _, c := range []struct{ key, sum string }{
			{"small.txt", smallSHA}, {oddKey, smallSHA}, {"big-copy.bin", bigSHA},
		} {
			got := filepath.Join(down, "copy-"+filepath.Base(c.key))
			a.run(t, "s3", "cp", "s3://"+dst+"/"+c.key, got)
			sameFile(t, got, c.sum)
		}
	})

	t.Run("presign", func(t *testing.T) {
		curl := []string{"-sS"}
		if scheme == "https" {
			curl = append(curl, "--cacert", s.caPath)
		}
		object := "s3://" + src + "/dir/small.txt"
		url := strings.TrimSpace(a.run(t, "s3", "presign", object, "--expires-in", "300"))
		if !strings.Contains(url, "X-Amz-Signature=") {
			// AWS CLI v1 presigns with SigV2 for a custom endpoint unless
			// the profile asks for s3v4: that URL must get a clear 4xx.
			t.Logf("default presigned URL is SigV2; expecting a 4xx that names Signature Version 4")
			out := runCmd(t, a.env, "curl", append(curl, "-w", "\n%{http_code}", url)...)
			out = strings.TrimSpace(out)
			i := strings.LastIndex(out, "\n")
			body, code := out[:max(i, 0)], out[i+1:]
			if !strings.HasPrefix(code, "4") || !strings.Contains(body, "Signature Version 4") {
				t.Errorf("SigV2 presigned GET = %s %s; want 4xx naming Signature Version 4", code, body)
			}
			v4 := a
			v4.env = append(a.env, "AWS_CONFIG_FILE="+writeConfig(t,
				"[default]\nregion = us-east-1\ns3 =\n    signature_version = s3v4\n"))
			url = strings.TrimSpace(v4.run(t, "s3", "presign", object, "--expires-in", "300"))
		}
		got := filepath.Join(down, "presigned.txt")
		runCmd(t, a.env, "curl", append(curl, "--fail-with-body", "-o", got, url)...)
		sameFile(t, got, smallSHA)
	})

	t.Run("put-object CRC32", func(t *testing.T) {
		// Over HTTPS the CLI sends this aws-chunked with a trailing checksum.
		out := a.run(t, "s3api", "put-object", "--bucket", src, "--key", "crc.txt",
			"--body", small, "--checksum-algorithm", "CRC32")
		if !strings.Contains(out, "ETag") {
			t.Errorf("put-object output lacks an ETag:\n%s", out)
		}
		got := filepath.Join(down, "crc.txt")
		a.run(t, "s3api", "get-object", "--bucket", src, "--key", "crc.txt", got)
		sameFile(t, got, smallSHA)
	})

	t.Run("rm", func(t *testing.T) {
		a.run(t, "s3", "rm", "s3://"+src+"/dir/small.txt")
		if _, _, err := a.try(t, "s3api", "head-object", "--bucket", src,
			"--key", "dir/small.txt"); err == nil {
			t.Errorf("head-object still finds a removed object")
		}
		a.run(t, "s3", "rm", "--recursive", "s3://"+dst+"/")
		if out := a.run(t, "s3", "ls", "--recursive", "s3://"+dst+"/"); strings.TrimSpace(out) != "" {
			t.Errorf("bucket not empty after rm --recursive:\n%s", out)
		}
		a.run(t, "s3", "rb", "s3://"+dst)
	})
}
