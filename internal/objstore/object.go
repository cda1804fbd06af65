package objstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"inlet/internal/meta"
)

// stored is an object's index row as read.
type stored struct {
	meta     ObjectMeta
	blobID   sql.NullInt64
	segs     []segment
	rawMeta  []byte
	mtimeRaw int64
}

const objectCols = "size, etag, mtime, owner, storage_class, checksum, blob_id, segments, meta"

type rowScanner interface{ Scan(dest ...any) error }

// scanObject reads objectCols (and extra columns after them).
func scanObject(r rowScanner, bucket, key string, extra ...any) (stored, error) {
	o := stored{meta: ObjectMeta{Bucket: bucket, Key: key}}
	var ck, segs string
	dest := append([]any{&o.meta.Size, &o.meta.ETag, &o.mtimeRaw, &o.meta.Owner,
		&o.meta.StorageClass, &ck, &o.blobID, &segs, &o.rawMeta}, extra...)
	if err := r.Scan(dest...); err != nil {
		return stored{}, err
	}
	o.meta.LastModified = fromNanos(o.mtimeRaw)
	o.meta.Checksum = decodeChecksum(ck)
	var err error
	if o.segs, err = decodeSegments(segs); err != nil {
		return stored{}, err
	}
	if err := decodeRecord(o.rawMeta, &o.meta); err != nil {
		return stored{}, err
	}
	return o, nil
}

// loadObject reads the row of bucket/key: ErrNoSuchKey, or ErrNoSuchBucket
// when the bucket is missing too.
func loadObject(ctx context.Context, q querier, bucket, key string) (stored, error) {
	row := q.QueryRowContext(ctx,
		"SELECT "+objectCols+" FROM objects WHERE bucket = ? AND key = ?", bucket, key)
	o, err := scanObject(row, bucket, key)
	if errors.Is(err, sql.ErrNoRows) {
		if err := bucketExists(ctx, q, bucket); err != nil {
			return stored{}, err
		}
		return stored{}, ErrNoSuchKey
	}
	if err != nil {
		return stored{}, fmt.Errorf("load object: %w", err)
	}
	return o, nil
}

// PutObject stores body as opts.Meta.Bucket/opts.Meta.Key, replacing any
// object of that key once the new one is durable (last completed write
// wins). See the package documentation for what happens on disk.
func (s *Store) PutObject(ctx context.Context, body io.Reader, opts PutOptions) (ObjectMeta, error) {
	m := opts.Meta
	if err := s.precheck(ctx, m.Bucket, m.Key, &opts); err != nil {
		return ObjectMeta{}, err
	}

	sp, err := s.spool(ctx, body, opts.Size, opts.ChecksumAlgorithm, true)
	if err != nil {
		return ObjectMeta{}, err
	}
	if opts.BeforeCommit != nil {
		if err := opts.BeforeCommit(sp.digests); err != nil {
			s.discard(sp, err)
			return ObjectMeta{}, err
		}
	}

	m.Size = sp.digests.Size
	m.ETag = hex.EncodeToString(sp.digests.MD5[:])
	m.Checksum = sp.digests.Checksum
	m.Parts = nil
	var segs []segment
	if sp.fileID != "" {
		segs = []segment{{ID: sp.fileID, Size: m.Size}}
	}

	var replaced []string
	err = s.db.Write(ctx, func(tx *meta.Tx) error {
		m.LastModified = fromNanos(s.nowNanos())
		var err error
		replaced, err = writeObject(tx, &m, sp.inline, segs, segs, &opts)
		return err
	})
	if err != nil {
		s.discard(sp, err)
		return ObjectMeta{}, err
	}
	s.release(objKey{m.Bucket, m.Key}, replaced)
	return m, nil
}

// precheck fails a write early, before its body is read, when the bucket
// is missing or a condition fails now. The commit checks both again, so a
// small body of known size skips it.
func (s *Store) precheck(ctx context.Context, bucket, key string, opts *PutOptions) error {
	if opts.IfMatch == "" && opts.IfNoneMatch == "" {
		if opts.Size >= 0 && opts.Size <= int64(s.inlineMax) {
			return nil
		}
		return bucketExists(ctx, s.reader(), bucket)
	}
	var etag string
	err := s.queryRow(ctx, "SELECT etag FROM objects WHERE bucket = ? AND key = ?", bucket, key).Scan(&etag)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := bucketExists(ctx, s.reader(), bucket); err != nil {
			return err
		}
		return checkConditions(false, "", opts)
	case err != nil:
		return fmt.Errorf("look up object: %w", err)
	}
	return checkConditions(true, etag, opts)
}

// reader returns the reader pool as a querier using cached statements.
func (s *Store) reader() querier { return cachedReader{s} }

type cachedReader struct{ s *Store }

func (c cachedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.s.query(ctx, query, args...)
}

func (c cachedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.s.queryRow(ctx, query, args...)
}

// checkConditions evaluates If-Match / If-None-Match against the current
// object. As on AWS, If-Match on a missing key is ErrNoSuchKey.
func checkConditions(exists bool, etag string, opts *PutOptions) error {
	if opts.IfNoneMatch != "" && exists && ETagMatches(opts.IfNoneMatch, etag, false) {
		return ErrPreconditionFailed
	}
	return checkIfMatch(exists, etag, opts.IfMatch)
}

// checkIfMatch evaluates If-Match against the current object: "*" for any,
// else one of the listed ETags; on a missing key it is ErrNoSuchKey.
func checkIfMatch(exists bool, etag, ifMatch string) error {
	if ifMatch == "" {
		return nil
	}
	if !exists {
		return ErrNoSuchKey
	}
	if !ETagMatches(ifMatch, etag, true) {
		return ErrPreconditionFailed
	}
	return nil
}

// ETagMatches reports whether a conditional header's comma-separated list
// of quoted ETags names etag, "*" naming any. strong is If-Match's
// comparison (RFC 9110): a weak tag (W/"...") never matches; If-None-Match
// compares weakly.
func ETagMatches(list, etag string, strong bool) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if strings.HasPrefix(e, "W/") {
			if strong {
				continue
			}
			e = e[2:]
		}
		if e == "*" || strings.Trim(e, `"`) == etag {
			return true
		}
	}
	return false
}

// version is what a write needs to know of the version it replaces.
type version struct {
	etag   string
	blobID sql.NullInt64
	segs   []segment
}

// currentVersion reads the version of bucket/key that a write replaces:
// ErrNoSuchKey, or ErrNoSuchBucket when the bucket is missing too. One
// query answers both, as this runs on the group-commit writer for every
// write.
func currentVersion(tx *meta.Tx, bucket, key string) (version, error) {
	var v version
	var hasBucket bool
	var etag, segs sql.NullString
	err := tx.QueryRowContext(bg, `SELECT b.name IS NOT NULL, o.etag, o.blob_id, o.segments
		FROM (SELECT ?1 AS bucket, ?2 AS key) q
		LEFT JOIN buckets b ON b.name = q.bucket
		LEFT JOIN objects o ON o.bucket = q.bucket AND o.key = q.key`,
		bucket, key).Scan(&hasBucket, &etag, &v.blobID, &segs)
	switch {
	case err != nil:
		return version{}, fmt.Errorf("look up object: %w", err)
	case !hasBucket:
		return version{}, ErrNoSuchBucket
	case !etag.Valid:
		return version{}, ErrNoSuchKey
	}
	v.etag = etag.String
	if v.segs, err = decodeSegments(segs.String); err != nil {
		return version{}, err
	}
	return v, nil
}

// writeObject makes m (stored inline or as segs) the object of its key
// inside a write transaction, checking the bucket and opts' conditions.
// newFiles are the files to add to the files table (those not there yet).
// It returns the files of the replaced version, to release after the
// commit.
func writeObject(tx *meta.Tx, m *ObjectMeta, inline []byte, segs, newFiles []segment,
	opts *PutOptions,
) ([]string, error) {
	old, err := currentVersion(tx, m.Bucket, m.Key)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNoSuchKey) {
		return nil, err
	}
	if err := checkConditions(exists, old.etag, opts); err != nil {
		return nil, err
	}

	var blobID sql.NullInt64
	if len(inline) > 0 {
		res, err := tx.ExecContext(bg, "INSERT INTO blobs (data) VALUES (?)", inline)
		if err != nil {
			return nil, fmt.Errorf("store inline body: %w", err)
		}
		if blobID.Int64, err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("store inline body: %w", err)
		}
		blobID.Valid = true
	}
	for _, f := range newFiles {
		if _, err := tx.ExecContext(bg, "INSERT INTO files (id) VALUES (?)", f.ID); err != nil {
			return nil, fmt.Errorf("record object file: %w", err)
		}
	}
	_, err = tx.ExecContext(bg, "INSERT OR REPLACE INTO objects (bucket, key, "+objectCols+
		") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		m.Bucket, m.Key, m.Size, m.ETag, m.LastModified.UnixNano(), m.Owner, m.StorageClass,
		encodeChecksum(m.Checksum), blobID, encodeSegments(segs), encodeRecord(m, false))
	if err != nil {
		return nil, fmt.Errorf("index object: %w", err)
	}

	if !exists {
		return nil, nil
	}
	return dropContent(tx, &old)
}

// dropContent removes the inline bytes and the file records of a replaced
// or deleted version, and returns its files.
func dropContent(tx *meta.Tx, v *version) ([]string, error) {
	if v.blobID.Valid {
		if _, err := tx.ExecContext(bg, "DELETE FROM blobs WHERE id = ?", v.blobID.Int64); err != nil {
			return nil, fmt.Errorf("drop inline body: %w", err)
		}
	}
	ids := segmentIDs(v.segs)
	if err := dropFiles(tx, ids); err != nil {
		return nil, fmt.Errorf("drop object files: %w", err)
	}
	return ids, nil
}

// HeadObject returns an object's metadata.
func (s *Store) HeadObject(ctx context.Context, bucket, key string) (ObjectMeta, error) {
	o, err := loadObject(ctx, s.reader(), bucket, key)
	if err != nil {
		return ObjectMeta{}, err
	}
	return o.meta, nil
}

// GetObject opens an object for reading from offset, length bytes (-1: to
// the end; a range past the end is cut at the end). The reader must be
// closed. The metadata and the bytes are of the same version even when a
// write replaces the object meanwhile: the replaced version's files stay
// on disk until its readers are closed.
func (s *Store) GetObject(ctx context.Context, bucket, key string, offset, length int64) (ObjectMeta, Reader, error) {
	if offset < 0 {
		return ObjectMeta{}, nil, fmt.Errorf("objstore: negative offset %d", offset)
	}
	k := objKey{bucket, key}
	s.pinKey(k)
	var data []byte
	row := s.queryRow(ctx, "SELECT "+objectCols+
		", (SELECT data FROM blobs WHERE id = objects.blob_id) FROM objects WHERE bucket = ? AND key = ?",
		bucket, key)
	o, err := scanObject(row, bucket, key, &data)
	if errors.Is(err, sql.ErrNoRows) {
		err = bucketExists(ctx, s.reader(), bucket)
		if err == nil {
			err = ErrNoSuchKey
		}
	}
	if err != nil {
		s.unpinKey(k)
		return ObjectMeta{}, nil, err
	}

	size := o.meta.Size
	offset = min(offset, size)
	if length < 0 || length > size-offset {
		length = size - offset
	}
	if len(o.segs) == 0 {
		s.unpinKey(k)
		if int64(len(data)) != size {
			return ObjectMeta{}, nil, fmt.Errorf("objstore: inline body of %q is %d bytes, not %d",
				key, len(data), size)
		}
		return o.meta, io.NopCloser(bytes.NewReader(data[offset : offset+length])), nil
	}
	return o.meta, newSegmentReader(s, o.segs, offset, length, func() { s.unpinKey(k) }), nil
}

// DeleteObject deletes an object; a missing key is not an error.
func (s *Store) DeleteObject(ctx context.Context, bucket, key string) error {
	return s.DeleteObjectIf(ctx, bucket, key, "")
}

// DeleteObjectIf deletes an object if its ETag is one ifMatch lists ("*"
// for any, "" for no condition), atomically with the check: else
// ErrPreconditionFailed, or ErrNoSuchKey when the key is missing.
func (s *Store) DeleteObjectIf(ctx context.Context, bucket, key, ifMatch string) error {
	var removed []string
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		old, err := currentVersion(tx, bucket, key)
		if errors.Is(err, ErrNoSuchKey) {
			return checkIfMatch(false, "", ifMatch)
		}
		if err != nil {
			return err
		}
		if err := checkIfMatch(true, old.etag, ifMatch); err != nil {
			return err
		}
		_, err = tx.ExecContext(bg, "DELETE FROM objects WHERE bucket = ? AND key = ?", bucket, key)
		if err != nil {
			return fmt.Errorf("delete object: %w", err)
		}
		removed, err = dropContent(tx, &old)
		return err
	})
	if err != nil {
		return err
	}
	s.release(objKey{bucket, key}, removed)
	return nil
}

// errChanged makes UpdateObjectMeta retry: the object changed between
// reading it and writing it back.
var errChanged = errors.New("objstore: object changed")

// UpdateObjectMeta changes an object's metadata (tags, ACL, owner, content
// headers, user metadata) without touching its bytes. fn gets the current
// metadata and edits it; changes to Bucket, Key, Size, ETag, LastModified,
// Checksum and Parts are ignored. fn runs outside the write transaction and
// may run again if the object changed meanwhile; the update applies only to
// the version fn saw.
func (s *Store) UpdateObjectMeta(ctx context.Context, bucket, key string,
	fn func(*ObjectMeta) error,
) (ObjectMeta, error) {
	for range 16 {
		cur, err := loadObject(ctx, s.reader(), bucket, key)
		if err != nil {
			return ObjectMeta{}, err
		}
		m := cur.meta
		m.UserMeta = cloneMap(m.UserMeta)
		m.Tags = cloneMap(m.Tags)
		m.ACL = bytes.Clone(m.ACL)
		if err := fn(&m); err != nil {
			return ObjectMeta{}, err
		}
		m.Bucket, m.Key, m.Size, m.ETag = bucket, key, cur.meta.Size, cur.meta.ETag
		m.LastModified, m.Checksum, m.Parts = cur.meta.LastModified, cur.meta.Checksum, cur.meta.Parts
		rec := encodeRecord(&m, false)

		err = s.db.Write(ctx, func(tx *meta.Tx) error {
			var etag string
			var mtime int64
			var raw []byte
			err := tx.QueryRowContext(bg, "SELECT etag, mtime, meta FROM objects WHERE bucket = ? AND key = ?",
				bucket, key).Scan(&etag, &mtime, &raw)
			if errors.Is(err, sql.ErrNoRows) {
				return errChanged
			}
			if err != nil {
				return fmt.Errorf("update object metadata: %w", err)
			}
			if etag != cur.meta.ETag || mtime != cur.mtimeRaw || !bytes.Equal(raw, cur.rawMeta) {
				return errChanged
			}
			_, err = tx.ExecContext(bg, "UPDATE objects SET owner = ?, storage_class = ?, meta = ? "+
				"WHERE bucket = ? AND key = ?", m.Owner, m.StorageClass, rec, bucket, key)
			if err != nil {
				return fmt.Errorf("update object metadata: %w", err)
			}
			return nil
		})
		if errors.Is(err, errChanged) {
			continue
		}
		if err != nil {
			return ObjectMeta{}, err
		}
		return m, nil
	}
	return ObjectMeta{}, fmt.Errorf("update object metadata: %w, too often", errChanged)
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
