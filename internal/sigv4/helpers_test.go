package sigv4

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The credentials and clock of AWS's published SigV4 examples.
const (
	exampleAKID   = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	exampleDate   = "20130524T000000Z"
	exampleScope  = "20130524/us-east-1/s3/aws4_request"
)

var exampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func newVerifier(now time.Time) *Verifier {
	return &Verifier{
		Credentials: StaticCredentials{exampleAKID: exampleSecret},
		Now:         func() time.Time { return now },
	}
}

// readRequest parses a request the way net/http's server does. head holds
// the request line and header lines separated by "\n".
func readRequest(t testing.TB, head string, body string) *http.Request {
	t.Helper()
	raw := strings.ReplaceAll(strings.TrimSpace(head), "\n", "\r\n") + "\r\n\r\n" + body
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("ReadRequest: %v", err)
	}
	return r
}

func hmacSum(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func testSigningKey(secret, scope string) []byte {
	parts := strings.Split(scope, "/")
	k := []byte("AWS4" + secret)
	for _, p := range parts {
		k = hmacSum(k, p)
	}
	return k
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// testSign signs a canonical request given literally, as
// 00-sigv4-raw.py does, independently of the package's canonicalisation.
func testSign(secret, amzDate, scope, canonical string) string {
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonical)
	return hex.EncodeToString(hmacSum(testSigningKey(secret, scope), sts))
}

// testChunkSig signs one aws-chunked chunk (or, with alg
// AWS4-HMAC-SHA256-TRAILER and data the canonical trailers, the trailer).
func testChunkSig(alg, secret, amzDate, scope, prev, data string) string {
	sts := alg + "\n" + amzDate + "\n" + scope + "\n" + prev + "\n"
	if alg == chunkAlgorithm {
		sts += emptySHA256 + "\n"
	}
	sts += sha256Hex(data)
	return hex.EncodeToString(hmacSum(testSigningKey(secret, scope), sts))
}

// wantErr checks that err is an *Error with the code and status.
func wantErr(t testing.TB, err error, code string, status int) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v; want *Error %s", err, code)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("error = %s %d %q; want %s %d", e.Code, e.Status, e.Message, code, status)
	}
	return e
}

func extra(e *Error, name string) string {
	for _, kv := range e.Extra {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}

// readBody reads an Auth body to its end in small steps.
func readBody(t testing.TB, a *Auth) (string, error) {
	t.Helper()
	var sb strings.Builder
	buf := make([]byte, 1000)
	for {
		n, err := a.Body.Read(buf)
		sb.Write(buf[:n])
		if err == io.EOF {
			return sb.String(), nil
		}
		if err != nil {
			return sb.String(), err
		}
	}
}

func timeHours(h int) time.Duration { return time.Duration(h) * time.Hour }

func asError(err error, e **Error) bool { return errors.As(err, e) }
