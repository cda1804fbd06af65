package tables

import (
	"bytes"
	"context"
	"io"
	"math"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
	"github.com/parquet-go/parquet-go/format"

	"inlet/internal/catalog"
	"inlet/internal/ingest"
)

// batchFeed commits ready-made batches.
type batchFeed []*ingest.Batch

func (f *batchFeed) Next() (*ingest.Batch, error) {
	if len(*f) == 0 {
		return nil, io.EOF
	}
	b := (*f)[0]
	*f = (*f)[1:]
	return b, nil
}

// decimalColumn is a decimal column of unscaled values; nil is NULL.
func decimalColumn(name, typ string, vals ...*int64) ingest.Column {
	c := ingest.Column{Name: name, Type: typ}
	for _, v := range vals {
		c.Valid = append(c.Valid, v != nil)
		if v == nil {
			c.Int64 = append(c.Int64, 0)
			continue
		}
		c.Int64 = append(c.Int64, *v)
	}
	return c
}

// TestDecimalRoundTrip commits decimal columns (decimal(12,2) with
// nulls, decimal(18,0) at its limits, decimal(5,5)) and reads them back:
// iceberg-go's scan, as text and as Arrow decimal128; parquet-go, as
// INT64 DECIMAL with its statistics; and the data file's Iceberg bounds,
// which must be what iceberg-go's own decimal literals serialise to.
func TestDecimalRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := newCatalog(t)
	fields := []catalog.Field{
		{Name: "amount", Type: "decimal(12,2)"},
		{Name: "big", Type: "decimal(18,0)", Required: true},
		{Name: "frac", Type: "decimal(5,5)"},
	}
	if _, err := c.CreateTable(ctx, 7, fields); err != nil {
		t.Fatal(err)
	}
	const max18 = 999999999999999999
	b := &ingest.Batch{Rows: 4, Columns: []ingest.Column{
		decimalColumn("amount", "decimal(12,2)", ptr[int64](1250), nil, ptr[int64](-5), ptr[int64](999999999999)),
		decimalColumn("big", "decimal(18,0)", ptr[int64](max18), ptr[int64](-max18), ptr[int64](0), ptr[int64](128)),
		decimalColumn("frac", "decimal(5,5)", nil, nil, nil, ptr[int64](-99999)),
	}}
	feed := batchFeed{b}
	if _, err := c.Commit(ctx, 7, &feed, catalog.WriteAppend, map[string]string{"inlet.file-set": "d"}); err != nil {
		t.Fatal(err)
	}

	// iceberg-go's scan, rendered by Scan.
	_, rows, err := c.Scan(ctx, 7, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{"12.50", "999999999999999999", nil},
		{nil, "-999999999999999999", nil},
		{"-0.05", "0", nil},
		{"9999999999.99", "128", "-0.99999"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("scan = %v; want %v", rows, want)
	}

	// The Arrow records: decimal128 of the column's precision and scale.
	rr, err := c.ScanRecords(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	for i, wantType := range []arrow.DataType{
		&arrow.Decimal128Type{Precision: 12, Scale: 2},
		&arrow.Decimal128Type{Precision: 18, Scale: 0},
		&arrow.Decimal128Type{Precision: 5, Scale: 5},
	} {
		if got := rr.Schema().Field(i).Type; !arrow.TypeEqual(got, wantType) {
			t.Errorf("arrow type of %s = %s; want %s", fields[i].Name, got, wantType)
		}
	}

	// parquet-go: INT64 DECIMAL(P,S), the unscaled values, statistics.
	files := dataFiles(t, c, 7)
	if len(files) != 1 {
		t.Fatalf("data files = %v; want one", files)
	}
	schema, got := readParquet(t, files[0])
	for i, ps := range [][2]int32{{12, 2}, {18, 0}, {5, 5}} {
		el := schema[i+1]
		typ, _ := el.Type.Get()
		d, ok := el.LogicalType.Value.(*format.DecimalType)
		prec, _ := el.Precision.Get()
		scale, _ := el.Scale.Get()
		if typ != format.Int64 || !ok || d.Precision != ps[0] || d.Scale != ps[1] || prec != ps[0] || scale != ps[1] {
			t.Errorf("parquet column %s: %s %v precision %d scale %d; want INT64 DECIMAL(%d,%d)",
				el.Name, typ, &el.LogicalType, prec, scale, ps[0], ps[1])
		}
	}
	wantCells := [][]any{
		{int64(1250), int64(max18), nil},
		{nil, int64(-max18), nil},
		{int64(-5), int64(0), nil},
		{int64(999999999999), int64(128), int64(-99999)},
	}
	for i, r := range got {
		vals := make([]any, len(fields))
		for _, v := range r {
			vals[v.Column()] = cell(v)
		}
		if !reflect.DeepEqual(vals, wantCells[i]) {
			t.Errorf("parquet-go row %d = %v; want %v", i, vals, wantCells[i])
		}
	}
	pf := openParquet(t, files[0])
	le := func(v int64) []byte { return appendLE(nil, v) }
	for i, mm := range [][2]int64{{-5, 999999999999}, {-max18, max18}, {-99999, -99999}} {
		st := pf.Metadata().RowGroups[0].Columns[i].MetaData.Statistics
		if !bytes.Equal(st.MinValue, le(mm[0])) || !bytes.Equal(st.MaxValue, le(mm[1])) {
			t.Errorf("column %s statistics: min %x max %x; want %d, %d", fields[i].Name, st.MinValue, st.MaxValue, mm[0], mm[1])
		}
	}

	// The Iceberg bounds, as iceberg-go serialises decimal literals.
	tbl, err := c.load(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("plan: %d tasks, %v", len(tasks), err)
	}
	lo, hi := tasks[0].File.LowerBoundValues(), tasks[0].File.UpperBoundValues()
	lit := func(v int64, scale int32) []byte {
		b, err := iceberg.DecimalLiteral{Val: decimal128.FromI64(v), Scale: int(scale)}.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for i, mm := range [][3]int64{{-5, 999999999999, 2}, {-max18, max18, 0}, {-99999, -99999, 5}} {
		id := i + 1
		if !bytes.Equal(lo[id], lit(mm[0], int32(mm[2]))) || !bytes.Equal(hi[id], lit(mm[1], int32(mm[2]))) {
			t.Errorf("bounds of %s = [%x, %x]; want [%x, %x]", fields[i].Name, lo[id], hi[id], lit(mm[0], 0), lit(mm[1], 0))
		}
	}

	// A filter on a decimal column prunes by those bounds: no file has an
	// amount above 10000000000.00.
	for _, tt := range []struct {
		filter iceberg.BooleanExpression
		files  int
	}{
		{iceberg.GreaterThan(iceberg.Reference("amount"), iceberg.Decimal{Val: decimal128.FromI64(1000000000000), Scale: 2}), 0},
		{iceberg.GreaterThan(iceberg.Reference("amount"), iceberg.Decimal{Val: decimal128.FromI64(1250), Scale: 2}), 1},
		{iceberg.LessThan(iceberg.Reference("frac"), iceberg.Decimal{Val: decimal128.FromI64(-99999), Scale: 5}), 0},
	} {
		tasks, err := tbl.Scan(table.WithRowFilter(tt.filter)).PlanFiles(ctx)
		if err != nil || len(tasks) != tt.files {
			t.Errorf("plan with %s: %d files, %v; want %d", tt.filter, len(tasks), err, tt.files)
		}
	}
}

func appendLE(dst []byte, v int64) []byte {
	for i := range 8 {
		dst = append(dst, byte(uint64(v)>>(8*i)))
	}
	return dst
}

// TestMinimalBigEndian compares the bound encoding with iceberg-go's own
// for the values around each byte boundary.
func TestMinimalBigEndian(t *testing.T) {
	vals := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 999999999999999999, -999999999999999999}
	for shift := range 63 {
		p := int64(1) << shift
		vals = append(vals, p, p-1, -p, -p-1, -p+1)
	}
	for _, v := range vals {
		want, err := iceberg.DecimalLiteral{Val: decimal128.FromI64(v)}.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if got := minimalBigEndian(v); !bytes.Equal(got, want) {
			t.Errorf("minimalBigEndian(%d) = %x; want %x", v, got, want)
		}
	}
}
