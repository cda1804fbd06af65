package tables

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"inlet/internal/catalog"
)

// TestWriterLongStrings writes strings of 2 MiB and 9 MiB among short
// ones and reads them back with iceberg-go's scan (arrow-go underneath,
// which refuses a page header over 4 MiB) and with parquet-go. No long
// value may go into a page header or the footer: the statistics of a page
// or chunk whose string min or max is longer than maxStatBytes have no
// bounds, and every other page and chunk keeps exact ones.
func TestWriterLongStrings(t *testing.T) {
	old := pageBytes
	pageBytes = 4 << 10
	t.Cleanup(func() { pageBytes = old })
	ctx := context.Background()
	c := newCatalog(t)
	c.rowGroupBytes = 16 << 10
	if _, err := c.CreateTable(ctx, 1, testFields); err != nil {
		t.Fatal(err)
	}

	long2 := "m" + strings.Repeat("x", 2<<20-1)  // between its chunk's bounds
	long9 := "~" + strings.Repeat("y", 9<<20-1)  // its chunk's max
	long2min := strings.Repeat("0", 2<<20)       // its chunk's min
	atLimit := strings.Repeat("z", maxStatBytes) // the first row group's max
	overLimit := "z" + atLimit
	// Each batch makes a row group: the first fills one with short values,
	// each later one but the last holds megabytes.
	batches := [][]*string{nil,
		{ptr("a-short"), &long2, ptr("zz-short")},
		{ptr("n-short"), &long9, nil},
		{&long2min, ptr("q"), nil},
		{ptr(""), nil, &overLimit, ptr("b")},
	}
	for i := range 1500 {
		batches[0] = append(batches[0], ptr(string(rune('c'+i%20))+strings.Repeat("s", i%9)))
	}
	batches[0][700] = &atLimit
	var want []*string
	var recs []arrow.RecordBatch
	for _, b := range batches {
		rows := make([]row, len(b))
		for i, name := range b {
			rows[i] = row{id: int64(len(want)), name: name}
			want = append(want, name)
		}
		recs = append(recs, record(t, rows))
	}
	if _, err := c.Commit(ctx, 1, fromArrow(reader(t, recs...)), catalog.WriteAppend, nil); err != nil {
		t.Fatal(err)
	}

	same := func(how string, got []any) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d names; want %d", how, len(got), len(want))
		}
		for i, w := range want {
			g, ok := got[i].(string)
			switch {
			case w == nil && got[i] != nil:
				t.Fatalf("%s: row %d name is %d bytes; want null", how, i, len(g))
			case w != nil && (!ok || g != *w):
				t.Fatalf("%s: row %d name = %T of %d bytes; want a string of %d bytes", how, i, got[i], len(g), len(*w))
			}
		}
	}

	// iceberg-go's scan, the path of the API's rows.
	var names []any
	for _, r := range scanAll(t, c, 1) {
		names = append(names, r[1])
	}
	same("iceberg-go scan", names)

	// iceberg-go's record stream, the path of the API's export.
	rr, err := c.ScanRecords(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for rr.Next() {
		col := rr.RecordBatch().Column(1)
		for i := range col.Len() {
			names = append(names, value(col, i))
		}
	}
	if err := rr.Err(); err != nil {
		t.Fatalf("iceberg-go record stream: %v", err)
	}
	rr.Release()
	same("iceberg-go records", names)

	files := dataFiles(t, c, 1)
	if len(files) != 1 {
		t.Fatalf("data files = %v; want one", files)
	}
	_, prows := readParquet(t, files[0])
	names = names[:0]
	for _, r := range prows {
		names = append(names, cell(r[1]))
	}
	same("parquet-go", names)

	groups := openParquet(t, files[0]).Metadata().RowGroups
	if len(groups) != len(batches) {
		t.Fatalf("%d row groups; want %d, one per batch", len(groups), len(batches))
	}
	checkChunkStats(t, files[0])
	// The cases the checks above must have met.
	for g, want := range [][2]string{
		{"c", atLimit},          // a bound of maxStatBytes is kept
		{"a-short", "zz-short"}, // a long value between short bounds
		{"", ""},                // a long max: no bounds
		{"", ""},                // a long min
		{"", ""},                // a max one byte too long
	} {
		st := groups[g].Columns[1].MetaData.Statistics
		if string(st.MinValue) != want[0] || string(st.MaxValue) != want[1] {
			t.Errorf("row group %d: name bounds %.20q (%d bytes), %.20q (%d bytes); want %.20q, %.20q",
				g, st.MinValue, len(st.MinValue), st.MaxValue, len(st.MaxValue), want[0], want[1])
		}
	}
	checkPageStats(t, files[0], 1)
}

// The same with the writer's own page and row group sizes, as a delivery
// of a few rows with a long text in it is written.
func TestWriterLongStringsDefaultLayout(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	if _, err := c.CreateTable(ctx, 1, testFields); err != nil {
		t.Fatal(err)
	}
	want := []any{"short", strings.Repeat("é", 1<<20), nil, strings.Repeat("\x00", 9<<20), ""}
	rows := make([]row, len(want))
	for i, v := range want {
		rows[i].id = int64(i)
		if s, ok := v.(string); ok {
			rows[i].name = &s
		}
	}
	commit(t, c, 1, catalog.WriteAppend, "long", rows...)
	got := scanAll(t, c, 1)
	if len(got) != len(want) {
		t.Fatalf("scan: %d rows; want %d", len(got), len(want))
	}
	for i, r := range got {
		if r[1] != want[i] {
			t.Errorf("scan row %d: name of %d bytes; want %d", i, len(fmt.Sprint(r[1])), len(fmt.Sprint(want[i])))
		}
	}
	files := dataFiles(t, c, 1)
	if len(files) != 1 {
		t.Fatalf("data files = %v; want one", files)
	}
	checkChunkStats(t, files[0])
	checkPageStats(t, files[0], 1)
}

// checkPageStats decodes the header of every page of the column in the
// file and compares its statistics with the page's values, read with
// parquet-go: the null count, and min and max exactly unless one of them
// is longer than maxStatBytes, when there must be neither.
func checkPageStats(t *testing.T, path string, col int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pf := openParquet(t, path)
	pages, headers := 0, 0
	for g, rg := range pf.RowGroups() {
		meta := pf.Metadata().RowGroups[g].Columns[col].MetaData
		chunk := bytes.NewReader(raw[meta.DataPageOffset : meta.DataPageOffset+meta.TotalCompressedSize])
		dec := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(chunk))
		values := rg.ColumnChunks()[col].Pages()
		for chunk.Len() > 0 {
			start := chunk.Len()
			var h format.PageHeader
			if err := dec.Decode(&h); err != nil {
				t.Fatalf("row group %d: page header: %v", g, err)
			}
			if n := start - chunk.Len(); n > 2*maxStatBytes+256 {
				t.Errorf("row group %d: a page header of %d bytes", g, n)
			}
			if _, err := chunk.Seek(int64(h.CompressedPageSize), io.SeekCurrent); err != nil {
				t.Fatal(err)
			}
			headers++
			v2, ok := h.DataPageHeaderV2.Get()
			if !ok {
				t.Fatalf("row group %d: page %d is not a v2 data page", g, headers)
			}

			p, err := values.ReadPage()
			if err != nil {
				t.Fatalf("row group %d: parquet-go page: %v", g, err)
			}
			pages++
			vals := make([]parquet.Value, p.NumValues())
			n, _ := p.Values().ReadValues(vals)
			var nulls int64
			var lo, hi []byte
			for _, v := range vals[:n] {
				if v.IsNull() {
					nulls++
					continue
				}
				b := bytes.Clone(v.ByteArray())
				if lo == nil || bytes.Compare(b, lo) < 0 {
					lo = b
				}
				if hi == nil || bytes.Compare(b, hi) > 0 {
					hi = b
				}
			}
			parquet.Release(p)
			st := v2.Statistics
			if len(lo) > maxStatBytes || len(hi) > maxStatBytes {
				lo, hi = nil, nil
			}
			if st.NullCount != nulls || !bytes.Equal(st.MinValue, lo) || !bytes.Equal(st.MaxValue, hi) ||
				st.Min != nil || st.Max != nil {
				t.Errorf("row group %d page %d: stats nulls %d min %.40q (%d bytes) max %.40q (%d bytes); values have %d, %.40q, %.40q",
					g, pages, st.NullCount, st.MinValue, len(st.MinValue), st.MaxValue, len(st.MaxValue), nulls, lo, hi)
			}
		}
		if _, err := values.ReadPage(); !errors.Is(err, io.EOF) {
			t.Errorf("row group %d: parquet-go reads more pages than the headers: %v", g, err)
		}
		values.Close()
	}
	if pages == 0 {
		t.Fatal("no page read")
	}
}
