package cloud_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"inlet/internal/checksum"
)

// noRequestChecksum makes the SDK send a request without any checksum of
// its own, as a client that asks for none does.
func noRequestChecksum(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}

// wantAPIMessage is wantAPIError that also checks the message.
func wantAPIMessage(t *testing.T, what string, err error, code string, status int, message string) {
	t.Helper()
	wantAPIError(t, what, err, code, status)
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorMessage() != message {
		t.Errorf("%s: message = %q; want %q", what, ae.ErrorMessage(), message)
	}
}

// mpuParts are the parts of the checksum tests: a full 5 MiB part and a
// short last one.
func mpuParts() [][]byte {
	return [][]byte{pattern(5<<20, 7), pattern(3000, 8)}
}

// completedPart is a CompletedPart with the checksum field of algorithm a
// set to v (none when v is empty).
func completedPart(n int32, etag *string, a checksum.Algorithm, v string) types.CompletedPart {
	p := types.CompletedPart{PartNumber: aws.Int32(n), ETag: etag}
	if v == "" {
		return p
	}
	switch a {
	case checksum.CRC32:
		p.ChecksumCRC32 = aws.String(v)
	case checksum.CRC32C:
		p.ChecksumCRC32C = aws.String(v)
	case checksum.CRC64NVME:
		p.ChecksumCRC64NVME = aws.String(v)
	case checksum.SHA1:
		p.ChecksumSHA1 = aws.String(v)
	case checksum.SHA256:
		p.ChecksumSHA256 = aws.String(v)
	}
	return p
}

// checksumOf is the field of algorithm a in an SDK reply.
func checksumOf(a checksum.Algorithm, crc32, crc32c, crc64, sha1, sha256 *string) string {
	return aws.ToString(map[checksum.Algorithm]*string{
		checksum.CRC32: crc32, checksum.CRC32C: crc32c, checksum.CRC64NVME: crc64,
		checksum.SHA1: sha1, checksum.SHA256: sha256,
	}[a])
}

// Bug 1: CreateMultipartUpload takes x-amz-checksum-type and echoes the
// algorithm and the type; CRC64NVME is FULL_OBJECT only, the SHAs
// COMPOSITE only.
func TestCreateMultipartUploadChecksumType(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "mpu-types")
	tests := []struct {
		alg      types.ChecksumAlgorithm
		typ      types.ChecksumType
		wantType types.ChecksumType
		message  string // of the InvalidRequest, when refused
	}{
		{types.ChecksumAlgorithmCrc32, "", types.ChecksumTypeComposite, ""},
		{types.ChecksumAlgorithmCrc32, types.ChecksumTypeComposite, types.ChecksumTypeComposite, ""},
		{types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject, types.ChecksumTypeFullObject, ""},
		{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject, types.ChecksumTypeFullObject, ""},
		{types.ChecksumAlgorithmCrc64nvme, "", types.ChecksumTypeFullObject, ""},
		{types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeFullObject, types.ChecksumTypeFullObject, ""},
		{types.ChecksumAlgorithmSha1, "", types.ChecksumTypeComposite, ""},
		{types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite, types.ChecksumTypeComposite, ""},
		{types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeComposite, "",
			"The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."},
		{types.ChecksumAlgorithmSha256, types.ChecksumTypeFullObject, "",
			"The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm."},
		{types.ChecksumAlgorithmSha1, types.ChecksumTypeFullObject, "",
			"The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm."},
		{"", types.ChecksumTypeFullObject, "",
			"The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."},
		{types.ChecksumAlgorithmCrc32, "FULL", "", "Value for x-amz-checksum-type header is invalid."},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.alg, tt.typ), func(t *testing.T) {
			out, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu-types"),
				Key: aws.String("k"), ChecksumAlgorithm: tt.alg, ChecksumType: tt.typ})
			if tt.message != "" {
				wantAPIMessage(t, "CreateMultipartUpload", err, "InvalidRequest", 400, tt.message)
				return
			}
			if err != nil {
				t.Fatalf("CreateMultipartUpload: %v", err)
			}
			if out.ChecksumAlgorithm != tt.alg || out.ChecksumType != tt.wantType {
				t.Errorf("CreateMultipartUpload echoed %q %q; want %q %q", out.ChecksumAlgorithm, out.ChecksumType, tt.alg, tt.wantType)
			}
			lp, err := e.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu-types"), Key: aws.String("k"), UploadId: out.UploadId})
			if err != nil || lp.ChecksumAlgorithm != tt.alg || lp.ChecksumType != tt.wantType {
				t.Errorf("ListParts = %q %q, %v; want %q %q", lp.ChecksumAlgorithm, lp.ChecksumType, err, tt.alg, tt.wantType)
			}
		})
	}
	// An upload that names no algorithm says nothing of checksums.
	out, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu-types"), Key: aws.String("k")})
	if err != nil || out.ChecksumAlgorithm != "" || out.ChecksumType != "" {
		t.Errorf("CreateMultipartUpload without an algorithm = %q %q, %v; want no checksum headers", out.ChecksumAlgorithm, out.ChecksumType, err)
	}
}

// Bugs 1, 2 and 5: the object of a FULL_OBJECT upload (CRC32 or CRC32C
// asked so, CRC64NVME always, and an upload naming no algorithm with its
// default CRC64NVME) has the CRC of its bytes, with no "-N"; a COMPOSITE
// one has the digest of the part digests, "-N". The SDK checks the
// full-object value when it reads the object back.
func TestMultipartObjectChecksum(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const bucket = "mpu-checksums"
	e.mustCreateBucket(t, bucket)
	parts := mpuParts()
	whole := bytes.Join(parts, nil)

	tests := []struct {
		name string
		alg  checksum.Algorithm
		typ  types.ChecksumType
		want checksum.Value
	}{
		{"crc32 full object", checksum.CRC32, types.ChecksumTypeFullObject, checksum.Of(checksum.CRC32, whole)},
		{"crc32c full object", checksum.CRC32C, types.ChecksumTypeFullObject, checksum.Of(checksum.CRC32C, whole)},
		{"crc64nvme", checksum.CRC64NVME, "", checksum.Of(checksum.CRC64NVME, whole)},
		{"crc32 composite", checksum.CRC32, "", compositeOf(checksum.CRC32, parts)},
		{"sha256 composite", checksum.SHA256, "", compositeOf(checksum.SHA256, parts)},
		{"no algorithm", "", "", checksum.Of(checksum.CRC64NVME, whole)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprint("obj-", i)
			cr, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
				ChecksumAlgorithm: types.ChecksumAlgorithm(tt.alg), ChecksumType: tt.typ})
			if err != nil {
				t.Fatalf("CreateMultipartUpload: %v", err)
			}
			var done []types.CompletedPart
			for n, body := range parts {
				out, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
					UploadId: cr.UploadId, PartNumber: aws.Int32(int32(n + 1)), Body: bytes.NewReader(body),
					ChecksumAlgorithm: types.ChecksumAlgorithm(tt.alg)}, noRequestChecksumIf(tt.alg == ""))
				if err != nil {
					t.Fatalf("UploadPart %d: %v", n+1, err)
				}
				shown := tt.alg
				if shown == "" {
					shown = checksum.CRC64NVME // the default checksum, shown as S3 shows it
				}
				got := checksumOf(shown, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256)
				if want := checksum.Of(shown, body).Encoded; got != want {
					t.Errorf("UploadPart %d %s = %q; want %q", n+1, shown, got, want)
				}
				done = append(done, completedPart(int32(n+1), out.ETag, tt.alg, got))
			}
			if tt.alg == "" {
				// ListParts does not show the default checksum.
				lp, err := e.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: cr.UploadId})
				if err != nil {
					t.Fatalf("ListParts: %v", err)
				}
				if lp.ChecksumAlgorithm != "" || lp.ChecksumType != "" || len(lp.Parts) != 2 || lp.Parts[0].ChecksumCRC64NVME != nil {
					t.Errorf("ListParts of an upload naming no algorithm = %q %q %+v; want no checksums",
						lp.ChecksumAlgorithm, lp.ChecksumType, lp.Parts)
				}
				done[0].ChecksumCRC64NVME = nil // listing a part without it is fine too
			}
			co, err := e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket),
				Key: aws.String(key), UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
			if err != nil {
				t.Fatalf("CompleteMultipartUpload: %v", err)
			}
			wantType := types.ChecksumType(tt.want.Type())
			got := checksumOf(tt.want.Algorithm, co.ChecksumCRC32, co.ChecksumCRC32C, co.ChecksumCRC64NVME, co.ChecksumSHA1, co.ChecksumSHA256)
			if got != tt.want.Encoded || co.ChecksumType != wantType {
				t.Errorf("Complete %s = %q %s; want %q %s", tt.want.Algorithm, got, co.ChecksumType, tt.want.Encoded, wantType)
			}
			h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			got = checksumOf(tt.want.Algorithm, h.ChecksumCRC32, h.ChecksumCRC32C, h.ChecksumCRC64NVME, h.ChecksumSHA1, h.ChecksumSHA256)
			if got != tt.want.Encoded || h.ChecksumType != wantType {
				t.Errorf("HEAD %s = %q %s; want %q %s", tt.want.Algorithm, got, h.ChecksumType, tt.want.Encoded, wantType)
			}
			// With checksum mode on, the SDK validates a full-object value
			// against the bytes it reads and fails the read on a mismatch.
			g, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			var body bytes.Buffer
			_, err = body.ReadFrom(g.Body)
			g.Body.Close()
			if err != nil || !bytes.Equal(body.Bytes(), whole) {
				t.Errorf("GetObject: %d bytes, %v", body.Len(), err)
			}
		})
	}
}

func noRequestChecksumIf(b bool) func(*s3.Options) {
	if b {
		return noRequestChecksum
	}
	return func(*s3.Options) {}
}

// compositeOf is the COMPOSITE checksum of parts, from their bytes.
func compositeOf(a checksum.Algorithm, parts [][]byte) checksum.Value {
	var sums []checksum.Value
	for _, p := range parts {
		sums = append(sums, checksum.Of(a, p))
	}
	v, err := checksum.Composite(a, sums)
	if err != nil {
		panic(err)
	}
	return v
}

// Bugs 3 and 4: CompleteMultipartUpload verifies the object checksum, the
// checksum type and the object size the client declares, and an upload
// created with an algorithm needs every listed part's checksum.
func TestCompleteMultipartUploadChecks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const bucket = "mpu-complete"
	e.mustCreateBucket(t, bucket)
	parts := mpuParts()
	whole := bytes.Join(parts, nil)
	size := int64(len(whole))
	crc32Full := checksum.Of(checksum.CRC32, whole).Encoded
	crc32Comp := compositeOf(checksum.CRC32, parts).Encoded // "...-2"
	crc64Full := checksum.Of(checksum.CRC64NVME, whole).Encoded
	other := checksum.Of(checksum.CRC32, []byte("other bytes")).Encoded

	type upload struct {
		alg checksum.Algorithm
		typ types.ChecksumType
	}
	fullCRC32 := upload{checksum.CRC32, types.ChecksumTypeFullObject}
	compCRC32 := upload{checksum.CRC32, types.ChecksumTypeComposite}
	noAlg := upload{}
	tests := []struct {
		name     string
		up       upload
		in       s3.CompleteMultipartUploadInput // the checksum, type and size fields
		omitPart int                             // list this part (1-based) without its checksum
		code     string                          // "" for success
		message  string
	}{
		{"full object, all declared", fullCRC32, s3.CompleteMultipartUploadInput{ChecksumCRC32: aws.String(crc32Full),
			ChecksumType: types.ChecksumTypeFullObject, MpuObjectSize: aws.Int64(size)}, 0, "", ""},
		{"full object, wrong value", fullCRC32, s3.CompleteMultipartUploadInput{ChecksumCRC32: aws.String(other),
			ChecksumType: types.ChecksumTypeFullObject}, 0,
			"BadDigest", "The crc32 you specified did not match the calculated checksum."},
		{"full object, composite value", fullCRC32, s3.CompleteMultipartUploadInput{ChecksumCRC32: aws.String(crc32Comp)}, 0,
			"BadDigest", "The crc32 you specified did not match the calculated checksum."},
		{"full object, another algorithm", fullCRC32, s3.CompleteMultipartUploadInput{ChecksumCRC32C: aws.String(other)}, 0,
			"BadDigest", "The crc32 you specified did not match the calculated checksum."},
		{"full object, wrong type", fullCRC32, s3.CompleteMultipartUploadInput{ChecksumType: types.ChecksumTypeComposite}, 0,
			"InvalidRequest", "The upload was created using the FULL_OBJECT checksum mode. The complete request must use the same checksum mode."},
		{"wrong size", fullCRC32, s3.CompleteMultipartUploadInput{MpuObjectSize: aws.Int64(size + 1)}, 0,
			"InvalidRequest", fmt.Sprintf("The provided 'x-amz-mp-object-size' header value %d does not match what was computed: %d", size+1, size)},
		{"composite, with the part count", compCRC32, s3.CompleteMultipartUploadInput{ChecksumCRC32: aws.String(crc32Comp),
			ChecksumType: types.ChecksumTypeComposite}, 0, "", ""},
		{"composite, without the part count", compCRC32, s3.CompleteMultipartUploadInput{
			ChecksumCRC32: aws.String(strings.TrimSuffix(crc32Comp, "-2"))}, 0, "", ""},
		{"composite, wrong part count", compCRC32, s3.CompleteMultipartUploadInput{
			ChecksumCRC32: aws.String(strings.TrimSuffix(crc32Comp, "-2") + "-3")}, 0,
			"BadDigest", "The crc32 you specified did not match the calculated checksum."},
		{"composite, full-object value", compCRC32, s3.CompleteMultipartUploadInput{ChecksumCRC32: aws.String(crc32Full)}, 0,
			"BadDigest", "The crc32 you specified did not match the calculated checksum."},
		{"composite, wrong type", compCRC32, s3.CompleteMultipartUploadInput{ChecksumType: types.ChecksumTypeFullObject}, 0,
			"InvalidRequest", "The upload was created using the COMPOSITE checksum mode. The complete request must use the same checksum mode."},
		{"composite, part checksum missing", compCRC32, s3.CompleteMultipartUploadInput{}, 2, "InvalidRequest",
			"The upload was created using a crc32 checksum. The complete request must include the checksum for each part. It was missing for part 2 in the request."},
		{"full object, part checksum missing", fullCRC32, s3.CompleteMultipartUploadInput{}, 1, "InvalidRequest",
			"The upload was created using a crc32 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request."},
		{"no algorithm, default checksum declared", noAlg, s3.CompleteMultipartUploadInput{ChecksumCRC64NVME: aws.String(crc64Full),
			ChecksumType: types.ChecksumTypeFullObject, MpuObjectSize: aws.Int64(size)}, 0, "", ""},
		{"no algorithm, wrong default checksum", noAlg, s3.CompleteMultipartUploadInput{
			ChecksumCRC64NVME: aws.String(checksum.Of(checksum.CRC64NVME, nil).Encoded)}, 0,
			"BadDigest", "The crc64nvme you specified did not match the calculated checksum."},
		{"no algorithm, composite type", noAlg, s3.CompleteMultipartUploadInput{ChecksumType: types.ChecksumTypeComposite}, 0,
			"InvalidRequest", "The upload was created using the FULL_OBJECT checksum mode. The complete request must use the same checksum mode."},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprint("complete-", i)
			cr, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
				ChecksumAlgorithm: types.ChecksumAlgorithm(tt.up.alg), ChecksumType: tt.up.typ})
			if err != nil {
				t.Fatalf("CreateMultipartUpload: %v", err)
			}
			var done []types.CompletedPart
			for n, body := range parts {
				out, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key),
					UploadId: cr.UploadId, PartNumber: aws.Int32(int32(n + 1)), Body: bytes.NewReader(body),
					ChecksumAlgorithm: types.ChecksumAlgorithm(tt.up.alg)}, noRequestChecksumIf(tt.up.alg == ""))
				if err != nil {
					t.Fatalf("UploadPart %d: %v", n+1, err)
				}
				v := ""
				if tt.up.alg != "" && n+1 != tt.omitPart {
					v = checksum.Of(tt.up.alg, body).Encoded
				}
				done = append(done, completedPart(int32(n+1), out.ETag, tt.up.alg, v))
			}
			in := tt.in
			in.Bucket, in.Key, in.UploadId = aws.String(bucket), aws.String(key), cr.UploadId
			in.MultipartUpload = &types.CompletedMultipartUpload{Parts: done}
			_, err = e.s3.CompleteMultipartUpload(ctx, &in)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CompleteMultipartUpload: %v", err)
				}
				if got := e.mustGet(t, bucket, key); !bytes.Equal(got, whole) {
					t.Errorf("completed object has %d bytes; want the parts' %d", len(got), len(whole))
				}
				return
			}
			wantAPIMessage(t, "CompleteMultipartUpload", err, tt.code, 400, tt.message)
			if e.exists(t, bucket, key) {
				t.Errorf("a refused completion created the object")
			}
			// The upload is still there, and completes once asked right.
			for i := range done {
				if tt.up.alg != "" {
					done[i] = completedPart(int32(i+1), done[i].ETag, tt.up.alg, checksum.Of(tt.up.alg, parts[i]).Encoded)
				}
			}
			if _, err := e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket),
				Key: aws.String(key), UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
				t.Errorf("CompleteMultipartUpload after the refusal: %v", err)
			}
		})
	}

	// Malformed declarations are refused before the parts are looked at.
	cr, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("bad")})
	if err != nil {
		t.Fatal(err)
	}
	target := "/" + bucket + "/bad?uploadId=" + url.QueryEscape(aws.ToString(cr.UploadId))
	body := []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`)
	for _, c := range []struct {
		header, value, message string
	}{
		{"x-amz-checksum-type", "FULL", "Value for x-amz-checksum-type header is invalid."},
		{"x-amz-mp-object-size", "ten", "Value for x-amz-mp-object-size header is invalid: 'ten'"},
		{"x-amz-mp-object-size", "-1", "Value for x-amz-mp-object-size header is less than zero: '-1'"},
		{"x-amz-checksum-crc32", "not base64", "Value for x-amz-checksum-crc32 header is invalid."},
		{"x-amz-checksum-crc64nvme", "AAAAAA==", "Value for x-amz-checksum-crc64nvme header is invalid."},
		{"x-amz-checksum-sha256", checksum.Of(checksum.SHA256, nil).Encoded + "-0", "Value for x-amz-checksum-sha256 header is invalid."},
	} {
		r := e.do(t, rawRequest{method: http.MethodPost, target: target, body: body, header: http.Header{c.header: {c.value}}})
		wantRawError(t, c.header+": "+c.value, r, 400, "InvalidRequest")
		if got := parseError(t, r).Message; got != c.message {
			t.Errorf("%s: %s: message = %q; want %q", c.header, c.value, got, c.message)
		}
	}
	r := e.do(t, rawRequest{method: http.MethodPost, target: target, body: body, header: http.Header{
		"x-amz-checksum-crc32": {other}, "x-amz-checksum-crc32c": {other}}})
	wantRawError(t, "two checksum headers", r, 400, "InvalidRequest")
}

// Bug 6: x-amz-copy-source-range must be bytes=first-last inside the
// source: no open or suffix range, no clamping.
func TestUploadPartCopyRange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const bucket = "mpu-copy"
	e.mustCreateBucket(t, bucket)
	src := pattern(1000, 9)
	e.mustPut(t, bucket, "src", src)
	cr, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	const (
		malformed = "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"
		outside   = "Range specified is not valid for source object of size: 1000"
	)
	tests := []struct {
		rng         string
		first, last int    // the bytes copied, when accepted
		message     string // of the InvalidArgument, when refused
	}{
		{"bytes=0-999", 0, 999, ""},
		{"bytes=100-199", 100, 199, ""},
		{"bytes=999-999", 999, 999, ""},
		{"bytes=0-0", 0, 0, ""},
		{"bytes=100-1000", 0, 0, outside},
		{"bytes=100-1005", 0, 0, outside},
		{"bytes=1000-1000", 0, 0, outside},
		{"bytes=1250-3000", 0, 0, outside},
		{"bytes=100-", 0, 0, malformed},
		{"bytes=-100", 0, 0, malformed},
		{"bytes=200-100", 0, 0, malformed},
		{"byte=100-200", 0, 0, malformed},
		{"bytes=aa-12", 0, 0, malformed},
		{"bytes=12-aa", 0, 0, malformed},
		{"bytes=-2-300", 0, 0, malformed},
		{"bytes=+1-2", 0, 0, malformed},
		{"bytes=0-1,5-6", 0, 0, malformed},
		{"0-100", 0, 0, malformed},
	}
	for i, tt := range tests {
		out, err := e.s3.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String("dst"),
			UploadId: cr.UploadId, PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(bucket + "/src"),
			CopySourceRange: aws.String(tt.rng)})
		if tt.message != "" {
			wantAPIMessage(t, tt.rng, err, "InvalidArgument", 400, tt.message)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.rng, err)
			continue
		}
		sum := md5.Sum(src[tt.first : tt.last+1])
		if got, want := aws.ToString(out.CopyPartResult.ETag), `"`+hex.EncodeToString(sum[:])+`"`; got != want {
			t.Errorf("%s: ETag %s; want %s (bytes %d-%d)", tt.rng, got, want, tt.first, tt.last)
		}
	}
}

// Bug 7: ListMultipartUploads rolls keys up at the delimiter, counting
// each common prefix once against max-uploads, and URL-encodes what it
// echoes when asked to.
func TestListMultipartUploadsDelimiter(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const bucket = "mpu-list"
	e.mustCreateBucket(t, bucket)
	for _, k := range []string{"a", "photos/2024/x", "photos/2025/y", "photos/z", "videos/1", "zeta"} {
		if _, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(in s3.ListMultipartUploadsInput) (keys, prefixes []string, out *s3.ListMultipartUploadsOutput) {
		t.Helper()
		in.Bucket = aws.String(bucket)
		out, err := e.s3.ListMultipartUploads(ctx, &in)
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		for _, u := range out.Uploads {
			keys = append(keys, aws.ToString(u.Key))
		}
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(p.Prefix))
		}
		return keys, prefixes, out
	}
	tests := []struct {
		name              string
		in                s3.ListMultipartUploadsInput
		keys, prefixes    string
		truncated         bool
		nextKey, nextUpID string // nextUpID "-" for any non-empty id
	}{
		{"top level", s3.ListMultipartUploadsInput{Delimiter: aws.String("/")}, "a zeta", "photos/ videos/", false, "zeta", "-"},
		{"under a prefix", s3.ListMultipartUploadsInput{Delimiter: aws.String("/"), Prefix: aws.String("photos/")},
			"photos/z", "photos/2024/ photos/2025/", false, "photos/z", "-"},
		{"a prefix counts once", s3.ListMultipartUploadsInput{Delimiter: aws.String("/"), MaxUploads: aws.Int32(2)},
			"a", "photos/", true, "photos/", ""},
		{"a common prefix as marker", s3.ListMultipartUploadsInput{Delimiter: aws.String("/"), KeyMarker: aws.String("photos/")},
			"zeta", "videos/", false, "zeta", "-"},
		{"no delimiter", s3.ListMultipartUploadsInput{MaxUploads: aws.Int32(3)}, "a photos/2024/x photos/2025/y", "", true, "photos/2025/y", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, prefixes, out := list(tt.in)
			if strings.Join(keys, " ") != tt.keys || strings.Join(prefixes, " ") != tt.prefixes || aws.ToBool(out.IsTruncated) != tt.truncated {
				t.Errorf("uploads %q prefixes %q truncated %v; want %q %q %v", keys, prefixes, aws.ToBool(out.IsTruncated),
					tt.keys, tt.prefixes, tt.truncated)
			}
			if aws.ToString(out.Delimiter) != aws.ToString(tt.in.Delimiter) {
				t.Errorf("Delimiter = %q; want %q echoed", aws.ToString(out.Delimiter), aws.ToString(tt.in.Delimiter))
			}
			nextID := aws.ToString(out.NextUploadIdMarker)
			if aws.ToString(out.NextKeyMarker) != tt.nextKey || (tt.nextUpID == "-") != (nextID != "") {
				t.Errorf("next markers %q %q; want %q and an upload id: %v", aws.ToString(out.NextKeyMarker), nextID, tt.nextKey, tt.nextUpID == "-")
			}
		})
	}

	// encoding-type=url encodes the keys, the prefixes and the echoed
	// Prefix, Delimiter and key markers, and says so.
	for _, k := range []string{"sp ace/a+b", "sp ace/c&d/e", "sp ace/\x01ctl"} {
		if _, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	q := url.Values{"encoding-type": {"url"}, "prefix": {"sp ace/"}, "delimiter": {"&"},
		"key-marker": {"sp ace/"}, "max-uploads": {"2"}}
	// Spaces as %20: the signer's canonical query has no "+".
	target := func() string { return "/" + bucket + "?uploads&" + strings.ReplaceAll(q.Encode(), "+", "%20") }
	r := e.do(t, rawRequest{method: http.MethodGet, target: target()})
	if r.status != 200 {
		t.Fatalf("ListMultipartUploads encoding-type=url: %s", r)
	}
	var res struct {
		Prefix, Delimiter, KeyMarker, NextKeyMarker, EncodingType string
		IsTruncated                                               bool
		Uploads                                                   []struct{ Key string } `xml:"Upload"`
		CommonPrefixes                                            []struct{ Prefix string }
	}
	if err := xml.Unmarshal(r.body, &res); err != nil {
		t.Fatalf("reply: %v\n%s", err, r.body)
	}
	var keys, prefixes []string
	for _, u := range res.Uploads {
		keys = append(keys, u.Key)
	}
	for _, p := range res.CommonPrefixes {
		prefixes = append(prefixes, p.Prefix)
	}
	if res.EncodingType != "url" || res.Prefix != "sp%20ace/" || res.Delimiter != "%26" || res.KeyMarker != "sp%20ace/" ||
		strings.Join(keys, " ") != "sp%20ace/%01ctl sp%20ace/a%2Bb" || len(prefixes) != 0 ||
		res.NextKeyMarker != "sp%20ace/a%2Bb" || !res.IsTruncated {
		t.Errorf("encoding-type=url reply:\n%s", r.body)
	}
	q.Set("key-marker", "sp ace/a+b")
	r = e.do(t, rawRequest{method: http.MethodGet, target: target()})
	res.CommonPrefixes, res.Uploads = nil, nil
	if err := xml.Unmarshal(r.body, &res); err != nil {
		t.Fatalf("reply: %v\n%s", err, r.body)
	}
	if len(res.CommonPrefixes) != 1 || res.CommonPrefixes[0].Prefix != "sp%20ace/c%26" || len(res.Uploads) != 0 || res.IsTruncated {
		t.Errorf("encoding-type=url reply after the marker:\n%s", r.body)
	}

	r = e.do(t, rawRequest{method: http.MethodGet, target: "/" + bucket + "?uploads&encoding-type=base64"})
	wantRawError(t, "encoding-type=base64", r, 400, "InvalidArgument")
}

// ListMultipartUploads shows each upload's checksum algorithm and type,
// and neither for an upload that named no algorithm.
func TestListMultipartUploadsChecksums(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const bucket = "mpu-list-sums"
	e.mustCreateBucket(t, bucket)
	for _, in := range []s3.CreateMultipartUploadInput{
		{Key: aws.String("a-none")},
		{Key: aws.String("b-crc32"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32},
		{Key: aws.String("c-crc32-full"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeFullObject},
		{Key: aws.String("d-crc64"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme},
	} {
		in.Bucket = aws.String(bucket)
		if _, err := e.s3.CreateMultipartUpload(ctx, &in); err != nil {
			t.Fatal(err)
		}
	}
	out, err := e.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range out.Uploads {
		got = append(got, fmt.Sprintf("%s:%s:%s", aws.ToString(u.Key), u.ChecksumAlgorithm, u.ChecksumType))
	}
	want := []string{"a-none::", "b-crc32:CRC32:COMPOSITE", "c-crc32-full:CRC32:FULL_OBJECT", "d-crc64:CRC64NVME:FULL_OBJECT"}
	if !slices.Equal(got, want) {
		t.Errorf("uploads = %q; want %q", got, want)
	}
}
