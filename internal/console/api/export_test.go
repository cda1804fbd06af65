package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"inlet/internal/catalog"
	"inlet/internal/ingest"
	"inlet/internal/tables"
)

// testTables is the tables package behind the API, adapted as serve
// adapts it, with a hook that breaks the record streams exports read.
type testTables struct {
	*tables.Catalog
	wrap atomic.Pointer[func(array.RecordReader) array.RecordReader]
}

func (t *testTables) ScanRecords(ctx context.Context, datasetID int64) (array.RecordReader, error) {
	rr, err := t.Catalog.ScanRecords(ctx, datasetID)
	if f := t.wrap.Load(); err == nil && f != nil {
		rr = (*f)(rr)
	}
	return rr, err
}

func (t *testTables) Info(ctx context.Context, datasetID int64) (TableInfo, error) {
	desc, err := t.Describe(ctx, datasetID)
	if err != nil {
		return TableInfo{}, err
	}
	snaps, err := t.Snapshots(ctx, datasetID)
	if err != nil {
		return TableInfo{}, err
	}
	info := TableInfo{MetadataLocation: desc.MetadataLocation, CurrentSnapshotID: desc.SnapshotID, Snapshots: []Snapshot{}}
	for _, s := range snaps {
		info.Snapshots = append(info.Snapshots, Snapshot{ID: s.ID, ParentID: s.ParentID, Timestamp: s.Timestamp,
			Operation: s.Operation, Summary: s.Summary})
	}
	return info, nil
}

// brokenReader passes good batches of its reader on, then fails.
type brokenReader struct {
	array.RecordReader
	good int
	err  error
}

var errInjected = errors.New("injected read failure")

func (r *brokenReader) Next() bool {
	if r.good == 0 {
		r.err = errInjected
		return false
	}
	r.good--
	return r.RecordReader.Next()
}

func (r *brokenReader) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.RecordReader.Err()
}

// exportSpec is a dataset of three columns, read from CSV with a header.
const exportSpec = `{"name":%q,"fields":[{"name":"id","type":"long","required":true},
	{"name":"s","type":"string"},{"name":"day","type":"date"}],
	"file":{"format":"csv","header":true}}`

func (e *testEnv) newExportDataset(t *testing.T, token, name string) catalog.Dataset {
	t.Helper()
	var d catalog.Dataset
	e.must(t, 201, "POST", "/api/v1/datasets", token, fmt.Sprintf(exportSpec, name), &d)
	return d
}

// ingestCSV commits a CSV file (in the dataset's file format) to the
// dataset's table, as an ingestion does; no row may be rejected.
func (e *testEnv) ingestCSV(t *testing.T, ds catalog.Dataset, csv string) {
	t.Helper()
	ctx := context.Background()
	f, err := ingest.Open(strings.NewReader(csv), "rows.csv", ds.Fields, ds.File, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := e.tables.CreateTable(ctx, ds.ID, ds.Fields); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tables.Commit(ctx, ds.ID, f, catalog.WriteAppend, nil); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if sum := f.Summary(); sum.RowsRejected != 0 || sum.Status != ingest.StatusOK {
		t.Fatalf("ingest: %+v", sum)
	}
}

// get sends a GET and reads the whole reply; err is the error of the
// request or of reading the body, which the body read so far precedes.
func get(client *http.Client, url, token string) (status int, body []byte, err error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// readParquetExport opens an exported Parquet file with arrow-go and
// returns its Arrow schema and its row count.
func readParquetExport(t *testing.T, body []byte) (*arrow.Schema, int64) {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the export is not a Parquet file: %v", err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return sc, pf.NumRows()
}

// A dataset not ingested yet has no table: reading it gives no rows, not
// an error.
func TestReadBeforeIngestion(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")
	ds := e.newExportDataset(t, tok, "fresh")
	base := "/api/v1/datasets/" + id(ds.ID)

	var rows struct {
		Columns []string `json:"columns"`
		Rows    []any    `json:"rows"`
	}
	r := e.must(t, 200, "GET", base+"/rows", tok, nil, &rows)
	if !reflect.DeepEqual(rows.Columns, []string{"id", "s", "day"}) || rows.Rows == nil || len(rows.Rows) != 0 {
		t.Errorf("rows = %s; want the columns and no rows", r.body)
	}

	var info map[string]any
	r = e.must(t, 200, "GET", base+"/snapshots", tok, nil, &info)
	if snaps, ok := info["snapshots"].([]any); !ok || len(snaps) != 0 || len(info) != 1 {
		t.Errorf("snapshots = %s; want an empty list and nothing else", r.body)
	}

	r = e.must(t, 200, "GET", base+"/export?format=csv", tok, nil, nil)
	if string(r.body) != "id,s,day\n" {
		t.Errorf("CSV export = %q; want the header alone", r.body)
	}
	f, err := ingest.Open(bytes.NewReader(r.body), "export.csv", ds.Fields, ds.File, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := f.Next(); err != io.EOF {
		t.Errorf("re-reading the CSV export: %+v, %v; want no rows", b, err)
	}
	f.Close()

	r = e.must(t, 200, "GET", base+"/export?format=parquet", tok, nil, nil)
	sc, n := readParquetExport(t, r.body)
	if n != 0 {
		t.Errorf("Parquet export has %d rows; want 0", n)
	}

	// The empty file has the schema an export of rows has.
	other := e.newExportDataset(t, tok, "ingested")
	e.ingestCSV(t, other, "id,s,day\n1,a,2026-01-02\n")
	r = e.must(t, 200, "GET", "/api/v1/datasets/"+id(other.ID)+"/export?format=parquet", tok, nil, nil)
	want, n := readParquetExport(t, r.body)
	if n != 1 {
		t.Errorf("Parquet export of one row has %d", n)
	}
	if len(sc.Fields()) != len(want.Fields()) {
		t.Fatalf("empty export schema %s; want %s", sc, want)
	}
	for i, f := range sc.Fields() {
		w := want.Field(i)
		if f.Name != w.Name || !arrow.TypeEqual(f.Type, w.Type) || f.Nullable != w.Nullable {
			t.Errorf("empty export column %d = %s; want %s", i, f, w)
		}
	}
}

// The CSV export writes an empty string as "" and a null as an empty
// field, so that ingesting it again gives the same rows; values with
// commas, quotes and line breaks are quoted.
func TestExportCSVRoundTrip(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")
	src := e.newExportDataset(t, tok, "src")
	in := "id,s,day\n" +
		"1,plain,2026-01-02\n" +
		"2,\"\",\n" +
		"3,,2026-01-03\n" +
		"4,\"a,b\",\n" +
		"5,\"say \"\"hi\"\"\",\n" +
		"6,\"line1\nline2\",\n" +
		"7,\"cr\r\",\n" +
		"8,\"crlf\r\nx\",\n" +
		"9,\"\"\"\",\n" +
		"10, lead and trail ,\n" +
		"11,é ✓,\n"
	e.ingestCSV(t, src, in)

	wantS := []any{"plain", "", nil, "a,b", `say "hi"`, "line1\nline2", "cr\r", "crlf\r\nx", `"`, " lead and trail ", "é ✓"}
	var got struct {
		Rows [][]any `json:"rows"`
	}
	e.must(t, 200, "GET", "/api/v1/datasets/"+id(src.ID)+"/rows", tok, nil, &got)
	if len(got.Rows) != len(wantS) {
		t.Fatalf("%d rows; want %d", len(got.Rows), len(wantS))
	}
	for i, r := range got.Rows {
		if r[1] != wantS[i] {
			t.Errorf("row %d s = %#v; want %#v", i, r[1], wantS[i])
		}
	}

	// The export is the delivered file itself: every value is written as
	// it was quoted (or not) in it.
	r := e.must(t, 200, "GET", "/api/v1/datasets/"+id(src.ID)+"/export?format=csv", tok, nil, nil)
	wantCSV := in
	if string(r.body) != wantCSV {
		t.Errorf("CSV export:\n%q\nwant\n%q", r.body, wantCSV)
	}

	// Ingested again, the export gives the same rows.
	dst := e.newExportDataset(t, tok, "dst")
	e.ingestCSV(t, dst, string(r.body))
	var again struct {
		Rows [][]any `json:"rows"`
	}
	e.must(t, 200, "GET", "/api/v1/datasets/"+id(dst.ID)+"/rows", tok, nil, &again)
	if !reflect.DeepEqual(again.Rows, got.Rows) {
		t.Errorf("rows after export and re-ingestion = %v; want %v", again.Rows, got.Rows)
	}
}

func TestAppendCSVField(t *testing.T) {
	for in, want := range map[string]string{
		"":          `""`,
		"a":         "a",
		" a ":       " a ",
		"a,b":       `"a,b"`,
		`"`:         `""""`,
		`a"b"`:      `"a""b"""`,
		"a\nb":      "\"a\nb\"",
		"a\r":       "\"a\r\"",
		`\N`:        `\N`,
		"tab\there": "tab\there",
	} {
		if got := string(appendCSVField([]byte("x,"), in)); got != "x,"+want {
			t.Errorf("appendCSVField(%q) = %q; want %q", in, got, "x,"+want)
		}
	}
}

// An export whose scan fails before its first rows is an error reply;
// one that fails after the reply began is cut off (the client sees the
// stream break), never a complete-looking file with an error in it.
func TestExportFailures(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")

	// The API behind a server of its own, whose log shows what net/http
	// makes of the handler.
	serverLog := &lockedBuffer{}
	srv := httptest.NewUnstartedServer(e.api.Config.Handler)
	srv.Config.ErrorLog = log.New(serverLog, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)

	ds := e.newExportDataset(t, tok, "big")
	var csv strings.Builder
	csv.WriteString("id,s,day\n")
	for i := range 20000 {
		csv.WriteString(id(int64(i + 1)))
		csv.WriteString(",value number ")
		csv.WriteString(id(int64(i)))
		csv.WriteString(",2026-01-02\n")
	}
	e.ingestCSV(t, ds, csv.String())
	export := srv.URL + "/api/v1/datasets/" + id(ds.ID) + "/export?format="

	for _, format := range []string{"csv", "parquet"} {
		t.Run(format, func(t *testing.T) {
			// The whole export, unbroken.
			status, body, err := get(srv.Client(), export+format, tok)
			if err != nil || status != 200 {
				t.Fatalf("export: %d, %v", status, err)
			}
			if format == "csv" && strings.Count(string(body), "\n") != 20001 {
				t.Errorf("CSV export has %d lines; want 20001", strings.Count(string(body), "\n"))
			}
			if format == "parquet" {
				if _, n := readParquetExport(t, body); n != 20000 {
					t.Errorf("Parquet export has %d rows; want 20000", n)
				}
			}

			// The first read fails: an error reply.
			brk := func(rr array.RecordReader) array.RecordReader { return &brokenReader{RecordReader: rr} }
			e.tables.wrap.Store(&brk)
			status, body, err = get(srv.Client(), export+format, tok)
			if err != nil || status != 500 || !bytes.Contains(body, []byte(`"internal"`)) {
				t.Errorf("export failing at once: %d %q, %v; want a 500 error reply", status, body, err)
			}

			// A later read fails: the stream breaks.
			brk = func(rr array.RecordReader) array.RecordReader { return &brokenReader{RecordReader: rr, good: 1} }
			e.tables.wrap.Store(&brk)
			status, body, err = get(srv.Client(), export+format, tok)
			e.tables.wrap.Store(nil)
			if err == nil {
				t.Fatalf("export failing midway: %d, %d bytes, no error; want the stream to break", status, len(body))
			}
			if format == "csv" && (status != 200 || len(body) == 0) {
				// The first batch is large enough to be on its way.
				t.Errorf("CSV export failing midway: status %d, %d bytes; want 200 and a cut-off body", status, len(body))
			}
			if bytes.Contains(body, []byte(`"error"`)) {
				t.Errorf("the cut-off export has an error in its body: %q", body[max(0, len(body)-200):])
			}
		})
	}
	if s := serverLog.String(); strings.Contains(s, "superfluous") || strings.Contains(s, "panic") {
		t.Errorf("server log:\n%s", s)
	}
}

// A corrupt data file fails the export before the reply begins, with an
// error reply, as it fails the rows.
func TestExportCorruptDataFile(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")
	ds := e.newExportDataset(t, tok, "corrupt")
	e.ingestCSV(t, ds, "id,s,day\n1,a,2026-01-02\n2,b,\n")

	desc, err := e.tables.Describe(context.Background(), ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	root := strings.TrimPrefix(desc.Location, "file://")
	var files []string
	filepath.WalkDir(filepath.FromSlash(root), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			files = append(files, p)
		}
		return err
	})
	if len(files) != 1 {
		t.Fatalf("data files %v; want one", files)
	}
	// Overwrite the footer's length and magic number.
	f, err := os.OpenFile(files[0], os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	if _, err := f.WriteAt([]byte("garbage!"), st.Size()-8); err != nil {
		t.Fatal(err)
	}
	f.Close()

	base := "/api/v1/datasets/" + id(ds.ID)
	for _, path := range []string{base + "/export?format=csv", base + "/export?format=parquet", base + "/rows"} {
		r := e.do(t, "GET", path, tok, nil)
		if r.status != 500 || r.err(t).Code != "internal" {
			t.Errorf("GET %s with a corrupt data file: %d %q; want a 500 error reply", path, r.status, r.body)
		}
	}
}

// lockedBuffer is a buffer that goroutines write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDeleteDatasetDropsTable: deleting a dataset drops its table and
// files, and no later dataset, of any tenant, sees its rows.
func TestDeleteDatasetDropsTable(t *testing.T) {
	e := newTestEnv(t)
	_, tokA := e.newTenant(t, "Acme")
	_, tokB := e.newTenant(t, "Globex")
	ds := e.newExportDataset(t, tokA, "secret")
	e.ingestCSV(t, ds, "id,s,day\n1,confidential,2026-01-02\n")
	e.must(t, 204, "DELETE", "/api/v1/datasets/"+id(ds.ID)+"?force=true", tokA, nil, nil)

	if _, err := e.tables.Info(context.Background(), ds.ID); !errors.Is(err, tables.ErrNoSuchTable) {
		t.Errorf("table of the deleted dataset: %v; want ErrNoSuchTable", err)
	}
	next := e.newExportDataset(t, tokB, "fresh")
	if next.ID == ds.ID {
		t.Fatalf("new dataset got the deleted dataset's id %d", ds.ID)
	}
	var rows struct {
		Rows []any `json:"rows"`
	}
	e.must(t, 200, "GET", "/api/v1/datasets/"+id(next.ID)+"/rows", tokB, nil, &rows)
	if len(rows.Rows) != 0 {
		t.Errorf("new dataset has rows %v; want none", rows.Rows)
	}
	// A dataset never ingested has no table to drop; deleting it works.
	e.must(t, 204, "DELETE", "/api/v1/datasets/"+id(next.ID)+"?force=true", tokB, nil, nil)
}

// TestParquetExportRowGroups: a Parquet export is cut into row groups of
// at most exportRowGroupRows, so the writer never holds a whole large
// export in memory, and every row arrives.
func TestParquetExportRowGroups(t *testing.T) {
	const rows, batch = exportRowGroupRows*2 + 1000, 50000
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var recs []arrow.RecordBatch
	for start := 0; start < rows; start += batch {
		b := array.NewInt64Builder(memory.DefaultAllocator)
		for i := start; i < min(start+batch, rows); i++ {
			b.Append(int64(i))
		}
		col := b.NewArray()
		recs = append(recs, array.NewRecordBatch(sc, []arrow.Array{col}, int64(col.Len())))
		b.Release()
	}
	rr, err := array.NewRecordReader(sc, recs)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeParquet(&buf, rr, rr.Next()); err != nil {
		t.Fatal(err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if pf.NumRows() != rows || pf.NumRowGroups() != 3 {
		t.Errorf("export: %d rows in %d row groups; want %d in 3", pf.NumRows(), pf.NumRowGroups(), rows)
	}
	for i := range pf.NumRowGroups() {
		if n := pf.MetaData().RowGroup(i).NumRows(); n > exportRowGroupRows {
			t.Errorf("row group %d has %d rows; want at most %d", i, n, exportRowGroupRows)
		}
	}
}

// A decimal(12,2) column through the API: created with spaces in its type
// (canonicalised), ingested from CSV with every spelling of a value,
// shown by the rows endpoint as exact text (JSON strings), exported as
// CSV with all its fraction digits, which ingests back to the same rows,
// and as Parquet with the decimal type and the same unscaled values.
func TestDecimalRoundTrip(t *testing.T) {
	e := newTestEnv(t)
	_, tok := e.newTenant(t, "Acme")
	const spec = `{"name":%q,"fields":[{"name":"id","type":"long","required":true},
		{"name":"amount","type":"decimal( 12 , 2 )","validations":{"min":-100000,"max":9999999999.99}}],
		"file":{"format":"csv","header":true}}`
	var src catalog.Dataset
	e.must(t, 201, "POST", "/api/v1/datasets", tok, fmt.Sprintf(spec, "src"), &src)
	if got, want := src.Fields[1].Type, "decimal(12,2)"; got != want {
		t.Fatalf("amount type = %q; want %q", got, want)
	}
	e.must(t, 400, "POST", "/api/v1/datasets", tok,
		`{"name":"wide","fields":[{"name":"a","type":"decimal(20,2)"}],"file":{"format":"csv"}}`, nil)

	e.ingestCSV(t, src, "id,amount\n1,1250\n2,-0.5\n3,\n4,.07\n5,9999999999.99\n6,-0.00\n7,1.5e3\n")
	wantRows := [][]any{
		{1.0, "1250.00"}, {2.0, "-0.50"}, {3.0, nil}, {4.0, "0.07"}, {5.0, "9999999999.99"}, {6.0, "0.00"}, {7.0, "1500.00"},
	}
	var got struct {
		Rows [][]any `json:"rows"`
	}
	e.must(t, 200, "GET", "/api/v1/datasets/"+id(src.ID)+"/rows", tok, nil, &got)
	if !reflect.DeepEqual(got.Rows, wantRows) {
		t.Errorf("rows = %v; want %v", got.Rows, wantRows)
	}

	r := e.must(t, 200, "GET", "/api/v1/datasets/"+id(src.ID)+"/export?format=csv", tok, nil, nil)
	wantCSV := "id,amount\n1,1250.00\n2,-0.50\n3,\n4,0.07\n5,9999999999.99\n6,0.00\n7,1500.00\n"
	if string(r.body) != wantCSV {
		t.Errorf("CSV export:\n%q\nwant\n%q", r.body, wantCSV)
	}
	var dst catalog.Dataset
	e.must(t, 201, "POST", "/api/v1/datasets", tok, fmt.Sprintf(spec, "dst"), &dst)
	e.ingestCSV(t, dst, string(r.body))
	var again struct {
		Rows [][]any `json:"rows"`
	}
	e.must(t, 200, "GET", "/api/v1/datasets/"+id(dst.ID)+"/rows", tok, nil, &again)
	if !reflect.DeepEqual(again.Rows, wantRows) {
		t.Errorf("rows after export and re-ingestion = %v; want %v", again.Rows, wantRows)
	}

	r = e.must(t, 200, "GET", "/api/v1/datasets/"+id(src.ID)+"/export?format=parquet", tok, nil, nil)
	pf, err := file.NewParquetReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if got, want := tbl.Schema().Field(1).Type, (&arrow.Decimal128Type{Precision: 12, Scale: 2}); !arrow.TypeEqual(got, want) {
		t.Fatalf("Parquet export amount type = %s; want %s", got, want)
	}
	var texts []any
	for _, chunk := range tbl.Column(1).Data().Chunks() {
		for i := range chunk.Len() {
			if chunk.IsNull(i) {
				texts = append(texts, nil)
				continue
			}
			texts = append(texts, tables.DecimalText(chunk, i))
		}
	}
	var wantTexts []any
	for _, r := range wantRows {
		wantTexts = append(wantTexts, r[1])
	}
	if !reflect.DeepEqual(texts, wantTexts) {
		t.Errorf("Parquet export amounts = %v; want %v", texts, wantTexts)
	}
}
