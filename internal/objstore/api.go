package objstore

import (
	"context"
	"errors"
	"io"
	"time"

	"inlet/internal/checksum"
)

// Sentinel errors. The S3 front maps each to its wire error.
var (
	ErrNoSuchBucket        = errors.New("objstore: no such bucket")
	ErrBucketExists        = errors.New("objstore: bucket already exists")       // owned by another account
	ErrBucketOwnedByYou    = errors.New("objstore: bucket already owned by you") // same owner
	ErrBucketNotEmpty      = errors.New("objstore: bucket not empty")
	ErrNoSuchKey           = errors.New("objstore: no such key")
	ErrNoSuchUpload        = errors.New("objstore: no such upload")
	ErrInvalidPart         = errors.New("objstore: invalid part")
	ErrInvalidPartOrder    = errors.New("objstore: invalid part order")
	ErrEntityTooSmall      = errors.New("objstore: entity too small")
	ErrPreconditionFailed  = errors.New("objstore: precondition failed")
	ErrIncompleteBody      = errors.New("objstore: body shorter than declared size")
	ErrInvalidPartChecksum = errors.New("objstore: part checksum mismatch")
)

// Bucket describes a bucket.
type Bucket struct {
	Name      string
	Owner     string // account id
	Region    string
	CreatedAt time.Time
}

// ObjectMeta is everything stored about an object besides its bytes.
type ObjectMeta struct {
	Bucket       string
	Key          string
	Size         int64
	ETag         string // without quotes: md5 hex, or md5-of-md5s "-N"
	LastModified time.Time
	Owner        string // account id that owns the object

	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// WebsiteRedirect is x-amz-website-redirect-location, kept and
	// returned; S3 acts on it only for website endpoints, which inlet has
	// none of.
	WebsiteRedirect string
	UserMeta        map[string]string // x-amz-meta-* without the prefix, keys lower-case
	Tags            map[string]string
	StorageClass    string
	ACL             []byte // opaque to objstore: the S3 front's encoded ACL

	// Checksum is the full-object checksum (or composite "...-N" for
	// multipart), empty Algorithm when none.
	Checksum checksum.Value
	// Parts holds the part sizes of a multipart object, in order; nil for a
	// single-part object. Used for HEAD/GET with partNumber.
	Parts []PartInfo
}

// PutOptions carries what a PUT stores besides the bytes.
type PutOptions struct {
	Meta ObjectMeta // Bucket, Key, Size, ETag, LastModified, Checksum, Parts are filled by the store

	// Size is the exact body length when known (-1 when not). A body that
	// ends early is ErrIncompleteBody and nothing is stored.
	Size int64

	// ChecksumAlgorithm, if set, is computed over the body and stored.
	ChecksumAlgorithm checksum.Algorithm

	// BeforeCommit runs after the whole body is read and fsynced and before
	// the index commit; an error aborts the write and nothing is stored. It
	// receives the digests computed over the body (MD5 always, plus the
	// requested checksum). Use it to compare against Content-MD5 or checksum
	// headers and trailers that are known only after the body was read.
	BeforeCommit func(d Digests) error

	// IfMatch / IfNoneMatch make the write conditional on the current
	// object ("*" for IfNoneMatch means the key must not exist).
	IfMatch     string
	IfNoneMatch string
}

// Digests are computed over a body while it is stored.
type Digests struct {
	MD5      [16]byte
	Checksum checksum.Value // zero when no algorithm was requested
	Size     int64
}

// ListOptions selects a page of a bucket's keys (ListObjects v1/v2 semantics).
type ListOptions struct {
	Prefix     string
	Delimiter  string // empty: no rollup
	StartAfter string // exclusive; for v1 marker, v2 start-after or decoded continuation token
	MaxKeys    int    // 0 lists nothing (IsTruncated false)
}

// ListResult is one page. A rolled-up common prefix counts once against
// MaxKeys. NextMarker is the last key or common prefix returned, to pass as
// StartAfter for the next page (a common prefix as marker skips all its keys).
type ListResult struct {
	Objects        []ObjectMeta
	CommonPrefixes []string
	IsTruncated    bool
	NextMarker     string
}

// Upload is an in-progress multipart upload.
type Upload struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
	// Meta is what CreateMultipartUpload stored, applied on completion.
	Meta              ObjectMeta
	ChecksumAlgorithm checksum.Algorithm
	// ChecksumType is what the object's checksum will be: COMPOSITE (the
	// digest of the parts' digests, "-N") or FULL_OBJECT (the CRC of the
	// whole object). "" on CreateUpload means the algorithm's default; it
	// stays "" for an upload that named no algorithm.
	ChecksumType checksum.Type
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	Number       int
	Size         int64
	ETag         string // md5 hex, no quotes
	LastModified time.Time
	Checksum     checksum.Value
}

// CompletePart is one entry of a CompleteMultipartUpload request.
type CompletePart struct {
	Number   int
	ETag     string // quotes allowed, stripped by the store
	Checksum string // optional base64 value the client listed for the part
}

// ListUploadsOptions selects ListMultipartUploads results.
type ListUploadsOptions struct {
	Prefix         string
	Delimiter      string // rolls keys up into common prefixes, as ListObjects does
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// ListPartsOptions selects ListParts results.
type ListPartsOptions struct {
	PartNumberMarker int
	MaxParts         int
}

// Reader reads an object's bytes. It is positioned at the start of the
// requested range and returns exactly the range.
type Reader interface {
	io.ReadCloser
}

// The store's operations. They are implemented in store.go and friends.
var _ interface {
	CreateBucket(ctx context.Context, b Bucket) error
	GetBucket(ctx context.Context, name string) (Bucket, error)
	ListBuckets(ctx context.Context, owner string) ([]Bucket, error)
	DeleteBucket(ctx context.Context, name string) error

	PutObject(ctx context.Context, body io.Reader, opts PutOptions) (ObjectMeta, error)
	HeadObject(ctx context.Context, bucket, key string) (ObjectMeta, error)
	// GetObject opens the object; offset and length select a range
	// (length -1 to the end).
	GetObject(ctx context.Context, bucket, key string, offset, length int64) (ObjectMeta, Reader, error)
	DeleteObject(ctx context.Context, bucket, key string) error // missing key is not an error
	DeleteObjectIf(ctx context.Context, bucket, key, ifMatch string) error
	UpdateObjectMeta(ctx context.Context, bucket, key string, fn func(*ObjectMeta) error) (ObjectMeta, error)
	ListObjects(ctx context.Context, bucket string, opts ListOptions) (ListResult, error)

	CreateUpload(ctx context.Context, u Upload) (Upload, error) // assigns UploadID and Initiated
	GetUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error)
	PutPart(ctx context.Context, bucket, key, uploadID string, number int, body io.Reader, opts PutOptions) (PartInfo, error)
	CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, opts PutOptions) (ObjectMeta, error)
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error
	ListParts(ctx context.Context, bucket, key, uploadID string, opts ListPartsOptions) ([]PartInfo, bool, error)
	ListUploads(ctx context.Context, bucket string, opts ListUploadsOptions) (UploadPage, error)

	Close() error
} = (*Store)(nil)
