package sigv4

import (
	"io"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00")
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
	f.Add("AWS4-HMAC-SHA256 Credential=//////, SignedHeaders=;;, Signature=")
	f.Fuzz(func(t *testing.T, v string) {
		a, err := parseAuthorization(v)
		if err != nil {
			if err.Status < 400 || err.Status > 499 {
				t.Fatalf("status %d for %q", err.Status, v)
			}
			return
		}
		if a.cred.accessKeyID == "" || a.cred.scope == "" || len(a.names) == 0 {
			t.Fatalf("accepted %q as %+v", v, a)
		}
		for _, n := range a.names {
			if n == "" || n != strings.ToLower(n) {
				t.Fatalf("signed header name %q from %q", n, v)
			}
		}
	})
}

func FuzzParsePresignedQuery(f *testing.F) {
	f.Add(readRequest(f, awsPresignedExample, "").URL.RawQuery)
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Expires=-1")
	f.Add("X%2DAmz-Signature=%zz&&=&X-Amz-Date=20130524T000000Z")
	f.Add("uploads&acl=&prefix=a+b%20c")
	v := newVerifier(exampleTime)
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := parsePresignedQuery(q); err != nil && err.Status != 400 {
			t.Fatalf("status %d for %q", err.Status, q)
		}
		appendCanonicalQuery(nil, q, true, nil, nil)

		// The whole verification must answer 4xx or nothing, never panic.
		r := readRequest(t, awsPresignedExample, "")
		r.URL.RawQuery = q
		r.RequestURI = "/test.txt?" + q
		_, err := v.Verify(r)
		var e *Error
		if err != nil && (!asError(err, &e) || e.Status < 400 || e.Status > 499) {
			t.Fatalf("Verify(%q) = %v", q, err)
		}
	})
}

func FuzzChunkedReader(f *testing.F) {
	f.Add([]byte("6\r\nhello\n\r\n0\r\nx-amz-checksum-crc32:NjowIA==\r\n\r\n"), uint8(0))
	f.Add([]byte(signedChunkedBody(testSeed, []string{"abc", "de"}, [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}})), uint8(3))
	f.Add([]byte(signedChunkedBody(testSeed, []string{"hello"}, nil)), uint8(1))
	f.Add([]byte("ffffffffffffff;chunk-signature=00\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		opt := chunkedOptions{
			signed:        mode&1 != 0,
			trailer:       mode&2 != 0,
			seed:          testSeedBytes(),
			decodedLength: -1,
		}
		if mode&4 != 0 {
			opt.declared = []string{"x-amz-checksum-crc32"}
		}
		if mode&8 != 0 {
			opt.decodedLength = int64(mode >> 4)
		}
		r, _ := chunkedTestReader(string(body), opt)
		buf := make([]byte, 1+int(mode)%7)
		var n int
		for i := 0; ; i++ {
			m, err := r.Read(buf)
			n += m
			if err == io.EOF {
				break
			}
			if err != nil {
				var e *Error
				if !asError(err, &e) || e.Status < 400 || e.Status > 499 {
					t.Fatalf("Read error %v", err)
				}
				break
			}
			if i > 2*len(body)+10 {
				t.Fatalf("no progress after %d reads", i)
			}
		}
		if n > len(body) {
			t.Fatalf("read %d bytes from a %d-byte body", n, len(body))
		}
	})
}
