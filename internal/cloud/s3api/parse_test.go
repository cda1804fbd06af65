package s3api

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"inlet/internal/objstore"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		name       string
		header     string
		size       int64
		start, end int64
		ok         bool
		invalid    bool
	}{
		{"closed", "bytes=0-9", 100, 0, 9, true, false},
		{"open ended", "bytes=90-", 100, 90, 99, true, false},
		{"end past size", "bytes=90-200", 100, 90, 99, true, false},
		{"suffix", "bytes=-5", 100, 95, 99, true, false},
		{"suffix longer than object", "bytes=-500", 100, 0, 99, true, false},
		{"start past end", "bytes=100-", 100, 0, 0, false, true},
		{"empty object", "bytes=0-", 0, 0, 0, false, true},
		{"suffix zero", "bytes=-0", 100, 0, 0, false, true},
		{"several ranges ignored", "bytes=0-1,5-6", 100, 0, 0, false, false},
		{"bad unit ignored", "items=0-1", 100, 0, 0, false, false},
		{"reversed ignored", "bytes=9-1", 100, 0, 0, false, false},
		{"garbage ignored", "bytes=a-b", 100, 0, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end, ok, err := parseRange(tt.header, tt.size)
			if tt.invalid {
				if err == nil || toWire(err).Code != "InvalidRange" {
					t.Fatalf("parseRange(%q, %d) error = %v; want InvalidRange", tt.header, tt.size, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseRange(%q, %d) error = %v", tt.header, tt.size, err)
			}
			if ok != tt.ok || start != tt.start || end != tt.end {
				t.Errorf("parseRange(%q, %d) = %d, %d, %v; want %d, %d, %v", tt.header, tt.size, start, end, ok, tt.start, tt.end, tt.ok)
			}
		})
	}
}

func TestCheckConditions(t *testing.T) {
	lm := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := objstore.ObjectMeta{ETag: "abc", LastModified: lm}
	before := lm.Add(-time.Hour).Format(http.TimeFormat)
	after := lm.Add(time.Hour).Format(http.TimeFormat)
	tests := []struct {
		name    string
		headers map[string]string
		want    string // "" for no error
	}{
		{"none", nil, ""},
		{"if-match hit", map[string]string{"If-Match": `"abc"`}, ""},
		{"if-match miss", map[string]string{"If-Match": `"xyz"`}, "PreconditionFailed"},
		{"if-match star", map[string]string{"If-Match": "*"}, ""},
		{"if-none-match hit", map[string]string{"If-None-Match": `"abc"`}, "NotModified"},
		{"if-none-match miss", map[string]string{"If-None-Match": `"xyz"`}, ""},
		{"modified since before", map[string]string{"If-Modified-Since": before}, ""},
		{"modified since after", map[string]string{"If-Modified-Since": after}, "NotModified"},
		{"unmodified since before", map[string]string{"If-Unmodified-Since": before}, "PreconditionFailed"},
		{"unmodified since after", map[string]string{"If-Unmodified-Since": after}, ""},
		// If-Match decides over If-Unmodified-Since.
		{"match wins over unmodified", map[string]string{"If-Match": `"abc"`, "If-Unmodified-Since": before}, ""},
		// If-None-Match decides over If-Modified-Since.
		{"none-match wins over modified", map[string]string{"If-None-Match": `"xyz"`, "If-Modified-Since": after}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			err := checkConditions(h, m, "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since")
			got := ""
			if err != nil {
				got = toWire(err).Code
			}
			if got != tt.want {
				t.Errorf("checkConditions(%v) = %q; want %q", tt.headers, got, tt.want)
			}
		})
	}
}

func TestCopySource(t *testing.T) {
	tests := []struct {
		in          string
		bucket, key string
		wantErr     bool
	}{
		{"srcb/odd%20key%2Bplus/%C3%BC%20%C3%B1.bin", "srcb", "odd key+plus/ü ñ.bin", false},
		{"/b/incoming/staging/report%202025%2Bfinal.csv", "b", "incoming/staging/report 2025+final.csv", false},
		{"b/a%252Bb", "b", "a%2Bb", false},
		{"b/k?versionId=null", "b", "k", false},
		{"b/k?versionId=abc", "", "", true},
		{"b", "", "", true},
		{"b/", "", "", true},
		{"b/%zz", "", "", true},
	}
	for _, tt := range tests {
		b, k, err := copySource(tt.in)
		if (err != nil) != tt.wantErr || b != tt.bucket || k != tt.key {
			t.Errorf("copySource(%q) = %q, %q, %v; want %q, %q, error %v", tt.in, b, k, err, tt.bucket, tt.key, tt.wantErr)
		}
	}
}

func TestURLEncodeKey(t *testing.T) {
	tests := map[string]string{
		"a b+c~d.csv":         "a%20b%2Bc~d.csv",
		"dir/x=1/données.csv": "dir/x%3D1/donn%C3%A9es.csv",
		"100%.csv":            "100%25.csv",
	}
	for in, want := range tests {
		if got := urlEncodeKey(in); got != want {
			t.Errorf("urlEncodeKey(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestValidBucketName(t *testing.T) {
	for name, want := range map[string]bool{
		"abc": true, "my-bucket.data": true, "a1-b2": true,
		"ab": false, "Abc": false, "-abc": false, "abc-": false, "a..b": false,
		"192.168.1.1": false, "xn--abc": false, "abc-s3alias": false, "a_b": false,
		"a234567890123456789012345678901234567890123456789012345678901234": false,
	} {
		if got := validBucketName(name); got != want {
			t.Errorf("validBucketName(%q) = %v; want %v", name, got, want)
		}
	}
}

func TestRoute(t *testing.T) {
	tests := []struct {
		method, bucket, key, query string
		header                     string
		want                       string
	}{
		{"GET", "", "", "", "", "ListBuckets"},
		{"PUT", "b", "", "", "", "CreateBucket"},
		{"GET", "b", "", "list-type=2&prefix=", "", "ListObjectsV2"},
		{"GET", "b", "", "delimiter=&max-keys=1000&prefix=", "", "ListObjects"},
		{"GET", "b", "", "versions", "", "ListObjectVersions"},
		{"GET", "b", "", "uploads", "", "ListMultipartUploads"},
		{"POST", "b", "", "delete", "", "DeleteObjects"},
		{"PUT", "b", "k", "x-id=PutObject", "", "PutObject"},
		{"PUT", "b", "k", "", "x-amz-copy-source", "CopyObject"},
		{"PUT", "b", "k", "partNumber=1&uploadId=u", "", "UploadPart"},
		{"PUT", "b", "k", "partNumber=1&uploadId=u", "x-amz-copy-source", "UploadPartCopy"},
		{"POST", "b", "k", "uploads", "", "CreateMultipartUpload"},
		{"POST", "b", "k", "uploads=", "", "CreateMultipartUpload"},
		{"POST", "b", "k", "uploadId=u", "", "CompleteMultipartUpload"},
		{"DELETE", "b", "k", "uploadId=u", "", "AbortMultipartUpload"},
		{"GET", "b", "k", "tagging", "", "GetObjectTagging"},
		{"GET", "b", "k", "versionId=null", "", "GetObject"},
		{"GET", "b", "k", "retention", "", "Unknown"},
		{"PUT", "b", "", "lifecycle", "", "Unknown"},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		h := http.Header{}
		if tt.header != "" {
			h.Set(tt.header, "x")
		}
		_, got := route(tt.method, tt.bucket, tt.key, q, h)
		if got != tt.want {
			t.Errorf("route(%s /%s/%s?%s) = %s; want %s", tt.method, tt.bucket, tt.key, tt.query, got, tt.want)
		}
	}
}

// TestBoundedGo: past its bound, boundedGo drops and counts functions
// rather than starting goroutines, and takes new ones once slots free up.
func TestBoundedGo(t *testing.T) {
	g := newBoundedGo(3)
	release := make(chan struct{})
	var running sync.WaitGroup
	for i := range 3 {
		running.Add(1)
		if ok, dropped := g.start(func() { defer running.Done(); <-release }); !ok || dropped != 0 {
			t.Fatalf("start %d = %v, %d dropped; want started", i, ok, dropped)
		}
	}
	for want := int64(1); want <= 4; want++ {
		if ok, dropped := g.start(func() { t.Error("a dropped function ran") }); ok || dropped != want {
			t.Fatalf("start beyond the bound = %v, %d dropped; want false, %d", ok, dropped, want)
		}
	}
	close(release)
	running.Wait()
	done := make(chan struct{})
	deadline := time.After(10 * time.Second)
	for { // a slot frees once its goroutine has returned
		if ok, _ := g.start(func() { close(done) }); ok {
			break
		}
		select {
		case <-deadline:
			t.Fatal("no slot free after the running functions returned")
		case <-time.After(time.Millisecond):
		}
	}
	<-done
}

func TestCheckTag(t *testing.T) {
	tests := []struct {
		key, value string
		ok         bool
	}{
		{"team", "data-platform", true},
		{"path", "s3://b/k_1.csv", true},
		{"a b", "x=y+z@q:r", true},
		{strings.Repeat("ü", 128), strings.Repeat("ü", 256), true}, // characters, not bytes
		{strings.Repeat("ü", 129), "v", false},
		{"k", strings.Repeat("ü", 257), false},
		{"", "v", false},
		{"k", "", true},
		{"star*", "v", false},
		{"k", "semi;colon", false},
		{"k", "bad\xffutf8", false},
		{"aws:createdBy", "v", false},
		{"日本語", "値", true},
	}
	for _, tt := range tests {
		err := checkTag(tt.key, tt.value)
		if (err == nil) != tt.ok {
			t.Errorf("checkTag(%q, %q) = %v; want ok %v", tt.key, tt.value, err, tt.ok)
		}
		if err != nil && err.(*Error).Code != "InvalidTag" {
			t.Errorf("checkTag(%q, %q) code %s; want InvalidTag", tt.key, tt.value, err.(*Error).Code)
		}
	}
}
