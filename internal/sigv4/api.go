// Package sigv4 authenticates AWS Signature Version 4 requests: the
// Authorization header and presigned query forms, the payload hash modes,
// and the aws-chunked body encoding with chunk signatures and trailers.
//
// The canonical request is rebuilt from the request as the client sent it:
//
//   - The URI is the raw request target (r.RequestURI), never r.URL.Path
//     re-escaped. For S3 it is decoded once and re-encoded with UriEncode
//     ('//' and a leading '/' in keys are kept); if that signature fails,
//     the path exactly as sent is tried, for clients that sign what they
//     send. STS and IAM paths are normalised and encoded twice.
//   - Query names and values are decoded once and re-encoded; a literal
//     '+' is a plus sign, not a space (SDKs send a space as %20), so the
//     handlers must decode the query the same way. "?uploads" is
//     "uploads=".
//   - Host comes from r.Host, a signed Transfer-Encoding from
//     r.TransferEncoding, a signed Content-Length from the header or else
//     r.ContentLength.
//
// Requests carrying an x-amz-* header that is not signed are refused, as S3
// does; x-amz-content-sha256 is exempt since the payload hash is part of the
// canonical request anyway.
//
// Not supported, with the error returned instead: Signature Version 2
// (InvalidRequest telling to sign with SigV4, e.g. boto3's
// Config(signature_version="s3v4")) and SigV4a, AWS4-ECDSA-P256-SHA256
// (InvalidRequest). The 8 KiB minimum size of signed chunks is not
// enforced.
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
	UnsignedPayload          = "UNSIGNED-PAYLOAD"
	StreamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	emptySHA256              = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
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
	// PayloadHash is the payload hash of the canonical request: the
	// x-amz-content-sha256 value, UNSIGNED-PAYLOAD for presigned S3
	// requests, or the hex SHA-256 computed here for bodies sent without it.
	PayloadHash string

	// Body yields the decoded payload: it verifies a literal SHA-256 at EOF
	// (XAmzContentSHA256Mismatch as *Error), removes aws-chunked framing,
	// verifies chunk signatures, and parses trailers. Failures of the
	// client's payload (bad hash, bad chunk signature, malformed framing, a
	// body ending early) are *Error values; other errors of the underlying
	// body (a broken connection, a size limit) come back as they are.
	//
	// Bytes of a signed chunk are handed out before the chunk's signature
	// is checked at its end; a bad signature surfaces as a read error before
	// io.EOF, so a caller must keep nothing it read unless Body reached
	// io.EOF. When the body is not aws-chunked it is the original body with
	// hash verification (or the original body itself for UNSIGNED-PAYLOAD).
	Body io.ReadCloser
	// DecodedLength is x-amz-decoded-content-length for aws-chunked bodies,
	// else the request's ContentLength (-1 when unknown).
	DecodedLength int64
	// Trailers holds the trailing headers of an aws-chunked body, under
	// canonical keys like any http.Header (Trailers.Get("x-amz-checksum-crc32")
	// works); filled once Body has returned io.EOF, nil when there were none.
	Trailers http.Header
	// ContentEncoding is the request's Content-Encoding with the
	// aws-chunked token removed (e.g. "gzip" for "gzip,aws-chunked"): the
	// encoding to store with the object. Empty when none is left.
	ContentEncoding string
}

// Verifier checks requests. The zero value is not usable: set Credentials.
type Verifier struct {
	Credentials Credentials
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is the allowed clock skew of header-signed requests (and how
	// far in the future a presigned X-Amz-Date may lie); zero means 15
	// minutes.
	MaxSkew time.Duration
	// Region, if set, is the only region accepted in the credential scope;
	// empty accepts any region and leaves the check to the caller.
	Region string

	keys keyCache
}
