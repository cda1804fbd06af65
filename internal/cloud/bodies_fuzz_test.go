package cloud_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// bodyOps are the S3 calls whose request body the front parses (XML, or
// JSON for a bucket policy). PutBucketAcl is not among them: it answers
// NotImplemented whatever the body. Each works on its own bucket, so that what a
// fuzzed body changes (a policy, the ownership) leaves the others alone.
// The upload id and policy bucket are filled in by the fixture.
var bodyOps = []struct {
	name   string
	method string
	target string // %s: the fixture's upload id or policy bucket
	md5    bool   // send Content-MD5 of the body, as SDKs do for this call
}{
	{"DeleteObjects", "POST", "/fz-main?delete", true},
	{"CompleteMultipartUpload", "POST", "/fz-main/mp?uploadId=%s", false},
	{"PutObjectTagging", "PUT", "/fz-tag/obj?tagging", true},
	{"PutBucketTagging", "PUT", "/fz-main?tagging", true},
	{"PutBucketOwnershipControls", "PUT", "/fz-own?ownershipControls", true},
	{"PutObjectAcl", "PUT", "/fz-acl/obj?acl", true},
	{"PutBucketPolicy", "PUT", "/%s?policy", true},
	{"PutPublicAccessBlock", "PUT", "/fz-pab?publicAccessBlock", true},
	{"CreateBucket", "PUT", "/fz-created", false},
}

// bodyFixture is a cloud with the buckets, objects and upload the body
// operations address, driven in-process through its handler.
type bodyFixture struct {
	e        *env
	h        http.Handler
	uploadID string
	policyN  int
}

func newBodyFixture(tb testing.TB) *bodyFixture {
	tb.Helper()
	e := startEnv(tb, false, "")
	fx := &bodyFixture{e: e, h: e.cloud.Handler()}
	ctx := context.Background()
	for _, b := range []struct {
		name      string
		ownership types.ObjectOwnership
	}{{"fz-main", ""}, {"fz-tag", ""}, {"fz-own", ""}, {"fz-acl", types.ObjectOwnershipObjectWriter}, {"fz-pab", ""}} {
		in := &s3.CreateBucketInput{Bucket: aws.String(b.name), ObjectOwnership: b.ownership}
		if _, err := e.s3.CreateBucket(ctx, in); err != nil {
			tb.Fatalf("CreateBucket(%s): %v", b.name, err)
		}
	}
	for _, b := range []string{"fz-main", "fz-tag", "fz-acl"} {
		if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("obj"),
			Body: strings.NewReader("x")}); err != nil {
			tb.Fatalf("PutObject(%s/obj): %v", b, err)
		}
	}
	fx.newUpload(tb)
	fx.newPolicyBucket(tb)
	return fx
}

// newUpload starts the multipart upload CompleteMultipartUpload bodies
// address, with one part, after a body completed the previous one.
func (fx *bodyFixture) newUpload(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	up, err := fx.e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String("fz-main"), Key: aws.String("mp")})
	if err != nil {
		tb.Fatalf("CreateMultipartUpload: %v", err)
	}
	fx.uploadID = aws.ToString(up.UploadId)
	if _, err := fx.e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("fz-main"), Key: aws.String("mp"),
		UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part one")}); err != nil {
		tb.Fatalf("UploadPart: %v", err)
	}
}

// newPolicyBucket gives PutBucketPolicy a fresh bucket after a fuzzed
// policy was accepted (it may deny the caller everything from then on).
func (fx *bodyFixture) newPolicyBucket(tb testing.TB) {
	tb.Helper()
	fx.policyN++
	name := fmt.Sprintf("fz-policy-%d", fx.policyN)
	if _, err := fx.e.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		tb.Fatalf("CreateBucket(%s): %v", name, err)
	}
}

// serve sends one signed request for body operation op with body and
// returns the recorded reply.
func (fx *bodyFixture) serve(tb testing.TB, op int, body io.Reader, size int64, md5 string) *httptest.ResponseRecorder {
	tb.Helper()
	o := bodyOps[op]
	target := o.target
	switch o.name {
	case "CompleteMultipartUpload":
		target = fmt.Sprintf(target, fx.uploadID)
	case "PutBucketPolicy":
		target = fmt.Sprintf(target, fmt.Sprintf("fz-policy-%d", fx.policyN))
	}
	req := httptest.NewRequest(o.method, "http://127.0.0.1:9000"+target, body)
	req.RemoteAddr = "127.0.0.1:50000"
	req.ContentLength = size
	if md5 != "" && o.md5 {
		req.Header.Set("Content-MD5", md5)
	}
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	err := v4.NewSigner().SignHTTP(context.Background(), fx.e.creds(), req, "UNSIGNED-PAYLOAD", "s3", testRegion,
		time.Now(), func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	// A reply must come in bounded time too: a body that makes the front
	// spin is as much a fault as a panic.
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fx.h.ServeHTTP(w, req)
	}()
	select {
	case <-done:
	case <-time.After(replyTimeout):
		tb.Fatalf("%s: no reply within %v", o.name, replyTimeout)
	}
	return w
}

// replyTimeout bounds the time one fuzzed request may take.
const replyTimeout = 5 * time.Second

// checkReply fails unless w is a 2xx, or a 4xx with S3 error XML whose
// Code is set and whose RequestId is the x-amz-request-id header.
func checkReply(tb testing.TB, what string, w *httptest.ResponseRecorder) {
	tb.Helper()
	switch {
	case w.Code >= 200 && w.Code < 300:
		return
	case w.Code < 400 || w.Code >= 500:
		tb.Fatalf("%s: status %d; want a 2xx or a 4xx\n%s", what, w.Code, w.Body.Bytes())
	}
	var x errorReply
	if err := xml.Unmarshal(w.Body.Bytes(), &x); err != nil || x.Code == "" {
		tb.Fatalf("%s: %d reply is not S3 error XML with a Code (%v):\n%s", what, w.Code, err, w.Body.Bytes())
	}
	if id := w.Header().Get("X-Amz-Request-Id"); id == "" || x.RequestID != id {
		tb.Fatalf("%s: RequestId %q, x-amz-request-id %q; want equal and set", what, x.RequestID, id)
	}
}

// FuzzS3RequestBodies sends fuzzed bodies to every S3 call whose body the
// front parses: DeleteObjects, CompleteMultipartUpload, object and bucket
// tagging, ownership controls, object and bucket ACLs, bucket policy,
// public access block and CreateBucketConfiguration. Whatever the body,
// the reply is a 2xx or a 4xx S3 error, never a panic or a 5xx.
func FuzzS3RequestBodies(f *testing.F) {
	for i, seeds := range bodySeeds {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	fx := newBodyFixture(f)
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		i := int(op) % len(bodyOps)
		w := fx.serve(t, i, bytes.NewReader(body), int64(len(body)), md5b64(body))
		checkReply(t, bodyOps[i].name, w)
		if w.Code/100 != 2 {
			return
		}
		// Keep the fixture addressable after a body that succeeded.
		switch bodyOps[i].name {
		case "CompleteMultipartUpload":
			fx.newUpload(t)
		case "PutBucketPolicy":
			fx.newPolicyBucket(t)
		}
	})
}

// bodySeeds are valid and near-valid bodies for each of bodyOps, in order.
var bodySeeds = [][]string{
	{ // DeleteObjects
		`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>obj</Key></Object><Quiet>true</Quiet></Delete>`,
		`<Delete><Object><Key>a</Key><VersionId>null</VersionId></Object><Object><Key></Key></Object></Delete>`,
		`<Delete><Object><Key>` + strings.Repeat("k", 1025) + `</Key></Object></Delete>`,
	},
	{ // CompleteMultipartUpload
		`<CompleteMultipartUpload><Part><ETag>"x"</ETag><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part><ETag>a</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`,
	},
	{ // PutObjectTagging
		`<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>`,
		`<Tagging><TagSet><Tag><Key>aws:x</Key><Value>v</Value></Tag><Tag><Key>k</Key></Tag><Tag><Key>k</Key></Tag></TagSet></Tagging>`,
	},
	{ // PutBucketTagging
		`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>tenant</Key><Value>acme</Value></Tag></TagSet></Tagging>`,
		`<Tagging><TagSet><Tag><Key>` + "\xff" + `</Key><Value>&amp;&#0;</Value></Tag></TagSet></Tagging>`,
	},
	{ // PutBucketOwnershipControls
		`<OwnershipControls><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></OwnershipControls>`,
		`<OwnershipControls><Rule><ObjectOwnership>x</ObjectOwnership></Rule><Rule/></OwnershipControls>`,
	},
	{ // PutObjectAcl
		`<AccessControlPolicy><Owner><ID>x</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>x</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`,
		`<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`,
	},
	{ // PutBucketPolicy
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::fz-policy-1/*"}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":"*","NotAction":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}}}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:*"],"Resource":["arn:aws:s3:::*"],"Condition":{"NumericLessThan":{"s3:max-keys":"1e400"}}}]}`,
	},
	{ // PutPublicAccessBlock
		`<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><BlockPublicPolicy>false</BlockPublicPolicy></PublicAccessBlockConfiguration>`,
		`<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>`,
	},
	{ // CreateBucket
		`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`,
		`<CreateBucketConfiguration><LocationConstraint>EU</LocationConstraint></CreateBucketConfiguration>`,
		`<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`,
		``,
	},
}

// hugeBody is an endless-looking body: a prefix a parser accepts as the
// start of a document, then filler, up to n bytes, counting what was read.
type hugeBody struct {
	prefix []byte
	n      int64
	read   int64
}

func (b *hugeBody) Read(p []byte) (int, error) {
	if b.read >= b.n {
		return 0, io.EOF
	}
	if left := b.n - b.read; int64(len(p)) > left {
		p = p[:left]
	}
	for i := range p {
		if off := b.read + int64(i); off < int64(len(b.prefix)) {
			p[i] = b.prefix[off]
		} else {
			p[i] = 'a'
		}
	}
	b.read += int64(len(p))
	return len(p), nil
}

// TestS3RequestBodiesBoundedMemory sends a 256 MiB body to each call whose
// body is parsed: each must be refused with a 4xx after reading at most a
// few MiB, without the memory growing with the body.
func TestS3RequestBodiesBoundedMemory(t *testing.T) {
	fx := newBodyFixture(t)
	const size = 256 << 20
	prefixes := map[string]string{
		"DeleteObjects":           "<Delete><Object><Key>",
		"CompleteMultipartUpload": "<CompleteMultipartUpload><Part><ETag>",
		"PutBucketPolicy":         `{"Statement":[{"Sid":"`,
	}
	for i, o := range bodyOps {
		t.Run(o.name, func(t *testing.T) {
			prefix := prefixes[o.name]
			if prefix == "" {
				prefix = "<X><Y>"
			}
			body := &hugeBody{prefix: []byte(prefix), n: size}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			w := fx.serve(t, i, body, size, "")
			runtime.ReadMemStats(&after)

			checkReply(t, o.name, w)
			if w.Code/100 == 2 {
				t.Fatalf("%s accepted a 256 MiB body", o.name)
			}
			if body.read > 8<<20 {
				t.Errorf("%s read %d bytes of a 256 MiB body before refusing it; want at most 8 MiB", o.name, body.read)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("%s allocated %d MiB for a 256 MiB body; want under 64 MiB", o.name, grew>>20)
			}
		})
	}
}
