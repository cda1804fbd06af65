package sigv4

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const case14Key = "ingestion/datasets/version=1/datasetId=ds-0001/2025-01-15/orders.csv"

// case14Presign builds a presigned GET by hand, as 14-presign-and-skew.py
// does, so out-of-range values and back-dated signatures can be made.
func case14Presign(t *testing.T, expires string, signedAt time.Time) *http.Request {
	t.Helper()
	amz := signedAt.UTC().Format(amzTimeFormat)
	scope := amz[:8] + "/us-east-1/s3/aws4_request"
	path := "/partner-bucket/" + strings.ReplaceAll(url.PathEscape(case14Key), "%2F", "/")
	path = strings.ReplaceAll(path, "=", "%3D")
	q := "X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=" + url.QueryEscape(exampleAKID+"/"+scope) +
		"&X-Amz-Date=" + amz +
		"&X-Amz-Expires=" + url.QueryEscape(expires) +
		"&X-Amz-SignedHeaders=host"
	canon := "GET\n" + path + "\n" + q + "\nhost:127.0.0.1:9000\n\nhost\nUNSIGNED-PAYLOAD"
	sig := testSign(exampleSecret, amz, scope, canon)
	return readRequest(t, "GET "+path+"?"+q+"&X-Amz-Signature="+sig+" HTTP/1.1\nHost: 127.0.0.1:9000", "")
}

// TestCase14Presign checks presigned-URL lifetimes with a fixed clock.
func TestCase14Presign(t *testing.T) {
	now := exampleTime
	cases := []struct {
		name     string
		expires  string
		signedAt time.Time
		now      time.Time
		code     string // "" for success
		status   int
		message  string
	}{
		{name: "A week", expires: "604800", signedAt: now, now: now},
		{name: "A week, used at its end", expires: "604800", signedAt: now, now: now.Add(604800 * time.Second)},
		{name: "B over a week", expires: "609901", signedAt: now, now: now,
			code: CodeAuthorizationQueryParameters, status: 403,
			message: "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{name: "C 3600 signed 20 min ago", expires: "3600", signedAt: now.Add(-20 * time.Minute), now: now},
		{name: "D 600 signed 20 min ago", expires: "600", signedAt: now.Add(-20 * time.Minute), now: now,
			code: CodeAccessDenied, status: 403, message: "Request has expired"},
		{name: "E 1 s used after 3 s", expires: "1", signedAt: now, now: now.Add(3 * time.Second),
			code: CodeAccessDenied, status: 403, message: "Request has expired"},
		{name: "F signed 20 min in the future", expires: "3600", signedAt: now.Add(20 * time.Minute), now: now,
			code: CodeAccessDenied, status: 403, message: "Request is not valid yet"},
		{name: "signed 10 min in the future", expires: "3600", signedAt: now.Add(10 * time.Minute), now: now},
		{name: "G zero", expires: "0", signedAt: now, now: now, code: CodeAuthorizationQueryParameters, status: 403},
		{name: "G negative", expires: "-1", signedAt: now, now: now, code: CodeAuthorizationQueryParameters, status: 403,
			message: "X-Amz-Expires must be non-negative"},
		{name: "G not a number", expires: "abc", signedAt: now, now: now, code: CodeAuthorizationQueryParameters, status: 403,
			message: "X-Amz-Expires should be a number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := newVerifier(tc.now).Verify(case14Presign(t, tc.expires, tc.signedAt))
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Verify = %v; want success", err)
				}
				if !a.Presigned || !a.Date.Equal(tc.signedAt.Truncate(time.Second)) {
					t.Errorf("Auth = %+v", a)
				}
				return
			}
			e := wantErr(t, err, tc.code, tc.status)
			if tc.message != "" && e.Message != tc.message {
				t.Errorf("message = %q; want %q", e.Message, tc.message)
			}
		})
	}
}

// sdkHeaderRequest signs a GET with the SDK at signedAt and returns what a
// server sees.
func sdkHeaderRequest(t *testing.T, signedAt time.Time, edit func(*http.Request)) *http.Request {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://127.0.0.1:9000/partner-bucket/"+case14Key, nil)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if edit != nil {
		edit(req)
	}
	if err := sdkSigner.SignHTTP(context.Background(), sdkCreds, req, emptySHA256, "s3", "us-east-1", signedAt); err != nil {
		t.Fatal(err)
	}
	return serverSide(t, req)
}

// TestCase14Skew checks the clock skew of header-signed requests.
func TestCase14Skew(t *testing.T) {
	v := newVerifier(exampleTime)
	for _, off := range []time.Duration{-10 * time.Minute, 10 * time.Minute, 15 * time.Minute} {
		if _, err := v.Verify(sdkHeaderRequest(t, exampleTime.Add(off), nil)); err != nil {
			t.Errorf("signed %v off: Verify = %v; want success", off, err)
		}
	}
	for _, off := range []time.Duration{-20 * time.Minute, 20 * time.Minute, 16 * time.Minute} {
		signedAt := exampleTime.Add(off)
		_, err := v.Verify(sdkHeaderRequest(t, signedAt, nil))
		e := wantErr(t, err, CodeRequestTimeTooSkewed, http.StatusForbidden)
		want := [][2]string{
			{"RequestTime", signedAt.Format(amzTimeFormat)},
			{"ServerTime", "2013-05-24T00:00:00Z"},
			{"MaxAllowedSkewMilliseconds", "900000"},
		}
		if len(e.Extra) != 3 || e.Extra[0] != want[0] || e.Extra[1] != want[1] || e.Extra[2] != want[2] {
			t.Errorf("signed %v off: Extra = %q; want %q", off, e.Extra, want)
		}
	}
}

type failingCredentials struct{ err error }

func (c failingCredentials) SecretKey(context.Context, string) (string, error) { return "", c.err }

func TestVerifyErrors(t *testing.T) {
	good := func(t *testing.T) *http.Request { return sdkHeaderRequest(t, exampleTime, nil) }
	setAuth := func(old, new string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := good(t)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
			return r
		}
	}
	cases := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		code    string
		status  int
		message string
	}{
		{"unknown key", setAuth(exampleAKID, "AKIDUNKNOWN"), CodeInvalidAccessKeyID, 403,
			"The AWS Access Key Id you provided does not exist in our records."},
		{"bad signature", setAuth("Signature=", "Signature=0"), CodeAuthorizationHeaderMalformed, 400, ""},
		{"wrong signature", func(t *testing.T) *http.Request {
			r := good(t)
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-64]+strings.Repeat("0", 64))
			return r
		}, CodeSignatureDoesNotMatch, 403, msgSignatureDoesNotMatch},
		{"sigv2 header", setHeader("Authorization", "AWS "+exampleAKID+":frJIUN8DYpKDtOLCwo//yllqDzg="),
			CodeInvalidRequest, 400, msgSigV2},
		{"sigv2 query", func(t *testing.T) *http.Request {
			return readRequest(t, "GET /b/k?AWSAccessKeyId="+exampleAKID+"&Expires=1369353600&Signature=abc%2B HTTP/1.1\nHost: h", "")
		}, CodeInvalidRequest, 400, msgSigV2},
		{"bearer", setHeader("Authorization", "Bearer abc"), CodeInvalidArgument, 400, "Unsupported Authorization Type"},
		{"sigv4a", setAuth("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"), CodeInvalidRequest, 400, ""},
		{"empty authorization", setHeader("Authorization", ""), CodeInvalidArgument, 400, ""},
		{"header and query", func(t *testing.T) *http.Request {
			r := good(t)
			r.URL.RawQuery = "X-Amz-Signature=abc"
			r.RequestURI += "?X-Amz-Signature=abc"
			return r
		}, CodeInvalidArgument, 400, ""},
		{"missing signature", setAuth(", Signature=", ", Sig="), CodeAuthorizationHeaderMalformed, 400, ""},
		{"no signed headers", setAuth("SignedHeaders=", "SignedHeader="), CodeAuthorizationHeaderMalformed, 400, ""},
		{"credential short", setAuth("/20130524/us-east-1", "/us-east-1"), CodeAuthorizationHeaderMalformed, 400,
			`The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`},
		{"wrong terminal", setAuth("aws4_request", "aws5_request"), CodeAuthorizationHeaderMalformed, 400, ""},
		{"wrong service", setAuth("/s3/", "/ec2/"), CodeAuthorizationHeaderMalformed, 400, ""},
		{"credential date", setAuth("/20130524/", "/20130525/"), CodeAuthorizationHeaderMalformed, 400,
			"The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date."},
		{"host not signed", setAuth("SignedHeaders=host;", "SignedHeaders="), CodeAuthorizationHeaderMalformed, 400, ""},
		{"no date", func(t *testing.T) *http.Request {
			r := good(t)
			r.Header.Del("X-Amz-Date")
			return r
		}, CodeAccessDenied, 403, "AWS authentication requires a valid Date or x-amz-date header"},
		{"bad date", setHeader("X-Amz-Date", "2013-05-24T00:00:00Z"), CodeAccessDenied, 403, ""},
		{"unsigned x-amz header", setHeader("X-Amz-Meta-Owner", "me"), CodeAccessDenied, 403,
			"There were headers present in the request which were not signed"},
		{"no payload hash", func(t *testing.T) *http.Request {
			r := good(t)
			r.Header.Del("X-Amz-Content-Sha256")
			return r
		}, CodeInvalidRequest, 400, "Missing required header for this request: x-amz-content-sha256"},
		{"bad payload hash", setHeader("X-Amz-Content-Sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"),
			CodeInvalidArgument, 400, ""},
		{"two authorization headers", func(t *testing.T) *http.Request {
			r := good(t)
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
			return r
		}, CodeAuthorizationHeaderMalformed, 400, ""},
	}
	v := newVerifier(exampleTime)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req(t)
			sig := r.Header.Get("Authorization")
			_, err := v.Verify(r)
			e := wantErr(t, err, tc.code, tc.status)
			if tc.message != "" && e.Message != tc.message {
				t.Errorf("message = %q; want %q", e.Message, tc.message)
			}
			if i := strings.Index(sig, "Signature="); i >= 0 {
				sig = sig[i+len("Signature="):]
			}
			for _, s := range append([]string{e.Message}, flatten(e.Extra)...) {
				if strings.Contains(s, exampleSecret) || len(sig) == 64 && strings.Contains(s, sig) {
					t.Errorf("error shows a secret or the signature: %q", s)
				}
			}
		})
	}
}

func setHeader(name, value string) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		r := sdkHeaderRequest(t, exampleTime, nil)
		r.Header.Set(name, value)
		return r
	}
}

func flatten(kv [][2]string) []string {
	var out []string
	for _, p := range kv {
		out = append(out, p[0], p[1])
	}
	return out
}

func TestUnsignedHeadersListed(t *testing.T) {
	r := sdkHeaderRequest(t, exampleTime, nil)
	r.Header.Set("X-Amz-Acl", "private")
	r.Header.Set("X-Amz-Meta-A", "1")
	r.Header.Set("X-Amzn-Trace-Id", "Root=1") // a load balancer's, not x-amz-
	_, err := newVerifier(exampleTime).Verify(r)
	e := wantErr(t, err, CodeAccessDenied, 403)
	if got := extra(e, "HeadersNotSigned"); got != "x-amz-acl, x-amz-meta-a" {
		t.Errorf("HeadersNotSigned = %q", got)
	}
}

func TestSignedAmzHeaders(t *testing.T) {
	r := sdkHeaderRequest(t, exampleTime, func(r *http.Request) {
		r.Header.Set("X-Amz-Acl", "bucket-owner-full-control")
		r.Header.Set("X-Amz-Meta-Mtime", "1700000000.5")
		r.Header.Set("X-Amz-Copy-Source", "b/k%20x")
	})
	a, err := newVerifier(exampleTime).Verify(r)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	want := "host;x-amz-acl;x-amz-content-sha256;x-amz-copy-source;x-amz-date;x-amz-meta-mtime"
	if got := strings.Join(a.SignedHeaders, ";"); got != want {
		t.Errorf("SignedHeaders = %q; want %q", got, want)
	}
}

func TestAnonymous(t *testing.T) {
	v := newVerifier(exampleTime)
	for _, target := range []string{"/b/k", "/b?list-type=2&prefix=x", "/b?X-Amz-Expires=10"} {
		a, err := v.Verify(readRequest(t, "GET "+target+" HTTP/1.1\nHost: h", ""))
		if a != nil || err != nil {
			t.Errorf("Verify(%s) = %v, %v; want nil, nil", target, a, err)
		}
	}
}

func TestRegion(t *testing.T) {
	v := newVerifier(exampleTime)
	v.Region = "eu-west-1"
	_, err := v.Verify(sdkHeaderRequest(t, exampleTime, nil))
	e := wantErr(t, err, CodeAuthorizationHeaderMalformed, 400)
	if extra(e, "Region") != "eu-west-1" {
		t.Errorf("Extra = %q", e.Extra)
	}
	_, err = v.Verify(readRequest(t, awsPresignedExample, ""))
	wantErr(t, err, CodeAuthorizationQueryParameters, 400)

	v.Region = "us-east-1"
	if _, err := v.Verify(sdkHeaderRequest(t, exampleTime, nil)); err != nil {
		t.Errorf("Verify = %v", err)
	}
}

func TestCredentialsFailure(t *testing.T) {
	boom := errors.New("database is locked")
	v := &Verifier{Credentials: failingCredentials{boom}, Now: func() time.Time { return exampleTime }}
	_, err := v.Verify(sdkHeaderRequest(t, exampleTime, nil))
	var e *Error
	if !errors.Is(err, boom) || errors.As(err, &e) {
		t.Fatalf("Verify = %v; want the store's error, not an *Error", err)
	}
}

// The cached signing key follows a changed secret.
func TestKeyCacheSecretChange(t *testing.T) {
	creds := StaticCredentials{exampleAKID: exampleSecret}
	v := &Verifier{Credentials: creds, Now: func() time.Time { return exampleTime }}
	if _, err := v.Verify(sdkHeaderRequest(t, exampleTime, nil)); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	creds[exampleAKID] = "another secret"
	_, err := v.Verify(sdkHeaderRequest(t, exampleTime, nil))
	wantErr(t, err, CodeSignatureDoesNotMatch, 403)
}

func TestPresignedMalformed(t *testing.T) {
	base := readRequest(t, awsPresignedExample, "").URL.RawQuery
	cases := []struct {
		name, old, new string
		code           string
		status         int
	}{
		{"no algorithm", "X-Amz-Algorithm=AWS4-HMAC-SHA256&", "", CodeAuthorizationQueryParameters, 400},
		{"wrong algorithm", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", CodeAuthorizationQueryParameters, 400},
		{"no signed headers", "&X-Amz-SignedHeaders=host", "", CodeAuthorizationQueryParameters, 400},
		{"host not signed", "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=range", CodeAuthorizationQueryParameters, 400},
		{"bad date", "X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524", CodeAuthorizationQueryParameters, 400},
		{"date not credential date", "X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130523T230000Z", CodeAuthorizationQueryParameters, 400},
		{"repeated", "X-Amz-Expires=86400", "X-Amz-Expires=86400&X-Amz-Expires=1", CodeAuthorizationQueryParameters, 400},
		{"short signature", "X-Amz-Signature=aeeed9bb", "X-Amz-Signature=ae&x=aeeed9bb", CodeAuthorizationQueryParameters, 400},
		{"unknown key", "AKIAIOSFODNN7EXAMPLE", "AKIAUNKNOWN", CodeInvalidAccessKeyID, 403},
		{"extra param", "X-Amz-Expires=86400", "X-Amz-Expires=86400&response-content-type=text%2Fplain", CodeSignatureDoesNotMatch, 403},
	}
	v := newVerifier(exampleTime)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := strings.Replace(base, tc.old, tc.new, 1)
			if q == base {
				t.Fatalf("edit %q does not apply", tc.old)
			}
			_, err := v.Verify(readRequest(t, "GET /test.txt?"+q+" HTTP/1.1\nHost: examplebucket.s3.amazonaws.com", ""))
			wantErr(t, err, tc.code, tc.status)
		})
	}
}

func TestStripAWSChunked(t *testing.T) {
	cases := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"aws-chunked"}, ""},
		{[]string{"gzip,aws-chunked"}, "gzip"},
		{[]string{"aws-chunked, gzip"}, "gzip"},
		{[]string{"gzip", "AWS-Chunked"}, "gzip"},
		{[]string{"gzip"}, "gzip"},
	}
	for _, tc := range cases {
		if got := stripAWSChunked(tc.in); got != tc.want {
			t.Errorf("stripAWSChunked(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseAmzDate(t *testing.T) {
	for s, ok := range map[string]bool{
		"20130524T000000Z": true, "20240229T235959Z": true, "20230229T000000Z": false,
		"20130524T240000Z": false, "2013052AT000000Z": false, "20130524T000000": false, "": false,
	} {
		got, gotOK := parseAmzDate(s)
		if gotOK != ok {
			t.Errorf("parseAmzDate(%q) ok = %v; want %v", s, gotOK, ok)
		}
		if ok && got.Format(amzTimeFormat) != s {
			t.Errorf("parseAmzDate(%q) = %v", s, got)
		}
	}
}

func TestHMACPadded(t *testing.T) {
	key := SigningKey(exampleSecret, "20130524", "us-east-1", "s3")
	for _, n := range []int{0, 1, 55, 56, 64, 200} {
		msg := strings.Repeat("m", n)
		buf := append(make([]byte, 64), msg...)
		got := hmacPadded(&key, buf)
		if want := hmacSum(key[:], msg); string(got[:]) != string(want) {
			t.Errorf("hmacPadded over %d bytes differs from crypto/hmac", n)
		}
	}
}

// Without x-amz-date the Date header is the request time; it must be
// signed.
func TestDateHeader(t *testing.T) {
	const date = "Fri, 24 May 2013 00:00:00 GMT"
	canon := "PUT\n/b/k\n\ndate:" + date + "\nhost:h\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n\n" +
		"date;host;x-amz-content-sha256\nUNSIGNED-PAYLOAD"
	sig := testSign(exampleSecret, exampleDate, exampleScope, canon)
	head := "PUT /b/k HTTP/1.1\nHost: h\nDate: " + date + "\nx-amz-content-sha256: UNSIGNED-PAYLOAD\n" +
		"Content-Length: 3\nAuthorization: AWS4-HMAC-SHA256 Credential=" + exampleAKID + "/" + exampleScope +
		", SignedHeaders=date;host;x-amz-content-sha256, Signature=" + sig
	v := newVerifier(exampleTime.Add(5 * time.Minute))
	a, err := v.Verify(readRequest(t, head, "abc"))
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	if !a.Date.Equal(exampleTime) || a.PayloadHash != UnsignedPayload {
		t.Errorf("Auth = %+v", a)
	}
	if got, err := readBody(t, a); got != "abc" || err != nil {
		t.Errorf("body = %q, %v", got, err)
	}

	head = strings.Replace(head, "SignedHeaders=date;host;", "SignedHeaders=host;", 1)
	_, err = v.Verify(readRequest(t, head, "abc"))
	e := wantErr(t, err, CodeAccessDenied, 403)
	if extra(e, "HeadersNotSigned") != "date" {
		t.Errorf("Extra = %q", e.Extra)
	}
}

// Verifications share the key cache; run them side by side (with -race).
func TestConcurrentVerify(t *testing.T) {
	v := newVerifier(exampleTime)
	var reqs []*http.Request
	for _, off := range []time.Duration{0, 10 * time.Minute, -10 * time.Minute} {
		reqs = append(reqs, sdkHeaderRequest(t, exampleTime.Add(off), nil))
	}
	presigned := readRequest(t, awsPresignedExample, "")
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				r := reqs[(g+i)%len(reqs)]
				if i%2 == 1 {
					r = presigned
				}
				_, err = v.Verify(r)
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
