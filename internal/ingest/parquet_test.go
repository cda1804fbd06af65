package ingest

import (
	"math"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"inlet/internal/catalog"
)

// TestParquetTypes writes a file with nanosecond timestamps, a decimal in
// FIXED_LEN_BYTE_ARRAY, a date and an INT32 decimal, and reads it back.
func TestParquetTypes(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{
		"amt":  parquet.Decimal(2, 18, parquet.FixedLenByteArrayType(9)),
		"day":  parquet.Optional(parquet.Date()),
		"id":   parquet.Int(64),
		"rate": parquet.Decimal(3, 9, parquet.Int32Type),
		"ts":   parquet.Optional(parquet.Timestamp(parquet.Nanosecond)),
	})
	be := func(v int64) []byte { // 9-byte big-endian two's complement
		b := make([]byte, 9)
		for i := 8; i >= 0; i-- {
			b[i] = byte(v)
			v >>= 8
		}
		return b
	}
	rows := []parquet.Row{
		{parquet.FixedLenByteArrayValue(be(12345)).Level(0, 0, 0), parquet.Int32Value(20103).Level(0, 1, 1),
			parquet.Int64Value(1).Level(0, 0, 2), parquet.Int32Value(-1500).Level(0, 0, 3), parquet.Int64Value(-1).Level(0, 1, 4)},
		{parquet.FixedLenByteArrayValue(be(-5)).Level(0, 0, 0), parquet.NullValue().Level(0, 0, 1),
			parquet.Int64Value(2).Level(0, 0, 2), parquet.Int32Value(7).Level(0, 0, 3), parquet.Int64Value(1_500_000_999).Level(0, 1, 4)},
	}
	data := parquetRows(t, schema, rows)
	fields := []catalog.Field{
		fld("ID", catalog.TypeLong, true),
		fld("ts", catalog.TypeTimestampTZ, false),
		fld("amt", catalog.TypeDouble, false),
		fld("day", catalog.TypeDate, false),
		fld("rate", catalog.TypeDouble, false),
	}
	res := readFile(t, data, "t.parquet", fields, parquetCfg, Options{})
	want := [][]any{
		{int64(1), "1969-12-31T23:59:59.999999Z", 123.45, "2025-01-15", -1.5},
		{int64(2), "1970-01-01T00:00:01.5Z", -0.05, nil, 0.007},
	}
	if got := res.rows; !reflect.DeepEqual(got, want) || res.err != nil {
		t.Errorf("rows = %v, err %v; want %v", got, res.err, want)
	}
}

// TestParquetCorrupt cuts and damages a file: a file error, never a panic.
func TestParquetCorrupt(t *testing.T) {
	data := caseFile(t, "28-decimal-and-names.parquet")
	fields := []catalog.Field{fld("customer_id", catalog.TypeString, true)}
	for _, n := range []int{0, 4, 8, len(data) / 2, len(data) - 1} {
		cut := append([]byte(nil), data[:n]...)
		res := readFile(t, cut, "cut.parquet", fields, parquetCfg, Options{})
		if n > 0 && (res.sum.Status != StatusFailed || res.err == nil) {
			t.Errorf("cut at %d: status %q, err %v; want failed", n, res.sum.Status, res.err)
		}
	}
	for i := 4; i < len(data)-8; i += 7 {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0xff
		readFile(t, bad, "bad.parquet", fields, parquetCfg, Options{})
	}
}

// TestParquetUnsigned: unsigned INT32 and INT64 columns (DuckDB's UINTEGER
// and UBIGINT) keep their value above the signed maximum: as doubles, and
// as longs up to the long's range, beyond which the row is rejected.
func TestParquetUnsigned(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{
		"u32": parquet.Uint(32),
		"u64": parquet.Uint(64),
		"l64": parquet.Uint(64),
	})
	row := func(u32 uint32, u64, l64 uint64) parquet.Row {
		return parquet.Row{parquet.Int64Value(int64(l64)).Level(0, 0, 0),
			parquet.Int32Value(int32(u32)).Level(0, 0, 1), parquet.Int64Value(int64(u64)).Level(0, 0, 2)}
	}
	data := parquetRows(t, schema, []parquet.Row{
		row(math.MaxUint32, math.MaxUint64, 1),
		row(1<<31, 1e19, math.MaxInt64),
		row(7, 1<<63, 1<<63), // the long is past int64: rejected
	})
	fields := []catalog.Field{
		fld("u32", catalog.TypeDouble, true),
		fld("u64", catalog.TypeDouble, true),
		fld("l64", catalog.TypeLong, true),
	}
	res := readFile(t, data, "u.parquet", fields, parquetCfg, Options{})
	want := [][]any{
		{float64(math.MaxUint32), float64(math.MaxUint64), int64(1)},
		{float64(1 << 31), 1e19, int64(math.MaxInt64)},
	}
	if !reflect.DeepEqual(res.rows, want) || res.err != nil {
		t.Errorf("rows = %v, err %v; want %v", res.rows, res.err, want)
	}
	if len(res.rejects) != 1 || res.rejects[0].Field != "l64" {
		t.Errorf("rejects = %+v; want the third row's l64", res.rejects)
	}
}
