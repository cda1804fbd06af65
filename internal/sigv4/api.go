// Package sigv4 authenticates AWS Signature Version 4 requests: the
// Authorization header and presigned query forms, the payload hash modes,
// and the aws-chunked body encoding with chunk signatures and trailers.
package sigv4

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// ErrUnknownKey is what a [Credentials] lookup returns for an access key
// id it does not know; Verify then answers InvalidAccessKeyId.
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// Credentials finds the secret for an access key id. Session tokens
// (x-amz-security-token) are checked by the caller, not here.
type Credentials interface {
	SecretKey(ctx context.Context, accessKeyID string) (string, error)
}

// Error is an authentication failure with its S3/STS error code (AWS
// spelling, e.g. "SignatureDoesNotMatch"), HTTP status and message.
type Error struct {
	Code    string
	Status  int
	Message string
	// Extra elements some errors carry in the XML body, in order, e.g.
	// RequestTime, ServerTime, MaxAllowedSkewMilliseconds.
	Extra [][2]string
}

func (e *Error) Error() string { return "sigv4: " + e.Code + ": " + e.Message }

// Payload hash modes from x-amz-content-sha256.
const (
	UnsignedPayload               = "UNSIGNED-PAYLOAD"
	StreamingSigned               = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingSignedTrailer        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedTrailer      = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	emptySHA256                   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Auth is the outcome of a successful verification.
type Auth struct {
	AccessKeyID   string
	Date          time.Time // x-amz-date / X-Amz-Date
	Region        string    // from the credential scope
	Service       string    // from the credential scope ("s3", "sts", "iam")
	SignedHeaders []string  // lower-case
	Presigned     bool
	SessionToken  string // x-amz-security-token (header or query), if any
	PayloadHash   string // the x-amz-content-sha256 value (or computed hex for presigned/absent)

	// Body yields the decoded payload: it verifies a literal SHA-256 at EOF
	// (XAmzContentSHA256Mismatch as *Error), removes aws-chunked framing,
	// verifies chunk signatures, and parses trailers. Read errors are
	// *Error values. When the body is not aws-chunked it is the original
	// body with hash verification.
	Body io.ReadCloser
	// DecodedLength is x-amz-decoded-content-length for aws-chunked bodies,
	// else the request's ContentLength (-1 when unknown).
	DecodedLength int64
	// Trailers holds the trailing headers (lower-case names) of an
	// aws-chunked body; filled once Body has returned io.EOF.
	Trailers http.Header
}

// Verifier checks requests. The zero value is not usable: set Credentials.
type Verifier struct {
	Credentials Credentials
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is the allowed clock skew of header-signed requests; zero
	// means 15 minutes.
	MaxSkew time.Duration
}

// Verify authenticates r. It returns an *Error for every authentication
// failure (missing or malformed auth, SigV2, unknown key, bad signature,
// skew, expiry, unsigned x-amz-* headers) and never reads the body except
// to compute the hash of bodies sent without x-amz-content-sha256 (STS form
// posts), which it then replaces so the handler can read it again.
//
// Anonymous requests (no Authorization header and no X-Amz-Signature /
// Signature query) return (nil, nil).
func (v *Verifier) Verify(r *http.Request) (*Auth, error) {
	panic("sigv4: Verify is implemented in verify.go")
}
