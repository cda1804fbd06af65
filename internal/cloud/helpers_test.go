package cloud_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"inlet/internal/cloud"
	"inlet/internal/credfile"
)

const testRegion = "us-east-1"

// env is one running cloud behind an httptest server, with the platform
// account's root key and an SDK client using it.
type env struct {
	cloud  *cloud.Cloud
	srv    *httptest.Server
	id     string
	secret string
	s3     *s3.Client
}

// newEnv starts a cloud on a fresh data directory, served over plain HTTP.
func newEnv(t *testing.T) *env {
	t.Helper()
	return startEnv(t, false, "")
}

// newTLSEnv is newEnv over HTTPS (the SDK then frames uploads as
// aws-chunked with a trailing checksum).
func newTLSEnv(t *testing.T) *env {
	t.Helper()
	return startEnv(t, true, "")
}

// newDomainEnv is newEnv with virtual-host-style addressing under domain.
func newDomainEnv(t *testing.T, domain string) *env {
	t.Helper()
	return startEnv(t, false, domain)
}

func startEnv(t testing.TB, useTLS bool, domain string) *env {
	t.Helper()
	dir := t.TempDir()
	c, err := cloud.Open(context.Background(), cloud.Options{
		DataDir: dir,
		Domain:  domain,
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("cloud.Open: %v", err)
	}
	var srv *httptest.Server
	if useTLS {
		srv = httptest.NewTLSServer(c.Handler())
	} else {
		srv = httptest.NewServer(c.Handler())
	}
	t.Cleanup(func() {
		srv.Close()
		if err := c.Close(); err != nil {
			t.Errorf("cloud.Close: %v", err)
		}
	})
	id, secret := readCredentials(t, filepath.Join(dir, "credentials"))
	e := &env{cloud: c, srv: srv, id: id, secret: secret}
	e.s3 = e.client(t, id, secret)
	return e
}

// readCredentials parses the [default] profile of an AWS shared
// credentials file.
func readCredentials(t testing.TB, path string) (id, secret string) {
	t.Helper()
	id, secret, err := credfile.Read(path, "")
	if err != nil {
		t.Fatalf("read credentials: %v", err)
	}
	return id, secret
}

// client returns an SDK client for the env's endpoint with the given key,
// default checksum settings and no retries (a retried 5xx would hide a bug).
func (e *env) client(t testing.TB, id, secret string) *s3.Client {
	t.Helper()
	return e.clientWith(credentials.NewStaticCredentialsProvider(id, secret, ""), e.srv.Client())
}

// clientWith returns an SDK client for the env's endpoint. The checksum
// settings are the SDK's defaults as config.LoadDefaultConfig resolves
// them (a bare aws.Config leaves them unset, which the S3 client reads as
// "only when required").
func (e *env) clientWith(creds aws.CredentialsProvider, hc *http.Client) *s3.Client {
	cfg := aws.Config{
		Region:                     testRegion,
		Credentials:                creds,
		HTTPClient:                 hc,
		Retryer:                    func() aws.Retryer { return aws.NopRetryer{} },
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(e.srv.URL)
		o.UsePathStyle = true
	})
}

func (e *env) creds() aws.Credentials {
	return aws.Credentials{AccessKeyID: e.id, SecretAccessKey: e.secret}
}

// mustCreateBucket creates bucket or fails the test.
func (e *env) mustCreateBucket(t *testing.T, bucket string) {
	t.Helper()
	_, err := e.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("CreateBucket(%q): %v", bucket, err)
	}
}

// mustPut stores body under bucket/key and returns the ETag.
func (e *env) mustPut(t *testing.T, bucket, key string, body []byte) string {
	t.Helper()
	out, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String(key),
		Body:   bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("PutObject(%q, %q): %v", bucket, key, err)
	}
	return aws.ToString(out.ETag)
}

// mustGet reads bucket/key whole.
func (e *env) mustGet(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := e.s3.GetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		t.Fatalf("GetObject(%q, %q): %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject(%q, %q): read body: %v", bucket, key, err)
	}
	return b
}

// exists reports whether HeadObject finds bucket/key; any answer other
// than 200 or 404 fails the test.
func (e *env) exists(t *testing.T, bucket, key string) bool {
	t.Helper()
	_, err := e.s3.HeadObject(context.Background(), &s3.HeadObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String(key),
	})
	if err == nil {
		return true
	}
	if httpStatus(err) == http.StatusNotFound {
		return false
	}
	t.Fatalf("HeadObject(%q, %q): %v", bucket, key, err)
	return false
}

// errCode is the S3 error code of an SDK error, "" when there is none.
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus is the HTTP status of an SDK error, 0 when there is none.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// wantAPIError fails unless err is an S3 error with the given code and
// status.
func wantAPIError(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded; want %d %s", what, status, code)
		return
	}
	if got := errCode(err); got != code {
		t.Errorf("%s: code = %q; want %q (err: %v)", what, got, code, err)
	}
	if got := httpStatus(err); got != status {
		t.Errorf("%s: status = %d; want %d", what, got, status)
	}
}

// inputPath is the path of a field case's input (testdata/cases/inputs).
func inputPath(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "cases", "inputs", name)
	if _, err := os.Stat(filepath.Dir(p)); err != nil {
		t.Fatalf("shared case inputs are missing: %v", err)
	}
	return p
}

// readInput reads a shared case input.
func readInput(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(inputPath(t, name))
	if err != nil {
		t.Fatalf("read case input: %v", err)
	}
	return b
}

// rawRequest describes a request sent outside the SDK, signed with the
// SDK's v4 signer, so that headers and bodies are exactly what a test says.
type rawRequest struct {
	method string
	// target is the path and query exactly as they go on the wire.
	target string
	header http.Header
	body   []byte
	// chunked sends the body with Transfer-Encoding: chunked and no
	// Content-Length.
	chunked bool
	// payloadHash is the x-amz-content-sha256 value; empty means the hex
	// SHA-256 of body.
	payloadHash string
	// signTime is the signing time; zero means now.
	signTime time.Time
	// creds overrides the env's root key.
	creds *aws.Credentials
	// unsigned sends the request without any signature.
	unsigned bool
}

// rawResponse is a response read whole.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r rawResponse) String() string {
	return http.StatusText(r.status) + " " + strings.TrimSpace(string(r.body))
}

// do sends a raw request to the env and reads the whole response.
func (e *env) do(t *testing.T, rr rawRequest) rawResponse {
	t.Helper()
	req, err := http.NewRequest(rr.method, e.srv.URL+rr.target, nil)
	if err != nil {
		t.Fatalf("build request %s %s: %v", rr.method, rr.target, err)
	}
	for k, vs := range rr.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if rr.body != nil {
		req.Body = io.NopCloser(bytes.NewReader(rr.body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(rr.body)), nil }
		req.ContentLength = int64(len(rr.body))
	}
	if rr.chunked {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	// Keep the transport from asking for gzip and decoding it behind the
	// test's back: stored Content-Encoding must arrive as stored.
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	if !rr.unsigned {
		hash := rr.payloadHash
		if hash == "" {
			sum := sha256.Sum256(rr.body)
			hash = hex.EncodeToString(sum[:])
		}
		req.Header.Set("X-Amz-Content-Sha256", hash)
		when := rr.signTime
		if when.IsZero() {
			when = time.Now()
		}
		creds := e.creds()
		if rr.creds != nil {
			creds = *rr.creds
		}
		// The signer rewrites the query into its canonical form ("?uploads"
		// becomes "?uploads="); put the wire form back, as sent by clients
		// that sign the canonical form but send their own.
		rawQuery := req.URL.RawQuery
		err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", testRegion, when,
			func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if err != nil {
			t.Fatalf("sign %s %s: %v", rr.method, rr.target, err)
		}
		req.URL.RawQuery = rawQuery
	}
	return e.send(t, req)
}

// send performs req with the server's client and reads the response.
func (e *env) send(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.RequestURI(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.RequestURI(), err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// presign builds a presigned URL for method and the wire target with the
// given X-Amz-Expires value (a string, so that bad values can be tried)
// and signing time.
func (e *env) presign(t *testing.T, method, target, expires string, signTime time.Time) string {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+target, nil)
	if err != nil {
		t.Fatalf("build presign request: %v", err)
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", expires)
	req.URL.RawQuery = q.Encode()
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), e.creds(), req, "UNSIGNED-PAYLOAD", "s3", testRegion, signTime,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	return u
}

// get fetches url with a plain GET.
func (e *env) get(t *testing.T, url string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("build GET: %v", err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	return e.send(t, req)
}

// s3Error is the XML body of an S3 error reply.
type s3Error struct {
	XMLName                    xml.Name `xml:"Error"`
	Code                       string
	Message                    string
	Key                        string
	BucketName                 string
	RequestTime                string
	ServerTime                 string
	MaxAllowedSkewMilliseconds string
}

// parseError decodes an S3 error body, failing the test if it is not one.
func parseError(t *testing.T, r rawResponse) s3Error {
	t.Helper()
	var e s3Error
	if err := xml.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("status %d: body is not S3 error XML: %v\n%s", r.status, err, r.body)
	}
	return e
}

// wantRawError checks a raw response's status and error code.
func wantRawError(t *testing.T, what string, r rawResponse, status int, codes ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status = %d; want %d (body %s)", what, r.status, status, r.body)
		return
	}
	if len(codes) == 0 {
		return
	}
	var e s3Error
	if err := xml.Unmarshal(r.body, &e); err != nil {
		t.Errorf("%s: body is not S3 error XML: %v\n%s", what, err, r.body)
		return
	}
	for _, c := range codes {
		if e.Code == c {
			return
		}
	}
	t.Errorf("%s: code = %q; want one of %q", what, e.Code, codes)
}

// md5b64 is the base64 MD5 of b, as Content-MD5 carries it.
func md5b64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// md5hex is the hex MD5 of b, as a single-part ETag carries it.
func md5hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// pattern returns n deterministic bytes that differ per seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
