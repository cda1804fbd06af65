package ingest

import (
	"bytes"
	"io"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"inlet/internal/catalog"
)

// JSON Lines: each line is one JSON object. Blank and whitespace-only
// lines are skipped and counted. A line is read whole before its values
// are looked at, so invalid JSON is reported as such whatever the values.
// Keys are matched to the schema case-sensitively; a key the schema lacks
// is reported in the summary and its value ignored, a key given twice
// rejects the line, and a missing key is NULL. Values must be of the
// field's JSON kind: a string for string, date and timestamptz, a number
// for long and double (an integer literal for long), true or false for
// boolean; null is NULL. A decimal may be a number, read from its text in
// the line and so exactly, or a string holding one ("12.50"), the form
// producers that keep decimals exact write (JavaScript, BigQuery exports);
// either is read by the rules of decimal.go.

// jsonKind is the kind of a JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonString
	jsonNumber
	jsonBool
	jsonObject
	jsonArray
)

var jsonKindNames = [...]string{"null", "a string", "a number", "a boolean", "an object", "an array"}

// jsonValue is where a key's value lies in the line.
type jsonValue struct {
	field      int // schema index
	kind       jsonKind
	start, end int // for strings, inside the quotes
	escaped    bool
}

type jsonl struct {
	textBuf
	limit   int
	line    int64
	blanks  int64
	byName  map[string]int
	vals    []jsonValue
	seen    []bool
	scratch []byte
}

func openJSONL(f *File, cfg catalog.FileConfig) (reader, error) {
	j := &jsonl{limit: f.opts.MaxRecordBytes, byName: make(map[string]int, len(f.fields))}
	for i := range f.fields {
		j.byName[f.fields[i].Name] = i
	}
	j.seen = make([]bool, len(f.fields))
	j.textBuf = newTextBuf(f.name, f.src, f.opts.BufferBytes, j.limit+2)
	if f.src.empty {
		f.setEmpty()
		return j, nil
	}
	if err := j.fill(); err != nil {
		return nil, asFileError(f.name, err)
	}
	return j, nil
}

func (j *jsonl) close() error { return nil }

func (j *jsonl) next(f *File, b *Batch) error {
	if f.sum.Status == StatusEmpty {
		return io.EOF
	}
	for b.Rows < f.opts.BatchRows {
		if b.Rows&63 == 63 && b.stringBytes() > maxBatchBytes {
			return nil
		}
		data := j.buf[j.pos:j.end]
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 && !j.eof {
			if len(data) > j.limit+1 {
				if err := j.skipLine(f, b); err != nil {
					return asFileError(f.name, err)
				}
				continue
			}
			if err := j.fill(); err != nil {
				return asFileError(f.name, err)
			}
			continue
		}
		if nl < 0 {
			if len(data) == 0 {
				f.sum.BlankLines = j.blanks
				return io.EOF
			}
			nl = len(data)
			j.pos = j.end
		} else {
			j.pos += nl + 1
		}
		j.line++
		line := data[:nl]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(bytes.TrimLeft(line, " \t\r")) == 0 {
			j.blanks++
			continue
		}
		if len(line) > j.limit {
			f.reject(b, j.line, "", line, "record exceeds "+strconv.Itoa(j.limit)+" bytes")
			continue
		}
		j.row(f, b, line)
	}
	return nil
}

// skipLine rejects and consumes a line longer than the limit.
func (j *jsonl) skipLine(f *File, b *Batch) error {
	j.line++
	f.reject(b, j.line, "", j.buf[j.pos:min(j.end, j.pos+maxRejectValue)], "record exceeds "+strconv.Itoa(j.limit)+" bytes")
	for {
		if i := bytes.IndexByte(j.buf[j.pos:j.end], '\n'); i >= 0 {
			j.pos += i + 1
			return nil
		}
		j.pos = j.end
		if j.eof {
			return nil
		}
		if err := j.fill(); err != nil {
			return err
		}
	}
}

// row parses one line and appends it to b, or rejects it.
func (j *jsonl) row(f *File, b *Batch, line []byte) {
	if reason := j.parse(f, line); reason != "" {
		f.reject(b, j.line, "", line, reason)
		return
	}
	for _, v := range j.vals {
		c := &b.Columns[v.field]
		fd := &f.fields[v.field]
		raw := line[v.start:v.end]
		var r string
		switch {
		case v.kind == jsonNull:
			r = appendNull(c, fd)
		case fd.kind == kDecimal && v.kind != jsonNumber && v.kind != jsonString:
			r = "expected a number or a string, got " + jsonKindNames[v.kind]
		case fd.kind != kDecimal && v.kind != wantKind(fd.kind):
			r = "expected " + jsonKindNames[wantKind(fd.kind)] + ", got " + jsonKindNames[v.kind]
			if v.kind == jsonString {
				raw = line[v.start-1 : v.end+1]
			}
		case v.kind == jsonString && v.escaped:
			j.scratch = unescapeJSON(j.scratch[:0], raw)
			raw = j.scratch
			r = appendText(c, fd, raw)
		default:
			r = appendText(c, fd, raw)
		}
		if r != "" {
			b.rollback()
			f.reject(b, j.line, fd.Name, raw, r)
			return
		}
	}
	for i := range f.fields {
		if !j.seen[i] {
			if r := appendNull(&b.Columns[i], &f.fields[i]); r != "" {
				b.rollback()
				f.reject(b, j.line, f.fields[i].Name, nil, r)
				return
			}
		}
	}
	b.Rows++
}

// wantKind is the JSON kind of a field's values (decimals excepted).
func wantKind(k uint8) jsonKind {
	switch k {
	case kLong, kDouble:
		return jsonNumber
	case kBool:
		return jsonBool
	}
	return jsonString
}

// parse checks the line is one JSON object and records where the values
// of schema fields are. It returns the reason the line is rejected, or "".
func (j *jsonl) parse(f *File, line []byte) string {
	j.vals = j.vals[:0]
	clear(j.seen)
	p := jsonScanner{data: line}
	p.ws()
	if p.i < len(p.data) && p.data[p.i] != '{' {
		kind, ok := p.value(0)
		p.ws()
		if ok && p.i == len(p.data) {
			return "expected an object, got " + jsonKindNames[kind]
		}
		return p.invalid()
	}
	p.i++ // {
	p.ws()
	if p.peek() == '}' {
		p.i++
	} else {
		for {
			p.ws()
			if p.peek() != '"' {
				return p.invalid()
			}
			ks := p.i + 1
			esc, ok := p.str()
			if !ok {
				return p.invalid()
			}
			key := line[ks : p.i-1]
			if esc {
				j.scratch = unescapeJSON(j.scratch[:0], key)
				key = j.scratch
			}
			p.ws()
			if p.peek() != ':' {
				return p.invalid()
			}
			p.i++
			p.ws()
			vs := p.i
			kind, ok := p.value(0)
			if !ok {
				return p.invalid()
			}
			idx, known := j.byName[unsafe.String(unsafe.SliceData(key), len(key))]
			if !known {
				f.noteUnknownBytes(key)
			} else {
				if j.seen[idx] {
					return "duplicate key " + strconv.Quote(string(key))
				}
				j.seen[idx] = true
				v := jsonValue{field: idx, kind: kind, start: vs, end: p.i}
				if kind == jsonString {
					v.start, v.end = vs+1, p.i-1
					v.escaped = bytes.IndexByte(line[v.start:v.end], '\\') >= 0
				}
				j.vals = append(j.vals, v)
			}
			p.ws()
			c := p.peek()
			p.i++
			if c == '}' {
				break
			}
			if c != ',' {
				p.i--
				return p.invalid()
			}
		}
	}
	p.ws()
	if p.i != len(p.data) {
		return p.invalid()
	}
	return ""
}

// noteUnknownBytes records an unknown key without allocating when it is
// already known.
func (f *File) noteUnknownBytes(key []byte) {
	if _, ok := f.unknown[string(key)]; ok {
		return
	}
	f.noteUnknown(string(key))
}

// jsonScanner checks JSON syntax over one line.
type jsonScanner struct {
	data []byte
	i    int
}

const maxJSONDepth = 512

func (p *jsonScanner) peek() byte {
	if p.i < len(p.data) {
		return p.data[p.i]
	}
	return 0
}

func (p *jsonScanner) ws() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonScanner) invalid() string {
	if p.i >= len(p.data) {
		return "invalid JSON (unexpected end of line)"
	}
	c := p.data[p.i]
	if c < utf8RuneSelf && c >= ' ' {
		return "invalid JSON (unexpected " + strconv.QuoteRune(rune(c)) + " at byte " + strconv.Itoa(p.i+1) + ")"
	}
	return "invalid JSON (unexpected byte at " + strconv.Itoa(p.i+1) + ")"
}

// value scans one JSON value.
func (p *jsonScanner) value(depth int) (jsonKind, bool) {
	if depth > maxJSONDepth {
		return 0, false
	}
	switch c := p.peek(); {
	case c == '"':
		_, ok := p.str()
		return jsonString, ok
	case c == '{':
		p.i++
		p.ws()
		if p.peek() == '}' {
			p.i++
			return jsonObject, true
		}
		for {
			p.ws()
			if p.peek() != '"' {
				return 0, false
			}
			if _, ok := p.str(); !ok {
				return 0, false
			}
			p.ws()
			if p.peek() != ':' {
				return 0, false
			}
			p.i++
			p.ws()
			if _, ok := p.value(depth + 1); !ok {
				return 0, false
			}
			p.ws()
			switch p.peek() {
			case ',':
				p.i++
			case '}':
				p.i++
				return jsonObject, true
			default:
				return 0, false
			}
		}
	case c == '[':
		p.i++
		p.ws()
		if p.peek() == ']' {
			p.i++
			return jsonArray, true
		}
		for {
			p.ws()
			if _, ok := p.value(depth + 1); !ok {
				return 0, false
			}
			p.ws()
			switch p.peek() {
			case ',':
				p.i++
			case ']':
				p.i++
				return jsonArray, true
			default:
				return 0, false
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return jsonNumber, p.number()
	case c == 't':
		return jsonBool, p.literal("true")
	case c == 'f':
		return jsonBool, p.literal("false")
	case c == 'n':
		return jsonNull, p.literal("null")
	}
	return 0, false
}

func (p *jsonScanner) literal(s string) bool {
	if len(p.data)-p.i >= len(s) && string(p.data[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

func (p *jsonScanner) digits() int {
	n := 0
	for p.i < len(p.data) && p.data[p.i]-'0' <= 9 {
		p.i++
		n++
	}
	return n
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (p *jsonScanner) number() bool {
	if p.peek() == '-' {
		p.i++
	}
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		p.digits()
	default:
		return false
	}
	if p.peek() == '.' {
		p.i++
		if p.digits() == 0 {
			return false
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if p.digits() == 0 {
			return false
		}
	}
	return true
}

// str scans a string starting at its opening quote and reports whether it
// has escapes.
func (p *jsonScanner) str() (escaped, ok bool) {
	p.i++
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			return escaped, true
		case c == '\\':
			escaped = true
			p.i++
			switch p.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if len(p.data)-p.i < 5 {
					return false, false
				}
				for _, h := range p.data[p.i+1 : p.i+5] {
					if hexVal(h) < 0 {
						return false, false
					}
				}
				p.i += 5
			default:
				return false, false
			}
		case c < ' ':
			return false, false
		default:
			p.i++
		}
	}
	return false, false
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func hex4(b []byte) rune {
	return rune(hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3]))
}

// unescapeJSON appends the value of a checked JSON string body to dst. A
// lone surrogate becomes U+FFFD.
func unescapeJSON(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i+1 : i+5])
			i += 4
			if r >= 0xd800 && r < 0xdc00 && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				if r2 := hex4(s[i+3 : i+7]); r2 >= 0xdc00 && r2 < 0xe000 {
					r = (r-0xd800)<<10 | (r2 - 0xdc00) + 0x10000
					i += 6
				}
			}
			if r >= 0xd800 && r < 0xe000 {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // " \ /
			dst = append(dst, s[i])
		}
	}
	return dst
}
