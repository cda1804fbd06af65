package tables

import (
	"context"
	"errors"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"inlet/internal/catalog"
)

// openParquet opens a data file with parquet-go, a reader independent of
// the writer; the file closes when the test ends.
func openParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("parquet-go open %s: %v", path, err)
	}
	return pf
}

// readParquet reads a data file with parquet-go: the file's schema
// elements and its rows.
func readParquet(t *testing.T, path string) ([]format.SchemaElement, []parquet.Row) {
	t.Helper()
	pf := openParquet(t, path)
	var rows []parquet.Row
	for _, rg := range pf.RowGroups() {
		rr := rg.Rows()
		buf := make([]parquet.Row, 64)
		for {
			n, err := rr.ReadRows(buf)
			for _, r := range buf[:n] {
				rows = append(rows, r.Clone())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("parquet-go read %s: %v", path, err)
			}
		}
		rr.Close()
	}
	return pf.Metadata().Schema, rows
}

// cell returns a parquet-go value as the Go value Scan gives (dates and
// timestamps as their raw day and microsecond counts).
func cell(v parquet.Value) any {
	if v.IsNull() {
		return nil
	}
	switch v.Kind() {
	case parquet.Boolean:
		return v.Boolean()
	case parquet.Int32:
		return v.Int32()
	case parquet.Int64:
		return v.Int64()
	case parquet.Double:
		return v.Double()
	case parquet.ByteArray:
		return string(v.ByteArray())
	}
	return v.String()
}

// TestParquetIndependentReader checks the written files with parquet-go:
// field ids, physical and logical types, and values. Among them are the
// four instants of case 26, which must come back exactly, from parquet-go
// and from iceberg-go's scan.
func TestParquetIndependentReader(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	if _, err := c.CreateTable(ctx, 26, testFields); err != nil {
		t.Fatal(err)
	}
	instants := []string{
		"2026-12-01T10:00:00.123456Z",
		"2026-12-01T10:00:00.1Z",
		"2026-12-01T10:00:00+02:00", // 08:00 UTC
		"1969-12-31T23:59:59.999999Z",
	}
	rows := []row{
		{id: 1, name: ptr("été ✓"), score: ptr(0.25), ok: ptr(true), day: ptr("2026-12-01"), at: &instants[0]},
		{id: 2, name: ptr(""), score: ptr(-1e300), ok: ptr(false), day: ptr("1970-01-01"), at: &instants[1]},
		{id: 3, at: &instants[2]},
		{id: 4, day: ptr("1969-12-31"), at: &instants[3]},
	}
	commit(t, c, 26, catalog.WriteAppend, "case-26", rows...)

	files := dataFiles(t, c, 26)
	if len(files) != 1 {
		t.Fatalf("data files = %v; want one", files)
	}
	schema, got := readParquet(t, files[0])

	// Schema: the root, then one leaf per field with its Iceberg field id.
	if len(schema) != 1+len(testFields) {
		t.Fatalf("parquet schema has %d elements; want %d", len(schema), 1+len(testFields))
	}
	wantTypes := []format.Type{format.Int64, format.ByteArray, format.Double, format.Boolean,
		format.Int32, format.Int64}
	for i, el := range schema[1:] {
		typ, _ := el.Type.Get()
		rep, _ := el.RepetitionType.Get()
		wantRep := format.Optional
		if testFields[i].Required {
			wantRep = format.Required
		}
		if el.Name != testFields[i].Name || el.FieldID != int32(i+1) || typ != wantTypes[i] || rep != wantRep {
			t.Errorf("parquet column %d = %s id %d type %s repetition %s; want %s id %d type %s repetition %s",
				i, el.Name, el.FieldID, typ, rep, testFields[i].Name, i+1, wantTypes[i], wantRep)
		}
	}
	if _, ok := schema[5].LogicalType.Value.(*format.DateType); !ok {
		t.Errorf("day logical type = %v; want DATE", &schema[5].LogicalType)
	}
	ts, ok := schema[6].LogicalType.Value.(*format.TimestampType)
	if !ok || !ts.IsAdjustedToUTC {
		t.Fatalf("at logical type = %v; want TIMESTAMP(isAdjustedToUTC=true, MICROS)", &schema[6].LogicalType)
	}
	if _, ok := ts.Unit.Value.(*format.MicroSeconds); !ok {
		t.Errorf("at unit = %v; want MICROS", &ts.Unit)
	}

	// Values, as parquet-go reads them.
	days := func(s string) any {
		d, _ := time.Parse(DateFormat, s)
		return int32(d.Unix() / 86400)
	}
	micros := func(s string) any {
		v, _ := time.Parse(time.RFC3339Nano, s)
		return v.UnixMicro()
	}
	want := [][]any{
		{int64(1), "été ✓", 0.25, true, days("2026-12-01"), micros(instants[0])},
		{int64(2), "", -1e300, false, days("1970-01-01"), micros(instants[1])},
		{int64(3), nil, nil, nil, nil, micros(instants[2])},
		{int64(4), nil, nil, nil, days("1969-12-31"), micros(instants[3])},
	}
	if want[3][4] != int32(-1) || want[3][5] != int64(-1) {
		t.Fatalf("test data: 1969-12-31 = %v days, last instant = %v µs; want -1, -1", want[3][4], want[3][5])
	}
	if len(got) != len(want) {
		t.Fatalf("parquet-go read %d rows; want %d", len(got), len(want))
	}
	for i, r := range got {
		vals := make([]any, len(testFields))
		for _, v := range r {
			vals[v.Column()] = cell(v)
		}
		if !reflect.DeepEqual(vals, want[i]) {
			t.Errorf("parquet-go row %d = %v; want %v", i, vals, want[i])
		}
	}

	// The same four instants through iceberg-go's scan, in UTC.
	wantAt := []any{
		"2026-12-01T10:00:00.123456Z",
		"2026-12-01T10:00:00.100000Z",
		"2026-12-01T08:00:00.000000Z",
		"1969-12-31T23:59:59.999999Z",
	}
	for i, r := range scanAll(t, c, 26) {
		if r[5] != wantAt[i] {
			t.Errorf("scan row %d at = %v; want %v", i, r[5], wantAt[i])
		}
	}
}
