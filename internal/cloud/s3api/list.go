package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"strings"

	"inlet/internal/objstore"
)

type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encodeURL         bool
	bucket            bucket // whose Object Ownership says who owns what is listed
}

func parseListParams(q *request) (listParams, error) {
	p := listParams{
		prefix:    q.query.Get("prefix"),
		delimiter: q.query.Get("delimiter"),
		maxKeys:   1000,
	}
	if v := q.query.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errorf("InvalidArgument", "Provided max-keys not an integer or within integer range")
		}
		p.maxKeys = min(n, 1000)
	}
	switch et := q.query.Get("encoding-type"); et {
	case "":
	case "url":
		p.encodeURL = true
	default:
		return p, errorf("InvalidArgument", "Invalid Encoding Method specified in Request")
	}
	return p, nil
}

func (p listParams) enc(s string) string {
	if !p.encodeURL {
		return s
	}
	return urlEncodeKey(s)
}

// urlEncodeKey percent-encodes a key for encoding-type=url replies: every
// byte but the unreserved ones and "/" (a space is %20 and "+" is %2B, so
// both form and path decoders give the key back).
func urlEncodeKey(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

type objectEntry struct {
	Key               string
	LastModified      string
	ETag              string
	Size              int64
	Owner             *owner `xml:",omitempty"`
	StorageClass      string
	ChecksumAlgorithm string `xml:",omitempty"`
	ChecksumType      string `xml:",omitempty"`
}

type commonPrefix struct {
	Prefix string
}

func (p listParams) entries(res objstore.ListResult, withOwner bool) ([]objectEntry, []commonPrefix) {
	objs := make([]objectEntry, 0, len(res.Objects))
	for _, o := range res.Objects {
		e := objectEntry{
			Key:          p.enc(o.Key),
			LastModified: isoTime(o.LastModified),
			ETag:         quoteETag(o.ETag),
			Size:         o.Size,
			StorageClass: storageClass(o.StorageClass),
		}
		if !o.Checksum.IsZero() {
			e.ChecksumAlgorithm = string(o.Checksum.Algorithm)
			e.ChecksumType = checksumXML(o.Checksum).ChecksumType
		}
		if withOwner {
			e.Owner = &owner{ID: p.bucket.objectOwner(o.Owner)}
		}
		objs = append(objs, e)
	}
	cps := make([]commonPrefix, 0, len(res.CommonPrefixes))
	for _, c := range res.CommonPrefixes {
		cps = append(cps, commonPrefix{Prefix: p.enc(c)})
	}
	return objs, cps
}

func storageClass(s string) string {
	if s == "" {
		return "STANDARD"
	}
	return s
}

type listBucketResultV2 struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	Xmlns                 string   `xml:"xmlns,attr"`
	Name                  string
	Prefix                string
	Delimiter             string `xml:",omitempty"`
	MaxKeys               int
	EncodingType          string `xml:",omitempty"`
	KeyCount              int
	IsTruncated           bool
	ContinuationToken     string `xml:",omitempty"`
	NextContinuationToken string `xml:",omitempty"`
	StartAfter            string `xml:",omitempty"`
	Contents              []objectEntry
	CommonPrefixes        []commonPrefix
}

func (s *Server) listObjectsV2(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	p.bucket = b
	startAfter := q.query.Get("start-after")
	marker := startAfter
	token := q.query.Get("continuation-token")
	if q.query.Has("continuation-token") {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			return errorf("InvalidArgument", "The continuation token provided is incorrect")
		}
		marker = string(raw)
	}
	res, err := s.cfg.Store.ListObjects(q.r.Context(), q.bucket, objstore.ListOptions{
		Prefix: p.prefix, Delimiter: p.delimiter, StartAfter: marker, MaxKeys: p.maxKeys,
	})
	if err != nil {
		return err
	}
	objs, cps := p.entries(res, q.query.Get("fetch-owner") == "true")
	out := listBucketResultV2{
		Xmlns:             s3Namespace,
		Name:              q.bucket,
		Prefix:            p.enc(p.prefix),
		Delimiter:         p.enc(p.delimiter),
		MaxKeys:           p.maxKeys,
		KeyCount:          len(objs) + len(cps),
		IsTruncated:       res.IsTruncated,
		ContinuationToken: token,
		StartAfter:        p.enc(startAfter),
		Contents:          objs,
		CommonPrefixes:    cps,
	}
	if p.encodeURL {
		out.EncodingType = "url"
	}
	if res.IsTruncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.NextMarker))
	}
	return writeRawXML(q, 200, out.marshal())
}

type listBucketResultV1 struct {
	XMLName        xml.Name `xml:"ListBucketResult"`
	Xmlns          string   `xml:"xmlns,attr"`
	Name           string
	Prefix         string
	Marker         string
	NextMarker     string `xml:",omitempty"`
	MaxKeys        int
	Delimiter      string `xml:",omitempty"`
	EncodingType   string `xml:",omitempty"`
	IsTruncated    bool
	Contents       []objectEntry
	CommonPrefixes []commonPrefix
}

func (s *Server) listObjects(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	p.bucket = b
	marker := q.query.Get("marker")
	res, err := s.cfg.Store.ListObjects(q.r.Context(), q.bucket, objstore.ListOptions{
		Prefix: p.prefix, Delimiter: p.delimiter, StartAfter: marker, MaxKeys: p.maxKeys,
	})
	if err != nil {
		return err
	}
	objs, cps := p.entries(res, true)
	out := listBucketResultV1{
		Xmlns:          s3Namespace,
		Name:           q.bucket,
		Prefix:         p.enc(p.prefix),
		Marker:         p.enc(marker),
		MaxKeys:        p.maxKeys,
		Delimiter:      p.enc(p.delimiter),
		IsTruncated:    res.IsTruncated,
		Contents:       objs,
		CommonPrefixes: cps,
	}
	if p.encodeURL {
		out.EncodingType = "url"
	}
	// S3 returns NextMarker only with a delimiter; without one clients use
	// the last key.
	if res.IsTruncated && p.delimiter != "" {
		out.NextMarker = p.enc(res.NextMarker)
	}
	return writeXML(q, 200, out)
}

type listVersionsResult struct {
	XMLName             xml.Name `xml:"ListVersionsResult"`
	Xmlns               string   `xml:"xmlns,attr"`
	Name                string
	Prefix              string
	KeyMarker           string
	VersionIDMarker     string `xml:"VersionIdMarker"`
	NextKeyMarker       string `xml:",omitempty"`
	NextVersionIDMarker string `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int
	Delimiter           string `xml:",omitempty"`
	EncodingType        string `xml:",omitempty"`
	IsTruncated         bool
	Versions            []versionEntry `xml:"Version"`
	CommonPrefixes      []commonPrefix
}

type versionEntry struct {
	Key          string
	VersionID    string `xml:"VersionId"`
	IsLatest     bool
	LastModified string
	ETag         string
	Size         int64
	Owner        owner
	StorageClass string
}

// listObjectVersions lists a bucket without versioning: every object is
// its only version, "null".
func (s *Server) listObjectVersions(q *request) error {
	b, err := s.bucketFor(q)
	if err != nil {
		return err
	}
	p, err := parseListParams(q)
	if err != nil {
		return err
	}
	p.bucket = b
	keyMarker, versionMarker := q.query.Get("key-marker"), q.query.Get("version-id-marker")
	switch {
	case versionMarker != "" && keyMarker == "":
		return errorf("InvalidArgument", "A version-id marker cannot be specified without a key marker.")
	case versionMarker != "" && versionMarker != "null":
		// Without versioning, "null" is the only version there is.
		return errorf("InvalidArgument", "Invalid version id specified")
	}
	res, err := s.cfg.Store.ListObjects(q.r.Context(), q.bucket, objstore.ListOptions{
		Prefix: p.prefix, Delimiter: p.delimiter, StartAfter: keyMarker, MaxKeys: p.maxKeys,
	})
	if err != nil {
		return err
	}
	out := listVersionsResult{
		Xmlns:           s3Namespace,
		Name:            q.bucket,
		Prefix:          p.enc(p.prefix),
		KeyMarker:       p.enc(keyMarker),
		VersionIDMarker: versionMarker,
		MaxKeys:         p.maxKeys,
		Delimiter:       p.enc(p.delimiter),
		IsTruncated:     res.IsTruncated,
		Versions:        []versionEntry{},
	}
	if p.encodeURL {
		out.EncodingType = "url"
	}
	for _, o := range res.Objects {
		out.Versions = append(out.Versions, versionEntry{
			Key: p.enc(o.Key), VersionID: "null", IsLatest: true,
			LastModified: isoTime(o.LastModified), ETag: quoteETag(o.ETag), Size: o.Size,
			Owner: owner{ID: p.bucket.objectOwner(o.Owner)}, StorageClass: storageClass(o.StorageClass),
		})
	}
	for _, c := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: p.enc(c)})
	}
	if res.IsTruncated {
		out.NextKeyMarker = p.enc(res.NextMarker)
		out.NextVersionIDMarker = "null"
	}
	return writeXML(q, 200, out)
}
