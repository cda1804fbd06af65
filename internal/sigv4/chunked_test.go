package sigv4

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The chunked-upload example of "Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks": 66560
// bytes of 'a' in a 64 KiB chunk, a 1 KiB chunk and the final chunk.
const awsChunkedHead = `
PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
Content-Length: 66824`

func awsChunkedBody() string {
	return "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
		strings.Repeat("a", 65536) + "\r\n" +
		"400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
		strings.Repeat("a", 1024) + "\r\n" +
		"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n" +
		"\r\n"
}

func TestAWSChunkedExample(t *testing.T) {
	body := awsChunkedBody()
	if len(body) != 66824 {
		t.Fatalf("example body is %d bytes; want 66824", len(body))
	}
	v := newVerifier(exampleTime)
	a, err := v.Verify(readRequest(t, awsChunkedHead, body))
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	if a.DecodedLength != 66560 || a.ContentEncoding != "" || a.PayloadHash != StreamingSigned {
		t.Errorf("Auth = %+v", a)
	}
	got, err := readBody(t, a)
	if err != nil || got != strings.Repeat("a", 66560) {
		t.Fatalf("body = %d bytes, %v; want 66560 bytes of 'a'", len(got), err)
	}
	if a.Trailers != nil {
		t.Errorf("Trailers = %v; want none", a.Trailers)
	}
}

func TestAWSChunkedExampleTampered(t *testing.T) {
	body := awsChunkedBody()
	cases := []struct {
		name   string
		body   string
		code   string
		status int
	}{
		{"data byte", strings.Replace(body, "aaaa", "aaab", 1), CodeSignatureDoesNotMatch, 403},
		{"last data byte", body[:66560] + "b" + body[66561:], CodeSignatureDoesNotMatch, 403},
		{"final signature", strings.Replace(body, "b6c6ea8a", "b6c6ea8b", 1), CodeSignatureDoesNotMatch, 403},
		{"chunks swapped signature", strings.Replace(body, "ad80c730", "0055627c", 1), CodeSignatureDoesNotMatch, 403},
		{"truncated in data", body[:1000], CodeIncompleteBody, 400},
		{"truncated before final chunk", body[:66824-86], CodeIncompleteBody, 400},
		{"no signature", strings.Replace(body, "10000;chunk-signature=", "10000;chunk-signatur=", 1), CodeInvalidRequest, 400},
		{"bad size", strings.Replace(body, "10000;", "1000g;", 1), CodeInvalidRequest, 400},
		{"data longer than size", strings.Replace(body, "10000;", "ffff;", 1), CodeInvalidRequest, 400},
	}
	v := newVerifier(exampleTime)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Content-Length is signed, so it stays; the body is swapped.
			r := readRequest(t, awsChunkedHead, "")
			r.Body = io.NopCloser(strings.NewReader(tc.body))
			a, err := v.Verify(r)
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			_, err = readBody(t, a)
			wantErr(t, err, tc.code, tc.status)
		})
	}
}

// chunkedTestReader builds a reader over body for the example's key and
// scope, with seed as the request signature.
func chunkedTestReader(body string, opt chunkedOptions) (*chunkedReader, *Auth) {
	a := &Auth{}
	opt.key = SigningKey(exampleSecret, "20130524", "us-east-1", "s3")
	opt.amzDate = exampleDate
	opt.scope = exampleScope
	opt.auth = a
	return newChunkedReader(io.NopCloser(strings.NewReader(body)), opt), a
}

// signedChunkedBody frames chunks with signatures and, if trailers is not
// nil, a signed trailer section.
func signedChunkedBody(seed string, chunks []string, trailers [][2]string) string {
	var b strings.Builder
	prev := seed
	for _, c := range append(chunks, "") {
		prev = testChunkSig(chunkAlgorithm, exampleSecret, exampleDate, exampleScope, prev, c)
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n%s", len(c), prev, c)
		if c != "" {
			b.WriteString("\r\n")
		}
	}
	if trailers != nil {
		var canon string
		for _, t := range trailers {
			fmt.Fprintf(&b, "%s:%s\r\n", t[0], t[1])
			canon += t[0] + ":" + t[1] + "\n"
		}
		sig := testChunkSig(trailerAlgorithm, exampleSecret, exampleDate, exampleScope, prev, canon)
		fmt.Fprintf(&b, "x-amz-trailer-signature:%s\r\n", sig)
	}
	b.WriteString("\r\n")
	return b.String()
}

const testSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"

func testSeedBytes() [32]byte {
	s, _ := parseSignature(testSeed)
	return s
}

func TestChunkedSignedTrailer(t *testing.T) {
	trailers := [][2]string{{"x-amz-checksum-crc32c", "sOO8/Q=="}}
	body := signedChunkedBody(testSeed, []string{strings.Repeat("x", 9000), "tail"}, trailers)
	opt := chunkedOptions{signed: true, trailer: true, seed: testSeedBytes(),
		declared: []string{"x-amz-checksum-crc32c"}, decodedLength: 9004}
	r, a := chunkedTestReader(body, opt)
	got, err := io.ReadAll(r)
	if err != nil || string(got) != strings.Repeat("x", 9000)+"tail" {
		t.Fatalf("ReadAll = %d bytes, %v", len(got), err)
	}
	if v := a.Trailers.Get("x-amz-checksum-crc32c"); v != "sOO8/Q==" {
		t.Errorf("trailer = %q; want sOO8/Q==", v)
	}

	// A changed trailer value fails the trailer signature.
	bad := strings.Replace(body, "sOO8/Q==", "AAAAAA==", 1)
	r, a = chunkedTestReader(bad, opt)
	_, err = io.ReadAll(r)
	wantErr(t, err, CodeSignatureDoesNotMatch, http.StatusForbidden)
	if a.Trailers != nil {
		t.Errorf("Trailers = %v after a failure; want nil", a.Trailers)
	}

	// Trailers without their signature are refused.
	i := strings.Index(body, "x-amz-trailer-signature")
	r, _ = chunkedTestReader(body[:i]+"\r\n", opt)
	_, err = io.ReadAll(r)
	wantErr(t, err, CodeMalformedTrailer, http.StatusBadRequest)
}

// TestCase07 replays the case 7 requests: aws-chunked with an unsigned
// trailing checksum, as botocore sends it over TLS, with HTTP chunked
// transfer and with a Content-Length.
func TestCase07(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("testdata/cases/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	good := read("07-aws-chunked-trailer.body")
	cases := []struct {
		name      string
		body      string
		trailer   bool // send X-Amz-Trailer
		decoded   string
		code      string // of the body read; "" for success
		wantTrail string
	}{
		{name: "trailer", body: good, trailer: true, decoded: "6", wantTrail: "NjowIA=="},
		{name: "bad trailer value", body: read("07-aws-chunked-bad-trailer.body"), trailer: true, decoded: "6", wantTrail: "AAAAAA=="},
		{name: "declared trailer missing", body: read("07-aws-chunked-no-trailer.body"), trailer: true, decoded: "6", code: CodeMalformedTrailer},
		{name: "no trailer", body: read("07-aws-chunked-no-trailer.body"), decoded: "6"},
		{name: "undeclared trailer", body: good, decoded: "6", code: CodeMalformedTrailer},
		{name: "decoded length short", body: good, trailer: true, decoded: "7", code: CodeIncompleteBody},
		{name: "decoded length long", body: good, trailer: true, decoded: "5", code: CodeInvalidRequest},
		{name: "bad base64 left to caller", body: strings.Replace(good, "NjowIA==", "NjowIA", 1), trailer: true, decoded: "6", wantTrail: "NjowIA"},
		{name: "truncated trailer", body: good[:len(good)-4], trailer: true, decoded: "6", code: CodeIncompleteBody},
		{name: "junk after end", body: good + "GET / HTTP/1.1\r\n", trailer: true, decoded: "6", code: CodeInvalidRequest},
	}
	v := newVerifier(exampleTime)
	for _, tc := range cases {
		for _, httpChunked := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/http-chunked=%v", tc.name, httpChunked), func(t *testing.T) {
				r := case07Request(t, tc.body, tc.trailer, tc.decoded, httpChunked)
				a, err := v.Verify(r)
				if err != nil {
					t.Fatalf("Verify = %v", err)
				}
				if a.ContentEncoding != "gzip" {
					t.Errorf("ContentEncoding = %q; want gzip", a.ContentEncoding)
				}
				got, err := readBody(t, a)
				if tc.code != "" {
					wantErr(t, err, tc.code, http.StatusBadRequest)
					return
				}
				if err != nil || got != "hello\n" {
					t.Fatalf("body = %q, %v; want hello", got, err)
				}
				if v := a.Trailers.Get("x-amz-checksum-crc32"); v != tc.wantTrail {
					t.Errorf("trailer = %q; want %q", v, tc.wantTrail)
				}
			})
		}
	}
}

// case07Request builds the botocore request of case 7, signed over the
// literal canonical request (transfer-encoding signed when chunked, as
// botocore does; content-length otherwise).
func case07Request(t *testing.T, body string, trailer bool, decoded string, httpChunked bool) *http.Request {
	t.Helper()
	const path = "/partner-bucket/ingestion/datasets/version%3D1/datasetId%3Dds-0001/2025-01-15/hello.csv.gz"
	hdrs := [][2]string{
		{"content-encoding", "gzip,aws-chunked"},
		{"host", "127.0.0.1:9000"},
		{"x-amz-content-sha256", StreamingUnsignedTrailer},
		{"x-amz-date", exampleDate},
		{"x-amz-decoded-content-length", decoded},
		{"x-amz-sdk-checksum-algorithm", "CRC32"},
	}
	if trailer {
		hdrs = append(hdrs, [2]string{"x-amz-trailer", "x-amz-checksum-crc32"})
	}
	if httpChunked {
		hdrs = append(hdrs, [2]string{"transfer-encoding", "chunked"})
	} else {
		hdrs = append(hdrs, [2]string{"content-length", strconv.Itoa(len(body))})
	}
	sortPairs(hdrs)
	var canonHeaders, names, head strings.Builder
	for i, h := range hdrs {
		fmt.Fprintf(&canonHeaders, "%s:%s\n", h[0], h[1])
		if i > 0 {
			names.WriteString(";")
		}
		names.WriteString(h[0])
		fmt.Fprintf(&head, "%s: %s\n", h[0], h[1])
	}
	canon := "PUT\n" + path + "\n\n" + canonHeaders.String() + "\n" + names.String() + "\n" +
		StreamingUnsignedTrailer
	sig := testSign(exampleSecret, exampleDate, exampleScope, canon)
	wire := body
	if httpChunked {
		wire = fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	}
	return readRequest(t, "PUT "+path+" HTTP/1.1\n"+head.String()+"Expect: 100-continue\n"+
		"Authorization: AWS4-HMAC-SHA256 Credential="+exampleAKID+"/"+exampleScope+
		", SignedHeaders="+names.String()+", Signature="+sig, wire)
}

func sortPairs(p [][2]string) {
	for i := range p {
		for j := i + 1; j < len(p); j++ {
			if p[j][0] < p[i][0] {
				p[i], p[j] = p[j], p[i]
			}
		}
	}
}

func TestChunkedMalformed(t *testing.T) {
	unsigned := chunkedOptions{trailer: true, decodedLength: -1}
	cases := []struct {
		name string
		body string
		opt  chunkedOptions
		want string // body on success
		code string
	}{
		{name: "bare LF lines", body: "5\nhello\n0\n\n", opt: unsigned, want: "hello"},
		{name: "extension ignored when unsigned", body: "5;x=y\r\nhello\r\n0\r\n\r\n", opt: unsigned, want: "hello"},
		{name: "no final CRLF", body: "5\r\nhello\r\n0\r\n", opt: unsigned, want: "hello"},
		{name: "empty body", body: "", opt: unsigned, code: CodeIncompleteBody},
		{name: "no final chunk", body: "5\r\nhello\r\n", opt: unsigned, code: CodeIncompleteBody},
		{name: "size not hex", body: "z\r\nhello\r\n0\r\n\r\n", opt: unsigned, code: CodeInvalidRequest},
		{name: "negative size", body: "-5\r\nhello\r\n0\r\n\r\n", opt: unsigned, code: CodeInvalidRequest},
		{name: "huge size", body: "fffffffffffffffffff\r\nhello", opt: unsigned, code: CodeInvalidRequest},
		{name: "big size short body", body: "ffffffffff\r\nhello", opt: unsigned, code: CodeIncompleteBody},
		{name: "long line", body: strings.Repeat("0", 5000) + "\r\n", opt: unsigned, code: CodeInvalidRequest},
		{name: "missing data CRLF", body: "5\r\nhello0\r\n\r\n", opt: unsigned, code: CodeInvalidRequest},
		{name: "trailer without colon", body: "0\r\nbogus\r\n\r\n", opt: unsigned, code: CodeMalformedTrailer},
		{name: "duplicate trailer", body: "0\r\nx-a:1\r\nx-a:2\r\n\r\n",
			opt: chunkedOptions{trailer: true, declared: []string{"x-a"}, decodedLength: -1}, code: CodeMalformedTrailer},
		{name: "trailer in non-trailer mode", body: "0\r\nx-a:1\r\n\r\n",
			opt: chunkedOptions{declared: []string{"x-a"}, decodedLength: -1}, code: CodeMalformedTrailer},
		{name: "huge trailer", body: "0\r\n" + strings.Repeat("x-a:"+strings.Repeat("v", 4000)+"\r\n", 5),
			opt: chunkedOptions{trailer: true, declared: []string{"x-a"}, decodedLength: -1}, code: CodeMalformedTrailer},
		{name: "signed without signature", body: "5\r\nhello\r\n0\r\n\r\n",
			opt: chunkedOptions{signed: true, seed: testSeedBytes(), decodedLength: -1}, code: CodeInvalidRequest},
		{name: "signed short signature", body: "5;chunk-signature=abc\r\nhello\r\n0\r\n\r\n",
			opt: chunkedOptions{signed: true, seed: testSeedBytes(), decodedLength: -1}, code: CodeInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := chunkedTestReader(tc.body, tc.opt)
			got, err := io.ReadAll(r)
			if tc.code != "" {
				var e *Error
				if !asError(err, &e) || e.Code != tc.code {
					t.Fatalf("ReadAll error = %v; want %s", err, tc.code)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("ReadAll = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// A reader that fails with an error of its own passes it through.
func TestChunkedTransportError(t *testing.T) {
	boom := fmt.Errorf("connection reset")
	src := io.MultiReader(strings.NewReader("10\r\nhello"), errReader{boom})
	r := newChunkedReader(io.NopCloser(src), chunkedOptions{decodedLength: -1})
	_, err := io.ReadAll(r)
	if err != boom {
		t.Fatalf("ReadAll error = %v; want %v", err, boom)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// Big chunks are streamed: reads return before a chunk is complete.
func TestChunkedStreams(t *testing.T) {
	data := bytes.Repeat([]byte("z"), 1<<20)
	body := signedChunkedBody(testSeed, []string{string(data)}, nil)
	r, _ := chunkedTestReader(body, chunkedOptions{signed: true, seed: testSeedBytes(), decodedLength: 1 << 20})
	buf := make([]byte, 64<<10)
	n, err := r.Read(buf)
	if err != nil || n == 0 || n > len(buf) {
		t.Fatalf("first Read = %d, %v", n, err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || n+len(rest) != len(data) {
		t.Fatalf("ReadAll = %d, %v; want %d bytes", n+len(rest), err, len(data))
	}
}
