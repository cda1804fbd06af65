package s3api

import (
	"encoding/xml"
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

	var alg checksum.Algorithm
	if v := q.r.Header.Get("x-amz-checksum-algorithm"); v != "" {
		if alg, err = checksum.Parse(v); err != nil {
			return errorf("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
	}
	up, err := s.cfg.Store.CreateUpload(q.r.Context(), objstore.Upload{
		Bucket: b.Name, Key: q.key, Meta: m, ChecksumAlgorithm: alg,
	})
	if err != nil {
		return err
	}
	if alg != "" {
		q.w.Header().Set("x-amz-checksum-algorithm", string(alg))
		q.w.Header().Set("x-amz-checksum-type", "COMPOSITE")
	}
	return writeXML(q, 200, initiateResult{Xmlns: s3Namespace, Bucket: b.Name, Key: q.key, UploadID: up.UploadID})
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
	if u.clientAlgo || up.ChecksumAlgorithm != "" {
		u.echo(h, part.Checksum)
	}
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
		start, end, ok, err := parseRange(rh, src.Size)
		if err != nil || !ok || strings.HasPrefix(strings.TrimPrefix(rh, "bytes="), "-") {
			return errorf("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
		}
		offset, length = start, end-start+1
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
	b, _, err := s.uploadFor(q)
	if err != nil {
		return err
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
		IfMatch:     q.r.Header.Get("If-Match"),
		IfNoneMatch: q.r.Header.Get("If-None-Match"),
	})
	if err != nil {
		return err
	}
	s.created(b.Name, q.key)
	return writeXML(q, 200, completeResult{
		Xmlns:          s3Namespace,
		Location:       "/" + b.Name + "/" + q.key,
		Bucket:         b.Name,
		Key:            q.key,
		ETag:           quoteETag(obj.ETag),
		checksumFields: checksumXML(obj.Checksum),
	})
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
	MaxUploads         int
	IsTruncated        bool
	Uploads            []uploadEntry `xml:"Upload"`
}

type uploadEntry struct {
	Key          string
	UploadID     string `xml:"UploadId"`
	Initiator    owner
	Owner        owner
	StorageClass string
	Initiated    string
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
	opts := objstore.ListUploadsOptions{
		Prefix:         q.query.Get("prefix"),
		KeyMarker:      q.query.Get("key-marker"),
		UploadIDMarker: q.query.Get("upload-id-marker"),
		MaxUploads:     maxUploads,
	}
	ups, truncated, err := s.cfg.Store.ListUploads(q.r.Context(), q.bucket, opts)
	if err != nil {
		return err
	}
	out := listUploadsResult{
		Xmlns: s3Namespace, Bucket: q.bucket, KeyMarker: opts.KeyMarker, UploadIDMarker: opts.UploadIDMarker,
		Prefix: opts.Prefix, MaxUploads: maxUploads, IsTruncated: truncated,
	}
	for _, u := range ups {
		out.Uploads = append(out.Uploads, uploadEntry{
			Key: u.Key, UploadID: u.UploadID, Initiator: owner{ID: u.Meta.Owner}, Owner: owner{ID: u.Meta.Owner},
			StorageClass: storageClass(u.Meta.StorageClass), Initiated: isoTime(u.Initiated),
		})
		out.NextKeyMarker, out.NextUploadIDMarker = u.Key, u.UploadID
	}
	return writeXML(q, 200, out)
}
