package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxFormBody bounds the bodies hashed in memory (STS and IAM form posts
// without x-amz-content-sha256).
const maxFormBody = 1 << 20

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return false
		}
	}
	return true
}

// validPayloadHash reports whether v is a payload hash this package knows.
// SigV4a streaming (ECDSA) is not among them.
func validPayloadHash(v string) bool {
	switch v {
	case UnsignedPayload, StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
		return true
	}
	return isHexSHA256(v)
}

// hashFormBody reads a small body whole, returns its SHA-256 hex and puts
// an equivalent body back in r.Body for the handler.
func hashFormBody(r *http.Request) (string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return emptySHA256, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxFormBody+1))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return "", incompleteBody()
		}
		return "", err
	}
	if len(b) > maxFormBody {
		return "", newError(CodeRequestEntityTooLarge, http.StatusRequestEntityTooLarge,
			"Request body without x-amz-content-sha256 is larger than 1 MiB")
	}
	r.Body = replayBody{Reader: bytes.NewReader(b), orig: r.Body}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// replayBody serves bytes already read and closes the original body.
type replayBody struct {
	*bytes.Reader
	orig io.Closer
}

func (b replayBody) Close() error { return b.orig.Close() }

// stripAWSChunked returns the Content-Encoding values without the
// aws-chunked token.
func stripAWSChunked(values []string) string {
	v := strings.Join(values, ",")
	if !strings.Contains(strings.ToLower(v), "aws-chunked") {
		return strings.TrimSpace(v)
	}
	var keep []string
	for tok := range strings.SplitSeq(v, ",") {
		tok = strings.TrimSpace(tok)
		if tok != "" && !strings.EqualFold(tok, "aws-chunked") {
			keep = append(keep, tok)
		}
	}
	return strings.Join(keep, ",")
}

// attachBody sets a.Body (and a.DecodedLength for aws-chunked bodies)
// according to the payload hash.
func attachBody(r *http.Request, a *Auth, s *signed, key *[32]byte) *Error {
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	switch a.PayloadHash {
	case UnsignedPayload:
		a.Body = body
		return nil
	case StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
		return attachChunked(r, a, s, key, body)
	}
	if r.ContentLength == 0 && a.PayloadHash == emptySHA256 {
		a.Body = body
		return nil
	}
	want, _ := hex.DecodeString(a.PayloadHash)
	a.Body = &hashBody{body: body, want: [32]byte(want), client: a.PayloadHash}
	return nil
}

func attachChunked(r *http.Request, a *Auth, s *signed, key *[32]byte, body io.ReadCloser) *Error {
	a.DecodedLength = -1
	if v := first(r.Header["X-Amz-Decoded-Content-Length"]); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			e := invalidArgument("x-amz-decoded-content-length must be a non-negative integer.")
			e.Extra = [][2]string{{"ArgumentName", "x-amz-decoded-content-length"}}
			return e
		}
		a.DecodedLength = n
	}
	var declared []string
	for _, v := range r.Header["X-Amz-Trailer"] {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				declared = append(declared, name)
			}
		}
	}
	a.Body = newChunkedReader(body, chunkedOptions{
		signed:        a.PayloadHash != StreamingUnsignedTrailer,
		trailer:       a.PayloadHash != StreamingSigned,
		key:           *key,
		amzDate:       s.amzDate,
		scope:         s.cred.scope,
		seed:          s.signature,
		declared:      declared,
		decodedLength: a.DecodedLength,
		auth:          a,
	})
	return nil
}

// hashBody passes a body through and checks its SHA-256 at EOF.
type hashBody struct {
	body   io.ReadCloser
	h      hash.Hash
	want   [32]byte
	client string
	err    error
}

func (b *hashBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.h == nil {
		b.h = sha256.New()
	}
	n, err := b.body.Read(p)
	b.h.Write(p[:n])
	switch {
	case err == io.EOF:
		var got [32]byte
		b.h.Sum(got[:0])
		if got != b.want {
			b.err = payloadMismatch(b.client, hex.EncodeToString(got[:]))
		} else {
			b.err = io.EOF
		}
		return n, b.err
	case errors.Is(err, io.ErrUnexpectedEOF):
		b.err = incompleteBody()
		return n, b.err
	}
	return n, err
}

func (b *hashBody) Close() error { return b.body.Close() }
