package objstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// listQueries holds the page query for each kind of lower bound (exclusive
// after a marker, inclusive from a prefix or after a skipped common prefix)
// and whether the prefix gives an upper bound.
var listQueries = [2][2]string{
	{listQuery(">", false), listQuery(">", true)},
	{listQuery(">=", false), listQuery(">=", true)},
}

func listQuery(lower string, bounded bool) string {
	q := "SELECT key, size, etag, mtime, owner, storage_class, checksum FROM objects " +
		"WHERE bucket = ? AND key " + lower + " ?"
	if bounded {
		q += " AND key < ?"
	}
	// No LIMIT: rows are stepped lazily and the scan stops when the page
	// is full. (A bound LIMIT would make SQLite re-prepare the statement
	// whenever its value changes.)
	return q + " ORDER BY key"
}

// ListObjects returns a page of a bucket's keys in UTF-8 byte order.
//
// With a delimiter, keys that contain it after the prefix are rolled up
// into one common prefix each, which counts once against MaxKeys. The scan
// does not walk the keys under a common prefix: once one is found it seeks
// past them with a new range query, so a page costs about one index seek
// per common prefix plus one row per returned key, however many keys the
// bucket holds. A StartAfter that is a common prefix (as NextMarker may
// be) skips the keys under it.
//
// Objects carry Key, Size, ETag, LastModified, Owner, StorageClass and
// Checksum; the other metadata is left empty (HeadObject has it).
func (s *Store) ListObjects(ctx context.Context, bucket string, opts ListOptions) (ListResult, error) {
	if err := bucketExists(ctx, s.reader(), bucket); err != nil {
		return ListResult{}, err
	}
	var res ListResult
	if opts.MaxKeys <= 0 {
		return res, nil
	}
	// One read transaction for the whole page: a consistent snapshot, and
	// the per-transaction locking paid once rather than per seek.
	tx, err := s.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return ListResult{}, fmt.Errorf("list objects: %w", err)
	}
	defer tx.Rollback()
	l := lister{s: s, tx: tx, bucket: bucket, opts: opts, res: &res}
	if err := l.run(ctx); err != nil {
		return ListResult{}, fmt.Errorf("list objects: %w", err)
	}
	return res, nil
}

type lister struct {
	s      *Store
	tx     *sql.Tx
	stmts  [2][2]*sql.Stmt // listQueries bound to tx
	bucket string
	opts   ListOptions
	res    *ListResult
	count  int
}

func (l *lister) run(ctx context.Context) error {
	upper, bounded := prefixEnd(l.opts.Prefix)
	from, inclusive := l.opts.Prefix, true
	if l.opts.StartAfter >= l.opts.Prefix {
		from, inclusive = l.opts.StartAfter, false
	}
	for {
		next, more, err := l.scan(ctx, from, inclusive, upper, bounded)
		if err != nil || !more {
			return err
		}
		from, inclusive = next, true
	}
}

// scan reads keys from the lower bound on. It stops at the end of the
// range, at a full page (more false), or after a common prefix, returning
// where the keys past it start (more true).
func (l *lister) scan(ctx context.Context, from string, inclusive bool, upper string, bounded bool) (
	next string, more bool, err error,
) {
	args := []any{l.bucket, from}
	if bounded {
		args = append(args, upper)
	}
	st := &l.stmts[b2i(inclusive)][b2i(bounded)]
	if *st == nil {
		prepared, err := l.s.db.Prepared(ctx, listQueries[b2i(inclusive)][b2i(bounded)])
		if err != nil {
			return "", false, err
		}
		*st = l.tx.StmtContext(ctx, prepared)
	}
	rows, err := (*st).QueryContext(ctx, args...)
	if err != nil {
		return "", false, err
	}
	defer rows.Close()

	for rows.Next() {
		m := ObjectMeta{Bucket: l.bucket}
		var mtime int64
		var ck string
		if err := rows.Scan(&m.Key, &m.Size, &m.ETag, &mtime, &m.Owner, &m.StorageClass, &ck); err != nil {
			return "", false, err
		}
		if cp, ok := l.commonPrefix(m.Key); ok {
			if cp > l.opts.StartAfter { // else the marker is inside cp: skip it
				if l.full() {
					return "", false, nil
				}
				l.res.CommonPrefixes = append(l.res.CommonPrefixes, cp)
				l.add(cp)
			}
			next, ok := prefixEnd(cp)
			return next, ok, rows.Close()
		}
		if l.full() {
			return "", false, nil
		}
		m.LastModified = fromNanos(mtime)
		m.Checksum = decodeChecksum(ck)
		l.res.Objects = append(l.res.Objects, m)
		l.add(m.Key)
	}
	return "", false, rows.Err()
}

// full reports whether the page is full; it is called with one more entry
// at hand, which makes the listing truncated.
func (l *lister) full() bool {
	if l.count < l.opts.MaxKeys {
		return false
	}
	l.res.IsTruncated = true
	return true
}

func (l *lister) add(marker string) {
	l.count++
	l.res.NextMarker = marker
}

// commonPrefix returns the common prefix key rolls up into, if any.
func (l *lister) commonPrefix(key string) (string, bool) {
	if l.opts.Delimiter == "" {
		return "", false
	}
	rest := key[len(l.opts.Prefix):]
	i := strings.Index(rest, l.opts.Delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(l.opts.Prefix)+i+len(l.opts.Delimiter)], true
}

// prefixEnd returns the least string greater than every string that starts
// with p, or false when there is none (p is empty or all 0xFF bytes).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
