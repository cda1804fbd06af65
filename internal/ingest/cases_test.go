package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"inlet/internal/catalog"
)

// Case 17: header rows with a byte-order mark, renamed, reordered or
// re-cased columns, and a UTF-16 file.
func TestCase17(t *testing.T) {
	fields := []catalog.Field{
		fld("id", catalog.TypeLong, true),
		fld("name", catalog.TypeString, false),
		fld("amount", catalog.TypeDouble, false),
	}
	tests := []struct {
		file       string
		rows       [][]any
		errContain string
	}{
		{"17-bom.csv", [][]any{{int64(1), "Alice", 12.5}, {int64(2), "Bob", 7.0}}, ""},
		{"17-header-renamed.csv", nil, `header column "amt" does not match the schema, which expects "amount"`},
		{"17-header-reordered.csv", [][]any{{int64(1), "Alice", 12.5}}, ""},
		{"17-header-case.csv", nil, "(names are case-sensitive)"},
		{"17-utf16le.csv", nil, "not UTF-8 (UTF-16LE byte-order mark)"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := readFile(t, caseFile(t, tt.file), tt.file, fields, csvHeader, Options{})
			if got, want := res.rows, tt.rows; !reflect.DeepEqual(got, want) {
				t.Errorf("rows = %v; want %v", got, want)
			}
			if tt.errContain == "" {
				if res.err != nil || res.sum.Status != StatusOK {
					t.Errorf("err = %v, status %q; want ok", res.err, res.sum.Status)
				}
				return
			}
			if res.err == nil || !strings.Contains(res.err.Error(), tt.errContain) {
				t.Errorf("err = %v; want one containing %q", res.err, tt.errContain)
			}
			if got, want := res.sum.Status, StatusFailed; got != want {
				t.Errorf("status = %q; want %q", got, want)
			}
			if res.sum.RowsAccepted != 0 {
				t.Errorf("rows accepted = %d; want 0", res.sum.RowsAccepted)
			}
		})
	}
}

// Case 19: empty and header-only files next to a good one; none stops the
// others.
func TestCase19(t *testing.T) {
	fields := []catalog.Field{
		fld("id", catalog.TypeLong, true),
		fld("name", catalog.TypeString, false),
		fld("amount", catalog.TypeDouble, false),
	}
	jsonl := catalog.FileConfig{Format: catalog.FormatJSONL}
	tests := []struct {
		file   string
		cfg    catalog.FileConfig
		status string
		reason string
		rows   int
	}{
		{"19-header-only.csv", csvHeader, StatusOK, "", 0},
		{"19-header-only-no-newline.csv", csvHeader, StatusOK, "", 0},
		{"19-zero-bytes.csv", csvHeader, StatusEmpty, "empty file", 0},
		{"19-empty.csv.gz", csvHeader, StatusEmpty, "empty file", 0},
		{"19-zero-bytes.jsonl", jsonl, StatusEmpty, "empty file", 0},
		{"17-bom.csv", csvHeader, StatusOK, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := readFile(t, caseFile(t, tt.file), tt.file, fields, tt.cfg, Options{})
			if res.err != nil {
				t.Fatalf("err = %v; want none", res.err)
			}
			if got, want := res.sum.Status, tt.status; got != want {
				t.Errorf("status = %q; want %q", got, want)
			}
			if got, want := res.sum.Reason, tt.reason; got != want {
				t.Errorf("reason = %q; want %q", got, want)
			}
			if got, want := len(res.rows), tt.rows; got != want {
				t.Errorf("rows = %d; want %d", got, want)
			}
		})
	}
	t.Run("header-only-renamed", func(t *testing.T) {
		res := readFile(t, []byte("id,name,amt"), "h.csv", fields, csvHeader, Options{})
		if res.err == nil || !strings.Contains(res.err.Error(), `"amt"`) {
			t.Errorf("err = %v; want the header checked", res.err)
		}
	})
	t.Run("gzip-name-over-zero-bytes", func(t *testing.T) {
		res := readFile(t, nil, "x.csv.gz", fields, csvHeader, Options{})
		if got, want := res.sum.Status, StatusEmpty; got != want {
			t.Errorf("status = %q; want %q", got, want)
		}
	})
}

// caseSchema reads a case's schema file, written in the partner's terms
// (columns with int64/string/decimal(P,S)/date types and nullable), as a
// dataset spec validated by the catalog, as a tenant would declare it.
func caseSchema(t *testing.T, name string) catalog.DatasetSpec {
	t.Helper()
	var in struct {
		Format      string   `json:"format"`
		Delimiter   string   `json:"delimiter"`
		Header      bool     `json:"header"`
		NullMarkers []string `json:"nullMarkers"`
		Columns     []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			Nullable bool   `json:"nullable"`
		} `json:"columns"`
	}
	if err := json.Unmarshal(caseFile(t, name), &in); err != nil {
		t.Fatal(err)
	}
	spec := catalog.DatasetSpec{Name: "case", File: catalog.FileConfig{
		Format: in.Format, Delimiter: in.Delimiter, Header: in.Header}}
	if len(in.NullMarkers) > 0 {
		spec.File.NullMarker = in.NullMarkers[0]
	}
	for _, c := range in.Columns {
		typ := c.Type
		if typ == "int64" {
			typ = catalog.TypeLong
		}
		spec.Fields = append(spec.Fields, catalog.Field{Name: c.Name, Type: typ, Required: !c.Nullable})
	}
	spec, err := catalog.ValidateDatasetSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// Case 21: row-level rejects and the trailing delimiter.
func TestCase21(t *testing.T) {
	t.Run("bad-rows", func(t *testing.T) {
		spec := caseSchema(t, "21-schema.json")
		if got, want := spec.Fields[2].Type, "decimal(12,2)"; got != want {
			t.Fatalf("amount is %q; want %q", got, want)
		}
		res := readFile(t, caseFile(t, "21-bad-rows.csv"), "21-bad-rows.csv", spec.Fields, spec.File, Options{})
		if res.err != nil {
			t.Fatal(res.err)
		}
		wantRows := [][]any{
			{int64(1), "Alice", "12.50", "2025-01-15"},
			{int64(6), "Frank", nil, "2025-01-15"},
			{int64(7), "", "1.00", "2025-01-15"},
			{int64(8), nil, "2.00", "2025-01-15"},
		}
		if got, want := res.rows, wantRows; !reflect.DeepEqual(got, want) {
			t.Errorf("rows = %v; want %v", got, want)
		}
		wantRejects := []Reject{
			{Line: 3, Field: "amount", Value: "$1,250.00", Reason: "not a decimal"},
			{Line: 4, Field: "id", Value: "x3", Reason: "not an integer"},
			{Line: 5, Field: "created_at", Value: "2025-13-01", Reason: reasonNotDate},
			{Line: 6, Value: "5,Eve,3.00,2025-01-15,", Reason: "5 fields where 4 are expected"},
			{Line: 10, Field: "id", Reason: "required field is empty"},
			{Line: 11, Field: "amount", Value: "2.005", Reason: "scale 3 where decimal(12,2) allows 2"},
			{Line: 12, Field: "amount", Value: "99999999999.99", Reason: "precision 13 where decimal(12,2) allows 12"},
		}
		for i := range res.rejects {
			res.rejects[i].File = ""
		}
		if got, want := res.rejects, wantRejects; !reflect.DeepEqual(got, want) {
			t.Errorf("rejects =\n%v\nwant\n%v", got, want)
		}
		if got, want := res.sum.RowsRejected, int64(7); got != want {
			t.Errorf("rows rejected = %d; want %d", got, want)
		}
	})
	t.Run("trailing-delimiter", func(t *testing.T) {
		fields := []catalog.Field{
			fld("A", catalog.TypeLong, true),
			fld("B", catalog.TypeLong, true),
			fld("C", catalog.TypeLong, true),
		}
		cfg := catalog.FileConfig{Format: catalog.FormatDelimited, Delimiter: "|", Header: true}
		res := readFile(t, caseFile(t, "21-trailing-delimiter.psv"), "x.psv", fields, cfg, Options{})
		want := [][]any{{int64(1), int64(2), int64(3)}, {int64(4), int64(5), int64(6)}}
		if res.err != nil || !reflect.DeepEqual(res.rows, want) || len(res.rejects) != 0 {
			t.Errorf("rows = %v, rejects %v, err %v; want %v", res.rows, res.rejects, res.err, want)
		}
	})
}

// longLineCSV is what 22-long-line.gen.py writes.
func longLineCSV() []byte {
	big := strings.Repeat("x", 1572864) + ",\n" + strings.Repeat("x", 3145728-1572864-2)
	rows := []string{"id,name,amount", "1,Alice,12.50", `2,"` + big + `",7.00`, "3,Carol,1.25", "4,Dan,0.50"}
	return []byte(strings.Join(rows, "\n") + "\n")
}

func gzipBytes(t testing.TB, members ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, m := range members {
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(m); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// Case 22: a 3 MiB record, plain and gzipped, under the default limit and
// under a smaller one.
func TestCase22(t *testing.T) {
	data := longLineCSV()
	if got, want := len(data), 3145791; got != want {
		t.Fatalf("generated %d bytes; want %d", got, want)
	}
	gz := gzipBytes(t, data)
	fields := []catalog.Field{
		fld("id", catalog.TypeLong, true),
		fld("name", catalog.TypeString, false),
		fld("amount", catalog.TypeDouble, false),
	}
	tests := []struct {
		name  string
		data  []byte
		opts  Options
		ids   []int64
		lines []int64 // reject lines
	}{
		{"22-long-line.csv", data, Options{}, []int64{1, 2, 3, 4}, nil},
		{"22-long-line.csv.gz", gz, Options{}, []int64{1, 2, 3, 4}, nil},
		{"22-long-line.csv", data, Options{BufferBytes: 4096}, []int64{1, 2, 3, 4}, nil},
		{"22-long-line.csv", data, Options{MaxRecordBytes: 1 << 20}, []int64{1, 3, 4}, []int64{3}},
		{"22-long-line.csv.gz", gz, Options{MaxRecordBytes: 1 << 20}, []int64{1, 3, 4}, []int64{3}},
		{"22-long-line.csv", data, Options{MaxRecordBytes: 1 << 20, BufferBytes: 4096}, []int64{1, 3, 4}, []int64{3}},
		{"22-long-line.csv", data, Options{MaxRecordBytes: 3145736}, []int64{1, 3, 4}, []int64{3}},
		{"22-long-line.csv", data, Options{MaxRecordBytes: 3145737}, []int64{1, 2, 3, 4}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Open(bytes.NewReader(tt.data), tt.name, fields, csvHeader, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var ids, lines []int64
			for {
				b, err := f.Next()
				if err != nil {
					break
				}
				for _, r := range b.Rejects {
					lines = append(lines, r.Line)
					limit := tt.opts.MaxRecordBytes
					if want := "record exceeds " + itoa(limit) + " bytes"; r.Reason != want {
						t.Errorf("reason = %q; want %q", r.Reason, want)
					}
				}
				for i := 0; i < b.Rows; i++ {
					ids = append(ids, b.Columns[0].Int64[i])
					if b.Columns[0].Int64[i] == 2 {
						v := b.Columns[1].Bytes[b.Columns[1].Offsets[i]:b.Columns[1].Offsets[i+1]]
						if len(v) != 3145728 || bytes.Count(v, []byte("x")) != 3145726 || !bytes.Contains(v, []byte(",\nx")) {
							t.Errorf("id 2: value of %d bytes is not the generated one", len(v))
						}
					}
				}
			}
			if s := f.Summary(); s.Status != StatusOK {
				t.Errorf("status = %q (%s)", s.Status, s.Reason)
			}
			if got, want := ids, tt.ids; !reflect.DeepEqual(got, want) {
				t.Errorf("ids = %v; want %v", got, want)
			}
			if got, want := lines, tt.lines; !reflect.DeepEqual(got, want) {
				t.Errorf("reject lines = %v; want %v", got, want)
			}
		})
	}

	// Memory stays bounded: past the record limit, a longer line costs no
	// more memory. Lines of 3 and 30 MiB with a 1 MiB limit allocate alike,
	// a few times the limit at most.
	const limit = 1 << 20
	for _, size := range []int{3 << 20, 30 << 20} {
		line := append([]byte("id,name,amount\n1,a,1\n2,\""), bytes.Repeat([]byte("x"), size)...)
		line = append(line, "\",2\n3,c,3\n"...)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f, err := Open(bytes.NewReader(line), "long.csv", fields, csvHeader, Options{MaxRecordBytes: limit})
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		for {
			b, err := f.Next()
			if err != nil {
				break
			}
			rows += b.Rows
		}
		f.Close()
		runtime.ReadMemStats(&after)
		allocated := after.TotalAlloc - before.TotalAlloc
		if rows != 2 || allocated > 8*limit {
			t.Errorf("a %d MiB line with a %d MiB limit: %d rows, %d KiB allocated; want 2 rows and at most %d KiB",
				size>>20, limit>>20, rows, allocated>>10, 8*limit>>10)
		}
	}
}

// Case 23: both deliveries parse.
func TestCase23(t *testing.T) {
	fields := []catalog.Field{
		fld("id", catalog.TypeLong, true),
		fld("name", catalog.TypeString, false),
		fld("amount", catalog.TypeDouble, false),
	}
	for _, tt := range []struct {
		file string
		rows int
	}{{"23-orders-v1.csv", 3}, {"23-orders-v2.csv", 4}} {
		t.Run(tt.file, func(t *testing.T) {
			res := readFile(t, caseFile(t, tt.file), tt.file, fields, csvHeader, Options{})
			if got, want := len(res.rows), tt.rows; got != want || res.err != nil || len(res.rejects) > 0 {
				t.Errorf("rows = %d, err %v, rejects %v; want %d rows", got, res.err, res.rejects, want)
			}
		})
	}
}

// Case 25: JSON Lines that aren't quite.
func TestCase25(t *testing.T) {
	fields := []catalog.Field{
		fld("id", catalog.TypeLong, true),
		fld("name", catalog.TypeString, false),
	}
	cfg := catalog.FileConfig{Format: catalog.FormatJSONL}
	tests := []struct {
		file    string
		rows    [][]any
		rejects []Reject
		unknown []string
		blanks  int64
	}{
		{"25-blank-lines.jsonl", [][]any{{int64(1), "a"}, {int64(2), "b"}, {int64(3), nil}}, nil, nil, 3},
		{"25-crlf.jsonl", [][]any{{int64(1), "a"}, {int64(2), "b"}}, nil, nil, 0},
		{"25-pretty.jsonl", [][]any{{int64(2), "b"}}, []Reject{
			{Line: 1, Value: "{", Reason: "invalid JSON (unexpected end of line)"},
			{Line: 2, Value: `  "id": 1,`, Reason: "invalid JSON (unexpected ':' at byte 7)"},
			{Line: 3, Value: `  "name": "a"`, Reason: "invalid JSON (unexpected ':' at byte 9)"},
			{Line: 4, Value: "}", Reason: "invalid JSON (unexpected '}' at byte 1)"},
		}, nil, 0},
		{"25-array.jsonl", nil, []Reject{
			{Line: 1, Value: `[{"id":1,"name":"a"},{"id":2,"name":"b"}]`, Reason: "expected an object, got an array"},
		}, nil, 0},
		{"25-mixed.jsonl", [][]any{{int64(1), "a"}, {int64(3), "c"}, {int64(4), nil}, {int64(6), "é"}}, []Reject{
			{Line: 2, Field: "id", Value: `"2"`, Reason: "expected a number, got a string"},
			{Line: 5, Value: `{"id":5,"name":"e"`, Reason: "invalid JSON (unexpected end of line)"},
		}, []string{"extra"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := readFile(t, caseFile(t, tt.file), tt.file, fields, cfg, Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if got, want := res.rows, tt.rows; !reflect.DeepEqual(got, want) {
				t.Errorf("rows = %v; want %v", got, want)
			}
			for i := range res.rejects {
				res.rejects[i].File = ""
			}
			if got, want := res.rejects, tt.rejects; !reflect.DeepEqual(got, want) {
				t.Errorf("rejects =\n%+v\nwant\n%+v", got, want)
			}
			if got, want := res.sum.UnknownFields, tt.unknown; !reflect.DeepEqual(got, want) {
				t.Errorf("unknown fields = %v; want %v", got, want)
			}
			if got, want := res.sum.BlankLines, tt.blanks; got != want {
				t.Errorf("blank lines = %d; want %d", got, want)
			}
		})
	}
}

// Case 26: sub-second and pre-1970 timestamps.
func TestCase26(t *testing.T) {
	fields := []catalog.Field{
		fld("customer_id", catalog.TypeString, true),
		fld("event_ts", catalog.TypeTimestampTZ, false),
		fld("value", catalog.TypeDouble, false),
	}
	res := readFile(t, caseFile(t, "26-subsecond.csv"), "26-subsecond.csv", fields, csvHeader, Options{})
	want := [][]any{
		{"c1", "2026-12-01T10:00:00.123456Z", 1.0},
		{"c2", "2026-12-01T10:00:00.1Z", 2.0},
		{"c3", "2026-12-01T08:00:00Z", 3.0},
		{"c4", "1969-12-31T23:59:59.999999Z", 4.0},
	}
	if got := res.rows; !reflect.DeepEqual(got, want) || res.err != nil {
		t.Errorf("rows = %v, err %v; want %v", got, res.err, want)
	}
}

var parquetCfg = catalog.FileConfig{Format: catalog.FormatParquet}

// Case 27: INT96 timestamps from Spark.
func TestCase27(t *testing.T) {
	fields := []catalog.Field{
		fld("customer_id", catalog.TypeString, true),
		fld("event_ts", catalog.TypeTimestampTZ, false),
		fld("value", catalog.TypeDouble, false),
	}
	data := caseFile(t, "27-int96-timestamps.parquet")
	want := [][]any{
		{"c1", "2026-12-01T10:00:00Z", 0.5},
		{"c2", "2026-12-01T23:59:59.123456Z", 1.5},
		{"c3", "1999-12-31T00:00:00Z", 2.5},
	}
	for _, tt := range []struct {
		name string
		data []byte
	}{{"27.parquet", data}, {"27.parquet.gz", gzipBytes(t, data)}} {
		t.Run(tt.name, func(t *testing.T) {
			res := readFile(t, tt.data, tt.name, fields, parquetCfg, Options{})
			if got := res.rows; !reflect.DeepEqual(got, want) || res.err != nil {
				t.Errorf("rows = %v, err %v; want %v", got, res.err, want)
			}
		})
	}
}

// Case 28: Parquet columns differing in case, order and physical type.
func TestCase28(t *testing.T) {
	data := caseFile(t, "28-decimal-and-names.parquet")
	t.Run("match", func(t *testing.T) {
		fields := []catalog.Field{
			fld("customer_id", catalog.TypeString, true),
			fld("event_ts", catalog.TypeTimestampTZ, false),
			fld("value", catalog.TypeDouble, false),
		}
		res := readFile(t, data, "28.parquet", fields, parquetCfg, Options{})
		want := [][]any{{"c1", "2026-12-01T10:00:00Z", 123.45}, {"c2", nil, -0.05}}
		if got := res.rows; !reflect.DeepEqual(got, want) || res.err != nil {
			t.Errorf("rows = %v, err %v; want %v", got, res.err, want)
		}
	})
	t.Run("decimal", func(t *testing.T) {
		// VALUE is DECIMAL(10,2) on INT64: exact into decimal(10,2) and,
		// rescaled, into decimal(12,4); decimal(10,1) cannot hold -0.05.
		for _, tt := range []struct {
			typ     string
			rows    [][]any
			rejects int
		}{
			{"decimal(10,2)", [][]any{{"c1", "123.45"}, {"c2", "-0.05"}}, 0},
			{"decimal(12,4)", [][]any{{"c1", "123.4500"}, {"c2", "-0.0500"}}, 0},
			{"decimal(10,1)", nil, 2},
		} {
			fields := []catalog.Field{fld("customer_id", catalog.TypeString, true), fld("value", tt.typ, false)}
			res := readFile(t, data, "28.parquet", fields, parquetCfg, Options{})
			if !reflect.DeepEqual(res.rows, tt.rows) || len(res.rejects) != tt.rejects || res.err != nil {
				t.Errorf("%s: rows = %v, rejects %v, err %v; want %v and %d rejects", tt.typ, res.rows, res.rejects, res.err, tt.rows, tt.rejects)
			}
		}
	})
	t.Run("missing-required", func(t *testing.T) {
		fields := []catalog.Field{
			fld("customer_id", catalog.TypeString, true),
			fld("region", catalog.TypeString, true),
		}
		res := readFile(t, data, "28.parquet", fields, parquetCfg, Options{})
		if res.err == nil || !strings.Contains(res.err.Error(), `required column "region" is missing`) {
			t.Errorf("err = %v; want the missing column named", res.err)
		}
	})
	t.Run("extra-and-missing-optional", func(t *testing.T) {
		fields := []catalog.Field{
			fld("customer_id", catalog.TypeString, true),
			fld("region", catalog.TypeString, false),
		}
		res := readFile(t, data, "28.parquet", fields, parquetCfg, Options{})
		if got, want := res.rows, [][]any{{"c1", nil}, {"c2", nil}}; !reflect.DeepEqual(got, want) {
			t.Errorf("rows = %v; want %v", got, want)
		}
		if got, want := res.sum.UnknownFields, []string{"EVENT_TS", "VALUE"}; !reflect.DeepEqual(got, want) {
			t.Errorf("unknown = %v; want %v", got, want)
		}
		if got, want := res.sum.MissingFields, []string{"region"}; !reflect.DeepEqual(got, want) {
			t.Errorf("missing = %v; want %v", got, want)
		}
	})
	t.Run("wrong-type", func(t *testing.T) {
		fields := []catalog.Field{fld("customer_id", catalog.TypeLong, true)}
		res := readFile(t, data, "28.parquet", fields, parquetCfg, Options{})
		if res.err == nil || !strings.Contains(res.err.Error(), `column "Customer_ID" is BYTE_ARRAY STRING, which does not convert to long`) {
			t.Errorf("err = %v", res.err)
		}
	})
}
