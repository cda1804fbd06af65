package main

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"inlet/internal/catalog"
	"inlet/internal/ingest"
)

// toRecord copies a batch into an Arrow record the way the unexported
// toRecord of internal/delivery (records.go) does: each column's buffers
// are copied in bulk, since the ingest layout is already Arrow's. It is
// reproduced here because delivery does not export it; keep the two in
// step (or replace this with an exported helper once there is one).
func toRecord(schema *arrow.Schema, b *ingest.Batch) arrow.RecordBatch {
	n := b.Rows
	cols := make([]arrow.Array, len(b.Columns))
	for i := range b.Columns {
		c := &b.Columns[i]
		validity, nulls := validityBitmap(c.Valid[:n])
		dt := schema.Field(i).Type
		var bufs []*memory.Buffer
		switch c.Type {
		case catalog.TypeString:
			offs := c.Offsets[:n+1]
			bufs = []*memory.Buffer{validity, cloneBuffer(int32Bytes(offs)), cloneBuffer(c.Bytes[:offs[n]])}
		case catalog.TypeLong, catalog.TypeTimestampTZ:
			bufs = []*memory.Buffer{validity, cloneBuffer(arrow.Int64Traits.CastToBytes(c.Int64[:n]))}
		case catalog.TypeDouble:
			bufs = []*memory.Buffer{validity, cloneBuffer(arrow.Float64Traits.CastToBytes(c.Float64[:n]))}
		case catalog.TypeDate:
			bufs = []*memory.Buffer{validity, cloneBuffer(arrow.Int32Traits.CastToBytes(c.Int32[:n]))}
		case catalog.TypeBoolean:
			bits := make([]byte, bitutil.BytesForBits(int64(n)))
			for j, v := range c.Bool[:n] {
				if v {
					bitutil.SetBit(bits, j)
				}
			}
			bufs = []*memory.Buffer{validity, memory.NewBufferBytes(bits)}
		}
		data := array.NewData(dt, n, bufs, nil, nulls, 0)
		cols[i] = array.MakeFromData(data)
		data.Release()
	}
	rec := array.NewRecordBatch(schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// validityBitmap packs the validity flags into an Arrow bitmap; nil when
// no value is null.
func validityBitmap(valid []bool) (*memory.Buffer, int) {
	nulls := 0
	for _, v := range valid {
		if !v {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	bits := make([]byte, bitutil.BytesForBits(int64(len(valid))))
	for i, v := range valid {
		if v {
			bitutil.SetBit(bits, i)
		}
	}
	return memory.NewBufferBytes(bits), nulls
}

// int32Bytes views v's memory as bytes.
func int32Bytes(v []int32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*4)
}

// cloneBuffer copies b into a new Arrow buffer.
func cloneBuffer(b []byte) *memory.Buffer {
	return memory.NewBufferBytes(append([]byte(nil), b...))
}
