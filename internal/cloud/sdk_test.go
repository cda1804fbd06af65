package cloud_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// crc32b64 is the base64 big-endian CRC32 (IEEE) of b, as
// x-amz-checksum-crc32 carries it.
func crc32b64(b []byte) string {
	var s [4]byte
	binary.BigEndian.PutUint32(s[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(s[:])
}

// multipartETag is the ETag S3 gives a multipart object: the MD5 of the
// concatenated binary part MD5s, a dash and the part count.
func multipartETag(parts ...[]byte) string {
	var all []byte
	for _, p := range parts {
		sum := md5.Sum(p)
		all = append(all, sum[:]...)
	}
	return fmt.Sprintf(`"%s-%d"`, md5hex(all), len(parts))
}

// encodeCopySource percent-encodes bucket/key for x-amz-copy-source,
// escaping everything but unreserved characters and '/'.
func encodeCopySource(bucket, key string) string {
	var b strings.Builder
	b.WriteString(bucket)
	b.WriteByte('/')
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func readAllClose(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return b
}

func TestSDKBuckets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	out, err := e.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets on a new cloud: %v", err)
	}
	if got := len(out.Buckets); got != 0 {
		t.Errorf("ListBuckets on a new cloud: %d buckets; want 0", got)
	}

	e.mustCreateBucket(t, "alpha-bucket")
	e.mustCreateBucket(t, "beta.bucket.01")
	out, err = e.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
		if b.CreationDate == nil || b.CreationDate.IsZero() {
			t.Errorf("ListBuckets: %s has no CreationDate", aws.ToString(b.Name))
		}
	}
	if got, want := names, []string{"alpha-bucket", "beta.bucket.01"}; !slices.Equal(got, want) {
		t.Errorf("ListBuckets names = %q; want %q", got, want)
	}

	t.Run("InvalidNames", func(t *testing.T) {
		for _, name := range []string{
			"ab",
			strings.Repeat("a", 64),
			"Upper-Case",
			"under_score",
			"-leading-dash",
			"trailing-dash-",
			"double..dot",
			"192.168.1.10",
			"xn--punycode",
		} {
			_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
			wantAPIError(t, fmt.Sprintf("CreateBucket(%q)", name), err, "InvalidBucketName", 400)
		}
	})

	t.Run("AlreadyOwnedByYou", func(t *testing.T) {
		_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha-bucket")})
		wantAPIError(t, "CreateBucket(existing own bucket)", err, "BucketAlreadyOwnedByYou", 409)
	})

	t.Run("LocationConstraint", func(t *testing.T) {
		_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{
			Bucket: aws.String("other-region-bucket"),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{
				LocationConstraint: types.BucketLocationConstraintEuWest1,
			},
		})
		wantAPIError(t, "CreateBucket(eu-west-1 on a us-east-1 endpoint)", err, "IllegalLocationConstraintException", 400)
		if _, err := e.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("other-region-bucket")}); httpStatus(err) != 404 {
			t.Errorf("HeadBucket after refused create: err = %v; want 404", err)
		}

		loc, err := e.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("alpha-bucket")})
		if err != nil {
			t.Fatalf("GetBucketLocation: %v", err)
		}
		if got := loc.LocationConstraint; got != "" {
			t.Errorf("GetBucketLocation(us-east-1 bucket) = %q; want empty", got)
		}
		_, err = e.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("no-such-bucket-here")})
		wantAPIError(t, "GetBucketLocation(missing)", err, "NoSuchBucket", 404)
	})

	t.Run("HeadBucket", func(t *testing.T) {
		h, err := e.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha-bucket")})
		if err != nil {
			t.Fatalf("HeadBucket: %v", err)
		}
		if got, want := aws.ToString(h.BucketRegion), testRegion; got != want {
			t.Errorf("HeadBucket region = %q; want %q", got, want)
		}
		_, err = e.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket-here")})
		wantAPIError(t, "HeadBucket(missing)", err, "NotFound", 404)
	})

	t.Run("NoSuchBucket", func(t *testing.T) {
		missing := aws.String("no-such-bucket-here")
		_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: missing, Key: aws.String("k"), Body: strings.NewReader("x")})
		wantAPIError(t, "PutObject(missing bucket)", err, "NoSuchBucket", 404)
		_, err = e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: missing, Key: aws.String("k")})
		wantAPIError(t, "GetObject(missing bucket)", err, "NoSuchBucket", 404)
		_, err = e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: missing})
		wantAPIError(t, "ListObjectsV2(missing bucket)", err, "NoSuchBucket", 404)
		_, err = e.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: missing})
		wantAPIError(t, "DeleteBucket(missing bucket)", err, "NoSuchBucket", 404)
	})

	t.Run("DeleteBucket", func(t *testing.T) {
		e.mustPut(t, "beta.bucket.01", "k", []byte("x"))
		_, err := e.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("beta.bucket.01")})
		wantAPIError(t, "DeleteBucket(not empty)", err, "BucketNotEmpty", 409)
		if !e.exists(t, "beta.bucket.01", "k") {
			t.Fatalf("object gone after refused DeleteBucket")
		}
		if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("beta.bucket.01"), Key: aws.String("k")}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		if _, err := e.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("beta.bucket.01")}); err != nil {
			t.Fatalf("DeleteBucket(empty): %v", err)
		}
		_, err = e.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("beta.bucket.01")})
		wantAPIError(t, "HeadBucket(deleted)", err, "NotFound", 404)
		out, err := e.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatalf("ListBuckets: %v", err)
		}
		if got := len(out.Buckets); got != 1 {
			t.Errorf("ListBuckets after delete: %d buckets; want 1", got)
		}
	})
}

func TestSDKPutGetObject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const bucket = "objects"
	e.mustCreateBucket(t, bucket)

	body := []byte("id,amount\n1,2.50\n2,3.75\n")
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	put, err := e.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:             aws.String(bucket),
		Key:                aws.String("dir/orders.csv"),
		Body:               bytes.NewReader(body),
		ContentType:        aws.String("text/csv"),
		ContentEncoding:    aws.String("identity"),
		ContentDisposition: aws.String(`attachment; filename="orders.csv"`),
		ContentLanguage:    aws.String("en-GB"),
		CacheControl:       aws.String("max-age=60"),
		Expires:            aws.Time(expires),
		Metadata:           map[string]string{"color": "blue", "Source-System": "erp 7"},
		Tagging:            aws.String("team=data&stage=raw%20in"),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	wantETag := `"` + md5hex(body) + `"`
	if got := aws.ToString(put.ETag); got != wantETag {
		t.Errorf("PutObject ETag = %s; want %s", got, wantETag)
	}
	if got, want := aws.ToString(put.ChecksumCRC32), crc32b64(body); got != want {
		t.Errorf("PutObject ChecksumCRC32 = %q; want %q (the SDK sent it)", got, want)
	}

	h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/orders.csv")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"ETag", aws.ToString(h.ETag), wantETag},
		{"ContentType", aws.ToString(h.ContentType), "text/csv"},
		{"ContentEncoding", aws.ToString(h.ContentEncoding), "identity"},
		{"ContentDisposition", aws.ToString(h.ContentDisposition), `attachment; filename="orders.csv"`},
		{"ContentLanguage", aws.ToString(h.ContentLanguage), "en-GB"},
		{"CacheControl", aws.ToString(h.CacheControl), "max-age=60"},
		{"Expires", aws.ToString(h.ExpiresString), expires.Format(http.TimeFormat)},
		{"meta color", h.Metadata["color"], "blue"},
		{"meta source-system", h.Metadata["source-system"], "erp 7"},
	} {
		if c.got != c.want {
			t.Errorf("HeadObject %s = %q; want %q", c.name, c.got, c.want)
		}
	}
	if got, want := aws.ToInt64(h.ContentLength), int64(len(body)); got != want {
		t.Errorf("HeadObject ContentLength = %d; want %d", got, want)
	}
	if h.LastModified == nil || time.Since(*h.LastModified) > time.Hour {
		t.Errorf("HeadObject LastModified = %v; want about now", h.LastModified)
	}

	g, err := e.s3.GetObject(ctx, &s3.GetObjectInput{
		Bucket:       aws.String(bucket),
		Key:          aws.String("dir/orders.csv"),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	if got := readAllClose(t, g.Body); !bytes.Equal(got, body) {
		t.Errorf("GetObject body = %q; want %q", got, body)
	}
	if got, want := aws.ToString(g.ChecksumCRC32), crc32b64(body); got != want {
		t.Errorf("GetObject(ChecksumMode ENABLED) ChecksumCRC32 = %q; want %q", got, want)
	}
	if got, want := aws.ToInt32(g.TagCount), int32(2); got != want {
		t.Errorf("GetObject TagCount = %d; want %d", got, want)
	}
	if got, want := aws.ToString(g.ContentType), "text/csv"; got != want {
		t.Errorf("GetObject ContentType = %q; want %q", got, want)
	}

	tags, err := e.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("dir/orders.csv")})
	if err != nil {
		t.Fatalf("GetObjectTagging: %v", err)
	}
	if got, want := tagMap(tags.TagSet), map[string]string{"team": "data", "stage": "raw in"}; !mapsEqual(got, want) {
		t.Errorf("tags from the Tagging header = %v; want %v", got, want)
	}

	t.Run("EmptyObject", func(t *testing.T) {
		etag := e.mustPut(t, bucket, "empty", nil)
		if got, want := etag, `"d41d8cd98f00b204e9800998ecf8427e"`; got != want {
			t.Errorf("empty object ETag = %s; want %s", got, want)
		}
		if got := e.mustGet(t, bucket, "empty"); len(got) != 0 {
			t.Errorf("empty object body = %q; want nothing", got)
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		e.mustPut(t, bucket, "over", []byte("first version"))
		etag := e.mustPut(t, bucket, "over", []byte("second"))
		if got, want := etag, `"`+md5hex([]byte("second"))+`"`; got != want {
			t.Errorf("overwrite ETag = %s; want %s", got, want)
		}
		if got := e.mustGet(t, bucket, "over"); string(got) != "second" {
			t.Errorf("after overwrite body = %q; want %q", got, "second")
		}
	})

	t.Run("ConditionalWrite", func(t *testing.T) {
		_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("once"),
			Body: strings.NewReader("first"), IfNoneMatch: aws.String("*")})
		if err != nil {
			t.Fatalf("PutObject(If-None-Match *) on a new key: %v", err)
		}
		_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("once"),
			Body: strings.NewReader("second"), IfNoneMatch: aws.String("*")})
		wantAPIError(t, "PutObject(If-None-Match *) on an existing key", err, "PreconditionFailed", 412)
		_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("once"),
			Body: strings.NewReader("third"), IfMatch: aws.String(`"00000000000000000000000000000000"`)})
		wantAPIError(t, "PutObject(If-Match other ETag)", err, "PreconditionFailed", 412)
		if got := e.mustGet(t, bucket, "once"); string(got) != "first" {
			t.Errorf("after refused conditional writes body = %q; want %q", got, "first")
		}
	})

	t.Run("Missing", func(t *testing.T) {
		_, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("nope")})
		wantAPIError(t, "HeadObject(missing)", err, "NotFound", 404)
		_, err = e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("nope")})
		wantAPIError(t, "GetObject(missing)", err, "NoSuchKey", 404)
	})

	t.Run("DeleteObject", func(t *testing.T) {
		e.mustPut(t, bucket, "gone", []byte("x"))
		if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("gone")}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		if e.exists(t, bucket, "gone") {
			t.Errorf("object still there after DeleteObject")
		}
		if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("gone")}); err != nil {
			t.Errorf("DeleteObject(missing key) = %v; want success", err)
		}
	})
}

func tagMap(ts []types.Tag) map[string]string {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestSDKGetObjectRange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "ranges")
	body := []byte("0123456789abcdefghijklmnopqrstuvwxyz") // 36 bytes
	e.mustPut(t, "ranges", "k", body)

	for _, c := range []struct {
		rng       string
		want      string
		wantRange string
	}{
		{"bytes=0-4", "01234", "bytes 0-4/36"},
		{"bytes=10-12", "abc", "bytes 10-12/36"},
		{"bytes=-5", "vwxyz", "bytes 31-35/36"},
		{"bytes=30-", "uvwxyz", "bytes 30-35/36"},
		{"bytes=33-1000", "xyz", "bytes 33-35/36"},
		{"bytes=-100", string(body), "bytes 0-35/36"},
	} {
		t.Run(c.rng, func(t *testing.T) {
			out, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ranges"), Key: aws.String("k"), Range: aws.String(c.rng)})
			if err != nil {
				t.Fatalf("GetObject(Range %s): %v", c.rng, err)
			}
			if got := string(readAllClose(t, out.Body)); got != c.want {
				t.Errorf("GetObject(Range %s) body = %q; want %q", c.rng, got, c.want)
			}
			if got := aws.ToString(out.ContentRange); got != c.wantRange {
				t.Errorf("GetObject(Range %s) Content-Range = %q; want %q", c.rng, got, c.wantRange)
			}
			if got, want := aws.ToInt64(out.ContentLength), int64(len(c.want)); got != want {
				t.Errorf("GetObject(Range %s) Content-Length = %d; want %d", c.rng, got, want)
			}
		})
	}
	for _, rng := range []string{"bytes=36-40", "bytes=100-"} {
		_, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ranges"), Key: aws.String("k"), Range: aws.String(rng)})
		wantAPIError(t, "GetObject(Range "+rng+")", err, "InvalidRange", 416)
	}
}

func TestSDKConditionalRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "cond")
	etag := e.mustPut(t, "cond", "k", []byte("conditional"))
	past := time.Now().Add(-24 * time.Hour)
	future := time.Now().Add(24 * time.Hour)
	h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("cond"), Key: aws.String("k")})
	if err != nil || h.LastModified == nil {
		t.Fatalf("HeadObject: %v (LastModified %v)", err, h)
	}
	// Not modified since its own Last-Modified (a date that is not in the
	// future, so no reading of the RFCs ignores it).
	lastMod := *h.LastModified

	for _, c := range []struct {
		name     string
		in       s3.GetObjectInput
		status   int
		wantCode string
	}{
		{"IfMatchSame", s3.GetObjectInput{IfMatch: aws.String(etag)}, 200, ""},
		{"IfMatchStar", s3.GetObjectInput{IfMatch: aws.String("*")}, 200, ""},
		{"IfMatchOther", s3.GetObjectInput{IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)}, 412, "PreconditionFailed"},
		{"IfNoneMatchSame", s3.GetObjectInput{IfNoneMatch: aws.String(etag)}, 304, "NotModified"},
		{"IfNoneMatchOther", s3.GetObjectInput{IfNoneMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)}, 200, ""},
		{"IfModifiedSincePast", s3.GetObjectInput{IfModifiedSince: aws.Time(past)}, 200, ""},
		{"IfModifiedSinceLastModified", s3.GetObjectInput{IfModifiedSince: aws.Time(lastMod)}, 304, "NotModified"},
		{"IfUnmodifiedSinceFuture", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(future)}, 200, ""},
		{"IfUnmodifiedSincePast", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(past)}, 412, "PreconditionFailed"},
		// RFC 7232 precedence: If-Match true wins over If-Unmodified-Since.
		{"IfMatchBeatsIfUnmodifiedSince", s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: aws.Time(past)}, 200, ""},
		// If-None-Match false wins over If-Modified-Since.
		{"IfNoneMatchBeatsIfModifiedSince", s3.GetObjectInput{IfNoneMatch: aws.String(etag), IfModifiedSince: aws.Time(past)}, 304, "NotModified"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.Bucket, in.Key = aws.String("cond"), aws.String("k")
			out, err := e.s3.GetObject(ctx, &in)
			if c.status == 200 {
				if err != nil {
					t.Fatalf("GetObject: %v; want 200", err)
				}
				if got := string(readAllClose(t, out.Body)); got != "conditional" {
					t.Errorf("body = %q; want %q", got, "conditional")
				}
				return
			}
			wantAPIError(t, "GetObject", err, c.wantCode, c.status)
			if c.status == 304 {
				// A 304 carries the object's validators (RFC 9110 15.4.5).
				var re *awshttp.ResponseError
				if errors.As(err, &re) {
					hdr := re.Response.Header
					if hdr.Get("ETag") != etag || hdr.Get("Last-Modified") != lastMod.UTC().Format(http.TimeFormat) {
						t.Errorf("304 ETag %q, Last-Modified %q; want %q, %q", hdr.Get("ETag"),
							hdr.Get("Last-Modified"), etag, lastMod.UTC().Format(http.TimeFormat))
					}
				}
			}

			// HEAD answers the same status.
			hin := &s3.HeadObjectInput{Bucket: in.Bucket, Key: in.Key, IfMatch: in.IfMatch, IfNoneMatch: in.IfNoneMatch,
				IfModifiedSince: in.IfModifiedSince, IfUnmodifiedSince: in.IfUnmodifiedSince}
			_, err = e.s3.HeadObject(ctx, hin)
			if got := httpStatus(err); got != c.status {
				t.Errorf("HeadObject status = %d; want %d (err %v)", got, c.status, err)
			}
		})
	}
}

func TestSDKResponseOverrides(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "overrides")
	e.mustPut(t, "overrides", "k", []byte("body"))

	out, err := e.s3.GetObject(ctx, &s3.GetObjectInput{
		Bucket:                     aws.String("overrides"),
		Key:                        aws.String("k"),
		ResponseContentType:        aws.String("application/x-custom"),
		ResponseContentDisposition: aws.String(`attachment; filename="x y.bin"`),
		ResponseContentLanguage:    aws.String("fr"),
		ResponseCacheControl:       aws.String("no-store"),
		ResponseContentEncoding:    aws.String("identity"),
		ResponseExpires:            aws.Time(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)),
	})
	if err != nil {
		t.Fatalf("GetObject with response-* overrides: %v", err)
	}
	readAllClose(t, out.Body)
	for _, c := range []struct{ name, got, want string }{
		{"Content-Type", aws.ToString(out.ContentType), "application/x-custom"},
		{"Content-Disposition", aws.ToString(out.ContentDisposition), `attachment; filename="x y.bin"`},
		{"Content-Language", aws.ToString(out.ContentLanguage), "fr"},
		{"Cache-Control", aws.ToString(out.CacheControl), "no-store"},
		{"Content-Encoding", aws.ToString(out.ContentEncoding), "identity"},
		{"Expires", aws.ToString(out.ExpiresString), "Tue, 06 May 2031 07:08:09 GMT"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.name, c.got, c.want)
		}
	}
}

func TestSDKDeleteObjects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "multi")
	rec := &recorder{next: e.srv.Client().Transport}
	cl := e.clientWith(e.s3.Options().Credentials, &http.Client{Transport: rec})

	for _, quiet := range []bool{false, true} {
		t.Run(fmt.Sprintf("quiet=%v", quiet), func(t *testing.T) {
			keys := []string{"a.txt", "dir/b c.txt", "dir/ü+.txt"}
			for _, k := range keys {
				e.mustPut(t, "multi", k, []byte(k))
			}
			var ids []types.ObjectIdentifier
			for _, k := range append(keys, "never-existed") {
				ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
			}
			out, err := cl.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: aws.String("multi"),
				Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(quiet)},
			})
			if err != nil {
				t.Fatalf("DeleteObjects: %v", err)
			}
			// Premise: the SDK proves the body's integrity with a CRC32
			// header, not Content-MD5.
			if sent := rec.find(http.MethodPost, "delete"); len(sent) > 0 {
				h := sent[len(sent)-1].header
				if h.Get("X-Amz-Checksum-Crc32") == "" || h.Get("Content-Md5") != "" {
					t.Errorf("SDK DeleteObjects sent x-amz-checksum-crc32 %q, Content-MD5 %q; test expects CRC32 only",
						h.Get("X-Amz-Checksum-Crc32"), h.Get("Content-Md5"))
				}
			}
			if len(out.Errors) != 0 {
				t.Errorf("DeleteObjects errors = %+v; want none", out.Errors)
			}
			var deleted []string
			for _, d := range out.Deleted {
				deleted = append(deleted, aws.ToString(d.Key))
			}
			slices.Sort(deleted)
			want := []string{"a.txt", "dir/b c.txt", "dir/ü+.txt", "never-existed"}
			if quiet {
				want = nil
			}
			if !slices.Equal(deleted, want) {
				t.Errorf("DeleteObjects Deleted = %q; want %q", deleted, want)
			}
			for _, k := range keys {
				if e.exists(t, "multi", k) {
					t.Errorf("%q still exists after DeleteObjects", k)
				}
			}
		})
	}
}

func TestSDKCopyObject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "src-bucket")
	e.mustCreateBucket(t, "dst-bucket")

	body := []byte("copy me, exactly\n")
	_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String("src-bucket"),
		Key:         aws.String("orig.txt"),
		Body:        bytes.NewReader(body),
		ContentType: aws.String("text/plain"),
		Metadata:    map[string]string{"origin": "source"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	srcETag := `"` + md5hex(body) + `"`
	srcHead, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("src-bucket"), Key: aws.String("orig.txt")})
	if err != nil || srcHead.LastModified == nil {
		t.Fatalf("HeadObject: %v", err)
	}

	t.Run("SameBucketCopyDirective", func(t *testing.T) {
		out, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket:     aws.String("src-bucket"),
			Key:        aws.String("copy.txt"),
			CopySource: aws.String("src-bucket/orig.txt"),
			Metadata:   map[string]string{"ignored": "yes"},
		})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) != srcETag {
			t.Errorf("CopyObject result = %+v; want ETag %s", out.CopyObjectResult, srcETag)
		}
		h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("src-bucket"), Key: aws.String("copy.txt")})
		if err != nil {
			t.Fatalf("HeadObject(copy): %v", err)
		}
		if got, want := h.Metadata, map[string]string{"origin": "source"}; !mapsEqual(got, want) {
			t.Errorf("COPY directive metadata = %v; want %v", got, want)
		}
		if got, want := aws.ToString(h.ContentType), "text/plain"; got != want {
			t.Errorf("COPY directive Content-Type = %q; want %q", got, want)
		}
		if got := e.mustGet(t, "src-bucket", "copy.txt"); !bytes.Equal(got, body) {
			t.Errorf("copy body = %q; want %q", got, body)
		}
	})

	t.Run("CrossBucketReplaceDirective", func(t *testing.T) {
		_, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket:            aws.String("dst-bucket"),
			Key:               aws.String("replaced.txt"),
			CopySource:        aws.String("src-bucket/orig.txt"),
			MetadataDirective: types.MetadataDirectiveReplace,
			ContentType:       aws.String("application/octet-stream"),
			Metadata:          map[string]string{"fresh": "1"},
		})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("dst-bucket"), Key: aws.String("replaced.txt")})
		if err != nil {
			t.Fatalf("HeadObject: %v", err)
		}
		if got, want := h.Metadata, map[string]string{"fresh": "1"}; !mapsEqual(got, want) {
			t.Errorf("REPLACE directive metadata = %v; want %v", got, want)
		}
		if got, want := aws.ToString(h.ContentType), "application/octet-stream"; got != want {
			t.Errorf("REPLACE directive Content-Type = %q; want %q", got, want)
		}
		if got := e.mustGet(t, "dst-bucket", "replaced.txt"); !bytes.Equal(got, body) {
			t.Errorf("copy body = %q; want %q", got, body)
		}
	})

	t.Run("SourceConditions", func(t *testing.T) {
		past := time.Now().Add(-24 * time.Hour)
		future := time.Now().Add(24 * time.Hour)
		for _, c := range []struct {
			name   string
			in     s3.CopyObjectInput
			status int
		}{
			{"IfMatchSame", s3.CopyObjectInput{CopySourceIfMatch: aws.String(srcETag)}, 200},
			{"IfMatchOther", s3.CopyObjectInput{CopySourceIfMatch: aws.String(`"00000000000000000000000000000000"`)}, 412},
			{"IfNoneMatchSame", s3.CopyObjectInput{CopySourceIfNoneMatch: aws.String(srcETag)}, 412},
			{"IfNoneMatchOther", s3.CopyObjectInput{CopySourceIfNoneMatch: aws.String(`"00000000000000000000000000000000"`)}, 200},
			{"IfModifiedSinceLastModified", s3.CopyObjectInput{CopySourceIfModifiedSince: srcHead.LastModified}, 412},
			{"IfModifiedSincePast", s3.CopyObjectInput{CopySourceIfModifiedSince: aws.Time(past)}, 200},
			{"IfUnmodifiedSincePast", s3.CopyObjectInput{CopySourceIfUnmodifiedSince: aws.Time(past)}, 412},
			{"IfUnmodifiedSinceFuture", s3.CopyObjectInput{CopySourceIfUnmodifiedSince: aws.Time(future)}, 200},
		} {
			t.Run(c.name, func(t *testing.T) {
				dst := "cond-" + c.name
				in := c.in
				in.Bucket, in.Key, in.CopySource = aws.String("dst-bucket"), aws.String(dst), aws.String("src-bucket/orig.txt")
				_, err := e.s3.CopyObject(ctx, &in)
				if c.status == 200 {
					if err != nil {
						t.Fatalf("CopyObject: %v; want 200", err)
					}
					return
				}
				wantAPIError(t, "CopyObject", err, "PreconditionFailed", c.status)
				if e.exists(t, "dst-bucket", dst) {
					t.Errorf("destination written although the condition failed")
				}
			})
		}
	})

	t.Run("OntoItself", func(t *testing.T) {
		_, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket:     aws.String("src-bucket"),
			Key:        aws.String("orig.txt"),
			CopySource: aws.String("src-bucket/orig.txt"),
		})
		wantAPIError(t, "CopyObject onto itself (COPY)", err, "InvalidRequest", 400)

		_, err = e.s3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket:            aws.String("src-bucket"),
			Key:               aws.String("orig.txt"),
			CopySource:        aws.String("src-bucket/orig.txt"),
			MetadataDirective: types.MetadataDirectiveReplace,
			ContentType:       aws.String("text/plain"),
			Metadata:          map[string]string{"origin": "source", "touched": "yes"},
		})
		if err != nil {
			t.Fatalf("CopyObject onto itself (REPLACE): %v", err)
		}
		h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("src-bucket"), Key: aws.String("orig.txt")})
		if err != nil {
			t.Fatalf("HeadObject: %v", err)
		}
		if got := h.Metadata["touched"]; got != "yes" {
			t.Errorf("metadata after self-copy with REPLACE: touched = %q; want %q", got, "yes")
		}
		if got := e.mustGet(t, "src-bucket", "orig.txt"); !bytes.Equal(got, body) {
			t.Errorf("body after self-copy = %q; want %q", got, body)
		}
	})

	t.Run("AwkwardSourceKeys", func(t *testing.T) {
		for i, key := range []string{
			"staging/report 2025+final.csv",
			"staging/données é.csv",
			"staging/100%+50%.csv",
			"staging/a=b&c.csv",
		} {
			data := []byte(fmt.Sprintf("row %d\n", i))
			e.mustPut(t, "src-bucket", key, data)
			dst := "copied/" + key
			_, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket:     aws.String("dst-bucket"),
				Key:        aws.String(dst),
				CopySource: aws.String(encodeCopySource("src-bucket", key)),
			})
			if err != nil {
				t.Errorf("CopyObject from %q: %v", key, err)
				continue
			}
			if got := e.mustGet(t, "dst-bucket", dst); !bytes.Equal(got, data) {
				t.Errorf("copy of %q = %q; want %q", key, got, data)
			}
		}
	})

	t.Run("MissingSource", func(t *testing.T) {
		_, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket:     aws.String("dst-bucket"),
			Key:        aws.String("x"),
			CopySource: aws.String("src-bucket/does-not-exist"),
		})
		wantAPIError(t, "CopyObject(missing source)", err, "NoSuchKey", 404)
		_, err = e.s3.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket:     aws.String("dst-bucket"),
			Key:        aws.String("x"),
			CopySource: aws.String("no-such-source-bucket/k"),
		})
		wantAPIError(t, "CopyObject(missing source bucket)", err, "NoSuchBucket", 404)
	})
}

func TestSDKObjectTagging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "tags")
	e.mustPut(t, "tags", "k", []byte("x"))
	in := func() (*s3.GetObjectTaggingOutput, error) {
		return e.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")})
	}

	out, err := in()
	if err != nil {
		t.Fatalf("GetObjectTagging(untagged): %v", err)
	}
	if len(out.TagSet) != 0 {
		t.Errorf("untagged object TagSet = %v; want empty", out.TagSet)
	}

	want := map[string]string{"owner": "team a", "class": "raw/2025", "empty": ""}
	var set []types.Tag
	for k, v := range want {
		set = append(set, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := e.s3.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{
		Bucket: aws.String("tags"), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: set},
	}); err != nil {
		t.Fatalf("PutObjectTagging: %v", err)
	}
	out, err = in()
	if err != nil {
		t.Fatalf("GetObjectTagging: %v", err)
	}
	if got := tagMap(out.TagSet); !mapsEqual(got, want) {
		t.Errorf("GetObjectTagging = %v; want %v", got, want)
	}
	if got := e.mustGet(t, "tags", "k"); string(got) != "x" {
		t.Errorf("tagging changed the body: %q", got)
	}

	if _, err := e.s3.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")}); err != nil {
		t.Fatalf("DeleteObjectTagging: %v", err)
	}
	out, err = in()
	if err != nil {
		t.Fatalf("GetObjectTagging after delete: %v", err)
	}
	if len(out.TagSet) != 0 {
		t.Errorf("TagSet after DeleteObjectTagging = %v; want empty", out.TagSet)
	}

	_, err = e.s3.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{
		Bucket: aws.String("tags"), Key: aws.String("missing"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}},
	})
	wantAPIError(t, "PutObjectTagging(missing key)", err, "NoSuchKey", 404)
	_, err = e.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("missing")})
	wantAPIError(t, "GetObjectTagging(missing key)", err, "NoSuchKey", 404)
}

// listKeys is the key set of the listing tests, in S3 (byte) order.
var listKeys = []string{
	"a.txt",
	"dir/a b.txt",
	"dir/plus+sign.txt",
	"dir/sub/deep.txt",
	"dir/z.txt",
	"dir2/x.txt",
	"données/é.txt",
}

func TestSDKListObjects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "listing")
	for _, k := range listKeys {
		e.mustPut(t, "listing", k, []byte(k))
	}

	t.Run("V2All", func(t *testing.T) {
		out, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing")})
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		if got := objectKeys(out.Contents); !slices.Equal(got, listKeys) {
			t.Errorf("keys = %q; want %q", got, listKeys)
		}
		if got, want := aws.ToInt32(out.KeyCount), int32(len(listKeys)); got != want {
			t.Errorf("KeyCount = %d; want %d", got, want)
		}
		for _, o := range out.Contents {
			k := aws.ToString(o.Key)
			if got, want := aws.ToString(o.ETag), `"`+md5hex([]byte(k))+`"`; got != want {
				t.Errorf("%q ETag = %s; want %s", k, got, want)
			}
			if got, want := aws.ToInt64(o.Size), int64(len(k)); got != want {
				t.Errorf("%q Size = %d; want %d", k, got, want)
			}
			if o.LastModified == nil || o.LastModified.IsZero() {
				t.Errorf("%q has no LastModified", k)
			}
		}
	})

	for _, c := range []struct {
		name       string
		in         s3.ListObjectsV2Input
		keys       []string
		prefixes   []string
		truncated  bool
		keyCount   int32
		nextMarker bool
	}{
		{"Prefix", s3.ListObjectsV2Input{Prefix: aws.String("dir/")},
			[]string{"dir/a b.txt", "dir/plus+sign.txt", "dir/sub/deep.txt", "dir/z.txt"}, nil, false, 4, false},
		{"Delimiter", s3.ListObjectsV2Input{Delimiter: aws.String("/")},
			[]string{"a.txt"}, []string{"dir/", "dir2/", "données/"}, false, 4, false},
		{"PrefixDelimiter", s3.ListObjectsV2Input{Prefix: aws.String("dir/"), Delimiter: aws.String("/")},
			[]string{"dir/a b.txt", "dir/plus+sign.txt", "dir/z.txt"}, []string{"dir/sub/"}, false, 4, false},
		{"MaxKeys", s3.ListObjectsV2Input{MaxKeys: aws.Int32(2)},
			[]string{"a.txt", "dir/a b.txt"}, nil, true, 2, true},
		{"StartAfter", s3.ListObjectsV2Input{StartAfter: aws.String("dir/z.txt")},
			[]string{"dir2/x.txt", "données/é.txt"}, nil, false, 2, false},
		{"NoMatch", s3.ListObjectsV2Input{Prefix: aws.String("zzz")}, nil, nil, false, 0, false},
	} {
		t.Run("V2"+c.name, func(t *testing.T) {
			in := c.in
			in.Bucket = aws.String("listing")
			out, err := e.s3.ListObjectsV2(ctx, &in)
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			if got := objectKeys(out.Contents); !slices.Equal(got, c.keys) {
				t.Errorf("keys = %q; want %q", got, c.keys)
			}
			if got := prefixList(out.CommonPrefixes); !slices.Equal(got, c.prefixes) {
				t.Errorf("common prefixes = %q; want %q", got, c.prefixes)
			}
			if got := aws.ToBool(out.IsTruncated); got != c.truncated {
				t.Errorf("IsTruncated = %v; want %v", got, c.truncated)
			}
			if got := aws.ToInt32(out.KeyCount); got != c.keyCount {
				t.Errorf("KeyCount = %d; want %d", got, c.keyCount)
			}
			if got := out.NextContinuationToken != nil; got != c.nextMarker {
				t.Errorf("NextContinuationToken present = %v; want %v", got, c.nextMarker)
			}
		})
	}

	t.Run("V2Paginate", func(t *testing.T) {
		for _, delim := range []string{"", "/"} {
			var keys, prefixes []string
			p := s3.NewListObjectsV2Paginator(e.s3, &s3.ListObjectsV2Input{
				Bucket: aws.String("listing"), MaxKeys: aws.Int32(2), Delimiter: aws.String(delim),
			})
			for pages := 0; p.HasMorePages(); pages++ {
				if pages > 10 {
					t.Fatalf("delimiter %q: more than 10 pages of 2", delim)
				}
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("delimiter %q: page %d: %v", delim, pages, err)
				}
				if n := len(out.Contents) + len(out.CommonPrefixes); n > 2 {
					t.Errorf("delimiter %q: page %d has %d entries; want at most 2", delim, pages, n)
				}
				keys = append(keys, objectKeys(out.Contents)...)
				prefixes = append(prefixes, prefixList(out.CommonPrefixes)...)
			}
			wantKeys, wantPrefixes := listKeys, []string(nil)
			if delim == "/" {
				wantKeys, wantPrefixes = []string{"a.txt"}, []string{"dir/", "dir2/", "données/"}
			}
			if !slices.Equal(keys, wantKeys) {
				t.Errorf("delimiter %q: paginated keys = %q; want %q", delim, keys, wantKeys)
			}
			if !slices.Equal(prefixes, wantPrefixes) {
				t.Errorf("delimiter %q: paginated prefixes = %q; want %q", delim, prefixes, wantPrefixes)
			}
		}
	})

	t.Run("V2BadContinuationToken", func(t *testing.T) {
		_, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("listing"), ContinuationToken: aws.String("not a token!")})
		wantAPIError(t, "ListObjectsV2(bogus continuation token)", err, "InvalidArgument", 400)
	})

	t.Run("V2EncodingURL", func(t *testing.T) {
		out, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: aws.String("listing"), EncodingType: types.EncodingTypeUrl,
		})
		if err != nil {
			t.Fatalf("ListObjectsV2(encoding-type=url): %v", err)
		}
		if out.EncodingType != types.EncodingTypeUrl {
			t.Errorf("EncodingType = %q; want url", out.EncodingType)
		}
		checkURLEncodedKeys(t, objectKeys(out.Contents), listKeys)

		out, err = e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket: aws.String("listing"), EncodingType: types.EncodingTypeUrl,
			Delimiter: aws.String("/"), Prefix: aws.String("données/"),
		})
		if err != nil {
			t.Fatalf("ListObjectsV2(encoding-type=url, prefix): %v", err)
		}
		checkURLEncodedKeys(t, objectKeys(out.Contents), []string{"données/é.txt"})
		checkURLEncodedKeys(t, []string{aws.ToString(out.Prefix)}, []string{"données/"})
	})

	t.Run("V1", func(t *testing.T) {
		out, err := e.s3.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("listing")})
		if err != nil {
			t.Fatalf("ListObjects: %v", err)
		}
		if got := objectKeys(out.Contents); !slices.Equal(got, listKeys) {
			t.Errorf("ListObjects keys = %q; want %q", got, listKeys)
		}

		out, err = e.s3.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("listing"), Marker: aws.String("dir/sub/deep.txt"), Prefix: aws.String("dir")})
		if err != nil {
			t.Fatalf("ListObjects(marker): %v", err)
		}
		if got, want := objectKeys(out.Contents), []string{"dir/z.txt", "dir2/x.txt"}; !slices.Equal(got, want) {
			t.Errorf("ListObjects(marker) keys = %q; want %q", got, want)
		}

		// Pages of two with a delimiter: NextMarker carries the position.
		var keys, prefixes []string
		marker := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("ListObjects: more than 10 pages")
			}
			out, err := e.s3.ListObjects(ctx, &s3.ListObjectsInput{
				Bucket: aws.String("listing"), MaxKeys: aws.Int32(2), Delimiter: aws.String("/"), Marker: aws.String(marker),
			})
			if err != nil {
				t.Fatalf("ListObjects page %d: %v", pages, err)
			}
			keys = append(keys, objectKeys(out.Contents)...)
			prefixes = append(prefixes, prefixList(out.CommonPrefixes)...)
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			marker = aws.ToString(out.NextMarker)
			if marker == "" {
				t.Fatalf("ListObjects page %d: truncated with a delimiter but no NextMarker", pages)
			}
		}
		if got, want := keys, []string{"a.txt"}; !slices.Equal(got, want) {
			t.Errorf("ListObjects pages keys = %q; want %q", got, want)
		}
		if got, want := prefixes, []string{"dir/", "dir2/", "données/"}; !slices.Equal(got, want) {
			t.Errorf("ListObjects pages prefixes = %q; want %q", got, want)
		}

		out, err = e.s3.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("listing"), EncodingType: types.EncodingTypeUrl})
		if err != nil {
			t.Fatalf("ListObjects(encoding-type=url): %v", err)
		}
		checkURLEncodedKeys(t, objectKeys(out.Contents), listKeys)
	})
}

func objectKeys(objs []types.Object) []string {
	var ks []string
	for _, o := range objs {
		ks = append(ks, aws.ToString(o.Key))
	}
	return ks
}

func prefixList(ps []types.CommonPrefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

// checkURLEncodedKeys checks keys listed with encoding-type=url: each is
// plain ASCII without spaces and decodes (form-style, as SDKs do) to want.
func checkURLEncodedKeys(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("url-encoded listing has %d keys (%q); want %d", len(got), got, len(want))
		return
	}
	for i, g := range got {
		for _, r := range g {
			if r == ' ' || r > 0x7e {
				t.Errorf("url-encoded key %q contains %q; want it escaped", g, r)
				break
			}
		}
		dec, err := url.QueryUnescape(g)
		if err != nil {
			t.Errorf("url-encoded key %q does not decode: %v", g, err)
			continue
		}
		if dec != want[i] {
			t.Errorf("url-encoded key %q decodes to %q; want %q", g, dec, want[i])
		}
	}
}

func TestSDKVersionNull(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "versions")
	e.mustPut(t, "versions", "k1", []byte("one"))
	e.mustPut(t, "versions", "k2", []byte("two"))

	out, err := e.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("versions")})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	var keys []string
	for _, v := range out.Versions {
		keys = append(keys, aws.ToString(v.Key))
		if got := aws.ToString(v.VersionId); got != "null" {
			t.Errorf("%s VersionId = %q; want %q", aws.ToString(v.Key), got, "null")
		}
		if !aws.ToBool(v.IsLatest) {
			t.Errorf("%s IsLatest = false; want true", aws.ToString(v.Key))
		}
	}
	if got, want := keys, []string{"k1", "k2"}; !slices.Equal(got, want) {
		t.Errorf("ListObjectVersions keys = %q; want %q", got, want)
	}
	if len(out.DeleteMarkers) != 0 {
		t.Errorf("DeleteMarkers = %v; want none", out.DeleteMarkers)
	}
	// Paging by key and version: after (k1, null) comes k2.
	out, err = e.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("versions"),
		KeyMarker: aws.String("k1"), VersionIdMarker: aws.String("null")})
	if err != nil || len(out.Versions) != 1 || aws.ToString(out.Versions[0].Key) != "k2" {
		t.Errorf("ListObjectVersions after (k1, null) = %v, %v; want k2 alone", out, err)
	}
	_, err = e.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("versions"),
		VersionIdMarker: aws.String("null")})
	wantAPIError(t, "ListObjectVersions with a version marker and no key marker", err, "InvalidArgument", 400)
	_, err = e.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("versions"),
		KeyMarker: aws.String("k1"), VersionIdMarker: aws.String("3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")})
	wantAPIError(t, "ListObjectVersions with an unknown version marker", err, "InvalidArgument", 400)

	g, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("versions"), Key: aws.String("k1"), VersionId: aws.String("null")})
	if err != nil {
		t.Fatalf("GetObject(versionId=null): %v", err)
	}
	if got := readAllClose(t, g.Body); string(got) != "one" {
		t.Errorf("GetObject(versionId=null) = %q; want %q", got, "one")
	}
	if _, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("versions"), Key: aws.String("k1"), VersionId: aws.String("null")}); err != nil {
		t.Errorf("HeadObject(versionId=null): %v", err)
	}
	_, err = e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("versions"), Key: aws.String("k1"), VersionId: aws.String("3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")})
	if st := httpStatus(err); st < 400 || st >= 500 {
		t.Errorf("GetObject(unknown versionId): err = %v; want a 4xx", err)
	}
	if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("versions"), Key: aws.String("k1"), VersionId: aws.String("null")}); err != nil {
		t.Fatalf("DeleteObject(versionId=null): %v", err)
	}
	if e.exists(t, "versions", "k1") {
		t.Errorf("k1 still exists after DeleteObject(versionId=null)")
	}
}

func TestSDKMultipartUploader(t *testing.T) {
	if testing.Short() {
		t.Skip("17 MiB upload; skipped with -short")
	}
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "big")
	data := pattern(17<<20, 1)

	up := manager.NewUploader(e.s3, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
	out, err := up.Upload(ctx, &s3.PutObjectInput{
		Bucket: aws.String("big"),
		Key:    aws.String("dir/seventeen.bin"),
		Body:   bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("manager upload: %v", err)
	}
	wantETag := multipartETag(data[:5<<20], data[5<<20:10<<20], data[10<<20:15<<20], data[15<<20:])
	if got := aws.ToString(out.ETag); got != wantETag {
		t.Errorf("upload ETag = %s; want %s", got, wantETag)
	}
	got := e.mustGet(t, "big", "dir/seventeen.bin")
	if !bytes.Equal(got, data) {
		t.Fatalf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
	}
	h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("big"), Key: aws.String("dir/seventeen.bin"), PartNumber: aws.Int32(4)})
	if err != nil {
		t.Fatalf("HeadObject(partNumber=4): %v", err)
	}
	if got, want := aws.ToInt64(h.ContentLength), int64(2<<20); got != want {
		t.Errorf("HeadObject(partNumber=4) ContentLength = %d; want %d", got, want)
	}
	if got, want := aws.ToInt32(h.PartsCount), int32(4); got != want {
		t.Errorf("HeadObject(partNumber=4) PartsCount = %d; want %d", got, want)
	}
	if got := aws.ToString(h.ETag); got != wantETag {
		t.Errorf("HeadObject ETag = %s; want %s", got, wantETag)
	}
	// A part and a Range at once are refused, as on S3, not one ignored.
	_, err = e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("dir/seventeen.bin"),
		PartNumber: aws.Int32(1), Range: aws.String("bytes=0-10")})
	wantAPIError(t, "GetObject(partNumber=1, Range)", err, "InvalidRequest", 400)

	// The downloader fetches ranges in parallel.
	dl := manager.NewDownloader(e.s3, func(d *manager.Downloader) { d.PartSize = 4 << 20 })
	buf := manager.NewWriteAtBuffer(make([]byte, 0, len(data)))
	n, err := dl.Download(ctx, buf, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("dir/seventeen.bin")})
	if err != nil {
		t.Fatalf("manager download: %v", err)
	}
	if n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Errorf("manager download: %d bytes, equal = %v; want %d identical bytes", n, bytes.Equal(buf.Bytes(), data), len(data))
	}
}

func TestSDKMultipartByHand(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const bucket, key = "mpu", "dir/by hand.bin"
	e.mustCreateBucket(t, bucket)
	src := pattern(6<<20, 2)
	e.mustPut(t, bucket, "copy-source", src)

	cr, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String("application/x-test"),
		Metadata: map[string]string{"made": "by-hand"},
	})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	uid := cr.UploadId
	if aws.ToString(uid) == "" {
		t.Fatalf("CreateMultipartUpload returned no UploadId")
	}

	lu, err := e.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].Key) != key || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(uid) {
		t.Errorf("ListMultipartUploads = %+v; want one upload of %q", lu.Uploads, key)
	}

	p1 := pattern(5<<20, 3)
	p3 := []byte("the short last part")
	u1, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: uid,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(p1)})
	if err != nil {
		t.Fatalf("UploadPart 1: %v", err)
	}
	if got, want := aws.ToString(u1.ETag), `"`+md5hex(p1)+`"`; got != want {
		t.Errorf("UploadPart 1 ETag = %s; want %s", got, want)
	}
	if got, want := aws.ToString(u1.ChecksumCRC32), crc32b64(p1); got != want {
		t.Errorf("UploadPart 1 ChecksumCRC32 = %q; want %q", got, want)
	}
	u2, err := e.s3.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: uid,
		PartNumber: aws.Int32(2), CopySource: aws.String(bucket + "/copy-source"), CopySourceRange: aws.String("bytes=1024-5243903")})
	if err != nil {
		t.Fatalf("UploadPartCopy 2: %v", err)
	}
	p2 := src[1024 : 1024+5<<20]
	if u2.CopyPartResult == nil || aws.ToString(u2.CopyPartResult.ETag) != `"`+md5hex(p2)+`"` {
		t.Errorf("UploadPartCopy result = %+v; want ETag %q", u2.CopyPartResult, md5hex(p2))
	}
	u3, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: uid,
		PartNumber: aws.Int32(3), Body: bytes.NewReader(p3)})
	if err != nil {
		t.Fatalf("UploadPart 3: %v", err)
	}

	lp, err := e.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: uid})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	var nums []int32
	var sizes []int64
	for _, p := range lp.Parts {
		nums = append(nums, aws.ToInt32(p.PartNumber))
		sizes = append(sizes, aws.ToInt64(p.Size))
	}
	if got, want := nums, []int32{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("ListParts numbers = %v; want %v", got, want)
	}
	if got, want := sizes, []int64{5 << 20, 5 << 20, int64(len(p3))}; !slices.Equal(got, want) {
		t.Errorf("ListParts sizes = %v; want %v", got, want)
	}

	lp2, err := e.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: uid, MaxParts: aws.Int32(2)})
	if err != nil {
		t.Fatalf("ListParts(max-parts=2): %v", err)
	}
	if len(lp2.Parts) != 2 || !aws.ToBool(lp2.IsTruncated) || aws.ToString(lp2.NextPartNumberMarker) != "2" {
		t.Errorf("ListParts(max-parts=2): %d parts, truncated %v, next marker %q; want 2, true, \"2\"",
			len(lp2.Parts), aws.ToBool(lp2.IsTruncated), aws.ToString(lp2.NextPartNumberMarker))
	}

	co, err := e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: uid,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: u1.ETag},
			{PartNumber: aws.Int32(2), ETag: u2.CopyPartResult.ETag},
			{PartNumber: aws.Int32(3), ETag: u3.ETag},
		}},
	})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	wantETag := multipartETag(p1, p2, p3)
	if got := aws.ToString(co.ETag); got != wantETag {
		t.Errorf("Complete ETag = %s; want %s", got, wantETag)
	}
	if got, want := aws.ToString(co.Key), key; got != want {
		t.Errorf("Complete Key = %q; want %q", got, want)
	}
	// Location is the object's absolute URL, as S3 gives it.
	wantPath := "/" + bucket + "/" + strings.ReplaceAll(url.PathEscape(key), "%2F", "/")
	if loc, err := url.Parse(aws.ToString(co.Location)); err != nil || loc.Scheme != "http" ||
		"http://"+loc.Host != e.srv.URL || loc.EscapedPath() != wantPath {
		t.Errorf("Complete Location = %q; want %s%s", aws.ToString(co.Location), e.srv.URL, wantPath)
	}
	want := slices.Concat(p1, p2, p3)
	if got := e.mustGet(t, bucket, key); !bytes.Equal(got, want) {
		t.Errorf("completed object: %d bytes; want the %d bytes of the parts", len(got), len(want))
	}
	h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := aws.ToString(h.ContentType); got != "application/x-test" {
		t.Errorf("completed Content-Type = %q; want %q (set at CreateMultipartUpload)", got, "application/x-test")
	}
	if got := h.Metadata["made"]; got != "by-hand" {
		t.Errorf("completed metadata made = %q; want %q", got, "by-hand")
	}

	lu, err = e.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(lu.Uploads) != 0 {
		t.Errorf("ListMultipartUploads after complete = %+v; want none", lu.Uploads)
	}
	_, err = e.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: uid})
	wantAPIError(t, "ListParts(completed upload)", err, "NoSuchUpload", 404)
}

func TestSDKMultipartErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const bucket = "mpu-errors"
	e.mustCreateBucket(t, bucket)
	big, small := pattern(5<<20, 4), []byte("tiny")

	start := func(t *testing.T, key string) *string {
		t.Helper()
		out, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("CreateMultipartUpload: %v", err)
		}
		return out.UploadId
	}
	part := func(t *testing.T, key string, uid *string, n int32, body []byte) *string {
		t.Helper()
		out, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: uid,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", n, err)
		}
		return out.ETag
	}
	complete := func(key string, uid *string, parts ...types.CompletedPart) error {
		_, err := e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(bucket), Key: aws.String(key), UploadId: uid,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		return err
	}

	t.Run("EntityTooSmall", func(t *testing.T) {
		uid := start(t, "small")
		a := part(t, "small", uid, 1, small)
		b := part(t, "small", uid, 2, small)
		err := complete("small", uid, types.CompletedPart{PartNumber: aws.Int32(1), ETag: a}, types.CompletedPart{PartNumber: aws.Int32(2), ETag: b})
		wantAPIError(t, "Complete with a small non-last part", err, "EntityTooSmall", 400)
		if e.exists(t, bucket, "small") {
			t.Errorf("object created by a refused Complete")
		}
	})

	t.Run("OrderPartAndAbort", func(t *testing.T) {
		uid := start(t, "order")
		a := part(t, "order", uid, 1, big)
		b := part(t, "order", uid, 2, small)
		err := complete("order", uid, types.CompletedPart{PartNumber: aws.Int32(2), ETag: b}, types.CompletedPart{PartNumber: aws.Int32(1), ETag: a})
		wantAPIError(t, "Complete with parts out of order", err, "InvalidPartOrder", 400)
		err = complete("order", uid, types.CompletedPart{PartNumber: aws.Int32(1), ETag: aws.String(`"00000000000000000000000000000000"`)},
			types.CompletedPart{PartNumber: aws.Int32(2), ETag: b})
		wantAPIError(t, "Complete with a wrong part ETag", err, "InvalidPart", 400)
		err = complete("order", uid, types.CompletedPart{PartNumber: aws.Int32(1), ETag: a}, types.CompletedPart{PartNumber: aws.Int32(7), ETag: b})
		wantAPIError(t, "Complete naming a part never uploaded", err, "InvalidPart", 400)
		if e.exists(t, bucket, "order") {
			t.Errorf("object created by a refused Complete")
		}

		if _, err := e.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("order"), UploadId: uid}); err != nil {
			t.Fatalf("AbortMultipartUpload: %v", err)
		}
		_, err = e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("order"), UploadId: uid,
			PartNumber: aws.Int32(3), Body: bytes.NewReader([]byte("x"))})
		wantAPIError(t, "UploadPart after abort", err, "NoSuchUpload", 404)
		err = complete("order", uid, types.CompletedPart{PartNumber: aws.Int32(1), ETag: a}, types.CompletedPart{PartNumber: aws.Int32(2), ETag: b})
		wantAPIError(t, "Complete after abort", err, "NoSuchUpload", 404)
		_, err = e.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("order"), UploadId: uid})
		wantAPIError(t, "Abort after abort", err, "NoSuchUpload", 404)
		_, err = e.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("order"), UploadId: aws.String("no-such-upload-id")})
		wantAPIError(t, "ListParts(unknown upload id)", err, "NoSuchUpload", 404)
	})

	t.Run("PartNumberRange", func(t *testing.T) {
		uid := start(t, "numbers")
		for _, n := range []int32{0, 10001} {
			_, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("numbers"), UploadId: uid,
				PartNumber: aws.Int32(n), Body: bytes.NewReader(small)})
			wantAPIError(t, fmt.Sprintf("UploadPart(partNumber=%d)", n), err, "InvalidArgument", 400)
		}
		part(t, "numbers", uid, 10000, small)
		err := complete("numbers", uid)
		wantAPIError(t, "Complete with no parts", err, "MalformedXML", 400)
	})
}

func TestSDKKeyLength(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "keys")

	k1024 := strings.Repeat("k", 1020) + ".txt"
	e.mustPut(t, "keys", k1024, []byte("long"))
	if got := e.mustGet(t, "keys", k1024); string(got) != "long" {
		t.Errorf("1024-byte key body = %q; want %q", got, "long")
	}
	out, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("keys")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if got := objectKeys(out.Contents); len(got) != 1 || got[0] != k1024 {
		t.Errorf("listing does not return the 1024-byte key")
	}

	// 1024 bytes counted in UTF-8, not in characters.
	kUTF8 := strings.Repeat("é", 512)
	e.mustPut(t, "keys", kUTF8, []byte("utf8"))

	k1025 := strings.Repeat("k", 1021) + ".txt"
	_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("keys"), Key: aws.String(k1025), Body: strings.NewReader("x")})
	wantAPIError(t, "PutObject(1025-byte key)", err, "KeyTooLongError", 400)
	_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("keys"), Key: aws.String(kUTF8 + "x"), Body: strings.NewReader("x")})
	wantAPIError(t, "PutObject(1025-byte UTF-8 key)", err, "KeyTooLongError", 400)
}

func TestSDKAuthErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "auth")

	wrong := e.client(t, e.id, e.secret+"x")
	_, err := wrong.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantAPIError(t, "ListBuckets(wrong secret)", err, "SignatureDoesNotMatch", 403)
	_, err = wrong.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("auth"), Key: aws.String("k"), Body: strings.NewReader("x")})
	wantAPIError(t, "PutObject(wrong secret)", err, "SignatureDoesNotMatch", 403)

	unknown := e.client(t, "AKIAUNKNOWNUNKNOWN00", e.secret)
	_, err = unknown.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantAPIError(t, "ListBuckets(unknown key id)", err, "InvalidAccessKeyId", 403)
	_, err = unknown.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("auth"), Key: aws.String("k")})
	wantAPIError(t, "GetObject(unknown key id)", err, "InvalidAccessKeyId", 403)

	if e.exists(t, "auth", "k") {
		t.Errorf("object stored by a request with a wrong signature")
	}

	r := e.do(t, rawRequest{method: http.MethodGet, target: "/auth?list-type=2", unsigned: true})
	wantRawError(t, "anonymous ListObjectsV2", r, 403, "AccessDenied")
}

func TestSDKPresignedURLs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "presigned")
	pc := s3.NewPresignClient(e.s3)
	key := "dir/pre signed+key é.txt"
	body := []byte("uploaded through a presigned URL\n")

	put, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("presigned"), Key: aws.String(key)},
		s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	req, err := http.NewRequest(put.Method, put.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("build PUT: %v", err)
	}
	for k, vs := range put.SignedHeader {
		if strings.EqualFold(k, "Host") {
			continue
		}
		req.Header[k] = vs
	}
	r := e.send(t, req)
	if r.status != 200 {
		t.Fatalf("presigned PUT: %d %s", r.status, r.body)
	}
	if got, want := r.header.Get("ETag"), `"`+md5hex(body)+`"`; got != want {
		t.Errorf("presigned PUT ETag = %s; want %s", got, want)
	}

	get, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("presigned"), Key: aws.String(key)},
		s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	r = e.get(t, get.URL)
	if r.status != 200 || !bytes.Equal(r.body, body) {
		t.Errorf("presigned GET: %d %q; want 200 %q", r.status, r.body, body)
	}

	// Tampering with the signed query breaks the signature.
	u, err := url.Parse(get.URL)
	if err != nil {
		t.Fatalf("parse presigned URL: %v", err)
	}
	q := u.Query()
	q.Set("X-Amz-Expires", "601")
	u.RawQuery = q.Encode()
	r = e.get(t, u.String())
	wantRawError(t, "presigned GET with an altered X-Amz-Expires", r, 403, "SignatureDoesNotMatch")

	head, err := pc.PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("presigned"), Key: aws.String("missing")})
	if err != nil {
		t.Fatalf("PresignHeadObject: %v", err)
	}
	hreq, err := http.NewRequest(http.MethodHead, head.URL, nil)
	if err != nil {
		t.Fatalf("build HEAD: %v", err)
	}
	if r := e.send(t, hreq); r.status != 404 {
		t.Errorf("presigned HEAD of a missing key: %d; want 404", r.status)
	}
}

// recorder is an http.RoundTripper that keeps the headers of each request.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, target string
	header         http.Header
	contentLength  int64
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.RequestURI(), req.Header.Clone(), req.ContentLength})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) find(method, sub string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, x := range r.reqs {
		if x.method == method && strings.Contains(x.target, sub) {
			out = append(out, x)
		}
	}
	return out
}

func TestSDKTrailingChecksumTLS(t *testing.T) {
	e := newTLSEnv(t)
	ctx := context.Background()
	rec := &recorder{next: e.srv.Client().Transport}
	cl := e.clientWith(e.s3.Options().Credentials, &http.Client{Transport: rec})
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("tls")}); err != nil {
		t.Fatalf("CreateBucket over TLS: %v", err)
	}

	checkChunked := func(t *testing.T, reqs []recorded) {
		t.Helper()
		if len(reqs) == 0 {
			t.Fatalf("request not recorded")
		}
		h := reqs[len(reqs)-1].header
		if got := h.Get("Content-Encoding"); !strings.Contains(got, "aws-chunked") {
			t.Errorf("SDK request Content-Encoding = %q; want aws-chunked (test premise)", got)
		}
		if got, want := h.Get("X-Amz-Trailer"), "x-amz-checksum-crc32"; got != want {
			t.Errorf("SDK request X-Amz-Trailer = %q; want %q (test premise)", got, want)
		}
	}

	t.Run("PutObject", func(t *testing.T) {
		for i, size := range []int{1, 1000, 70 << 10, 1 << 20} {
			data := pattern(size, byte(10+i))
			key := fmt.Sprintf("put-%d.bin", size)
			out, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tls"), Key: aws.String(key), Body: bytes.NewReader(data)})
			if err != nil {
				t.Fatalf("PutObject %d bytes: %v", size, err)
			}
			checkChunked(t, rec.find(http.MethodPut, key))
			if got, want := aws.ToString(out.ETag), `"`+md5hex(data)+`"`; got != want {
				t.Errorf("PutObject %d bytes ETag = %s; want %s", size, got, want)
			}
			if got, want := aws.ToString(out.ChecksumCRC32), crc32b64(data); got != want {
				t.Errorf("PutObject %d bytes ChecksumCRC32 = %q; want %q", size, got, want)
			}
			g, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tls"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			if got := readAllClose(t, g.Body); !bytes.Equal(got, data) {
				t.Errorf("round trip of %d bytes: got %d bytes, equal = false", size, len(got))
			}
			if got, want := aws.ToString(g.ChecksumCRC32), crc32b64(data); got != want {
				t.Errorf("GetObject ChecksumCRC32 = %q; want %q", got, want)
			}
			if got := aws.ToString(g.ContentEncoding); strings.Contains(got, "aws-chunked") {
				t.Errorf("stored Content-Encoding = %q; aws-chunked must be stripped", got)
			}
		}
	})

	t.Run("UploadPart", func(t *testing.T) {
		const key = "mpu-over-tls.bin"
		cr, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("tls"), Key: aws.String(key),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatalf("CreateMultipartUpload: %v", err)
		}
		p1, p2 := pattern(5<<20, 20), pattern(12345, 21)
		var parts []types.CompletedPart
		for i, p := range [][]byte{p1, p2} {
			n := int32(i + 1)
			out, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("tls"), Key: aws.String(key), UploadId: cr.UploadId,
				PartNumber: aws.Int32(n), Body: bytes.NewReader(p), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
			if err != nil {
				t.Fatalf("UploadPart %d: %v", n, err)
			}
			checkChunked(t, rec.find(http.MethodPut, fmt.Sprintf("partNumber=%d", n)))
			if got, want := aws.ToString(out.ETag), `"`+md5hex(p)+`"`; got != want {
				t.Errorf("UploadPart %d ETag = %s; want %s", n, got, want)
			}
			if got, want := aws.ToString(out.ChecksumCRC32), crc32b64(p); got != want {
				t.Errorf("UploadPart %d ChecksumCRC32 = %q; want %q", n, got, want)
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
		}
		co, err := cl.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("tls"), Key: aws.String(key),
			UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		if err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		if got, want := aws.ToString(co.ETag), multipartETag(p1, p2); got != want {
			t.Errorf("Complete ETag = %s; want %s", got, want)
		}
		g, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tls"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		if got := readAllClose(t, g.Body); !bytes.Equal(got, slices.Concat(p1, p2)) {
			t.Errorf("multipart round trip over TLS: %d bytes differ from the parts", len(got))
		}
	})

	t.Run("Uploader", func(t *testing.T) {
		if testing.Short() {
			t.Skip("11 MiB upload; skipped with -short")
		}
		data := pattern(11<<20, 30)
		up := manager.NewUploader(cl, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
		if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("tls"), Key: aws.String("managed.bin"), Body: bytes.NewReader(data)}); err != nil {
			t.Fatalf("manager upload over TLS: %v", err)
		}
		g, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tls"), Key: aws.String("managed.bin")})
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		if got := readAllClose(t, g.Body); !bytes.Equal(got, data) {
			t.Errorf("managed upload over TLS: %d bytes differ from the %d uploaded", len(got), len(data))
		}
	})
}

func TestSDKAwkwardKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateBucket(t, "awkward")
	keys := []string{
		"./dot-lead",
		"a/./b",
		"a/../b",
		"a/b",
		"dir/",
		"q?mark#hash",
		"semi;colon,comma",
		"tab\tinside",
		"emoji 😀.txt",
		"&amp;<lt>\"quote'",
	}
	for i, k := range keys {
		body := []byte(fmt.Sprintf("%d", i))
		e.mustPut(t, "awkward", k, body)
		if got := e.mustGet(t, "awkward", k); !bytes.Equal(got, body) {
			t.Errorf("GetObject(%q) = %q; want %q", k, got, body)
		}
	}
	out, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("awkward")})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if got := objectKeys(out.Contents); !slices.Equal(got, want) {
		t.Errorf("listed keys =\n%q\nwant\n%q", got, want)
	}
}
