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
	"hash"
	"io"
	"slices"
	"strings"

	"inlet/internal/checksum"
	"inlet/internal/meta"
)

// Errors of the multipart checksum rules. The S3 front maps them to its
// wire errors.
var (
	// ErrMissingPartChecksum is a completion of an upload created with a
	// checksum algorithm that lists a part without its checksum; the
	// error is a *MissingPartChecksumError naming the part.
	ErrMissingPartChecksum = errors.New("objstore: part checksum missing from the completion")
	// ErrChecksumType is a checksum type the upload's algorithm does not
	// allow, or a type without an algorithm.
	ErrChecksumType = errors.New("objstore: checksum type not allowed with the checksum algorithm")
)

// MissingPartChecksumError is ErrMissingPartChecksum for one part.
type MissingPartChecksumError struct {
	Algorithm checksum.Algorithm
	Part      int
}

func (e *MissingPartChecksumError) Error() string {
	return fmt.Sprintf("objstore: the upload has %s checksums; part %d lists none", e.Algorithm, e.Part)
}

func (e *MissingPartChecksumError) Unwrap() error { return ErrMissingPartChecksum }

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
// u.ChecksumType is the type of checksum the object is to get, COMPOSITE
// or FULL_OBJECT; "" means the algorithm's default. A type the algorithm
// does not support, or a type without an algorithm, is ErrChecksumType.
//
// An upload with no algorithm still gets a checksum: a CRC64NVME of each
// part, combined at completion into the object's FULL_OBJECT CRC64NVME,
// as S3 gives every new object one.
func (s *Store) CreateUpload(ctx context.Context, u Upload) (Upload, error) {
	typ := u.ChecksumType
	u.UploadID = newUploadID()
	u.Meta.Bucket, u.Meta.Key = u.Bucket, u.Key
	if u.ChecksumAlgorithm != "" && u.ChecksumAlgorithm.New() == nil {
		return Upload{}, fmt.Errorf("objstore: %w: %q", checksum.ErrUnknownAlgorithm, u.ChecksumAlgorithm)
	}
	switch {
	case u.ChecksumAlgorithm == "" && typ != "":
		return Upload{}, fmt.Errorf("%w: %s without an algorithm", ErrChecksumType, typ)
	case u.ChecksumAlgorithm != "" && typ == "":
		typ = u.ChecksumAlgorithm.DefaultType()
	case u.ChecksumAlgorithm != "" && !u.ChecksumAlgorithm.Supports(typ):
		return Upload{}, fmt.Errorf("%w: %s with %s", ErrChecksumType, typ, u.ChecksumAlgorithm)
	}
	u.ChecksumType = typ
	err := s.db.Write(ctx, func(tx *meta.Tx) error {
		if err := bucketExists(bg, tx, u.Bucket); err != nil {
			return err
		}
		initiated := s.nowNanos()
		u.Initiated = fromNanos(initiated)
		_, err := tx.ExecContext(bg, `INSERT INTO uploads
			(id, bucket, key, initiated, checksum_algorithm, checksum_type, meta) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.UploadID, u.Bucket, u.Key, initiated, string(u.ChecksumAlgorithm), string(typ),
			encodeRecord(&u.Meta, true))
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

const uploadCols = "id, bucket, key, initiated, checksum_algorithm, checksum_type, meta"

func scanUpload(r rowScanner) (Upload, error) {
	var u Upload
	var initiated int64
	var alg, typ string
	var rec []byte
	if err := r.Scan(&u.UploadID, &u.Bucket, &u.Key, &initiated, &alg, &typ, &rec); err != nil {
		return Upload{}, err
	}
	u.Initiated = fromNanos(initiated)
	u.ChecksumAlgorithm = checksum.Algorithm(alg)
	u.ChecksumType = checksum.Type(typ)
	if u.ChecksumType == "" && u.ChecksumAlgorithm != "" {
		u.ChecksumType = u.ChecksumAlgorithm.DefaultType() // created before types were kept
	}
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
//
// A part of an upload that named no algorithm also gets a CRC64NVME, kept
// apart from the checksum asked for, for the object's default checksum.
// When no checksum was asked for, the returned Checksum is that CRC64NVME
// (S3 shows it in the UploadPart reply), but ListParts does not report it,
// as S3 does not.
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

	// The spool computes one checksum. When the client asked for another
	// than the default CRC64NVME, the CRC64NVME is hashed as the spool reads
	// the body: it runs at tens of GB/s, far ahead of the disk.
	spoolAlg := alg
	var crc64 hash.Hash
	if u.ChecksumAlgorithm == "" {
		switch alg {
		case "":
			spoolAlg = checksum.CRC64NVME
		case checksum.CRC64NVME:
		default:
			crc64 = checksum.CRC64NVME.New()
			body = io.TeeReader(body, crc64)
		}
	}
	sp, err := s.spool(ctx, body, opts.Size, spoolAlg, false)
	if err != nil {
		return PartInfo{}, err
	}
	d := sp.digests // as asked for: without the default CRC64NVME
	var defaultCRC checksum.Value
	if u.ChecksumAlgorithm == "" {
		defaultCRC = sp.digests.Checksum
		if crc64 != nil {
			defaultCRC = checksum.Sum(checksum.CRC64NVME, crc64)
		}
		if alg == "" {
			d.Checksum = checksum.Value{}
		}
	}
	if opts.BeforeCommit != nil {
		if err := opts.BeforeCommit(d); err != nil {
			s.discard(sp, err)
			return PartInfo{}, err
		}
	}

	p := PartInfo{
		Number:   number,
		Size:     d.Size,
		ETag:     hex.EncodeToString(d.MD5[:]),
		Checksum: d.Checksum,
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
			(upload_id, number, size, etag, mtime, checksum, crc64nvme, file_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			uploadID, number, p.Size, p.ETag, mtime, encodeChecksum(p.Checksum), defaultCRC.Encoded, sp.fileID)
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
	if p.Checksum.IsZero() {
		p.Checksum = defaultCRC
	}
	return p, nil
}

// storedPart is a part's index row.
type storedPart struct {
	PartInfo
	// defaultCRC is the part's CRC64NVME when the upload named no
	// algorithm; zero for other uploads and for parts stored before it
	// was kept.
	defaultCRC checksum.Value
	fileID     string
}

// loadParts returns an upload's parts in order, from after marker, at most
// limit of them (limit < 0: all).
func loadParts(ctx context.Context, q querier, uploadID string, marker, limit int) ([]storedPart, error) {
	rows, err := q.QueryContext(ctx, `SELECT number, size, etag, mtime, checksum, crc64nvme, file_id FROM parts
		WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?`, uploadID, marker, limit)
	if err != nil {
		return nil, fmt.Errorf("load parts: %w", err)
	}
	defer rows.Close()
	var parts []storedPart
	for rows.Next() {
		var p storedPart
		var mtime int64
		var ck, crc string
		if err := rows.Scan(&p.Number, &p.Size, &p.ETag, &mtime, &ck, &crc, &p.fileID); err != nil {
			return nil, fmt.Errorf("load parts: %w", err)
		}
		p.LastModified = fromNanos(mtime)
		p.Checksum = decodeChecksum(ck)
		if crc != "" {
			p.defaultCRC = checksum.Value{Algorithm: checksum.CRC64NVME, Encoded: crc}
		}
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
// checksum of the upload's type, and the segments (the parts' own files).
//
// The checksum is the composite "...-N" of a COMPOSITE upload, the CRC of
// the whole object combined from the parts' CRCs and sizes for a
// FULL_OBJECT one, and for an upload that named no algorithm the
// FULL_OBJECT CRC64NVME combined from the parts' default CRCs (none when a
// part predates them).
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
		listed := strings.TrimSpace(cp.Checksum)
		switch {
		case listed == "" && u.ChecksumAlgorithm != "":
			return completion{}, &MissingPartChecksumError{Algorithm: u.ChecksumAlgorithm, Part: cp.Number}
		case listed == "":
		case !p.Checksum.IsZero() && listed == p.Checksum.Encoded:
		// A client may list the default CRC64NVME that UploadPart showed.
		case !p.defaultCRC.IsZero() && listed == p.defaultCRC.Encoded:
		default:
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
	var sums []checksum.Part
	for _, p := range picked {
		raw, err := hex.DecodeString(p.ETag)
		if err != nil {
			return completion{}, fmt.Errorf("part %d: bad stored ETag: %w", p.Number, err)
		}
		etags.Write(raw)
		c.digests.Size += p.Size
		c.segs = append(c.segs, segment{ID: p.fileID, Size: p.Size})
		c.meta.Parts = append(c.meta.Parts, p.PartInfo)
		switch {
		case u.ChecksumAlgorithm != "" && p.Checksum.Algorithm == u.ChecksumAlgorithm:
			sums = append(sums, checksum.Part{Value: p.Checksum, Size: p.Size})
		case u.ChecksumAlgorithm == "" && !p.defaultCRC.IsZero():
			sums = append(sums, checksum.Part{Value: p.defaultCRC, Size: p.Size})
		}
		delete(byNumber, p.Number)
	}
	for _, p := range byNumber {
		c.unlisted = append(c.unlisted, p.fileID)
	}
	copy(c.digests.MD5[:], etags.Sum(nil))
	if len(sums) == len(picked) {
		switch {
		case u.ChecksumType == checksum.TypeComposite:
			vals := make([]checksum.Value, len(sums))
			for i, p := range sums {
				vals[i] = p.Value
			}
			c.digests.Checksum, err = checksum.Composite(u.ChecksumAlgorithm, vals)
		case u.ChecksumAlgorithm != "":
			c.digests.Checksum, err = checksum.Combine(u.ChecksumAlgorithm, sums)
		default:
			c.digests.Checksum, err = checksum.Combine(checksum.CRC64NVME, sums)
		}
		if err != nil {
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
// multipart ETag (without "-N"), the object's checksum (composite or
// full-object, see planComplete) and the total size: the place to check
// what the client declared for the whole object.
//
// Errors: ErrNoSuchUpload, ErrInvalidPartOrder (numbers not ascending),
// ErrInvalidPart (a part missing, with another ETag or checksum, or an
// empty list), a *MissingPartChecksumError (a part listed without its
// checksum in an upload with a checksum algorithm), ErrEntityTooSmall (a
// part but the last under 5 MiB).
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

// UploadPage is a page of ListUploads.
type UploadPage struct {
	Uploads []Upload
	// CommonPrefixes are the rolled-up key prefixes, in key order.
	CommonPrefixes []string
	IsTruncated    bool
	// NextKeyMarker and NextUploadIDMarker continue the listing after the
	// page's last entry: its key and upload id, or the common prefix and
	// "" when the page ends with one.
	NextKeyMarker, NextUploadIDMarker string
}

// ListUploads returns a bucket's uploads in progress ordered by key, then
// initiation, at most opts.MaxUploads (default 1000). Past KeyMarker alone
// come the uploads of later keys; with UploadIDMarker also those of
// KeyMarker initiated after that upload.
//
// With opts.Delimiter, uploads whose key contains it after the
// prefix are rolled up into one common prefix each (the key up to and
// including that first delimiter), which counts once against MaxUploads.
// As in ListObjects, the scan seeks past the keys under a common prefix
// rather than walking them, and a KeyMarker that is a common prefix (as
// NextKeyMarker may be) skips the uploads under it.
func (s *Store) ListUploads(ctx context.Context, bucket string, opts ListUploadsOptions) (UploadPage, error) {
	delimiter := opts.Delimiter
	if err := bucketExists(ctx, s.reader(), bucket); err != nil {
		return UploadPage{}, err
	}
	limit := opts.MaxUploads
	if limit <= 0 {
		limit = defaultMaxList
	}
	// One read transaction: the seeks of a page see one snapshot.
	tx, err := s.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return UploadPage{}, fmt.Errorf("list uploads: %w", err)
	}
	defer tx.Rollback()

	// The bounds every query of the page shares: the prefix and the
	// markers.
	where := "bucket = ? AND key >= ?"
	args := []any{bucket, opts.Prefix}
	if end, ok := prefixEnd(opts.Prefix); ok {
		where += " AND key < ?"
		args = append(args, end)
	}
	if opts.KeyMarker != "" {
		var initiated int64
		err := sql.ErrNoRows
		if opts.UploadIDMarker != "" {
			err = tx.QueryRowContext(ctx, "SELECT initiated FROM uploads WHERE id = ? AND bucket = ? AND key = ?",
				opts.UploadIDMarker, bucket, opts.KeyMarker).Scan(&initiated)
		}
		switch {
		case err == nil:
			where += " AND (key, initiated, id) > (?, ?, ?)"
			args = append(args, opts.KeyMarker, initiated, opts.UploadIDMarker)
		case errors.Is(err, sql.ErrNoRows):
			where += " AND key > ?"
			args = append(args, opts.KeyMarker)
		default:
			return UploadPage{}, fmt.Errorf("list uploads: %w", err)
		}
	}

	var page UploadPage
	count := 0
	// full reports whether the page is full; it is asked with one more
	// entry at hand, which makes the listing truncated.
	full := func() bool {
		if count < limit {
			return false
		}
		page.IsTruncated = true
		return true
	}
	from := "" // after a common prefix: where the keys past it start
	for {
		q, qargs := where, slices.Clip(args)
		if from != "" {
			q += " AND key >= ?"
			qargs = append(qargs, from)
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+uploadCols+" FROM uploads WHERE "+q+
			" ORDER BY key, initiated, id LIMIT ?", append(qargs, limit-count+1)...)
		if err != nil {
			return UploadPage{}, fmt.Errorf("list uploads: %w", err)
		}
		from = ""
		for rows.Next() {
			u, err := scanUpload(rows)
			if err != nil {
				rows.Close()
				return UploadPage{}, fmt.Errorf("list uploads: %w", err)
			}
			if cp, ok := commonPrefix(u.Key, opts.Prefix, delimiter); ok {
				if cp > opts.KeyMarker { // else the marker is cp or inside it: listed before
					if full() {
						break
					}
					page.CommonPrefixes = append(page.CommonPrefixes, cp)
					page.NextKeyMarker, page.NextUploadIDMarker = cp, ""
					count++
				}
				from, _ = prefixEnd(cp) // "" (nothing past cp) ends the listing
				break
			}
			if full() {
				break
			}
			page.Uploads = append(page.Uploads, u)
			page.NextKeyMarker, page.NextUploadIDMarker = u.Key, u.UploadID
			count++
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return UploadPage{}, fmt.Errorf("list uploads: %w", err)
		}
		rows.Close()
		if from == "" || page.IsTruncated {
			return page, nil
		}
	}
}

// commonPrefix returns the common prefix key rolls up into under prefix
// and delimiter, if any.
func commonPrefix(key, prefix, delimiter string) (string, bool) {
	if delimiter == "" {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delimiter)], true
}
