package s3api

import (
	"crypto/md5"
	"encoding/xml"
	"errors"

	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"inlet/internal/checksum"
	"inlet/internal/objstore"
)

func (s *Server) putObject(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	objOwner, acl, err := writeOwnership(q, b)
	if err != nil {
		return err
	}
	u, err := s.receiveBody(q, checksum.CRC64NVME)
	if err != nil {
		return err
	}
	m, err := metaFromHeaders(q)
	if err != nil {
		return err
	}
	m.Bucket, m.Key = b.Name, q.key
	m.Owner, m.ACL = objOwner, acl

	obj, err := s.cfg.Store.PutObject(q.r.Context(), limitBody(q.body, u.size), objstore.PutOptions{
		Meta:              m,
		Size:              u.size,
		ChecksumAlgorithm: u.alg,
		BeforeCommit:      func(d objstore.Digests) error { return u.check(q, d) },
		IfMatch:           q.r.Header.Get("If-Match"),
		IfNoneMatch:       q.r.Header.Get("If-None-Match"),
	})
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("ETag", quoteETag(obj.ETag))
	u.echo(h, obj.Checksum)
	q.w.WriteHeader(200)
	s.created(b.Name, q.key)
	return nil
}

// versionParam accepts the "null" version id that unversioned buckets
// report; any other id names a version this store never has.
func versionParam(q *request) error {
	if !q.query.Has("versionId") {
		return nil
	}
	if v := q.query.Get("versionId"); v != "null" {
		return errorf("InvalidArgument", "Invalid version id specified")
	}
	return nil
}

func (s *Server) headObject(q *request) error { return s.readObject(q, true) }
func (s *Server) getObject(q *request) error  { return s.readObject(q, false) }

// errObjectChanged means the object was replaced between reading its
// metadata and opening its bytes; the read starts over.
var errObjectChanged = errors.New("object replaced while being read")

// readObject serves GET and HEAD. A read that races a replacement of the
// object starts over (a few times), so that headers and bytes always
// belong to one version.
func (s *Server) readObject(q *request, head bool) error {
	for attempt := 1; ; attempt++ {
		q.w.Header().Del("Content-Range")
		err := s.readObjectOnce(q, head)
		if !errors.Is(err, errObjectChanged) {
			return err
		}
		if attempt == 3 {
			return errorf("InternalError", "The object changed while being read; retry")
		}
	}
}

func (s *Server) readObjectOnce(q *request, head bool) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	if err := versionParam(q); err != nil {
		return err
	}
	if q.query.Has("partNumber") && q.r.Header.Get("Range") != "" {
		return errorf("InvalidRequest", "Cannot specify both Range header and partNumber query parameter")
	}
	ctx := q.r.Context()

	// A whole-object GET opens the object at once and takes its metadata
	// from the open reader: one index read instead of two. HEAD and ranged
	// reads look at the metadata first.
	whole := !head && !q.query.Has("partNumber") && q.r.Header.Get("Range") == ""
	var m objstore.ObjectMeta
	var rd objstore.Reader
	if whole {
		m, rd, err = s.cfg.Store.GetObject(ctx, b.Name, q.key, 0, -1)
		if errors.Is(err, objstore.ErrNoSuchKey) {
			err = s.missingKey(q, b, q.key)
		}
		if err != nil {
			return err
		}
		defer rd.Close()
	} else if m, err = s.headForRead(q, b, q.key); err != nil {
		return err
	}
	if err := objectAccess(q, b, m, "READ"); err != nil {
		return err
	}
	if err := checkConditions(q.r.Header, m, "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"); err != nil {
		if e := toWire(err); e.Code == "NotModified" {
			h := q.w.Header()
			h.Set("ETag", quoteETag(m.ETag))
			h.Set("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
		}
		return err
	}

	// The byte range: a part of a multipart object, a Range header, or all.
	offset, length := int64(0), m.Size
	status := 200
	var partsCount int
	if q.query.Has("partNumber") {
		n, err := partNumber(q)
		if err != nil {
			return err
		}
		offset, length, partsCount, err = partRange(m, n)
		if err != nil {
			return err
		}
		if partsCount > 0 {
			status = 206
		}
	} else if rh := q.r.Header.Get("Range"); rh != "" {
		start, end, ok, err := parseRange(rh, m.Size)
		if err != nil {
			return err
		}
		if ok {
			offset, length, status = start, end-start+1, 206
		}
	}

	h := q.w.Header()
	setObjectHeaders(h, m)
	overrideHeaders(q, h)
	if q.r.Header.Get("x-amz-checksum-mode") == "ENABLED" && !m.Checksum.IsZero() && (status == 200 || partsCount > 0 && len(m.Parts) == 0) {
		h.Set(m.Checksum.Algorithm.HeaderName(), m.Checksum.Encoded)
		typ := "FULL_OBJECT"
		if strings.Contains(m.Checksum.Encoded, "-") {
			typ = "COMPOSITE"
		}
		h.Set("x-amz-checksum-type", typ)
	}
	if partsCount > 0 {
		h.Set("x-amz-mp-parts-count", strconv.Itoa(partsCount))
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	if status == 206 {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", offset, offset+length-1, m.Size))
	}
	if head {
		q.w.WriteHeader(status)
		return nil
	}

	if rd == nil {
		got, r, err := s.cfg.Store.GetObject(ctx, q.bucket, q.key, offset, length)
		if err != nil {
			return err
		}
		defer r.Close()
		if got.ETag != m.ETag {
			return errObjectChanged
		}
		rd = r
	}
	q.w.WriteHeader(status)
	if _, err := q.w.ReadFrom(rd); err != nil {
		// The client went away or the disk failed mid-body; the status line
		// is out, so the connection is cut.
		s.log.Warn("object body cut short", "request_id", q.id, "bucket", q.bucket, "key", q.key, "error", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// headForRead reads an object's metadata for a read. A missing key is 404
// NoSuchKey only to callers who may list the bucket; others get 403, so a
// missing key cannot be told from a forbidden one (as on S3).
func (s *Server) headForRead(q *request, b bucket, key string) (objstore.ObjectMeta, error) {
	m, err := s.cfg.Store.HeadObject(q.r.Context(), b.Name, key)
	if errors.Is(err, objstore.ErrNoSuchKey) {
		return m, s.missingKey(q, b, key)
	}
	return m, err
}

// missingKey is the error for a read of a key that does not exist:
// NoSuchKey to callers who may list the bucket, AccessDenied to others.
func (s *Server) missingKey(q *request, b bucket, key string) error {
	if aerr := s.authorize(q, b, access{action: "s3:ListBucket", bucket: b.Name}); aerr != nil {
		return aerr
	}
	return &Error{Code: "NoSuchKey", Extra: [][2]string{{"Key", key}}}
}

// partRange returns the byte range of part n of an object. A single-part
// object has one part, the whole object.
func partRange(m objstore.ObjectMeta, n int) (offset, length int64, count int, err error) {
	if len(m.Parts) == 0 {
		if n != 1 {
			return 0, 0, 0, newError("InvalidPartNumber")
		}
		return 0, m.Size, 0, nil
	}
	if n > len(m.Parts) {
		return 0, 0, 0, errorf("InvalidPartNumber", "The requested partnumber is not satisfiable")
	}
	for _, p := range m.Parts[:n-1] {
		offset += p.Size
	}
	return offset, m.Parts[n-1].Size, len(m.Parts), nil
}

// parseRange parses a single "bytes=" range. It returns ok=false for a
// header S3 ignores (syntactically invalid or several ranges) and
// InvalidRange for one that is unsatisfiable.
func parseRange(v string, size int64) (start, end int64, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, nil
	}
	invalid := &Error{Code: "InvalidRange", Extra: [][2]string{{"RangeRequested", v}, {"ActualObjectSize", strconv.FormatInt(size, 10)}}}
	switch {
	case first == "":
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, invalid
		}
		if n > size {
			n = size
		}
		return size - n, size - 1, true, nil
	default:
		s, perr := strconv.ParseInt(first, 10, 64)
		if perr != nil || s < 0 {
			return 0, 0, false, nil
		}
		e := size - 1
		if last != "" {
			e, perr = strconv.ParseInt(last, 10, 64)
			if perr != nil || e < s {
				return 0, 0, false, nil
			}
		}
		if s >= size {
			return 0, 0, false, invalid
		}
		if e >= size {
			e = size - 1
		}
		return s, e, true, nil
	}
}

// checkConditions evaluates the conditional headers named (in the order
// If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since) as S3
// does: If-Match decides over If-Unmodified-Since, If-None-Match over
// If-Modified-Since.
func checkConditions(h http.Header, m objstore.ObjectMeta, ifMatch, ifNoneMatch, ifModSince, ifUnmodSince string) error {
	matchSet, noneSet := h.Get(ifMatch) != "", h.Get(ifNoneMatch) != ""
	fail := newError("PreconditionFailed")
	notMod := newError("NotModified")
	if ifMatch == "x-amz-copy-source-if-match" {
		// Copy conditions all fail with 412.
		notMod = fail
	}
	lm := m.LastModified.Truncate(time.Second)

	if matchSet && !objstore.ETagMatches(h.Get(ifMatch), m.ETag, true) {
		return fail
	}
	if !matchSet {
		if t, ok := parseHTTPTime(h.Get(ifUnmodSince)); ok && lm.After(t) {
			return fail
		}
	}
	if noneSet && objstore.ETagMatches(h.Get(ifNoneMatch), m.ETag, false) {
		return notMod
	}
	if !noneSet {
		if t, ok := parseHTTPTime(h.Get(ifModSince)); ok && !lm.After(t) {
			return notMod
		}
	}
	return nil
}

func parseHTTPTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			return time.Time{}, false
		}
	}
	return t, true
}

func setObjectHeaders(h http.Header, m objstore.ObjectMeta) {
	h.Set("ETag", quoteETag(m.ETag))
	h.Set("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", m.ContentType)
	for k, v := range map[string]string{
		"Content-Encoding":                m.ContentEncoding,
		"Content-Disposition":             m.ContentDisposition,
		"Content-Language":                m.ContentLanguage,
		"Cache-Control":                   m.CacheControl,
		"Expires":                         m.Expires,
		"x-amz-storage-class":             m.StorageClass,
		"x-amz-website-redirect-location": m.WebsiteRedirect,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	for k, v := range m.UserMeta {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	if len(m.Tags) > 0 {
		h.Set("x-amz-tagging-count", strconv.Itoa(len(m.Tags)))
	}
}

// overrideHeaders applies the response-* query parameters of a GET.
func overrideHeaders(q *request, h http.Header) {
	for param, header := range map[string]string{
		"response-content-type":        "Content-Type",
		"response-content-language":    "Content-Language",
		"response-expires":             "Expires",
		"response-cache-control":       "Cache-Control",
		"response-content-disposition": "Content-Disposition",
		"response-content-encoding":    "Content-Encoding",
	} {
		if v := q.query.Get(param); v != "" {
			h.Set(header, v)
		}
	}
}

func quoteETag(e string) string { return `"` + e + `"` }

func (s *Server) deleteObject(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	if err := versionParam(q); err != nil {
		return err
	}
	// A conditional delete (If-Match) is checked with the delete, atomically.
	if err := s.cfg.Store.DeleteObjectIf(q.r.Context(), q.bucket, q.key, q.r.Header.Get("If-Match")); err != nil {
		return err
	}
	q.w.WriteHeader(204)
	return nil
}

type deleteRequest struct {
	Quiet   bool
	Objects []struct {
		Key       string
		VersionID string `xml:"VersionId"`
		ETag      string // deletes the object only if this is its ETag
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name      `xml:"DeleteResult"`
	Xmlns   string        `xml:"xmlns,attr"`
	Deleted []deletedItem `xml:"Deleted"`
	Errors  []deleteError `xml:"Error"`
}

type deletedItem struct {
	Key       string
	VersionID string `xml:"VersionId,omitempty"`
}

type deleteError struct {
	Key     string
	Code    string
	Message string
}

func (s *Server) deleteObjects(q *request) error {
	// Each key is authorized on its own, as s3:DeleteObject on the object
	// (a Deny on a prefix holds, a grant on a prefix suffices); a key
	// refused gets AccessDenied in the reply and the others go on.
	b, err := s.loadBucket(q, q.bucket)
	if err != nil {
		return err
	}
	u, err := s.receiveBody(q, "")
	if err != nil {
		return err
	}
	body, err := readSmallBody(q, 2<<20)
	if err != nil {
		return err
	}
	if err := u.check(q, digestsOf(body, u.alg)); err != nil {
		return err
	}
	var req deleteRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return newError("MalformedXML")
	}
	if len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return errorf("MalformedXML", "The Delete request must name between 1 and 1000 objects")
	}

	res := deleteResult{Xmlns: s3Namespace}
	for _, o := range req.Objects {
		var err error
		switch {
		case o.Key == "":
			err = errorf("InvalidArgument", "Key must not be empty")
		case len(o.Key) > 1024:
			err = newError("KeyTooLongError")
		case o.VersionID != "" && o.VersionID != "null":
			err = newError("NoSuchVersion")
		default:
			if err = s.authorize(q, b, access{key: o.Key}); err == nil {
				err = s.cfg.Store.DeleteObjectIf(q.r.Context(), q.bucket, o.Key, o.ETag)
			}
		}
		if err != nil {
			e := toWire(err)
			if e.Code == "InternalError" {
				s.log.Error("delete object", "request_id", q.id, "bucket", q.bucket, "key", o.Key, "error", err)
			}
			res.Errors = append(res.Errors, deleteError{Key: o.Key, Code: e.Code, Message: e.message()})
			continue
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, deletedItem{Key: o.Key, VersionID: o.VersionID})
		}
	}
	return writeXML(q, 200, res)
}

// copySource parses x-amz-copy-source: "bucket/key" or "/bucket/key",
// percent-decoded exactly once, with an optional ?versionId=.
func copySource(v string) (bucket, key string, err error) {
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		qv, perr := url.ParseQuery(query)
		if perr != nil || (qv.Has("versionId") && qv.Get("versionId") != "null") {
			return "", "", errorf("InvalidArgument", "Invalid version id specified")
		}
	}
	dec, perr := url.PathUnescape(path)
	if perr != nil {
		return "", "", errorf("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	dec = strings.TrimPrefix(dec, "/")
	bucket, key, ok := strings.Cut(dec, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", errorf("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, nil
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string
	ETag         string
	checksumFields
}

// checksumFields are the optional checksum elements of S3 replies.
type checksumFields struct {
	ChecksumCRC32     string `xml:",omitempty"`
	ChecksumCRC32C    string `xml:",omitempty"`
	ChecksumCRC64NVME string `xml:",omitempty"`
	ChecksumSHA1      string `xml:",omitempty"`
	ChecksumSHA256    string `xml:",omitempty"`
	ChecksumType      string `xml:",omitempty"`
}

func checksumXML(v checksum.Value) checksumFields {
	var f checksumFields
	switch v.Algorithm {
	case checksum.CRC32:
		f.ChecksumCRC32 = v.Encoded
	case checksum.CRC32C:
		f.ChecksumCRC32C = v.Encoded
	case checksum.CRC64NVME:
		f.ChecksumCRC64NVME = v.Encoded
	case checksum.SHA1:
		f.ChecksumSHA1 = v.Encoded
	case checksum.SHA256:
		f.ChecksumSHA256 = v.Encoded
	default:
		return f
	}
	f.ChecksumType = "FULL_OBJECT"
	if strings.Contains(v.Encoded, "-") {
		f.ChecksumType = "COMPOSITE"
	}
	return f
}

// openCopySource checks access to the copy source and its conditions and
// returns its metadata.
func (s *Server) openCopySource(q *request) (objstore.ObjectMeta, error) {
	sb, sk, err := copySource(q.r.Header.Get("x-amz-copy-source"))
	if err != nil {
		return objstore.ObjectMeta{}, err
	}
	b, err := s.check(q, access{action: "s3:GetObject", bucket: sb, key: sk})
	if err != nil {
		return objstore.ObjectMeta{}, err
	}
	m, err := s.headForRead(q, b, sk)
	if err != nil {
		return objstore.ObjectMeta{}, err
	}
	if err := objectAccess(q, b, m, "READ"); err != nil {
		return objstore.ObjectMeta{}, err
	}
	err = checkConditions(q.r.Header, m, "x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match",
		"x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since")
	return m, err
}

func (s *Server) copyObject(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	objOwner, acl, err := writeOwnership(q, b)
	if err != nil {
		return err
	}
	src, err := s.openCopySource(q)
	if err != nil {
		return err
	}
	if src.Size > maxPutSize {
		return errorf("InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: %d", int64(maxPutSize))
	}

	h := q.r.Header
	directive := strings.ToUpper(h.Get("x-amz-metadata-directive"))
	m := src
	switch directive {
	case "", "COPY":
		if src.Bucket == b.Name && src.Key == q.key && h.Get("x-amz-storage-class") == "" && h.Get("x-amz-acl") == "" &&
			h.Get("x-amz-website-redirect-location") == "" {
			return errorf("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
		if sc := h.Get("x-amz-storage-class"); sc != "" {
			m.StorageClass = sc
		}
		// Never copied from the source, with either directive: S3 keeps
		// it per object.
		if m.WebsiteRedirect, err = websiteRedirect(h); err != nil {
			return err
		}
	case "REPLACE":
		if m, err = metaFromHeaders(q); err != nil {
			return err
		}
		m.Tags = src.Tags
	default:
		return errorf("InvalidArgument", "Unknown metadata directive.")
	}
	switch strings.ToUpper(h.Get("x-amz-tagging-directive")) {
	case "", "COPY":
		m.Tags = src.Tags
	case "REPLACE":
		m.Tags = nil
		if t := h.Get("x-amz-tagging"); t != "" {
			if m.Tags, err = parseTagHeader(t); err != nil {
				return err
			}
		}
	default:
		return errorf("InvalidArgument", "Unknown tagging directive.")
	}
	m.Bucket, m.Key = b.Name, q.key
	m.Owner, m.ACL = objOwner, acl
	m.Parts = nil

	alg := src.Checksum.Algorithm
	if v := h.Get("x-amz-checksum-algorithm"); v != "" {
		if alg, err = checksum.Parse(v); err != nil {
			return errorf("InvalidRequest", "Checksum algorithm provided is unsupported.")
		}
	}
	if alg == "" {
		alg = checksum.CRC64NVME
	}

	_, rd, err := s.cfg.Store.GetObject(q.r.Context(), src.Bucket, src.Key, 0, src.Size)
	if err != nil {
		return err
	}
	defer rd.Close()
	// If-Match and If-None-Match are about the destination, as on PUT.
	obj, err := s.cfg.Store.PutObject(q.r.Context(), rd, objstore.PutOptions{
		Meta: m, Size: src.Size, ChecksumAlgorithm: alg,
		IfMatch: h.Get("If-Match"), IfNoneMatch: h.Get("If-None-Match"),
	})
	if err != nil {
		return err
	}
	s.created(b.Name, q.key)
	return writeXML(q, 200, copyObjectResult{
		Xmlns:          s3Namespace,
		LastModified:   isoTime(obj.LastModified),
		ETag:           quoteETag(obj.ETag),
		checksumFields: checksumXML(obj.Checksum),
	})
}

// digestsOf computes digests of an in-memory body for upload.check.
func digestsOf(b []byte, alg checksum.Algorithm) objstore.Digests {
	d := objstore.Digests{MD5: md5.Sum(b), Size: int64(len(b))}
	if alg != "" {
		d.Checksum = checksum.Of(alg, b)
	}
	return d
}
