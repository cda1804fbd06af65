package ingest

import (
	"bytes"
	"io"
	"reflect"
	"testing"

	"inlet/internal/catalog"
)

// FuzzDelimited feeds arbitrary bytes to the delimited reader. It must not
// panic or loop, batches must be well formed, and the result must not
// depend on the read buffer's size.
func FuzzDelimited(f *testing.F) {
	f.Add([]byte("a,b,c\n1,x,2.5\n\"q\"\"\",\"\",\\N\n"), true)
	f.Add([]byte("1,\"multi\nline\",3\r\n2,,\n"), false)
	f.Add([]byte("\xef\xbb\xbfa,b,c,\n1,2,3,\n"), true)
	fields := []catalog.Field{
		fld("a", catalog.TypeLong, false),
		fld("b", catalog.TypeString, false),
		fld("c", catalog.TypeDouble, false),
	}
	f.Fuzz(func(t *testing.T, data []byte, header bool) {
		cfg := catalog.FileConfig{Format: catalog.FormatCSV, Header: header, NullMarker: `\N`}
		big := fuzzRead(t, data, fields, cfg, Options{BufferBytes: 4096})
		small := fuzzRead(t, data, fields, cfg, Options{BufferBytes: 7})
		if !reflect.DeepEqual(big, small) {
			t.Fatalf("buffer size changed the result:\n%+v\n%+v", big, small)
		}
		limited := fuzzRead(t, data, fields, cfg, Options{BufferBytes: 5, MaxRecordBytes: 9})
		if limited.lines > int64(bytes.Count(data, []byte("\n"))+1) {
			t.Fatalf("%d rows and rejects from %d lines", limited.lines, bytes.Count(data, []byte("\n"))+1)
		}
	})
}

type fuzzResult struct {
	rows    [][]any
	rejects []Reject
	sum     Summary
	lines   int64
}

func fuzzRead(t *testing.T, data []byte, fields []catalog.Field, cfg catalog.FileConfig, opts Options) fuzzResult {
	f, err := Open(bytes.NewReader(data), "fuzz.csv", fields, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var res fuzzResult
	for i := 0; ; i++ {
		if i > len(data)+2 {
			t.Fatalf("more batches than bytes")
		}
		b, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			break
		}
		for j := range b.Columns {
			c := &b.Columns[j]
			if len(c.Valid) != b.Rows {
				t.Fatalf("column %s: %d validity entries for %d rows", c.Name, len(c.Valid), b.Rows)
			}
		}
		for i := 0; i < b.Rows; i++ {
			res.rows = append(res.rows, renderRow(b, i))
		}
		res.rejects = append(res.rejects, b.Rejects...)
		res.lines += int64(b.Rows + len(b.Rejects))
	}
	res.sum = f.Summary()
	res.sum.FirstRejects = nil
	if res.sum.Status == StatusFailed {
		// How far a failed file was read depends on the buffer.
		res.sum.BytesRead, res.sum.BytesDecompressed = 0, 0
	}
	return res
}
