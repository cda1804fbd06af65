package tables

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"

	"inlet/internal/catalog"
	"inlet/internal/meta"
)

// testFields has one field of each type.
var testFields = []catalog.Field{
	{Name: "id", Type: catalog.TypeLong, Required: true},
	{Name: "name", Type: catalog.TypeString},
	{Name: "score", Type: catalog.TypeDouble},
	{Name: "ok", Type: catalog.TypeBoolean},
	{Name: "day", Type: catalog.TypeDate},
	{Name: "at", Type: catalog.TypeTimestampTZ},
}

func newCatalog(t testing.TB) *Catalog {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := meta.Open(ctx, filepath.Join(dir, "meta.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := Open(ctx, db.SQL(), filepath.Join(dir, "warehouse"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// row is one row of testFields; nil pointers are nulls.
type row struct {
	id    int64
	name  *string
	score *float64
	ok    *bool
	day   *string // YYYY-MM-DD
	at    *string // RFC 3339
}

func ptr[T any](v T) *T { return &v }

// record builds an Arrow record of testFields.
func record(t testing.TB, rows []row) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, ArrowSchema(testFields))
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.id)
		appendOrNull(b.Field(1), r.name, func(v string) { b.Field(1).(*array.StringBuilder).Append(v) })
		appendOrNull(b.Field(2), r.score, func(v float64) { b.Field(2).(*array.Float64Builder).Append(v) })
		appendOrNull(b.Field(3), r.ok, func(v bool) { b.Field(3).(*array.BooleanBuilder).Append(v) })
		appendOrNull(b.Field(4), r.day, func(v string) {
			d, err := time.Parse(DateFormat, v)
			if err != nil {
				t.Fatal(err)
			}
			b.Field(4).(*array.Date32Builder).Append(arrow.Date32FromTime(d))
		})
		appendOrNull(b.Field(5), r.at, func(v string) {
			ts, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				t.Fatal(err)
			}
			b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMicro()))
		})
	}
	return b.NewRecordBatch()
}

func appendOrNull[T any](b array.Builder, v *T, add func(T)) {
	if v == nil {
		b.AppendNull()
		return
	}
	add(*v)
}

// reader returns a record reader over recs, releasing them.
func reader(t testing.TB, recs ...arrow.RecordBatch) array.RecordReader {
	t.Helper()
	rdr, err := array.NewRecordReader(ArrowSchema(testFields), recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}
	t.Cleanup(rdr.Release)
	return rdr
}

func commit(t testing.TB, c *Catalog, id int64, mode string, set string, rows ...row) int64 {
	t.Helper()
	snap, err := c.Commit(context.Background(), id, fromArrow(reader(t, record(t, rows))), mode,
		map[string]string{"inlet.source-id": "9", "inlet.file-set": set})
	if err != nil {
		t.Fatalf("Commit(%s, %s): %v", mode, set, err)
	}
	return snap
}

func scanAll(t testing.TB, c *Catalog, id int64) [][]any {
	t.Helper()
	cols, rows, err := c.Scan(context.Background(), id, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"id", "name", "score", "ok", "day", "at"}; !reflect.DeepEqual(cols, want) {
		t.Fatalf("columns = %v; want %v", cols, want)
	}
	return rows
}

// localPath turns a file:// URI into a path.
func localPath(t testing.TB, uri string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		t.Fatalf("not a file URI: %q (%v)", uri, err)
	}
	return filepath.FromSlash(u.Path)
}

// dataFiles lists the Parquet files under the table's data directory.
func dataFiles(t testing.TB, c *Catalog, id int64) []string {
	t.Helper()
	tbl, err := c.Describe(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	root := filepath.Join(localPath(t, tbl.Location), "data")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err == nil && strings.HasSuffix(p, ".parquet") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchema(t *testing.T) {
	got := ArrowSchema(testFields).String()
	for _, want := range []string{
		"id: type=int64\n", "name: type=utf8, nullable", "score: type=float64, nullable",
		"ok: type=bool, nullable", "day: type=date32, nullable",
		"at: type=timestamp[us, tz=UTC], nullable",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ArrowSchema() = %s; want it to contain %q", got, want)
		}
	}
	sc, err := IcebergSchema(testFields)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range sc.Fields() {
		if f.ID != i+1 || f.Name != testFields[i].Name || f.Required != testFields[i].Required {
			t.Errorf("field %d = %+v", i, f)
		}
	}
	if got := sc.Fields()[5].Type.String(); got != "timestamptz" {
		t.Errorf("timestamptz field type = %s", got)
	}

	dec := []catalog.Field{{Name: "amount", Type: "decimal(12,2)", Required: true}}
	if got, want := ArrowSchema(dec).Field(0).Type.String(), "decimal(12, 2)"; got != want {
		t.Errorf("arrow type of decimal(12,2) = %s; want %s", got, want)
	}
	if sc, err := IcebergSchema(dec); err != nil || !sc.Fields()[0].Type.Equals(iceberg.DecimalTypeOf(12, 2)) {
		t.Errorf("iceberg type of decimal(12,2) = %v, %v", sc, err)
	}

	for _, bad := range [][]catalog.Field{
		nil,
		{{Name: "a", Type: "int"}},
		{{Name: "a", Type: "decimal(12, 2)"}}, // not canonical: the catalog makes it so
		{{Name: "a", Type: "decimal"}},
		{{Name: "a", Type: "decimal(19,2)"}},
		{{Name: "a", Type: "long"}, {Name: "a", Type: "string"}},
	} {
		if _, err := IcebergSchema(bad); err == nil {
			t.Errorf("IcebergSchema(%v) = nil error", bad)
		}
	}
}

func TestCreateCommitScan(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)

	created, err := c.CreateTable(ctx, 7, testFields)
	if err != nil {
		t.Fatal(err)
	}
	if created.Name != "inlet.dataset_7" || created.SnapshotID != 0 ||
		!strings.HasPrefix(created.MetadataLocation, "file://") {
		t.Fatalf("CreateTable = %+v", created)
	}
	again, err := c.CreateTable(ctx, 7, testFields)
	if err != nil || again != created {
		t.Fatalf("CreateTable again = %+v, %v; want %+v", again, err, created)
	}
	if _, err := os.Stat(localPath(t, created.MetadataLocation)); err != nil {
		t.Fatalf("metadata file: %v", err)
	}
	if rows := scanAll(t, c, 7); len(rows) != 0 {
		t.Fatalf("empty table scan = %v", rows)
	}

	// Two appends: one snapshot each, rows of both visible.
	s1 := commit(t, c, 7, catalog.WriteAppend, "2026-01-01",
		row{id: 1, name: ptr("ann"), score: ptr(1.5), ok: ptr(true), day: ptr("2026-01-01"),
			at: ptr("2026-01-01T10:00:00.123456Z")},
		row{id: 2},
	)
	s2 := commit(t, c, 7, catalog.WriteAppend, "2026-01-02",
		row{id: 3, name: ptr("bob"), score: ptr(-2.0), ok: ptr(false), day: ptr("1969-12-31"),
			at: ptr("1969-12-31T23:59:59.999999Z")},
	)
	want := [][]any{
		{int64(1), "ann", 1.5, true, "2026-01-01", "2026-01-01T10:00:00.123456Z"},
		{int64(2), nil, nil, nil, nil, nil},
		{int64(3), "bob", -2.0, false, "1969-12-31", "1969-12-31T23:59:59.999999Z"},
	}
	if got := scanAll(t, c, 7); !reflect.DeepEqual(got, want) {
		t.Fatalf("scan after appends = %v; want %v", got, want)
	}

	// Paging.
	_, page, err := c.Scan(ctx, 7, 1, 1)
	if err != nil || !reflect.DeepEqual(page, want[1:2]) {
		t.Fatalf("Scan(limit 1, offset 1) = %v, %v; want %v", page, err, want[1:2])
	}
	_, page, err = c.Scan(ctx, 7, 10, 2)
	if err != nil || !reflect.DeepEqual(page, want[2:]) {
		t.Fatalf("Scan(limit 10, offset 2) = %v, %v; want %v", page, err, want[2:])
	}
	// Limit 0 is the columns alone, as LIMIT 0 in SQL; it never means all.
	cols, page, err := c.Scan(ctx, 7, 0, 0)
	if err != nil || len(page) != 0 || len(cols) != len(testFields) {
		t.Fatalf("Scan(limit 0) = %v, %d rows, %v; want the columns and no row", cols, len(page), err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := c.Scan(cancelled, 7, 10, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Scan with its caller gone: %v; want context.Canceled", err)
	}

	snaps, err := c.Snapshots(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[0].ID != s1 || snaps[1].ID != s2 || snaps[1].ParentID != s1 ||
		snaps[0].ParentID != 0 {
		t.Fatalf("snapshots = %+v; want ids %d, %d", snaps, s1, s2)
	}
	for i, set := range []string{"2026-01-01", "2026-01-02"} {
		s := snaps[i]
		if s.Operation != "append" || s.Summary["inlet.file-set"] != set ||
			s.Summary["inlet.source-id"] != "9" || s.Timestamp.IsZero() {
			t.Errorf("snapshot %d = %+v", i, s)
		}
	}
	if got := snaps[1].Summary["total-records"]; got != "3" {
		t.Errorf("total-records = %q; want 3", got)
	}

	// Overwrite: only the new rows remain.
	s3 := commit(t, c, 7, catalog.WriteOverwrite, "2026-01-03", row{id: 4, name: ptr("cy")})
	if got, want := scanAll(t, c, 7), [][]any{{int64(4), "cy", nil, nil, nil, nil}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("scan after overwrite = %v; want %v", got, want)
	}
	snaps, err = c.Snapshots(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if last := snaps[len(snaps)-1]; len(snaps) != 3 || last.ID != s3 || last.Operation != "overwrite" ||
		last.Summary["inlet.file-set"] != "2026-01-03" || last.Summary["total-records"] != "1" {
		t.Fatalf("snapshots after overwrite = %+v", snaps)
	}
	if files := dataFiles(t, c, 7); len(files) != 3 {
		t.Errorf("data files = %v; want the 3 written (an overwrite deletes no file)", files)
	}

	// The table records which file sets it holds.
	for set, wantID := range map[string]int64{"2026-01-01": s1, "2026-01-02": s2, "2026-01-03": s3} {
		id, ok, err := c.CommittedFileSet(ctx, 7, "inlet.file-set", set)
		if err != nil || !ok || id != wantID {
			t.Errorf("CommittedFileSet(%s) = %d, %t, %v; want %d", set, id, ok, err, wantID)
		}
	}
	if id, ok, err := c.CommittedFileSet(ctx, 7, "inlet.file-set", "2026-02-01"); err != nil || ok {
		t.Errorf("CommittedFileSet(unknown) = %d, %t, %v", id, ok, err)
	}

	// The metadata location moves with each commit.
	loc, err := c.MetadataLocation(ctx, 7)
	if err != nil || loc == created.MetadataLocation || !strings.HasSuffix(loc, ".metadata.json") {
		t.Fatalf("MetadataLocation = %q, %v", loc, err)
	}
	desc, err := c.Describe(ctx, 7)
	if err != nil || desc.MetadataLocation != loc || desc.SnapshotID != s3 {
		t.Fatalf("Describe = %+v, %v", desc, err)
	}
}

func TestScanRecords(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	if _, err := c.CreateTable(ctx, 1, testFields); err != nil {
		t.Fatal(err)
	}
	commit(t, c, 1, catalog.WriteAppend, "a", row{id: 1}, row{id: 2})
	commit(t, c, 1, catalog.WriteAppend, "b", row{id: 3})

	rdr, err := c.ScanRecords(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	if !rdr.Schema().Equal(ArrowSchema(testFields)) {
		t.Errorf("schema = %s; want %s", rdr.Schema(), ArrowSchema(testFields))
	}
	var ids []int64
	for rdr.Next() {
		ids = append(ids, rdr.RecordBatch().Column(0).(*array.Int64).Int64Values()...)
	}
	if err := rdr.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, []int64{1, 2, 3}) {
		t.Errorf("ids = %v; want [1 2 3]", ids)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)

	if _, err := c.MetadataLocation(ctx, 5); !errors.Is(err, ErrNoSuchTable) {
		t.Errorf("MetadataLocation(missing) = %v; want ErrNoSuchTable", err)
	}
	if _, _, err := c.Scan(ctx, 5, -1, 0); !errors.Is(err, ErrNoSuchTable) {
		t.Errorf("Scan(missing) = %v; want ErrNoSuchTable", err)
	}
	if _, err := c.Commit(ctx, 5, fromArrow(reader(t, record(t, []row{{id: 1}}))), catalog.WriteAppend, nil); !errors.Is(err, ErrNoSuchTable) {
		t.Errorf("Commit(missing) = %v; want ErrNoSuchTable", err)
	}
	if _, err := c.CreateTable(ctx, 5, testFields); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commit(ctx, 5, fromArrow(reader(t)), "merge", nil); err == nil {
		t.Error("Commit(mode merge) = nil error")
	}

	// Rows whose columns are not the table's.
	other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	ob := array.NewRecordBuilder(memory.DefaultAllocator, other)
	ob.Field(0).(*array.Int64Builder).Append(1)
	orec := ob.NewRecordBatch()
	ob.Release()
	defer orec.Release()
	rdr, err := array.NewRecordReader(other, []arrow.RecordBatch{orec})
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	if _, err := c.Commit(ctx, 5, fromArrow(rdr), catalog.WriteAppend, nil); err == nil {
		t.Error("Commit(other schema) = nil error")
	}

	// Drop removes the table and its files.
	commit(t, c, 5, catalog.WriteAppend, "a", row{id: 1})
	tbl, err := c.Describe(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DropTable(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Describe(ctx, 5); !errors.Is(err, ErrNoSuchTable) {
		t.Errorf("Describe(dropped) = %v; want ErrNoSuchTable", err)
	}
	if err := c.DropTable(ctx, 5); !errors.Is(err, ErrNoSuchTable) {
		t.Errorf("DropTable(dropped) = %v; want ErrNoSuchTable", err)
	}
	if _, err := os.Stat(localPath(t, tbl.MetadataLocation)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("metadata file after drop: %v", err)
	}
	// A new table of the same dataset starts empty.
	if _, err := c.CreateTable(ctx, 5, testFields); err != nil {
		t.Fatal(err)
	}
	if rows := scanAll(t, c, 5); len(rows) != 0 {
		t.Errorf("recreated table rows = %v", rows)
	}
}

// failingReader yields its batches, then fails.
type failingReader struct {
	array.RecordReader
	n, failAt int
}

func (r *failingReader) Next() bool {
	if r.n == r.failAt {
		return false
	}
	r.n++
	return r.RecordReader.Next()
}

func (r *failingReader) Err() error {
	if r.n == r.failAt {
		return fmt.Errorf("reader: bad row at batch %d", r.n)
	}
	return r.RecordReader.Err()
}

func TestCommitAtomic(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	c.targetFileBytes = 1 // a file per batch, so finished files exist when the reader fails
	if _, err := c.CreateTable(ctx, 3, testFields); err != nil {
		t.Fatal(err)
	}
	first := commit(t, c, 3, catalog.WriteAppend, "a", row{id: 1})
	before := dataFiles(t, c, 3)

	for _, mode := range []string{catalog.WriteAppend, catalog.WriteOverwrite} {
		var recs []arrow.RecordBatch
		for i := range 4 {
			recs = append(recs, record(t, []row{{id: int64(10 + i)}}))
		}
		rdr := &failingReader{RecordReader: reader(t, recs...), failAt: 3}
		_, err := c.Commit(ctx, 3, fromArrow(rdr), mode, map[string]string{"inlet.file-set": "b"})
		if err == nil || !strings.Contains(err.Error(), "bad row") {
			t.Fatalf("Commit(%s, failing reader) = %v; want the reader's error", mode, err)
		}

		snaps, err := c.Snapshots(ctx, 3)
		if err != nil || len(snaps) != 1 || snaps[0].ID != first {
			t.Fatalf("snapshots after failed %s = %+v, %v", mode, snaps, err)
		}
		if _, ok, _ := c.CommittedFileSet(ctx, 3, "inlet.file-set", "b"); ok {
			t.Errorf("failed %s recorded its file set", mode)
		}
		if got := scanAll(t, c, 3); len(got) != 1 || got[0][0] != int64(1) {
			t.Errorf("rows after failed %s = %v", mode, got)
		}
		if after := dataFiles(t, c, 3); !reflect.DeepEqual(after, before) {
			t.Errorf("data files after failed %s = %v; want %v", mode, after, before)
		}
	}

	// The same file set then commits, a file per batch.
	var recs []arrow.RecordBatch
	for i := range 3 {
		recs = append(recs, record(t, []row{{id: int64(10 + i)}}))
	}
	if _, err := c.Commit(ctx, 3, fromArrow(reader(t, recs...)), catalog.WriteAppend, nil); err != nil {
		t.Fatal(err)
	}
	if got := len(dataFiles(t, c, 3)); got != len(before)+3 {
		t.Errorf("data files = %d; want %d", got, len(before)+3)
	}
	if got := len(scanAll(t, c, 3)); got != 4 {
		t.Errorf("rows = %d; want 4", got)
	}
}

// hookReader runs hook before its second batch, while Commit is writing.
type hookReader struct {
	array.RecordReader
	n    int
	hook func()
}

func (r *hookReader) Next() bool {
	r.n++
	if r.n == 2 {
		r.hook()
	}
	return r.RecordReader.Next()
}

// TestCommitRace commits to a table while another commit to it is writing
// its files: a racing append lands on top, a racing overwrite fails.
func TestCommitRace(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	if _, err := c.CreateTable(ctx, 4, testFields); err != nil {
		t.Fatal(err)
	}
	commit(t, c, 4, catalog.WriteAppend, "a", row{id: 1})

	racing := func(mode string, set string, ids ...int64) (int64, error) {
		var recs []arrow.RecordBatch
		for _, id := range ids {
			recs = append(recs, record(t, []row{{id: id}}))
		}
		rdr := &hookReader{RecordReader: reader(t, recs...), hook: func() {
			commit(t, c, 4, catalog.WriteAppend, set+"-other", row{id: ids[0] * 10})
		}}
		return c.Commit(ctx, 4, fromArrow(rdr), mode, map[string]string{"inlet.file-set": set})
	}

	if _, err := racing(catalog.WriteAppend, "b", 2, 3); err != nil {
		t.Fatalf("racing append: %v", err)
	}
	ids := func() []any {
		var out []any
		for _, r := range scanAll(t, c, 4) {
			out = append(out, r[0])
		}
		return out
	}
	if got, want := ids(), []any{int64(1), int64(20), int64(2), int64(3)}; !reflect.DeepEqual(got, want) {
		t.Errorf("ids after racing append = %v; want %v", got, want)
	}
	files := dataFiles(t, c, 4)

	_, err := racing(catalog.WriteOverwrite, "c", 4, 5)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("racing overwrite = %v; want ErrConflict", err)
	}
	if got, want := ids(), []any{int64(1), int64(20), int64(2), int64(3), int64(40)}; !reflect.DeepEqual(got, want) {
		t.Errorf("ids after failed overwrite = %v; want %v", got, want)
	}
	if _, ok, _ := c.CommittedFileSet(ctx, 4, "inlet.file-set", "c"); ok {
		t.Error("failed overwrite recorded its file set")
	}
	if got := dataFiles(t, c, 4); len(got) != len(files)+1 {
		t.Errorf("data files after failed overwrite = %d; want %d (the racing append's added)",
			len(got), len(files)+1)
	}
}

// TestCommitEmpty checks that a file set with no rows still makes a
// snapshot, so the table records it.
func TestCommitEmpty(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	if _, err := c.CreateTable(ctx, 2, testFields); err != nil {
		t.Fatal(err)
	}
	empty := func(mode, set string) int64 {
		t.Helper()
		id, err := c.Commit(ctx, 2, fromArrow(reader(t)), mode, map[string]string{"inlet.file-set": set})
		if err != nil {
			t.Fatalf("Commit(%s, no rows): %v", mode, err)
		}
		return id
	}
	s1 := empty(catalog.WriteAppend, "a")
	s2 := empty(catalog.WriteOverwrite, "b")
	commit(t, c, 2, catalog.WriteAppend, "c", row{id: 1})
	s4 := empty(catalog.WriteAppend, "d")
	if rows := scanAll(t, c, 2); len(rows) != 1 {
		t.Errorf("rows after empty append = %v; want 1", rows)
	}
	s5 := empty(catalog.WriteOverwrite, "e")
	if rows := scanAll(t, c, 2); len(rows) != 0 {
		t.Errorf("rows after empty overwrite = %v; want none", rows)
	}
	for set, want := range map[string]int64{"a": s1, "b": s2, "d": s4, "e": s5} {
		if id, ok, err := c.CommittedFileSet(ctx, 2, "inlet.file-set", set); err != nil || !ok || id != want {
			t.Errorf("CommittedFileSet(%s) = %d, %t, %v; want %d", set, id, ok, err, want)
		}
	}
	snaps, err := c.Snapshots(ctx, 2)
	if err != nil || len(snaps) != 5 {
		t.Fatalf("snapshots = %+v, %v; want 5", snaps, err)
	}
}

// TestCommitReplacing: an append Replacing a file set takes the place of
// the rows that file set's earlier commits added, in one snapshot, and
// leaves every other file set's rows alone; with nothing to replace it is a
// plain append.
func TestCommitReplacing(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	if _, err := c.CreateTable(ctx, 3, testFields); err != nil {
		t.Fatal(err)
	}
	commitSet := func(set string, replace bool, ids ...int64) {
		t.Helper()
		var rows []row
		for _, id := range ids {
			rows = append(rows, row{id: id, name: ptr(set)})
		}
		var opts []CommitOption
		if replace {
			opts = append(opts, Replacing("inlet.file-set", set))
		}
		summary := map[string]string{"inlet.file-set": set}
		if _, err := c.Commit(ctx, 3, fromArrow(reader(t, record(t, rows))), catalog.WriteAppend, summary, opts...); err != nil {
			t.Fatalf("Commit %s: %v", set, err)
		}
	}
	ids := func() []int64 {
		t.Helper()
		var out []int64
		for _, r := range scanAll(t, c, 3) {
			out = append(out, r[0].(int64))
		}
		slices.Sort(out)
		return out
	}

	commitSet("a", true, 1, 2, 3) // nothing of a yet: an append
	commitSet("b", false, 10, 11)
	if got := ids(); !slices.Equal(got, []int64{1, 2, 3, 10, 11}) {
		t.Fatalf("after a and b: ids %v", got)
	}
	commitSet("a", true, 1, 2, 3, 4) // a's second version
	if got := ids(); !slices.Equal(got, []int64{1, 2, 3, 4, 10, 11}) {
		t.Errorf("after a's second version: ids %v; want a's 4 rows and b's 2", got)
	}
	commitSet("a", true, 5) // a's third: replaces the second, whose files replaced the first's
	if got := ids(); !slices.Equal(got, []int64{5, 10, 11}) {
		t.Errorf("after a's third version: ids %v; want 5, 10, 11", got)
	}
	commitSet("b", false, 12) // without Replacing, a plain append
	if got := ids(); !slices.Equal(got, []int64{5, 10, 11, 12}) {
		t.Errorf("after b's plain append: ids %v", got)
	}
	snaps, err := c.Snapshots(ctx, 3)
	if err != nil || len(snaps) != 5 {
		t.Fatalf("snapshots: %d, %v; want 5", len(snaps), err)
	}
}
