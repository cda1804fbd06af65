package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"inlet/internal/catalog"
	"inlet/internal/delivery"
	"inlet/internal/tables"
)

// Ingestion runs file sets into datasets.
type Ingestion interface {
	Trigger(ctx context.Context, src catalog.Source, datasetID int64, folder, trigger string) (delivery.Run, error)
	Get(ctx context.Context, tenantID, id int64) (delivery.Run, error)
	List(ctx context.Context, tenantID, datasetID int64, limit int) ([]delivery.Run, error)
	RejectsPath(run delivery.Run) string
}

// Tables reads datasets' tables.
type Tables interface {
	Scan(ctx context.Context, datasetID int64, limit, offset int64) ([]string, [][]any, error)
	ScanRecords(ctx context.Context, datasetID int64) (array.RecordReader, error)
	Info(ctx context.Context, datasetID int64) (TableInfo, error)
	// DropTable removes the dataset's table and its files; a dataset
	// never ingested has none (tables.ErrNoSuchTable).
	DropTable(ctx context.Context, datasetID int64) error
}

// TableInfo describes a dataset's Iceberg table. A dataset has none
// until its first ingestion: then there is no metadata location and no
// snapshot.
type TableInfo struct {
	MetadataLocation  string     `json:"metadata_location,omitempty"`
	CurrentSnapshotID int64      `json:"current_snapshot_id,string,omitempty"`
	Snapshots         []Snapshot `json:"snapshots"`
}

// Snapshot is one Iceberg snapshot of a dataset.
type Snapshot struct {
	ID        int64             `json:"id,string"`
	ParentID  int64             `json:"parent_id,string,omitempty"`
	Timestamp time.Time         `json:"timestamp"`
	Operation string            `json:"operation"`
	Summary   map[string]string `json:"summary"`
}

// dataset returns the {dataset} of the path, if it is the caller's tenant's.
func (s *Server) dataset(c *call) (catalog.Dataset, error) {
	tid, err := c.tenant()
	if err != nil {
		return catalog.Dataset{}, err
	}
	id, err := c.id("dataset")
	if err != nil {
		return catalog.Dataset{}, err
	}
	return s.cfg.Catalog.GetDataset(c.r.Context(), tid, id)
}

type ingestionCreate struct {
	Source int64  `json:"source"`
	Folder string `json:"folder"`
}

func (s *Server) triggerIngestion(c *call) error {
	ds, err := s.dataset(c)
	if err != nil {
		return err
	}
	tid, dsID := ds.TenantID, ds.ID
	var in ingestionCreate
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Source <= 0 {
		return badRequest("source", "source (a source id) is required")
	}
	if err := delivery.ValidateFolder(in.Folder); err != nil {
		return badRequest("folder", "%v", err)
	}
	src, err := s.cfg.Catalog.GetSource(c.r.Context(), tid, in.Source)
	if errors.Is(err, catalog.ErrNotFound) {
		return badRequest("source", "no source %d", in.Source)
	}
	if err != nil {
		return err
	}
	run, err := s.cfg.Ingestion.Trigger(c.r.Context(), src, dsID, in.Folder, "api")
	switch {
	case errors.Is(err, delivery.ErrAlreadyIngested):
		writeJSON(c.w, 409, map[string]any{"error": map[string]any{
			"code": "conflict", "message": fmt.Sprintf("file set %s was already ingested as snapshot %d (run %d)", in.Folder, run.SnapshotID, run.ID),
			"snapshot_id": strconv.FormatInt(run.SnapshotID, 10), "run_id": run.ID,
		}})
		return nil
	case errors.Is(err, delivery.ErrInProgress):
		writeJSON(c.w, 409, map[string]any{"error": map[string]any{
			"code": "conflict", "message": fmt.Sprintf("file set %s is being ingested (run %d)", in.Folder, run.ID), "run_id": run.ID,
		}})
		return nil
	case err != nil:
		return err
	}
	writeJSON(c.w, 202, run)
	return nil
}

func (s *Server) listIngestions(c *call) error {
	ds, err := s.dataset(c)
	if err != nil {
		return err
	}
	tid, dsID := ds.TenantID, ds.ID
	runs, err := s.cfg.Ingestion.List(c.r.Context(), tid, dsID, 100)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []delivery.Run{}
	}
	writeJSON(c.w, 200, map[string]any{"ingestions": runs})
	return nil
}

func (s *Server) run(c *call) (delivery.Run, error) {
	tid, err := c.tenant()
	if err != nil {
		return delivery.Run{}, err
	}
	id, err := c.id("ingestion")
	if err != nil {
		return delivery.Run{}, err
	}
	run, err := s.cfg.Ingestion.Get(c.r.Context(), tid, id)
	if errors.Is(err, delivery.ErrNotFound) {
		return run, catalog.ErrNotFound
	}
	return run, err
}

func (s *Server) getIngestion(c *call) error {
	run, err := s.run(c)
	if err != nil {
		return err
	}
	writeJSON(c.w, 200, run)
	return nil
}

// ingestionRejects streams the full reject report as JSON Lines.
func (s *Server) ingestionRejects(c *call) error {
	run, err := s.run(c)
	if err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", "application/x-ndjson")
	f, err := os.Open(s.cfg.Ingestion.RejectsPath(run))
	if errors.Is(err, os.ErrNotExist) {
		c.w.WriteHeader(200)
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	c.w.WriteHeader(200)
	_, err = io.Copy(c.w, f)
	return err
}

func (s *Server) datasetRows(c *call) error {
	ds, err := s.dataset(c)
	if err != nil {
		return err
	}
	dsID := ds.ID
	limit, err := intParam(c.r, "limit", 100, 0, 10000)
	if err != nil {
		return err
	}
	offset, err := intParam(c.r, "offset", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	// Values are as Scan renders them: a decimal is its exact text, a JSON
	// string like a snapshot id, so that no client reads it as a float.
	cols, rows, err := s.cfg.Tables.Scan(c.r.Context(), dsID, limit, offset)
	if errors.Is(err, tables.ErrNoSuchTable) {
		// Not ingested yet: the table is created by the first ingestion.
		cols, rows, err = fieldNames(ds.Fields), nil, nil
	}
	if err != nil {
		return err
	}
	if rows == nil {
		rows = [][]any{}
	}
	writeJSON(c.w, 200, map[string]any{"columns": cols, "rows": rows, "limit": limit, "offset": offset})
	return nil
}

func intParam(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

func (s *Server) datasetSnapshots(c *call) error {
	ds, err := s.dataset(c)
	if err != nil {
		return err
	}
	dsID := ds.ID
	info, err := s.cfg.Tables.Info(c.r.Context(), dsID)
	if errors.Is(err, tables.ErrNoSuchTable) {
		info, err = TableInfo{}, nil // not ingested yet
	}
	if err != nil {
		return err
	}
	if info.Snapshots == nil {
		info.Snapshots = []Snapshot{}
	}
	writeJSON(c.w, 200, info)
	return nil
}

func fieldNames(fields []catalog.Field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}

// exportDataset streams the dataset's rows as CSV or Parquet. What can
// fail before the first rows (the table, the scan's plan, the first data
// file) is answered with an error status; a failure after the 200 aborts
// the response (see wrap), so that a client never takes a cut-off export
// for a whole one.
func (s *Server) exportDataset(c *call) error {
	ds, err := s.dataset(c)
	if err != nil {
		return err
	}
	format := c.r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "parquet" {
		return badRequest("format", "format must be csv or parquet")
	}
	rr, err := s.cfg.Tables.ScanRecords(c.r.Context(), ds.ID)
	if errors.Is(err, tables.ErrNoSuchTable) {
		// Not ingested yet: no rows, with the dataset's columns.
		rr, err = array.NewRecordReader(tables.ArrowSchema(ds.Fields), nil)
	}
	if err != nil {
		return err
	}
	defer rr.Release()
	more := rr.Next()
	if err := rr.Err(); !more && err != nil {
		return err
	}
	name := fmt.Sprintf("dataset-%d.%s", ds.ID, format)
	c.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "csv" {
		c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		c.w.WriteHeader(200)
		return writeCSV(c.w, rr, more)
	}
	c.w.Header().Set("Content-Type", "application/vnd.apache.parquet")
	c.w.WriteHeader(200)
	return writeParquet(c.w, rr, more)
}

// exportRowGroupRows bounds the rows of a row group of a Parquet export.
const exportRowGroupRows = 256 << 10

// writeParquet writes the reader's batches as a Parquet file; more tells
// whether the reader is on a batch already.
func writeParquet(w io.Writer, rr array.RecordReader, more bool) error {
	// Row groups of at most exportRowGroupRows: pqarrow keeps a row group's
	// encoded pages in memory until it is cut, and its default cut (64 Mi
	// rows) would hold a whole large export.
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithMaxRowGroupLength(exportRowGroupRows))
	fw, err := pqarrow.NewFileWriter(rr.Schema(), w, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	for ; more; more = rr.Next() {
		if err := fw.WriteBuffered(rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return err
	}
	return fw.Close()
}

// writeCSV writes the reader's batches as CSV, with a header; more tells
// whether the reader is on a batch already. The CSV is what inlet's own
// reader reads back to the same values: RFC 4180 with commas and line
// feeds, a null an empty field and an empty string "" (encoding/csv writes
// both as an empty field, so it is not used).
func writeCSV(w io.Writer, rr array.RecordReader, more bool) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	sc := rr.Schema()
	var line []byte
	for i, f := range sc.Fields() {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendCSVField(line, f.Name)
	}
	line = append(line, '\n')
	if _, err := bw.Write(line); err != nil {
		return err
	}
	for ; more; more = rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			line = line[:0]
			for j, col := range rec.Columns() {
				if j > 0 {
					line = append(line, ',')
				}
				if col.IsNull(i) {
					continue
				}
				line = appendCSVField(line, cellString(col, i))
			}
			line = append(line, '\n')
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	}
	if err := rr.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

// appendCSVField appends a value as a CSV field: quoted when it is empty
// (an unquoted empty field is a null) or holds a comma, a quote, a
// carriage return or a line feed, its quotes then doubled.
func appendCSVField(dst []byte, v string) []byte {
	if v != "" && !strings.ContainsAny(v, ",\"\r\n") {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for {
		i := strings.IndexByte(v, '"')
		if i < 0 {
			break
		}
		dst = append(dst, v[:i+1]...)
		dst = append(dst, '"')
		v = v[i+1:]
	}
	dst = append(dst, v...)
	return append(dst, '"')
}

// cellString renders one non-null value for CSV: timestamps in RFC 3339
// UTC with microseconds, dates as YYYY-MM-DD, decimals as their exact text
// with all S fraction digits.
func cellString(col arrow.Array, i int) string {
	switch a := col.(type) {
	case *array.Decimal128, *array.Decimal64:
		return tables.DecimalText(a, i)
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC().Format("2006-01-02T15:04:05.999999Z07:00")
	case *array.Date32:
		return a.Value(i).ToTime().Format("2006-01-02")
	}
	return col.ValueStr(i)
}
