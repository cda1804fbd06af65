package ingest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"inlet/internal/catalog"
)

// casesDir holds the shared case inputs, beside the repository.
var casesDir = filepath.Join("..", "..", "testdata", "cases", "inputs")

// caseFile reads a case input, failing the test when it is missing.
func caseFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(casesDir, name))
	if err != nil {
		t.Fatalf("case input: %v", err)
	}
	return b
}

// result is everything read from one file.
type result struct {
	rows    [][]any
	rejects []Reject
	sum     Summary
	err     error // the *FileError, if any
}

// readFile reads data through Open and Next, rendering rows as Go values:
// nil for NULL, string, int64, float64, bool, dates as "2006-01-02" and
// timestamps in RFC 3339 with microseconds.
func readFile(t testing.TB, data []byte, name string, fields []catalog.Field, cfg catalog.FileConfig, opts Options) result {
	t.Helper()
	return readFrom(t, bytes.NewReader(data), name, fields, cfg, opts)
}

func readFrom(t testing.TB, r io.Reader, name string, fields []catalog.Field, cfg catalog.FileConfig, opts Options) result {
	t.Helper()
	f, err := Open(r, name, fields, cfg, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	var res result
	for range 1 << 20 {
		b, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Next: %v is not a *FileError", err)
			}
			res.err = err
			break
		}
		res.rejects = append(res.rejects, b.Rejects...)
		for i := 0; i < b.Rows; i++ {
			res.rows = append(res.rows, renderRow(b, i))
		}
	}
	res.sum = f.Summary()
	return res
}

func renderRow(b *Batch, i int) []any {
	row := make([]any, len(b.Columns))
	for j := range b.Columns {
		c := &b.Columns[j]
		if !c.Valid[i] {
			continue
		}
		switch c.Type {
		case catalog.TypeString:
			row[j] = c.String(i)
		case catalog.TypeLong:
			row[j] = c.Int64[i]
		case catalog.TypeDouble:
			row[j] = c.Float64[i]
		case catalog.TypeBoolean:
			row[j] = c.Bool[i]
		case catalog.TypeDate:
			row[j] = time.Unix(int64(c.Int32[i])*86400, 0).UTC().Format(time.DateOnly)
		case catalog.TypeTimestampTZ:
			row[j] = time.UnixMicro(c.Int64[i]).UTC().Format("2006-01-02T15:04:05.999999Z07:00")
		default: // decimal(P,S): its text
			_, scale, _ := catalog.ParseDecimal(c.Type)
			row[j] = string(catalog.AppendDecimal(nil, c.Int64[i], scale))
		}
	}
	return row
}

func fld(name, typ string, required bool) catalog.Field {
	return catalog.Field{Name: name, Type: typ, Required: required}
}

var csvHeader = catalog.FileConfig{Format: catalog.FormatCSV, Header: true}

func itoa(n int) string {
	if n == 0 {
		n = MaxRecordBytes
	}
	return strconvItoa(n)
}

var strconvItoa = strconv.Itoa

var ioEOF = io.EOF
