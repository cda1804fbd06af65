package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"inlet/internal/checksum"
	"inlet/internal/objstore"
)

const (
	maxPutSize      = 5 << 30 // single PUT and part size limit
	maxUserMetaSize = 2 << 10
)

// upload is what a request body must satisfy before it is committed: the
// digests the client declared in headers or trailers.
type upload struct {
	size       int64
	md5        []byte // from Content-MD5, nil when absent
	alg        checksum.Algorithm
	want       string // expected checksum (header), empty when absent
	trailer    string // trailer header name carrying the checksum, if declared
	clientAlgo bool   // the client asked for a checksum: echo it
}

// receiveBody inspects the headers of a PutObject or UploadPart and prepares
// the integrity checks that run once the body was read.
func (s *Server) receiveBody(q *request, defaultAlg checksum.Algorithm) (*upload, error) {
	h := q.r.Header
	u := &upload{size: q.auth.DecodedLength}
	if u.size > maxPutSize {
		return nil, errorf("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size of %d bytes", int64(maxPutSize))
	}
	// As S3, a body of unknown length is refused before it is read: every
	// aws-chunked client sends x-amz-decoded-content-length, and a plain
	// chunked body has no length at all.
	switch streaming := strings.HasPrefix(q.auth.PayloadHash, "STREAMING-"); {
	case streaming && u.size < 0:
		return nil, errorf("MissingContentLength", "You must provide the x-amz-decoded-content-length header with an aws-chunked payload.")
	case !streaming && u.size < 0 && len(q.r.TransferEncoding) > 0:
		e := errorf("NotImplemented", "A header you provided implies functionality that is not implemented")
		e.Extra = [][2]string{{"Header", "Transfer-Encoding"}}
		return nil, e
	case u.size < 0:
		return nil, newError("MissingContentLength")
	}

	if v, ok := h["Content-Md5"]; ok {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(v, "")))
		if err != nil || len(raw) != md5.Size {
			return nil, newError("InvalidDigest")
		}
		u.md5 = raw
	}

	// A checksum in a header, announced as a trailer, or only named.
	a, v, err := checksumHeader(h, false)
	if err != nil {
		return nil, err
	}
	if a != "" {
		u.alg, u.want, u.clientAlgo = a, v, true
	}
	if t := strings.TrimSpace(h.Get("x-amz-trailer")); t != "" {
		a, err := checksum.Parse(strings.TrimPrefix(strings.ToLower(t), "x-amz-checksum-"))
		if err != nil || !strings.HasPrefix(strings.ToLower(t), "x-amz-checksum-") {
			return nil, errorf("InvalidRequest", "The value specified in the x-amz-trailer header is not supported: %s", t)
		}
		if u.alg != "" && u.alg != a {
			return nil, errorf("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		u.alg, u.trailer, u.clientAlgo = a, strings.ToLower(t), true
	}
	if v := h.Get("x-amz-sdk-checksum-algorithm"); v != "" {
		a, err := checksum.Parse(v)
		if err != nil {
			return nil, errorf("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		if u.alg == "" {
			u.alg, u.clientAlgo = a, true
		} else if u.alg != a {
			return nil, errorf("InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
	}
	if u.alg == "" {
		u.alg = defaultAlg
	}
	return u, nil
}

// checksumHeader returns the one x-amz-checksum-<alg> header of a request
// and its value, checked: a digest of the algorithm's size in base64, and
// with composite also a digest followed by "-N", the part count of a
// multipart object's composite checksum. It returns "" without one.
func checksumHeader(h http.Header, composite bool) (checksum.Algorithm, string, error) {
	var alg checksum.Algorithm
	var val string
	for _, a := range checksum.All {
		v := h.Get(a.HeaderName())
		if v == "" {
			continue
		}
		if alg != "" {
			return "", "", errorf("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		digest, count, counted := strings.Cut(v, "-")
		if !composite && counted || !a.Valid(digest) || counted && !validCount(count) {
			return "", "", errorf("InvalidRequest", "Value for %s header is invalid.", a.HeaderName())
		}
		alg, val = a, v
	}
	return alg, val, nil
}

// check compares the computed digests with what the client declared. It runs
// after the whole body was read and before the write is committed.
func (u *upload) check(q *request, d objstore.Digests) error {
	if u.md5 != nil && string(u.md5) != string(d.MD5[:]) {
		return newError("BadDigest")
	}
	// Both a header and a trailer may carry the value; each must match.
	wants := []string{u.want}
	if u.trailer != "" {
		want := q.auth.Trailers.Get(u.trailer)
		if want == "" {
			return errorf("MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema: missing trailer %s", u.trailer)
		}
		if !u.alg.Valid(want) {
			return errorf("InvalidRequest", "Value for %s trailing header is invalid.", u.trailer)
		}
		wants = append(wants, want)
	}
	for _, want := range wants {
		if want != "" && want != d.Checksum.Encoded {
			return errorf("BadDigest", "The %s you specified did not match the calculated checksum.", u.alg)
		}
	}
	return nil
}

// echo sets the response's checksum header when the client sent one.
func (u *upload) echo(h http.Header, v checksum.Value) {
	if v.IsZero() {
		return
	}
	h.Set(v.Algorithm.HeaderName(), v.Encoded)
}

// metaFromHeaders reads the object metadata a PUT, a copy with REPLACE or
// CreateMultipartUpload carries. The stored Content-Encoding is the
// request's without aws-chunked, which only framed the upload.
func metaFromHeaders(q *request) (objstore.ObjectMeta, error) {
	h := q.r.Header
	m := objstore.ObjectMeta{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    q.auth.ContentEncoding,
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
		StorageClass:       h.Get("x-amz-storage-class"),
	}
	if m.ContentType == "" {
		m.ContentType = "binary/octet-stream"
	}
	switch m.StorageClass {
	case "", "STANDARD":
		m.StorageClass = ""
	case "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
		"GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "EXPRESS_ONEZONE", "SNOW":
		// Accepted and reported; every class is stored the same way.
	default:
		return m, newError("InvalidStorageClass")
	}

	var err error
	if m.WebsiteRedirect, err = websiteRedirect(h); err != nil {
		return m, err
	}

	size := 0
	for name, vals := range h {
		lower := strings.ToLower(name)
		k, ok := strings.CutPrefix(lower, "x-amz-meta-")
		if !ok || k == "" {
			continue
		}
		if m.UserMeta == nil {
			m.UserMeta = make(map[string]string)
		}
		v := strings.Join(vals, ",")
		m.UserMeta[k] = v
		size += len(k) + len(v)
	}
	if size > maxUserMetaSize {
		return m, errorf("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size of %d bytes.", maxUserMetaSize)
	}

	if t := h.Get("x-amz-tagging"); t != "" {
		tags, err := parseTagHeader(t)
		if err != nil {
			return m, err
		}
		m.Tags = tags
	}
	return m, nil
}

// websiteRedirect reads x-amz-website-redirect-location as S3 takes it: a
// path in the bucket's site or an absolute http(s) URL, at most 2 KiB.
func websiteRedirect(h http.Header) (string, error) {
	v := h.Get("x-amz-website-redirect-location")
	if v == "" {
		return "", nil
	}
	if len(v) > 2048 {
		return "", errorf("InvalidRedirectLocation", "The length of website redirect location cannot exceed 2,048 characters.")
	}
	if !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		return "", newError("InvalidRedirectLocation")
	}
	return v, nil
}

// parseTagHeader parses x-amz-tagging: a URL query string of key=value.
func parseTagHeader(v string) (map[string]string, error) {
	vals, err := url.ParseQuery(v)
	if err != nil {
		return nil, errorf("InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	tags := make(map[string]string, len(vals))
	for k, vs := range vals {
		if len(vs) != 1 {
			return nil, errorf("InvalidTag", "Cannot provide multiple Tags with the same key")
		}
		tags[k] = vs[0]
	}
	return tags, validateTags(tags)
}

func validateTags(tags map[string]string) error {
	if len(tags) > 10 {
		return errorf("BadRequest", "Object tags cannot be greater than 10")
	}
	for k, v := range tags {
		if err := checkTag(k, v); err != nil {
			return err
		}
	}
	return nil
}

// checkTag applies S3's rules for one tag of an object or a bucket: a key
// of 1 to 128 characters and a value of at most 256 (characters, not
// bytes), made of letters, digits, white space and _ . : / = + - @, and
// no key in the reserved aws: namespace.
func checkTag(k, v string) error {
	if k == "" || utf8.RuneCountInString(k) > 128 || !tagText(k) {
		return errorf("InvalidTag", "The TagKey you have provided is invalid")
	}
	if utf8.RuneCountInString(v) > 256 || !tagText(v) {
		return errorf("InvalidTag", "The TagValue you have provided is invalid")
	}
	if strings.HasPrefix(k, "aws:") {
		return errorf("InvalidTag", "Your TagKey cannot be prefixed with aws:")
	}
	return nil
}

func tagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}

// cannedACLs are the canned ACL names S3 accepts.
var cannedACLs = map[string]bool{
	"private": true, "public-read": true, "public-read-write": true,
	"authenticated-read": true, "aws-exec-read": true,
	"bucket-owner-read": true, "bucket-owner-full-control": true,
	"log-delivery-write": true,
}

// checkCannedACL validates x-amz-acl. Object-only ACLs are refused on
// buckets when object is false.
func checkCannedACL(q *request, object bool) error {
	v := q.r.Header.Get("x-amz-acl")
	if v == "" {
		return nil
	}
	if !cannedACLs[v] {
		return errorf("InvalidArgument", "Invalid canned ACL: %s", v)
	}
	return nil
}

// partNumber parses the partNumber query parameter (1..10000).
func partNumber(q *request) (int, error) {
	v := q.query.Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 10000 {
		return 0, errorf("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

// limitBody stops a body without a declared length at the size limit.
func limitBody(r io.Reader, size int64) io.Reader {
	if size >= 0 {
		return r
	}
	return &capReader{r: r, left: maxPutSize + 1}
}

type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left <= 0 && err == nil {
		return n, fmt.Errorf("body: %w", newError("EntityTooLarge"))
	}
	return n, err
}
