package objstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"inlet/internal/checksum"
)

// record is how the descriptive part of an ObjectMeta is stored (the meta
// column of objects and uploads). Fields the index keeps in columns of their
// own (size, ETag, times, checksum, and for objects the owner and storage
// class) stay out of it.
type record struct {
	Owner              string            `json:"o,omitempty"`
	StorageClass       string            `json:"sc,omitempty"`
	ContentType        string            `json:"ct,omitempty"`
	ContentEncoding    string            `json:"ce,omitempty"`
	ContentDisposition string            `json:"cd,omitempty"`
	ContentLanguage    string            `json:"cl,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            string            `json:"ex,omitempty"`
	WebsiteRedirect    string            `json:"wr,omitempty"`
	UserMeta           map[string]string `json:"um,omitempty"`
	Tags               map[string]string `json:"tg,omitempty"`
	ACL                []byte            `json:"acl,omitempty"`
	Parts              []partRecord      `json:"pt,omitempty"`
}

type partRecord struct {
	Number   int    `json:"n"`
	Size     int64  `json:"s"`
	ETag     string `json:"e"`
	MTime    int64  `json:"t"`
	Checksum string `json:"c,omitempty"`
}

// encodeRecord encodes m's descriptive fields; withOwner adds the owner and
// storage class (uploads keep them there, objects in columns).
func encodeRecord(m *ObjectMeta, withOwner bool) []byte {
	r := record{
		ContentType:        m.ContentType,
		ContentEncoding:    m.ContentEncoding,
		ContentDisposition: m.ContentDisposition,
		ContentLanguage:    m.ContentLanguage,
		CacheControl:       m.CacheControl,
		Expires:            m.Expires,
		WebsiteRedirect:    m.WebsiteRedirect,
		UserMeta:           m.UserMeta,
		Tags:               m.Tags,
		ACL:                m.ACL,
	}
	if withOwner {
		r.Owner, r.StorageClass = m.Owner, m.StorageClass
	}
	for _, p := range m.Parts {
		r.Parts = append(r.Parts, partRecord{
			Number:   p.Number,
			Size:     p.Size,
			ETag:     p.ETag,
			MTime:    p.LastModified.UnixNano(),
			Checksum: encodeChecksum(p.Checksum),
		})
	}
	b, err := json.Marshal(&r)
	if err != nil {
		panic(fmt.Sprintf("objstore: encode record: %v", err)) // maps of strings always encode
	}
	return b
}

// decodeRecord fills m's descriptive fields from b.
func decodeRecord(b []byte, m *ObjectMeta) error {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("decode object record: %w", err)
	}
	if r.Owner != "" {
		m.Owner = r.Owner
	}
	if r.StorageClass != "" {
		m.StorageClass = r.StorageClass
	}
	m.ContentType = r.ContentType
	m.ContentEncoding = r.ContentEncoding
	m.ContentDisposition = r.ContentDisposition
	m.ContentLanguage = r.ContentLanguage
	m.CacheControl = r.CacheControl
	m.Expires = r.Expires
	m.WebsiteRedirect = r.WebsiteRedirect
	m.UserMeta = r.UserMeta
	m.Tags = r.Tags
	m.ACL = r.ACL
	m.Parts = nil
	for _, p := range r.Parts {
		m.Parts = append(m.Parts, PartInfo{
			Number:       p.Number,
			Size:         p.Size,
			ETag:         p.ETag,
			LastModified: fromNanos(p.MTime),
			Checksum:     decodeChecksum(p.Checksum),
		})
	}
	return nil
}

// encodeChecksum stores a checksum as "ALGORITHM base64[-N]", or "".
func encodeChecksum(v checksum.Value) string {
	if v.IsZero() {
		return ""
	}
	return string(v.Algorithm) + " " + v.Encoded
}

func decodeChecksum(s string) checksum.Value {
	alg, enc, ok := strings.Cut(s, " ")
	if !ok {
		return checksum.Value{}
	}
	return checksum.Value{Algorithm: checksum.Algorithm(alg), Encoded: enc}
}

// segment is one file of a file-backed object.
type segment struct {
	ID   string `json:"i"`
	Size int64  `json:"n"`
}

func encodeSegments(segs []segment) string {
	if len(segs) == 0 {
		return ""
	}
	b, err := json.Marshal(segs)
	if err != nil {
		panic(fmt.Sprintf("objstore: encode segments: %v", err))
	}
	return string(b)
}

func decodeSegments(s string) ([]segment, error) {
	if s == "" {
		return nil, nil
	}
	var segs []segment
	if err := json.Unmarshal([]byte(s), &segs); err != nil {
		return nil, fmt.Errorf("decode segments: %w", err)
	}
	return segs, nil
}

func segmentIDs(segs []segment) []string {
	ids := make([]string, len(segs))
	for i, s := range segs {
		ids[i] = s.ID
	}
	return ids
}

// fromNanos is the inverse of UnixNano, in UTC, so that a time returned by a
// write equals the one read back.
func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }
