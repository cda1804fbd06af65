package cloud_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// connRequest is a request written by hand on its own connection, so that a
// test controls when (and whether) the body follows the head.
type connRequest struct {
	method string
	target string // path and query as on the wire
	host   string // Host header; empty means the server's address
	header http.Header
	// contentLength is the declared Content-Length, whatever is sent.
	contentLength int64
	// payloadHash is x-amz-content-sha256; empty means UNSIGNED-PAYLOAD.
	payloadHash string
	creds       *aws.Credentials
	// badSignature corrupts the signature after signing.
	badSignature bool
}

// conn is one hand-driven HTTP/1.1 connection to the env's server.
type conn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

// open dials the env's server and writes the head of cr (request line and
// headers, signed as the SDK signs) without any body.
func (e *env) open(t *testing.T, cr connRequest) *conn {
	t.Helper()
	addr := e.srv.Listener.Addr().String()
	host := cr.host
	if host == "" {
		host = addr
	}
	req, err := http.NewRequest(cr.method, "http://"+host+cr.target, nil)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	for k, vs := range cr.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.ContentLength = cr.contentLength
	hash := cr.payloadHash
	if hash == "" {
		hash = "UNSIGNED-PAYLOAD"
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := e.creds()
	if cr.creds != nil {
		creds = *cr.creds
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", testRegion, time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		t.Fatalf("sign: %v", err)
	}
	if cr.badSignature {
		a := req.Header.Get("Authorization")
		req.Header.Set("Authorization", a[:len(a)-4]+"0000")
	}

	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\n", cr.method, cr.target, host)
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", cr.contentLength)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write(head.Bytes()); err != nil {
		t.Fatalf("write request head: %v", err)
	}
	return &conn{t: t, c: c, br: bufio.NewReader(c)}
}

// read reads the next response (a 100 Continue included) within d and,
// for a final response, its whole body.
func (c *conn) read(d time.Duration) rawResponse {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read response body: %v", err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// write sends body bytes on the connection.
func (c *conn) write(b []byte) {
	c.t.Helper()
	if _, err := c.c.Write(b); err != nil {
		c.t.Fatalf("write body: %v", err)
	}
}

// errorReply is an S3 error body with the elements every error carries.
type errorReply struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

// wantRequestID checks that an error reply names its request: the
// x-amz-request-id header, and in a body (every method but HEAD) a
// RequestId element equal to it.
func wantRequestID(t *testing.T, what string, r rawResponse, head bool) {
	t.Helper()
	id := r.header.Get("X-Amz-Request-Id")
	if id == "" {
		t.Errorf("%s: %d reply without x-amz-request-id", what, r.status)
	}
	if head {
		if len(r.body) != 0 {
			t.Errorf("%s: HEAD reply has a body: %q", what, r.body)
		}
		return
	}
	var x errorReply
	if err := xml.Unmarshal(r.body, &x); err != nil {
		t.Errorf("%s: body is not S3 error XML: %v\n%s", what, err, r.body)
		return
	}
	if x.Code == "" {
		t.Errorf("%s: error without a Code: %s", what, r.body)
	}
	if x.RequestID == "" || x.RequestID != id {
		t.Errorf("%s: <RequestId> = %q; want the x-amz-request-id header %q", what, x.RequestID, id)
	}
}

func TestSDKPutOverFiveGiBRefusedUnread(t *testing.T) {
	e := newEnv(t)
	e.mustCreateBucket(t, "big-bkt")
	const limit = 5 << 30

	up, err := e.s3.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{
		Bucket: aws.String("big-bkt"), Key: aws.String("parts"),
	})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	partTarget := "/big-bkt/parts?partNumber=1&uploadId=" + url.QueryEscape(aws.ToString(up.UploadId))

	// No body byte is ever sent: the answer must come from the head alone.
	for _, c := range []struct {
		name, target, hash string
	}{
		{"PutObject unsigned payload", "/big-bkt/huge", ""},
		{"PutObject signed payload", "/big-bkt/huge", strings.Repeat("ab", 32)},
		{"UploadPart", partTarget, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cn := e.open(t, connRequest{method: http.MethodPut, target: c.target,
				contentLength: limit + 1, payloadHash: c.hash})
			r := cn.read(10 * time.Second)
			wantRawError(t, "PUT of 5 GiB + 1", r, http.StatusBadRequest, "EntityTooLarge")
			wantRequestID(t, "PUT of 5 GiB + 1", r, false)
		})
	}
	if e.exists(t, "big-bkt", "huge") {
		t.Errorf("a refused 5 GiB + 1 PUT left an object")
	}

	// Exactly 5 GiB is allowed: the server asks for the body (100 Continue)
	// rather than refusing. The test then hangs up without sending it.
	cn := e.open(t, connRequest{method: http.MethodPut, target: "/big-bkt/edge",
		header: http.Header{"Expect": {"100-continue"}}, contentLength: limit})
	if r := cn.read(10 * time.Second); r.status != http.StatusContinue {
		t.Errorf("PUT of exactly 5 GiB: %s; want 100 Continue", r)
	}
	cn.c.Close()
}

func TestSDKBucketAlreadyExists(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := e.platform()
	other := e.newAccount(t, "other", "222233334444")
	e.mustCreateBucket(t, "taken-name")
	e.mustPut(t, "taken-name", "k", []byte("owner's"))

	_, err := other.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("taken-name")})
	wantAPIError(t, "CreateBucket by another account", err, "BucketAlreadyExists", http.StatusConflict)
	var exists *types.BucketAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("CreateBucket by another account: %T; want *types.BucketAlreadyExists", err)
	}

	_, err = owner.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("taken-name")})
	wantAPIError(t, "CreateBucket by the owner", err, "BucketAlreadyOwnedByYou", http.StatusConflict)
	var owned *types.BucketAlreadyOwnedByYou
	if !errors.As(err, &owned) {
		t.Errorf("CreateBucket by the owner: %T; want *types.BucketAlreadyOwnedByYou", err)
	}

	// The other account's attempt changed nothing: the bucket is still the
	// owner's, listed by it and not by the other account, its object intact.
	if got := string(e.mustGet(t, "taken-name", "k")); got != "owner's" {
		t.Errorf("object after the other account's CreateBucket = %q", got)
	}
	for _, c := range []struct {
		who  string
		p    principal
		want bool
	}{{"owner", owner, true}, {"other", other, false}} {
		out, err := c.p.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatalf("ListBuckets(%s): %v", c.who, err)
		}
		found := false
		for _, b := range out.Buckets {
			found = found || aws.ToString(b.Name) == "taken-name"
		}
		if found != c.want {
			t.Errorf("ListBuckets(%s) lists taken-name: %v; want %v", c.who, found, c.want)
		}
	}
}

func TestSDKErrorsCarryRequestID(t *testing.T) {
	e := newEnv(t)
	e.mustCreateBucket(t, "rid-bkt")
	stranger := &aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	badSecret := &aws.Credentials{AccessKeyID: e.id, SecretAccessKey: "not-the-secret"}

	for _, c := range []struct {
		name   string
		rr     rawRequest
		status int
		code   string
	}{
		{"NoSuchBucket", rawRequest{method: http.MethodGet, target: "/no-such-bkt/k"}, 404, "NoSuchBucket"},
		{"NoSuchKey", rawRequest{method: http.MethodGet, target: "/rid-bkt/missing"}, 404, "NoSuchKey"},
		{"AccessDenied anonymous", rawRequest{method: http.MethodGet, target: "/rid-bkt/k", unsigned: true}, 403, "AccessDenied"},
		{"InvalidAccessKeyId", rawRequest{method: http.MethodGet, target: "/rid-bkt/k", creds: stranger}, 403, "InvalidAccessKeyId"},
		{"SignatureDoesNotMatch", rawRequest{method: http.MethodGet, target: "/rid-bkt/k", creds: badSecret}, 403, "SignatureDoesNotMatch"},
		{"MalformedXML", rawRequest{method: http.MethodPost, target: "/rid-bkt?delete",
			header: http.Header{"Content-Md5": {md5b64([]byte("<Delete"))}}, body: []byte("<Delete")}, 400, "MalformedXML"},
		{"NotImplemented", rawRequest{method: http.MethodPut, target: "/rid-bkt?versioning", body: []byte("<x/>")}, 501, "NotImplemented"},
		{"InvalidArgument", rawRequest{method: http.MethodGet, target: "/rid-bkt?list-type=2&max-keys=-1"}, 400, "InvalidArgument"},
		{"XAmzContentSHA256Mismatch", rawRequest{method: http.MethodPut, target: "/rid-bkt/k", body: []byte("abc"),
			payloadHash: strings.Repeat("0", 64)}, 400, "XAmzContentSHA256Mismatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, c.rr)
			wantRawError(t, c.name, r, c.status, c.code)
			wantRequestID(t, c.name, r, false)
		})
	}

	// HEAD errors have no body, but the header names the request.
	for _, c := range []struct {
		name   string
		rr     rawRequest
		status int
	}{
		{"HeadObject NoSuchKey", rawRequest{method: http.MethodHead, target: "/rid-bkt/missing"}, 404},
		{"HeadBucket NoSuchBucket", rawRequest{method: http.MethodHead, target: "/no-such-bkt"}, 404},
		{"HeadObject SignatureDoesNotMatch", rawRequest{method: http.MethodHead, target: "/rid-bkt/k", creds: badSecret}, 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, c.rr)
			if r.status != c.status {
				t.Errorf("%s: status %d; want %d", c.name, r.status, c.status)
			}
			wantRequestID(t, c.name, r, true)
		})
	}

	// The SDK reads the request id from the header: every error it returns
	// carries one, and two requests never share it.
	ctx := context.Background()
	_, err1 := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("rid-bkt"), Key: aws.String("missing")})
	_, err2 := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("rid-bkt"), Key: aws.String("missing")})
	var ids []string
	for _, err := range []error{err1, err2} {
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.ServiceRequestID() == "" {
			t.Fatalf("SDK error %v carries no request id", err)
		}
		ids = append(ids, re.ServiceRequestID())
	}
	if ids[0] == ids[1] {
		t.Errorf("two requests share the request id %s", ids[0])
	}
}

// loopbackClient is an HTTP client that connects every request to the
// env's listener whatever host the URL names, so that BUCKET.DOMAIN hosts
// reach the test server without any name resolution. It records the Host
// of each request.
func (e *env) loopbackClient(hosts *[]string) *http.Client {
	addr := e.srv.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		*hosts = append(*hosts, r.URL.Host)
		return tr.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSDKVirtualHostStyle(t *testing.T) {
	const domain = "s3.localhost"
	e := newDomainEnv(t, domain)
	ctx := context.Background()
	_, port, _ := net.SplitHostPort(e.srv.Listener.Addr().String())

	var hosts []string
	vh := s3.NewFromConfig(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(e.id, e.secret, ""),
		HTTPClient:  e.loopbackClient(&hosts),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://" + domain + ":" + port)
		o.UsePathStyle = false
	})

	const bucket = "vhost-bkt"
	if _, err := vh.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket (virtual host): %v", err)
	}
	wantHost := bucket + "." + domain + ":" + port
	if len(hosts) == 0 || hosts[len(hosts)-1] != wantHost {
		t.Fatalf("the SDK sent Host %q; want %q (virtual-host style)", hosts, wantHost)
	}

	keys := map[string][]byte{
		"plain.txt":              []byte("plain"),
		"dir/sub/file.csv":       []byte("a,b\n1,2\n"),
		"dir/100%/done":          []byte("percent"),
		"dir/%2F not a slash":    []byte("literal %2F"),
		"dir/a b+c%20d/ü.bin":    []byte("mixed"),
		"dir//double/slash":      []byte("double"),
		"/leading/slash":         []byte("leading"),
		"dir/query?x=1&y=2#frag": []byte("query chars"),
	}
	for k, body := range keys {
		if _, err := vh.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k),
			Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("PutObject(%q) virtual host: %v", k, err)
		}
	}
	for k, body := range keys {
		out, err := vh.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			t.Errorf("GetObject(%q) virtual host: %v", k, err)
			continue
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, body) {
			t.Errorf("GetObject(%q) virtual host = %q; want %q", k, got, body)
		}
		// Path style on the same server reaches the same object.
		if got := e.mustGet(t, bucket, k); !bytes.Equal(got, body) {
			t.Errorf("GetObject(%q) path style = %q; want %q", k, got, body)
		}
	}
	for _, h := range hosts {
		if h != wantHost {
			t.Errorf("a virtual-host client request went to Host %q; want %q", h, wantHost)
		}
	}

	// Listing, with a prefix and a delimiter, in both styles.
	for name, c := range map[string]*s3.Client{"virtual host": vh, "path style": e.s3} {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket),
			Prefix: aws.String("dir/"), Delimiter: aws.String("/")})
		if err != nil {
			t.Fatalf("ListObjectsV2 (%s): %v", name, err)
		}
		var got []string
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		for _, p := range out.CommonPrefixes {
			got = append(got, aws.ToString(p.Prefix))
		}
		sort.Strings(got)
		want := []string{"dir/%2F not a slash", "dir//", "dir/100%/", "dir/a b+c%20d/", "dir/query?x=1&y=2#frag", "dir/sub/"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("ListObjectsV2 (%s) = %q; want %q", name, got, want)
		}
	}

	// A raw request addressed by Host: the path is the key alone, its
	// percent-escapes decoded once.
	hostReq := func(method, host, target string, body []byte) rawResponse {
		t.Helper()
		req, err := http.NewRequest(method, e.srv.URL+target, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		if body != nil {
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
		}
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := v4.NewSigner().SignHTTP(ctx, e.creds(), req, "UNSIGNED-PAYLOAD", "s3", testRegion, time.Now(),
			func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
			t.Fatal(err)
		}
		return e.send(t, req)
	}
	if r := hostReq(http.MethodGet, wantHost, "/dir/100%25/done", nil); r.status != 200 || string(r.body) != "percent" {
		t.Errorf("raw virtual-host GET /dir/100%%25/done: %s; want 200 percent", r)
	}
	if r := hostReq(http.MethodGet, wantHost, "/dir/%252F%20not%20a%20slash", nil); r.status != 200 || string(r.body) != "literal %2F" {
		t.Errorf("raw virtual-host GET of a key with %%2F: %s; want 200", r)
	}
	if r := hostReq(http.MethodPut, strings.ToUpper(bucket)+"."+domain+":"+port, "/raw/put%2Bplus", []byte("raw")); r.status != 200 {
		t.Errorf("raw virtual-host PUT (upper-case Host): %s; want 200", r)
	}
	if got := e.mustGet(t, bucket, "raw/put+plus"); string(got) != "raw" {
		t.Errorf("raw virtual-host PUT stored %q under raw/put+plus", got)
	}
	r := hostReq(http.MethodGet, wantHost, "/?list-type=2&prefix=raw%2F", nil)
	if r.status != 200 || !bytes.Contains(r.body, []byte("<Key>raw/put+plus</Key>")) {
		t.Errorf("raw virtual-host list: %s; want raw/put+plus", r)
	}
	// The bare domain is path style; so is the IP address.
	if r := hostReq(http.MethodGet, domain+":"+port, "/"+bucket+"/plain.txt", nil); r.status != 200 || string(r.body) != "plain" {
		t.Errorf("path-style GET on the bare domain: %s; want 200 plain", r)
	}
	// A bucket that does not exist, addressed by Host.
	r = hostReq(http.MethodGet, "no-such-bkt."+domain+":"+port, "/k", nil)
	wantRawError(t, "virtual-host GET on a missing bucket", r, 404, "NoSuchBucket")
	if x := parseError(t, r); x.BucketName != "no-such-bkt" {
		t.Errorf("NoSuchBucket names %q; want no-such-bkt", x.BucketName)
	}
}

func TestExpectContinue(t *testing.T) {
	e := newEnv(t)
	e.mustCreateBucket(t, "cont-bkt")
	other := e.newAccount(t, "other", "222233334444")
	body := []byte("the body, sent only after 100 Continue\n")
	expect := http.Header{"Expect": {"100-continue"}}
	sha := sha256hex(body)

	t.Run("accepted", func(t *testing.T) {
		for _, hash := range []string{"", sha} {
			cn := e.open(t, connRequest{method: http.MethodPut, target: "/cont-bkt/k", header: expect,
				contentLength: int64(len(body)), payloadHash: hash})
			if r := cn.read(10 * time.Second); r.status != http.StatusContinue {
				t.Fatalf("before the body (hash %q): %s; want 100 Continue", hash, r)
			}
			cn.write(body)
			if r := cn.read(10 * time.Second); r.status != http.StatusOK {
				t.Fatalf("after the body: %s; want 200", r)
			}
			if got := e.mustGet(t, "cont-bkt", "k"); !bytes.Equal(got, body) {
				t.Errorf("stored %q; want %q", got, body)
			}
		}
	})

	// Each refusal must come as the final status while the client still
	// waits for 100 Continue: no body byte was sent, so an answer at all
	// means the server decided without reading it.
	for _, c := range []struct {
		name   string
		cr     connRequest
		status int
		code   string
	}{
		{"unknown bucket", connRequest{method: http.MethodPut, target: "/no-such-bkt/k"}, 404, "NoSuchBucket"},
		{"denied", connRequest{method: http.MethodPut, target: "/cont-bkt/k", creds: &other.creds}, 403, "AccessDenied"},
		{"bad signature", connRequest{method: http.MethodPut, target: "/cont-bkt/k", badSignature: true}, 403, "SignatureDoesNotMatch"},
		{"unknown key", connRequest{method: http.MethodPut, target: "/cont-bkt/k",
			creds: &aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "x"}}, 403, "InvalidAccessKeyId"},
		{"over 5 GiB", connRequest{method: http.MethodPut, target: "/cont-bkt/k", contentLength: 5<<30 + 1}, 400, "EntityTooLarge"},
		{"UploadPart of unknown upload", connRequest{method: http.MethodPut, target: "/cont-bkt/k?partNumber=1&uploadId=nope"}, 404, "NoSuchUpload"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cr := c.cr
			cr.header = expect
			if cr.contentLength == 0 {
				cr.contentLength = int64(len(body))
			}
			if cr.payloadHash == "" {
				cr.payloadHash = sha
			}
			cn := e.open(t, cr)
			r := cn.read(10 * time.Second)
			if r.status == http.StatusContinue {
				t.Fatalf("server asked for the body of a request it refuses (100 Continue)")
			}
			wantRawError(t, c.name, r, c.status, c.code)
		})
	}
	if got := e.mustGet(t, "cont-bkt", "k"); !bytes.Equal(got, body) {
		t.Errorf("after the refusals the object is %q; want the accepted body", got)
	}
}

// sha256hex is the hex SHA-256 of b, as x-amz-content-sha256 carries it.
func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
