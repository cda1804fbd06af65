package sigv4

import (
	"net/http"
	"strings"
	"testing"
)

// The header-authenticated examples of AWS's "Examples: Signature
// Calculations" (S3 API reference, sig-v4-header-based-auth).
var awsHeaderExamples = []struct {
	name string
	head string
	body string
}{
	{
		name: "GetObject with Range",
		head: `
GET /test.txt HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
Range: bytes=0-9
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-amz-date: 20130524T000000Z`,
	},
	{
		name: "PutObject with storage class",
		head: `
PUT /test$file.text HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Date: Fri, 24 May 2013 00:00:00 GMT
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
Content-Length: 21`,
		body: "Welcome to Amazon S3.",
	},
	{
		name: "GetBucketLifecycle",
		head: `
GET /?lifecycle HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543
x-amz-date: 20130524T000000Z
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`,
	},
	{
		name: "ListObjects max-keys prefix",
		head: `
GET /?max-keys=2&prefix=J HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7
x-amz-date: 20130524T000000Z
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`,
	},
}

func TestAWSHeaderExamples(t *testing.T) {
	v := newVerifier(exampleTime)
	for _, tc := range awsHeaderExamples {
		t.Run(tc.name, func(t *testing.T) {
			a, err := v.Verify(readRequest(t, tc.head, tc.body))
			if err != nil {
				t.Fatalf("Verify = %v; want success", err)
			}
			if a.AccessKeyID != exampleAKID || a.Region != "us-east-1" || a.Service != "s3" ||
				a.Presigned || !a.Date.Equal(exampleTime) {
				t.Errorf("Auth = %+v", a)
			}
			got, err := readBody(t, a)
			if err != nil || got != tc.body {
				t.Errorf("body = %q, %v; want %q", got, err, tc.body)
			}
		})
	}
}

// Changing any signed part of an example must break its signature.
func TestAWSHeaderExamplesTampered(t *testing.T) {
	v := newVerifier(exampleTime)
	edits := []struct{ name, old, new string }{
		{"method", "GET /test.txt", "HEAD /test.txt"},
		{"path", "/test.txt", "/test.txu"},
		{"host", "Host: examplebucket", "Host: otherbucket"},
		{"header", "bytes=0-9", "bytes=0-10"},
		{"query", "prefix=J", "prefix=K"},
		{"valueless query", "?lifecycle", "?lifecycle=x"},
		{"signature", "f0e8bdb87c", "f0e8bdb87d"},
		{"payload hash", "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date",
			"x-amz-content-sha256: UNSIGNED-PAYLOAD\nx-amz-date"},
	}
	for _, ed := range edits {
		t.Run(ed.name, func(t *testing.T) {
			n := 0
			for _, tc := range awsHeaderExamples {
				if !strings.Contains(tc.head, ed.old) {
					continue
				}
				n++
				head := strings.Replace(tc.head, ed.old, ed.new, 1)
				_, err := v.Verify(readRequest(t, head, tc.body))
				e := wantErr(t, err, CodeSignatureDoesNotMatch, http.StatusForbidden)
				if extra(e, "CanonicalRequest") == "" || extra(e, "StringToSign") == "" {
					t.Errorf("Extra = %q; want CanonicalRequest and StringToSign", e.Extra)
				}
			}
			if n == 0 {
				t.Fatalf("edit %q matches no example", ed.old)
			}
		})
	}
}

func TestAWSPutExampleBadPayload(t *testing.T) {
	v := newVerifier(exampleTime)
	tc := awsHeaderExamples[1]
	a, err := v.Verify(readRequest(t, tc.head, "Welcome to Amazon S4."))
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	_, err = readBody(t, a)
	e := wantErr(t, err, CodeContentSHA256Mismatch, http.StatusBadRequest)
	if got := extra(e, "ClientComputedContentSHA256"); got != a.PayloadHash {
		t.Errorf("ClientComputedContentSHA256 = %q; want %q", got, a.PayloadHash)
	}

	// A body cut short is IncompleteBody, not a hash mismatch.
	a, err = v.Verify(readRequest(t, tc.head, "Welcome"))
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	_, err = readBody(t, a)
	wantErr(t, err, CodeIncompleteBody, http.StatusBadRequest)
}

// The presigned GET example of "Authenticating Requests: Using Query
// Parameters".
const awsPresignedExample = `
GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1
Host: examplebucket.s3.amazonaws.com`

func TestAWSPresignedExample(t *testing.T) {
	// Valid through its whole lifetime, not only the skew window.
	for _, hours := range []int{0, 1, 23} {
		v := newVerifier(exampleTime.Add(timeHours(hours)))
		a, err := v.Verify(readRequest(t, awsPresignedExample, ""))
		if err != nil {
			t.Fatalf("at +%dh: Verify = %v; want success", hours, err)
		}
		if !a.Presigned || a.PayloadHash != UnsignedPayload || a.AccessKeyID != exampleAKID {
			t.Errorf("Auth = %+v", a)
		}
	}

	v := newVerifier(exampleTime.Add(timeHours(24)).Add(1e9))
	_, err := v.Verify(readRequest(t, awsPresignedExample, ""))
	e := wantErr(t, err, CodeAccessDenied, http.StatusForbidden)
	if e.Message != "Request has expired" || extra(e, "X-Amz-Expires") != "86400" ||
		extra(e, "Expires") != "2013-05-25T00:00:00Z" || extra(e, "ServerTime") != "2013-05-25T00:00:01Z" {
		t.Errorf("error = %q %q", e.Message, e.Extra)
	}

	v = newVerifier(exampleTime)
	head := strings.Replace(awsPresignedExample, "examplebucket.s3", "otherbucket.s3", 1)
	_, err = v.Verify(readRequest(t, head, ""))
	wantErr(t, err, CodeSignatureDoesNotMatch, http.StatusForbidden)
}
