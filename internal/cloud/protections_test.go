package cloud_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKUnsupportedProtections: a write asking for a protection the
// embedded cloud does not have (customer-key or KMS encryption, Object
// Lock) is refused and stores nothing; SSE-S3 (AES256) is accepted, since
// S3 applies it to every object.
func TestSDKUnsupportedProtections(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "prot")
	e.mustPut(t, "prot", "plain", []byte("x"))
	key32 := strings.Repeat("k", 32)

	for _, c := range []struct {
		name   string
		in     s3.PutObjectInput
		code   string
		status int
	}{
		{"SSE-C", s3.PutObjectInput{SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key32)}, "NotImplemented", 501},
		{"SSE-KMS", s3.PutObjectInput{ServerSideEncryption: types.ServerSideEncryptionAwsKms}, "NotImplemented", 501},
		{"unknown SSE", s3.PutObjectInput{ServerSideEncryption: "rot13"}, "InvalidArgument", 400},
		{"lock mode", s3.PutObjectInput{ObjectLockMode: types.ObjectLockModeGovernance,
			ObjectLockRetainUntilDate: aws.Time(time.Now().Add(24 * time.Hour))}, "InvalidRequest", 400},
		{"legal hold", s3.PutObjectInput{ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn}, "InvalidRequest", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			key := "refused-" + strings.ReplaceAll(c.name, " ", "-")
			in.Bucket, in.Key, in.Body = aws.String("prot"), aws.String(key), strings.NewReader("x")
			_, err := e.s3.PutObject(ctx, &in)
			wantAPIError(t, "PutObject", err, c.code, c.status)
			_, err = e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("prot"), Key: aws.String(key)})
			if httpStatus(err) != 404 {
				t.Errorf("HeadObject after a refused PutObject: %v; want 404", err)
			}
		})
	}

	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("prot"), Key: aws.String("sse-s3"),
		Body: strings.NewReader("x"), ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Errorf("PutObject with SSE-S3 (AES256): %v", err)
	}
	_, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("prot"), Key: aws.String("plain"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key32)})
	wantAPIError(t, "GetObject with an SSE-C key", err, "NotImplemented", 501)
	_, err = e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("prot"), Key: aws.String("copy"),
		CopySource: aws.String("prot/plain"), ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	wantAPIError(t, "CopyObject with a legal hold", err, "InvalidRequest", 400)
	_, err = e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("prot"), Key: aws.String("mp"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	wantAPIError(t, "CreateMultipartUpload with SSE-KMS", err, "NotImplemented", 501)
}

// TestSDKWrongRegion: S3 is regional. A request signed for another region
// gets 400 AuthorizationHeaderMalformed naming the endpoint's region (SDKs
// redirect themselves with it), for header and presigned signatures.
func TestSDKWrongRegion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "regional")
	e.mustPut(t, "regional", "k", []byte("x"))
	other := s3.NewFromConfig(aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider(e.id, e.secret, ""),
		HTTPClient:  e.srv.Client(),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *s3.Options) { o.BaseEndpoint = aws.String(e.srv.URL); o.UsePathStyle = true })

	_, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("regional"), Key: aws.String("k")})
	wantAPIError(t, "GetObject signed for eu-west-1", err, "AuthorizationHeaderMalformed", 400)
	if err == nil || !strings.Contains(err.Error(), "expecting '"+testRegion+"'") {
		t.Errorf("error %v does not name the expected region %s", err, testRegion)
	}

	req, err := s3.NewPresignClient(other).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("regional"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Get(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "AuthorizationQueryParametersError") {
		t.Errorf("presigned GET for eu-west-1: %d %s; want 400 AuthorizationQueryParametersError", resp.StatusCode, body)
	}
}

// TestBodyOfUnknownLength: as S3, a PUT or UploadPart whose length is not
// known before its body is read is refused and nothing is stored: a plain
// chunked body (501 naming Transfer-Encoding), an aws-chunked one without
// x-amz-decoded-content-length, and one with neither length nor chunking
// (411). aws-chunked with its decoded length is what clients send over
// HTTPS and is stored.
func TestBodyOfUnknownLength(t *testing.T) {
	e := newEnv(t)
	e.mustCreateBucket(t, "unknown-length")
	frame := []byte("5\r\nhello\r\n0\r\n\r\n")
	awsChunked := func(decoded string) http.Header {
		h := http.Header{}
		h.Set("Content-Encoding", "aws-chunked")
		if decoded != "" {
			h.Set("X-Amz-Decoded-Content-Length", decoded)
		}
		return h
	}
	for _, c := range []struct {
		name    string
		rr      rawRequest
		status  int
		code    string
		element string // an extra element the error must carry
	}{
		{"plain chunked", rawRequest{body: []byte("hello"), chunked: true, payloadHash: "UNSIGNED-PAYLOAD"},
			501, "NotImplemented", "<Header>Transfer-Encoding</Header>"},
		{"plain chunked, signed payload", rawRequest{body: []byte("hello"), chunked: true},
			501, "NotImplemented", "<Header>Transfer-Encoding</Header>"},
		{"aws-chunked without decoded length", rawRequest{header: awsChunked(""), body: frame, chunked: true,
			payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 411, "MissingContentLength", "x-amz-decoded-content-length"},
		{"aws-chunked without decoded length, with Content-Length", rawRequest{header: awsChunked(""), body: frame,
			payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 411, "MissingContentLength", "x-amz-decoded-content-length"},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := strings.ReplaceAll(c.name, " ", "-")
			rr := c.rr
			rr.method, rr.target = http.MethodPut, "/unknown-length/"+key
			r := e.do(t, rr)
			wantRawError(t, c.name, r, c.status, c.code)
			if !strings.Contains(string(r.body), c.element) {
				t.Errorf("%s: error body lacks %q:\n%s", c.name, c.element, r.body)
			}
			if h := e.do(t, rawRequest{method: http.MethodHead, target: "/unknown-length/" + key}); h.status != 404 {
				t.Errorf("%s: HEAD after the refused PUT = %d; want 404", c.name, h.status)
			}
		})
	}
	r := e.do(t, rawRequest{method: http.MethodPut, target: "/unknown-length/framed", header: awsChunked("5"),
		body: frame, chunked: true, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
	if r.status != 200 {
		t.Fatalf("aws-chunked with x-amz-decoded-content-length: %s; want 200", r)
	}
	if got := e.do(t, rawRequest{method: http.MethodGet, target: "/unknown-length/framed"}); string(got.body) != "hello" {
		t.Errorf("GET of the aws-chunked object = %q; want \"hello\"", got.body)
	}
}

// TestSDKWebsiteRedirectLocation: x-amz-website-redirect-location is kept
// with the object and returned by HEAD and GET (PUT, CreateMultipartUpload,
// CopyObject), checked as S3 checks it, and never carried over by a copy
// that does not send it again.
func TestSDKWebsiteRedirectLocation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "site")
	bucket := aws.String("site")
	head := func(key string) string {
		t.Helper()
		out, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String(key)})
		if err != nil {
			t.Fatalf("HeadObject %s: %v", key, err)
		}
		return aws.ToString(out.WebsiteRedirectLocation)
	}

	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("old.html"),
		Body: strings.NewReader("x"), WebsiteRedirectLocation: aws.String("/new.html")}); err != nil {
		t.Fatalf("PutObject with a redirect: %v", err)
	}
	if got := head("old.html"); got != "/new.html" {
		t.Errorf("HeadObject redirect = %q; want /new.html", got)
	}
	g, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("old.html")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	g.Body.Close()
	if got := aws.ToString(g.WebsiteRedirectLocation); got != "/new.html" {
		t.Errorf("GetObject redirect = %q; want /new.html", got)
	}

	for _, bad := range []string{"new.html", "ftp://example.com/x", "/" + strings.Repeat("a", 2048)} {
		_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("bad"),
			Body: strings.NewReader("x"), WebsiteRedirectLocation: aws.String(bad)})
		wantAPIError(t, "PutObject with redirect "+bad[:min(len(bad), 20)], err, "InvalidRedirectLocation", 400)
	}

	if _, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("copy"),
		CopySource: aws.String("site/old.html")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if got := head("copy"); got != "" {
		t.Errorf("a copy without the header carried the redirect %q; S3 keeps it per object", got)
	}
	if _, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("old.html"),
		CopySource: aws.String("site/old.html"), WebsiteRedirectLocation: aws.String("https://example.com/")}); err != nil {
		t.Fatalf("CopyObject onto itself with a new redirect: %v", err)
	}
	if got := head("old.html"); got != "https://example.com/" {
		t.Errorf("redirect after the copy onto itself = %q; want https://example.com/", got)
	}

	mp, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String("mp"),
		WebsiteRedirectLocation: aws.String("/index.html")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	part, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String("mp"), UploadId: mp.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("only part")})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	if _, err := e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String("mp"),
		UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: part.ETag, ChecksumCRC64NVME: part.ChecksumCRC64NVME}}}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if got := head("mp"); got != "/index.html" {
		t.Errorf("multipart object's redirect = %q; want /index.html", got)
	}
}
