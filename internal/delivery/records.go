package delivery

import (
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"inlet/internal/catalog"
	"inlet/internal/ingest"
)

type refCount = atomic.Int64

// ToRecord copies a batch of accepted rows into an Arrow record. The batch
// is reused by the reader, so its buffers are copied, in bulk: the ingest
// column layout is already Arrow's (offsets and bytes for strings, dense
// typed values), so no value is appended one by one.
func ToRecord(schema *arrow.Schema, b *ingest.Batch) arrow.Record {
	n := b.Rows
	cols := make([]arrow.Array, len(b.Columns))
	for i := range b.Columns {
		c := &b.Columns[i]
		validity, nulls := packValidity(c.Valid[:n])
		var data arrow.ArrayData
		dt := schema.Field(i).Type
		switch c.Type {
		case catalog.TypeString:
			offs := c.Offsets[:n+1]
			data = array.NewData(dt, n, []*memory.Buffer{validity,
				memory.NewBufferBytes(copyBytes(int32Bytes(offs))),
				memory.NewBufferBytes(copyBytes(c.Bytes[:offs[n]]))}, nil, nulls, 0)
		case catalog.TypeLong, catalog.TypeTimestampTZ:
			data = array.NewData(dt, n, []*memory.Buffer{validity,
				memory.NewBufferBytes(copyBytes(arrow.Int64Traits.CastToBytes(c.Int64[:n])))}, nil, nulls, 0)
		case catalog.TypeDouble:
			data = array.NewData(dt, n, []*memory.Buffer{validity,
				memory.NewBufferBytes(copyBytes(arrow.Float64Traits.CastToBytes(c.Float64[:n])))}, nil, nulls, 0)
		case catalog.TypeDate:
			data = array.NewData(dt, n, []*memory.Buffer{validity,
				memory.NewBufferBytes(copyBytes(arrow.Int32Traits.CastToBytes(c.Int32[:n])))}, nil, nulls, 0)
		case catalog.TypeBoolean:
			bits := make([]byte, bitutil.BytesForBits(int64(n)))
			for j, v := range c.Bool[:n] {
				if v {
					bitutil.SetBit(bits, j)
				}
			}
			data = array.NewData(dt, n, []*memory.Buffer{validity, memory.NewBufferBytes(bits)}, nil, nulls, 0)
		}
		cols[i] = array.MakeFromData(data)
		data.Release()
	}
	rec := array.NewRecord(schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// packValidity builds an Arrow validity bitmap; nil when nothing is null.
func packValidity(valid []bool) (*memory.Buffer, int) {
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

func int32Bytes(v []int32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*4)
}

func copyBytes(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}
