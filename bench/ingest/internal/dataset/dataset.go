// Package dataset defines the benchmark's table: a 10-column schema of
// mixed types, as an inlet dataset spec and as DuckDB column types, and a
// deterministic generator of CSV rows for it.
//
// Rows are a pure function of their index, so two runs with the same size
// write the same bytes, and every row passes the schema's checks.
package dataset

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"inlet/internal/catalog"
)

// Statuses are the enum values of the status column.
var Statuses = []string{"new", "active", "suspended", "closed", "archived"}

// column is one column of the benchmark table: its name, its inlet type
// and the DuckDB type that reads it the same way.
type column struct {
	name, typ, duck string
	required        bool
	v               *catalog.Validations
}

func fptr(v float64) *float64 { return &v }
func iptr(v int) *int         { return &v }

var columns = []column{
	{"id", catalog.TypeLong, "BIGINT", true, &catalog.Validations{Min: fptr(0)}},
	{"customer", catalog.TypeString, "VARCHAR", true, &catalog.Validations{MinLength: iptr(1), MaxLength: iptr(64)}},
	{"amount", catalog.TypeDouble, "DOUBLE", false, &catalog.Validations{Min: fptr(-1e6), Max: fptr(1e6)}},
	{"active", catalog.TypeBoolean, "BOOLEAN", false, nil},
	{"event_date", catalog.TypeDate, "DATE", false, nil},
	{"event_ts", catalog.TypeTimestampTZ, "TIMESTAMPTZ", true, nil},
	{"status", catalog.TypeString, "VARCHAR", false, &catalog.Validations{Enum: Statuses}},
	{"quantity", catalog.TypeLong, "BIGINT", false, &catalog.Validations{Min: fptr(0), Max: fptr(100000)}},
	{"note", catalog.TypeString, "VARCHAR", false, &catalog.Validations{MaxLength: iptr(200)}},
	{"score", catalog.TypeDouble, "DOUBLE", false, nil},
}

// Fields returns the inlet fields of the table, with their validations.
func Fields() []catalog.Field {
	out := make([]catalog.Field, len(columns))
	for i, c := range columns {
		out[i] = catalog.Field{Name: c.name, Type: c.typ, Required: c.required, Validations: c.v}
	}
	return out
}

// Spec returns the inlet dataset spec: the fields, a CSV file with a
// header, append mode, no rejects allowed.
func Spec() catalog.DatasetSpec {
	return catalog.DatasetSpec{
		Name:        "bench",
		Description: "ingest benchmark table",
		Fields:      Fields(),
		File:        catalog.FileConfig{Format: catalog.FormatCSV, Header: true, Delimiter: ",", Quote: `"`, Compression: catalog.CompressionAuto},
		WriteMode:   catalog.WriteAppend,
	}
}

// DuckDBColumns returns the explicit column types for DuckDB's read_csv,
// as a struct literal: {'id': 'BIGINT', ...}.
func DuckDBColumns() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + c.name + "': '" + c.duck + "'")
	}
	b.WriteByte('}')
	return b.String()
}

// Header returns the CSV header line, without its newline.
func Header() string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	return strings.Join(names, ",")
}

// mix is SplitMix64's finaliser: a well-spread 64-bit hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// words make up the note column.
var words = []string{
	"delivery", "partner", "invoice", "refund", "order", "priority", "late",
	"express", "warehouse", "north", "south", "batch", "manual", "review",
	"approved", "pending", "credit", "debit", "transfer", "customs",
}

// base is 2024-01-01T00:00:00Z in seconds since the epoch.
const base = 1704067200

// AppendRow appends row i as a CSV line (with its newline) to dst.
func AppendRow(dst []byte, i uint64) []byte {
	h := mix(i)
	g := mix(h)
	dst = strconv.AppendUint(dst, i, 10)
	dst = append(dst, ",customer_"...)
	dst = strconv.AppendUint(dst, h%100_000_000, 10)
	dst = append(dst, ',')
	if h>>20&63 != 0 { // about 1 in 64 amounts is null
		cents := int64(g%20_000_000) - 10_000_000
		dst = strconv.AppendFloat(dst, float64(cents)/100, 'f', 2, 64)
	}
	dst = append(dst, ',')
	if h>>26&1 == 0 {
		dst = append(dst, "true"...)
	} else {
		dst = append(dst, "false"...)
	}
	dst = append(dst, ',')
	secs := int64(base + g>>8%(3*365*86400))
	day := secs / 86400
	dst = appendDate(dst, day)
	dst = append(dst, ',')
	dst = appendDate(dst, day)
	dst = append(dst, 'T')
	sod := secs % 86400
	dst = append2(dst, sod/3600)
	dst = append(dst, ':')
	dst = append2(dst, sod/60%60)
	dst = append(dst, ':')
	dst = append2(dst, sod%60)
	dst = append(dst, '.')
	us := int64(g>>40) % 1_000_000
	dst = append2(dst, us/10000)
	dst = append2(dst, us/100%100)
	dst = append2(dst, us%100)
	dst = append(dst, "Z,"...)
	dst = append(dst, Statuses[h>>28%uint64(len(Statuses))]...)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, h>>32%10000, 10)
	dst = append(dst, ',')
	// The note: 3-6 words; about 1 in 16 is quoted and holds a comma.
	n := 3 + int(g>>4%4)
	quoted := g>>12&15 == 0
	if quoted {
		dst = append(dst, '"')
	}
	for k := range n {
		if k > 0 {
			if quoted && k == 1 {
				dst = append(dst, ',')
			}
			dst = append(dst, ' ')
		}
		dst = append(dst, words[(h>>(4*uint(k)+36))%uint64(len(words))]...)
	}
	if quoted {
		dst = append(dst, '"')
	}
	dst = append(dst, ',')
	dst = strconv.AppendFloat(dst, float64(g>>11)/float64(1<<53), 'f', 8, 64)
	return append(dst, '\n')
}

func append2(dst []byte, v int64) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

// appendDate appends day (days since 1970-01-01, positive) as YYYY-MM-DD.
func appendDate(dst []byte, day int64) []byte {
	// Civil-from-days over 400-year eras starting on March 1st.
	z := day + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
		y++
	}
	dst = append2(dst, y/100)
	dst = append2(dst, y%100)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	return append2(dst, d)
}

// Write writes a header and whole rows to w until at least size bytes are
// written, and returns the bytes and rows written.
func Write(w io.Writer, size int64) (written, rows int64, err error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	n, err := bw.WriteString(Header() + "\n")
	written = int64(n)
	buf := make([]byte, 0, 64<<10)
	for written < size && err == nil {
		buf = buf[:0]
		for len(buf) < 60<<10 && written+int64(len(buf)) < size {
			buf = AppendRow(buf, uint64(rows))
			rows++
		}
		n, err = bw.Write(buf)
		written += int64(n)
	}
	if err == nil {
		err = bw.Flush()
	}
	return written, rows, err
}
