package ingest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"inlet/internal/catalog"
)

func TestDelimited(t *testing.T) {
	two := []catalog.Field{fld("a", catalog.TypeString, false), fld("b", catalog.TypeString, false)}
	noHeader := catalog.FileConfig{Format: catalog.FormatCSV}
	tests := []struct {
		name    string
		cfg     catalog.FileConfig
		in      string
		rows    [][]any
		rejects []Reject // File left out
	}{
		{"plain", noHeader, "x,y\nz,w\n", [][]any{{"x", "y"}, {"z", "w"}}, nil},
		{"no final newline", noHeader, "x,y\nz,w", [][]any{{"x", "y"}, {"z", "w"}}, nil},
		{"crlf", noHeader, "x,y\r\nz,w\r\n", [][]any{{"x", "y"}, {"z", "w"}}, nil},
		{"crlf quoted", noHeader, "\"x\",\"y\"\r\nz,w", [][]any{{"x", "y"}, {"z", "w"}}, nil},
		{"crlf at eof", noHeader, "x,y\r", [][]any{{"x", "y"}}, nil},
		{"empty unquoted is null", noHeader, ",y\n", [][]any{{nil, "y"}}, nil},
		{"empty quoted is empty", noHeader, "\"\",y\n", [][]any{{"", "y"}}, nil},
		{"both empty", noHeader, ",\n", [][]any{{nil, nil}}, nil},
		{"delimiter in quotes", noHeader, "\"a,b\",c\n", [][]any{{"a,b", "c"}}, nil},
		{"doubled quotes", noHeader, "\"say \"\"hi\"\"\",\"\"\"\"\n", [][]any{{`say "hi"`, `"`}}, nil},
		{"newline in quotes", noHeader, "\"l1\nl2\",x\ny,z\n", [][]any{{"l1\nl2", "x"}, {"y", "z"}}, nil},
		{"crlf in quotes kept", noHeader, "\"l1\r\nl2\",x\r\n", [][]any{{"l1\r\nl2", "x"}}, nil},
		{"quote inside unquoted", noHeader, "5'9\",x\n", [][]any{{"5'9\"", "x"}}, nil},
		{"blank lines skipped", noHeader, "\nx,y\n\r\n\nz,w\n", [][]any{{"x", "y"}, {"z", "w"}}, nil},
		{"null marker", catalog.FileConfig{Format: catalog.FormatCSV, NullMarker: `\N`}, "\\N,\"\\N\"\n", [][]any{{nil, `\N`}}, nil},
		{"null marker part of value", catalog.FileConfig{Format: catalog.FormatCSV, NullMarker: `\N`}, "\\No,x\n", [][]any{{`\No`, "x"}}, nil},
		{"tsv", catalog.FileConfig{Format: catalog.FormatTSV}, "a b\tc,d\n", [][]any{{"a b", "c,d"}}, nil},
		{"other quote", catalog.FileConfig{Format: catalog.FormatCSV, Quote: "'"}, "'a,b',\"c\n", [][]any{{"a,b", "\"c"}}, nil},
		{"too many fields", noHeader, "x,y,z\nv,w\n", [][]any{{"v", "w"}}, []Reject{{Line: 1, Value: "x,y,z", Reason: "3 fields where 2 are expected"}}},
		{"too few fields", noHeader, "x\nv,w\n", [][]any{{"v", "w"}}, []Reject{{Line: 1, Value: "x", Reason: "1 fields where 2 are expected"}}},
		{"trailing delimiter without header", noHeader, "x,y,\n", nil, []Reject{{Line: 1, Value: "x,y,", Reason: "3 fields where 2 are expected"}}},
		{"text after closing quote", noHeader, "\"x\"y,z\nv,w\n", [][]any{{"v", "w"}}, []Reject{{Line: 1, Value: "\"x\"y,z", Reason: "text after closing quote"}}},
		{"text after closing quote, CRLF", noHeader, "\"x\"y,z\r\nv,w\r\n", [][]any{{"v", "w"}}, []Reject{{Line: 1, Value: "\"x\"y,z", Reason: "text after closing quote"}}},
		{"text after quote lines later", noHeader, "v,w\n\"x,y\nz\"q,w\nu,t\n", [][]any{{"v", "w"}, {"u", "t"}}, []Reject{{Line: 2, Lines: 2, Value: "\"x,y\nz\"q,w", Reason: "text after closing quote"}}},
		{"too many fields raw", noHeader, "12,\"say \"\"hi\"\"\",x\n", nil, []Reject{{Line: 1, Value: `12,"say ""hi""",x`, Reason: "3 fields where 2 are expected"}}},
		{"too few fields over lines raw", noHeader, "\"a\"\"\nb\"\nv,w\n", [][]any{{"v", "w"}}, []Reject{{Line: 1, Lines: 2, Value: "\"a\"\"\nb\"", Reason: "1 fields where 2 are expected"}}},
		{"tsv quote none", catalog.FileConfig{Format: catalog.FormatTSV, Quote: catalog.QuoteNone}, "\"x\t3\"\n\"\"\t\"\n", [][]any{{`"x`, `3"`}, {`""`, `"`}}, nil},
		{"csv quote none", catalog.FileConfig{Format: catalog.FormatCSV, Quote: catalog.QuoteNone}, "\"a,b\"\r\n", [][]any{{`"a`, `b"`}}, nil},
		{"line numbers after multi-line record", noHeader, "\"a\n\nb\",c\nx\n", [][]any{{"a\n\nb", "c"}}, []Reject{{Line: 4, Value: "x", Reason: "1 fields where 2 are expected"}}},
		{"invalid utf-8", noHeader, "ok,\xff\xfe\nv,w\n", [][]any{{"v", "w"}}, []Reject{{Line: 1, Field: "b", Value: "\uFFFD", Reason: "invalid UTF-8"}}},
		{"header", catalog.FileConfig{Format: catalog.FormatCSV, Header: true}, "b,a\n1,2\n", [][]any{{"2", "1"}}, nil},
		{"header quoted", catalog.FileConfig{Format: catalog.FormatCSV, Header: true}, "\"a\",\"b\"\r\n1,2\r\n", [][]any{{"1", "2"}}, nil},
		{"header trailing delimiter", catalog.FileConfig{Format: catalog.FormatCSV, Header: true}, "a,b,\n1,2,\n3,4\n5,6,7\n", [][]any{{"1", "2"}, {"3", "4"}}, []Reject{{Line: 4, Value: "5,6,7", Reason: "3 fields where 2 are expected"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readFile(t, []byte(tt.in), "t.csv", two, tt.cfg, Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if got, want := res.rows, tt.rows; !reflect.DeepEqual(got, want) {
				t.Errorf("rows = %q; want %q", got, want)
			}
			for i := range res.rejects {
				res.rejects[i].File = ""
			}
			if got, want := res.rejects, tt.rejects; !reflect.DeepEqual(got, want) {
				t.Errorf("rejects = %+v; want %+v", got, want)
			}
		})
	}
}

// TestDelimitedChunking reads the same input through read buffers of
// every small size and checks the result does not change.
func TestDelimitedChunking(t *testing.T) {
	fields := []catalog.Field{fld("a", catalog.TypeString, false), fld("b", catalog.TypeLong, false)}
	in := "\"x\"\"y\",1\r\n\"multi\nline\",2\n,3\n\"\",\n\"bad\"z,5\nlast,6"
	cfg := catalog.FileConfig{Format: catalog.FormatCSV}
	want := readFile(t, []byte(in), "t.csv", fields, cfg, Options{})
	if len(want.rows) != 5 || len(want.rejects) != 1 {
		t.Fatalf("rows %v rejects %v", want.rows, want.rejects)
	}
	for size := 1; size < 40; size++ {
		got := readFrom(t, &oneByteReader{data: []byte(in)}, "t.csv", fields, cfg, Options{BufferBytes: size})
		if !reflect.DeepEqual(got.rows, want.rows) || !reflect.DeepEqual(got.rejects, want.rejects) {
			t.Fatalf("buffer %d: rows %q rejects %v; want %q %v", size, got.rows, got.rejects, want.rows, want.rejects)
		}
	}
}

// oneByteReader returns one byte per Read.
type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, ioEOF
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

func TestRecordLimit(t *testing.T) {
	fields := []catalog.Field{fld("a", catalog.TypeString, false)}
	cfg := catalog.FileConfig{Format: catalog.FormatCSV}
	in := "short\n" + strings.Repeat("y", 50) + "\n\"" + strings.Repeat("q\n", 30) + "\"\nend\n"
	res := readFile(t, []byte(in), "t.csv", fields, cfg, Options{MaxRecordBytes: 20, BufferBytes: 8})
	if got, want := res.rows, [][]any{{"short"}, {"end"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q; want %q", got, want)
	}
	var lines []int64
	for _, r := range res.rejects {
		lines = append(lines, r.Line)
		if r.Reason != "record exceeds 20 bytes" {
			t.Errorf("reason = %q", r.Reason)
		}
	}
	if got, want := lines, []int64{2, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("reject lines = %v; want %v", got, want)
	}
}

func TestFileLevel(t *testing.T) {
	fields := []catalog.Field{fld("id", catalog.TypeLong, true), fld("name", catalog.TypeString, false)}
	csv := []byte("id,name\n1,a\n2,b\n")
	gz := gzipBytes(t, csv)
	zw, _ := zstd.NewWriter(nil)
	zst := zw.EncodeAll(csv, nil)
	tests := []struct {
		name   string
		data   []byte
		cfg    catalog.FileConfig
		rows   int
		status string
		reason string
		comp   string
	}{
		{"a.csv", csv, csvHeader, 2, StatusOK, "", "none"},
		{"a.csv.gz", gz, csvHeader, 2, StatusOK, "", "gzip"},
		{"a.csv", gz, csvHeader, 2, StatusOK, "", "gzip"},
		{"a.csv.zst", zst, csvHeader, 2, StatusOK, "", "zstd"},
		{"a.bin", zst, csvHeader, 2, StatusOK, "", "zstd"},
		{"multi.csv.gz", gzipBytes(t, []byte("id,name\n1,a\n"), []byte("2,b\n"), nil, []byte("3,c\n")), csvHeader, 3, StatusOK, "", "gzip"},
		{"trunc.csv.gz", gz[:len(gz)-12], csvHeader, 0, StatusFailed, "truncated gzip stream", "gzip"},
		// Zero bytes after the last member are padding, which gzip -d
		// ignores; other bytes there are named for what they are.
		{"padded.csv.gz", append(bytes.Clone(gz), make([]byte, 1000)...), csvHeader, 2, StatusOK, "", "gzip"},
		{"garbage.csv.gz", append(bytes.Clone(gz), "\x00\x00trailing junk"...), csvHeader, 0, StatusFailed,
			"data after the end of the gzip stream (not another gzip member)", "gzip"},
		{"trunc.csv.zst", zst[:len(zst)-5], csvHeader, 0, StatusFailed, "truncated zstd stream", "zstd"},
		{"plain.csv.gz", csv, csvHeader, 0, StatusFailed, "name says gzip but the content is not gzip", "none"},
		{"forced.csv", csv, catalog.FileConfig{Format: catalog.FormatCSV, Header: true, Compression: "gzip"}, 0, StatusFailed, "not a gzip stream", "gzip"},
		{"utf16be.csv", []byte("\xfe\xff\x00i\x00d"), csvHeader, 0, StatusFailed, "not UTF-8 (UTF-16BE byte-order mark)", "none"},
		{"bin.csv", []byte("id,name\n1,\x00\x01\x02\n"), csvHeader, 0, StatusFailed, "not a text file (NUL byte at offset 10)", "none"},
		{"blank.csv", []byte("\n\n"), csvHeader, 0, StatusEmpty, "empty file (no header)", "none"},
		{"bom-only.csv", []byte("\xef\xbb\xbf"), csvHeader, 0, StatusEmpty, "empty file", "none"},
		{"dup.csv", []byte("id,id\n"), csvHeader, 0, StatusFailed, `header: column "id" appears twice`, "none"},
		{"missing.csv", []byte("id\n1\n"), csvHeader, 0, StatusFailed, `header does not match the schema: column "name" is missing`, "none"},
		{"extra.csv", []byte("id,name,x\n1\n"), csvHeader, 0, StatusFailed, `header does not match the schema: column "x" is not in the schema`, "none"},
		{"cr-only.csv", []byte("id,name\r1,a\r2,b\r"), csvHeader, 0, StatusFailed, `header does not match the schema: column "name\r1" is not in the schema; column "a\r2" is not in the schema; column "b" is not in the schema; column "name" is missing (the header holds a carriage return: lines must end with LF or CRLF, not CR alone)`, "none"},
		{"notparquet.parquet", csv, parquetCfg, 0, StatusFailed, "", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readFile(t, tt.data, tt.name, fields, tt.cfg, Options{})
			if got, want := len(res.rows), tt.rows; got != want {
				t.Errorf("rows = %d; want %d", got, want)
			}
			if got, want := res.sum.Status, tt.status; got != want {
				t.Errorf("status = %q (%s); want %q", got, res.sum.Reason, want)
			}
			if tt.reason != "" && res.sum.Reason != tt.reason {
				t.Errorf("reason = %q; want %q", res.sum.Reason, tt.reason)
			}
			if got, want := res.sum.Compression, tt.comp; got != want {
				t.Errorf("compression = %q; want %q", got, want)
			}
			if tt.status == StatusFailed && res.err == nil {
				t.Errorf("no file error")
			}
			if got, want := res.sum.BytesRead, int64(len(tt.data)); tt.status == StatusOK && got != want {
				t.Errorf("bytes read = %d; want %d", got, want)
			}
			if tt.status == StatusOK && res.sum.BytesDecompressed < int64(len("id,name\n1,a\n2,b\n")) {
				t.Errorf("bytes decompressed = %d", res.sum.BytesDecompressed)
			}
		})
	}
}

func TestValidations(t *testing.T) {
	f64 := func(v float64) *float64 { return &v }
	n := func(v int) *int { return &v }
	tests := []struct {
		field  catalog.Field
		in     string
		reason string
	}{
		{catalog.Field{Name: "s", Type: "string", Validations: &catalog.Validations{Enum: []string{"a", "b"}}}, "a", ""},
		{catalog.Field{Name: "s", Type: "string", Validations: &catalog.Validations{Enum: []string{"a", "b"}}}, "c", "not in enum [a b]"},
		{catalog.Field{Name: "s", Type: "string", Validations: &catalog.Validations{Regex: `^[A-Z]{2}\d+$`}}, "AB12", ""},
		{catalog.Field{Name: "s", Type: "string", Validations: &catalog.Validations{Regex: `^[A-Z]{2}\d+$`}}, "ab12", `does not match regex ^[A-Z]{2}\d+$`},
		{catalog.Field{Name: "s", Type: "string", Validations: &catalog.Validations{MinLength: n(2), MaxLength: n(3)}}, "été", ""},
		{catalog.Field{Name: "s", Type: "string", Validations: &catalog.Validations{MaxLength: n(3)}}, "étés", "longer than max_length 3"},
		{catalog.Field{Name: "s", Type: "string", Validations: &catalog.Validations{MinLength: n(2)}}, "é", "shorter than min_length 2"},
		{catalog.Field{Name: "n", Type: "long", Validations: &catalog.Validations{Min: f64(0), Max: f64(100)}}, "100", ""},
		{catalog.Field{Name: "n", Type: "long", Validations: &catalog.Validations{Min: f64(0), Max: f64(100)}}, "101", "above max 100"},
		{catalog.Field{Name: "n", Type: "long", Validations: &catalog.Validations{Min: f64(0.5)}}, "0", "below min 0.5"},
		{catalog.Field{Name: "d", Type: "double", Validations: &catalog.Validations{Max: f64(1.5)}}, "1.51", "above max 1.5"},
		{catalog.Field{Name: "d", Type: "double", Validations: &catalog.Validations{Regex: `^-?\d{1,10}(\.\d{1,2})?$`}}, "1234567890.12", ""},
		{catalog.Field{Name: "d", Type: "double", Validations: &catalog.Validations{Regex: `^-?\d{1,10}(\.\d{1,2})?$`}}, "x", "not a number"},
		{catalog.Field{Name: "m", Type: "decimal(12,2)", Validations: &catalog.Validations{Min: f64(0)}}, "-0.01", "below min 0"},
		{catalog.Field{Name: "m", Type: "decimal(12,2)", Validations: &catalog.Validations{Min: f64(0)}}, "-0.00", ""},
		{catalog.Field{Name: "b", Type: "boolean", Validations: &catalog.Validations{Enum: []string{"true"}}}, "yes", "not in enum [true]"},
	}
	for _, tt := range tests {
		t.Run(tt.field.Name+"/"+tt.in, func(t *testing.T) {
			res := readFile(t, []byte(tt.in+"\n"), "v.csv", []catalog.Field{tt.field}, catalog.FileConfig{Format: catalog.FormatCSV}, Options{})
			got := ""
			if len(res.rejects) > 0 {
				got = res.rejects[0].Reason
			}
			if got != tt.reason {
				t.Errorf("reason = %q; want %q", got, tt.reason)
			}
		})
	}
}

func TestRejectValue(t *testing.T) {
	long := strings.Repeat("é", 80) // 160 bytes
	got := rejectValue([]byte(long))
	if len(got) > maxRejectValue || !strings.HasPrefix(long, got) || len(got) != 100 {
		t.Errorf("rejectValue = %d bytes %q", len(got), got)
	}
	if got, want := rejectValue([]byte("a\xffb")), "a\uFFFDb"; got != want {
		t.Errorf("rejectValue = %q; want %q", got, want)
	}
}

func TestOpenConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		fields []catalog.Field
		cfg    catalog.FileConfig
	}{
		{"no fields", nil, csvHeader},
		{"bad type", []catalog.Field{fld("a", "decimal", false)}, csvHeader},
		{"decimal too wide", []catalog.Field{fld("a", "decimal(19,2)", false)}, csvHeader},
		{"decimal not canonical", []catalog.Field{fld("a", "decimal(12, 2)", false)}, csvHeader},
		{"bad regex", []catalog.Field{{Name: "a", Type: "string", Validations: &catalog.Validations{Regex: "("}}}, csvHeader},
		{"bad format", []catalog.Field{fld("a", "string", false)}, catalog.FileConfig{Format: "xml"}},
		{"bad delimiter", []catalog.Field{fld("a", "string", false)}, catalog.FileConfig{Format: "csv", Delimiter: ";;"}},
		{"delimiter is quote", []catalog.Field{fld("a", "string", false)}, catalog.FileConfig{Format: "csv", Delimiter: `"`}},
		{"non-ASCII delimiter", []catalog.Field{fld("a", "string", false)}, catalog.FileConfig{Format: "delimited", Delimiter: "¦"}},
		{"line break quote", []catalog.Field{fld("a", "string", false)}, catalog.FileConfig{Format: "csv", Quote: "\n"}},
		{"bad compression", []catalog.Field{fld("a", "string", false)}, catalog.FileConfig{Format: "csv", Compression: "lz4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Open(bytes.NewReader([]byte("a\n")), "x.csv", tt.fields, tt.cfg, Options{}); err == nil {
				t.Errorf("Open succeeded; want an error")
			}
		})
	}
}

// TestColumnsConvertedApart reads a file of many records, in batches large
// enough for the columns to be converted in parallel, with rejects of
// every kind scattered through it: each is reported once, in line order,
// with the first failing field in schema order (the header puts the
// columns in another order), and the rows around them are intact.
func TestColumnsConvertedApart(t *testing.T) {
	fields := []catalog.Field{
		{Name: "a", Type: catalog.TypeLong, Required: true},
		{Name: "b", Type: catalog.TypeString},
		{Name: "c", Type: catalog.TypeDouble},
	}
	var in bytes.Buffer
	in.WriteString("c,b,a\n")
	type rej struct {
		line  int64
		field string
	}
	var wantRejects []rej
	var wantRows [][]any
	line := int64(1)
	for i := range 3000 {
		line++
		switch {
		case i%97 == 5: // two bad fields: a comes first in the schema
			fmt.Fprintf(&in, "x%d,s%d,y%d\n", i, i, i)
			wantRejects = append(wantRejects, rej{line, "a"})
		case i%89 == 7:
			fmt.Fprintf(&in, "%d,s%d\n", i, i)
			wantRejects = append(wantRejects, rej{line, ""})
		case i%83 == 3:
			fmt.Fprintf(&in, "z%d,s%d,%d\n", i, i, i)
			wantRejects = append(wantRejects, rej{line, "c"})
		case i%79 == 1:
			fmt.Fprintf(&in, "%d.5,,\n", i) // a required field empty
			wantRejects = append(wantRejects, rej{line, "a"})
		default:
			fmt.Fprintf(&in, "%d.5,\"s,%d\",%d\n", i, i, i)
			wantRows = append(wantRows, []any{int64(i), "s," + strconv.Itoa(i), float64(i) + 0.5})
		}
	}
	for _, batch := range []int{300, 8192} {
		res := readFile(t, in.Bytes(), "many.csv", fields, catalog.FileConfig{Format: catalog.FormatCSV, Header: true},
			Options{BatchRows: batch})
		if res.err != nil {
			t.Fatal(res.err)
		}
		if !reflect.DeepEqual(res.rows, wantRows) {
			t.Errorf("batch %d: %d rows; want %d (first difference hidden)", batch, len(res.rows), len(wantRows))
		}
		var got []rej
		for _, r := range res.rejects {
			got = append(got, rej{r.Line, r.Field})
		}
		if !reflect.DeepEqual(got, wantRejects) {
			t.Errorf("batch %d: rejects\n%v\nwant\n%v", batch, got, wantRejects)
		}
	}
}

// A batch with rows stays intact until the second call after it, even
// when a batch of rejects only comes between (a writer encodes one batch
// while the next is read).
func TestBatchStaysUntilSecondNext(t *testing.T) {
	fields := []catalog.Field{{Name: "n", Type: catalog.TypeLong}}
	var in bytes.Buffer
	for i := range 4 {
		fmt.Fprintf(&in, "%d\n", i) // a batch of rows
	}
	for range 4 {
		in.WriteString("bad\n") // a batch of rejects only
	}
	for i := range 8 {
		fmt.Fprintf(&in, "%d\n", 100+i) // two more batches of rows
	}
	f, err := Open(bytes.NewReader(in.Bytes()), "b.csv", fields, catalog.FileConfig{Format: catalog.FormatCSV},
		Options{BatchRows: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first, err := f.Next()
	if err != nil || first.Rows != 4 {
		t.Fatalf("first batch: %v rows, %v", first, err)
	}
	want := slices.Clone(first.Columns[0].Int64)
	if b, err := f.Next(); err != nil || b.Rows != 0 || len(b.Rejects) != 4 {
		t.Fatalf("second batch: %+v, %v; want 4 rejects and no rows", b, err)
	}
	if b, err := f.Next(); err != nil || b.Rows != 4 {
		t.Fatalf("third batch: %+v, %v; want 4 rows", b, err)
	}
	if !slices.Equal(first.Columns[0].Int64[:4], want) {
		t.Errorf("first batch changed under the reader: %v; want %v", first.Columns[0].Int64[:4], want)
	}
}

// TestUnterminatedQuote: a quoted field still open at the end of the file
// fails the file, naming the line where the quote opened, however the
// record is read (whole, oversized, in small pieces); it never passes as
// one reject that hides the lines it ran over.
func TestUnterminatedQuote(t *testing.T) {
	fields := []catalog.Field{fld("id", catalog.TypeLong, true), fld("name", catalog.TypeString, false), fld("n", catalog.TypeLong, false)}
	var big bytes.Buffer
	big.WriteString("id,name,n\n")
	for i := 1; i <= 100_000; i++ {
		if i == 90_000 {
			fmt.Fprintf(&big, "%d,\"oops,%d\n", i, i) // line 90001
			continue
		}
		fmt.Fprintf(&big, "%d,name %d,%d\n", i, i, i)
	}
	tsv := catalog.FileConfig{Format: catalog.FormatTSV}
	tests := []struct {
		name string
		in   []byte
		cfg  catalog.FileConfig
		opts Options
		want string // in the reason
	}{
		{"100000 rows", big.Bytes(), csvHeader, Options{},
			"the quote opened on line 90001 is never closed, so the 10000 lines after it would be read as part of the field"},
		{"100000 rows, oversized", big.Bytes(), csvHeader, Options{MaxRecordBytes: 4096},
			"the quote opened on line 90001 is never closed, so the 10000 lines after it"},
		{"100000 rows, small batches", big.Bytes(), csvHeader, Options{BatchRows: 1000, BufferBytes: 512},
			"the quote opened on line 90001 is never closed, so the 10000 lines after it"},
		{"tsv", []byte("1\tx\t1\n2\ty\t2\n3\t\"\t3\n4\tz\t4\n5\tw\t5"), tsv, Options{},
			"the quote opened on line 3 is never closed, so the 2 lines after it"},
		{"tsv, oversized", []byte("1\tx\t1\n2\ty\t2\n3\t\"\t3\n4\tz\t4\n5\tw\t5"), tsv, Options{MaxRecordBytes: 4},
			"the quote opened on line 3 is never closed, so the 2 lines after it"},
		{"one line after", []byte("id,name,n\n1,\"a\n2,b,2\n"), csvHeader, Options{},
			"the quote opened on line 2 is never closed, so the line after it would be read as part of the field"},
		{"last line", []byte("id,name,n\n1,a,1\n2,\"b,2\n"), csvHeader, Options{},
			"the quote opened on line 3 is never closed (a stray quote?"},
		{"last line without line feed", []byte("id,name,n\n1,a,1\n2,\"b,2"), csvHeader, Options{},
			"the quote opened on line 3 is never closed (a stray quote?"},
		{"opens in a record's second line", []byte("1,\"multi\nline\",\"x\n2,b,2\n"), catalog.FileConfig{Format: catalog.FormatCSV}, Options{},
			"the quote opened on line 2 is never closed, so the line after it"},
		{"opens in a record's second line, oversized", []byte("1,\"multi\nline\",\"x\n2,b,2\n"), catalog.FileConfig{Format: catalog.FormatCSV}, Options{MaxRecordBytes: 8},
			"the quote opened on line 2 is never closed, so the line after it"},
		{"header", []byte("id,\"name,n\n1,a,1\n"), csvHeader, Options{},
			"the quote opened on line 1 is never closed, so the line after it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readFile(t, tt.in, "q.csv", fields, tt.cfg, tt.opts)
			if res.err == nil || res.sum.Status != StatusFailed {
				t.Fatalf("err %v, status %q, %d rejects; want the file failed", res.err, res.sum.Status, len(res.rejects))
			}
			if !strings.Contains(res.sum.Reason, "unterminated quoted field: "+tt.want) {
				t.Errorf("reason = %q; want it to contain %q", res.sum.Reason, tt.want)
			}
		})
	}
	t.Run("chunking", func(t *testing.T) {
		in := []byte("1,a,1\n\"x\"\"y\",b,2\n3,\"c\nd\n4,e,4\n")
		cfg := catalog.FileConfig{Format: catalog.FormatCSV}
		for size := 1; size < 24; size++ {
			for _, limit := range []int{0, 6} {
				res := readFrom(t, &oneByteReader{data: in}, "t.csv", fields, cfg, Options{BufferBytes: size, MaxRecordBytes: limit})
				if want := "the quote opened on line 3 is never closed, so the 2 lines after it"; res.err == nil || !strings.Contains(res.sum.Reason, want) {
					t.Fatalf("buffer %d, limit %d: err %v; want one containing %q", size, limit, res.err, want)
				}
			}
		}
	})
	t.Run("quote none", func(t *testing.T) {
		// The TSV above, read as written: its values are never quoted.
		cfg := catalog.FileConfig{Format: catalog.FormatTSV, Quote: catalog.QuoteNone}
		res := readFile(t, []byte("1\tx\t1\n2\ty\t2\n3\t\"\t3\n4\tz\t4\n"), "q.tsv", fields, cfg, Options{})
		want := [][]any{{int64(1), "x", int64(1)}, {int64(2), "y", int64(2)}, {int64(3), `"`, int64(3)}, {int64(4), "z", int64(4)}}
		if res.err != nil || !reflect.DeepEqual(res.rows, want) {
			t.Errorf("rows %v, err %v; want %v", res.rows, res.err, want)
		}
	})
}

// TestSwallowedLinesCount: a stray quote closed by another one lines later
// makes one record of every line between; rejected, it counts as one
// rejected row per line, so that the reject ratio sees the rows lost.
func TestSwallowedLinesCount(t *testing.T) {
	fields := []catalog.Field{fld("id", catalog.TypeLong, true), fld("name", catalog.TypeString, false)}
	in := "id,name\n1,a\n2,\"oops\n3,c\n4,d\n5,6\" pipe\n6,f\n7,\"two\nlines\",x\n8,h\n"
	for _, opts := range []Options{{}, {MaxRecordBytes: 12}} {
		res := readFile(t, []byte(in), "s.csv", fields, csvHeader, opts)
		if res.err != nil {
			t.Fatal(res.err)
		}
		want := [][]any{{int64(1), "a"}, {int64(6), "f"}, {int64(8), "h"}}
		if !reflect.DeepEqual(res.rows, want) {
			t.Errorf("limit %d: rows %v; want %v", opts.MaxRecordBytes, res.rows, want)
		}
		var lines [][2]int64
		for _, r := range res.rejects {
			lines = append(lines, [2]int64{r.Line, r.Lines})
		}
		if want := [][2]int64{{3, 4}, {8, 2}}; !reflect.DeepEqual(lines, want) {
			t.Errorf("limit %d: rejects %+v; want lines (line, lines) %v", opts.MaxRecordBytes, res.rejects, want)
		}
		if got, want := res.sum.RowsRejected, int64(6); got != want {
			t.Errorf("limit %d: rows rejected = %d; want %d", opts.MaxRecordBytes, got, want)
		}
		b := Batch{Rejects: res.rejects}
		if got, want := b.RejectedRows(), int64(6); got != want {
			t.Errorf("limit %d: RejectedRows = %d; want %d", opts.MaxRecordBytes, got, want)
		}
	}
}
