package ingest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"inlet/internal/catalog"
)

// The delimited reader is written by hand rather than on encoding/csv,
// which cannot tell a quoted empty field ("", an empty string) from an
// unquoted one (NULL), allocates for every record, and has no bound on a
// record's size.
//
// Grammar (RFC 4180 with any one-byte delimiter and quote):
//
//   - A record ends at a line feed outside quotes; a carriage return before
//     it is dropped. Line numbers are physical lines, 1-based, of the
//     record's first byte, the header being line 1.
//   - A field starting with the quote byte is quoted: it runs to the next
//     lone quote, a doubled quote stands for one, and delimiters and line
//     feeds inside are data (kept verbatim, carriage returns included).
//     After the closing quote comes a delimiter or the end of the record;
//     anything else rejects the record ("text after closing quote"). A
//     quote byte inside an unquoted field is data.
//   - An unquoted empty field is NULL, and so is an unquoted field equal to
//     the null marker; a quoted one is a string, "" being empty.
//   - A blank line is skipped, not read as a record.
//   - When the header's last name is empty (every line ends with the
//     delimiter), that trailing empty field is dropped from every record
//     that has one more field than the header.
//   - A record longer than the record limit is rejected ("record exceeds N
//     bytes") and reading goes on at the line after its end, found by
//     following the quotes; memory stays within the limit.
//   - A quoted field still open at the end of the file fails the file,
//     naming the line where its quote opened: rejecting it as one record
//     would hide every line it ran over (a stray quote in row 90,000 of
//     100,000 would lose 10,000 rows behind a single reject).
//   - A rejected record that spans several lines (a quote that opens in
//     one line and closes, or is followed by text, lines later) counts as
//     one rejected row per line, so that the lines it swallowed weigh on
//     the reject ratio; its reject says how many lines it spans.
//   - The quote [catalog.QuoteNone] turns quoting off: every quote byte is
//     data.

type scanStatus int

const (
	scanOK    scanStatus = iota
	scanMore             // the record does not end within the data
	scanBlank            // a blank line
	scanBad              // a malformed record; d.bad says why
	scanOpen             // a quoted field the data never closes; see d.unclosed
	scanEOF              // no more data
)

type delimited struct {
	textBuf
	limit int

	delim, quote byte
	null         string
	hasNull      bool

	index        []int // schema field i is record field index[i]
	expect       int   // fields in a record
	dropTrailing bool
	line         int64 // line of the next record
	blanks       int64 // blank lines skipped

	special [256]bool // delimiter, quote and line feed

	// The record last scanned.
	fields   [][]byte
	quoted   []bool
	esc      []bool
	recLines int64
	recLen   int
	bad      string
	rec      []byte

	// Where the quote of a field still open at the end of the file
	// opened: lines into the record, and the lines that follow it.
	openLine, openRest int64

	recs      recs // the batch being read
	hasString bool // the schema has a string field (whose text is checked as UTF-8)
}

func openDelimited(f *File, cfg catalog.FileConfig) (reader, error) {
	d := &delimited{delim: ',', quote: '"', line: 1, limit: f.opts.MaxRecordBytes}
	for i := range f.fields {
		d.hasString = d.hasString || f.fields[i].kind == kString
	}
	if cfg.Format == catalog.FormatTSV {
		d.delim = '\t'
	}
	// The rule is the catalog's, which applies it when a dataset is
	// created.
	if cfg.Delimiter != "" {
		if !catalog.ValidFileChar(cfg.Delimiter) {
			return nil, fmt.Errorf("ingest: delimiter %q: want one ASCII character", cfg.Delimiter)
		}
		d.delim = cfg.Delimiter[0]
	}
	noQuote := cfg.Quote == catalog.QuoteNone
	if cfg.Quote != "" && !noQuote {
		if !catalog.ValidFileChar(cfg.Quote) {
			return nil, fmt.Errorf("ingest: quote %q: want one ASCII character", cfg.Quote)
		}
		d.quote = cfg.Quote[0]
	}
	if d.delim == d.quote && !noQuote {
		return nil, fmt.Errorf("ingest: delimiter %q and quote %q cannot be used", d.delim, d.quote)
	}
	if noQuote {
		// Without quoting, the quote is the line feed: the scanner always
		// takes one for the end of a record first, so no byte opens a
		// quoted field and the fast path needs no test of its own.
		d.quote = '\n'
	}
	d.null, d.hasNull = cfg.NullMarker, cfg.NullMarker != ""
	d.special[d.delim], d.special[d.quote], d.special['\n'] = true, true, true
	d.textBuf = newTextBuf(f.name, f.src, f.opts.BufferBytes, d.limit+2)
	if f.src.empty {
		f.setEmpty()
		return d, nil
	}
	if err := d.fill(); err != nil {
		return nil, asFileError(f.name, err)
	}
	d.index = make([]int, len(f.fields))
	for i := range d.index {
		d.index[i] = i
	}
	// While the header is read, d.expect is 0: any number of fields is
	// right (see endQuoted).
	if !cfg.Header {
		d.expect = len(f.fields)
	}
	if cfg.Header {
		st, err := d.record()
		if err != nil {
			return nil, asFileError(f.name, err)
		}
		switch st {
		case scanEOF:
			f.setEmpty()
			f.sum.Reason = "empty file (no header)"
			return d, nil
		case scanBad:
			return nil, f.fileErr("header: %s", d.bad)
		}
		d.line += d.recLines
		if err := d.matchHeader(f); err != nil {
			return nil, err
		}
	}
	return d, nil
}

const utf8RuneSelf = 0x80

// unclosed is the file error for a quoted field still open at the end of
// the file, in the record starting on line d.line.
func (d *delimited) unclosed() error {
	msg := "unterminated quoted field: the quote opened on line " + strconv.FormatInt(d.line+d.openLine, 10) + " is never closed"
	switch d.openRest {
	case 0:
	case 1:
		msg += ", so the line after it would be read as part of the field"
	default:
		msg += ", so the " + strconv.FormatInt(d.openRest, 10) + " lines after it would be read as part of the field"
	}
	msg += " (a stray quote? if values are never quoted, set the dataset's quote to " + catalog.QuoteNone + ")"
	return &FileError{File: d.name, Reason: msg}
}

// width is the number of fields of the record last scanned, without the
// trailing empty field that a header ending in the delimiter calls for.
func (d *delimited) width() int {
	n := len(d.fields)
	if d.dropTrailing && n == d.expect+1 && len(d.fields[d.expect]) == 0 && !d.quoted[d.expect] {
		n--
	}
	return n
}

// matchHeader maps the header's names to the schema's fields.
func (d *delimited) matchHeader(f *File) error {
	n := len(d.fields)
	if n > 1 && len(d.fields[n-1]) == 0 && !d.quoted[n-1] {
		d.dropTrailing = true
		n--
	}
	pos := make(map[string]int, n)
	var unknown, missing []string
	for i := 0; i < n; i++ {
		name := string(d.fields[i])
		if _, dup := pos[name]; dup {
			return f.fileErr("header: column %q appears twice", name)
		}
		pos[name] = i
	}
	for i := range f.fields {
		p, ok := pos[f.fields[i].Name]
		if !ok {
			missing = append(missing, f.fields[i].Name)
			continue
		}
		d.index[i] = p
		delete(pos, f.fields[i].Name)
	}
	for i := 0; i < n; i++ {
		if _, ok := pos[string(d.fields[i])]; ok {
			unknown = append(unknown, string(d.fields[i]))
		}
	}
	if len(unknown) == 0 && len(missing) == 0 {
		d.expect = n
		return nil
	}
	msg := "header does not match the schema:"
	for _, u := range unknown {
		msg += " column " + strconv.Quote(u) + " is not in the schema;"
	}
	for _, m := range missing {
		msg += " column " + strconv.Quote(m) + " is missing;"
	}
	msg = msg[:len(msg)-1]
	if len(unknown) == 1 && len(missing) == 1 {
		msg = fmt.Sprintf("header column %q does not match the schema, which expects %q", unknown[0], missing[0])
	}
	for _, u := range unknown {
		for _, m := range missing {
			if bytes.EqualFold([]byte(u), []byte(m)) {
				msg += " (names are case-sensitive)"
				return f.fileErr("%s", msg)
			}
		}
		if strings.Contains(u, "\r") {
			// Old Mac line ends: the whole file reads as one line.
			msg += " (the header holds a carriage return: lines must end with LF or CRLF, not CR alone)"
			return f.fileErr("%s", msg)
		}
	}
	return f.fileErr("%s", msg)
}

// record scans the next record, reading as needed. Oversized records are
// skipped and reported as scanBad with d.bad set.
func (d *delimited) record() (scanStatus, error) {
	for {
		data := d.buf[d.pos:d.end]
		if len(data) == 0 && d.eof {
			return scanEOF, nil
		}
		n, st := d.scan(data, d.eof)
		switch st {
		case scanMore:
			if len(data) > d.limit+1 {
				return scanBad, d.skip()
			}
			if err := d.fill(); err != nil {
				return 0, err
			}
			continue
		case scanBlank:
			d.pos += n
			d.line++
			d.blanks++
			continue
		case scanOpen:
			d.pos += n
			return scanBad, d.unclosed()
		}
		d.rec = data[:n]
		d.pos += n
		if d.recLen > d.limit {
			d.bad = "record exceeds " + strconv.Itoa(d.limit) + " bytes"
			return scanBad, nil
		}
		return st, nil
	}
}

// skip consumes an oversized record, following its quotes to find where
// it ends, and sets d.rec to its start and d.recLines to its lines. A
// quoted field that the file never closes fails the file, as in scan.
func (d *delimited) skip() error {
	d.bad = "record exceeds " + strconv.Itoa(d.limit) + " bytes"
	d.rec = append(d.rec[:0:0], d.buf[d.pos:min(d.end, d.pos+maxRejectValue)]...)
	const (
		fieldStart = iota
		unquoted
		quoted
		quotedQuote
	)
	state := fieldStart
	var lines, openLine int64
	var last byte
	for {
		for i := d.pos; i < d.end; i++ {
			c := d.buf[i]
			last = c
			switch state {
			case fieldStart, unquoted, quotedQuote:
				switch {
				case c == '\n':
					d.pos = i + 1
					d.recLines = lines + 1
					return nil
				case c == d.delim:
					state = fieldStart
				case c == d.quote && state == fieldStart:
					state = quoted
					openLine = lines
				case c == d.quote && state == quotedQuote:
					state = quoted
				default:
					state = unquoted
				}
			case quoted:
				if c == d.quote {
					state = quotedQuote
				} else if c == '\n' {
					lines++
				}
			}
		}
		d.pos = d.end
		if d.eof {
			d.recLines = lines + 1
			if state == quoted {
				d.openLine, d.openRest = openLine, lines-openLine
				if last == '\n' {
					d.openRest--
				}
				return d.unclosed()
			}
			return nil
		}
		if err := d.fill(); err != nil {
			return err
		}
	}
}

// scan parses the record at the start of data into d.fields and returns
// its length with its terminator. atEOF says no data follows.
func (d *delimited) scan(data []byte, atEOF bool) (int, scanStatus) {
	d.fields = d.fields[:0]
	d.quoted = d.quoted[:0]
	d.esc = d.esc[:0]
	d.bad = ""
	// Fast path: one pass over a line without quotes. Eight bytes at a
	// time, a mask marks the bytes that matter (delimiter, quote, line
	// feed); the few bytes left at the end of the data go one by one
	// through a table of them.
	special := &d.special
	start := 0
	bd, bq, bn := broadcast(d.delim), broadcast(d.quote), broadcast('\n')
	i := 0
	for ; i+8 <= len(data); i += 8 {
		w := binary.LittleEndian.Uint64(data[i:])
		m := zeroBytes(w^bd) | zeroBytes(w^bq) | zeroBytes(w^bn)
		for ; m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)>>3
			switch data[j] {
			case d.delim:
				d.fields = append(d.fields, data[start:j])
				d.quoted = append(d.quoted, false)
				start = j + 1
			case '\n':
				return d.endLine(data, start, j, j+1)
			default: // a quote byte: read the record the general way
				d.fields = d.fields[:0]
				d.quoted = d.quoted[:0]
				return d.scanQuoted(data, atEOF)
			}
		}
	}
	for ; i < len(data); i++ {
		c := data[i]
		if !special[c] {
			continue
		}
		switch c {
		case d.delim:
			d.fields = append(d.fields, data[start:i])
			d.quoted = append(d.quoted, false)
			start = i + 1
			continue
		case '\n':
			return d.endLine(data, start, i, i+1)
		}
		d.fields = d.fields[:0]
		d.quoted = d.quoted[:0]
		return d.scanQuoted(data, atEOF)
	}
	if !atEOF {
		return 0, scanMore
	}
	return d.endLine(data, start, len(data), len(data))
}

// endLine ends a record of the fast path whose last field starts at
// start and whose line ends at end; n counts the terminator.
func (d *delimited) endLine(data []byte, start, end, n int) (int, scanStatus) {
	d.recLines = 1
	if end > start && data[end-1] == '\r' {
		end--
	}
	d.recLen = end
	if end == 0 {
		return n, scanBlank
	}
	d.fields = append(d.fields, data[start:end])
	d.quoted = append(d.quoted, false)
	return n, scanOK
}

// scanQuoted is scan for a record that has a quote byte in its first line.
func (d *delimited) scanQuoted(data []byte, atEOF bool) (int, scanStatus) {
	anyEsc := false
	i := 0
	for {
		if i < len(data) && data[i] == d.quote {
			j := i + 1
			esc := false
			for {
				k := bytes.IndexByte(data[j:], d.quote)
				if k < 0 {
					if !atEOF {
						return 0, scanMore
					}
					d.openLine = int64(bytes.Count(data[:i], nlBytes))
					d.openRest = int64(bytes.Count(data[i:], nlBytes))
					if data[len(data)-1] == '\n' {
						d.openRest--
					}
					return len(data), scanOpen
				}
				j += k
				if j+1 < len(data) && data[j+1] == d.quote {
					esc = true
					j += 2
					continue
				}
				if j+1 == len(data) && !atEOF {
					return 0, scanMore
				}
				break
			}
			d.fields = append(d.fields, data[i+1:j])
			d.quoted = append(d.quoted, true)
			d.esc = append(d.esc, esc)
			anyEsc = anyEsc || esc
			i = j + 1
			if i == len(data) {
				return d.endQuoted(data, i, i, anyEsc)
			}
			switch c := data[i]; {
			case c == d.delim:
				i++
				continue
			case c == '\n':
				return d.endQuoted(data, i, i+1, anyEsc)
			case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
				return d.endQuoted(data, i, i+2, anyEsc)
			case c == '\r' && i+1 == len(data):
				if !atEOF {
					return 0, scanMore
				}
				return d.endQuoted(data, i, i+1, anyEsc)
			}
			// Text after the closing quote: the rest of the field is
			// read as unquoted to find where the record ends.
			if d.bad == "" {
				d.bad = "text after closing quote"
			}
		}
		start := i
		for i < len(data) && data[i] != d.delim && data[i] != '\n' {
			i++
		}
		if i < len(data) && data[i] == d.delim {
			d.fields = append(d.fields, data[start:i])
			d.quoted = append(d.quoted, false)
			d.esc = append(d.esc, false)
			i++
			continue
		}
		if i == len(data) && !atEOF {
			return 0, scanMore
		}
		end, n := i, i
		if i < len(data) {
			n = i + 1
		}
		if end > start && data[end-1] == '\r' {
			end--
		}
		d.fields = append(d.fields, data[start:end])
		d.quoted = append(d.quoted, false)
		d.esc = append(d.esc, false)
		return d.endQuoted(data, end, n, anyEsc)
	}
}

var nlBytes = []byte{'\n'}

// broadcast is c in every byte of a word.
func broadcast(c byte) uint64 { return 0x0101010101010101 * uint64(c) }

// zeroBytes has the high bit of each byte of w that is zero set, and no
// other bit (exact: no false positives, unlike the shorter trick).
func zeroBytes(w uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((w&low7 + low7) | w | low7)
}

// endQuoted finishes a record of scanQuoted: recLen bytes of content, n
// with the terminator. Doubled quotes are undone in place, which is safe
// because the record is complete and will not be scanned again; but not
// in a record with the wrong number of fields, which is rejected whole
// and reported as it is in the file.
func (d *delimited) endQuoted(data []byte, recLen, n int, anyEsc bool) (int, scanStatus) {
	d.recLen = recLen
	d.recLines = int64(bytes.Count(data[:recLen], nlBytes)) + 1
	if d.bad != "" {
		return n, scanBad
	}
	if anyEsc && (d.expect == 0 || d.width() == d.expect) {
		for k, e := range d.esc {
			if !e {
				continue
			}
			v := d.fields[k]
			w := 0
			for r := 0; r < len(v); r++ {
				v[w] = v[r]
				w++
				if v[r] == d.quote {
					r++
				}
			}
			d.fields[k] = v[:w]
		}
	}
	return n, scanOK
}

// next reads records into b in two steps: the records of a batch are
// scanned first, their fields' text copied into one arena (the read
// buffer moves as it refills), then converted and checked column by
// column. Columns are independent, so on a machine with more than one
// core they are converted in parallel; a row that fails in any column is
// then dropped from all of them, and reported with the first failing
// field in schema order, as a row-at-a-time reader would.
func (d *delimited) next(f *File, b *Batch) error {
	if f.sum.Status == StatusEmpty {
		return io.EOF
	}
	r := &d.recs
	r.reset()
	var end error
	for r.n < f.opts.BatchRows && len(r.arena) <= maxArenaBytes {
		st, err := d.record()
		if err != nil {
			return asFileError(f.name, err)
		}
		line := d.line
		d.line += d.recLines
		if st == scanEOF {
			f.sum.BlankLines = d.blanks
			end = io.EOF
			break
		}
		if st == scanBad {
			r.bad(line, d.recLines, d.rec, d.bad)
			continue
		}
		fields := d.fields[:d.width()]
		if len(fields) != d.expect {
			rec := d.rec
			if len(rec) > 0 && rec[len(rec)-1] == '\n' {
				rec = rec[:len(rec)-1]
			}
			r.bad(line, d.recLines, rec, strconv.Itoa(len(fields))+" fields where "+strconv.Itoa(d.expect)+" are expected")
			continue
		}
		r.add(d.rec, fields, d.quoted[:len(fields)], line)
	}
	d.convert(f, b, r)
	return end
}

// recs are a batch's scanned records: record k's field j is
// arena[spans[k*w+j].start:spans[k*w+j].end], w fields a record, and
// quoted[k*w+j] says whether it was quoted. Records refused while
// scanning wait in bads, so that every reject is reported in line order.
type recs struct {
	arena  []byte // the records, one after the other
	spans  []span
	quoted []bool
	lines  []int64
	n      int
	ascii  bool // arena is all ASCII, so its strings need no UTF-8 check
	bads   []badRec
	rejs   [][]colReject // per schema field, conversion failures
}

type span struct{ start, end int32 }

type badRec struct {
	line   int64
	lines  int64 // physical lines the record spans
	value  []byte
	reason string
}

type colReject struct {
	row    int
	reason string
}

func (r *recs) reset() {
	r.arena, r.spans, r.quoted, r.lines = r.arena[:0], r.spans[:0], r.quoted[:0], r.lines[:0]
	r.n = 0
	r.bads = r.bads[:0]
}

// add copies record rec, whose fields are subslices of it, in one piece.
func (r *recs) add(rec []byte, fields [][]byte, quoted []bool, line int64) {
	base := len(r.arena)
	r.arena = append(r.arena, rec...)
	p0 := uintptr(unsafe.Pointer(unsafe.SliceData(rec)))
	for _, v := range fields {
		var sp span
		if len(v) > 0 { // an empty field's pointer may be anywhere
			sp.start = int32(base + int(uintptr(unsafe.Pointer(unsafe.SliceData(v)))-p0))
			sp.end = sp.start + int32(len(v))
		}
		r.spans = append(r.spans, sp)
	}
	r.quoted = append(r.quoted, quoted...)
	r.lines = append(r.lines, line)
	r.n++
}

func (r *recs) bad(line, lines int64, value []byte, reason string) {
	// The record's line ending is not part of what the partner wrote in it.
	value = bytes.TrimSuffix(bytes.TrimSuffix(value, []byte("\n")), []byte("\r"))
	r.bads = append(r.bads, badRec{line: line, lines: lines,
		value: bytes.Clone(value[:min(len(value), 4*maxRejectValue)]), reason: reason})
}

// maxArenaBytes ends a batch early when its rows are wide, so that the
// copy of its records stays small whatever the rows.
const maxArenaBytes = 8 << 20

// parallelMin is the number of records from which a batch's columns are
// converted on goroutines of their own (if there are cores for them).
const parallelMin = 256

// convert appends the scanned records to b's columns, and reports every
// reject of the batch in line order.
func (d *delimited) convert(f *File, b *Batch, r *recs) {
	if len(r.rejs) != len(f.fields) {
		r.rejs = make([][]colReject, len(f.fields))
	}
	r.ascii = d.hasString && isASCII(r.arena)
	if procs := runtime.GOMAXPROCS(0); r.n >= parallelMin && procs > 1 {
		// This goroutine and procs-1 helpers take the columns one by
		// one: a goroutine per column would cost more in hand-overs.
		var next atomic.Int32
		work := func() {
			for i := int(next.Add(1)) - 1; i < len(f.fields); i = int(next.Add(1)) - 1 {
				d.convertColumn(f, b, r, i)
			}
		}
		var wg sync.WaitGroup
		for range min(procs, len(f.fields)) - 1 {
			wg.Go(work)
		}
		work()
		wg.Wait()
	} else {
		for i := range f.fields {
			d.convertColumn(f, b, r, i)
		}
	}

	// The first failing field of each failed row, in schema order.
	type failure struct {
		field  int
		reason string
	}
	var first map[int]failure
	for i, rj := range r.rejs {
		for _, x := range rj {
			if first == nil {
				first = make(map[int]failure)
			}
			if _, ok := first[x.row]; !ok {
				first[x.row] = failure{i, x.reason}
			}
		}
	}
	failed := make([]int, 0, len(first))
	for row := range first {
		failed = append(failed, row)
	}
	slices.Sort(failed)

	// Rejects in line order: the scanner's and the conversions'.
	bads := r.bads
	for _, row := range failed {
		line := r.lines[row]
		for len(bads) > 0 && bads[0].line < line {
			f.rejectRecord(b, bads[0].line, bads[0].lines, bads[0].value, bads[0].reason)
			bads = bads[1:]
		}
		x := first[row]
		sp := r.spans[row*d.expect+d.index[x.field]]
		f.reject(b, line, f.fields[x.field].Name, r.arena[sp.start:sp.end], x.reason)
	}
	for _, x := range bads {
		f.rejectRecord(b, x.line, x.lines, x.value, x.reason)
	}

	b.Rows = r.n
	if len(failed) > 0 {
		b.drop(failed)
	}
}

// convertColumn converts schema field i of every record into column i,
// noting failures in r.rejs[i]; a failed row holds a NULL until it is
// dropped.
func (d *delimited) convertColumn(f *File, b *Batch, r *recs, i int) {
	c := &b.Columns[i]
	fd := &f.fields[i]
	rejs := r.rejs[i][:0]
	w, p := d.expect, d.index[i]
	str := fd.kind == kString
	for row := range r.n {
		k := row*w + p
		v := r.arena[r.spans[k].start:r.spans[k].end]
		var reason string
		switch {
		case !r.quoted[k] && (len(v) == 0 || (d.hasNull && unsafe.String(unsafe.SliceData(v), len(v)) == d.null)):
			reason = appendNull(c, fd)
		case str:
			reason = appendString(c, fd, v, r.ascii)
		default:
			reason = appendText(c, fd, v)
		}
		if reason != "" {
			rejs = append(rejs, colReject{row: row, reason: reason})
			appendPlaceholder(c, fd)
		}
	}
	r.rejs[i] = rejs
}

func (d *delimited) close() error { return nil }
