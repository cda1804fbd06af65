//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestGoSDK drives aws-sdk-go-v2 with its default checksums: a CRC32 header
// over HTTP, aws-chunked with a trailing CRC32 over HTTPS (HTTP/2 when the
// server offers it).
func TestGoSDK(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	for _, scheme := range schemes {
		t.Run(scheme, func(t *testing.T) {
			c := s.goClient(t, scheme)
			bucket := bucketName("gosdk", scheme)
			t.Logf("go sdk: CreateBucket %s over %s", bucket, scheme)
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
				t.Fatalf("CreateBucket: %v", err)
			}

			small := content("gosdk/small", 7000)
			t.Logf("go sdk: PutObject small.bin")
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String("small.bin"), Body: bytes.NewReader(small),
			}); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			wantObject(ctx, t, c, bucket, "small.bin", small)

			big := content("gosdk/big", 17*mib)
			t.Logf("go sdk: manager.Upload 17 MiB (5 MiB parts, CRC32)")
			up := manager.NewUploader(c)
			if _, err := up.Upload(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String("big.bin"), Body: bytes.NewReader(big),
			}); err != nil {
				t.Fatalf("manager.Upload: %v", err)
			}
			wantObject(ctx, t, c, bucket, "big.bin", big)

			t.Logf("go sdk: CopyObject small.bin -> copy/small.bin")
			if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: aws.String(bucket), Key: aws.String("copy/small.bin"),
				CopySource: aws.String(bucket + "/small.bin"),
			}); err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			wantObject(ctx, t, c, bucket, "copy/small.bin", small)

			t.Logf("go sdk: ListObjectsV2 delimiter /")
			out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
				Bucket: aws.String(bucket), Delimiter: aws.String("/"),
			})
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			var keys, prefixes []string
			for _, o := range out.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
			for _, p := range out.CommonPrefixes {
				prefixes = append(prefixes, aws.ToString(p.Prefix))
			}
			if len(keys) != 2 || keys[0] != "big.bin" || keys[1] != "small.bin" ||
				len(prefixes) != 1 || prefixes[0] != "copy/" {
				t.Errorf("ListObjectsV2 = keys %q, prefixes %q; want [big.bin small.bin], [copy/]",
					keys, prefixes)
			}
		})
	}
}

// wantObject reads key with checksum mode enabled and compares the bytes.
func wantObject(ctx context.Context, t *testing.T, c *s3.Client, bucket, key string, want []byte) {
	t.Helper()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(out.Body); err != nil {
		t.Fatalf("GetObject %s: read body: %v", key, err)
	}
	if got := sha256Hex(buf.Bytes()); got != sha256Hex(want) {
		t.Fatalf("GetObject %s: sha256 = %s; want %s (%d bytes, got %d)",
			key, got, sha256Hex(want), len(want), buf.Len())
	}
}
