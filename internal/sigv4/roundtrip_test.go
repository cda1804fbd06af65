package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// verifyServer runs Verify behind a real net/http server, so requests go
// through net/http's parsing. It answers 200 with "path\nbody" on success
// and the error's status with its code otherwise.
func verifyServer(t *testing.T, v *Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := v.Verify(r)
		if err == nil && a == nil {
			err = errors.New("anonymous")
		}
		var body []byte
		switch {
		case err == nil && a.Service != "s3":
			// The form must still be readable after hashing.
			err = r.ParseForm()
			body = []byte(r.PostForm.Encode())
		case err == nil:
			body, err = io.ReadAll(a.Body)
		}
		var e *Error
		switch {
		case errors.As(err, &e):
			w.WriteHeader(e.Status)
			fmt.Fprint(w, e.Code)
			return
		case err != nil:
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, err)
			return
		}
		fmt.Fprintf(w, "%s\n%s", r.URL.Path, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

var sdkCreds = aws.Credentials{AccessKeyID: exampleAKID, SecretAccessKey: exampleSecret}

// sdkSigner signs like the S3 client of aws-sdk-go-v2: the canonical URI is
// the escaped path as it goes on the wire.
var sdkSigner = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// newWireRequest makes a request whose path and query go on the wire
// exactly as given.
func newWireRequest(t *testing.T, srv *httptest.Server, method, path, query string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = mustUnescape(t, path), path, query
	if req.URL.EscapedPath() != path {
		t.Fatalf("path %q cannot be sent as is (got %q)", path, req.URL.EscapedPath())
	}
	return req
}

func mustUnescape(t *testing.T, p string) string {
	t.Helper()
	s, err := url.PathUnescape(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sdkSign(t *testing.T, req *http.Request, body []byte, creds aws.Credentials) {
	t.Helper()
	hash := sha256Hex(string(body))
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := sdkSigner.SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1", exampleTime); err != nil {
		t.Fatal(err)
	}
}

type case09Key struct{ key, wire string }

// case09Keys reads the keys and wire paths of case 9.
func case09Keys(t *testing.T) []case09Key {
	t.Helper()
	b, err := os.ReadFile("testdata/cases/09-sigv4-keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	var keys []case09Key
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, ok := strings.CutPrefix(line, "KEY"); ok {
			k = strings.TrimSpace(k)
			keys = append(keys, case09Key{key: k[1 : len(k)-1]})
		}
		if w, ok := strings.CutPrefix(line, "WIRE  /"); ok {
			keys[len(keys)-1].wire = "/" + strings.TrimSpace(w)
		}
	}
	if len(keys) != 7 {
		t.Fatalf("read %d keys from case 9; want 7", len(keys))
	}
	return keys
}

// TestCase09Keys round-trips the awkward keys of case 9, signed by the
// aws-sdk-go-v2 signer, through a real server.
func TestCase09Keys(t *testing.T) {
	srv := verifyServer(t, newVerifier(exampleTime))
	for _, k := range case09Keys(t) {
		t.Run(k.key, func(t *testing.T) {
			// Our encoder gives botocore's wire form (and canonical URI).
			want := string(AppendURIEncode([]byte("/partner-bucket/"), k.key, true))
			if k.wire != want {
				t.Errorf("UriEncode(%q) = %q; case 9 wire form is %q", k.key, want, k.wire)
			}

			body := []byte("row\n")
			for _, method := range []string{"PUT", "GET", "HEAD", "DELETE"} {
				b := body
				if method != "PUT" {
					b = nil
				}
				req := newWireRequest(t, srv, method, k.wire, "x-id=PutObject", b)
				req.Header.Set("Expect", "100-continue")
				req.Header.Set("Content-Type", "text/csv")
				sdkSign(t, req, b, sdkCreds)
				status, got := do(t, req)
				if method == "HEAD" {
					got = "/partner-bucket/" + k.key + "\n"
				}
				if wantBody := "/partner-bucket/" + k.key + "\n" + string(b); status != 200 || got != wantBody {
					t.Errorf("%s = %d %q; want 200 %q", method, status, got, wantBody)
				}
			}
		})
	}
}

// Clients escape paths differently; the signature holds as long as it was
// made over the canonical form or over the exact wire form.
func TestPathEscapingVariants(t *testing.T) {
	srv := verifyServer(t, newVerifier(exampleTime))
	for _, k := range case09Keys(t) {
		decoded := "/partner-bucket/" + k.key
		goDefault := (&url.URL{Path: decoded}).EscapedPath()
		t.Run(k.key, func(t *testing.T) {
			// Signed over the canonical form, sent with Go's default
			// escaping (= $ & : @ , ; + left raw).
			req := newWireRequest(t, srv, "GET", k.wire, "", nil)
			sdkSign(t, req, nil, sdkCreds)
			req.URL.RawPath = ""
			if status, got := do(t, req); status != 200 || got != decoded+"\n" {
				t.Errorf("canonical signed, sent as %q: %d %q", goDefault, status, got)
			}

			// Signed over exactly what is sent, non-canonical escaping.
			req = newWireRequest(t, srv, "GET", k.wire, "", nil)
			req.URL.RawPath = ""
			sdkSign(t, req, nil, sdkCreds)
			if status, got := do(t, req); status != 200 || got != decoded+"\n" {
				t.Errorf("signed and sent as %q: %d %q", goDefault, status, got)
			}
		})
	}
}

// TestQueryStrings covers the query forms of case 9 and the clients' quirks.
func TestQueryStrings(t *testing.T) {
	srv := verifyServer(t, newVerifier(exampleTime))
	cases := []struct{ method, path, query string }{
		{"POST", "/partner-bucket/big.csv", "uploads"},
		{"POST", "/partner-bucket/big.csv", "uploads="},
		{"POST", "/partner-bucket", "delete"},
		{"GET", "/partner-bucket/k", "acl"},
		{"GET", "/partner-bucket", "list-type=2&prefix=ingestion%2Fdatasets%2F&delimiter=%2F&encoding-type=url"},
		{"PUT", "/partner-bucket/k", "uploadId=U1&partNumber=10"},
		{"GET", "/partner-bucket", "delimiter=&max-keys=1000&prefix="},
		{"GET", "/partner-bucket/", "delimiter=%2F&prefix=p%2F"},
		{"GET", "/partner-bucket", "prefix=a%20b%2Bc&x-id=ListObjects"},
		{"GET", "/partner-bucket", "prefix=%E2%82%AC&a=2&a=1"},
		{"GET", "/", ""},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path+"?"+tc.query, func(t *testing.T) {
			req := newWireRequest(t, srv, tc.method, tc.path, tc.query, nil)
			sdkSign(t, req, nil, sdkCreds)
			// The signer rewrites the query in its canonical form; send
			// the client's own.
			req.URL.RawQuery = tc.query
			if status, got := do(t, req); status != 200 {
				t.Errorf("%d %q; want 200", status, got)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"uploads", "uploads="},
		{"delete", "delete="},
		{"acl", "acl="},
		{"list-type=2&prefix=ingestion%2Fdatasets%2F&delimiter=%2F&encoding-type=url",
			"delimiter=%2F&encoding-type=url&list-type=2&prefix=ingestion%2Fdatasets%2F"},
		{"uploadId=U1&partNumber=10", "partNumber=10&uploadId=U1"},
		{"prefix=a+b", "prefix=a%2Bb"},
		{"prefix=a%2bb&b=%7e", "b=~&prefix=a%2Bb"},
		{"prefix=a/b c", "prefix=a%2Fb%20c"},
		{"a=2&a=1&a=10", "a=1&a=10&a=2"},
		{"bad=%zz&&x", "bad=%25zz&x="},
		{"", ""},
	}
	for _, tc := range cases {
		got, _, _ := appendCanonicalQuery(nil, tc.raw, false, nil, nil)
		if string(got) != tc.want {
			t.Errorf("canonical query of %q = %q; want %q", tc.raw, got, tc.want)
		}
	}
	got, _, _ := appendCanonicalQuery(nil, "X-Amz-Signature=abc&b=1", true, nil, nil)
	if string(got) != "b=1" {
		t.Errorf("presigned canonical query = %q; want b=1", got)
	}
}

func TestCanonicalURI(t *testing.T) {
	cases := []struct {
		raw  string
		s3   bool
		want string
	}{
		{"/b/a%20b%2Bc~d.csv", true, "/b/a%20b%2Bc~d.csv"},
		{"/b/a b+c", true, "/b/a%20b%2Bc"},
		{"/b/version=1/x$@:,;.csv", true, "/b/version%3D1/x%24%40%3A%2C%3B.csv"},
		{"/b//x/./../y/", true, "/b//x/./../y/"},
		{"/b/%2f", true, "/b//"},
		{"/b/100%zz", true, "/b/100%25zz"},
		{"/", false, "/"},
		{"/a//b/../c/./d/", false, "/a/c/d/"},
		{"/a%20b", false, "/a%2520b"},
	}
	for _, tc := range cases {
		if got := string(appendCanonicalURI(nil, tc.raw, tc.s3)); got != tc.want {
			t.Errorf("canonical URI of %q (s3 %v) = %q; want %q", tc.raw, tc.s3, got, tc.want)
		}
	}
}

// TestPresignSDK presigns with the aws-sdk-go-v2 signer and sends the URL
// as curl would: no x-amz-* headers.
func TestPresignSDK(t *testing.T) {
	srv := verifyServer(t, newVerifier(exampleTime.Add(10*timeMinute)))
	creds := sdkCreds
	for _, token := range []string{"", "session/token+="} {
		creds.SessionToken = token
		for _, k := range case09Keys(t) {
			req := newWireRequest(t, srv, "GET", k.wire, "X-Amz-Expires=900&x-id=GetObject", nil)
			signedURL, hdr, err := sdkSigner.PresignHTTP(context.Background(), creds, req,
				UnsignedPayload, "s3", "us-east-1", exampleTime)
			if err != nil {
				t.Fatal(err)
			}
			get, _ := http.NewRequest("GET", signedURL, nil)
			for name, v := range hdr {
				if name != "Host" {
					get.Header[name] = v
				}
			}
			if status, got := do(t, get); status != 200 || got != "/partner-bucket/"+k.key+"\n" {
				t.Errorf("presigned GET %s = %d %q", k.key, status, got)
			}
		}
	}

	// A presigned PUT used with an extra unsigned x-amz-* header is refused.
	req := newWireRequest(t, srv, "PUT", "/partner-bucket/k", "X-Amz-Expires=900", []byte("x"))
	signedURL, _, err := sdkSigner.PresignHTTP(context.Background(), sdkCreds, req,
		UnsignedPayload, "s3", "us-east-1", exampleTime)
	if err != nil {
		t.Fatal(err)
	}
	put, _ := http.NewRequest("PUT", signedURL, strings.NewReader("x"))
	if status, got := do(t, put); status != 200 {
		t.Errorf("presigned PUT = %d %q; want 200", status, got)
	}
	put, _ = http.NewRequest("PUT", signedURL, strings.NewReader("x"))
	put.Header.Set("X-Amz-Acl", "public-read")
	if status, got := do(t, put); status != 403 || got != CodeAccessDenied {
		t.Errorf("presigned PUT with unsigned x-amz-acl = %d %q; want 403 AccessDenied", status, got)
	}
}

// TestSessionToken checks the token comes back in Auth, from the header.
func TestSessionToken(t *testing.T) {
	v := newVerifier(exampleTime)
	creds := sdkCreds
	creds.SessionToken = "FQoGZXIvYXdzE-token"
	req, _ := http.NewRequest("GET", "http://127.0.0.1:9000/partner-bucket/k", nil)
	sdkSign(t, req, nil, creds)
	r := serverSide(t, req)
	a, err := v.Verify(r)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	if a.SessionToken != creds.SessionToken {
		t.Errorf("SessionToken = %q; want %q", a.SessionToken, creds.SessionToken)
	}

	// A bad signature's error shows the canonical request without the token.
	r = serverSide(t, req)
	r.Header.Set("X-Amz-Security-Token", "FQoGZXIvYXdzE-other")
	_, err = v.Verify(r)
	e := wantErr(t, err, CodeSignatureDoesNotMatch, http.StatusForbidden)
	for _, kv := range e.Extra {
		if strings.Contains(kv[1], "FQoGZXIvYXdzE") {
			t.Errorf("error Extra %s shows the session token: %q", kv[0], kv[1])
		}
	}
}

// serverSide turns a client request into what a server would see.
func serverSide(t testing.TB, req *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSTSForm: STS form posts carry no x-amz-content-sha256; the body is
// hashed and stays readable.
func TestSTSForm(t *testing.T) {
	srv := verifyServer(t, newVerifier(exampleTime))
	form := "Action=AssumeRole&DurationSeconds=900&ExternalId=x%2By&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s&Version=2011-06-15"
	for _, service := range []string{"sts", "iam"} {
		req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		err := v4.NewSigner().SignHTTP(context.Background(), sdkCreds, req, sha256Hex(form),
			service, "us-east-1", exampleTime)
		if err != nil {
			t.Fatal(err)
		}
		if status, got := do(t, req); status != 200 || !strings.Contains(got, "ExternalId=x%2By") {
			t.Errorf("%s form post = %d %q", service, status, got)
		}

		// A changed body fails the signature.
		req, _ = http.NewRequest("POST", srv.URL+"/", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_ = v4.NewSigner().SignHTTP(context.Background(), sdkCreds, req, sha256Hex(form+"&x=1"),
			service, "us-east-1", exampleTime)
		if status, got := do(t, req); status != 403 || got != CodeSignatureDoesNotMatch {
			t.Errorf("%s tampered form post = %d %q", service, status, got)
		}
	}
}

// rawRoundTrip sends bytes on a fresh connection and reads the final
// response (skipping 100 Continue).
func rawRoundTrip(t *testing.T, srv *httptest.Server, raw string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusContinue {
			return resp.StatusCode, string(b)
		}
	}
}

// TestOddSignedHeaders signs headers net/http handles specially or that
// clients sign unexpectedly, over a raw connection.
func TestOddSignedHeaders(t *testing.T) {
	srv := verifyServer(t, newVerifier(exampleTime))
	host := srv.Listener.Addr().String()
	body := "hello\n"
	cases := []struct {
		name    string
		headers [][2]string // signed, in wire form; canonical values computed below
		wire    string      // the body on the wire
	}{
		{"transfer-encoding chunked", [][2]string{{"transfer-encoding", "chunked"}, {"expect", "100-continue"}},
			fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)},
		{"content-length and md5", [][2]string{{"content-length", strconv.Itoa(len(body))},
			{"content-md5", "sZRqySSS0jR8YjW00mERhA=="}}, body},
		{"s3cmd access-control-allow-origin", [][2]string{{"access-control-allow-origin", "*"},
			{"content-length", strconv.Itoa(len(body))}}, body},
		{"spaces collapsed", [][2]string{{"content-length", strconv.Itoa(len(body))},
			{"x-amz-meta-note", "a   b  c"}}, body},
		{"accept-encoding and amz-sdk", [][2]string{{"accept-encoding", "identity"},
			{"amz-sdk-invocation-id", "0b6f1c2e"}, {"amz-sdk-request", "attempt=1; max=3"},
			{"content-length", strconv.Itoa(len(body))}}, body},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdrs := append([][2]string{
				{"host", host},
				{"x-amz-content-sha256", sha256Hex(body)},
				{"x-amz-date", exampleDate},
			}, tc.headers...)
			sortPairs(hdrs)
			var canon, names, head strings.Builder
			for i, h := range hdrs {
				fmt.Fprintf(&canon, "%s:%s\n", h[0], strings.Join(strings.Fields(h[1]), " "))
				if i > 0 {
					names.WriteString(";")
				}
				names.WriteString(h[0])
				fmt.Fprintf(&head, "%s: %s\r\n", h[0], h[1])
			}
			const path = "/partner-bucket/k%3D1"
			sig := testSign(exampleSecret, exampleDate, exampleScope,
				"PUT\n"+path+"\n\n"+canon.String()+"\n"+names.String()+"\n"+sha256Hex(body))
			raw := "PUT " + path + " HTTP/1.1\r\n" + head.String() +
				"Authorization: AWS4-HMAC-SHA256 Credential=" + exampleAKID + "/" + exampleScope +
				", SignedHeaders=" + names.String() + ", Signature=" + sig + "\r\n" +
				"Connection: close\r\n\r\n" + tc.wire
			if status, got := rawRoundTrip(t, srv, raw); status != 200 || got != "/partner-bucket/k=1\n"+body {
				t.Errorf("%d %q; want 200", status, got)
			}
		})
	}
}

var timeMinute = timeHours(1) / 60
