package sigv4

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// defaultMaxSkew is AWS's allowed clock skew.
const defaultMaxSkew = 15 * time.Minute

// signed is what both authentication forms yield for the common checks.
type signed struct {
	cred          credential
	signedHeaders string   // as sent
	names         []string // lower-case
	signature     [32]byte
	amzDate       string // request time in ISO 8601 basic form, as signed
	date          time.Time
	presigned     bool
	token         string
	payloadHash   string // x-amz-content-sha256 (or X-Amz-Content-Sha256 query); may be empty
}

// Verify authenticates r. It returns an *Error for every authentication
// failure (missing or malformed auth, SigV2, unknown key, bad signature,
// skew, expiry, unsigned x-amz-* headers) and never reads the body except
// to compute the hash of bodies sent without x-amz-content-sha256 (STS form
// posts), which it then replaces so the handler can read it again. Errors of
// the Credentials lookup other than [ErrUnknownKey] are returned wrapped,
// not as *Error.
//
// Anonymous requests return (nil, nil): those without an Authorization
// header and without any of the X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-Signature, AWSAccessKeyId and Signature query parameters.
func (v *Verifier) Verify(r *http.Request) (*Auth, error) {
	path, query := requestTarget(r)
	var v4Query, v2Query bool
	if query != "" {
		v4Query, v2Query = scanQueryAuth(query)
	}
	authz, hasAuthz := r.Header["Authorization"]
	switch {
	case hasAuthz && (v4Query || v2Query):
		return nil, invalidArgument("Only one auth mechanism allowed; only the X-Amz-Algorithm " +
			"query parameter, Signature query string parameter or the Authorization header " +
			"should be specified")
	case hasAuthz:
		if len(authz) != 1 {
			return nil, headerMalformed("only one Authorization header is allowed.")
		}
		return v.verifyHeader(r, authz[0], path, query)
	case v4Query:
		return v.verifyPresigned(r, path, query)
	case v2Query:
		return nil, sigV2Error()
	}
	return nil, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return defaultMaxSkew
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// verifyHeader checks an Authorization-header request.
func (v *Verifier) verifyHeader(r *http.Request, value, path, query string) (*Auth, error) {
	a, e := parseAuthorization(value)
	if e != nil {
		return nil, e
	}
	if v.Region != "" && a.cred.region != v.Region {
		e := headerMalformed("the region '" + shorten(a.cred.region) + "' is wrong; expecting '" +
			v.Region + "'")
		e.Extra = [][2]string{{"Region", v.Region}}
		return nil, e
	}
	s := &signed{
		cred:          a.cred,
		signedHeaders: a.signedHeaders,
		names:         a.names,
		signature:     a.signature,
		token:         first(r.Header["X-Amz-Security-Token"]),
		payloadHash:   first(r.Header["X-Amz-Content-Sha256"]),
	}

	dateName, e := requestTime(r, s)
	if e != nil {
		return nil, e
	}
	if !slices.Contains(s.names, dateName) {
		return nil, unsignedHeadersError([]string{dateName})
	}
	if s.cred.day != s.amzDate[:8] {
		return nil, headerMalformed("Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	now, skew := v.now(), v.maxSkew()
	if d := now.Sub(s.date); d > skew || d < -skew {
		return nil, skewError(s.amzDate, now, skew)
	}
	if !slices.Contains(s.names, "host") {
		return nil, headerMalformed("the SignedHeaders must include host.")
	}
	if s.payloadHash == "" && s.cred.service == "s3" {
		return nil, invalidRequest("Missing required header for this request: x-amz-content-sha256")
	}
	return v.verifySigned(r, s, path, query)
}

// requestTime sets s.date and s.amzDate from x-amz-date, else from Date,
// and returns the name of the header used: it must be signed.
func requestTime(r *http.Request, s *signed) (string, *Error) {
	if amz := first(r.Header["X-Amz-Date"]); amz != "" {
		if t, ok := parseAmzDate(amz); ok {
			s.date, s.amzDate = t, amz
			return "x-amz-date", nil
		}
	} else if d := first(r.Header["Date"]); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			s.date = t.UTC()
			s.amzDate = s.date.Format(amzTimeFormat)
			return "date", nil
		}
	}
	return "", accessDenied("AWS authentication requires a valid Date or x-amz-date header")
}

// verifyPresigned checks a presigned (query-authenticated) request.
func (v *Verifier) verifyPresigned(r *http.Request, path, query string) (*Auth, error) {
	p, e := parsePresignedQuery(query)
	if e != nil {
		return nil, e
	}
	if p.algorithm != algorithm {
		return nil, queryMalformed(`X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`)
	}
	cred, problem := parseCredential(p.credential)
	if problem != "" {
		return nil, queryMalformed("Error parsing the X-Amz-Credential parameter; " + problem)
	}
	if v.Region != "" && cred.region != v.Region {
		e := queryMalformed("Error parsing the X-Amz-Credential parameter; the region '" +
			shorten(cred.region) + "' is wrong; expecting '" + v.Region + "'")
		e.Extra = [][2]string{{"Region", v.Region}}
		return nil, e
	}
	date, ok := parseAmzDate(p.date)
	if !ok {
		return nil, queryMalformed(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`)
	}
	expires, e := parseExpires(p.expires)
	if e != nil {
		return nil, e
	}
	if cred.day != p.date[:8] {
		return nil, queryMalformed("Error parsing the X-Amz-Credential parameter; " +
			"Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	names, ok := parseSignedHeaders(p.signedHeaders)
	if !ok {
		return nil, queryMalformed("X-Amz-SignedHeaders " + quoted(p.signedHeaders) + " is malformed.")
	}
	if !slices.Contains(names, "host") {
		return nil, queryMalformed("X-Amz-SignedHeaders must include host.")
	}
	sig, ok := parseSignature(p.signature)
	if !ok {
		return nil, queryMalformed("X-Amz-Signature must be 64 hexadecimal digits.")
	}

	// The lifetime is X-Amz-Expires from X-Amz-Date; the skew window only
	// limits how far ahead X-Amz-Date may lie.
	now := v.now()
	if date.Sub(now) > v.maxSkew() {
		return nil, notYetValidError(date, now)
	}
	if now.Sub(date) > time.Duration(expires)*time.Second {
		return nil, expiredError(expires, date, now)
	}

	s := &signed{
		cred:          cred,
		signedHeaders: p.signedHeaders,
		names:         names,
		signature:     sig,
		amzDate:       p.date,
		date:          date,
		presigned:     true,
		token:         p.securityToken,
		payloadHash:   p.contentSHA256,
	}
	if s.payloadHash == "" && cred.service == "s3" {
		s.payloadHash = UnsignedPayload
	}
	return v.verifySigned(r, s, path, query)
}

// verifySigned runs the checks common to both forms: unsigned x-amz-*
// headers, the payload hash, the secret, the signature; then it builds the
// Auth with its body.
func (v *Verifier) verifySigned(r *http.Request, s *signed, path, query string) (*Auth, error) {
	if bad := unsignedAmzHeaders(r.Header, s.names); bad != nil {
		return nil, unsignedHeadersError(bad)
	}
	if s.payloadHash != "" && !validPayloadHash(s.payloadHash) {
		e := invalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, " +
			"STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, " +
			"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
		e.Extra = [][2]string{{"ArgumentName", "x-amz-content-sha256"}}
		return nil, e
	}

	secret, err := v.Credentials.SecretKey(r.Context(), s.cred.accessKeyID)
	if errors.Is(err, ErrUnknownKey) {
		return nil, unknownKeyError(s.cred.accessKeyID)
	}
	if err != nil {
		return nil, fmt.Errorf("sigv4: look up secret key: %w", err)
	}
	key := v.keys.get(s.cred.accessKeyID, secret, s.cred.day, s.cred.region, s.cred.service)

	// STS and IAM form posts come without x-amz-content-sha256: the body
	// is hashed here, so it needs no further check.
	hashed := s.payloadHash == ""
	if hashed {
		if s.payloadHash, err = hashFormBody(r); err != nil {
			return nil, err
		}
	}
	if e := checkSignature(r, s, key, path, query); e != nil {
		return nil, e
	}

	a := &Auth{
		AccessKeyID:     s.cred.accessKeyID,
		Date:            s.date,
		Region:          s.cred.region,
		Service:         s.cred.service,
		SignedHeaders:   s.names,
		Presigned:       s.presigned,
		SessionToken:    s.token,
		PayloadHash:     s.payloadHash,
		DecodedLength:   r.ContentLength,
		ContentEncoding: stripAWSChunked(r.Header["Content-Encoding"]),
	}
	switch {
	case hashed && r.Body == nil:
		a.Body = http.NoBody
	case hashed:
		a.Body = r.Body
	default:
		if e := attachBody(r, a, s, key); e != nil {
			return nil, e
		}
	}
	return a, nil
}

// unsignedAmzHeaders lists the x-amz-* headers present but not signed,
// except x-amz-content-sha256: its value is the last line of the
// canonical request, so it is covered by the signature anyway.
func unsignedAmzHeaders(h http.Header, names []string) []string {
	var bad []string
	for k := range h {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") ||
			strings.EqualFold(k, "x-amz-content-sha256") {
			continue
		}
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, k) }) {
			bad = append(bad, strings.ToLower(k))
		}
	}
	return bad
}

// scratch holds the buffers of one signature computation.
type scratch struct {
	canon, sts, query, headers, uri, alt, qbuf []byte
	pairs                                      []queryPair
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooled keeps buffers grown by an outsized request out of the pool.
const maxPooled = 64 << 10

func (b *scratch) release() {
	if cap(b.canon) > maxPooled || cap(b.qbuf) > maxPooled || cap(b.query) > maxPooled {
		return
	}
	scratchPool.Put(b)
}

// checkSignature recomputes the signature and compares it. For S3 the
// canonical URI is first the decoded-and-re-encoded path, then the path
// exactly as sent (some clients sign what they send); other services try
// the normalised, doubly encoded path, then the singly encoded one.
func checkSignature(r *http.Request, s *signed, key *[32]byte, path, query string) *Error {
	b := scratchPool.Get().(*scratch)
	defer b.release()

	b.query, b.qbuf, b.pairs = appendCanonicalQuery(b.query[:0], query, s.presigned, b.qbuf, b.pairs)
	b.headers = appendCanonicalHeaders(b.headers[:0], r, s.names)
	s3 := s.cred.service == "s3"
	b.uri = appendCanonicalURI(b.uri[:0], path, s3)
	if b.matches(r, s, key, b.uri) {
		return nil
	}
	if s3 {
		b.alt = append(b.alt[:0], path...)
	} else {
		b.alt = appendRecoded(b.alt[:0], path, true)
	}
	if !bytes.Equal(b.alt, b.uri) && b.matches(r, s, key, b.alt) {
		return nil
	}

	// Report the first form tried, as the client's own canonical request
	// is most likely that one.
	b.matches(r, s, key, b.uri)
	canon, sts := string(b.canon), string(b.sts[64:])
	if s.token != "" {
		canon = redact(canon, s.token)
	}
	return signatureMismatch(s.cred.accessKeyID, sts, canon)
}

// redact hides a session token, raw or URI-encoded, in an error text.
func redact(text, token string) string {
	text = strings.ReplaceAll(text, token, "<redacted>")
	return strings.ReplaceAll(text, string(AppendURIEncode(nil, token, false)), "<redacted>")
}

// matches builds the canonical request with uri and the string to sign
// (left in b.canon and b.sts[64:]) and reports whether its signature is
// the one sent.
func (b *scratch) matches(r *http.Request, s *signed, key *[32]byte, uri []byte) bool {
	c := append(b.canon[:0], r.Method...)
	c = append(c, '\n')
	c = append(c, uri...)
	c = append(c, '\n')
	c = append(c, b.query...)
	c = append(c, '\n')
	c = append(c, b.headers...)
	c = append(c, '\n')
	c = append(c, s.signedHeaders...)
	c = append(c, '\n')
	c = append(c, s.payloadHash...)
	b.canon = c
	sum := sha256.Sum256(c)

	t := slices.Grow(b.sts[:0], 64+128+len(s.cred.scope))[:64]
	t = append(t, algorithm+"\n"...)
	t = append(t, s.amzDate...)
	t = append(t, '\n')
	t = append(t, s.cred.scope...)
	t = append(t, '\n')
	t = hex.AppendEncode(t, sum[:])
	b.sts = t
	got := hmacPadded(key, t)
	return subtle.ConstantTimeCompare(got[:], s.signature[:]) == 1
}
