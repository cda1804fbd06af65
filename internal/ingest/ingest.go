// Package ingest turns the bytes of one delivered file into typed, checked
// column batches plus rejects. It knows the dataset's schema and file
// configuration (package catalog) and nothing of buckets, tables or runs:
// the caller lists files, calls [Open] and [File.Next], and writes what it
// gets.
//
// Reading rules:
//
//   - Compression: gzip (also multi-member) and zstd, by the file's magic
//     bytes, or by its extension (.gz, .gzip, .zst, .zstd) when the
//     configuration says auto. A name promising compression with content
//     that is not compressed is a file error.
//   - Encoding: UTF-8 with or without a byte-order mark (stripped). A UTF-16
//     or UTF-32 byte-order mark, or a NUL byte in the first 64 KiB of a
//     text file, is a file error. Invalid UTF-8 in a string value rejects
//     its row.
//   - A zero-byte file, or a compressed one that holds no bytes, has status
//     "empty" and no rows; it is not an error.
//   - Delimited files: see delimited.go. A header is matched to the schema
//     by name, case-sensitively (a case-only difference is treated like a
//     rename); a reordered header is mapped by name. Blank lines are
//     skipped.
//   - JSON Lines: one object per line, keys matched case-sensitively; keys
//     the schema lacks are reported in [Summary.UnknownFields]; a value of
//     the wrong JSON kind is rejected, never coerced.
//   - Parquet: columns are matched to the schema by name ignoring case.
//   - Values are never trimmed. A timestamp without an offset is taken as
//     UTC. Fractions finer than a microsecond are cut toward negative
//     infinity, never rounded. A timestamp must fall in the years 0001 to
//     9999 once in UTC, in every format, so that its RFC 3339 text can be
//     read back; a date, in the years 0000 to 9999 (YYYY-MM-DD).
//   - Doubles are finite in every format: NaN is "not a number" and an
//     infinity (or a decimal beyond the double range) "out of range for
//     double", whether it comes as text or as a Parquet value.
//   - Decimals, decimal(P,S), are read exactly and kept only when the
//     column holds them exactly: see decimal.go.
//   - Validations: enum and regex apply to a value's text as delivered (for
//     Parquet, its canonical text), min and max to longs, doubles and
//     decimals, min_length and max_length to strings, counted in
//     characters. A long or a decimal is compared with min and max
//     exactly, as an integer (a decimal's unscaled value).
//
// A file-level failure (a header that does not match, a truncated gzip
// stream, ...) is returned by [File.Next] as a *[FileError] and recorded in
// the summary; rows of earlier batches of that file must then be dropped
// by the caller, since a file loads whole or not at all.
package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"inlet/internal/catalog"
)

// MaxRecordBytes is the default limit on one record (a delimited record or
// a JSON line, without its line terminator). A longer record is rejected
// and reading goes on after it.
const MaxRecordBytes = 16 << 20

// DefaultBatchRows is the default number of rows in a batch.
const DefaultBatchRows = 8192

// maxBatchBytes bounds the string bytes of a batch, so that offsets fit in
// int32 and memory stays bounded whatever the row width.
const maxBatchBytes = 64 << 20

// maxRejectValue is how many bytes of a rejected value are kept.
const maxRejectValue = 100

// maxSummaryRejects is how many rejects the summary keeps.
const maxSummaryRejects = 100

// Statuses of a file.
const (
	StatusOK     = "ok"
	StatusEmpty  = "empty"
	StatusFailed = "failed"
)

// Options tune reading. The zero value gives the defaults.
type Options struct {
	// MaxRecordBytes limits one record; 0 means [MaxRecordBytes].
	MaxRecordBytes int
	// BatchRows is the most rows a batch holds; 0 means
	// [DefaultBatchRows].
	BatchRows int
	// BufferBytes is the read buffer for text files; 0 means 1 MiB.
	BufferBytes int
	// TempDir is where a Parquet delivery that is compressed or not
	// seekable is spooled; empty means os.TempDir().
	TempDir string
}

// FileError is a problem with a file as a whole: none of its rows load.
type FileError struct {
	File   string
	Reason string
}

// Error returns "file: reason".
func (e *FileError) Error() string { return e.File + ": " + e.Reason }

// Reject is a row that did not load.
type Reject struct {
	File   string `json:"file"`
	Line   int64  `json:"line"`            // physical line where the record starts, 1-based; row number for Parquet
	Lines  int64  `json:"lines,omitempty"` // physical lines of a record rejected whole that spans more than one
	Field  string `json:"field,omitempty"` // empty when the record as a whole is wrong
	Value  string `json:"value"`           // the offending value, at most 100 bytes of valid UTF-8
	Reason string `json:"reason"`
}

// Summary is the outcome of one file, for the run's receipt.
type Summary struct {
	File              string   `json:"file"`
	ETag              string   `json:"etag,omitempty"` // the delivered object's ETag, set by the caller that read it
	Format            string   `json:"format"`
	Compression       string   `json:"compression"`      // none, gzip or zstd
	Status            string   `json:"status"`           // ok, empty or failed
	Reason            string   `json:"reason,omitempty"` // why empty or failed
	RowsAccepted      int64    `json:"rows_accepted"`
	RowsRejected      int64    `json:"rows_rejected"`            // a reject of several lines counts each (see [Batch.RejectedRows])
	BytesRead         int64    `json:"bytes_read"`               // bytes as delivered (compressed)
	BytesDecompressed int64    `json:"bytes_decompressed"`       // bytes after decompression
	BlankLines        int64    `json:"blank_lines,omitempty"`    // blank lines skipped
	UnknownFields     []string `json:"unknown_fields,omitempty"` // JSON keys or Parquet columns the schema lacks, sorted
	MissingFields     []string `json:"missing_fields,omitempty"` // optional fields a Parquet file has no column for
	Warnings          []string `json:"warnings,omitempty"`       // what the caller noticed (e.g. content already ingested under another name)
	FirstRejects      []Reject `json:"first_rejects,omitempty"`  // the first 100 rejects
}

// Column is one field's values in a batch. Values are dense: row i of the
// batch is at index i of the typed slice, whatever its validity, and a
// NULL row holds a zero value. Only the slice of the field's type is used:
//
//	string       Bytes and Offsets (value i is Bytes[Offsets[i]:Offsets[i+1]])
//	long         Int64
//	double       Float64
//	boolean      Bool
//	date         Int32, days since 1970-01-01
//	timestamptz  Int64, microseconds since 1970-01-01T00:00:00Z
//	decimal(P,S) Int64, the unscaled value (12.50 in decimal(12,2) is 1250)
//
// Type is the field's type name, decimal(P,S) in full for a decimal.
type Column struct {
	Name    string
	Type    string
	Valid   []bool // false: NULL
	Bytes   []byte
	Offsets []int32
	Int64   []int64
	Float64 []float64
	Bool    []bool
	Int32   []int32
}

// String returns value i of a string column. It allocates; writers should
// slice Bytes instead.
func (c *Column) String(i int) string {
	return string(c.Bytes[c.Offsets[i]:c.Offsets[i+1]])
}

// Batch is a group of accepted rows, column by column in schema order,
// with the rejects met while reading them. A batch and its slices are
// reused by the next call to [File.Next].
type Batch struct {
	Rows    int
	Columns []Column
	Rejects []Reject
}

// RejectedRows is how many rows the batch's rejects count for: one each,
// but a record rejected whole that spans several lines counts one per
// line, since a stray quote can run a record over lines that were rows.
// The reject ratio is computed with it.
func (b *Batch) RejectedRows() int64 {
	var n int64
	for i := range b.Rejects {
		n += max(1, b.Rejects[i].Lines)
	}
	return n
}

func (b *Batch) reset() {
	b.Rows = 0
	b.Rejects = b.Rejects[:0]
	for i := range b.Columns {
		c := &b.Columns[i]
		c.Valid = c.Valid[:0]
		c.Bytes = c.Bytes[:0]
		c.Offsets = append(c.Offsets[:0], 0)
		c.Int64 = c.Int64[:0]
		c.Float64 = c.Float64[:0]
		c.Bool = c.Bool[:0]
		c.Int32 = c.Int32[:0]
	}
}

// rollback drops the partly appended values of row b.Rows.
func (b *Batch) rollback() {
	n := b.Rows
	for i := range b.Columns {
		c := &b.Columns[i]
		if len(c.Valid) == n {
			continue
		}
		c.Valid = c.Valid[:n]
		switch catalog.BaseType(c.Type) {
		case catalog.TypeString:
			c.Offsets = c.Offsets[:n+1]
			c.Bytes = c.Bytes[:c.Offsets[n]]
		case catalog.TypeLong, catalog.TypeTimestampTZ, catalog.TypeDecimal:
			c.Int64 = c.Int64[:n]
		case catalog.TypeDouble:
			c.Float64 = c.Float64[:n]
		case catalog.TypeBoolean:
			c.Bool = c.Bool[:n]
		case catalog.TypeDate:
			c.Int32 = c.Int32[:n]
		}
	}
}

// drop removes rows (ascending indexes) from every column.
func (b *Batch) drop(rows []int) {
	keep := func(i int) bool {
		_, found := slices.BinarySearch(rows, i)
		return !found
	}
	for ci := range b.Columns {
		c := &b.Columns[ci]
		c.Valid = dropRows(c.Valid, keep)
		switch catalog.BaseType(c.Type) {
		case catalog.TypeString:
			var bytesOut []byte
			offs := []int32{0}
			for i := 0; i+1 < len(c.Offsets); i++ {
				if keep(i) {
					bytesOut = append(bytesOut, c.Bytes[c.Offsets[i]:c.Offsets[i+1]]...)
					offs = append(offs, int32(len(bytesOut)))
				}
			}
			c.Bytes = append(c.Bytes[:0], bytesOut...)
			c.Offsets = append(c.Offsets[:0], offs...)
		case catalog.TypeLong, catalog.TypeTimestampTZ, catalog.TypeDecimal:
			c.Int64 = dropRows(c.Int64, keep)
		case catalog.TypeDouble:
			c.Float64 = dropRows(c.Float64, keep)
		case catalog.TypeBoolean:
			c.Bool = dropRows(c.Bool, keep)
		case catalog.TypeDate:
			c.Int32 = dropRows(c.Int32, keep)
		}
	}
	b.Rows -= len(rows)
}

// dropRows keeps the values whose index keep accepts, in place.
func dropRows[T any](v []T, keep func(int) bool) []T {
	w := 0
	for i := range v {
		if keep(i) {
			v[w] = v[i]
			w++
		}
	}
	return v[:w]
}

func (b *Batch) stringBytes() int {
	n := 0
	for i := range b.Columns {
		n += len(b.Columns[i].Bytes)
	}
	return n
}

// Field kinds, to switch on without comparing type names.
const (
	kString uint8 = iota
	kLong
	kDouble
	kBool
	kDate
	kTimestamp
	kDecimal
)

var kinds = map[string]uint8{
	catalog.TypeString: kString, catalog.TypeLong: kLong, catalog.TypeDouble: kDouble,
	catalog.TypeBoolean: kBool, catalog.TypeDate: kDate, catalog.TypeTimestampTZ: kTimestamp,
}

// field is a schema field with its checks compiled.
type field struct {
	catalog.Field
	kind     uint8
	enum     map[string]struct{}
	enumList []string // the enum, when it is short
	enumText string
	re       *regexp.Regexp
	min, max *float64
	minLen   int // -1: none
	maxLen   int // -1: none

	// For a decimal field, its precision and scale.
	prec, scale int

	// For a long field, min and max as integers, which compare exactly
	// where a long converted to float64 would be rounded (above 2^53): a
	// value passes when lmin <= v <= lmax. noneMin (noneMax) says no long
	// is at or above min (at or below max). A decimal field has them too,
	// as unscaled values.
	lmin, lmax       int64
	noneMin, noneMax bool
	minText, maxText string
}

// compileFields checks the schema and compiles its validations once per
// file.
func compileFields(fields []catalog.Field) ([]field, error) {
	if len(fields) == 0 {
		return nil, errors.New("ingest: schema has no fields")
	}
	out := make([]field, len(fields))
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		c := field{Field: f, minLen: -1, maxLen: -1}
		kind, ok := kinds[f.Type]
		if catalog.BaseType(f.Type) == catalog.TypeDecimal {
			kind, ok = kDecimal, decimalField(&c)
		}
		if !ok {
			return nil, fmt.Errorf("ingest: field %q: unknown type %q", f.Name, f.Type)
		}
		c.kind = kind
		if seen[f.Name] {
			return nil, fmt.Errorf("ingest: field %q appears twice", f.Name)
		}
		seen[f.Name] = true
		if v := f.Validations; v != nil {
			if len(v.Enum) > 0 {
				c.enum = make(map[string]struct{}, len(v.Enum))
				for _, e := range v.Enum {
					c.enum[e] = struct{}{}
				}
				c.enumText = fmt.Sprint(v.Enum)
				if len(v.Enum) <= 8 {
					c.enumList = v.Enum
				}
			}
			if v.Regex != "" {
				re, err := regexp.Compile(v.Regex)
				if err != nil {
					return nil, fmt.Errorf("ingest: field %q: regex: %w", f.Name, err)
				}
				c.re = re
			}
			c.min, c.max = v.Min, v.Max
			c.minText, c.maxText = v.MinText(), v.MaxText()
			if kind == kDecimal {
				c.compileDecimalBounds()
			} else {
				c.compileBounds()
			}
			if v.MinLength != nil {
				c.minLen = *v.MinLength
			}
			if v.MaxLength != nil {
				c.maxLen = *v.MaxLength
			}
		}
		out[i] = c
	}
	return out, nil
}

// checkText applies the checks on a value's text: enum and regex.
func (f *field) checkText(text []byte) string {
	if f.enum != nil {
		if !f.inEnum(text) {
			return "not in enum " + f.enumText
		}
	}
	if f.re != nil && !f.re.Match(text) {
		return "does not match regex " + f.re.String()
	}
	return ""
}

// inEnum tells whether text is one of the enum's values. A short list is
// searched in order, which beats hashing every value.
func (f *field) inEnum(text []byte) bool {
	if f.enumList != nil {
		for _, e := range f.enumList {
			if string(text) == e {
				return true
			}
		}
		return false
	}
	_, ok := f.enum[string(text)]
	return ok
}

// compileBounds prepares min and max for a long field: their integer
// form, from the bound's exact text (a long bound past 2^53 is not a
// float64). A long v is at least min exactly when it is at least
// ceil(min), and at most max when at most floor(max). A double field
// compares with the float64s.
func (f *field) compileBounds() {
	f.lmin, f.lmax = math.MinInt64, math.MaxInt64
	f.integerBounds(0)
}

// integerBounds sets lmin and lmax to min × 10^scale rounded up and max ×
// 10^scale rounded down, from their exact text, with noneMin (noneMax)
// when no int64 is at or above min (at or below max).
func (f *field) integerBounds(scale int) {
	if f.min != nil {
		lo, ok := scaledBound(f.minText, scale, true)
		switch {
		case !ok && lo.Sign() > 0:
			f.noneMin = true
		case ok:
			f.lmin = lo.Int64()
		}
	}
	if f.max != nil {
		hi, ok := scaledBound(f.maxText, scale, false)
		switch {
		case !ok && hi.Sign() < 0:
			f.noneMax = true
		case ok:
			f.lmax = hi.Int64()
		}
	}
}

// checkNumber applies min and max to a double.
func (f *field) checkNumber(v float64) string {
	if f.min != nil && v < *f.min {
		return "below min " + f.minText
	}
	if f.max != nil && v > *f.max {
		return "above max " + f.maxText
	}
	return ""
}

// checkLong applies min and max to a long, or to a decimal's unscaled
// value, exactly.
func (f *field) checkLong(v int64) string {
	if f.min != nil && (v < f.lmin || f.noneMin) {
		return "below min " + f.minText
	}
	if f.max != nil && (v > f.lmax || f.noneMax) {
		return "above max " + f.maxText
	}
	return ""
}

// checkFinite refuses NaN and the infinities, with the reasons the text
// parser gives for "NaN" and for a decimal beyond the double range.
func checkFinite(v float64) string {
	switch {
	case v != v:
		return reasonNotNumber
	case v > math.MaxFloat64 || v < -math.MaxFloat64:
		return reasonDoubleRange
	}
	return ""
}

// checkLength applies min_length and max_length, in characters.
func (f *field) checkLength(s []byte) string {
	if f.minLen < 0 && f.maxLen < 0 {
		return ""
	}
	// A character is 1 to 4 bytes: often the byte length decides alone.
	if (f.minLen < 0 || len(s) >= 4*f.minLen) && (f.maxLen < 0 || len(s) <= f.maxLen) {
		return ""
	}
	n := utf8.RuneCount(s)
	if f.minLen >= 0 && n < f.minLen {
		return "shorter than min_length " + strconv.Itoa(f.minLen)
	}
	if f.maxLen >= 0 && n > f.maxLen {
		return "longer than max_length " + strconv.Itoa(f.maxLen)
	}
	return ""
}

// appendPlaceholder appends a NULL to column c of field f, required or
// not: it holds the place of a value that failed, until its row is
// dropped.
func appendPlaceholder(c *Column, f *field) {
	c.Valid = append(c.Valid, false)
	switch f.kind {
	case kString:
		c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
	case kLong, kTimestamp, kDecimal:
		c.Int64 = append(c.Int64, 0)
	case kDouble:
		c.Float64 = append(c.Float64, 0)
	case kBool:
		c.Bool = append(c.Bool, false)
	case kDate:
		c.Int32 = append(c.Int32, 0)
	}
}

// appendNull appends a NULL to column c of field f.
func appendNull(c *Column, f *field) string {
	if f.Required {
		return "required field is empty"
	}
	appendPlaceholder(c, f)
	return ""
}

// appendText parses a non-NULL value from its text, checks it and appends
// it to column c. It returns the reason of a reject, or "". The type comes
// first, then enum and regex on the text, then range and length.
func appendText(c *Column, f *field, text []byte) string {
	checkText := f.enum != nil || f.re != nil
	switch f.kind {
	case kString:
		return appendString(c, f, text, false)
	case kDecimal:
		// Enum and regex do not apply to decimals (the catalog refuses
		// them): a decimal's text has many spellings.
		return appendDecimalText(c, f, text)
	case kLong:
		v, r := parseLong(text)
		if r == "" && checkText {
			r = f.checkText(text)
		}
		if r == "" && (f.min != nil || f.max != nil) {
			r = f.checkLong(v)
		}
		if r != "" {
			return r
		}
		c.Int64 = append(c.Int64, v)
	case kDouble:
		v, r := parseDouble(text)
		if r == "" && checkText {
			r = f.checkText(text)
		}
		if r == "" && (f.min != nil || f.max != nil) {
			r = f.checkNumber(v)
		}
		if r != "" {
			return r
		}
		c.Float64 = append(c.Float64, v)
	case kBool:
		v, r := parseBool(text)
		if r == "" && checkText {
			r = f.checkText(text)
		}
		if r != "" {
			return r
		}
		c.Bool = append(c.Bool, v)
	case kDate:
		v, r := parseDate(text)
		if r == "" && checkText {
			r = f.checkText(text)
		}
		if r != "" {
			return r
		}
		c.Int32 = append(c.Int32, v)
	case kTimestamp:
		v, r := parseTimestamp(text)
		if r == "" && checkText {
			r = f.checkText(text)
		}
		if r != "" {
			return r
		}
		c.Int64 = append(c.Int64, v)
	}
	c.Valid = append(c.Valid, true)
	return ""
}

// appendString is appendText for a string; utf8 says text is known to be
// valid UTF-8 already.
func appendString(c *Column, f *field, text []byte, utf8OK bool) string {
	if !utf8OK && !utf8.Valid(text) {
		return "invalid UTF-8"
	}
	if f.enum != nil || f.re != nil {
		if r := f.checkText(text); r != "" {
			return r
		}
	}
	if r := f.checkLength(text); r != "" {
		return r
	}
	c.Bytes = append(c.Bytes, text...)
	c.Offsets = append(c.Offsets, int32(len(c.Bytes)))
	c.Valid = append(c.Valid, true)
	return ""
}

// isASCII tells whether b is all ASCII (and so valid UTF-8), eight bytes
// at a time.
func isASCII(b []byte) bool {
	var acc uint64
	for len(b) >= 8 {
		acc |= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	for _, c := range b {
		acc |= uint64(c)
	}
	return acc&0x8080808080808080 == 0
}

// rejectValue makes a value fit a reject: valid UTF-8, at most 100 bytes,
// cut on a character boundary.
func rejectValue(b []byte) string {
	s := strings.ToValidUTF8(string(b[:min(len(b), 4*maxRejectValue)]), "\uFFFD")
	if len(s) <= maxRejectValue {
		return s
	}
	n := maxRejectValue
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// reader fills batches for one format.
type reader interface {
	// next appends rows and rejects to b until it is full or the file
	// ends (io.EOF, possibly with rows).
	next(f *File, b *Batch) error
	close() error
}

// File is an open delivered file. It is not safe for concurrent use.
type File struct {
	name    string
	fields  []field
	opts    Options
	sum     Summary
	batches [2]Batch // Next fills them in turn
	turn    int
	rd      reader
	src     *source
	err     error // sticky: io.EOF or the failure
	unknown map[string]struct{}
}

// Open starts reading one delivered file, named name (its key or path; the
// extension matters for compression), against a dataset's fields and file
// configuration. It fails only when the schema or configuration is
// unusable; problems of the file itself come from [File.Next]. A
// compressed file is decompressed by a goroutine a few MiB ahead of the
// parser; the caller must Close the file, which stops it. Close does not
// close r.
func Open(r io.Reader, name string, fields []catalog.Field, cfg catalog.FileConfig, opts Options) (*File, error) {
	fs, err := compileFields(fields)
	if err != nil {
		return nil, err
	}
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = MaxRecordBytes
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.BufferBytes <= 0 {
		opts.BufferBytes = 1 << 20
	}
	f := &File{name: name, fields: fs, opts: opts}
	f.sum = Summary{File: name, Format: cfg.Format, Status: StatusOK}
	for j := range f.batches {
		f.batches[j].Columns = make([]Column, len(fs))
		for i := range fs {
			f.batches[j].Columns[i] = Column{Name: fs[i].Name, Type: fs[i].Type}
		}
	}
	var open func(*File, catalog.FileConfig) (reader, error)
	switch cfg.Format {
	case catalog.FormatCSV, catalog.FormatTSV, catalog.FormatDelimited:
		open = openDelimited
	case catalog.FormatJSONL:
		open = openJSONL
	case catalog.FormatParquet:
		open = openParquet
	default:
		return nil, fmt.Errorf("ingest: unknown format %q", cfg.Format)
	}
	f.src, err = newSource(r, name, cfg.Compression, cfg.Format != catalog.FormatParquet)
	if err != nil {
		return nil, err
	}
	f.sum.Compression = f.src.compression
	if f.src.err != nil {
		f.fail(f.src.err)
		return f, nil
	}
	if f.src.empty {
		f.setEmpty()
		f.err = io.EOF
		return f, nil
	}
	rd, err := open(f, cfg)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			f.fail(err)
			return f, nil
		}
		f.src.close()
		return nil, err
	}
	f.rd = rd
	return f, nil
}

// Name returns the file's name as given to Open.
func (f *File) Name() string { return f.name }

// Next returns the next batch of rows. It returns io.EOF after the last
// one, and a *FileError when the file fails as a whole. A batch may hold
// rejects and no rows. A batch with rows stays valid until the second
// call after the one that returned it, however many batches without rows
// come between, so that a writer may encode one batch while the next is
// read; a batch without rows, until the next call.
func (f *File) Next() (*Batch, error) {
	if f.err != nil {
		return nil, f.err
	}
	b := &f.batches[f.turn]
	b.reset()
	err := f.rd.next(f, b)
	if b.Rows > 0 {
		// The next call fills the other batch; a batch of rejects only is
		// done with by then and is refilled.
		f.turn ^= 1
	}
	f.sum.RowsAccepted += int64(b.Rows)
	if err != nil {
		if err == io.EOF {
			f.finish()
			if b.Rows > 0 || len(b.Rejects) > 0 {
				f.err = io.EOF
				return b, nil
			}
			return nil, io.EOF
		}
		return nil, f.fail(err)
	}
	return b, nil
}

// reject records a rejected row.
func (f *File) reject(b *Batch, line int64, fieldName string, value []byte, reason string) {
	f.addReject(b, Reject{File: f.name, Line: line, Field: fieldName, Value: rejectValue(value), Reason: reason})
}

// rejectRecord records a record rejected whole, which spans lines
// physical lines; each counts as a rejected row.
func (f *File) rejectRecord(b *Batch, line, lines int64, value []byte, reason string) {
	rj := Reject{File: f.name, Line: line, Value: rejectValue(value), Reason: reason}
	if lines > 1 {
		rj.Lines = lines
	}
	f.addReject(b, rj)
}

func (f *File) addReject(b *Batch, rj Reject) {
	b.Rejects = append(b.Rejects, rj)
	f.sum.RowsRejected += max(1, rj.Lines)
	if len(f.sum.FirstRejects) < maxSummaryRejects {
		f.sum.FirstRejects = append(f.sum.FirstRejects, rj)
	}
}

// noteUnknown records a field name the schema lacks.
func (f *File) noteUnknown(name string) {
	if f.unknown == nil {
		f.unknown = make(map[string]struct{})
	}
	if _, ok := f.unknown[name]; ok {
		return
	}
	f.unknown[name] = struct{}{}
	f.sum.UnknownFields = append(f.sum.UnknownFields, name)
	slices.Sort(f.sum.UnknownFields)
}

// fail records a file-level failure and returns it as a *FileError.
func (f *File) fail(err error) error {
	var fe *FileError
	if !errors.As(err, &fe) {
		fe = &FileError{File: f.name, Reason: err.Error()}
	}
	f.err = fe
	f.sum.Status = StatusFailed
	f.sum.Reason = fe.Reason
	f.finish()
	return fe
}

// fileErr makes a *FileError for this file.
func (f *File) fileErr(format string, args ...any) error {
	return &FileError{File: f.name, Reason: fmt.Sprintf(format, args...)}
}

// setEmpty marks the file as empty.
func (f *File) setEmpty() {
	f.sum.Status = StatusEmpty
	f.sum.Reason = "empty file"
}

func (f *File) finish() {
	if f.src != nil {
		f.sum.BytesRead = f.src.raw.n.Load()
		f.sum.BytesDecompressed = f.src.text.n.Load()
	}
}

// Summary returns the file's outcome so far; after Next returned io.EOF or
// an error, it is final.
func (f *File) Summary() Summary {
	f.finish()
	s := f.sum
	s.UnknownFields = slices.Clone(s.UnknownFields)
	s.MissingFields = slices.Clone(s.MissingFields)
	s.FirstRejects = slices.Clone(s.FirstRejects)
	return s
}

// Close releases the file's decoders and spooled data.
func (f *File) Close() error {
	var err error
	if f.rd != nil {
		err = f.rd.close()
	}
	if f.src != nil {
		if e := f.src.close(); err == nil {
			err = e
		}
	}
	return err
}

// Typed appenders, for values that arrive typed (Parquet). Each renders
// the value's text into *text when a check needs it or the value is
// rejected.

func appendLong(c *Column, f *field, v int64, text *[]byte) string {
	if f.enum != nil || f.re != nil {
		*text = strconv.AppendInt((*text)[:0], v, 10)
		if r := f.checkText(*text); r != "" {
			return r
		}
	}
	if r := f.checkLong(v); r != "" {
		*text = strconv.AppendInt((*text)[:0], v, 10)
		return r
	}
	c.Int64 = append(c.Int64, v)
	c.Valid = append(c.Valid, true)
	return ""
}

func appendDouble(c *Column, f *field, v float64, text *[]byte) string {
	if r := checkFinite(v); r != "" {
		*text = strconv.AppendFloat((*text)[:0], v, 'f', -1, 64)
		return r
	}
	if f.enum != nil || f.re != nil {
		*text = strconv.AppendFloat((*text)[:0], v, 'f', -1, 64)
		if r := f.checkText(*text); r != "" {
			return r
		}
	}
	if r := f.checkNumber(v); r != "" {
		*text = strconv.AppendFloat((*text)[:0], v, 'f', -1, 64)
		return r
	}
	c.Float64 = append(c.Float64, v)
	c.Valid = append(c.Valid, true)
	return ""
}

func appendBool(c *Column, f *field, v bool, text *[]byte) string {
	if f.enum != nil || f.re != nil {
		*text = strconv.AppendBool((*text)[:0], v)
		if r := f.checkText(*text); r != "" {
			return r
		}
	}
	c.Bool = append(c.Bool, v)
	c.Valid = append(c.Valid, true)
	return ""
}

func appendDays(c *Column, f *field, v int32, text *[]byte) string {
	if v < minDays || v > maxDays {
		*text = time.Unix(int64(v)*86400, 0).UTC().AppendFormat((*text)[:0], time.DateOnly)
		return reasonDateRange
	}
	if f.enum != nil || f.re != nil {
		*text = time.Unix(int64(v)*86400, 0).UTC().AppendFormat((*text)[:0], time.DateOnly)
		if r := f.checkText(*text); r != "" {
			return r
		}
	}
	c.Int32 = append(c.Int32, v)
	c.Valid = append(c.Valid, true)
	return ""
}

func appendMicros(c *Column, f *field, v int64, text *[]byte) string {
	if v < minMicros || v > maxMicros {
		*text = time.UnixMicro(v).UTC().AppendFormat((*text)[:0], "2006-01-02T15:04:05.999999Z07:00")
		return reasonTimeRange
	}
	if f.enum != nil || f.re != nil {
		*text = time.UnixMicro(v).UTC().AppendFormat((*text)[:0], "2006-01-02T15:04:05.999999Z07:00")
		if r := f.checkText(*text); r != "" {
			return r
		}
	}
	c.Int64 = append(c.Int64, v)
	c.Valid = append(c.Valid, true)
	return ""
}
