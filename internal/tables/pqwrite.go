package tables

// A Parquet writer for inlet's flat tables, fed in column batches.
//
// Written by hand because no Go library writes Parquet from typed column
// batches without a per-value cost: arrow-go's writer (what iceberg-go
// uses) spent about 0.4 s per 100 MB of CSV input on top of parsing, most
// of it outside compression, and parquet-go writes boxed values. Here a
// batch's values are copied into PLAIN pages in bulk, definition levels
// are the validity bitmap itself (a bit-packed run of the RLE/bit-packing
// hybrid), and pages are compressed by worker goroutines while the caller
// goes on reading. The file's metadata (page headers, footer) is
// parquet-go's own Thrift model and encoder, so only the data pages are
// laid out here.
//
// A decimal(P,S) column is INT64 with the DECIMAL(P,S) logical type: its
// unscaled values, which P <= 18 keeps in 64 bits, are written as they
// come in the batch, and its statistics are those of the integers, whose
// order is the decimals' at one scale.
//
// Layout: format v2 data pages, PLAIN values (every column is a primitive
// at the top level, so there are no repetition levels), one column chunk
// per column and row group, statistics (null count, min and max) in every
// page header and column chunk, string bounds only when they are short
// (maxStatBytes), Iceberg field ids in the schema. Pages are compressed with
// the table's codec (write.parquet.compression-codec): snappy (inlet's
// default, as DuckDB's and Spark's), zstd, or none.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/iceberg-go"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"inlet/internal/catalog"
	"inlet/internal/durable"
	"inlet/internal/ingest"
)

// pageBytes is the size at which a page's encoded values are cut (a
// variable for tests).
var pageBytes = 1 << 20

// codecs are the compressions the writer knows, by the name Iceberg's
// write.parquet.compression-codec property gives them.
var codecs = map[string]format.CompressionCodec{
	"snappy":       format.Snappy,
	"zstd":         format.Zstd,
	"uncompressed": format.Uncompressed,
}

// compress returns src compressed with codec, in buf if it is large
// enough (s2.MaxEncodedLen).
func compress(codec format.CompressionCodec, buf, src []byte) []byte {
	switch codec {
	case format.Snappy:
		// s2 writes the snappy block format, faster than golang/snappy.
		return s2.EncodeSnappy(buf[:cap(buf)], src)
	case format.Zstd:
		return zstdEnc().EncodeAll(src, buf[:0])
	default:
		return append(buf[:0], src...)
	}
}

// zstdEnc compresses pages; EncodeAll may be called concurrently.
var zstdEnc = sync.OnceValue(func() *zstd.Encoder {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic("tables: zstd: " + err.Error())
	}
	return enc
})

// pqField is a column of the table.
type pqField struct {
	id       int
	name     string
	typ      string // inlet's type name, decimal(P,S) in full
	base     string // typ without parameters (catalog.BaseType)
	required bool
}

// pqFields lists the columns of an Iceberg schema made by [IcebergSchema].
func pqFields(sc *iceberg.Schema) ([]pqField, error) {
	out := make([]pqField, 0, len(sc.Fields()))
	for _, f := range sc.Fields() {
		typ := inletType(f.Type)
		if typ == "" {
			return nil, fmt.Errorf("column %q: type %s is not one inlet writes", f.Name, f.Type)
		}
		out = append(out, pqField{id: f.ID, name: f.Name, typ: typ, base: catalog.BaseType(typ), required: f.Required})
	}
	return out, nil
}

func physical(typ string) format.Type {
	switch typ {
	case catalog.TypeString:
		return format.ByteArray
	case catalog.TypeLong, catalog.TypeTimestampTZ, catalog.TypeDecimal:
		return format.Int64
	case catalog.TypeDouble:
		return format.Double
	case catalog.TypeBoolean:
		return format.Boolean
	default: // date
		return format.Int32
	}
}

// schemaElements is the Parquet schema of the columns: a root group and
// one leaf each.
func schemaElements(fields []pqField) []format.SchemaElement {
	out := []format.SchemaElement{{Name: "table", NumChildren: thrift.New(int32(len(fields)))}}
	for _, f := range fields {
		el := format.SchemaElement{
			Type:           thrift.New(physical(f.base)),
			RepetitionType: thrift.New(format.Optional),
			Name:           f.name,
			FieldID:        int32(f.id),
		}
		if f.required {
			el.RepetitionType = thrift.New(format.Required)
		}
		switch f.base {
		case catalog.TypeDecimal:
			p, s, _ := catalog.ParseDecimal(f.typ)
			el.LogicalType.Value = &format.DecimalType{Precision: int32(p), Scale: int32(s)}
			el.ConvertedType = thrift.New(deprecated.Decimal)
			el.Precision, el.Scale = thrift.New(int32(p)), thrift.New(int32(s))
		case catalog.TypeString:
			el.LogicalType.Value = &format.StringType{}
			el.ConvertedType = thrift.New(deprecated.UTF8)
		case catalog.TypeDate:
			el.LogicalType.Value = &format.DateType{}
			el.ConvertedType = thrift.New(deprecated.Date)
		case catalog.TypeTimestampTZ:
			el.LogicalType.Value = &format.TimestampType{IsAdjustedToUTC: true,
				Unit: format.TimeUnit{Value: &format.MicroSeconds{}}}
			el.ConvertedType = thrift.New(deprecated.TimestampMicros)
		}
		out = append(out, el)
	}
	return out
}

// stats are the statistics of a run of values: a page's, a column
// chunk's or a file's.
type stats struct {
	values, nulls, nans int64
	has                 bool // min and max are set
	imin, imax          int64
	fmin, fmax          float64
	smin, smax          []byte // owned copies
	pmin, pmax          uint64 // their prefix8, for str
}

func (s *stats) merge(o *stats, typ string) {
	s.values += o.values
	s.nulls += o.nulls
	s.nans += o.nans
	if !o.has {
		return
	}
	if !s.has {
		s.has = true
		s.imin, s.imax, s.fmin, s.fmax = o.imin, o.imax, o.fmin, o.fmax
		s.smin = append(s.smin[:0], o.smin...)
		s.smax = append(s.smax[:0], o.smax...)
		return
	}
	switch typ {
	case catalog.TypeString:
		if bytes.Compare(o.smin, s.smin) < 0 {
			s.smin = append(s.smin[:0], o.smin...)
		}
		if bytes.Compare(o.smax, s.smax) > 0 {
			s.smax = append(s.smax[:0], o.smax...)
		}
	case catalog.TypeDouble:
		s.fmin, s.fmax = min(s.fmin, o.fmin), max(s.fmax, o.fmax)
	default:
		s.imin, s.imax = min(s.imin, o.imin), max(s.imax, o.imax)
	}
}

// plain returns min and max as Parquet PLAIN values (no length prefix
// for strings), or nils if there is none. They are the caller's: s's own
// buffers are reused.
func (s *stats) plain(typ string) (lo, hi []byte) {
	if !s.has {
		return nil, nil
	}
	switch typ {
	case catalog.TypeString:
		return bytes.Clone(s.smin), bytes.Clone(s.smax)
	case catalog.TypeDouble:
		lo, hi := s.fmin, s.fmax
		// Parquet: a zero minimum is written -0.0, a zero maximum +0.0.
		if lo == 0 {
			lo = math.Copysign(0, -1)
		}
		if hi == 0 {
			hi = 0
		}
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(lo)),
			binary.LittleEndian.AppendUint64(nil, math.Float64bits(hi))
	case catalog.TypeBoolean:
		return []byte{byte(s.imin)}, []byte{byte(s.imax)}
	case catalog.TypeDate:
		return binary.LittleEndian.AppendUint32(nil, uint32(s.imin)),
			binary.LittleEndian.AppendUint32(nil, uint32(s.imax))
	default:
		return binary.LittleEndian.AppendUint64(nil, uint64(s.imin)),
			binary.LittleEndian.AppendUint64(nil, uint64(s.imax))
	}
}

// page is an encoded data page, compressed by a worker.
type page struct {
	done   chan struct{}
	hdr    []byte // once done: the header,
	levels []byte // the definition levels
	data   []byte // and the compressed values
	rawLen int    // uncompressed size, header included
	err    error
}

// pqColumn is a column being written.
type pqColumn struct {
	pqField
	phys format.Type

	// The page being filled: its definition levels (a bitmap, 1 for a
	// value, for an optional column), its PLAIN values and its stats.
	levels []byte
	rows   int
	values []byte
	bits   int // booleans: values bit-packed so far
	page   stats

	pages []*page // the row group's pages, in order
	codec format.CompressionCodec
	coded bool  // codec is decided
	chunk stats // the row group's
	file  stats // the file's
	size  int64 // the file's compressed bytes of this column
}

// pqWriter writes one Parquet file.
type pqWriter struct {
	f io.WriteCloser // an *os.File syncs before it closes
	w pqSink
	// direct is w when the file is written with O_DIRECT (see
	// directWriter); nil when it goes through the page cache.
	direct *directWriter
	off    int64
	cols   []*pqColumn
	codec  format.CompressionCodec

	rowGroupBytes int64 // encoded bytes at which a row group is flushed
	synced        int64 // bytes handed to the kernel's writeback
	pending       int64 // encoded bytes of the open row group
	groupRows     int64
	rows          int64
	groups        []format.RowGroup
	splits        []int64
	kv            []format.KeyValue

	work chan *pageJob
	wg   sync.WaitGroup
}

// pqSink buffers what the writer writes to its file: a bufio.Writer, or
// a directWriter.
type pqSink interface {
	io.Writer
	io.StringWriter
	Flush() error
}

type pageJob struct {
	p      *page
	levels []byte // definition levels, not compressed
	values []byte // PLAIN values, compressed with codec
	codec  format.CompressionCodec
	header format.PageHeader
}

func newPQWriter(f io.WriteCloser, fields []pqField, codec format.CompressionCodec, rowGroupBytes int64,
	kv []format.KeyValue,
) (*pqWriter, error) {
	w := &pqWriter{f: f, codec: codec, rowGroupBytes: rowGroupBytes, kv: kv}
	if df, ok := f.(*durableFile); ok {
		w.direct = newDirectWriter(df.File, 1<<20)
	}
	if w.direct != nil {
		w.w = w.direct
	} else {
		w.w = bufio.NewWriterSize(f, 1<<20)
	}
	for _, fl := range fields {
		w.cols = append(w.cols, &pqColumn{pqField: fl, phys: physical(fl.base)})
	}
	workers := runtime.GOMAXPROCS(0)
	w.work = make(chan *pageJob, 2*workers)
	for range workers {
		w.wg.Add(1)
		go w.compress()
	}
	if _, err := w.w.WriteString("PAR1"); err != nil {
		w.stop()
		return nil, err
	}
	w.off = 4
	return w, nil
}

// compress runs page jobs until the work channel closes.
func (w *pqWriter) compress() {
	defer w.wg.Done()
	for j := range w.work {
		j.run()
	}
}

// run compresses the page's values and makes its header.
func (j *pageJob) run() {
	data := j.values
	if j.codec != format.Uncompressed {
		data = compress(j.codec, getBuf(s2.MaxEncodedLen(len(j.values))), j.values)
		putBuf(j.values)
	}
	j.header.CompressedPageSize = int32(len(j.levels) + len(data))
	v2, _ := j.header.DataPageHeaderV2.Get()
	v2.IsCompressed = thrift.New(j.codec != format.Uncompressed)
	j.header.DataPageHeaderV2 = thrift.New(v2)
	hdr, err := thrift.Marshal(new(thrift.CompactProtocol), &j.header)
	if err != nil {
		j.p.err = fmt.Errorf("page header: %w", err)
	}
	j.p.hdr, j.p.levels, j.p.data = hdr, j.levels, data
	j.p.rawLen = len(hdr) + len(j.levels) + len(j.values)
	close(j.p.done)
}

func (w *pqWriter) stop() {
	if w.work != nil {
		close(w.work)
		w.wg.Wait()
		w.work = nil
	}
}

var bufPool sync.Pool

func getBuf(n int) []byte {
	if b, ok := bufPool.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]byte, 0, max(n, pageBytes+pageBytes/2))
}

func putBuf(b []byte) {
	if cap(b) < pageBytes {
		return
	}
	bufPool.Put(&b)
}

// write appends a batch's rows.
func (w *pqWriter) write(b *ingest.Batch) error {
	if b.Rows == 0 {
		return nil
	}
	if len(b.Columns) != len(w.cols) {
		return fmt.Errorf("batch has %d columns, the table %d", len(b.Columns), len(w.cols))
	}
	for i, c := range w.cols {
		if err := c.append(&b.Columns[i], b.Rows, w); err != nil {
			return err
		}
	}
	w.groupRows += int64(b.Rows)
	w.rows += int64(b.Rows)
	if w.pending >= w.rowGroupBytes {
		return w.flushRowGroup()
	}
	return nil
}

// append encodes rows [0, n) of src into the column's page, cutting pages
// as they fill.
func (c *pqColumn) append(src *ingest.Column, n int, w *pqWriter) error {
	if src.Type != c.typ || src.Name != "" && src.Name != c.name {
		return fmt.Errorf("table column %q (%s): the batch has %q (%s) in its place",
			c.name, c.typ, src.Name, src.Type)
	}
	for start := 0; start < n; {
		end := n
		// Keep pages near pageBytes: take the rows that fit, by the
		// average width seen so far in this batch.
		if c.values == nil {
			c.values = getBuf(pageBytes)
		}
		room := pageBytes - len(c.values)
		if width := c.width(src, start, n); width > 0 && room/width < end-start {
			end = start + max(room/width, 1)
		}
		nulls := c.appendLevels(src.Valid[start:end])
		if nulls < 0 {
			return fmt.Errorf("column %q is required but the batch has a null in it", c.name)
		}
		c.appendValues(src, start, end, nulls)
		c.page.values += int64(end - start)
		c.page.nulls += int64(nulls)
		c.rows += end - start
		start = end
		if len(c.values) >= pageBytes {
			w.cutPage(c)
		}
	}
	return nil
}

// width estimates the encoded bytes per row of src[start:n).
func (c *pqColumn) width(src *ingest.Column, start, n int) int {
	switch c.base {
	case catalog.TypeString:
		return int(src.Offsets[n]-src.Offsets[start])/(n-start) + 4 + 1
	case catalog.TypeBoolean:
		return 1 // generous: 1 bit each
	case catalog.TypeDate:
		return 4
	default:
		return 8
	}
}

// appendLevels records the validity of rows and returns how many are
// null. A required column records none, and -1 if a row is null.
func (c *pqColumn) appendLevels(valid []bool) int {
	nulls := 0
	if c.required {
		for _, v := range valid {
			if !v {
				return -1
			}
		}
		return 0
	}
	pos := c.rows
	need := (pos + len(valid) + 7) / 8
	for len(c.levels) < need {
		c.levels = append(c.levels, 0)
	}
	for i, v := range valid {
		if v {
			c.levels[(pos+i)>>3] |= 1 << ((pos + i) & 7)
		} else {
			nulls++
		}
	}
	return nulls
}

// appendValues PLAIN-encodes the non-null values of src[start:end) and
// folds them into the page's stats.
func (c *pqColumn) appendValues(src *ingest.Column, start, end, nulls int) {
	valid := src.Valid[start:end]
	s := &c.page
	switch c.base {
	case catalog.TypeLong, catalog.TypeTimestampTZ, catalog.TypeDecimal:
		c.values = appendFixed(c.values, src.Int64[start:end], valid, nulls)
		intStats(s, src.Int64[start:end], valid, nulls)
	case catalog.TypeDate:
		c.values = appendFixed(c.values, src.Int32[start:end], valid, nulls)
		intStats(s, src.Int32[start:end], valid, nulls)
	case catalog.TypeDouble:
		vals := src.Float64[start:end]
		c.values = appendFixed(c.values, vals, valid, nulls)
		for i, v := range vals {
			if nulls == 0 || valid[i] {
				s.float(v)
			}
		}
	case catalog.TypeBoolean:
		for i, v := range src.Bool[start:end] {
			if !valid[i] {
				continue
			}
			if c.bits&7 == 0 {
				c.values = append(c.values, 0)
			}
			if v {
				c.values[len(c.values)-1] |= 1 << (c.bits & 7)
				s.int(1)
			} else {
				s.int(0)
			}
			c.bits++
		}
	case catalog.TypeString:
		offs := src.Offsets
		for i := start; i < end; i++ {
			if !valid[i-start] {
				continue
			}
			v := src.Bytes[offs[i]:offs[i+1]]
			c.values = binary.LittleEndian.AppendUint32(c.values, uint32(len(v)))
			c.values = append(c.values, v...)
			s.str(v)
		}
	}
}

func (s *stats) int(v int64) {
	if !s.has {
		s.has, s.imin, s.imax = true, v, v
		return
	}
	s.imin, s.imax = min(s.imin, v), max(s.imax, v)
}

func intStats[T int32 | int64](s *stats, vals []T, valid []bool, nulls int) {
	for i, v := range vals {
		if nulls == 0 || valid[i] {
			s.int(int64(v))
		}
	}
}

func (s *stats) float(v float64) {
	if v != v {
		s.nans++ // NaN is in neither bound
		return
	}
	if !s.has {
		s.has, s.fmin, s.fmax = true, v, v
		return
	}
	s.fmin, s.fmax = min(s.fmin, v), max(s.fmax, v)
}

func (s *stats) str(v []byte) {
	pv := prefix8(v)
	if !s.has {
		s.has = true
		s.smin = append(s.smin[:0], v...)
		s.smax = append(s.smax[:0], v...)
		s.pmin, s.pmax = pv, pv
		return
	}
	if pv > s.pmin && pv < s.pmax {
		return // strictly between the bounds' first eight bytes
	}
	if bytes.Compare(v, s.smin) < 0 {
		s.smin = append(s.smin[:0], v...)
		s.pmin = pv
	} else if bytes.Compare(v, s.smax) > 0 {
		s.smax = append(s.smax[:0], v...)
		s.pmax = pv
	}
}

// prefix8 is v's first eight bytes as a big-endian number, zero-padded:
// prefix8(a) < prefix8(b) implies a < b, and > implies >.
func prefix8(v []byte) uint64 {
	if len(v) >= 8 {
		return binary.BigEndian.Uint64(v)
	}
	var p uint64
	for i, c := range v {
		p |= uint64(c) << (56 - 8*i)
	}
	return p
}

// cutPage closes the column's page and hands it to a compression worker.
// Pages are format v2: the definition levels stay outside the compressed
// values, so the values buffer is compressed as it is, without a copy.
func (w *pqWriter) cutPage(c *pqColumn) {
	if c.rows == 0 {
		return
	}
	var levels []byte
	if !c.required {
		// Definition levels, bit width 1: one RLE run when nothing is
		// null, else the bitmap as one bit-packed run (groups of 8
		// levels, least significant bit first, which is how the bitmap
		// was built).
		if c.page.nulls == 0 {
			levels = binary.AppendUvarint(nil, uint64(c.rows)<<1)
			levels = append(levels, 1)
		} else {
			groups := (c.rows + 7) / 8
			levels = binary.AppendUvarint(make([]byte, 0, groups+10), uint64(groups)<<1|1)
			levels = append(levels, c.levels[:groups]...)
		}
	}
	p := &page{done: make(chan struct{})}
	job := &pageJob{p: p, levels: levels, values: c.values, header: format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(levels) + len(c.values)),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues:                  int32(c.rows),
			NumNulls:                   int32(c.page.nulls),
			NumRows:                    int32(c.rows),
			Encoding:                   format.Plain,
			DefinitionLevelsByteLength: int32(len(levels)),
			Statistics:                 c.page.thrift(c.base),
		}),
	}}
	c.pages = append(c.pages, p)
	w.pending += int64(len(levels) + len(c.values))
	if !c.coded {
		w.chooseCodec(c, job)
	} else {
		job.codec = c.codec
		w.work <- job
	}

	c.chunk.merge(&c.page, c.base)
	c.page = stats{smin: c.page.smin[:0], smax: c.page.smax[:0]}
	c.rows, c.bits = 0, 0
	clear(c.levels)
	c.levels = c.levels[:0]
	c.values = nil // the job's now; the next page takes a buffer of the pool
}

// chooseCodec compresses a column's first page in the file, here, and
// keeps the file's codec for the column unless the page hardly shrank
// (random doubles, instants to the microsecond): then the column is
// stored uncompressed, which readers decode for free.
func (w *pqWriter) chooseCodec(c *pqColumn, job *pageJob) {
	c.codec, c.coded = w.codec, true
	job.codec = w.codec
	if w.codec == format.Uncompressed {
		job.run()
		return
	}
	raw := bytes.Clone(job.values)
	job.run()
	if len(job.p.data)*8 >= len(raw)*7 {
		c.codec = format.Uncompressed
		putBuf(job.p.data)
		*job = pageJob{p: &page{done: make(chan struct{})}, levels: job.levels, values: raw,
			codec: c.codec, header: job.header}
		job.run()
		c.pages[len(c.pages)-1] = job.p
	}
}

// maxStatBytes bounds the string min and max that page headers and
// column chunk statistics carry. A page's header holds its statistics, so
// a long value there can push the header past what readers accept
// (arrow-go, under iceberg-go's scans, refuses one over 4 MiB and with it
// the whole file), and every chunk's go into the footer. 256 bytes keeps
// the bounds of keys, codes, names and most URLs, the values row groups are
// skipped by, while adding at most half a KiB to a header or to the footer
// per chunk.
const maxStatBytes = 256

func (s *stats) thrift(typ string) format.Statistics {
	if len(s.smin) > maxStatBytes || len(s.smax) > maxStatBytes {
		// No bounds rather than truncated ones: the format model has no
		// is_min_value_exact / is_max_value_exact to mark them inexact,
		// and a reader that took a truncated max for the real one (to
		// answer MAX from statistics, say) would be wrong.
		return format.Statistics{NullCount: s.nulls}
	}
	lo, hi := s.plain(typ)
	st := format.Statistics{NullCount: s.nulls, MinValue: lo, MaxValue: hi}
	if typ != catalog.TypeString {
		// The deprecated fields hold signed-order bounds; for these types
		// that is the type's order, and old readers look only there.
		st.Min, st.Max = lo, hi
	}
	return st
}

// flushRowGroup writes the open row group's column chunks.
func (w *pqWriter) flushRowGroup() error {
	if w.groupRows == 0 {
		return nil
	}
	for _, c := range w.cols {
		w.cutPage(c)
	}
	rg := format.RowGroup{NumRows: w.groupRows, FileOffset: w.off, Ordinal: int16(len(w.groups))}
	w.splits = append(w.splits, w.off)
	for _, c := range w.cols {
		start := w.off
		var raw int64
		for _, p := range c.pages {
			<-p.done
			if p.err != nil {
				return p.err
			}
			for _, b := range [][]byte{p.hdr, p.levels, p.data} {
				if _, err := w.w.Write(b); err != nil {
					return err
				}
				w.off += int64(len(b))
			}
			raw += int64(p.rawLen)
			putBuf(p.data)
		}
		c.pages = c.pages[:0]
		encodings := []format.Encoding{format.Plain}
		if !c.required {
			encodings = append(encodings, format.RLE)
		}
		rg.Columns = append(rg.Columns, format.ColumnChunk{
			FileOffset: start,
			MetaData: format.ColumnMetaData{
				Type:                  c.phys,
				Encoding:              encodings,
				PathInSchema:          []string{c.name},
				Codec:                 c.codec,
				NumValues:             c.chunk.values,
				TotalUncompressedSize: raw,
				TotalCompressedSize:   w.off - start,
				DataPageOffset:        start,
				Statistics:            c.chunk.thrift(c.base),
			},
		})
		rg.TotalByteSize += raw
		rg.TotalCompressedSize += w.off - start
		c.size += w.off - start
		c.file.merge(&c.chunk, c.base)
		c.chunk = stats{smin: c.chunk.smin[:0], smax: c.chunk.smax[:0]}
	}
	w.groups = append(w.groups, rg)
	w.pending, w.groupRows = 0, 0
	// Row groups go to disk as they are written, not all at the close.
	if err := w.w.Flush(); err != nil {
		return err
	}
	if w.direct == nil {
		durable.StartWriteback(w.f, w.synced, w.off-w.synced)
		w.synced = w.off
	}
	return nil
}

// size is the file's size so far, the open row group's encoded bytes
// included.
func (w *pqWriter) size() int64 { return w.off + w.pending }

// close writes the footer, syncs and closes the file.
func (w *pqWriter) close() error {
	err := w.flushRowGroup()
	w.stop()
	if err != nil {
		w.f.Close()
		return err
	}
	fields := make([]pqField, len(w.cols))
	orders := make([]format.ColumnOrder, len(w.cols))
	for i, c := range w.cols {
		fields[i] = c.pqField
		orders[i].Value = &format.TypeDefinedOrder{}
	}
	meta := format.FileMetaData{
		Version:          1,
		Schema:           schemaElements(fields),
		NumRows:          w.rows,
		RowGroups:        w.groups,
		KeyValueMetadata: w.kv,
		CreatedBy:        "inlet",
		ColumnOrders:     orders,
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &meta)
	if err == nil {
		footer = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
		footer = append(footer, "PAR1"...)
		_, err = w.w.Write(footer)
		w.off += int64(len(footer))
	}
	if err == nil {
		err = w.w.Flush()
	}
	if err == nil && w.direct != nil {
		err = w.direct.finish()
	}
	if s, ok := w.f.(interface{ Sync() error }); ok && err == nil {
		err = s.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// abort stops the workers and closes the file; the caller removes it.
func (w *pqWriter) abort() {
	w.stop()
	w.f.Close()
}

// littleEndian tells whether a slice of numbers is, in memory, already
// the PLAIN encoding of its values.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// appendFixed PLAIN-encodes the valid values of vals (nulls of them are
// not), in bulk where it can.
func appendFixed[T int32 | int64 | float64](dst []byte, vals []T, valid []bool, nulls int) []byte {
	if !littleEndian {
		for i, v := range vals {
			if valid[i] {
				switch v := any(v).(type) {
				case int32:
					dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
				case int64:
					dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
				case float64:
					dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
				}
			}
		}
		return dst
	}
	if nulls == 0 {
		return append(dst, rawBytes(vals)...)
	}
	for i := range vals {
		if valid[i] {
			dst = append(dst, rawBytes(vals[i:i+1])...)
		}
	}
	return dst
}

// rawBytes is the memory of v.
func rawBytes[T int32 | int64 | float64](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(v[0])))
}

// dataFile describes the closed file for the table: its size, and the
// metrics Iceberg keeps per column (bounds as Iceberg serialises single
// values, strings truncated to 16 characters as Iceberg's default
// metrics mode does).
func (w *pqWriter) dataFile(spec iceberg.PartitionSpec, path string) (iceberg.DataFile, error) {
	b, err := iceberg.NewDataFileBuilder(spec, iceberg.EntryContentData, path, iceberg.ParquetFile,
		nil, nil, nil, w.rows, w.off)
	if err != nil {
		return nil, err
	}
	sizes, values, nulls, nans := map[int]int64{}, map[int]int64{}, map[int]int64{}, map[int]int64{}
	lower, upper := map[int][]byte{}, map[int][]byte{}
	for _, c := range w.cols {
		sizes[c.id] = c.size
		values[c.id] = c.file.values
		nulls[c.id] = c.file.nulls
		if c.base == catalog.TypeDouble {
			nans[c.id] = c.file.nans
		}
		if !c.file.has {
			continue
		}
		switch c.base {
		case catalog.TypeString:
			lower[c.id] = truncateLower(c.file.smin, boundChars)
			if hi, ok := truncateUpper(c.file.smax, boundChars); ok {
				upper[c.id] = hi
			}
		case catalog.TypeDouble:
			lower[c.id] = binary.LittleEndian.AppendUint64(nil, math.Float64bits(c.file.fmin))
			upper[c.id] = binary.LittleEndian.AppendUint64(nil, math.Float64bits(c.file.fmax))
		case catalog.TypeDecimal:
			// Iceberg's single-value form of a decimal: the unscaled
			// value, two's complement big-endian, in the fewest bytes.
			lower[c.id] = minimalBigEndian(c.file.imin)
			upper[c.id] = minimalBigEndian(c.file.imax)
		default:
			lower[c.id], upper[c.id] = c.file.plain(c.base)
		}
	}
	b.ColumnSizes(sizes).ValueCounts(values).NullValueCounts(nulls).SplitOffsets(w.splits)
	if len(nans) > 0 {
		b.NaNValueCounts(nans)
	}
	if len(lower) > 0 {
		b.LowerBoundValues(lower).UpperBoundValues(upper)
	}
	return b.Build(), nil
}

// minimalBigEndian is v in two's complement, big-endian, in the fewest
// bytes that keep its sign: a leading byte is dropped while it is only
// the sign extension of the next one.
func minimalBigEndian(v int64) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(v))
	for len(b) > 1 && (b[0] == 0 && b[1]&0x80 == 0 || b[0] == 0xff && b[1]&0x80 != 0) {
		b = b[1:]
	}
	return b
}

// boundChars is how many characters of a string bound Iceberg keeps.
const boundChars = 16

// truncateLower cuts s to at most n characters: a prefix is never
// greater than s.
func truncateLower(s []byte, n int) []byte {
	for i := range string(s) {
		if n == 0 {
			return bytes.Clone(s[:i])
		}
		n--
	}
	return bytes.Clone(s)
}

// truncateUpper cuts s to at most n characters and, if it cut anything,
// increments the last character that can be, so that the result is still
// not less than s. ok is false if no character can be incremented.
func truncateUpper(s []byte, n int) (_ []byte, ok bool) {
	cut := truncateLower(s, n)
	if len(cut) == len(s) {
		return cut, true
	}
	for len(cut) > 0 {
		r, size := utf8.DecodeLastRune(cut)
		cut = cut[:len(cut)-size]
		switch {
		case r == 0xD7FF: // the next is past the surrogates
			return utf8.AppendRune(cut, 0xE000), true
		case r < utf8.MaxRune:
			return utf8.AppendRune(cut, r+1), true
		}
	}
	return nil, false
}
