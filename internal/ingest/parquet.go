package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"inlet/internal/catalog"
)

// Parquet deliveries: columns are matched to schema fields by name,
// ignoring case. A schema field without a column is a file error when the
// field is required, and NULL in every row otherwise (named in
// [Summary.MissingFields]); a column the schema lacks is named in
// [Summary.UnknownFields] and ignored. The physical and logical types
// convert as follows:
//
//	string       BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY (must be UTF-8)
//	long         INT32, INT64 (also unsigned; above 2^63-1 is rejected)
//	double       DOUBLE, FLOAT, INT32, INT64, DECIMAL on any physical type
//	boolean      BOOLEAN
//	date         INT32 DATE
//	timestamptz  INT96 (Spark/Impala: nanoseconds of the day and Julian
//	             day, little-endian), INT64 TIMESTAMP(MILLIS|MICROS|NANOS),
//	             taken as UTC whether or not adjusted to UTC; nanoseconds
//	             are floored to microseconds
//	decimal(P,S) DECIMAL on INT32, INT64, FIXED_LEN_BYTE_ARRAY or
//	             BYTE_ARRAY, of any precision and scale; INT32 and INT64
//	             (also unsigned). A value is rescaled exactly to S: one of
//	             a larger scale passes only when the digits it drops are
//	             zeros, and it must fit P digits, by the rules of decimal.go
//
// As for text, a NaN or infinite DOUBLE or FLOAT and a timestamp outside
// the years 0001 to 9999 are rejected.
//
// Reject line numbers are 1-based row numbers in the file.

// pqConv says how a Parquet column becomes a field's values.
type pqConv int

const (
	pqString pqConv = iota
	pqLong
	pqULong
	pqDouble
	pqFloat
	pqIntToDouble
	pqUIntToDouble
	pqDecimalInt
	pqDecimalBytes
	pqIntDecimal   // INT32, INT64 or DECIMAL on them, into a decimal
	pqUIntDecimal  // unsigned INT32 or INT64, into a decimal
	pqBytesDecimal // DECIMAL on a byte array, into a decimal
	pqBool
	pqDate
	pqInt96
	pqMillis
	pqMicros
	pqNanos
)

type pqColumn struct {
	field int // schema index
	conv  pqConv
	scale int32
}

type parquetReader struct {
	file    *parquet.File
	closer  io.Closer
	spooled string     // temporary file to remove
	cols    []pqColumn // by leaf column index; field -1 when ignored
	missing []int      // optional fields without a column
	rg      int
	rows    parquet.Rows
	buf     []parquet.Row
	n, i    int
	rowNum  int64
	text    []byte
}

// julianEpoch is the Julian day number of 1970-01-01.
const julianEpoch = 2440588

func openParquet(f *File, cfg catalog.FileConfig) (rd reader, err error) {
	p := &parquetReader{}
	defer func() {
		if r := recover(); r != nil {
			p.close()
			rd, err = nil, f.fileErr("corrupt Parquet file: %v", r)
		}
	}()
	if f.src.empty {
		f.setEmpty()
		return p, nil
	}
	ra, size, err := p.readerAt(f)
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		p.close()
		return nil, f.fileErr("not a Parquet file: %v", err)
	}
	p.file = pf
	if err := p.match(f); err != nil {
		p.close()
		return nil, err
	}
	p.buf = make([]parquet.Row, 256)
	return p, nil
}

// readerAt returns the delivery as an io.ReaderAt, using the caller's
// reader when it is one and nothing was decompressed, and a temporary copy
// otherwise.
func (p *parquetReader) readerAt(f *File) (io.ReaderAt, int64, error) {
	if ra, ok := f.src.seekable.(io.ReaderAt); ok {
		var size int64 = -1
		switch s := f.src.seekable.(type) {
		case interface{ Size() int64 }:
			size = s.Size()
		case interface{ Stat() (os.FileInfo, error) }:
			if st, err := s.Stat(); err == nil && st.Mode().IsRegular() {
				size = st.Size()
			}
		}
		if size >= 0 {
			f.src.raw.n.Store(size)
			f.src.text.n.Store(size)
			return ra, size, nil
		}
	}
	tmp, err := os.CreateTemp(f.opts.TempDir, "inlet-ingest-*.parquet")
	if err != nil {
		return nil, 0, fmt.Errorf("ingest: spool parquet: %w", err)
	}
	p.spooled, p.closer = tmp.Name(), tmp
	size, err := io.Copy(tmp, f.src)
	if err != nil {
		p.close()
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, 0, fe
		}
		return nil, 0, fmt.Errorf("ingest: spool parquet: %w", err)
	}
	return tmp, size, nil
}

// match maps the file's columns to the schema's fields.
func (p *parquetReader) match(f *File) error {
	root := p.file.Root()
	byField := make([]*parquet.Column, len(f.fields))
	for _, c := range root.Columns() {
		idx := -1
		for i := range f.fields {
			if strings.EqualFold(f.fields[i].Name, c.Name()) {
				idx = i
				break
			}
		}
		if idx < 0 {
			f.noteUnknown(c.Name())
			continue
		}
		if byField[idx] != nil {
			return f.fileErr("columns %q and %q both match field %q", byField[idx].Name(), c.Name(), f.fields[idx].Name)
		}
		byField[idx] = c
	}
	p.cols = make([]pqColumn, len(p.file.Schema().Columns()))
	for i := range p.cols {
		p.cols[i].field = -1
	}
	for i, c := range byField {
		fd := &f.fields[i]
		if c == nil {
			if fd.Required {
				return f.fileErr("required column %q is missing", fd.Name)
			}
			p.missing = append(p.missing, i)
			f.sum.MissingFields = append(f.sum.MissingFields, fd.Name)
			continue
		}
		if !c.Leaf() || c.Repeated() {
			return f.fileErr("column %q is nested or repeated; field %q is %s", c.Name(), fd.Name, fd.Type)
		}
		conv, scale, ok := pqConversion(c, fd.Type)
		if !ok {
			return f.fileErr("column %q is %s, which does not convert to %s", c.Name(), describeParquet(c), fd.Type)
		}
		p.cols[c.Index()] = pqColumn{field: i, conv: conv, scale: scale}
	}
	return nil
}

func describeParquet(c *parquet.Column) string {
	s := c.Type().Kind().String()
	if lt := c.Type().LogicalType(); lt != nil && lt.Value != nil {
		s += " " + lt.String()
	}
	return s
}

// pqConversion chooses how a column converts to a field type.
func pqConversion(c *parquet.Column, typ string) (pqConv, int32, bool) {
	kind := c.Type().Kind()
	var lt format.LogicalTypeValue
	if l := c.Type().LogicalType(); l != nil {
		lt = l.Value
	}
	switch catalog.BaseType(typ) {
	case catalog.TypeString:
		if kind == parquet.ByteArray || kind == parquet.FixedLenByteArray {
			switch lt.(type) {
			case nil, *format.StringType, *format.EnumType, *format.JsonType:
				return pqString, 0, true
			}
		}
	case catalog.TypeLong:
		if kind == parquet.Int32 || kind == parquet.Int64 {
			switch t := lt.(type) {
			case nil:
				return pqLong, 0, true
			case *format.IntType:
				if !t.IsSigned && t.BitWidth == 64 {
					return pqULong, 0, true
				}
				if !t.IsSigned && kind == parquet.Int32 {
					return pqULong, 0, true
				}
				return pqLong, 0, true
			}
		}
	case catalog.TypeDouble:
		if d, ok := lt.(*format.DecimalType); ok {
			if kind == parquet.Int32 || kind == parquet.Int64 {
				return pqDecimalInt, d.Scale, true
			}
			return pqDecimalBytes, d.Scale, true
		}
		switch kind {
		case parquet.Double:
			return pqDouble, 0, true
		case parquet.Float:
			return pqFloat, 0, true
		case parquet.Int32, parquet.Int64:
			switch t := lt.(type) {
			case nil:
				return pqIntToDouble, 0, true
			case *format.IntType:
				if !t.IsSigned {
					return pqUIntToDouble, 0, true
				}
				return pqIntToDouble, 0, true
			}
		}
	case catalog.TypeDecimal:
		switch t := lt.(type) {
		case *format.DecimalType:
			if kind == parquet.Int32 || kind == parquet.Int64 {
				return pqIntDecimal, t.Scale, true
			}
			return pqBytesDecimal, t.Scale, true
		case nil:
			if kind == parquet.Int32 || kind == parquet.Int64 {
				return pqIntDecimal, 0, true
			}
		case *format.IntType:
			if !t.IsSigned {
				return pqUIntDecimal, 0, true
			}
			return pqIntDecimal, 0, true
		}
	case catalog.TypeBoolean:
		if kind == parquet.Boolean {
			return pqBool, 0, true
		}
	case catalog.TypeDate:
		if _, ok := lt.(*format.DateType); ok && kind == parquet.Int32 {
			return pqDate, 0, true
		}
	case catalog.TypeTimestampTZ:
		if kind == parquet.Int96 {
			return pqInt96, 0, true
		}
		if t, ok := lt.(*format.TimestampType); ok && kind == parquet.Int64 {
			switch t.Unit.Value.(type) {
			case *format.MilliSeconds:
				return pqMillis, 0, true
			case *format.MicroSeconds:
				return pqMicros, 0, true
			case *format.NanoSeconds:
				return pqNanos, 0, true
			}
		}
	}
	return 0, 0, false
}

func (p *parquetReader) next(f *File, b *Batch) (err error) {
	if f.sum.Status == StatusEmpty {
		return io.EOF
	}
	defer func() {
		if r := recover(); r != nil {
			err = f.fileErr("corrupt Parquet file: %v", r)
		}
	}()
	for b.Rows < f.opts.BatchRows {
		if p.i == p.n {
			if err := p.read(); err != nil {
				if err == io.EOF {
					return io.EOF
				}
				return f.fileErr("read Parquet: %v", err)
			}
			continue
		}
		row := p.buf[p.i]
		p.i++
		p.rowNum++
		p.row(f, b, row)
	}
	return nil
}

// read fills p.buf with the next rows.
func (p *parquetReader) read() error {
	for {
		if p.rows == nil {
			groups := p.file.RowGroups()
			if p.rg == len(groups) {
				return io.EOF
			}
			p.rows = groups[p.rg].Rows()
			p.rg++
		}
		n, err := p.rows.ReadRows(p.buf)
		p.n, p.i = n, 0
		if err == io.EOF {
			p.rows.Close()
			p.rows = nil
			err = nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
}

func (p *parquetReader) row(f *File, b *Batch, row parquet.Row) {
	for _, v := range row {
		ci := v.Column()
		if ci < 0 || ci >= len(p.cols) || p.cols[ci].field < 0 {
			continue
		}
		pc := p.cols[ci]
		c := &b.Columns[pc.field]
		fd := &f.fields[pc.field]
		if r := p.value(c, fd, pc, v); r != "" {
			b.rollback()
			f.reject(b, p.rowNum, fd.Name, p.text, r)
			return
		}
	}
	for _, i := range p.missing {
		appendNull(&b.Columns[i], &f.fields[i])
	}
	b.Rows++
}

// unsigned reads an INT32 or INT64 value of an unsigned column: its bits
// are the number's, which a signed reading would turn negative above the
// signed maximum.
func unsigned(v parquet.Value) uint64 {
	if v.Kind() == parquet.Int32 {
		return uint64(v.Uint32())
	}
	return v.Uint64()
}

// value converts one Parquet value. p.text is left holding the value's
// text for a reject.
func (p *parquetReader) value(c *Column, fd *field, pc pqColumn, v parquet.Value) string {
	p.text = p.text[:0]
	if v.IsNull() {
		return appendNull(c, fd)
	}
	switch pc.conv {
	case pqString:
		p.text = append(p.text, v.ByteArray()...)
		return appendText(c, fd, v.ByteArray())
	case pqLong:
		return appendLong(c, fd, v.Int64(), &p.text)
	case pqULong:
		u := unsigned(v)
		if u > math.MaxInt64 {
			p.text = strconv.AppendUint(p.text, u, 10)
			return reasonLongRange
		}
		return appendLong(c, fd, int64(u), &p.text)
	case pqDouble:
		return appendDouble(c, fd, v.Double(), &p.text)
	case pqFloat:
		return appendDouble(c, fd, float64(v.Float()), &p.text)
	case pqIntToDouble:
		return appendDouble(c, fd, float64(v.Int64()), &p.text)
	case pqUIntToDouble:
		return appendDouble(c, fd, float64(unsigned(v)), &p.text)
	case pqDecimalInt:
		x, r := decimalToDouble(strconv.FormatInt(v.Int64(), 10), pc.scale)
		if r != "" {
			return r
		}
		return appendDouble(c, fd, x, &p.text)
	case pqDecimalBytes:
		x, r := decimalToDouble(bigEndianSigned(v.ByteArray()), pc.scale)
		if r != "" {
			return r
		}
		return appendDouble(c, fd, x, &p.text)
	case pqIntDecimal:
		x := v.Int64()
		if r := appendDecimal(c, fd, intDecimal(x < 0, absInt64(x), int(pc.scale))); r != "" {
			p.text = catalog.AppendDecimal(p.text, x, int(pc.scale))
			return r
		}
		return ""
	case pqUIntDecimal:
		u := unsigned(v)
		if r := appendDecimal(c, fd, intDecimal(false, u, 0)); r != "" {
			p.text = strconv.AppendUint(p.text, u, 10)
			return r
		}
		return ""
	case pqBytesDecimal:
		return p.bytesDecimal(c, fd, v.ByteArray(), int(pc.scale))
	case pqBool:
		return appendBool(c, fd, v.Boolean(), &p.text)
	case pqDate:
		return appendDays(c, fd, v.Int32(), &p.text)
	case pqInt96:
		q := v.Int96()
		nanos := uint64(q[0]) | uint64(q[1])<<32
		if nanos >= 86400*1e9 {
			p.text = strconv.AppendUint(p.text, nanos, 10)
			return "INT96 nanoseconds of day out of range"
		}
		days := int64(q[2]) - julianEpoch
		if days < minMicros/86400_000_000-1 || days > maxMicros/86400_000_000+1 {
			// Refused before the product below, which can overflow
			// this far out.
			p.text = strconv.AppendUint(append(p.text, "Julian day "...), uint64(q[2]), 10)
			return reasonTimeRange
		}
		return appendMicros(c, fd, days*86400_000_000+int64(nanos/1000), &p.text)
	case pqMillis:
		ms := v.Int64()
		if ms > math.MaxInt64/1000 || ms < math.MinInt64/1000 {
			p.text = strconv.AppendInt(p.text, ms, 10)
			return reasonTimeRange
		}
		return appendMicros(c, fd, ms*1000, &p.text)
	case pqMicros:
		return appendMicros(c, fd, v.Int64(), &p.text)
	case pqNanos:
		ns := v.Int64()
		us := ns / 1000
		if ns%1000 < 0 {
			us--
		}
		return appendMicros(c, fd, us, &p.text)
	}
	return "unsupported value"
}

// bytesDecimal appends a DECIMAL held in a byte array: its unscaled
// value, big-endian two's complement, up to 8 bytes in an int64 and wider
// ones through math/big.
func (p *parquetReader) bytesDecimal(c *Column, fd *field, b []byte, scale int) string {
	var n decNum
	var x int64
	small := len(b) <= 8
	if small {
		for _, c := range b {
			x = x<<8 | int64(c)
		}
		if len(b) > 0 && len(b) < 8 && b[0]&0x80 != 0 {
			x -= 1 << (8 * len(b)) // sign-extend
		}
		n = intDecimal(x < 0, absInt64(x), scale)
	} else {
		n = bigDecimal(signedBig(b), scale)
	}
	r := appendDecimal(c, fd, n)
	if r != "" {
		if small {
			p.text = catalog.AppendDecimal(p.text, x, scale)
		} else {
			p.text = catalog.AppendScaled(p.text, []byte(bigEndianSigned(b)), scale)
		}
	}
	return r
}

// decimalToDouble reads an unscaled decimal integer with a scale as the
// nearest double.
func decimalToDouble(unscaled string, scale int32) (float64, string) {
	x, err := strconv.ParseFloat(unscaled+"e"+strconv.Itoa(int(-scale)), 64)
	if err != nil {
		return 0, reasonDoubleRange
	}
	return x, ""
}

// bigEndianSigned renders a big-endian two's complement integer in
// decimal.
func bigEndianSigned(b []byte) string {
	return signedBig(b).String()
}

// signedBig reads a big-endian two's complement integer.
func signedBig(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		var m big.Int
		m.Lsh(big.NewInt(1), uint(8*len(b)))
		x.Sub(x, &m)
	}
	return x
}

func (p *parquetReader) close() error {
	if p.rows != nil {
		p.rows.Close()
		p.rows = nil
	}
	var err error
	if p.closer != nil {
		err = p.closer.Close()
		p.closer = nil
	}
	if p.spooled != "" {
		os.Remove(p.spooled)
		p.spooled = ""
	}
	return err
}
