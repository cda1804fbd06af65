package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"inlet/internal/checksum"
	"inlet/internal/objstore"
)

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string
	Key      string
	UploadID string `xml:"UploadId"`
}

func (s *Server) createUpload(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	objOwner, acl, err := writeOwnership(q, b)
	if err != nil {
		return err
	}
	m, err := metaFromHeaders(q)
	if err != nil {
		return err
	}
	m.Bucket, m.Key = b.Name, q.key
	m.Owner, m.ACL = objOwner, acl

	alg, typ, err := uploadChecksum(q.r.Header)
	if err != nil {
		return err
	}
	up, err := s.cfg.Store.CreateUpload(q.r.Context(), objstore.Upload{
		Bucket: b.Name, Key: q.key, Meta: m, ChecksumAlgorithm: alg, ChecksumType: typ,
	})
	if err != nil {
		return err
	}
	if alg != "" {
		q.w.Header().Set("x-amz-checksum-algorithm", string(alg))
		q.w.Header().Set("x-amz-checksum-type", string(typ))
	}
	return writeXML(q, 200, initiateResult{Xmlns: s3Namespace, Bucket: b.Name, Key: q.key, UploadID: up.UploadID})
}

// uploadChecksum reads the checksum algorithm and type a
// CreateMultipartUpload asks for. The type defaults to the algorithm's
// (FULL_OBJECT for CRC64NVME, COMPOSITE for the others); only the CRCs can
// be FULL_OBJECT, and CRC64NVME can be nothing else.
func uploadChecksum(h http.Header) (checksum.Algorithm, checksum.Type, error) {
	var alg checksum.Algorithm
	if v := h.Get("x-amz-checksum-algorithm"); v != "" {
		var err error
		if alg, err = checksum.Parse(v); err != nil {
			return "", "", errorf("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
	}
	v := h.Get("x-amz-checksum-type")
	if v == "" {
		if alg == "" {
			return "", "", nil
		}
		return alg, alg.DefaultType(), nil
	}
	typ, err := checksum.ParseType(v)
	switch {
	case err != nil:
		return "", "", errorf("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
	case alg == "":
		return "", "", errorf("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case !alg.Supports(typ):
		return "", "", errorf("InvalidRequest", "The %s checksum type cannot be used with the %s checksum algorithm.",
			typ, strings.ToLower(string(alg)))
	}
	return alg, typ, nil
}

// objectChecksumType is the type of the checksum the completed object
// gets: the upload's, or for an upload that named no algorithm the
// FULL_OBJECT of the default CRC64NVME.
func objectChecksumType(u objstore.Upload) checksum.Type {
	if u.ChecksumType == "" {
		return checksum.TypeFullObject
	}
	return u.ChecksumType
}

// uploadFor loads the request's multipart upload and authorizes the
// request with the canned ACL the upload was created with. Clients send
// x-amz-acl only on CreateMultipartUpload, so a policy requiring
// bucket-owner-full-control would otherwise deny every part (AWS does;
// this is a deliberate difference, see docs/s3-compatibility.md).
func (s *Server) uploadFor(q *request) (bucket, objstore.Upload, error) {
	b, err := s.loadBucket(q, q.bucket)
	if err != nil {
		return bucket{}, objstore.Upload{}, err
	}
	up, err := s.cfg.Store.GetUpload(q.r.Context(), q.bucket, q.key, q.query.Get("uploadId"))
	if err != nil {
		return bucket{}, objstore.Upload{}, err
	}
	canned := decodeACL(up.Meta.ACL).Canned
	if err := s.authorize(q, b, access{bucket: q.bucket, key: q.key, acl: &canned}); err != nil {
		return bucket{}, objstore.Upload{}, err
	}
	return b, up, nil
}

func (s *Server) uploadPart(q *request) error {
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	_, up, err := s.uploadFor(q)
	if err != nil {
		return err
	}
	u, err := s.receiveBody(q, up.ChecksumAlgorithm)
	if err != nil {
		return err
	}
	if up.ChecksumAlgorithm != "" && u.alg != up.ChecksumAlgorithm {
		return errorf("InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			strings.ToLower(string(up.ChecksumAlgorithm)), strings.ToLower(string(u.alg)))
	}
	part, err := s.cfg.Store.PutPart(q.r.Context(), q.bucket, q.key, up.UploadID, n, limitBody(q.body, u.size), objstore.PutOptions{
		Size:              u.size,
		ChecksumAlgorithm: u.alg,
		BeforeCommit:      func(d objstore.Digests) error { return u.check(q, d) },
	})
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("ETag", quoteETag(part.ETag))
	// The part's checksum: the one asked for, the upload's, or for an
	// upload that named no algorithm the default CRC64NVME, which S3 shows
	// here (but not in ListParts).
	u.echo(h, part.Checksum)
	q.w.WriteHeader(200)
	return nil
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string
	ETag         string
	checksumFields
}

func (s *Server) uploadPartCopy(q *request) error {
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	_, up, err := s.uploadFor(q)
	if err != nil {
		return err
	}
	src, err := s.openCopySource(q)
	if err != nil {
		return err
	}
	offset, length := int64(0), src.Size
	if rh := q.r.Header.Get("x-amz-copy-source-range"); rh != "" {
		if offset, length, err = parseCopyRange(rh, src.Size); err != nil {
			return err
		}
	}
	if length > maxPutSize {
		return errorf("InvalidRequest", "The specified copy range is larger than 5 GiB")
	}
	_, rd, err := s.cfg.Store.GetObject(q.r.Context(), src.Bucket, src.Key, offset, length)
	if err != nil {
		return err
	}
	defer rd.Close()
	part, err := s.cfg.Store.PutPart(q.r.Context(), q.bucket, q.key, up.UploadID, n, rd, objstore.PutOptions{
		Size: length, ChecksumAlgorithm: up.ChecksumAlgorithm,
	})
	if err != nil {
		return err
	}
	out := copyPartResult{Xmlns: s3Namespace, LastModified: isoTime(part.LastModified), ETag: quoteETag(part.ETag)}
	if up.ChecksumAlgorithm != "" {
		out.checksumFields = checksumXML(part.Checksum)
		out.ChecksumType = ""
	}
	return writeXML(q, 200, out)
}

// parseCopyRange parses x-amz-copy-source-range. Unlike a GET's Range,
// S3 takes only "bytes=first-last" with first <= last < size: no open or
// suffix range, no clamping to the object, nothing ignored.
func parseCopyRange(v string, size int64) (offset, length int64, err error) {
	malformed := errorf("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok {
		return 0, 0, malformed
	}
	f, l, ok := strings.Cut(spec, "-")
	first, ferr := parseOffset(f)
	last, lerr := parseOffset(l)
	if !ok || ferr != nil || lerr != nil || first > last {
		return 0, 0, malformed
	}
	if last >= size {
		return 0, 0, errorf("InvalidArgument", "Range specified is not valid for source object of size: %d", size)
	}
	return first, last - first + 1, nil
}

// parseOffset parses a byte offset: decimal digits only (no sign, no
// space), which strconv.ParseInt alone would not insist on.
func parseOffset(s string) (int64, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

type completeRequest struct {
	Parts []struct {
		PartNumber        int
		ETag              string
		ChecksumCRC32     string
		ChecksumCRC32C    string
		ChecksumCRC64NVME string
		ChecksumSHA1      string
		ChecksumSHA256    string
	} `xml:"Part"`
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string
	Bucket   string
	Key      string
	ETag     string
	checksumFields
}

func (s *Server) completeUpload(q *request) error {
	b, up, err := s.uploadFor(q)
	if err != nil {
		return err
	}
	want, err := completionChecks(q.r.Header)
	if err != nil {
		return err
	}
	// The type is known before the parts are looked at; S3 judges it
	// first.
	if want.typ != "" && want.typ != objectChecksumType(up) {
		return errorf("InvalidRequest", "The upload was created using the %s checksum mode. The complete request must use the same checksum mode.",
			objectChecksumType(up))
	}
	body, err := readSmallBody(q, 4<<20)
	if err != nil {
		return err
	}
	var req completeRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return newError("MalformedXML")
	}
	if len(req.Parts) == 0 {
		return errorf("MalformedXML", "You must specify at least one part")
	}
	parts := make([]objstore.CompletePart, 0, len(req.Parts))
	for _, p := range req.Parts {
		if p.PartNumber < 1 || p.PartNumber > 10000 {
			return errorf("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
		}
		cs := firstNonEmpty(p.ChecksumCRC32, p.ChecksumCRC32C, p.ChecksumCRC64NVME, p.ChecksumSHA1, p.ChecksumSHA256)
		parts = append(parts, objstore.CompletePart{Number: p.PartNumber, ETag: p.ETag, Checksum: cs})
	}
	obj, err := s.cfg.Store.CompleteUpload(q.r.Context(), q.bucket, q.key, q.query.Get("uploadId"), parts, objstore.PutOptions{
		IfMatch:      q.r.Header.Get("If-Match"),
		IfNoneMatch:  q.r.Header.Get("If-None-Match"),
		BeforeCommit: want.check,
	})
	var missing *objstore.MissingPartChecksumError
	if errors.As(err, &missing) {
		return errorf("InvalidRequest", "The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.",
			strings.ToLower(string(missing.Algorithm)), missing.Part)
	}
	if err != nil {
		return err
	}
	s.created(b.Name, q.key)
	return writeXML(q, 200, completeResult{
		Xmlns:          s3Namespace,
		Location:       q.objectURL(b.Name, q.key),
		Bucket:         b.Name,
		Key:            q.key,
		ETag:           quoteETag(obj.ETag),
		checksumFields: checksumXML(obj.Checksum),
	})
}

// completionWant is what a CompleteMultipartUpload declares about the
// whole object, to be checked against what the parts make of it.
type completionWant struct {
	typ      checksum.Type      // x-amz-checksum-type, "" when absent
	alg      checksum.Algorithm // of the x-amz-checksum-<alg> header
	value    string             // its value, "" when absent
	size     int64              // x-amz-mp-object-size, -1 when absent
	sizeText string
}

// completionChecks reads the checksum and size headers of a
// CompleteMultipartUpload.
func completionChecks(h http.Header) (completionWant, error) {
	w := completionWant{size: -1}
	if v := h.Get("x-amz-checksum-type"); v != "" {
		t, err := checksum.ParseType(v)
		if err != nil {
			return w, errorf("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
		}
		w.typ = t
	}
	// A composite value may come with its "-N" part count.
	a, v, err := checksumHeader(h, true)
	if err != nil {
		return w, err
	}
	w.alg, w.value = a, v
	if v := h.Get("x-amz-mp-object-size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			return w, errorf("InvalidRequest", "Value for x-amz-mp-object-size header is invalid: '%s'", v)
		case n < 0:
			return w, errorf("InvalidRequest", "Value for x-amz-mp-object-size header is less than zero: '%d'", n)
		}
		w.size, w.sizeText = n, v
	}
	return w, nil
}

func validCount(s string) bool {
	n, err := parseOffset(s)
	return err == nil && n >= 1 && n <= objstore.MaxPartNumber
}

// check compares the declared size and checksum with the object the parts
// make, before the object is committed.
func (w completionWant) check(d objstore.Digests) error {
	if w.size >= 0 && w.size != d.Size {
		return errorf("InvalidRequest", "The provided 'x-amz-mp-object-size' header value %s does not match what was computed: %d",
			w.sizeText, d.Size)
	}
	if w.value == "" || d.Checksum.IsZero() {
		// Nothing declared, or nothing to compare with: an upload that
		// named no algorithm whose parts were stored before their default
		// CRCs were kept.
		return nil
	}
	mismatch := errorf("BadDigest", "The %s you specified did not match the calculated checksum.",
		strings.ToLower(string(d.Checksum.Algorithm)))
	if w.alg != d.Checksum.Algorithm {
		return mismatch
	}
	// A composite value matches with or without its "-N".
	gotDigest, gotCount, _ := strings.Cut(d.Checksum.Encoded, "-")
	wantDigest, wantCount, counted := strings.Cut(w.value, "-")
	if wantDigest != gotDigest || counted && wantCount != gotCount {
		return mismatch
	}
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func (s *Server) abortUpload(q *request) error {
	if _, _, err := s.uploadFor(q); err != nil {
		return err
	}
	if err := s.cfg.Store.AbortUpload(q.r.Context(), q.bucket, q.key, q.query.Get("uploadId")); err != nil {
		return err
	}
	q.w.WriteHeader(204)
	return nil
}

type listPartsResult struct {
	XMLName              xml.Name `xml:"ListPartsResult"`
	Xmlns                string   `xml:"xmlns,attr"`
	Bucket               string
	Key                  string
	UploadID             string `xml:"UploadId"`
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
	Initiator            owner
	Owner                owner
	StorageClass         string
	ChecksumAlgorithm    string      `xml:",omitempty"`
	ChecksumType         string      `xml:",omitempty"`
	Parts                []partEntry `xml:"Part"`
}

type partEntry struct {
	PartNumber   int
	LastModified string
	ETag         string
	Size         int64
	checksumFields
}

func (s *Server) listParts(q *request) error {
	maxParts, marker := 1000, 0
	if v := q.query.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errorf("InvalidArgument", "Provided max-parts not an integer or within integer range")
		}
		maxParts = min(n, 1000)
	}
	if v := q.query.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errorf("InvalidArgument", "Provided part-number-marker not an integer or within integer range")
		}
		marker = n
	}
	_, up, err := s.uploadFor(q)
	if err != nil {
		return err
	}
	parts, truncated, err := s.cfg.Store.ListParts(q.r.Context(), q.bucket, q.key, up.UploadID,
		objstore.ListPartsOptions{PartNumberMarker: marker, MaxParts: maxParts})
	if err != nil {
		return err
	}
	out := listPartsResult{
		Xmlns: s3Namespace, Bucket: q.bucket, Key: q.key, UploadID: up.UploadID,
		PartNumberMarker: marker, MaxParts: maxParts, IsTruncated: truncated,
		Initiator: owner{ID: q.principal.AccountID}, Owner: owner{ID: up.Meta.Owner},
		StorageClass: storageClass(up.Meta.StorageClass), ChecksumAlgorithm: string(up.ChecksumAlgorithm),
		ChecksumType: string(up.ChecksumType),
	}
	for _, p := range parts {
		e := partEntry{PartNumber: p.Number, LastModified: isoTime(p.LastModified), ETag: quoteETag(p.ETag), Size: p.Size}
		e.checksumFields = checksumXML(p.Checksum)
		e.ChecksumType = ""
		out.Parts = append(out.Parts, e)
		out.NextPartNumberMarker = p.Number
	}
	return writeXML(q, 200, out)
}

type listUploadsResult struct {
	XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
	Xmlns              string   `xml:"xmlns,attr"`
	Bucket             string
	KeyMarker          string
	UploadIDMarker     string `xml:"UploadIdMarker"`
	NextKeyMarker      string
	NextUploadIDMarker string `xml:"NextUploadIdMarker"`
	Prefix             string
	Delimiter          string `xml:",omitempty"`
	MaxUploads         int
	IsTruncated        bool
	Uploads            []uploadEntry  `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:",omitempty"`
	EncodingType       string         `xml:",omitempty"`
}

type uploadEntry struct {
	Key               string
	UploadID          string `xml:"UploadId"`
	Initiator         owner
	Owner             owner
	StorageClass      string
	Initiated         string
	ChecksumAlgorithm string `xml:",omitempty"`
	ChecksumType      string `xml:",omitempty"`
}

func (s *Server) listUploads(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	maxUploads := 1000
	if v := q.query.Get("max-uploads"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errorf("InvalidArgument", "Provided max-uploads not an integer or within integer range")
		}
		maxUploads = min(n, 1000)
	}
	// Keys may hold bytes XML 1.0 cannot carry; encoding-type=url is how
	// a client asks for them percent-encoded, as in ListObjects.
	var enc listParams
	switch et := q.query.Get("encoding-type"); et {
	case "":
	case "url":
		enc.encodeURL = true
	default:
		return errorf("InvalidArgument", "Invalid Encoding Method specified in Request")
	}
	opts := objstore.ListUploadsOptions{
		Prefix:         q.query.Get("prefix"),
		KeyMarker:      q.query.Get("key-marker"),
		UploadIDMarker: q.query.Get("upload-id-marker"),
		MaxUploads:     maxUploads,
		Delimiter:      q.query.Get("delimiter"),
	}
	page, err := s.cfg.Store.ListUploads(q.r.Context(), q.bucket, opts)
	if err != nil {
		return err
	}
	out := listUploadsResult{
		Xmlns: s3Namespace, Bucket: q.bucket, KeyMarker: enc.enc(opts.KeyMarker), UploadIDMarker: opts.UploadIDMarker,
		NextKeyMarker: enc.enc(page.NextKeyMarker), NextUploadIDMarker: page.NextUploadIDMarker,
		Prefix: enc.enc(opts.Prefix), Delimiter: enc.enc(opts.Delimiter), MaxUploads: maxUploads, IsTruncated: page.IsTruncated,
	}
	if enc.encodeURL {
		out.EncodingType = "url"
	}
	for _, u := range page.Uploads {
		out.Uploads = append(out.Uploads, uploadEntry{
			Key: enc.enc(u.Key), UploadID: u.UploadID, Initiator: owner{ID: u.Meta.Owner}, Owner: owner{ID: u.Meta.Owner},
			StorageClass: storageClass(u.Meta.StorageClass), Initiated: isoTime(u.Initiated),
			ChecksumAlgorithm: string(u.ChecksumAlgorithm), ChecksumType: string(u.ChecksumType),
		})
	}
	for _, cp := range page.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc.enc(cp)})
	}
	return writeXML(q, 200, out)
}
