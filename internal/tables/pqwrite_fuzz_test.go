package tables

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"reflect"
	"testing"

	"github.com/apache/iceberg-go"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"inlet/internal/catalog"
	"inlet/internal/ingest"
)

// memFile is an in-memory file for the writer.
type memFile struct{ bytes.Buffer }

func (*memFile) Close() error { return nil }

// FuzzWriter writes rows made from the input (any bytes in strings, nulls
// anywhere, NaN and infinities, extreme integers) in several batches, with
// tiny pages and row groups, and reads the file back with parquet-go: every
// value must come back, and every chunk's null count must be right.
func FuzzWriter(f *testing.F) {
	f.Add([]byte("\x05hello world, fuzzing the parquet writer \x00\xff\x80"))
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add([]byte{0x40, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 1, 2, 3})
	old := pageBytes
	pageBytes = 256
	f.Cleanup(func() { pageBytes = old })
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		at := 0
		next := func(n int) []byte { // the next n bytes, wrapping around
			out := make([]byte, n)
			for i := range out {
				out[i] = data[at%len(data)]
				at++
			}
			return out
		}
		rows := int(data[0]) * 3
		fields, err := pqFields(mustSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		var out memFile
		w, err := newPQWriter(&out, fields, format.Snappy, 2048, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]any
		for done := 0; done < rows; {
			n := min(rows-done, 1+int(next(1)[0])%97)
			b := &ingest.Batch{Rows: n, Columns: make([]ingest.Column, len(testFields))}
			for i, fd := range testFields {
				b.Columns[i] = ingest.Column{Name: fd.Name, Type: fd.Type, Offsets: []int32{0}}
			}
			for range n {
				flags := next(1)[0]
				num := binary.LittleEndian.Uint64(next(8))
				row := make([]any, len(testFields))
				for i := range b.Columns {
					c := &b.Columns[i]
					valid := i == 0 || flags&(1<<i) == 0
					c.Valid = append(c.Valid, valid)
					switch testFields[i].Type {
					case catalog.TypeLong, catalog.TypeTimestampTZ:
						c.Int64 = append(c.Int64, int64(num))
						row[i] = int64(num)
					case catalog.TypeString:
						s := next(int(num % 23))
						if valid {
							c.Bytes = append(c.Bytes, s...)
						}
						c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
						row[i] = string(s)
					case catalog.TypeDouble:
						c.Float64 = append(c.Float64, math.Float64frombits(num))
						row[i] = math.Float64frombits(num)
					case catalog.TypeBoolean:
						c.Bool = append(c.Bool, num&1 == 1)
						row[i] = num&1 == 1
					case catalog.TypeDate:
						c.Int32 = append(c.Int32, int32(num))
						row[i] = int32(num)
					}
					if !valid {
						row[i] = nil
					}
				}
				want = append(want, row)
			}
			if err := w.write(b); err != nil {
				t.Fatal(err)
			}
			done += n
		}
		if err := w.close(); err != nil {
			t.Fatal(err)
		}

		pf, err := parquet.OpenFile(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatalf("parquet-go open: %v", err)
		}
		var got [][]any
		for g, rg := range pf.RowGroups() {
			for c, chunk := range pf.Metadata().RowGroups[g].Columns {
				var nulls int64
				for _, r := range want[len(got) : len(got)+int(rg.NumRows())] {
					if r[c] == nil {
						nulls++
					}
				}
				if chunk.MetaData.Statistics.NullCount != nulls {
					t.Fatalf("row group %d column %d: null count %d; want %d", g, c,
						chunk.MetaData.Statistics.NullCount, nulls)
				}
			}
			rr := rg.Rows()
			buf := make([]parquet.Row, 16)
			for {
				n, err := rr.ReadRows(buf)
				for _, r := range buf[:n] {
					vals := make([]any, len(testFields))
					for _, v := range r {
						vals[v.Column()] = cell(v)
					}
					got = append(got, vals)
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			rr.Close()
		}
		if len(got) != len(want) {
			t.Fatalf("read %d rows; want %d", len(got), len(want))
		}
		for i := range want {
			if !sameRow(got[i], want[i]) {
				t.Fatalf("row %d = %v; want %v", i, got[i], want[i])
			}
		}
	})
}

// sameRow compares rows, NaN equal to NaN bit for bit.
func sameRow(a, b []any) bool {
	for i := range a {
		x, xok := a[i].(float64)
		y, yok := b[i].(float64)
		if xok && yok {
			if math.Float64bits(x) != math.Float64bits(y) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

func mustSchema(t *testing.T) *iceberg.Schema {
	t.Helper()
	sc, err := IcebergSchema(testFields)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
