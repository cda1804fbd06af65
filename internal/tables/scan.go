package tables

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go/table"

	"inlet/internal/catalog"
)

// Value formats of [Catalog.Scan].
const (
	DateFormat      = "2006-01-02"
	TimestampFormat = "2006-01-02T15:04:05.000000Z07:00" // RFC 3339, microseconds, UTC ("Z")
)

// Scan reads the table's current snapshot through iceberg-go's scan and
// returns the column names and, skipping offset rows, at most limit rows:
// none for 0 (the columns alone), all of them for a negative limit, which
// only callers that know the table is small may ask for. The order is stable between calls on the
// same snapshot: older commits first, then by data file. Values are
// string, int64, float64, bool, a date as "YYYY-MM-DD" ([DateFormat]), a
// timestamp in RFC 3339 with microseconds in UTC ([TimestampFormat]), a
// decimal as its exact text with all S fraction digits ("1250.00", a
// string, which JSON carries without rounding; see [DecimalText]), or nil
// for null.
func (c *Catalog) Scan(ctx context.Context, datasetID int64, limit, offset int64) ([]string, [][]any, error) {
	offset = max(offset, 0)
	tbl, err := c.load(ctx, datasetID)
	if err != nil {
		return nil, nil, fmt.Errorf("scan: %w", err)
	}
	// No scan row limit: iceberg-go then plans only enough files, in no
	// set order, which would break paging. Reading stops early instead.
	schema, batches, err := scanOrdered(ctx, tbl)
	if err != nil {
		return nil, nil, fmt.Errorf("scan: %w", err)
	}

	columns := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		columns[i] = f.Name
	}
	rows := [][]any{}
	if limit == 0 {
		return columns, rows, nil
	}
	skip := offset
	for rec, err := range batches {
		if err != nil {
			return nil, nil, fmt.Errorf("scan: read: %w", err)
		}
		if err := ctx.Err(); err != nil {
			rec.Release()
			return nil, nil, fmt.Errorf("scan: %w", err)
		}
		n := rec.NumRows()
		if skip >= n { // a whole batch before the page
			skip -= n
			rec.Release()
			continue
		}
		for i := skip; i < n && (limit < 0 || int64(len(rows)) < limit); i++ {
			row := make([]any, rec.NumCols())
			for j, col := range rec.Columns() {
				row[j] = value(col, int(i))
			}
			rows = append(rows, row)
		}
		skip = 0
		rec.Release()
		if limit > 0 && int64(len(rows)) >= limit {
			break
		}
	}
	return columns, rows, nil
}

// ScanRecords streams the table's current snapshot, in the order of
// [Catalog.Scan], with the dataset's [ArrowSchema]. The caller releases the
// reader; a table with no snapshot yields no batches.
func (c *Catalog) ScanRecords(ctx context.Context, datasetID int64) (array.RecordReader, error) {
	tbl, err := c.load(ctx, datasetID)
	if err != nil {
		return nil, fmt.Errorf("scan records: %w", err)
	}
	schema, batches, err := scanOrdered(ctx, tbl)
	if err != nil {
		return nil, fmt.Errorf("scan records: %w", err)
	}
	return array.ReaderFromIter(schema, batches), nil
}

// scanOrdered plans the scan and reads its files sorted by data sequence
// number (commit order), then path, since iceberg-go's plan does not
// promise an order and paging needs one.
func scanOrdered(ctx context.Context, tbl *table.Table) (*arrow.Schema, iter.Seq2[arrow.RecordBatch, error], error) {
	scan := tbl.Scan()
	tasks, err := scan.PlanFiles(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("plan: %w", err)
	}
	slices.SortFunc(tasks, func(a, b table.FileScanTask) int {
		return cmp.Or(
			cmp.Compare(seq(a), seq(b)),
			cmp.Compare(a.File.FilePath(), b.File.FilePath()),
			cmp.Compare(a.Start, b.Start),
		)
	})
	return scan.ReadTasks(ctx, tasks)
}

func seq(t table.FileScanTask) int64 {
	if t.DataSequenceNumber == nil {
		return 0
	}
	return *t.DataSequenceNumber
}

// value converts one cell to the Go value [Catalog.Scan] documents. Written
// by hand: the formats are inlet's API, not Arrow's.
func value(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Boolean:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i).ToTime().Format(DateFormat)
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit).UTC().Format(TimestampFormat)
	case *array.Decimal128, *array.Decimal64:
		return DecimalText(col, i)
	default:
		return col.ValueStr(i)
	}
}

// DecimalText renders value i of a decimal column of inlet's, decimal128
// or decimal64 of precision 18 at most, as its exact text: "-12.50" for
// -1250 at scale 2. Arrow's own rendering goes through a float and
// drops trailing zeros. It returns "" for other columns.
func DecimalText(col arrow.Array, i int) string {
	var v int64
	var scale int32
	switch a := col.(type) {
	case *array.Decimal128:
		// Precision 18 or less: the value is in the low 64 bits.
		v, scale = int64(a.Value(i).LowBits()), a.DataType().(*arrow.Decimal128Type).Scale
	case *array.Decimal64:
		v, scale = int64(a.Value(i)), a.DataType().(*arrow.Decimal64Type).Scale
	default:
		return ""
	}
	return string(catalog.AppendDecimal(nil, v, int(scale)))
}
