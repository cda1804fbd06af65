package tables

import (
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow/array"

	"inlet/internal/catalog"
	"inlet/internal/ingest"
)

// arrowFeed feeds Commit from Arrow records, so that tests can build rows
// with Arrow's builders (and test both halves with one type system: scans
// return Arrow).
type arrowFeed struct {
	rr array.RecordReader
}

func fromArrow(rr array.RecordReader) *arrowFeed { return &arrowFeed{rr: rr} }

func (f *arrowFeed) Next() (*ingest.Batch, error) {
	if !f.rr.Next() {
		if err := f.rr.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	rec := f.rr.RecordBatch()
	n := int(rec.NumRows())
	b := &ingest.Batch{Rows: n, Columns: make([]ingest.Column, rec.NumCols())}
	for i, col := range rec.Columns() {
		c := &b.Columns[i]
		c.Name = rec.Schema().Field(i).Name
		c.Valid = make([]bool, n)
		for j := range n {
			c.Valid[j] = col.IsValid(j)
		}
		switch a := col.(type) {
		case *array.String:
			c.Type = catalog.TypeString
			c.Offsets = []int32{0}
			for j := range n {
				if a.IsValid(j) {
					c.Bytes = append(c.Bytes, a.Value(j)...)
				}
				c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
			}
		case *array.Int64:
			c.Type, c.Int64 = catalog.TypeLong, slices.Clone(a.Int64Values())
		case *array.Float64:
			c.Type, c.Float64 = catalog.TypeDouble, slices.Clone(a.Float64Values())
		case *array.Boolean:
			c.Type = catalog.TypeBoolean
			for j := range n {
				c.Bool = append(c.Bool, a.Value(j))
			}
		case *array.Date32:
			c.Type = catalog.TypeDate
			for _, v := range a.Date32Values() {
				c.Int32 = append(c.Int32, int32(v))
			}
		case *array.Timestamp:
			c.Type = catalog.TypeTimestampTZ
			for _, v := range a.TimestampValues() {
				c.Int64 = append(c.Int64, int64(v))
			}
		default:
			c.Type = "arrow " + col.DataType().String()
		}
	}
	return b, nil
}
