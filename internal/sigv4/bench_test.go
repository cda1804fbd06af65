package sigv4

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// benchHeaderRequest is a typical PutObject of the Go SDK: eight signed
// headers, a key with escapes, x-id in the query.
func benchHeaderRequest(b *testing.B) *http.Request {
	req, _ := http.NewRequest("PUT",
		"http://127.0.0.1:9000/partner-bucket/ingestion/datasets/version%3D1/datasetId%3Dds-0001/2025-01-15/orders.csv?x-id=PutObject", strings.NewReader(strings.Repeat("x", 1024)))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("X-Amz-Acl", "bucket-owner-full-control")
	req.Header.Set("X-Amz-Checksum-Crc32", "NjowIA==")
	req.Header.Set("Amz-Sdk-Invocation-Id", "3f2d5c4e-8b1a-4c2f-9d7e-6a5b4c3d2e1f")
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 md/GOOS#linux api/s3#1.115.0")
	hash := sha256Hex(strings.Repeat("x", 1024))
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := sdkSigner.SignHTTP(context.Background(), sdkCreds, req, hash, "s3", "us-east-1", exampleTime); err != nil {
		b.Fatal(err)
	}
	return serverSide(b, req)
}

func BenchmarkVerifyHeader(b *testing.B) {
	v := newVerifier(exampleTime)
	r := benchHeaderRequest(b)
	if _, err := v.Verify(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPresigned(b *testing.B) {
	v := newVerifier(exampleTime)
	req, _ := http.NewRequest("GET",
		"http://127.0.0.1:9000/partner-bucket/ingestion/datasets/version%3D1/datasetId%3Dds-0001/2025-01-15/orders.csv?X-Amz-Expires=900&x-id=GetObject", nil)
	signedURL, _, err := sdkSigner.PresignHTTP(context.Background(), sdkCreds, req,
		UnsignedPayload, "s3", "us-east-1", exampleTime)
	if err != nil {
		b.Fatal(err)
	}
	get, _ := http.NewRequest("GET", signedURL, nil)
	r := serverSide(b, get)
	if _, err := v.Verify(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChunkedSigned decodes a signed aws-chunked body of 64 KiB
// chunks (payload hashing included).
func BenchmarkChunkedSigned(b *testing.B) {
	chunks := make([]string, 16)
	for i := range chunks {
		chunks[i] = string(make([]byte, 64<<10))
	}
	body := signedChunkedBody(testSeed, chunks, nil)
	buf := make([]byte, 32<<10)
	b.SetBytes(16 * 64 << 10)
	for b.Loop() {
		r, _ := chunkedTestReader(body, chunkedOptions{signed: true, seed: testSeedBytes(), decodedLength: -1})
		for {
			_, err := r.Read(buf)
			if err != nil {
				if err.Error() != "EOF" {
					b.Fatal(err)
				}
				break
			}
		}
	}
}
