package objstore

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"inlet/internal/checksum"
	"inlet/internal/meta"
)

const (
	// MinPartSize is the least size of every part of a multipart object
	// but the last.
	MinPartSize = 5 << 20
	// MaxPartNumber is the highest part number.
	MaxPartNumber = 10000
	// defaultMaxList is the page size of ListParts and ListUploads when
	// the options give none.
	defaultMaxList = 1000
)

// newUploadID returns a random URL-safe upload id.
func newUploadID() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateUpload starts a multipart upload of u.Bucket/u.Key, assigning its
// UploadID and Initiated. u.Meta (content headers, user metadata, owner,
// ACL, storage class) becomes the object's metadata on completion.
func (s *Store) CreateUpload(ctx context.Context, u Upload) (Upload, error) {
	u.UploadID = newUploadID()
	u.Meta.Bucket, u.Meta.Key = u.Bucket, u.Key
	if u.ChecksumAlgorithm != "" && u.ChecksumAlgorithm.New() == nil {
		return Upload{}, fmt.Errorf("objstore: %w: %q", checksum.ErrUnknownAlgorithm, u.ChecksumAlgorithm)
	}
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		if err := bucketExists(bg, tx, u.Bucket); err != nil {
			return err
		}
		initiated := s.nowNanos()
		u.Initiated = fromNanos(initiated)
		_, err := tx.ExecContext(bg, `INSERT INTO uploads
			(id, bucket, key, initiated, checksum_algorithm, meta) VALUES (?, ?, ?, ?, ?, ?)`,
			u.UploadID, u.Bucket, u.Key, initiated, string(u.ChecksumAlgorithm), encodeRecord(&u.Meta, true))
		if err != nil {
			return fmt.Errorf("create upload: %w", err)
		}
		return nil
	})
	if err != nil {
		return Upload{}, err
	}
	return u, nil
}

const uploadCols = "id, bucket, key, initiated, checksum_algorithm, meta"

func scanUpload(r rowScanner) (Upload, error) {
	var u Upload
	var initiated int64
	var alg string
	var rec []byte
	if err := r.Scan(&u.UploadID, &u.Bucket, &u.Key, &initiated, &alg, &rec); err != nil {
		return Upload{}, err
	}
	u.Initiated = fromNanos(initiated)
	u.ChecksumAlgorithm = checksum.Algorithm(alg)
	u.Meta = ObjectMeta{Bucket: u.Bucket, Key: u.Key}
	if err := decodeRecord(rec, &u.Meta); err != nil {
		return Upload{}, err
	}
	return u, nil
}

// loadUpload returns the upload uploadID of bucket/key: ErrNoSuchUpload
// (also when it belongs to another key), or ErrNoSuchBucket.
func loadUpload(ctx context.Context, q querier, bucket, key, uploadID string) (Upload, error) {
	u, err := scanUpload(q.QueryRowContext(ctx, "SELECT "+uploadCols+" FROM uploads WHERE id = ?", uploadID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (u.Bucket != bucket || u.Key != key)) {
		if err := bucketExists(ctx, q, bucket); err != nil {
			return Upload{}, err
		}
		return Upload{}, ErrNoSuchUpload
	}
	if err != nil {
		return Upload{}, fmt.Errorf("load upload: %w", err)
	}
	return u, nil
}

// GetUpload returns an upload in progress.
func (s *Store) GetUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error) {
	return loadUpload(ctx, s.reader(), bucket, key, uploadID)
}

// PutPart stores part number of an upload, replacing an earlier part of
// that number. Parts always go to files of their own, so that completion
// can make them the object's segments without copying. When opts asks for
// no checksum, the upload's checksum algorithm (if any) is computed.
// opts.Meta and the conditions are ignored.
func (s *Store) PutPart(ctx context.Context, bucket, key, uploadID string, number int,
	body io.Reader, opts PutOptions,
) (PartInfo, error) {
	if number < 1 || number > MaxPartNumber {
		return PartInfo{}, fmt.Errorf("objstore: part number %d out of range 1-%d", number, MaxPartNumber)
	}
	u, err := loadUpload(ctx, s.reader(), bucket, key, uploadID)
	if err != nil {
		return PartInfo{}, err
	}
	alg := opts.ChecksumAlgorithm
	if alg == "" {
		alg = u.ChecksumAlgorithm
	}

	sp, err := s.spool(ctx, body, opts.Size, alg, false)
	if err != nil {
		return PartInfo{}, err
	}
	if opts.BeforeCommit != nil {
		if err := opts.BeforeCommit(sp.digests); err != nil {
			s.discard(sp, err)
			return PartInfo{}, err
		}
	}

	p := PartInfo{
		Number:   number,
		Size:     sp.digests.Size,
		ETag:     hex.EncodeToString(sp.digests.MD5[:]),
		Checksum: sp.digests.Checksum,
	}
	var replaced []string
	err = s.db.Write(ctx, func(tx *meta.Tx) error {
		replaced = nil
		if _, err := loadUpload(bg, tx, bucket, key, uploadID); err != nil {
			return err
		}
		var old string
		err := tx.QueryRowContext(bg, "SELECT file_id FROM parts WHERE upload_id = ? AND number = ?",
			uploadID, number).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("look up part: %w", err)
		}
		if old != "" {
			replaced = []string{old}
			if err := dropFiles(tx, replaced); err != nil {
				return fmt.Errorf("drop replaced part: %w", err)
			}
		}

		mtime := s.nowNanos()
		p.LastModified = fromNanos(mtime)
		if _, err := tx.ExecContext(bg, "INSERT INTO files (id) VALUES (?)", sp.fileID); err != nil {
			return fmt.Errorf("record part file: %w", err)
		}
		_, err = tx.ExecContext(bg, `INSERT OR REPLACE INTO parts
			(upload_id, number, size, etag, mtime, checksum, file_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			uploadID, number, p.Size, p.ETag, mtime, encodeChecksum(p.Checksum), sp.fileID)
		if err != nil {
			return fmt.Errorf("index part: %w", err)
		}
		return nil
	})
	if err != nil {
		s.discard(sp, err)
		return PartInfo{}, err
	}
	s.removeFiles(replaced)
	return p, nil
}

// storedPart is a part's index row.
type storedPart struct {
	PartInfo
	fileID string
}

// loadParts returns an upload's parts in order, from after marker, at most
// limit of them (limit < 0: all).
func loadParts(ctx context.Context, q querier, uploadID string, marker, limit int) ([]storedPart, error) {
	rows, err := q.QueryContext(ctx, `SELECT number, size, etag, mtime, checksum, file_id FROM parts
		WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?`, uploadID, marker, limit)
	if err != nil {
		return nil, fmt.Errorf("load parts: %w", err)
	}
	defer rows.Close()
	var parts []storedPart
	for rows.Next() {
		var p storedPart
		var mtime int64
		var ck string
		if err := rows.Scan(&p.Number, &p.Size, &p.ETag, &mtime, &ck, &p.fileID); err != nil {
			return nil, fmt.Errorf("load parts: %w", err)
		}
		p.LastModified = fromNanos(mtime)
		p.Checksum = decodeChecksum(ck)
		parts = append(parts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load parts: %w", err)
	}
	return parts, nil
}

// completion is a validated CompleteMultipartUpload: the object to write
// and the parts to drop.
type completion struct {
	meta     ObjectMeta
	digests  Digests
	segs     []segment
	unlisted []string // files of uploaded parts the request did not list
}

// planComplete validates a completion request against the upload's parts
// and computes the object: ETag md5(md5(part 1) ‖ … ‖ md5(part N))-N, the
// composite checksum, and the segments (the parts' own files).
func planComplete(ctx context.Context, q querier, bucket, key, uploadID string,
	list []CompletePart,
) (completion, error) {
	u, err := loadUpload(ctx, q, bucket, key, uploadID)
	if err != nil {
		return completion{}, err
	}
	if len(list) == 0 {
		return completion{}, fmt.Errorf("%w: no parts listed", ErrInvalidPart)
	}
	for i := 1; i < len(list); i++ {
		if list[i].Number <= list[i-1].Number {
			return completion{}, ErrInvalidPartOrder
		}
	}
	uploaded, err := loadParts(ctx, q, uploadID, 0, -1)
	if err != nil {
		return completion{}, err
	}
	byNumber := make(map[int]*storedPart, len(uploaded))
	for i := range uploaded {
		byNumber[uploaded[i].Number] = &uploaded[i]
	}

	// Every listed part must exist as listed before sizes are judged.
	picked := make([]*storedPart, len(list))
	for i, cp := range list {
		p := byNumber[cp.Number]
		if p == nil {
			return completion{}, fmt.Errorf("%w: part %d was not uploaded", ErrInvalidPart, cp.Number)
		}
		if normalizeETag(cp.ETag) != p.ETag {
			return completion{}, fmt.Errorf("%w: part %d has another ETag", ErrInvalidPart, cp.Number)
		}
		if cp.Checksum != "" && (p.Checksum.IsZero() || p.Checksum.Encoded != strings.TrimSpace(cp.Checksum)) {
			return completion{}, fmt.Errorf("%w: part %d has another checksum", ErrInvalidPart, cp.Number)
		}
		picked[i] = p
	}
	for _, p := range picked[:len(picked)-1] {
		if p.Size < MinPartSize {
			return completion{}, fmt.Errorf("%w: part %d is %d bytes", ErrEntityTooSmall, p.Number, p.Size)
		}
	}

	c := completion{meta: u.Meta}
	etags := md5.New()
	var sums []checksum.Value
	for _, p := range picked {
		raw, err := hex.DecodeString(p.ETag)
		if err != nil {
			return completion{}, fmt.Errorf("part %d: bad stored ETag: %w", p.Number, err)
		}
		etags.Write(raw)
		c.digests.Size += p.Size
		c.segs = append(c.segs, segment{ID: p.fileID, Size: p.Size})
		c.meta.Parts = append(c.meta.Parts, p.PartInfo)
		if u.ChecksumAlgorithm != "" && p.Checksum.Algorithm == u.ChecksumAlgorithm {
			sums = append(sums, p.Checksum)
		}
		delete(byNumber, p.Number)
	}
	for _, p := range byNumber {
		c.unlisted = append(c.unlisted, p.fileID)
	}
	copy(c.digests.MD5[:], etags.Sum(nil))
	if u.ChecksumAlgorithm != "" && len(sums) == len(picked) {
		if c.digests.Checksum, err = checksum.Composite(u.ChecksumAlgorithm, sums); err != nil {
			return completion{}, err
		}
	}

	c.meta.Bucket, c.meta.Key = bucket, key
	c.meta.Size = c.digests.Size
	c.meta.ETag = fmt.Sprintf("%s-%d", hex.EncodeToString(c.digests.MD5[:]), len(picked))
	c.meta.Checksum = c.digests.Checksum
	return c, nil
}

// normalizeETag strips the quotes and spaces a client may send.
func normalizeETag(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), `"`))
}

// CompleteUpload assembles the listed parts into the object and ends the
// upload. The parts' files become the object's segments as they are (no
// bytes are copied); parts not listed are deleted. The upload's metadata
// becomes the object's; a non-empty opts.Meta.Owner or opts.Meta.ACL
// overrides the upload's. opts.IfMatch/IfNoneMatch apply to the object
// being replaced. opts.BeforeCommit, if set, gets Digests with MD5 the raw
// multipart ETag (without "-N"), the composite checksum and the total
// size.
//
// Errors: ErrNoSuchUpload, ErrInvalidPartOrder (numbers not ascending),
// ErrInvalidPart (a part missing, with another ETag or checksum, or an
// empty list), ErrEntityTooSmall (a part but the last under 5 MiB).
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, uploadID string,
	parts []CompletePart, opts PutOptions,
) (ObjectMeta, error) {
	var checked *Digests
	if opts.BeforeCommit != nil {
		c, err := planComplete(ctx, s.reader(), bucket, key, uploadID, parts)
		if err != nil {
			return ObjectMeta{}, err
		}
		if err := opts.BeforeCommit(c.digests); err != nil {
			return ObjectMeta{}, err
		}
		checked = &c.digests
	}

	var c completion
	var replaced []string
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		var err error
		if c, err = planComplete(bg, tx, bucket, key, uploadID, parts); err != nil {
			return err
		}
		if checked != nil && c.digests != *checked {
			return fmt.Errorf("%w: a part was replaced during completion", ErrInvalidPart)
		}
		if opts.Meta.Owner != "" {
			c.meta.Owner = opts.Meta.Owner
		}
		if opts.Meta.ACL != nil {
			c.meta.ACL = opts.Meta.ACL
		}
		c.meta.LastModified = fromNanos(s.nowNanos())

		if replaced, err = writeObject(tx, &c.meta, nil, c.segs, nil, &opts); err != nil {
			return err
		}
		if err := dropFiles(tx, c.unlisted); err != nil {
			return fmt.Errorf("drop unlisted parts: %w", err)
		}
		// The parts' rows go with the upload (ON DELETE CASCADE); their
		// files stay, now as the object's.
		if _, err := tx.ExecContext(bg, "DELETE FROM uploads WHERE id = ?", uploadID); err != nil {
			return fmt.Errorf("end upload: %w", err)
		}
		return nil
	})
	if err != nil {
		return ObjectMeta{}, err
	}
	s.release(objKey{bucket, key}, replaced)
	s.removeFiles(c.unlisted)
	return c.meta, nil
}

// AbortUpload ends an upload and deletes its parts.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	var files []string
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		if _, err := loadUpload(bg, tx, bucket, key, uploadID); err != nil {
			return err
		}
		var err error
		files, err = queryStrings(bg, tx, "SELECT file_id FROM parts WHERE upload_id = ?", uploadID)
		if err != nil {
			return fmt.Errorf("abort upload: %w", err)
		}
		if err := dropFiles(tx, files); err != nil {
			return fmt.Errorf("abort upload: %w", err)
		}
		if _, err := tx.ExecContext(bg, "DELETE FROM uploads WHERE id = ?", uploadID); err != nil {
			return fmt.Errorf("abort upload: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.removeFiles(files)
	return nil
}

// ListParts returns an upload's parts numbered above opts.PartNumberMarker,
// in order, at most opts.MaxParts (default 1000), and whether more follow.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string,
	opts ListPartsOptions,
) ([]PartInfo, bool, error) {
	if _, err := loadUpload(ctx, s.reader(), bucket, key, uploadID); err != nil {
		return nil, false, err
	}
	limit := opts.MaxParts
	if limit <= 0 {
		limit = defaultMaxList
	}
	parts, err := loadParts(ctx, s.reader(), uploadID, opts.PartNumberMarker, limit+1)
	if err != nil {
		return nil, false, err
	}
	truncated := len(parts) > limit
	if truncated {
		parts = parts[:limit]
	}
	out := make([]PartInfo, len(parts))
	for i, p := range parts {
		out[i] = p.PartInfo
	}
	return out, truncated, nil
}

// ListUploads returns a bucket's uploads in progress ordered by key, then
// initiation, at most opts.MaxUploads (default 1000), and whether more
// follow. Past KeyMarker alone come the uploads of later keys; with
// UploadIDMarker also those of KeyMarker initiated after that upload.
func (s *Store) ListUploads(ctx context.Context, bucket string, opts ListUploadsOptions) ([]Upload, bool, error) {
	if err := bucketExists(ctx, s.reader(), bucket); err != nil {
		return nil, false, err
	}
	limit := opts.MaxUploads
	if limit <= 0 {
		limit = defaultMaxList
	}

	q := "SELECT " + uploadCols + " FROM uploads WHERE bucket = ? AND key >= ?"
	args := []any{bucket, opts.Prefix}
	if end, ok := prefixEnd(opts.Prefix); ok {
		q += " AND key < ?"
		args = append(args, end)
	}
	if opts.KeyMarker != "" {
		var initiated int64
		err := sql.ErrNoRows
		if opts.UploadIDMarker != "" {
			err = s.queryRow(ctx, "SELECT initiated FROM uploads WHERE id = ? AND bucket = ? AND key = ?",
				opts.UploadIDMarker, bucket, opts.KeyMarker).Scan(&initiated)
		}
		switch {
		case err == nil:
			q += " AND (key, initiated, id) > (?, ?, ?)"
			args = append(args, opts.KeyMarker, initiated, opts.UploadIDMarker)
		case errors.Is(err, sql.ErrNoRows):
			q += " AND key > ?"
			args = append(args, opts.KeyMarker)
		default:
			return nil, false, fmt.Errorf("list uploads: %w", err)
		}
	}
	q += " ORDER BY key, initiated, id LIMIT ?"
	args = append(args, limit+1)

	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list uploads: %w", err)
	}
	defer rows.Close()
	var out []Upload
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, false, fmt.Errorf("list uploads: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list uploads: %w", err)
	}
	truncated := len(out) > limit
	if truncated {
		out = out[:limit]
	}
	return out, truncated, nil
}
